"""Helpers shared by the renderers: ordering, counting and making repository text safe to print.

Everything a report shows can come from the scanned repository (messages quote file names,
evidence quotes lines), so every string passes through `clean` before it reaches a terminal,
a PR comment or a SARIF viewer: control characters (ANSI escapes included) and lone
surrogates from non-UTF-8 file names are turned into visible escapes.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from handrail.core.files import display_path
from handrail.core.finding import CheckResult, Finding, Location, Status
from handrail.core.lazyre import lazy_re

if TYPE_CHECKING:
    from handrail.core.runner import Report

# Worst first: the order checks and findings are listed in.
STATUS_ORDER = {Status.FAIL: 0, Status.WARN: 1, Status.UNKNOWN: 2, Status.PASS: 3}
# C0/C1 controls (ANSI escapes, carriage returns) and bidi overrides (reordered "Trojan source" text).
_CONTROL = lazy_re("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: object, *, newlines: bool = True) -> str:
    """Printable text: surrogates and control characters become backslash escapes."""
    out = display_path(str(text))
    out = _CONTROL.sub(_escape, out)
    if not newlines:
        out = " ".join(out.split())
    return out


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def where(path: str | None, line: int | None, commit: str | None = None) -> str:
    """`path:line` (or `path@commit:line` for history findings), printable."""
    if not path:
        return "(repository)"
    text = clean(path, newlines=False)
    if commit:
        text = f"{text}@{commit[:12]}"
    if line and line >= 1:
        text = f"{text}:{line}"
    return text


def location_text(loc: Location) -> str:
    text = where(loc.path, loc.line, loc.commit)
    note = clean(loc.note, newlines=False)
    return f"{text} {note}".rstrip() if note else text


def sorted_findings(findings: list[Finding]) -> list[Finding]:
    """Worst severity first, then by place, so output is stable across runs."""
    return sorted(findings, key=lambda f: (-f.severity.rank, f.path or "", f.line or 0, f.rule, f.message))


def sorted_results(results: list[CheckResult]) -> list[CheckResult]:
    """Failing checks first, worst finding first; ties keep report (registry) order."""
    def key(item: tuple[int, CheckResult]) -> tuple[int, int, int]:
        idx, r = item
        worst = r.worst()
        return (STATUS_ORDER.get(r.status, 9), -(worst.rank if worst else -1), idx)

    return [r for _, r in sorted(enumerate(results), key=key)]


def status_counts(report: Report) -> dict[Status, int]:
    counts = {s: 0 for s in (Status.FAIL, Status.WARN, Status.PASS, Status.UNKNOWN)}
    for r in report.results:
        counts[r.status] = counts.get(r.status, 0) + 1
    return counts


def verdict(report: Report) -> str:
    """One line a person can act on."""
    counts = status_counts(report)
    n_findings = len(report.findings())
    suppressed = sum(r.suppressed for r in report.results)
    total = len(report.results)
    parts = [f"{counts[Status.FAIL]} fail", f"{counts[Status.WARN]} warn", f"{counts[Status.PASS]} pass",
             f"{counts[Status.UNKNOWN]} unknown"]
    tail = f"{n_findings} finding(s)" + (f", {suppressed} suppressed" if suppressed else "")
    if total == 0:
        return "Not ready to judge: no checks ran."
    if counts[Status.FAIL]:
        failing = ", ".join(r.check for r in report.results if r.status is Status.FAIL)
        head = f"Not ready: {counts[Status.FAIL]} of {total} checks fail ({failing})"
    elif counts[Status.WARN]:
        head = f"Nothing fails, but {counts[Status.WARN]} of {total} checks warn"
    elif counts[Status.UNKNOWN]:
        head = f"Nothing fails, but {counts[Status.UNKNOWN]} of {total} questions are unanswered"
    else:
        head = f"Ready: all {total} checks pass with evidence"
    return f"{head}. [{', '.join(parts)}; {tail}]"
