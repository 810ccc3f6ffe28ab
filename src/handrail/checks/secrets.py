"""secrets: are there secrets in the repository (tree, staged changes, history)?"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handrail.checks.base import Check, Rule, add_note, list_text
from handrail.core.finding import CheckResult, Location, Severity, Status
from handrail.core.project import Project
from handrail.secrets.rules import RULES

if TYPE_CHECKING:
    from handrail.secrets.scan import ScanOutcome

_SCAN_RULES = (
    *(Rule(r.id, r.severity, r.description) for r in RULES),
    Rule("secret-key-file", Severity.HIGH, "Key store or private key file committed (secret by nature)"),
)


class Secrets(Check):
    id = "secrets"
    question = "Are there secrets in the repository, including its git history?"
    why = ("A key committed once stays in history after it is 'removed'; AI-built apps routinely paste "
           "service keys into components, migrations and .env files that end up pushed.")
    fix = "Rotate the key first, then remove it from the tree and history; load it from the environment."
    good_example = "STRIPE_SECRET_KEY=  # in .env.example; the real value lives in the deploy platform"
    bad_example = "const stripe = new Stripe('sk_live_...')  // committed"
    rules = _SCAN_RULES

    def run(self, project: Project) -> CheckResult:
        from handrail.secrets.scan import scan_project

        cfg = getattr(project.config, "secrets", None)
        history = bool(getattr(cfg, "history", True)) and project.git.toplevel is not None
        return self.evaluate(scan_project(project, tree=True, history=history))

    def evaluate(self, outcome: ScanOutcome) -> CheckResult:
        from handrail.secrets.findings import build_findings

        findings = build_findings(outcome)
        leaks = [f for f in findings if f.severity is not Severity.INFO]
        scope = describe_scope(outcome)
        notes = "; ".join(outcome.notes)
        # "." is the scanned root: this answer rests on reading all of it, not on one file.
        evidence = [Location(".", None, f"scanned {scope} with {len(outcome.rules)} rules"),
                    *outcome.safeguards]
        if leaks:
            worst = max(f.severity.rank for f in leaks)
            status = Status.FAIL if worst >= Severity.HIGH.rank else Status.WARN
            names = list_text(sorted({f.rule for f in leaks}))
            summary = f"{len(leaks)} secret(s) in {scope}: {names}"
        elif outcome.incomplete:
            status, summary = Status.UNKNOWN, f"no secrets found in {scope}, but not everything could be read"
        else:
            public = len(findings)
            status = Status.PASS
            summary = f"no secrets in {scope}" + (f" ({public} public-by-design key(s) noted)" if public else "")
        if notes:
            summary = add_note(summary, f" ({notes})")
        return self.result(status, summary, findings, evidence)


def describe_scope(outcome: ScanOutcome) -> str:
    parts = []
    if "tree" in outcome.modes:
        parts.append(f"{outcome.files} file(s) of the working tree")
    if "staged" in outcome.modes:
        parts.append("the staged changes")
    if "history" in outcome.modes:
        parts.append(f"{outcome.commits} commit(s) of git history")
    return " and ".join(parts) or "nothing"


CHECK = Secrets()
