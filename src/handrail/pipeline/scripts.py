"""Script aliases (placeholder)."""

from __future__ import annotations


def script_aliases(project) -> dict[str, str]:
    return {}
