"""The last written record, read back: what SessionStart hands a new session. Imports only json (the hook runs it
at every session start)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RECORD_MD = "HANDOFF.md"
RECORD_JSON = ".handrail/handoff.json"
RECORD_MD_ASIDE = ".handrail/HANDOFF.md"  # when a hand-written HANDOFF.md is in the way


def load(root: Path) -> dict[str, Any] | None:
    """The last .handrail/handoff.json, or None when missing, unreadable or not a record."""
    path = Path(root) / RECORD_JSON
    try:
        if path.parent.is_symlink():
            return None
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "generated_at" in data else None


def context(root: Path) -> str | None:
    """A short text (< 2 KB) for a new session, from the last written record. No git, no journal."""
    from handrail.handoff.render import context_text

    data = load(root)
    return context_text(data) if data else None
