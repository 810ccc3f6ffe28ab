"""rollback: can a bad deploy be rolled back quickly?

Deploy half. Every way the repository ships code is a deploy path: a CI deploy job, a
platform config (fly.toml, Kamal, Deployer, render.yaml, manifests, ...) or a deploy
script. Each path needs evidence of a way back: a platform rollback it keeps releases
for, immutable image tags, a rollback job, or a documented procedure. Evidence that
there is no way back (`git pull` into the live folder, keep_releases 1,
revisionHistoryLimit 0, only `:latest` images) fails the path.

Migration half. Code goes back in one command; data does not. Every migration is read
(migrations/analyze.py): a destructive one (drop, truncate, retype, rename) is high when nothing
shows a backup before the paths that run migrations (migrations/paths.py) and medium when every
path backs up first; a migration without its framework's way back (no down(), RunPython without
reverse, empty downgrade) warns; PostgreSQL locking operations are reported. `check --deep`
also replays every migration on a scratch database (migrations/replay.py): a schema that
cannot be rebuilt from the repository fails.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from handrail.checks.base import Check, Rule, add_note, unparsed_ci, unparsed_note
from handrail.core.finding import Confidence, Finding, Location, Severity, Status
from handrail.core.git import GitError
from handrail.core.lazyre import lazy_re
from handrail.pipeline.model import Job, PipelineModel, PlatformFacts, Step, StepKind, Workflow
from handrail.pipeline.platforms._util import image_tag_kind, short
from handrail.pipeline.platforms.compose import THIRD_PARTY_MARK
from handrail.pipeline.platforms.deploy_scripts import ScriptFacts, analyse
from handrail.pipeline.platforms.vercel import ROLLBACK_NOTE as VERCEL_NOTE

if TYPE_CHECKING:
    from handrail.core.finding import CheckResult
    from handrail.core.project import Project

MIGRATION_NOTE = "No database migrations found."

# CI deploy tool (pipeline/classify.py) -> platform name used by pipeline/platforms
TOOL_PLATFORM = {"flyctl": "fly", "vercel": "vercel", "heroku": "heroku", "kamal": "kamal", "deployer": "deployer",
                 "capistrano": "capistrano", "kubectl": "kubernetes", "helm": "kubernetes", "render": "render",
                 "netlify": "netlify", "railway": "railway", "docker": "docker-compose", "envoy": "envoy"}
# Tools whose platform keeps releases and rolls back in one step, without repo configuration.
TOOL_ROLLBACK = {
    "vercel": VERCEL_NOTE,
    "heroku": "platform feature: Heroku keeps every release; `heroku rollback vNN` (database not rolled back)",
    "render": "platform feature: Render keeps recent builds; dashboard or API rollback",
    "netlify": "platform feature: Netlify keeps every deploy; publishing an earlier one is an instant rollback",
    "railway": "platform feature: Railway keeps earlier deployments; dashboard Rollback",
    "envoyer": "platform feature: Envoyer keeps releases; redeploying an earlier one re-points `current`",
    "kamal": "`kamal rollback VERSION` (Kamal keeps 5 old containers by default)",
    "deployer": "`dep rollback` (Deployer keeps 10 releases by default)",
    "capistrano": "`cap <stage> deploy:rollback` (Capistrano keeps 5 releases by default)",
    "helm": "`helm rollback` to an earlier chart revision",
    "kubectl": "`kubectl rollout undo` (Deployments keep 10 revisions by default)",
    "docker-swarm": "`docker service rollback` restores the previous service spec",
    "gcloud": "platform feature: Cloud Run / App Engine keep earlier revisions; route traffic back to one",
    "wrangler": "platform feature: `wrangler rollback` / Pages keeps earlier deployments",
    "firebase": "platform feature: Firebase Hosting keeps release history with rollback (hosting only)",
}
# Tools where going back means re-running the deploy from an older commit or image.
TOOL_IMPLICIT = {
    "flyctl": "Fly keeps releases with image refs but has no rollback command: `fly deploy --image <previous ref>`",
    "github-pages": "redeploy an earlier commit (re-run the Pages workflow on it)",
    "supabase": "redeploy functions from an earlier commit (database changes are not undone)",
    "serverless": "redeploy an earlier commit (`serverless rollback` only with retained deployments)",
    "aws-ecs": "update the service back to the previous task definition revision",
    "aws-elasticbeanstalk": "deploy the previous application version again",
    "aws-lambda": "redeploy the previous code or point the alias at an older version",
    "azure": "swap back or redeploy the previous build",
    "dokku": "redeploy an earlier commit with `git push`",
    "supabase-storage": "upload the build of an earlier commit again (the bucket's files are overwritten in place)",
    "git-push": "push an earlier commit to the branch the platform deploys from",
}
# Deploys handed to a target whose releases the repository cannot see (a deploy hook, a hosted platform
# without a rollback the repo configures): the target's own settings decide, so no evidence is not a failure.
OPAQUE_TOOLS = frozenset({"deploy-hook", "forge", "coolify", "dokploy", "caprover", "fastapi-cloud",
                          "gitlab-environment", "git-push", "aws", "aws-amplify", "azure"})
PLATFORM_TOOL = {"fly": "flyctl", "kubernetes": "kubectl"}
IMAGE_PLATFORMS = frozenset({"docker-compose", "kubernetes", "fly"})
IMAGE_TOOLS = frozenset({"docker", "docker-swarm", "kubectl", "helm", "flyctl", "aws-ecs", "gcloud", "azure", "ssh"})
_RETENTION = lazy_re(r"keep_releases|revisionHistoryLimit|retain_containers")
_ROLLBACK_NAME = lazy_re(r"roll[\s_-]?back|revert", re.I)


@dataclass
class DeployPath:
    """One way code reaches production, with what says it can (or cannot) go back."""

    label: str
    anchor: Location
    image_based: bool = False
    good: list[Location] = field(default_factory=list)
    implicit: list[Location] = field(default_factory=list)
    bad: list[Location] = field(default_factory=list)
    mutable: list[Location] = field(default_factory=list)
    extra: list[Location] = field(default_factory=list)  # other files of the same path (CI jobs using it)
    opaque: str = ""  # the deploy goes to a target whose release history the repository cannot show


class Rollback(Check):
    id = "rollback"
    question = "Can a bad deploy be rolled back quickly?"
    why = ("Every deploy can ship a bug that tests missed. If the previous version is still one command away "
           "(kept releases, immutable image tags, a rollback job or a written procedure), an outage lasts "
           "minutes; if the deploy overwrote the live folder or only `:latest` images exist, going back means "
           "rebuilding an old commit under pressure.")
    fix = ("Deploy so the previous release survives (release directories with an atomic `current` symlink, "
           "keep_releases of 3 or more, images tagged with the git SHA), and write the rollback command in "
           "RUNBOOK.md or DEPLOY.md.")
    good_example = ("fly.toml with [deploy] strategy = \"bluegreen\" and a health check, plus RUNBOOK.md "
                    "\"## Rollback: fly releases --image; fly deploy --image registry.fly.io/app:deployment-01H...\"")
    bad_example = ("deploy.sh: ssh prod 'cd /var/www/app && git pull && php artisan migrate' - the old code is "
                   "overwritten and nothing records what ran before")
    rules = (
        Rule("no-rollback-path", Severity.HIGH,
             "A deploy path has no way back: it overwrites the live version in place, or nothing in the "
             "repository shows how to return to the previous release.",
             "Keep the previous release (release directories + symlink, retained images/containers) and document "
             "the rollback command."),
        Rule("single-release-kept", Severity.HIGH,
             "The deploy tool is configured to keep only the current release (keep_releases 1, "
             "revisionHistoryLimit 0, retain_containers 0), so its rollback has nothing to return to.",
             "Keep at least 3 releases (Deployer/Capistrano keep_releases, Kubernetes revisionHistoryLimit)."),
        Rule("mutable-image-tag", Severity.MEDIUM,
             "An image is deployed by a mutable tag (`:latest`, a branch name or no tag): the previous image "
             "cannot be named, so redeploying \"the old version\" pulls the new one again.",
             "Tag images with the git SHA or a version (and deploy that tag); keep `latest` only as an alias."),
        Rule("rollback-undocumented", Severity.LOW,
             "The platform could redeploy an earlier release, but the repository neither configures it nor says "
             "how: the way back would be worked out during the incident.",
             "Write the rollback command for this platform in RUNBOOK.md or DEPLOY.md (e.g. `fly deploy --image "
             "<previous>`)."),
        Rule("rollback-config-unreadable", Severity.LOW,
             "A deploy configuration file could not be parsed, so its rollback settings are unknown.",
             "Fix the syntax error so the platform (and this check) can read the file."),
        Rule("migration-destructive", Severity.HIGH,
             "A migration drops, truncates, retypes or renames existing data: rolling the code back does not "
             "bring the data back, only a backup taken right before it does.",
             "Run migrations through `handrail migrate -- <cmd>` (backup, verified restore, restore on failure) and "
             "split the change into expand/contract steps."),
        Rule("migration-irreversible", Severity.MEDIUM,
             "A migration has no way back in its framework (no down(), RunPython/RunSQL without reverse, empty "
             "downgrade): rolling back means writing the reversal during the incident.",
             "Write the down/downgrade/reverse step, or document why none exists and back up first."),
        Rule("migration-locking", Severity.MEDIUM,
             "A PostgreSQL migration takes a long exclusive lock or fails on a table that already has rows.",
             "Use CONCURRENTLY / NOT VALID + VALIDATE / nullable-then-backfill; set lock_timeout "
             "(handrail migrate --lock-timeout 5s)."),
        Rule("migration-unparsed", Severity.MEDIUM,
             "A migration could not be parsed, so what it does to the data is unknown.",
             "Fix the syntax: the database will reject what its parser rejects."),
        Rule("migration-replay-failed", Severity.HIGH,
             "Replaying every migration from zero on a scratch database failed (`check --deep`): the schema "
             "cannot be rebuilt from the repository, so a lost or broken database cannot be recreated.",
             "Fix or squash the failing migration until `handrail migrations replay` succeeds."),
    )

    def run(self, project: Project) -> CheckResult:
        return _with_migrations(self, project, self._deploy_half(project))

    def _deploy_half(self, project: Project) -> CheckResult:
        model = project.pipeline
        facts = model.platforms
        findings = [self.finding("rollback-config-unreadable", f"{i.path} cannot be parsed: {i.message}", i.path,
                                 i.line, key=f"parse:{i.path}") for i in facts.invalid if i.path != "(platforms)"]
        third_party = _third_party_tags(model, facts)
        platform_paths = _platform_paths(facts, third_party)
        paths = list(platform_paths.values()) + _ci_paths(model, platform_paths)
        script_paths = _script_paths(facts)
        paths = _link_scripts(paths, script_paths, model) + [p for p in script_paths if not p.extra]
        if not paths:
            summary = ("No deploy path found (no CI deploy job, deploy platform config or deploy script); the hosting "
                       "platform's own settings decide whether a deploy can be rolled back.")
            if facts.invalid:
                summary = "Some deploy files could not be parsed. " + summary
            summary = add_note(summary, unparsed_note(unparsed_ci(model)))
            return self.unknown(summary, evidence=[Location(i.path, i.line, "unparseable") for i in facts.invalid],
                                findings=findings)

        global_good = _documented(facts) + _ci_rollback(model)
        ci_immutable, ci_mutable = _ci_image_tags(model)
        for p in paths:
            p.good.extend(loc for loc in global_good if loc not in p.good)
            if p.image_based:
                p.good.extend(loc for loc in ci_immutable if loc not in p.good)
        return self._judge(paths, facts, ci_mutable, findings, unparsed_ci(model), third_party)

    # --- verdict ------------------------------------------------------------------------
    def _judge(self, paths: list[DeployPath], facts: PlatformFacts, ci_mutable: list[Location],
               findings: list[Finding], unparsed: list[str], third_party: frozenset[Location] = frozenset(),
               ) -> CheckResult:
        status = Status.PASS
        evidence: list[Location] = []
        failing: list[str] = []
        warning: list[str] = []
        tag_findings: dict[Location, Finding] = {}
        for p in paths:
            evidence.append(p.anchor)
            evidence.extend(p.extra)
            if p.bad:
                failing.append(p.label)
                for loc in p.bad:
                    rule = "single-release-kept" if _RETENTION.search(loc.note) else "no-rollback-path"
                    findings.append(self.finding(rule, f"{p.label}: {loc.note}", loc.path, loc.line,
                                                 key=f"{rule}:{loc.note[:60]}", related=[p.anchor, *p.good][:8]))
                evidence.extend(p.bad)
            elif p.good:
                evidence.extend(p.good)
                continue
            elif p.mutable and p.image_based:
                failing.append(p.label)
                for loc in p.mutable:
                    tag_findings[loc] = self.finding(
                        "mutable-image-tag", f"{p.label}: only mutable image tags "
                        f"({loc.note.removesuffix(THIRD_PARTY_MARK)}); there is no "
                        "earlier image to go back to", loc.path, loc.line, key=f"tag:{loc.note}",
                        severity=Severity.HIGH, related=[p.anchor])
                evidence.extend(p.mutable)
            elif p.implicit:
                warning.append(p.label)
                loc = p.implicit[0]
                findings.append(self.finding("rollback-undocumented", f"{p.label}: {loc.note}; no rollback "
                                             "procedure is configured or documented", loc.path, loc.line,
                                             key=f"implicit:{p.label}", related=p.implicit[1:]))
                evidence.extend(p.implicit)
            elif p.opaque:
                # a deploy hook or hosted target: whether it keeps releases is in its settings, not here
                warning.append(p.label)
                findings.append(self.finding(
                    "no-rollback-path", f"{p.label}: deploys through {p.opaque}, whose own settings decide whether "
                    "an earlier release can be restored; nothing in the repository shows a way back (no rollback "
                    "job or documented procedure)", p.anchor.path, p.anchor.line, key=f"nothing:{p.label}",
                    severity=Severity.MEDIUM, confidence=Confidence.LOW))
            else:
                failing.append(p.label)
                findings.append(self.finding(
                    "no-rollback-path", f"{p.label}: nothing in the repository shows a way back (no kept releases, "
                    "immutable image tags, rollback job or documented procedure); the target's own settings "
                    "decide", p.anchor.path, p.anchor.line, key=f"nothing:{p.label}", confidence=Confidence.MEDIUM))
        for loc in [*facts.mutable_tags, *ci_mutable]:
            if loc not in tag_findings:
                low = loc in third_party
                note = loc.note if low else loc.note.removesuffix(THIRD_PARTY_MARK)
                tag_findings[loc] = self.finding(
                    "mutable-image-tag", f"mutable image tag: {note}" + (
                        "; the app's rollback does not depend on it, but pinning it keeps redeploys reproducible"
                        if low else ""), loc.path, loc.line, key=f"tag:{loc.note}",
                    severity=Severity.LOW if low else None)
        findings.extend(tag_findings.values())
        evidence = list(dict.fromkeys(evidence))
        n = len(paths)
        if failing:
            status = Status.FAIL
            summary = f"{len(failing)} of {n} deploy path(s) have no evidenced way back: {', '.join(failing[:4])}."
        elif warning:
            status = Status.WARN
            summary = (f"{len(warning)} of {n} deploy path(s) rely on an undocumented platform redeploy: "
                       f"{', '.join(warning[:4])}.")
        elif any(f.severity is not Severity.LOW for f in tag_findings.values()):
            status = Status.WARN
            summary = (f"Every deploy path ({n}) has a way back, but {len(tag_findings)} image reference(s) use a "
                       "mutable tag.")
        else:
            summary = f"Every deploy path ({n}) has rollback evidence: {', '.join(p.label for p in paths[:4])}."
        if unparsed:  # a deploy in a workflow nobody could read may have no way back: never pass over it
            summary = add_note(summary, unparsed_note(unparsed))
            status = Status.UNKNOWN if status is Status.PASS else status
        return self.result(status, summary, findings, evidence)


# --- deploy paths ---------------------------------------------------------------------------
def _platform_paths(facts: PlatformFacts, third_party: frozenset[Location] = frozenset()) -> dict[str, DeployPath]:
    out = {}
    for name, anchor in facts.platforms.items():
        def mine(locs: list[Location], name: str = name) -> list[Location]:
            return [loc for loc in locs if loc.path and facts.sources.get(loc.path) == name]

        mutable = [loc for loc in mine(facts.mutable_tags) if loc not in third_party]
        good = mine(facts.rollback)
        if any(loc.note.endswith(THIRD_PARTY_MARK) for loc in mutable):
            # compose credited pinned service images while this CI-pushed image looked third-party: a pinned
            # database does not make a `:latest` app image reversible
            good = [loc for loc in good if "is an immutable tag" not in loc.note]
        path = DeployPath(label=name, anchor=anchor, image_based=name in IMAGE_PLATFORMS,
                          good=good, implicit=mine(facts.implicit_rollback),
                          bad=mine(facts.no_rollback), mutable=mutable)
        tool = PLATFORM_TOOL.get(name, name)
        if not (path.good or path.implicit or path.bad or path.mutable):  # named only by a script running its CLI
            if tool in TOOL_ROLLBACK:
                path.good.append(Location(anchor.path, anchor.line, TOOL_ROLLBACK[tool]))
            elif tool in TOOL_IMPLICIT:
                path.implicit.append(Location(anchor.path, anchor.line, TOOL_IMPLICIT[tool]))
        out[name] = path
    return out


def _script_paths(facts: PlatformFacts) -> list[DeployPath]:
    """Deploy scripts that do not wrap a known platform are deploy paths of their own."""
    out = []
    for anchor in facts.deploy_scripts:
        if anchor.path in facts.sources:
            continue

        def mine(locs: list[Location], path: str | None = anchor.path) -> list[Location]:
            return [loc for loc in locs if loc.path == path]

        mutable = mine(facts.mutable_tags)
        out.append(DeployPath(label=anchor.path or "deploy script", anchor=anchor, image_based=bool(mutable),
                              good=mine(facts.rollback), bad=mine(facts.no_rollback), mutable=mutable))
    return out


def _deploy_tool(job: Job) -> str | None:
    for step in job.steps_of(StepKind.DEPLOY):
        if step.deploy_tool:
            return step.deploy_tool
    return None


def _step_text(step: Step) -> list[tuple[str, int, bool]]:
    """(text, first line, is_run) of what a step executes: its run script or an ssh action's script."""
    out = []
    if step.run:
        out.append((step.run, step.run_line or step.line, True))
    for key in ("script", "command", "script_after", "script_before"):
        value = step.with_.get(key) if isinstance(step.with_, dict) else None
        if isinstance(value, str) and value.strip():
            out.append((value, step.line, False))
    return out


def _ci_paths(model: PipelineModel, platforms: dict[str, DeployPath]) -> list[DeployPath]:
    """CI deploy jobs: a job deploying to a configured platform joins that platform's path."""
    out: list[DeployPath] = []
    for wf, job in model.deploy_jobs():
        tool = _deploy_tool(job) or "unknown tool"
        anchor = Location(wf.path, job.line, f"CI deploy job {job.id} ({tool})")
        platform = platforms.get(TOOL_PLATFORM.get(tool, "")) or _wrapped_platform(model, job, platforms, tool)
        if platform is not None:
            platform.extra.append(anchor)
            path = platform
        else:
            path = DeployPath(label=f"{wf.path}:{job.id}", anchor=anchor, image_based=tool in IMAGE_TOOLS)
            deploys = job.steps_of(StepKind.DEPLOY)
            line = (deploys[0].detail_line or deploys[0].line) if deploys else job.line
            if tool in TOOL_ROLLBACK:
                path.good.append(Location(wf.path, line, TOOL_ROLLBACK[tool]))
            elif tool in OPAQUE_TOOLS:
                path.opaque = tool
            elif tool in TOOL_IMPLICIT:
                path.implicit.append(Location(wf.path, line, TOOL_IMPLICIT[tool]))
            out.append(path)
        for step in job.steps:
            if step.kinds & {StepKind.DEPLOY, StepKind.ROLLBACK, StepKind.PUBLISH, StepKind.BUILD}:
                on_server = "self-hosted" in str(job.runs_on or "")
                for text, start, is_run in _step_text(step):
                    _apply_script(path, analyse(text), wf.path, start, is_run, on_server)
    return out


_GIT_PUSH_PLATFORMS = ("heroku", "render", "railway", "netlify", "vercel", "dokku")


def _wrapped_platform(model: PipelineModel, job: Job, platforms: dict[str, DeployPath],
                      tool: str) -> DeployPath | None:
    """The configured platform a CI deploy really goes to: a deploy script that runs a platform CLI
    (`./scripts/deploy.sh` -> vercel), or a git push to the branch a git-deploy platform watches."""
    facts = model.platforms
    if tool == "git-push":
        return next((platforms[n] for n in _GIT_PUSH_PLATFORMS if n in platforms), None)
    text = "\n".join(t for s in job.steps_of(StepKind.DEPLOY) for t, _, _ in _step_text(s))
    for script, name in facts.sources.items():
        if name in platforms and script in {loc.path for loc in facts.deploy_scripts} and \
                re.search(rf"(?:^|[\s/'\"]){re.escape(script)}\b", text):
            return platforms[name]
    return None


def _third_party_tags(model: PipelineModel, facts: PlatformFacts) -> frozenset[Location]:
    """Mutable tags of images this repository neither builds nor pushes (compose marks them; CI or a deploy
    script naming the image makes it the app's own again)."""
    marked = [loc for loc in facts.mutable_tags if loc.note.endswith(THIRD_PARTY_MARK)]
    if not marked:
        return frozenset()
    texts = [t for _, job in model.jobs() for s in job.steps for t, _, _ in _step_text(s)]
    texts.extend(v for _, job in model.jobs() for s in job.steps if isinstance(s.with_, dict)
                 for v in s.with_.values() if isinstance(v, str))
    blob = "\n".join(texts)
    out = set()
    for loc in marked:
        ref = loc.note.removesuffix(THIRD_PARTY_MARK).split(": image ", 1)[-1]
        repo = re.split(r"[:@]", ref.rsplit("/", 1)[-1], maxsplit=1)[0]
        # built, tagged or pushed by CI (`docker build -t`, `docker push`, `tags:`): the app's own image
        pushed = rf"(?:-t|--tag|push|tags?:|image:)\s*[\"']?(?:[\w.\-${{}}]+/)*{re.escape(repo)}\b"
        if not repo or not re.search(pushed, blob):
            out.add(loc)
    return frozenset(out)


def _apply_script(path: DeployPath, sf: ScriptFacts, file: str, start: int, is_run: bool,
                  on_server: bool = False) -> None:
    """Fold one CI script into a path. A `git pull` counts as an in-place deploy only where it runs on
    a server: inside ssh, in an ssh action's script (not `run`), or on a self-hosted runner."""
    def at(off: int) -> int:
        return start + off if is_run else start

    in_place = sf.in_place if (on_server or not is_run) else sf.in_place_remote()
    for off, line in sf.release_layout[:1]:
        path.good.append(Location(file, at(off), f"release directory layout, atomic switch: {short(line, 90)}"))
    for off, line in sf.rollback_cmds:
        path.good.append(Location(file, at(off), f"rollback command: {short(line, 90)}"))
    for off, line in in_place:
        path.bad.append(Location(file, at(off), f"in-place update of the live folder: {short(line, 90)} (the previous "
                                                "version is overwritten)"))
    for off, ref in sf.immutable:
        path.good.append(Location(file, at(off), f"immutable image tag {ref}"))
    for off, ref in [] if sf.immutable else sf.mutable:  # `:latest` next to a SHA tag is only an alias
        path.mutable.append(Location(file, at(off), f"image {ref}"))
        path.image_based = True


def _link_scripts(paths: list[DeployPath], scripts: list[DeployPath], model: PipelineModel) -> list[DeployPath]:
    """A CI job that runs a repository deploy script inherits that script's evidence."""
    jobs = {(wf.path, job.line): job for wf, job in model.deploy_jobs()}
    for p in paths:
        texts = []
        for loc in (p.anchor, *p.extra):
            job = jobs.get((loc.path or "", loc.line or 0))
            if job is not None:
                texts.extend(t for s in job.steps for t, _, _ in _step_text(s))
        text = "\n".join(texts)
        if not text:
            continue
        for sp in scripts:
            name = sp.anchor.path or ""
            if name and re.search(rf"(?:^|[\s/'\"]){re.escape(name)}\b", text):
                p.good.extend(loc for loc in sp.good if loc not in p.good)
                p.bad.extend(loc for loc in sp.bad if loc not in p.bad)
                p.mutable.extend(loc for loc in sp.mutable if loc not in p.mutable)
                p.image_based = p.image_based or sp.image_based
                p.extra.append(sp.anchor)
                sp.extra.append(p.anchor)
    return paths


# --- evidence that applies to every path ------------------------------------------------------
def _documented(facts: PlatformFacts) -> list[Location]:
    scripts = {loc.path for loc in facts.deploy_scripts}
    return [loc for loc in facts.rollback
            if loc.path not in facts.sources and loc.path not in scripts and loc.note.startswith("documented")]


def _ci_rollback(model: PipelineModel) -> list[Location]:
    out: list[Location] = []
    for wf in model.workflows:
        dispatch = wf.trigger("workflow_dispatch")
        named = bool(_ROLLBACK_NAME.search(f"{wf.name or ''} {wf.path.rsplit('/', 1)[-1]}"))
        for job in wf.jobs.values():
            for step in job.steps_of(StepKind.ROLLBACK):
                out.append(Location(wf.path, step.detail_line or step.line, f"rollback step in job {job.id}: "
                                                                           f"{short(step.detail or step.label, 80)}"))
            job_named = bool(_ROLLBACK_NAME.search(f"{job.id} {job.name or ''}"))
            if dispatch and (named or job_named) and not job.has(StepKind.ROLLBACK) and job.steps:
                out.append(Location(wf.path, job.line, f"manually dispatched rollback job {job.id}"))
    return out


def _ci_image_tags(model: PipelineModel) -> tuple[list[Location], list[Location]]:
    """Image tags pushed or deployed by CI: (immutable, mutable) locations."""
    immutable: list[Location] = []
    mutable: list[Location] = []
    for wf in model.workflows:
        for job in wf.jobs.values():
            for step in job.steps:
                if not step.kinds & {StepKind.DEPLOY, StepKind.PUBLISH, StepKind.BUILD}:
                    continue
                imm, mut = _step_tags(wf, step)
                immutable.extend(imm)
                mutable.extend(mut)
    return immutable, mutable


def _step_tags(wf: Workflow, step: Step) -> tuple[list[Location], list[Location]]:
    imm: list[Location] = []
    mut: list[Location] = []
    tags = step.with_.get("tags") if isinstance(step.with_, dict) else None
    if isinstance(tags, str) and step.kinds & {StepKind.PUBLISH, StepKind.DEPLOY}:
        refs = [t.strip() for t in re.split(r"[\n,]", tags) if t.strip()]
        kinds = [image_tag_kind(r) for r in refs]
        if "immutable" in kinds:
            imm.append(Location(wf.path, step.line, f"image pushed with an immutable tag "
                                                    f"{refs[kinds.index('immutable')]}"))
        elif refs and all(k == "mutable" for k in kinds):
            mut.extend(Location(wf.path, step.line, f"image {r}") for r in refs)
    if step.run and step.kinds & {StepKind.PUBLISH, StepKind.DEPLOY}:
        sf = analyse(step.run)
        start = step.run_line or step.line
        imm.extend(Location(wf.path, start + off, f"image pushed with an immutable tag {ref}") for off, ref in
                   sf.immutable)
        if not sf.immutable:
            mut.extend(Location(wf.path, start + off, f"image {ref}") for off, ref in sf.mutable)
    return imm, mut


# --- migration half -------------------------------------------------------------------------
_RANK = {Status.PASS: 0, Status.UNKNOWN: 1, Status.WARN: 2, Status.FAIL: 3}


@dataclass
class _Coverage:
    """Whether a backup precedes every place that runs migrations (migrations/paths.py)."""

    backed: list[Location] = field(default_factory=list)  # the backups found before migration paths
    unbacked: list[Location] = field(default_factory=list)  # migration paths with nothing before them

    @property
    def every_path(self) -> bool:
        return bool(self.backed) and not self.unbacked


def _coverage(project: Project) -> _Coverage:
    from handrail.migrations.paths import migration_paths

    out = _Coverage()
    try:
        paths = migration_paths(project)
    except Exception:  # the pipeline model could not be built: coverage is unknown, never assumed
        return out
    for p in paths:
        if p.backup is not None:
            out.backed.append(p.backup)
        else:
            out.unbacked.append(p.location)
    return out


def _with_migrations(check: Rollback, project: Project, deploy: CheckResult) -> CheckResult:
    """Fold the migration half into the deploy half's result: the worse status wins (unknown ranks below warn)."""
    from handrail.migrations import analyze_migrations, discover_migrations, migration_findings

    migrations = discover_migrations(project)
    if not migrations:
        deploy.summary = f"{deploy.summary} {MIGRATION_NOTE}"
        return deploy
    analyses = analyze_migrations(project, migrations)
    cover = _coverage(project)
    findings = migration_findings(analyses)
    applied = _applied(project, [m.path for m in migrations]) or {}
    for f in findings:
        if f.rule == "migration-destructive":
            _weigh_destructive(f, cover)
    findings = _fold_history(check, findings, applied)
    replay_note = ""
    if project.deep:
        replay_finding, replay_note, replay_evidence = _replay(check, project)
        if replay_finding is not None:
            findings.append(replay_finding)
        deploy.evidence.extend(replay_evidence)
    else:
        replay_note = "replay not run (`handrail check --deep` rebuilds the schema on a scratch database)"
    deploy.findings.extend(findings)
    frameworks = sorted({m.framework for m in migrations})
    deploy.evidence.extend(dict.fromkeys(Location(m.path, 1, f"{m.framework} migration analysed")
                                         for m in migrations[:1] + migrations[-1:]))
    deploy.evidence.extend(cover.backed[:5])

    counts = {rule: sum(1 for f in findings if f.rule == rule and not f.key.startswith("history:")) for rule in
              ("migration-destructive", "migration-irreversible", "migration-locking", "migration-unparsed")}
    parts = [f"{counts['migration-destructive']} destructive", f"{counts['migration-irreversible']} without a way "
             f"back", f"{counts['migration-locking']} locking", f"{counts['migration-unparsed']} unparsed"]
    backed = ("a backup precedes every path that runs them" if cover.every_path else
              f"{len(cover.unbacked)} path(s) run them without a backup first" if cover.unbacked else
              "no backup step is visible where they run")
    history = (f" ({len(applied)} added more than {RECENT_DAYS} days before HEAD are treated as applied: their "
               "findings are low)") if applied else ""
    summary = (f"Migrations: {len(migrations)} file(s) ({', '.join(frameworks)}): {', '.join(parts)}{history}; "
               f"{backed}; {replay_note}.")
    status = Status.PASS
    if any(f.severity in (Severity.HIGH, Severity.CRITICAL) for f in findings):
        status = Status.FAIL
    elif any(f.severity is Severity.MEDIUM for f in findings):
        status = Status.WARN
    if _RANK[status] > _RANK[deploy.status]:  # a known problem outranks an unjudged deploy half; a pass does not
        deploy.status = status
    deploy.summary = f"{deploy.summary} {summary}"
    return deploy


RECENT_DAYS = 30


def _applied(project: Project, paths: list[str]) -> dict[str, int] | None:
    """Migrations added to git more than RECENT_DAYS before HEAD's commit, with their add time: those have almost
    certainly run in production already, so rolling back the next deploy does not involve them. Measured against
    HEAD, not the clock, so a result never changes with the day it is computed. Renames are not followed: a file
    git pairs with a deleted one ("Fix migrations after rebase") still has its own add date, and a migration file
    renamed is a new migration to most frameworks. None (every migration counts) when
    git cannot tell: no repository, no commits, or a shallow clone where every file looks newly added."""
    facts = project.git_facts
    if not facts.is_repo or not facts.head or facts.shallow:
        return None
    try:
        head = int(project.git.text("log", "-1", "--format=%ct", "HEAD"))
        dirs = sorted({p.rsplit("/", 2)[0] if p.endswith("/migration.sql") else p.rsplit("/", 1)[0]
                       for p in paths if "/" in p})[:200]
        raw = project.git.text("-c", "core.quotepath=off", "log", "--no-renames", "--relative", "--diff-filter=A",
                               "--format=@@%ct", "--name-only", "HEAD", "--", *(dirs or ["."]))
    except (GitError, ValueError):
        return None
    added: dict[str, int] = {}
    when = 0
    for line in raw.splitlines():
        if line.startswith("@@"):
            when = int(line[2:] or 0)
        elif line:
            added.setdefault(line, when)  # newest first: a file deleted and added again counts from its re-add
    wanted = set(paths)
    dirty = facts.dirty
    cutoff = head - RECENT_DAYS * 86400
    out = {}
    for path, t in added.items():
        if path in wanted and t < cutoff and not any(path == d or (d.endswith("/") and path.startswith(d))
                                                     for d in dirty):
            out[path] = t
    return out


def _fold_history(check: Rollback, findings: list[Finding], applied: dict[str, int]) -> list[Finding]:
    """Findings in migrations that have long since run become one low finding per rule listing every place: a
    2023 DROP COLUMN cannot be undone by the next rollback, and documenso's 210 such findings would bury the few
    that can."""
    keep: list[Finding] = []
    old: dict[str, list[Finding]] = {}
    for f in findings:
        if f.path in applied:
            old.setdefault(f.rule, []).append(f)
        else:
            keep.append(f)
    for rule, group in old.items():
        newest = max(applied[f.path or ""] for f in group)
        first = group[0]
        keep.append(check.finding(
            rule, f"{len(group)} {rule.removeprefix('migration-')} finding(s) in migrations added more than "
            f"{RECENT_DAYS} days before HEAD (newest {time.strftime('%Y-%m-%d', time.gmtime(newest))}), treated "
            f"as already applied: first {first.path}:{first.line}: {first.message}", first.path, first.line,
            key=f"history:{rule}", severity=Severity.LOW, confidence=first.confidence, evidence=first.evidence,
            related=[Location(f.path, f.line, f.message[:120]) for f in group[1:201]]))
    return keep


def _weigh_destructive(f: Finding, cover: _Coverage) -> None:
    """A destructive change with a verified backup before it is recoverable; without one it is not."""
    if cover.every_path:
        if f.severity is Severity.HIGH:
            f.severity = Severity.MEDIUM
        f.message += "; a backup is taken before every path that runs migrations, so the data can be restored"
        f.related = [*f.related, *cover.backed[:3]]
    elif cover.unbacked:
        f.message += "; no backup runs before " + ", ".join(f"{loc.path}:{loc.line}" for loc in cover.unbacked[:3])
        f.related = [*f.related, *cover.unbacked[:3]]
    else:
        f.message += "; nothing in the repository shows a backup before migrations run"
        f.confidence = Confidence.MEDIUM if f.confidence is Confidence.HIGH else f.confidence


def _replay(check: Rollback, project: Project) -> tuple[Finding | None, str, list[Location]]:
    """`check --deep`: rebuild the schema from zero. Only a replay that ran and failed is a finding; a replay that
    could not run (no server, framework tool missing) is said in the summary, never counted as a pass."""
    from handrail.migrations.replay import replay

    try:
        res = replay(project)
    except Exception as exc:  # a replay bug must not take the rest of the check down
        return None, f"replay could not run ({exc.__class__.__name__}: {exc})", []
    if res.status == "ok":
        where = [Location(p, 1, "replayed") for p in res.applied[-1:]]
        return None, (f"replay rebuilt the schema from {len(res.applied)} migration(s) on a scratch {res.engine} "
                      f"database in {res.seconds:.1f}s ({res.method})"), where
    if res.status == "failed":
        finding = check.finding(
            "migration-replay-failed", f"replaying migrations from zero on a scratch {res.engine} database failed "
            f"after {len(res.applied)} migration(s): {res.message}", res.failed_path, res.failed_line,
            key=f"replay:{res.failed_path}", evidence=res.message)
        return finding, f"replay failed at {res.failed_path or '?'}:{res.failed_line or '?'}", []
    return None, f"replay not possible: {res.message}", []


CHECK = Rollback()
