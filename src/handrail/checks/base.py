"""The check interface: one question, its rules, and the code that answers it.

Each check lives in `handrail/checks/<id>.py` (id with dashes as underscores) and
exposes `CHECK`, an instance of a `Check` subclass. The class carries the question,
why it matters, how to fix it, and a good and a bad example, so the report, SARIF
rule help and `handrail explain` all come from one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from handrail.core.finding import CheckResult, Confidence, Finding, Location, Severity, Status

if TYPE_CHECKING:
    from handrail.core.project import ParseError, Project
    from handrail.pipeline.model import PipelineModel


@dataclass(frozen=True)
class Rule:
    """A rule id is unique across all checks; inline ignores and severity overrides use it."""

    id: str
    severity: Severity
    description: str
    fix: str = ""


class Check:
    id: ClassVar[str]
    question: ClassVar[str]
    why: ClassVar[str]
    fix: ClassVar[str]
    good_example: ClassVar[str]
    bad_example: ClassVar[str]
    rules: ClassVar[tuple[Rule, ...]] = ()

    def run(self, project: Project) -> CheckResult:  # pragma: no cover - interface
        raise NotImplementedError

    # --- helpers for implementations ---------------------------------------------------
    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(f"{self.id}: undeclared rule {rule_id}")

    def finding(self, rule_id: str, message: str, path: str | None = None, line: int | None = None, *,
                evidence: str = "", key: str = "", severity: Severity | None = None,
                confidence: Confidence = Confidence.HIGH, fix: str = "",
                related: list[Location] | None = None) -> Finding:
        r = self.rule(rule_id)
        return Finding(check=self.id, rule=r.id, severity=severity or r.severity, message=message,
                       path=path, line=line, evidence=evidence.strip()[:300], fix=fix or r.fix or self.fix,
                       key=key, confidence=confidence, related=related or [])

    def parse_error_finding(self, err: ParseError, rule_id: str) -> Finding:
        return self.finding(rule_id, f"{err.path} cannot be parsed: {err.message}", err.path, err.line,
                            key=f"parse:{err.path}", confidence=Confidence.HIGH)

    def result(self, status: Status, summary: str, findings: list[Finding] | None = None,
               evidence: list[Location] | None = None) -> CheckResult:
        return CheckResult(self.id, self.question, status, summary, findings or [], evidence or [])

    def unknown(self, summary: str, evidence: list[Location] | None = None,
                findings: list[Finding] | None = None) -> CheckResult:
        return self.result(Status.UNKNOWN, summary, findings, evidence)


    def run_with_pipeline(self, project: Project, evaluate: Callable[[Project, PipelineModel], CheckResult],
                          error_rule: str) -> CheckResult:
        """`evaluate(project, project.pipeline)`; when building the pipeline model raises (a CI reader bug), the
        file-based half still runs on an empty model, the error becomes an `error_rule` finding, and the result
        cannot pass, since CI was not judged."""
        from handrail.pipeline.model import PipelineModel

        try:
            model = project.pipeline
        except Exception as exc:
            result = evaluate(project, PipelineModel())
            result.findings.append(self.finding(
                error_rule, f"CI configuration could not be read ({exc.__class__.__name__}: {exc}); CI rules were "
                "skipped.", None, None, key="pipeline-error", confidence=Confidence.LOW))
            if result.status is Status.PASS:
                result.status = Status.UNKNOWN
                result.summary += "; CI configuration could not be read, so CI was not judged"
            return result
        return evaluate(project, model)


def list_text(items: list[str], limit: int = 3, sep: str = ", ") -> str:
    """`a, b, c (+2 more)`: summaries name what they rest on without growing with the repository."""
    return sep.join(items[:limit]) + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def unparsed_ci(model: PipelineModel) -> list[str]:
    """CI files that could not be parsed. tests-before-deploy reports each as `invalid-workflow`; other checks
    only name them (`unparsed_note`) and never pass while one exists."""
    return sorted({inv.path for inv in model.invalid})


def unparsed_note(paths: list[str]) -> str:
    """Summary suffix naming the CI files a check could not judge ("" when there are none)."""
    if not paths:
        return ""
    return f"; {len(paths)} CI file(s) cannot be parsed and were not judged: {', '.join(paths)}"


def add_note(summary: str, note: str) -> str:
    """`summary` with a `; ...` clause such as `unparsed_note` appended; a closing full stop stays at the end, so a
    sentence-style summary never reads ".; "."""
    if not note:
        return summary
    return summary[:-1] + note + "." if summary.endswith(".") else summary + note


class NotAnalysedYet(Check):
    """A question whose analyser has not landed: always `unknown`, never a fake pass."""

    coming_with: ClassVar[str] = "a later release"

    def run(self, project: Project) -> CheckResult:
        return self.unknown(f"not analysed yet: {self.coming_with}")
