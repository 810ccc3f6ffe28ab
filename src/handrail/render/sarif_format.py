"""Placeholder renderer."""

from __future__ import annotations

import json


def render(report, *, color: bool = False, quiet: bool = False) -> str:
    return json.dumps(report.to_dict(), indent=2) + "\n"
