"""tests-before-deploy: Are tests run and passing before every deploy?

A deploy path is a CI job with a DEPLOY step. It is gated when the tests must pass
before it runs: a job it needs (transitively; GitLab earlier stages count) runs tests
and cannot fail open, or the same job runs tests before the deploy step, or the
workflow runs on `workflow_run` of a CI workflow with tests and checks that CI
concluded `success`. Platforms that deploy straight from git (Vercel, Render, Fly
without a CI deploy) are gated, if at all, by branch protection, which is not in the
repository: that is `unknown`, not a pass and not a fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from handrail.checks.base import Check, Rule, unparsed_ci, unparsed_note
from handrail.core.finding import CheckResult, Confidence, Finding, Location, Severity, Status
from handrail.core.lazyre import lazy_re
from handrail.core.yamlload import LMap
from handrail.pipeline.classify import (
    GIT_PLATFORMS,
    DeployPath,
    Hit,
    callers_of,
    classify_text,
    deploy_paths,
    first_hit,
    never_runs,
    platform_files,
    step_path,
)
from handrail.pipeline.model import Job, PipelineModel, Step, StepKind, Workflow

if TYPE_CHECKING:
    from handrail.core.project import Project

_SUCCESS_CONCLUSION = lazy_re(r"workflow_run\.conclusion\s*==\s*['\"]success['\"]")
_RUNS_ANYWAY = lazy_re(r"\balways\(\)|!\s*cancelled\(\)|\bfailure\(\)")
_REQUIRES_SUCCESS = lazy_re(r"\.result\s*==\s*['\"]success['\"]|\bsuccess\(\)\s*&&|&&\s*success\(\)")


@dataclass
class Gate:
    gated: bool
    evidence: list[Location] = field(default_factory=list)
    reason: str = ""
    rule: str = "ungated-deploy"


class TestsBeforeDeploy(Check):
    id = "tests-before-deploy"
    question = "Are tests run and passing before every deploy?"
    why = ("A deploy that does not wait for the test suite ships whatever the last push contained, including code an "
           "AI agent wrote that nobody ran. Tests that run next to the deploy, or after it, catch nothing in time.")
    fix = ("Make every deploy job depend on the test job (`needs: [tests]` on GitHub, a test stage before the deploy "
           "stage on GitLab), or deploy from a `workflow_run` of CI with "
           "`if: github.event.workflow_run.conclusion == 'success'`. For git-push platforms, require the test status "
           "check in branch protection.")
    good_example = """\
jobs:
  tests:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm ci && npm test
  deploy:
    needs: tests            # deploy waits for green tests
    if: github.ref == 'refs/heads/main'
    steps:
      - run: npx vercel deploy --prod --token=${{ secrets.VERCEL_TOKEN }}
"""
    bad_example = """\
on: push
jobs:
  deploy:                   # no needs: ships every push, tested or not
    steps:
      - run: flyctl deploy --remote-only
"""
    rules = (
        Rule("ungated-deploy", Severity.HIGH, "A CI job deploys without a passing test job before it.",
             "Add `needs: [<test job>]` to the deploy job (or a test stage before it) so red tests stop the deploy."),
        Rule("deploy-after-failed-ci", Severity.HIGH,
             "A workflow_run deploy runs when CI completes, also when CI failed.",
             "Add `if: github.event.workflow_run.conclusion == 'success'` to the deploy job."),
        Rule("invalid-workflow", Severity.MEDIUM, "A CI file cannot be parsed, so its deploys cannot be judged.",
             "Fix the file (run actionlint or `gitlab-ci lint`); a workflow that does not parse does not run."),
    )

    def run(self, project: Project) -> CheckResult:
        model = project.pipeline
        invalid = [self.finding("invalid-workflow", f"{i.path} cannot be parsed: {i.message}", i.path, i.line,
                                key=f"invalid:{i.path}") for i in model.invalid]
        paths = deploy_paths(model)
        auto_findings, auto_gated = self._auto_devops(model)
        if not paths and not auto_findings and not auto_gated:
            return self._no_deploy(project, model, invalid)
        findings: list[Finding] = list(auto_findings)
        evidence: list[Location] = [loc for loc in auto_gated]
        gated: list[str] = ["GitLab Auto DevOps (its test job runs before its deploy jobs)"] if auto_gated else []
        external: list[Finding] = []  # gated, if at all, by branch protection outside the repository
        pr_tests = _pull_request_tests(model)
        for dp in paths:
            gate = gate_for(model, dp)
            where = Location(dp.path, dp.line, f"deploy ({dp.tool}) in {dp.label}")
            if gate.gated:
                gated.append(f"{dp.label} ({dp.tool})")
                evidence.append(where)
                evidence.extend(gate.evidence)
                continue
            manual = _manual(dp.workflow, dp.job)
            severity = Severity.MEDIUM if manual or dp.preview else None
            kind = " (manual)" if manual else " (preview)" if dp.preview else ""
            message = f"{dp.label} deploys with {dp.tool}{kind} {gate.reason}"
            confidence = Confidence.HIGH
            outside = gate.rule == "ungated-deploy" and pr_tests and _branch_deploy(dp.workflow, dp.job) \
                and not any(_test_locations(dp.workflow, j) for j in dp.workflow.jobs.values())
            if outside:
                # Tests on pull requests gate a push deploy only through branch protection (required status
                # checks), which is not in the repository: a risk to confirm, not an evidenced failure.
                message += ("; tests do run on pull requests, so only branch protection (required status checks "
                            "on the deploy branch) can stop an untested commit from deploying - confirm it is on")
                confidence = Confidence.LOW
                severity = Severity.MEDIUM
            elif gate.rule == "ungated-deploy" and dp.workflow.trigger("push") is not None and pr_tests:
                message += ("; tests do run on pull requests, so only branch protection (required status checks) "
                            "could stop an untested push from deploying")
                confidence = Confidence.MEDIUM
            findings.append(self.finding(
                gate.rule, message, dp.path, dp.line, evidence=dp.step.detail or dp.step.label,
                key=f"{dp.workflow.path}:{dp.job.id}", severity=severity, confidence=confidence,
                related=[Location(dp.job.workflow_path or dp.workflow.path, dp.job.line, f"job {dp.job.id}"),
                         *gate.evidence, *pr_tests[:1]]))
            if outside:
                external.append(findings[-1])
        findings.extend(invalid)
        n_paths = len(paths) + (1 if auto_findings or auto_gated else 0)
        bad = [f for f in findings if f.rule != "invalid-workflow"]
        if bad and all(f in external for f in bad):
            return self.result(Status.WARN, f"{len(bad)} of {n_paths} deploy path(s) have no in-repository test "
                               "gate; tests run on pull requests, so branch protection (not in the repository) "
                               "decides whether an untested commit can deploy" + unparsed_note(unparsed_ci(model)),
                               findings, evidence + pr_tests[:3])
        if bad:
            return self.result(Status.FAIL, f"{len(bad)} of {n_paths} deploy path(s) can run without passing tests"
                               + unparsed_note(unparsed_ci(model)), findings, evidence)
        summary = f"every deploy path waits for passing tests: {'; '.join(gated)}"
        if invalid:
            return self.result(Status.WARN, summary + unparsed_note(unparsed_ci(model)), findings, evidence)
        return self.result(Status.PASS, summary, [], evidence)

    def _auto_devops(self, model: PipelineModel) -> tuple[list[Finding], list[Location]]:
        """GitLab's Auto-DevOps template: its `test` job runs before its deploy jobs unless TEST_DISABLED is set;
        with it set, the template's build and deploy jobs still run (when the project has a deploy target)."""
        findings: list[Finding] = []
        gated: list[Location] = []
        for wf in model.workflows:
            if wf.provider != "gitlab" or wf.env.get("__auto_devops__") != "true":
                continue
            lines = wf.env.get("__auto_devops_lines__")
            lines = lines if isinstance(lines, dict) else {}
            inc = _at(lines.get("__include__"), wf.path)
            include = Location(inc[0], inc[1], "include: Auto-DevOps.gitlab-ci.yml (test, build and deploy jobs)")
            disabled = str(wf.env.get("TEST_DISABLED") or "").strip()
            if not disabled:
                gated.append(include)
                continue
            path, line = _at(lines.get("TEST_DISABLED"), wf.path)
            findings.append(self.finding(
                "ungated-deploy", f"{wf.path} includes GitLab Auto DevOps with TEST_DISABLED: {disabled!r}: its test "
                "job never runs, yet its build and production deploy jobs do (wherever the project has a "
                "Kubernetes cluster or AUTO_DEVOPS_PLATFORM_TARGET configured, in settings outside the repository)",
                path, line, evidence=f"TEST_DISABLED: {disabled}", key=f"{wf.path}:auto-devops",
                confidence=Confidence.MEDIUM, related=[include]))
        return findings, gated

    def _no_deploy(self, project: Project, model: PipelineModel, invalid: list[Finding]) -> CheckResult:
        platforms = platform_files(project, model)
        evidence = list(platforms)
        tests = [Location(step_path(wf, job, s), s.detail_line or s.line, f"tests in {wf.name or wf.path} / {job.id}")
                 for wf, job in model.jobs() for s in job.steps if StepKind.TEST in s.kinds][:5]
        local = _local_ci(project)
        tests.extend(local)
        evidence.extend(tests)
        deploying = [f for f in invalid if _deploys(project, f.path or "")]
        if deploying:
            # A deploy workflow that does not parse never runs; what it would gate cannot be judged either.
            return self.result(Status.WARN, f"{len(deploying)} CI file(s) that look like deploy workflows cannot be "
                               "parsed (" + ", ".join(sorted({f.path or '' for f in deploying})) + "), so their "
                               "deploys cannot be judged; GitHub/GitLab reject them until fixed"
                               + unparsed_note(unparsed_ci(model)), invalid, evidence)
        parts: list[str] = []
        git = [loc for loc in platforms if loc.note.split(":", 1)[0] in GIT_PLATFORMS]
        by_hand = [loc for loc in platforms if loc not in git]
        if git:
            parts.append(f"no CI job deploys; {_names(git)} deploy from git ({_paths(git)}), so whether failing tests "
                         "block a deploy is decided by branch protection (required status checks on the deploy "
                         "branch), which is not in the repository")
        if by_hand:
            parts.append(f"{_names(by_hand)} ({_paths(by_hand)}) deploy outside CI (from a workstation or another "
                         "system): only a pre-deploy hook that runs the tests, or a CI deploy job that needs the test "
                         "job, would gate them")
        if not parts:
            parts.append("no deploy found in CI or platform configuration; a CI deploy job that needs the test job, "
                         "or branch protection for a git-push platform, would decide this")
        published = [Location(step_path(wf, job, s), s.detail_line or s.line, f"publishes: {s.detail[:80]}")
                     for wf, job in model.jobs() for s in job.steps if StepKind.PUBLISH in s.kinds][:3]
        if published:
            parts.append("CI publishes images or packages but nothing in the repository deploys them, so what "
                         "promotes them is outside the repository")
            evidence.extend(published)
        summary = "; ".join(parts)
        ci_tests = len(tests) - len(local)
        summary += f"; CI runs tests ({ci_tests} step(s) found)" if ci_tests else "; no CI step runs the tests"
        if local:
            summary += (f"; local CI ({local[0].path}) runs the tests and signs the commit off with `gh signoff`, "
                        "a status check branch protection can require" if any("signoff" in loc.note for loc in local)
                        else f"; local CI ({local[0].path}) runs the tests")
        return self.unknown(summary + unparsed_note(unparsed_ci(model)), evidence, invalid)


_CI_RB_STEP = lazy_re(r"""^\s*step\s*\(?\s*["']([^"']*)["']\s*,\s*["']([^"']+)["']""")
_DEPLOYISH_FILE = lazy_re(r"(?i)deploy|release|publish|ship|\bcd\b|production|prod\b")


def _local_ci(project: Project) -> list[Location]:
    """Rails 8 local CI (`bin/ci` runs config/ci.rb): test steps, and `gh signoff` posting a green status."""
    path = "config/ci.rb"
    if path not in project.files:
        return []
    out: list[Location] = []
    for no, line in enumerate(project.lines(path), 1):
        m = _CI_RB_STEP.match(line)
        if not m:
            continue
        title, cmd = m.group(1), m.group(2)
        if "gh signoff" in cmd:
            out.append(Location(path, no, f"local CI signoff: {cmd} (posts a commit status after the steps pass)"))
        elif any(h.kind is StepKind.TEST for h in classify_text(cmd)) or (
                re.search(r"(?i)\btests?\b", title) and re.search(r"\btest\b|spec", cmd)):
            out.append(Location(path, no, f"local CI tests: {cmd[:80]} (bin/ci)"))
    return out if any("tests" in loc.note for loc in out) else []


def _deploys(project: Project, path: str) -> bool:
    """An unparseable CI file that names or runs a deploy (its raw text, classified line by line)."""
    if _DEPLOYISH_FILE.search(path.rsplit("/", 1)[-1]):
        return True
    text = project.text(path) if path in project.files else None
    if not text:
        return False
    return any(h.kind is StepKind.DEPLOY and not h.preview for h in classify_text(text[:200_000]))


def _at(value: object, default_path: str) -> tuple[str, int]:
    """`path:line` recorded by the GitLab reader -> (path, line)."""
    path, _, line = str(value or "").rpartition(":")
    return (path or default_path), (int(line) if line.isdigit() else 0)


def _branch_deploy(wf: Workflow, job: Job) -> bool:
    """Deploys what reached a branch or tag (push, tag push, manual dispatch): branch protection is its gate."""
    events = {t.event for t in wf.triggers}
    if not events or not events <= {"push", "workflow_dispatch", "schedule"}:
        return False
    return "push" in events or _manual(wf, job)


def _names(locs: list[Location]) -> str:
    return ", ".join(sorted({loc.note.split(":", 1)[0] for loc in locs}))


def _paths(locs: list[Location]) -> str:
    return ", ".join(sorted({loc.path or "" for loc in locs}))


# --------------------------------------------------------------------------------------
# gating
# --------------------------------------------------------------------------------------
def _fails_open(job: Job) -> bool:
    raw = job.raw if isinstance(job.raw, dict) else {}
    return bool(job.allow_failure) or raw.get("continue-on-error") is True


def _runs_despite_failure(job: Job, step: Step | None = None) -> bool:
    """A job (or deploy step) that runs even when what it needs failed: always(), !cancelled(), when: always."""
    if job.when == "always":
        return True
    for cond in (job.condition, step.condition if step else None):
        if cond and _RUNS_ANYWAY.search(cond) and not _REQUIRES_SUCCESS.search(cond):
            return True
    return False


def _test_locations(wf: Workflow, job: Job, before: tuple[int, int] | None = None) -> list[Location]:
    """Gating test steps of `job` (only those before step/hit `before` when given)."""
    out = []
    for step in job.steps:
        if StepKind.TEST not in step.kinds or step.continue_on_error or never_runs(job, step):
            continue
        hit: Hit | None = first_hit(step, StepKind.TEST)
        if before is not None:
            idx, seq = before
            if step.index > idx or (step.index == idx and (hit is None or hit.seq > seq)):
                continue
        line = hit.line if hit else step.detail_line or step.line
        out.append(Location(step_path(wf, job, step), line,
                            f"tests: {(hit.detail if hit else step.label)[:100]} ({wf.name or wf.path} / {job.id})"))
    return out


def gate_for(model: PipelineModel, dp: DeployPath, depth: int = 0) -> Gate:
    wf, job, step = dp.workflow, dp.job, dp.step
    if _runs_despite_failure(job, step):
        return Gate(False, reason="and its condition (always()/!cancelled()/when: always) runs it even when tests "
                                  "fail")
    # 1. tests earlier in the same job
    same = _test_locations(wf, job, (step.index, dp.hit.seq if dp.hit else 10**6))
    if same and not _fails_open(job):
        return Gate(True, same[:2])
    # 2. tests in a job this one needs (transitively, through jobs that do not run regardless)
    seen: set[str] = set()
    stack = list(job.needs)
    while stack:
        jid = stack.pop()
        if jid in seen or jid not in wf.jobs:
            continue
        seen.add(jid)
        up = wf.jobs[jid]
        if not _fails_open(up):
            locs = _test_locations(wf, up)
            if locs:
                return Gate(True, locs[:2])
        if not _runs_despite_failure(up):
            stack.extend(up.needs)
    # 3. workflow_run of a CI workflow with tests
    wr = wf.trigger("workflow_run")
    if wr is not None:
        return _workflow_run_gate(model, wf, job, step, wr.workflows, wr.line)
    # 4. a reusable workflow: gated when every caller is
    if wf.trigger("workflow_call") is not None and depth < 3:
        callers = callers_of(model, wf)
        if callers:
            gates = [gate_for(model, DeployPath(cwf, cjob, step, dp.hit), depth + 1) for cwf, cjob in callers]
            if all(g.gated for g in gates):
                return Gate(True, [loc for g in gates for loc in g.evidence][:4])
            return Gate(False, reason="in a reusable workflow called by a job that does not wait for tests")
    raw = job.raw if isinstance(job.raw, dict) else {}
    if wf.provider == "gitlab" and "needs" in raw and not job.needs:
        return Gate(False, reason="with `needs: []`, so it starts at once instead of waiting for the test stage")
    if any(_test_locations(wf, j) for j in wf.jobs.values()):
        return Gate(False, reason="without needing the test job of the same workflow: both run at once, so the "
                                  "deploy does not wait for the tests")
    return Gate(False, reason="and no test job runs before it")


def _workflow_run_gate(model: PipelineModel, wf: Workflow, job: Job, step: Step, names: list[str],
                       line: int) -> Gate:
    upstream = [w for w in model.workflows if w is not wf and (
        (w.name and w.name in names) or w.path.rsplit("/", 1)[-1] in names or w.path in names)]
    tests = [loc for w in upstream for j in w.jobs.values() if not _fails_open(j) for loc in _test_locations(w, j)]
    trigger = Location(wf.path, line or wf.line, f"on: workflow_run of {', '.join(names) or '?'}")
    if not tests:
        what = ", ".join(names) or "an unnamed workflow"
        return Gate(False, [trigger], reason=f"after workflow_run of {what}, which runs no tests (or is not in the "
                                             "repository)")
    for holder in (job, step, *(wf.jobs[j] for j in sorted(wf.upstream(job.id)))):
        if holder.condition and _SUCCESS_CONCLUSION.search(holder.condition):
            raw = getattr(holder, "raw", None)
            line = raw.line_of("if") if isinstance(raw, LMap) else holder.line
            what = f"job {holder.id}" if isinstance(holder, Job) else "the deploy step"
            return Gate(True, [trigger, Location(wf.path, line, f"{what} requires workflow_run.conclusion == "
                                                               "'success'"), *tests[:2]])
    return Gate(False, [trigger, *tests[:1]], rule="deploy-after-failed-ci",
                reason=f"on workflow_run of {', '.join(names)} without checking "
                       "`github.event.workflow_run.conclusion == 'success'`, so it also deploys after failed CI")


def _pull_request_tests(model: PipelineModel) -> list[Location]:
    """Test steps of workflows that run on pull requests (what branch protection would require)."""
    out: list[Location] = []
    for wf in model.workflows:
        if wf.trigger("pull_request") is None and wf.trigger("merge_request_event") is None:
            continue
        for job in wf.jobs.values():
            if not _fails_open(job):
                out.extend(_test_locations(wf, job))
    return out


def _manual(wf: Workflow, job: Job) -> bool:
    if job.when == "manual":
        return True
    events = {t.event for t in wf.triggers}
    return bool(events) and events <= {"workflow_dispatch", "repository_dispatch"}


CHECK = TestsBeforeDeploy()

__all__ = ["CHECK", "Gate", "TestsBeforeDeploy", "gate_for"]
