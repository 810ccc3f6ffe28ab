"""The tamper-evident journal of agent and Handrail actions.

`open_journal(root)` -> Journal (append, entries, head, verify, checkpoint); `record(...)` for Handrail's own
commands (best effort, never raises); `find_journal(root)` for what exists on disk. Redaction: journal.redact.
"""

from __future__ import annotations

from handrail.journal.model import KINDS, Entry, Event
from handrail.journal.store import Journal, JournalError, find_journal, journal_path, open_journal

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

__all__ = ["KINDS", "Checkpoint", "Entry", "Event", "Journal", "JournalError", "VerifyReport", "find_journal",
           "journal_path", "open_journal", "record"]


def __getattr__(name: str) -> Any:
    # the result classes load on first use: an append never needs them
    if name in ("Checkpoint", "VerifyReport"):
        from handrail.journal import report

        return getattr(report, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def record(root: Path, kind: str, summary: str, payload: dict[str, Any] | None = None, **fields: Any) -> None:
    """Best effort for Handrail's own commands (migrate, backup, restore, check, deploy): append one entry, creating
    the journal if needed; never raises, and waits at most a few seconds for a busy or remote journal."""
    try:
        with open_journal(root, timeout=3.0) as journal:
            journal.append(Event(kind=kind, summary=summary, payload=dict(payload or {}), **fields))
    except Exception:
        pass
