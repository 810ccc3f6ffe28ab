"""JSON: the stable contract in ../shared/contract.md (extend, never break)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handrail.core.runner import Report


def render(report: Report, *, color: bool = False, quiet: bool = False) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=True) + "\n"
