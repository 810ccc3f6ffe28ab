"""Run the checks over one project and assemble the report.

A check that raises is answered `unknown` with the reason; the others still run.
After the checks, in order: fingerprints, severity overrides from the config, inline
`handrail:ignore`, and the baseline. Suppressed findings are counted, not dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from handrail import __version__
from handrail.checks import CHECK_IDS, load_check
from handrail.core.finding import CheckResult, Finding, Location, Severity, Status
from handrail.core.project import Project


@dataclass
class Report:
    root: str
    stacks: list[str]
    results: list[CheckResult] = field(default_factory=list)
    version: str = __version__

    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]

    def exceeds(self, threshold: Severity) -> bool:
        return any(f.severity.at_least(threshold) for f in self.findings())

    def to_dict(self) -> dict:
        return {
            "tool": {"name": "handrail", "version": self.version},
            "root": self.root,
            "stacks": self.stacks,
            "checks": [r.to_dict() for r in self.results],
        }


def assign_fingerprints(findings: Iterable[Finding]) -> None:
    """Stable ids; identical (rule, path, key) triples are told apart by occurrence order."""
    seen: dict[str, int] = {}
    for f in findings:
        base = f.compute_fingerprint(0)
        n = seen.get(base, 0)
        seen[base] = n + 1
        f.fingerprint = base if n == 0 else f.compute_fingerprint(n)


def run_checks(project: Project, only: Iterable[str] | None = None, baseline: set[str] | None = None,
               progress: Callable[[str], None] | None = None) -> Report:
    wanted = [c for c in CHECK_IDS if (only is None or c in set(only)) and project.config.enabled(c)]
    try:
        stacks = project.stacks.names()
    except Exception as exc:  # stack detection must never take the report down
        stacks = []
        if progress:
            progress(f"stack detection failed: {exc}")
    report = Report(root=str(project.root), stacks=stacks)
    for cid in wanted:
        if progress:
            progress(cid)
        result = _run_one(project, cid)
        _post_process(project, result, baseline)
        report.results.append(result)
    return report


def _run_one(project: Project, cid: str) -> CheckResult:
    check = None
    try:
        check = load_check(cid)
        result = check.run(project)
        if not isinstance(result, CheckResult):
            raise TypeError(f"returned {type(result).__name__}, not a CheckResult")
        return result
    except Exception as exc:
        question = getattr(check, "question", cid)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        return CheckResult(cid, question, Status.UNKNOWN, f"check could not run: {exc.__class__.__name__}: {reason}")


def _post_process(project: Project, result: CheckResult, baseline: set[str] | None) -> None:
    assign_fingerprints(result.findings)
    kept: list[Finding] = []
    accepted: list[Location] = []
    for f in result.findings:
        override = project.config.severity_for(f.rule, f.check)
        if override is not None:
            f.severity = override
        if f.path and project.exists(f.path) and project.ignored_on_line(f.path, f.line, f.rule, f.check):
            result.suppressed += 1
            accepted.append(Location(f.path, f.line, f"{f.rule} accepted by inline handrail:ignore"))
            continue
        if baseline is not None and f.fingerprint in baseline:
            result.suppressed += 1
            accepted.append(Location(f.path, f.line, f"{f.rule} accepted by the baseline"))
            continue
        kept.append(f)
    had_problems = any(f.severity.rank > Severity.INFO.rank for f in result.findings)
    result.findings = kept
    remaining = any(f.severity.rank > Severity.INFO.rank for f in kept)
    if result.status in (Status.FAIL, Status.WARN) and had_problems and not remaining:
        # Accepting the problems is not evidence of a safeguard: the answer is `pass` only when
        # the check also evidenced something positive; otherwise the question stays open.
        positive = bool(result.evidence)
        result.status = Status.PASS if positive else Status.UNKNOWN
        result.evidence.extend(accepted)
        result.summary = (f"{result.summary} [all {result.suppressed} finding(s) accepted by inline ignore "
                          f"or baseline{'' if positive else '; nothing else evidences a pass'}]")
