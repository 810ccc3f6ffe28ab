"""The finding model: what every analyser produces and every renderer consumes.

Data flows one way (project -> analysers -> findings -> report), so these types are
plain frozen-ish dataclasses with no behaviour beyond ordering and serialisation.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse; used for --fail-on and sorting."""
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    UNKNOWN = "unknown"


class Confidence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True)
class Location:
    """A place in the repository a statement rests on; `note` says what is there."""

    path: str | None
    line: int | None = None
    note: str = ""
    commit: str | None = None

    def to_dict(self) -> dict:
        return {"path": self.path, "line": self.line, "note": self.note, "commit": self.commit}

    def __str__(self) -> str:
        where = self.path or "(repository)"
        if self.line:
            where = f"{where}:{self.line}"
        return f"{where} {self.note}".rstrip()


@dataclass
class Finding:
    """One problem (or, at severity info, one fact worth showing).

    `key` is the stable identity of the finding inside its file (a job name, a variable
    name, a normalised line): the fingerprint hashes rule + path + key, never the line
    number, so baselines do not churn when code moves.
    """

    check: str
    rule: str
    severity: Severity
    message: str
    path: str | None = None
    line: int | None = None
    evidence: str = ""
    fix: str = ""
    key: str = ""
    confidence: Confidence = Confidence.HIGH
    commit: str | None = None
    related: list[Location] = field(default_factory=list)
    fingerprint: str = ""
    # Replaces `path` in the fingerprint when set: a secret is one value wherever it sits, so renaming the file
    # (or scanning history instead of the tree) must not turn an accepted secret into a new one.
    anchor: str | None = None

    def compute_fingerprint(self, occurrence: int = 0) -> str:
        ident = self.key or " ".join(self.evidence.split()) or self.message
        where = self.path or "" if self.anchor is None else self.anchor
        raw = "\x1f".join([self.rule, where, ident, str(occurrence)])
        return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:32]

    def to_dict(self) -> dict:
        """The contract shape (../shared/contract.md) plus additive fields."""
        return {
            "fingerprint": self.fingerprint,
            "check": self.check,
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "commit": self.commit,
            "evidence": self.evidence,
            "fix": self.fix,
            "confidence": self.confidence.value,
            "related": [loc.to_dict() for loc in self.related],
        }


@dataclass
class CheckResult:
    """The answer to one question.

    `evidence` lists the places the status rests on, also for a pass (where there are
    no findings to point at). `suppressed` counts findings hidden by inline ignores or
    the baseline, so a report never silently loses them.
    """

    check: str
    question: str
    status: Status
    summary: str
    findings: list[Finding] = field(default_factory=list)
    evidence: list[Location] = field(default_factory=list)
    suppressed: int = 0

    def worst(self) -> Severity | None:
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=lambda s: s.rank)

    def to_dict(self) -> dict:
        return {
            "id": self.check,
            "question": self.question,
            "status": self.status.value,
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.findings],
            "evidence": [loc.to_dict() for loc in self.evidence],
            "suppressed": self.suppressed,
        }
