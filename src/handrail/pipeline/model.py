"""One pipeline model for GitHub Actions and GitLab CI.

Providers parse into these types (`pipeline/github.py`, `pipeline/gitlab.py`); the
step classifier (`pipeline/classify.py`) fills `Step.kinds` and `Step.deploy_tool`;
platform configuration outside CI (fly.toml, render.yaml, Procfile, Kamal, Deployer,
Dockerfile, vercel.json, ...) is read by `pipeline/platforms/` into `PlatformFacts`.
Checks only read this model; they never open workflow files themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from handrail.core.finding import Location


class StepKind(StrEnum):
    CHECKOUT = "checkout"
    TEST = "test"  # runs the project's tests (aliases resolved)
    BUILD = "build"
    DEPLOY = "deploy"  # ships code or schema to a running environment
    SMOKE = "smoke"  # checks the deployed thing answers (HTTP, Playwright/Checkly against a URL)
    MIGRATE = "migrate"  # runs database migrations
    BACKUP = "backup"
    PUBLISH = "publish"  # pushes an artefact (image, package) without deploying it
    ROLLBACK = "rollback"


@dataclass
class Trigger:
    event: str  # push, pull_request, pull_request_target, workflow_run, deployment_status, schedule, ...
    line: int = 0
    branches: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    workflows: list[str] = field(default_factory=list)  # workflow_run: names of the upstream workflows


@dataclass
class Permissions:
    """GitHub token permissions as declared. `kind` is 'map', 'read-all', 'write-all' or 'none'
    ('none' = `permissions: {}`); an undeclared block is `None` on the owner, not an instance."""

    kind: str
    scopes: dict[str, str] = field(default_factory=dict)  # scope -> read|write|none
    line: int = 0

    def writes(self) -> list[str]:
        if self.kind == "write-all":
            return ["*"]
        return sorted(s for s, v in self.scopes.items() if v == "write")


@dataclass
class SecretUse:
    name: str  # e.g. GITHUB_TOKEN, VERCEL_TOKEN, CI variable name
    line: int
    context: str = ""  # where: env, with, run, ...
    path: str | None = None  # file of `line` when not the job's workflow_path (GitLab extends/include)


@dataclass
class Step:
    index: int
    line: int
    name: str | None = None
    uses: str | None = None  # GitHub action reference (owner/repo@ref, ./local, docker://)
    run: str | None = None  # shell script text
    run_line: int = 0  # line of the script's first line (block scalars start on the line after `run: |`)
    with_: dict[str, Any] = field(default_factory=dict)
    env: dict[str, Any] = field(default_factory=dict)
    condition: str | None = None
    continue_on_error: bool = False
    kinds: set[StepKind] = field(default_factory=set)
    deploy_tool: str | None = None  # vercel, flyctl, heroku, kamal, ssh, kubectl, ...
    detail: str = ""  # the command or action that made the classifier decide
    detail_line: int = 0  # line of `detail` (inside a multi-line run block when known)
    path: str | None = None  # file of `line` when not the job's workflow_path (GitLab extends/include)
    hits: list[Any] = field(default_factory=list)  # classify.Hit per recognised command, in script order

    @property
    def label(self) -> str:
        if self.name or self.uses:
            return self.name or self.uses or ""
        lines = (self.run or "").strip().splitlines()
        return lines[0][:80] if lines else f"step {self.index + 1}"

    def line_in_run(self, offset: int) -> int:
        """File line of the `offset`-th (0-based) line of the run script."""
        return (self.run_line or self.line) + offset


@dataclass
class Job:
    id: str
    workflow_path: str
    line: int
    name: str | None = None
    needs: list[str] = field(default_factory=list)
    condition: str | None = None
    environment: str | None = None
    environment_url: str | None = None
    environment_line: int = 0
    permissions: Permissions | None = None
    steps: list[Step] = field(default_factory=list)
    secrets: list[SecretUse] = field(default_factory=list)
    uses: str | None = None  # reusable workflow call
    secrets_inherit: bool = False
    stage: str | None = None  # GitLab
    when: str | None = None  # GitLab: on_success, manual, always, never, on_failure
    allow_failure: bool = False
    extends: list[str] = field(default_factory=list)  # GitLab
    runs_on: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def kinds(self) -> set[StepKind]:
        out: set[StepKind] = set()
        for s in self.steps:
            out |= s.kinds
        return out

    def has(self, kind: StepKind) -> bool:
        return any(kind in s.kinds for s in self.steps)

    def steps_of(self, kind: StepKind) -> list[Step]:
        return [s for s in self.steps if kind in s.kinds]


@dataclass
class Workflow:
    provider: str  # github | gitlab
    path: str
    name: str | None = None
    triggers: list[Trigger] = field(default_factory=list)
    permissions: Permissions | None = None
    jobs: dict[str, Job] = field(default_factory=dict)
    stages: list[str] = field(default_factory=list)  # GitLab order
    env: dict[str, Any] = field(default_factory=dict)
    line: int = 1

    def trigger(self, event: str) -> Trigger | None:
        for t in self.triggers:
            if t.event == event:
                return t
        return None

    def upstream(self, job_id: str) -> set[str]:
        """Jobs that must succeed before `job_id` starts (transitive needs; GitLab earlier stages)."""
        seen: set[str] = set()
        stack = list(self.jobs[job_id].needs) if job_id in self.jobs else []
        while stack:
            jid = stack.pop()
            if jid in seen or jid not in self.jobs:
                continue
            seen.add(jid)
            stack.extend(self.jobs[jid].needs)
        return seen

    def downstream(self, job_id: str) -> set[str]:
        return {jid for jid in self.jobs if job_id in self.upstream(jid)}


@dataclass
class InvalidFile:
    """A CI or platform file that could not be parsed or is not a valid workflow."""

    path: str
    message: str
    line: int | None = None


@dataclass
class PlatformFacts:
    """What deploy platform configuration outside CI says, each fact with its location.

    Filled by `pipeline/platforms/`; one small reader per platform file.
    """

    platforms: dict[str, Location] = field(default_factory=dict)  # name -> file that declares it
    health_gates: list[Location] = field(default_factory=list)  # fly checks, healthCheckPath, HEALTHCHECK, ...
    rollback: list[Location] = field(default_factory=list)  # auto_rollback, keep_releases, rollback docs
    release_commands: list[Location] = field(default_factory=list)  # Procfile release, release_command
    deploy_scripts: list[Location] = field(default_factory=list)  # deploy.sh, Envoy, Forge scripts
    mutable_tags: list[Location] = field(default_factory=list)  # image: app:latest in deploy config
    start_commands: list[Location] = field(default_factory=list)  # production start commands (note = cmd)
    invalid: list[InvalidFile] = field(default_factory=list)
    # rollback that exists only as an undocumented manual redeploy (Fly default: `fly deploy --image <old>`)
    implicit_rollback: list[Location] = field(default_factory=list)
    # evidence that a deploy cannot go back: in-place `git pull`, keep_releases 1, revisionHistoryLimit 0
    no_rollback: list[Location] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # config file or deploy script -> platform name


@dataclass
class PipelineModel:
    workflows: list[Workflow] = field(default_factory=list)
    invalid: list[InvalidFile] = field(default_factory=list)
    platforms: PlatformFacts = field(default_factory=PlatformFacts)
    script_aliases: dict[str, str] = field(default_factory=dict)  # "npm test" -> "vitest run", ...

    def jobs(self) -> list[tuple[Workflow, Job]]:
        return [(wf, job) for wf in self.workflows for job in wf.jobs.values()]

    def deploy_jobs(self) -> list[tuple[Workflow, Job]]:
        return [(wf, job) for wf, job in self.jobs() if job.has(StepKind.DEPLOY)]
