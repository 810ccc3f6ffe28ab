"""What verify and checkpoints return. Kept apart from the store so that an ordinary append (the agent hook) does
not pay for building these classes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from handrail.journal.store import _CP_COLS as CP_COLS


@dataclass(frozen=True)
class Checkpoint:
    id: int
    size: int
    root: str  # hex
    ts: str
    reason: str
    key_name: str
    public_key: str  # base64 raw Ed25519
    note: str  # the signed note text

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in CP_COLS}


@dataclass
class VerifyReport:
    ok: bool = True
    entries: int = 0
    first_bad_seq: int | None = None
    problem: str = ""
    checkpoints: int = 0  # checkpoints whose signature and root were checked
    anchors: int = 0  # checkpoints anchored in git that were checked
    macs_checked: int = 0
    head: str | None = None
    origin: str | None = None
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def fail(self, seq: int | None, message: str) -> None:
        self.problems.append(f"seq {seq}: {message}" if seq is not None else message)
        better = self.ok or (seq is not None and (self.first_bad_seq is None or seq < self.first_bad_seq))
        if better:
            self.first_bad_seq, self.problem = seq, message
        self.ok = False

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "first_bad_seq": self.first_bad_seq, "problem": self.problem,
                "checkpoints": self.checkpoints, "anchors": self.anchors, "macs_checked": self.macs_checked,
                "head": self.head, "origin": self.origin, "warnings": self.warnings, "problems": self.problems}
