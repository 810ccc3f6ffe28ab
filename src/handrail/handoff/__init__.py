"""The handoff record: where work stands, built from git and the journal (record.py), written as HANDOFF.md and
.handrail/handoff.json, and handed to the next session.

The functions are thin wrappers so that `import handrail.handoff` from the agent hook costs nothing until one is
called; `context` (SessionStart) reads only the last handoff.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handrail.handoff.record import Handoff, HandoffError

__all__ = ["Handoff", "HandoffError", "build", "context", "load", "write"]


def build(root: Path, journal: Any = None) -> Handoff:
    """The record from facts (git, the journal); writes nothing."""
    from handrail.handoff.record import build as _build

    return _build(Path(root), journal)


def write(root: Path, journal: Any = None) -> Handoff:
    """Build and write HANDOFF.md and .handrail/handoff.json atomically; HandoffError (one line) on failure."""
    from handrail.handoff.record import write as _write

    return _write(Path(root), journal)


def load(root: Path) -> dict[str, Any] | None:
    from handrail.handoff.stored import load as _load

    return _load(Path(root))


def context(root: Path) -> str | None:
    """Short text (< 2 KB) for a new session from the last written record; no git, no journal."""
    from handrail.handoff.stored import context as _context

    return _context(Path(root))


def __getattr__(name: str) -> Any:
    if name in ("Handoff", "HandoffError"):
        from handrail.handoff import record

        return getattr(record, name)
    raise AttributeError(name)
