"""smoke-after-deploy: Is the deployed app smoke-tested after every deploy?

Tests prove the code; only a request to the deployed app proves the deploy (config,
secrets, migrations, DNS). A deploy path is smoke-tested when, after its deploy step,
the same job or a job that needs it probes the deployed app (`curl -f`, wget, httpie,
Playwright/Cypress/k6/Checkly against a deployed URL), or a workflow triggered by
`deployment_status` or by `workflow_run` of the deploy workflow does. A platform health
gate (fly checks, healthCheckPath, Kamal proxy, HEALTHCHECK) only keeps a dead release
from taking traffic, so on its own it is a warning, not a pass.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from handrail.checks.base import Check, Rule, unparsed_ci, unparsed_note
from handrail.core.finding import CheckResult, Confidence, Finding, Location, Severity, Status
from handrail.core.lazyre import lazy_re
from handrail.pipeline.classify import (
    DeployPath,
    Hit,
    callers_of,
    deploy_paths,
    never_runs,
    platform_files,
    step_path,
)
from handrail.pipeline.model import PipelineModel, Step, StepKind, Workflow

if TYPE_CHECKING:
    from handrail.core.project import Project

# Deploy tools whose platform posts GitHub deployment statuses itself.
_STATUS_POSTING_TOOLS = {"vercel", "netlify", "render", "railway"}


class SmokeAfterDeploy(Check):
    id = "smoke-after-deploy"
    question = "Is the deployed app smoke-tested after every deploy?"
    why = ("A green test suite says the code works on a CI runner, not that the release works where users are: a "
           "missing secret, a failed migration or a wrong start command only shows up on the deployed URL. A smoke "
           "test right after the deploy turns a silent outage into a red pipeline.")
    fix = ("After the deploy step (same job, or a job with `needs: deploy`), request the deployed URL and fail on "
           "errors: `curl -fsS --retry 5 --retry-connrefused https://app.example.com/up`, or run Playwright/Checkly "
           "against it (e.g. `on: deployment_status` with `state == 'success'`).")
    good_example = """\
  deploy:
    needs: tests
    steps:
      - run: flyctl deploy --remote-only
      - name: Smoke test
        run: curl -fsS --retry 5 --retry-connrefused https://myapp.fly.dev/up
"""
    bad_example = """\
  deploy:
    needs: tests
    steps:
      - run: flyctl deploy --remote-only
      - run: echo "deployed!"        # nobody checks the app answers
"""
    rules = (
        Rule("no-smoke-test", Severity.MEDIUM, "A deploy is not followed by any check that the deployed app answers.",
             "Add a step after the deploy that requests the deployed URL with `curl -f` (or Playwright/Checkly)."),
        Rule("health-gate-only", Severity.LOW,
             "Only a platform health gate checks the deploy; nothing exercises the app after it.",
             "Keep the health gate and add an HTTP smoke test of key pages after the deploy."),
    )

    def run(self, project: Project) -> CheckResult:
        model = project.pipeline
        unparsed = unparsed_ci(model)  # reported once, by tests-before-deploy (invalid-workflow)
        gates = app_health_gates(model)
        status_smoke = _deployment_status_smoke(model)
        paths = deploy_paths(model)
        if not paths:
            return self._no_deploy(project, model, gates, status_smoke, unparsed)
        findings: list[Finding] = []
        evidence: list[Location] = []
        smoked: list[str] = []
        gate_only: list[DeployPath] = []
        used_gates: list[Location] = []
        for dp in paths:
            where = Location(dp.path, dp.line, f"deploy ({dp.tool}) in {dp.label}")
            smoke = smoke_after(model, dp, status_smoke)
            if smoke:
                smoked.append(dp.label)
                evidence.append(where)
                evidence.extend(smoke[:2])
                continue
            mine = gates_for_tool(dp.tool, gates)
            if mine:
                gate_only.append(dp)
                used_gates.extend(g for g in mine if g not in used_gates)
                findings.append(self.finding(
                    "health-gate-only", f"{dp.label} deploys with {dp.tool}; only a platform health gate checks it ("
                    + ", ".join(_loc(g) for g in mine[:3]) + ")", dp.path, dp.line,
                    evidence=dp.step.detail or dp.step.label, key=f"{dp.workflow.path}:{dp.job.id}",
                    related=mine[:5]))
                continue
            findings.append(self.finding(
                "no-smoke-test", f"{dp.label} deploys with {dp.tool} and nothing checks the deployed app afterwards",
                dp.path, dp.line, evidence=dp.step.detail or dp.step.label, key=f"{dp.workflow.path}:{dp.job.id}",
                severity=Severity.LOW if dp.preview else None,
                related=[Location(dp.job.workflow_path or dp.workflow.path, dp.job.line, f"job {dp.job.id}")]))
        missing = [f for f in findings if f.rule == "no-smoke-test"]
        note = unparsed_note(unparsed)
        if missing:
            return self.result(Status.FAIL, f"{len(missing)} of {len(paths)} deploy path(s) have no smoke test after "
                               "them" + note, findings, evidence)
        if gate_only:
            evidence.extend(used_gates)
            return self.result(Status.WARN, f"{len(gate_only)} of {len(paths)} deploy path(s) rely only on a platform "
                               "health gate (" + ", ".join(_loc(g) for g in used_gates[:3]) + ")" + note,
                               findings, evidence)
        summary = "every deploy path is smoke-tested after it: " + "; ".join(smoked)
        if unparsed:  # a pass must not rest on workflows nobody could read
            return self.unknown(summary + note, evidence)
        return self.result(Status.PASS, summary, [], evidence)

    def _no_deploy(self, project: Project, model: PipelineModel, gates: list[Location],
                   status_smoke: list[Location], unparsed: list[str]) -> CheckResult:
        note = unparsed_note(unparsed)
        if status_smoke:
            return self.result(Status.UNKNOWN if unparsed else Status.PASS,
                               "no CI job deploys, but every successful deployment (deployment_status) is smoke-tested"
                               + note, evidence=status_smoke)
        found = platform_files(project, model)
        # Compose and Dockerfile health checks also serve local runs: without a known deploy they prove nothing.
        local_only = all(_local_gate(g) for g in gates)
        if gates and local_only and not found:
            return self.unknown("no deploy found in CI or platform configuration; only container health checks ("
                                + ", ".join(_loc(g) for g in gates[:3]) + ") exist, which also serve local runs; a "
                                "deploy job followed by an HTTP check would decide this" + note, gates)
        if gates:
            finding = self.finding("health-gate-only", "the platform gates releases on a health check ("
                                   + ", ".join(_loc(g) for g in gates[:3]) + ") but nothing smoke-tests the app "
                                   "after a deploy", gates[0].path, gates[0].line, key="platform-health-gate",
                                   related=gates[:5])
            return self.result(Status.WARN, "no CI deploy found; only a platform health gate checks releases ("
                               + ", ".join(_loc(g) for g in gates[:3]) + ")" + note, [finding], gates)
        # A bare Procfile is also what foreman/overmind read locally: on its own it does not prove a deploy
        # (platform_files leaves it out unless a release: process, app.json or heroku.yml names Heroku).
        heroku_files = {"app.json", "heroku.yml"} & {loc.path for loc in found}
        platforms = [loc for loc in found if loc.path != "Procfile" or heroku_files]
        if not platforms and (found or project.exists("Procfile")):
            return self.unknown("a Procfile is the only deploy hint (Heroku/Dokku, or just a local process manager); "
                                "a post-deploy HTTP check in CI or a deployment_status workflow would decide this"
                                + note, found or [Location("Procfile", 1, "Procfile (process list)")])
        if platforms:
            # The platform deploys this app (from git or a workstation); nothing in the repo checks a release.
            names = ", ".join(sorted({loc.note.split(":", 1)[0] for loc in platforms}))
            first = platforms[0]
            finding = self.finding(
                "no-smoke-test", f"{names} deploys this app ({', '.join(_loc(p) for p in platforms[:3])}) and "
                "nothing smoke-tests a release: no check after a CI deploy, no deployment_status workflow, no "
                "health gate", first.path, first.line, key="platform-deploy", confidence=Confidence.MEDIUM,
                related=platforms[:5])
            return self.result(Status.FAIL, f"{names} deploys this app and no smoke test or health gate checks a "
                               "release (a deployment_status workflow running an HTTP check would)" + note,
                               [finding], platforms)
        return self.unknown("no deploy found in CI or platform configuration; a CI deploy job followed by an HTTP "
                            "check of the deployed URL (or a deployment_status workflow) would decide this" + note)


_BACKING_SERVICE = lazy_re(r"(?i)^(?:[\w.\-]*[-_])?(?:db|database|postgres(?:ql)?|postgis|pg|mysql|mariadb|redis|"
                              r"valkey|rabbitmq|rabbit|mongo(?:db)?|memcached?|elasticsearch|elastic|opensearch|"
                              r"meilisearch|typesense|minio|mailhog|mailpit|smtp|kafka|zookeeper|localstack|"
                              r"clickhouse|nats|queue|cache|search|selenium|chrome)(?:[-_][\w.\-]*)?:")


_DEV_PATH = lazy_re(r"(?i)(?:^|/)(?:dev|devel|development|local|test|tests|testing|e2e|examples?|\.devcontainer)/")
_DEV_FILE = lazy_re(r"(?i)[._-](?:dev|development|local|test|testing|e2e|ci|override)\.ya?ml$")


def app_health_gates(model: PipelineModel) -> list[Location]:
    """Health gates that watch the app itself in production: a database's compose healthcheck says nothing
    about a deploy, and a compose file for development, tests or local overrides gates no release."""
    return [g for g in model.platforms.health_gates
            if not _BACKING_SERVICE.match(g.note or "") and not _dev_file(g.path or "")]


def _dev_file(path: str) -> bool:
    return bool(_DEV_PATH.search(path) or _DEV_FILE.search(path))


def _gate_platform(loc: Location) -> str:
    """Which deploy mechanism honours a health gate, from the file that declares it."""
    path = (loc.path or "").lower()
    name = path.rsplit("/", 1)[-1]
    if "compose" in name:
        return "compose"
    if "dockerfile" in name or name.endswith(".dockerfile"):
        return "docker"
    if name == "fly.toml" or name.startswith("fly."):
        return "fly"
    if name.startswith("render."):
        return "render"
    if name.startswith("railway."):
        return "railway"
    if (loc.note or "").startswith("Kamal") or path.startswith("config/deploy"):
        return "kamal"
    return "kubernetes"


# deploy tool -> gate platforms it honours; tools not listed (hooks, scripts, git pushes) get every platform
# gate except container-local ones, which only a compose/docker deploy uses
_TOOL_GATES = {
    "docker": {"compose", "docker"}, "docker-swarm": {"compose", "docker"}, "ssh": {"compose", "docker"},
    "script": {"compose", "docker", "fly", "render", "railway", "kamal", "kubernetes"},
    "ansible": {"compose", "docker"},
    "flyctl": {"fly"}, "render": {"render"}, "railway": {"railway"}, "kamal": {"kamal"},
    "kubectl": {"kubernetes"}, "helm": {"kubernetes"},
    "fastapi-cloud": set(), "vercel": set(), "netlify": set(), "supabase": set(), "supabase-storage": set(),
    "firebase": set(), "wrangler": set(), "github-pages": set(), "surge": set(), "aws-s3": set(),
    "aws-lambda": set(), "serverless": set(),
}


def gates_for_tool(tool: str, gates: list[Location]) -> list[Location]:
    """The health gates that can hold back a release made with `tool`: a compose healthcheck does nothing for
    a FastAPI Cloud or Vercel deploy."""
    allowed = _TOOL_GATES.get(tool)
    if allowed is None:
        return [g for g in gates if _gate_platform(g) not in ("compose", "docker")]
    return [g for g in gates if _gate_platform(g) in allowed]


def _local_gate(loc: Location) -> bool:
    name = (loc.path or "").rsplit("/", 1)[-1].lower()
    return "dockerfile" in name or "compose" in name


def _loc(loc: Location) -> str:
    return f"{loc.path}:{loc.line}" if loc.line else str(loc.path)


def _smoke_locations(wf: Workflow, steps: list[tuple[str, Step]]) -> list[Location]:
    out = []
    for job_id, step in steps:
        job = wf.jobs[job_id]
        if step.continue_on_error or never_runs(job, step) or _only_on_failure(step):
            continue
        for h in step.hits:
            if isinstance(h, Hit) and h.kind is StepKind.SMOKE:
                out.append(Location(step_path(wf, job, step), h.line,
                                    f"smoke ({h.tool}): {h.detail[:100]} ({wf.name or wf.path} / {job_id})"))
                break
    return out


def _only_on_failure(step: Step) -> bool:
    cond = step.condition or ""
    return "failure()" in cond and not re.search(r"always\(\)|success\(\)|!\s*cancelled\(\)", cond)


def _deployment_status_smoke(model: PipelineModel) -> list[Location]:
    out: list[Location] = []
    for wf in model.workflows:
        trig = wf.trigger("deployment_status")
        if trig is None:
            continue
        locs = _smoke_locations(wf, [(jid, s) for jid, j in wf.jobs.items() for s in j.steps
                                     if StepKind.SMOKE in s.kinds])
        if locs:
            out.append(Location(wf.path, trig.line or wf.line, "on: deployment_status"))
            out.extend(locs)
    return out


def smoke_after(model: PipelineModel, dp: DeployPath, status_smoke: list[Location], depth: int = 0) -> list[Location]:
    """Where the deploy path `dp` is smoke-tested, if anywhere."""
    wf, job, step = dp.workflow, dp.job, dp.step
    seq = dp.hit.seq if dp.hit else -1
    same: list[tuple[str, Step]] = []
    for s in job.steps:
        if StepKind.SMOKE not in s.kinds:
            continue
        if s.index > step.index or (s.index == step.index and any(
                isinstance(h, Hit) and h.kind is StepKind.SMOKE and h.seq > seq for h in s.hits)):
            same.append((job.id, s))
    locs = _smoke_locations(wf, same)
    if locs:
        return locs
    for jid in sorted(wf.downstream(job.id)):
        down = wf.jobs[jid]
        raw = down.raw if isinstance(down.raw, dict) else {}
        if raw.get("continue-on-error") is True or down.allow_failure:
            continue
        locs = _smoke_locations(wf, [(jid, s) for s in down.steps if StepKind.SMOKE in s.kinds])
        if locs:
            return locs
    for other in model.workflows:
        trig = other.trigger("workflow_run")
        if other is wf or trig is None:
            continue
        if (wf.name and wf.name in trig.workflows) or wf.path.rsplit("/", 1)[-1] in trig.workflows:
            locs = _smoke_locations(other, [(jid, s) for jid, j in other.jobs.items() for s in j.steps
                                            if StepKind.SMOKE in s.kinds])
            if locs:
                return [Location(other.path, trig.line or other.line, f"on: workflow_run of {wf.name or wf.path}"),
                        *locs]
    if status_smoke and (job.environment or dp.tool in _STATUS_POSTING_TOOLS):
        return status_smoke
    if wf.trigger("workflow_call") is not None and depth < 3:
        # A reusable deploy workflow: a smoke job after the calling job counts.
        for cwf, cjob in callers_of(model, wf):
            locs = smoke_after(model, DeployPath(cwf, cjob, step, dp.hit), status_smoke, depth + 1)
            if locs:
                return locs
    return []


CHECK = SmokeAfterDeploy()
