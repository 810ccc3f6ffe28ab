"""Migration paths: every place the repository runs migrations against a deployed database, with the backup
that runs before each one on the same path.

Shared by the `backups` check (is there a backup first?) and `rollback` (can the migration be undone?). The
sources are what the pipeline model already reads: CI steps (`Step.hits`, re-read per command so repository
scripts a step calls are followed), platform release commands, deploy scripts, start commands and Dockerfiles,
plus the few places no platform reader records (Deployer tasks, package.json lifecycle scripts, Compose
`command:`, render/vercel build commands). A migration in a CI job that tests against a throwaway database (a
service container, localhost) is not a path: only deployed databases lose data.

A backup counts when it runs before the migration and the migration cannot start without it: earlier in the
same command or script (not swallowed by `|| true`), an earlier step of the same job, or a job the migrating
job needs. A backup in a parallel job does not count: nothing orders it before the migration.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handrail.core.finding import Location
from handrail.core.lazyre import lazy_re
from handrail.core.project import ParseError
from handrail.pipeline.classify import classify_text, logical_lines, never_runs, split_commands, tokens
from handrail.pipeline.model import Job, PipelineModel, Step, StepKind, Workflow
from handrail.pipeline.platforms._util import short
from handrail.pipeline.platforms.compose import files as compose_files
from handrail.pipeline.platforms.compose import is_deploy_file
from handrail.pipeline.platforms.docker import instructions
from handrail.pipeline.scripts import canonical, manifest_scripts

if TYPE_CHECKING:
    from handrail.core.project import Project

KINDS = ("ci", "release", "deploy-script", "deployer", "container", "package-script")
MAX_DEPTH = 5  # scripts and aliases followed from a command (CMD -> npm script -> npm-run-all -> node file)


@dataclass(frozen=True)
class MigrationPath:
    """One place that runs migrations against a deployed database."""

    kind: str  # one of KINDS
    location: Location  # file:line of the migrate command
    command: str  # the command text, shortened
    backup: Location | None  # the backup / `handrail migrate` / `handrail backup` before it on this path, or None
    environment: str | None = None  # CI environment / platform name when known


@dataclass(frozen=True)
class Event:
    """A migrate or backup command found in a script, in run order."""

    kind: StepKind  # MIGRATE or BACKUP
    loc: Location
    detail: str
    both: bool = False  # `handrail migrate -- cmd`: backs up, then migrates
    swallowed: bool = False  # `pg_dump ... || true`: its failure does not stop what follows
    remote: bool = False  # runs on a server (inside ssh, heroku run, fly ssh)


_CACHE: weakref.WeakKeyDictionary[Any, tuple[int, list[MigrationPath]]] = weakref.WeakKeyDictionary()


def migration_paths(project: Project, model: PipelineModel | None = None) -> list[MigrationPath]:
    """Every migration path of the project, in file order. `model` defaults to `project.pipeline` (which can
    raise; checks pass the model `Check.run_with_pipeline` gave them). Cached per project and model."""
    model = project.pipeline if model is None else model
    cached = _CACHE.get(project)
    if cached is not None and cached[0] == id(model):
        return cached[1]
    paths = _Collector(project, model).collect()
    _CACHE[project] = (id(model), paths)
    return paths


# --- reading scripts -------------------------------------------------------------------------------------------
# Backup commands the step classifier does not know: platform snapshot and dump commands.
_PLATFORM_BACKUP = lazy_re(
    r"\bheroku\s+pg:backups(?::capture|\s+capture)\b|\bfly(?:ctl)?\s+(?:pg|postgres)\s+backup\s+create\b|"
    r"\bsupabase\s+db\s+dump\b|\baws\s+rds\s+create-db-(?:cluster-)?snapshot\b|\bgcloud\s+sql\s+backups\s+create\b|"
    r"\baz\s+(?:postgres|mysql)\b[^\n]*\bbackup\b|\bpscale\s+backup\s+create\b|\bneonctl\s+branch(?:es)?\s+create\b|"
    r"\bdoctl\s+databases\s+backups?\b|\bscalingo\b[^\n]*\bbackups-create\b|\bdokku\s+postgres:backup\b|"
    r"\bpg_basebackup\b|\bmariabackup\b|\bxtrabackup\b|\bdep\s+\S*backup|\bwp\s+db\s+export\b")
# A command named for what it does: `./bin/backup-db --verify`, `make db-backup`, `npm run backup:db`.
# Migration tools the step classifier does not know (it knows the framework ones: artisan, manage.py, prisma, ...).
_EXTRA_MIGRATE = lazy_re(
    r"\bnode-pg-migrate\s+up\b|\bgoose\b[^\n]*\s(?:up|up-to)\b|\bdbmate\b[^\n]*\s(?:up|migrate)\b|"
    r"\bmigrate\b[^\n]*\s-database\b[^\n]*\sup\b|\bsqitch\s+deploy\b|\bflyway\b[^\n]*\smigrate\b|"
    r"\bliquibase\b[^\n]*\supdate\b|\batlas\s+migrate\s+apply\b|\bmix\s+ecto\.migrate\b|"
    r"\bdiesel\s+migration\s+run\b|\bsqlx\s+migrate\s+run\b|\bmikro-orm\s+migration:up\b|"
    r"\bphinx\s+migrate\b|\bdoctrine:migrations:migrate\b|\bcraft\s+migrate/all\b|\bmedusa\s+db:migrate\b|"
    r"\bpayload\s+migrate\b(?!:)|\bprisma\s+migrate\s+deploy\b")
_BACKUP_NAME = lazy_re(r"(?i)(?:^|[\s/:_-])(?:backup|back-up|snapshot|dump)(?:s)?(?:$|[\s.:_-])")
_REMOTE = lazy_re(r"(?:^|[\s;&|(])(?:ssh|heroku\s+run(?::detached)?|fly(?:ctl)?\s+ssh|railway\s+run|"
                  r"kubectl\s+exec|oc\s+exec|dokku\s+run)\s")
_SHELL_C = lazy_re(r"^\s*(?:exec\s+)?(?:/usr)?(?:/bin/)?(?:ba|z|da)?sh\s+-[a-z]*c[a-z]*\s+(.+)$", re.S)
_HEREDOC = lazy_re(r"<<-?\s*['\"]?(\w+)['\"]?")
_WRAPPERS = frozenset({"sudo", "exec", "bash", "sh", "zsh", "source", ".", "time", "nohup", "env", "node", "bun",
                       "deno", "tsx", "ts-node", "python", "python3", "ruby", "php", "npx"})
_SCRIPT_SUFFIX = lazy_re(r"\.(?:sh|bash|bin)$|(?:^|/)(?:bin|scripts?|deploy|docker|\.docker)/[\w.-]+$")


def script_events(project: Project, text: str, path: str | None, first_line: int, aliases: dict[str, str],
                  *, one_line: bool = False, remote: bool = False, depth: int = 0,
                  seen: frozenset[str] = frozenset(), image: dict[str, str] | None = None) -> list[Event]:
    """Migrate and backup events of a shell text, in order. `one_line`: the text sits on one line of a config
    file (a release command), so every event points there. Repository scripts the text runs are followed;
    `image` maps paths inside a container image to the repository files a Dockerfile copied there."""
    events: list[Event] = []
    heredoc: str | None = None
    for offset, line in logical_lines(text):
        lineno = first_line if one_line else first_line + offset
        on_server = remote or heredoc is not None
        if heredoc is not None and line.strip() == heredoc:
            heredoc = None
            continue
        if heredoc is None and _REMOTE.search(" " + line):
            m = _HEREDOC.search(line)
            heredoc = m.group(1) if m else None
        parts = split_commands(line)
        for i, (cmd, op) in enumerate(parts):
            swallowed = op == "||" and i + 1 < len(parts) and _is_noop(parts[i + 1][0])
            events.extend(_command_events(project, cmd, path, lineno, aliases, on_server, swallowed, depth, seen,
                                          image))
    return events


def _command_events(project: Project, cmd: str, path: str | None, line: int, aliases: dict[str, str],
                    remote: bool, swallowed: bool, depth: int, seen: frozenset[str],
                    image: dict[str, str] | None = None) -> list[Event]:
    remote = remote or bool(_REMOTE.search(" " + cmd))
    shell = _SHELL_C.match(cmd)
    if shell:  # `sh -c "..."`, or an exec-form CMD joined back into `sh -c a && b`: what runs is the argument
        inner = shell.group(1).strip()
        if len(inner) > 1 and inner[0] == inner[-1] and inner[0] in "'\"":
            inner = inner[1:-1]
        return script_events(project, inner, path, line, aliases, one_line=True, remote=remote, depth=depth,
                             seen=seen, image=image)
    ssh_remote = _ssh_remote(cmd)
    if ssh_remote is not None:  # read the remote command ourselves, so scripts and aliases there are followed too
        return script_events(project, ssh_remote, path, line, aliases, one_line=True, remote=True, depth=depth,
                             seen=seen)
    inner_cmd = _remote_exec(cmd)
    if inner_cmd:  # `kamal app exec 'bin/rails db:migrate'`, `fly ssh console -C "..."`, `kubectl exec ... -- cmd`
        inner = script_events(project, inner_cmd, path, line, aliases, one_line=True, remote=True, depth=depth,
                              seen=seen)
        if inner:
            return inner
    hits = [h for h in classify_text(cmd, aliases, line) if h.kind in (StepKind.MIGRATE, StepKind.BACKUP)]
    detail = short(cmd, 120)
    if hits:
        kinds = {h.kind for h in hits}
        both = kinds == {StepKind.MIGRATE, StepKind.BACKUP} and _is_handrail_migrate(cmd)
        if both:
            return [Event(StepKind.MIGRATE, Location(path, line, detail), detail, both=True, remote=remote)]
        out = []
        for h in hits:
            out.append(Event(h.kind, Location(path, line, detail), detail, swallowed=swallowed, remote=remote))
        return out
    if _PLATFORM_BACKUP.search(cmd):
        return [Event(StepKind.BACKUP, Location(path, line, detail), detail, swallowed=swallowed, remote=remote)]
    if _EXTRA_MIGRATE.search(cmd):
        return [Event(StepKind.MIGRATE, Location(path, line, detail), detail, remote=remote)]
    body = _alias_body(cmd, aliases)
    if body is not None and depth < MAX_DEPTH:
        inner = script_events(project, body, path, line, aliases, one_line=True, remote=remote, depth=depth + 1,
                              seen=seen)
        if inner:
            return [Event(e.kind, Location(path, line, f"{short(cmd, 60)} -> {e.detail}"),
                          f"{short(cmd, 60)} -> {e.detail}", e.both, e.swallowed or swallowed, e.remote)
                    for e in inner]
    names = _run_all_names(cmd)
    if names and depth < MAX_DEPTH:  # `npm-run-all check-db build-app`, `run-s a b`: each name is `npm run name`
        out: list[Event] = []
        for name in names:
            out.extend(_command_events(project, f"npm run {name}", path, line, aliases, remote, swallowed,
                                       depth + 1, seen, image))
        if out:
            return out
    target = _script_target(project, cmd, image)
    if target is not None and depth < MAX_DEPTH and target not in seen:
        text = project.text(target) or ""
        if _CODE_FILE.search(target):  # a node/python/ruby script: the shell commands it runs are string literals
            text = _command_literals(text)
        inner = script_events(project, text, target, 1, aliases, remote=remote,
                              depth=depth + 1, seen=seen | {target})
        if inner:
            if swallowed:
                inner = [Event(e.kind, e.loc, e.detail, e.both, True, e.remote) for e in inner]
            return inner
    words = [w for w in tokens(cmd)[:3] if not w.startswith("-")]
    if words and _BACKUP_NAME.search(" ".join(words[:2]).rsplit("/", 1)[-1] if len(words) == 1 else
                                     " ".join(w.rsplit("/", 1)[-1] for w in words[:2])):
        return [Event(StepKind.BACKUP, Location(path, line, f"{detail} (named as a backup)"), detail,
                      swallowed=swallowed, remote=remote)]
    return []


_CODE_FILE = lazy_re(r"\.(?:[cm]?js|ts|py|rb|php)$")
_LITERAL = lazy_re(r"""(['"`])([^'"`\n]{4,300})\1""")
_COMMANDISH = lazy_re(r"\b(?:migrate|upgrade|db:|dump|backup|deploy)\b")


def _command_literals(code: str) -> str:
    """The string literals of a code file that look like shell commands, each on its own line, so line numbers
    still point into the file (`execSync('prisma migrate deploy')` -> `prisma migrate deploy` on its line)."""
    out = []
    for line in code.splitlines():
        found = [m.group(2) for m in _LITERAL.finditer(line) if _COMMANDISH.search(m.group(2)) and " " in m.group(2)]
        out.append(" ; ".join(found))
    return "\n".join(out)


def _run_all_names(cmd: str) -> list[str]:
    """Script names run by npm-run-all / run-s / run-p (options and globs left out)."""
    argv = tokens(cmd)
    if not argv or argv[0].rsplit("/", 1)[-1] not in ("npm-run-all", "npm-run-all2", "run-s", "run-p"):
        return []
    return [a for a in argv[1:] if not a.startswith("-") and "*" not in a]


def _alias_body(cmd: str, aliases: dict[str, str]) -> str | None:
    """What a project script call runs (`npm run migrate` -> `node-pg-migrate up`), for the migration tools the
    step classifier does not know."""
    argv = [a for a in tokens(cmd) if not re.match(r"^[A-Za-z_]\w*=", a)]
    if len(argv) < 2:
        return None
    tool = argv[0].rsplit("/", 1)[-1]
    words = [a for a in argv[1:] if not a.startswith("-")]
    if tool in ("npm", "pnpm", "yarn", "bun") and words:
        name = words[1] if words[0] in ("run", "run-script") and len(words) > 1 else words[0]
        return aliases.get(canonical("npm", name))
    if tool in ("composer", "make", "just") and words:
        return aliases.get(f"{tool} {words[0]}")
    return None


_SSH_VALUE_OPTS = frozenset({"-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o",
                             "-p", "-Q", "-R", "-S", "-W", "-w"})


def _ssh_remote(cmd: str) -> str | None:
    """The remote command of `ssh [options] host 'command'` ("" for an interactive or heredoc ssh), else None."""
    argv = tokens(cmd)
    while argv and (re.match(r"^[A-Za-z_]\w*=", argv[0]) or argv[0] in ("sudo", "exec", "command")):
        argv = argv[1:]
    if not argv or argv[0].rsplit("/", 1)[-1] != "ssh":
        return None
    i = 1
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i] in _SSH_VALUE_OPTS else 1
    return " ".join(argv[i + 1:])


_REMOTE_EXEC = lazy_re(r"\bkamal\s+(?:app\s+)?exec\b|\bfly(?:ctl)?\s+ssh\s+console\b|\b(?:kubectl|oc)\s+exec\b|"
                       r"\bdocker(?:-compose|\s+compose)?\s+(?:exec|run)\b|\bheroku\s+run\b|\bdokku\s+run\b|"
                       r"\bcf\s+run-task\b|\bplatform\s+ssh\b|\bupsun\s+ssh\b")


def _remote_exec(cmd: str) -> str:
    """The command a container/platform exec wrapper runs: its quoted argument or what follows `--`."""
    if not _REMOTE_EXEC.search(cmd):
        return ""
    argv = tokens(cmd)
    if "--" in argv:
        return " ".join(argv[argv.index("--") + 1:])
    quoted = [a for a in argv if " " in a]
    return quoted[-1] if quoted else ""


def _is_handrail_migrate(cmd: str) -> bool:
    return bool(re.search(r"(?:^|[\s/])handrail\s+migrate\b", cmd))


def _is_noop(cmd: str) -> bool:
    argv = tokens(cmd)
    return bool(argv) and (argv[0] in ("true", ":", "echo", "printf") or argv[:2] == ["exit", "0"])


def _script_target(project: Project, cmd: str, image: dict[str, str] | None = None) -> str | None:
    """The repository file a command executes (`./bin/release`, `sh scripts/migrate.sh`, `/app/entrypoint.sh`)."""
    argv = tokens(cmd)
    while argv and (argv[0] in _WRAPPERS or re.match(r"^[A-Za-z_]\w*=", argv[0]) or
                    (argv[0].startswith("-") and argv[0] != "-c")):
        argv = argv[1:]
    if not argv or argv[0] == "-c":
        return None
    cand = argv[0].strip("\"'")
    if "$" in cand or not ("/" in cand or _SCRIPT_SUFFIX.search(cand)):
        return None
    if image:  # a Dockerfile CMD: the file the image has at that path (`COPY docker/start.sh /app/start.sh`)
        inside = cand if cand.startswith("/") else f"{image.get('', '/').rstrip('/')}/{cand.removeprefix('./')}"
        if inside in image and project.text(image[inside]) is not None:
            return image[inside]
    cand = cand.removeprefix("./")
    parts = cand.lstrip("/").split("/")
    for i in range(len(parts)):  # `/rails/bin/docker-entrypoint` in an image is `bin/docker-entrypoint` here
        rel = "/".join(parts[i:])
        if rel and rel in project.files and project.text(rel) is not None:
            return rel
    return None


# --- collecting paths ------------------------------------------------------------------------------------------
_DB_KEY = lazy_re(r"(?i)database|(?:^|_)db(?:_|$)|postgres|mysql|mariadb|^pg|mongo")
_LOCAL_DB = lazy_re(r"(?i)localhost|127\.0\.0\.1|\[::1\]|@(?:postgres|mysql|mariadb|db|database)[:/]|^sqlite|"
                    r"\.sqlite3?\b|:memory:")
_TEST_ENV = lazy_re(r"--env[= ](?:testing|test|ci)\b|--settings[= ]\S*test|"
                    r"\b(?:RAILS_ENV|APP_ENV|NODE_ENV|FLASK_ENV|MIX_ENV)=(?:test|testing|ci)\b")
_SERVICE_HOSTS = frozenset({"postgres", "postgresql", "mysql", "mariadb", "db", "database", "pg"})
_SECRET_REF = lazy_re(r"secrets\.|vars\.|\$\{?[A-Z][A-Z0-9_]*\}?")
_DB_IMAGE = lazy_re(r"(?i)\b(?:postgres|postgis|mysql|mariadb|mongo|timescale)")
_DEPLOY_NAME = lazy_re(r"(?i)deploy|release|prod|migrat|\bship\b|go[-_ ]?live")
_DEV_FILE = lazy_re(r"(?i)(?:^|[./_-])(?:dev|development|local|test|testing|ci|e2e)(?:[./_-]|$)")
_LIFECYCLE = ("prestart", "start", "prebuild", "build", "postbuild", "postinstall", "vercel-build",
              "heroku-postbuild", "start:prod")


@dataclass
class _Collector:
    project: Project
    model: PipelineModel
    paths: list[MigrationPath] = field(default_factory=list)
    followed: set[str] = field(default_factory=set)  # deploy scripts CI runs: judged as part of the CI job

    @property
    def aliases(self) -> dict[str, str]:
        return self.model.script_aliases

    def collect(self) -> list[MigrationPath]:
        self._ci()
        self._release()
        self._deploy_scripts()
        self._deployer()
        self._containers()
        self._package_scripts()
        seen: set[tuple[str | None, int | None]] = set()
        out = []
        for p in self.paths:
            key = (p.location.path, p.location.line)
            if key not in seen:
                seen.add(key)
                out.append(p)
        return out

    def _add_events(self, kind: str, events: list[Event], environment: str | None,
                    prior: Location | None = None) -> None:
        """One path per migrate event; the backup is the last gating backup before it (or `prior`)."""
        backup = prior
        for ev in events:
            if ev.kind is StepKind.BACKUP:
                if not ev.swallowed:
                    backup = ev.loc
            elif ev.both:
                self.paths.append(MigrationPath(kind, ev.loc, ev.detail, Location(
                    ev.loc.path, ev.loc.line, "`handrail migrate` takes a verified backup first"), environment))
            else:
                self.paths.append(MigrationPath(kind, ev.loc, ev.detail, backup, environment))

    # CI ------------------------------------------------------------------------------------------------------
    def _ci(self) -> None:
        scripts = {loc.path for loc in self.model.platforms.deploy_scripts if loc.path}
        for wf in self.model.workflows:
            job_events = {jid: self._job_events(wf, job) for jid, job in wf.jobs.items()}
            for jid, job in wf.jobs.items():
                if never_runs(job):
                    continue
                upstream = next((e.loc for up in sorted(wf.upstream(jid)) if not never_runs(wf.jobs[up])
                                 for _, e in job_events.get(up, []) if e.kind is StepKind.BACKUP and not e.swallowed),
                                None)
                events = job_events[jid]
                migrating = [(s, e) for s, e in events if e.kind is StepKind.MIGRATE and
                             self._deployed_db(wf, job, s, e, scripts)]
                if not migrating:
                    continue
                for _, e in events:
                    if e.loc.path in scripts:
                        self.followed.add(e.loc.path)
                backup = upstream
                keep = {id(e) for _, e in migrating}
                kind_of = {id(e): "deploy-script" if e.loc.path in scripts else "ci" for _, e in migrating}
                for _, e in events:
                    if e.kind is StepKind.BACKUP:
                        if not e.swallowed:
                            backup = e.loc
                    elif id(e) in keep:
                        self._add_events(kind_of[id(e)], [e], job.environment, backup)

    def _job_events(self, wf: Workflow, job: Job) -> list[tuple[Step, Event]]:
        out: list[tuple[Step, Event]] = []
        for step in job.steps:
            if never_runs(job, step) or (step.condition and re.search(r"\bfailure\(\)|\bcancelled\(\)",
                                                                        step.condition)):
                continue
            path = step.path or job.workflow_path or wf.path
            events: list[Event] = []
            if step.run:
                events = script_events(self.project, step.run, path, step.run_line or step.line, self.aliases)
            elif _ssh_action(step):
                events = self._action_script_events(step, path)
            elif step.hits:
                events = self._hit_events(step, path)
            if step.continue_on_error or job.allow_failure:
                events = [Event(e.kind, e.loc, e.detail, e.both, True, e.remote) for e in events]
            out.extend((step, e) for e in events)
        return out

    def _action_script_events(self, step: Step, path: str) -> list[Event]:
        """The remote script of an ssh action (`appleboy/ssh-action` `script:`), read line by line."""
        events: list[Event] = []
        lines = self.project.lines(path)
        for key in ("script_before", "script", "command", "script_after"):
            text = step.with_.get(key)
            if not isinstance(text, str) or not text.strip():
                continue
            line = step.with_.line_of(key) if hasattr(step.with_, "line_of") else step.line
            block = 0 < line <= len(lines) and re.search(r":\s*[|>][-+0-9]*\s*(?:#.*)?$", lines[line - 1])
            events.extend(script_events(self.project, text, path, line + 1 if block else line, self.aliases,
                                        one_line=not block, remote=True))
        return events

    def _hit_events(self, step: Step, path: str) -> list[Event]:
        """Events of an action step (ssh action scripts, composite actions) from the classifier's hits."""
        hits = [h for h in step.hits if getattr(h, "kind", None) in (StepKind.MIGRATE, StepKind.BACKUP)]
        remote = step.deploy_tool == "ssh" or "ssh" in (step.uses or "").lower()
        out = []
        for h in hits:
            loc = Location(path, h.line, short(h.detail, 120))
            if h.kind is StepKind.BACKUP and any(o.kind is StepKind.MIGRATE and o.line == h.line and
                                                  o.detail == h.detail for o in hits):
                continue  # the backup half of `handrail migrate`
            both = h.kind is StepKind.MIGRATE and _is_handrail_migrate(h.detail)
            out.append(Event(h.kind, loc, short(h.detail, 120), both=both, remote=remote))
        return out

    def _deployed_db(self, wf: Workflow, job: Job, step: Step, ev: Event, scripts: set[str | None]) -> bool:
        """Does this CI migration reach a deployed database (not a service container or localhost)?"""
        if ev.remote or ev.loc.path in scripts:
            return True
        env = _env(wf, job, step)
        db = [v for k, v in env.items() if _DB_KEY.search(k)]
        service_host = any("HOST" in k.upper() and v.strip().lower() in _SERVICE_HOSTS for k, v in env.items())
        if any(_LOCAL_DB.search(v) for v in db) or service_host or (_db_services(job) and not any(_SECRET_REF.search(v)
                                                                                 for v in db)):
            return False
        if any(_SECRET_REF.search(v) for v in db):
            return True
        if _TEST_ENV.search(ev.detail) or any(s.index >= step.index and StepKind.TEST in s.kinds for s in job.steps):
            return False  # `--env=testing`, or the job's tests run after it: the migration prepares a test database
        if job.has(StepKind.DEPLOY) or job.environment:
            return True
        if job.has(StepKind.TEST):
            return False
        names = " ".join(str(x) for x in (wf.name, wf.path.rsplit("/", 1)[-1], job.id, job.name, step.name) if x)
        return bool(_DEPLOY_NAME.search(names))

    # platform release commands -------------------------------------------------------------------------------
    def _release(self) -> None:
        facts = self.model.platforms
        for loc in facts.release_commands:
            if "postdeploy" in loc.note:  # app.json postdeploy runs once on a new (review) app's fresh database
                continue
            cmd = _release_command(loc.note)
            env = facts.sources.get(loc.path or "") or _platform_of(loc.path)
            if (m := re.match(r"^([^:]+): preDeployCommand ", loc.note)) and env:
                env = f"{env}: {m.group(1)}"
            events = script_events(self.project, cmd, loc.path, loc.line or 1, self.aliases, one_line=True)
            self._add_events("release", events, env)
        for path in self.project.files.glob("render.yaml", "render.yml"):
            self._render_build(path)
        if "vercel.json" in self.project.files:
            data = self._json("vercel.json")
            cmd = data.get("buildCommand") if isinstance(data, dict) else None
            if isinstance(cmd, str):
                line = self.project.find_line("vercel.json", '"buildCommand"') or 1
                self._add_events("release", script_events(self.project, cmd, "vercel.json", line, self.aliases,
                                                          one_line=True), "vercel")

    def _render_build(self, path: str) -> None:
        try:
            data = self.project.yaml(path)
        except ParseError:
            return
        services = data.get("services") if isinstance(data, dict) else None
        for svc in services if isinstance(services, list) else []:
            cmd = svc.get("buildCommand") if isinstance(svc, dict) else None
            if isinstance(cmd, str) and cmd.strip():
                line = svc.line_of("buildCommand") if hasattr(svc, "line_of") else 1
                env = f"render: {svc.get('name', 'service')}"
                self._add_events("release", script_events(self.project, cmd, path, line, self.aliases,
                                                          one_line=True), env)

    # deploy scripts --------------------------------------------------------------------------------------------
    def _deploy_scripts(self) -> None:
        for loc in self.model.platforms.deploy_scripts:
            if not loc.path or loc.path in self.followed or loc.path.endswith("deploy.php"):
                continue
            text = self.project.text(loc.path) or ""
            if loc.path.endswith(".blade.php"):  # Envoy: the shell lives inside @task blocks
                text = re.sub(r"^[ \t]*@.*$", "", text, flags=re.M)
            events = script_events(self.project, text, loc.path, 1, self.aliases, remote=True,
                                   seen=frozenset({loc.path}))
            self._add_events("deploy-script", events, self.model.platforms.sources.get(loc.path))

    # Deployer ----------------------------------------------------------------------------------------------------
    def _deployer(self) -> None:
        for path in self.project.files.glob("deploy.php", "**/deploy.php"):
            text = self.project.text(path) or ""
            if "Deployer" in text or "recipe/" in text:
                self._add_events("deployer", _deployer_events(self.project, path, text, self.aliases), "deployer")
        for path in self.project.files.glob("deploy.yaml", "deploy.yml"):
            text = self.project.text(path) or ""
            m = re.search(r"recipe/laravel\.php", text)
            if m and not re.search(r"artisan:migrate", text):
                line = text.count("\n", 0, m.start()) + 1
                self._add_events("deployer", [Event(StepKind.MIGRATE, Location(
                    path, line, "recipe/laravel.php runs artisan:migrate in its deploy task"),
                    "dep deploy (recipe/laravel.php: artisan:migrate)")], "deployer")

    # containers and start commands -------------------------------------------------------------------------------
    def _containers(self) -> None:
        facts = self.model.platforms
        for loc in facts.start_commands:
            if not loc.path or loc.path.endswith("package.json") or _DEV_FILE.search(loc.path.rsplit("/", 1)[-1]):
                continue
            cmd = loc.note  # the readers keep the start command, shortened, as the note
            env = facts.sources.get(loc.path) or _platform_of(loc.path)
            image = _image_files(self.project, loc.path) if "dockerfile" in loc.path.lower() else None
            self._add_events("container", script_events(self.project, cmd, loc.path, loc.line or 1, self.aliases,
                                                        one_line=True, image=image), env)
        for path in compose_files(self.project):
            if not (is_deploy_file(path) or facts.sources.get(path) == "docker-compose"):
                continue
            try:
                data = self.project.yaml(path)
            except ParseError:
                continue
            services = data.get("services") if isinstance(data, dict) else None
            for name, svc in services.items() if isinstance(services, dict) else []:
                if not isinstance(svc, dict):
                    continue
                for key in ("entrypoint", "command"):
                    cmd = svc.get(key)
                    if isinstance(cmd, list):
                        cmd = " ".join(str(c) for c in cmd)
                    if isinstance(cmd, str) and cmd.strip():
                        line = svc.line_of(key) if hasattr(svc, "line_of") else 1
                        self._add_events("container", script_events(self.project, cmd, path, line, self.aliases,
                                                                    one_line=True), f"compose: {name}")

    def _package_scripts(self) -> None:
        for path in sorted(self.project.files.named("package.json"), key=lambda p: (p.count("/"), p)):
            if path.count("/") > 2 or "node_modules/" in path:
                continue
            scripts = manifest_scripts(self.project, path)
            for name in _LIFECYCLE:
                body = scripts.get(name)
                if isinstance(body, str) and body.strip():
                    line = self.project.find_line(path, f'"{name}"') or 1
                    events = script_events(self.project, body, path, line, self.aliases, one_line=True)
                    self._add_events("package-script", events, None)

    def _json(self, path: str) -> Any:
        try:
            return self.project.json(path)
        except ParseError:
            return None


def _image_files(project: Project, dockerfile: str) -> dict[str, str]:
    """Absolute path in the final image -> repository file, from the last stage's single-file COPY/ADD lines
    (key "" holds the final WORKDIR). Copies from another stage or whole folders are left out."""
    out: dict[str, str] = {}
    workdir = "/"
    for _, ins, args in instructions(project, dockerfile):
        if ins == "FROM":
            out, workdir = {}, "/"
        elif ins == "WORKDIR":
            workdir = args if args.startswith("/") else f"{workdir.rstrip('/')}/{args}"
        elif ins in ("COPY", "ADD"):
            words = [w for w in args.split() if not w.startswith("--")]
            if len(words) != 2 or "--from" in args or "$" in args:
                continue
            src, dst = words[0].removeprefix("./"), words[1]
            dst = dst if dst.startswith("/") else f"{workdir.rstrip('/')}/{dst.removeprefix('./')}"
            if dst.endswith("/") or dst in (workdir, "."):
                dst = f"{dst.rstrip('/')}/{src.rsplit('/', 1)[-1]}"
            if src in project.files:
                out[dst] = src
    out[""] = workdir
    return out


def _ssh_action(step: Step) -> bool:
    uses = (step.uses or "").lower()
    return bool(uses) and isinstance(step.with_, dict) and ("ssh" in uses or step.deploy_tool == "ssh") and any(
        isinstance(step.with_.get(k), str) for k in ("script", "command", "script_before", "script_after"))


def _env(wf: Workflow, job: Job, step: Step) -> dict[str, str]:
    env: dict[str, str] = {}
    raw = job.raw if isinstance(job.raw, dict) else {}
    for source in (wf.env, raw.get("env"), raw.get("variables"), step.env):
        if isinstance(source, dict):
            env.update({str(k): str(v) for k, v in source.items() if not isinstance(v, (dict, list))})
    return env


def _db_services(job: Job) -> bool:
    """A database service container beside the job: its migrations go to that throwaway database."""
    raw = job.raw if isinstance(job.raw, dict) else {}
    services = raw.get("services")
    if isinstance(services, dict):  # GitHub
        return any(_DB_IMAGE.search(str(name)) or (isinstance(svc, dict) and _DB_IMAGE.search(str(svc.get("image"))))
                   for name, svc in services.items())
    if isinstance(services, list):  # GitLab
        return any(_DB_IMAGE.search(str(s.get("name") if isinstance(s, dict) else s)) for s in services)
    return False


_RELEASE_PREFIX = lazy_re(r"^(?:release phase: |release_command: |preDeployCommand |[^:]+: preDeployCommand |"
                          r"app\.json predeploy: )")
_RELEASE_SUFFIX = lazy_re(r" \((?:runs before|not a smoke test|runs once)[^()]*\)$")


def _release_command(note: str) -> str:
    """The command of a `PlatformFacts.release_commands` note (the readers keep it, shortened, in the note)."""
    return _RELEASE_SUFFIX.sub("", _RELEASE_PREFIX.sub("", note)).strip()


def _platform_of(path: str | None) -> str | None:
    name = (path or "").rsplit("/", 1)[-1].lower()
    for key, platform in (("fly", "fly"), ("procfile", "heroku"), ("app.json", "heroku"), ("heroku", "heroku"),
                          ("render", "render"), ("railway", "railway"), ("dockerfile", "docker")):
        if key in name:
            return platform
    return None


# --- Deployer ----------------------------------------------------------------------------------------------------
_DEP_LARAVEL = lazy_re(r"""(?:require|import)[^\n]*recipe/laravel\.php""")
_DEP_HOOK = lazy_re(r"""\b(before|after)\s*\(\s*['"]([\w:.-]+)['"]\s*,\s*(?:['"]([\w:.-]+)['"]|\[([^\]]*)\])""")
_DEP_DEPLOY_LIST = lazy_re(r"""\btask\s*\(\s*['"]deploy['"]\s*,\s*\[([^\]]*)\]""", re.S)
_DEP_TASK = lazy_re(r"""\btask\s*\(\s*['"]([\w:.-]+)['"]\s*,\s*(?:static\s+)?function\b""")
_DEP_RUN = lazy_re(r"""\b(?:run|runLocally|artisan)\s*\(\s*(['"])(.*?)\1""")
_DEP_DISABLED = lazy_re(r"""task\s*\(\s*['"]artisan:migrate['"]\s*\)\s*->\s*disable\s*\(""")
# Laravel recipe tasks that run before artisan:migrate in Deployer 7's `deploy` task.
_DEP_BEFORE_MIGRATE = frozenset({"deploy:prepare", "deploy:info", "deploy:setup", "deploy:lock", "deploy:release",
                                 "deploy:update_code", "deploy:shared", "deploy:writable", "deploy:vendors",
                                 "artisan:storage:link", "artisan:config:cache", "artisan:route:cache",
                                 "artisan:view:cache", "artisan:event:cache", "artisan:optimize"})


def _deployer_events(project: Project, path: str, text: str, aliases: dict[str, str]) -> list[Event]:
    """Migrate and backup events of a Deployer recipe, in the order its deploy flow runs them."""
    def line_at(pos: int) -> int:
        return text.count("\n", 0, pos) + 1

    code = re.sub(r"^\s*(?://|#).*$", "", text, flags=re.M)
    tasks: dict[str, tuple[int, list[Event]]] = {}
    starts = [(m.start(), m.group(1)) for m in _DEP_TASK.finditer(code)]
    for i, (start, name) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(code)
        body = code[start:end]
        events: list[Event] = []
        for m in _DEP_RUN.finditer(body):
            cmd = m.group(2)
            if m.group(0).lstrip().startswith("artisan"):
                cmd = f"php artisan {cmd}"
            cmd = re.sub(r"\{\{\s*bin/(\w+)\s*\}\}", r"\1", cmd)
            cmd = re.sub(r"\{\{\s*[\w/]+\s*\}\}/", "", cmd)
            events.extend(script_events(project, cmd, path, line_at(start + m.start()), aliases, one_line=True,
                                        remote=True))
        if not any(e.kind is StepKind.BACKUP for e in events) and _BACKUP_NAME.search(name.replace(":", " ")):
            events.insert(0, Event(StepKind.BACKUP, Location(path, line_at(start), f"task {name} (named as a "
                                                                                   "backup)"), f"task {name}"))
        tasks[name] = (line_at(start), events)

    def backups_of(names: list[str], line: int) -> list[Event]:
        out: list[Event] = []
        for name in names:
            evs = [e for e in tasks.get(name, (0, []))[1] if e.kind is StepKind.BACKUP]
            if not evs and _BACKUP_NAME.search(name.replace(":", " ")):
                evs = [Event(StepKind.BACKUP, Location(path, line, f"task {name} (named as a backup)"),
                             f"task {name}")]
            out.extend(evs)
        return out

    before: list[Event] = []  # backups hooked before the migration
    migrate_hooks: list[Event] = []
    for m in _DEP_HOOK.finditer(code):
        when, anchor = m.group(1), m.group(2)
        names = [m.group(3)] if m.group(3) else re.findall(r"['\"]([\w:.-]+)['\"]", m.group(4) or "")
        line = line_at(m.start())
        if "artisan:migrate" in names or "database:migrate" in names:
            migrate_hooks.append(Event(StepKind.MIGRATE, Location(path, line, f"{when}('{anchor}', migrate)"),
                                       f"{when}('{anchor}', '{names[0]}')", remote=True))
        if (anchor in ("artisan:migrate", "database:migrate") and when == "before") or (
                anchor in _DEP_BEFORE_MIGRATE):
            before.extend(backups_of(names, line))

    migrate: list[Event] = list(migrate_hooks)
    listed = _DEP_DEPLOY_LIST.search(code)
    if listed:
        names = re.findall(r"['\"]([\w:.-]+)['\"]", listed.group(1))
        line = line_at(listed.start())
        for name in names:
            if name in ("artisan:migrate", "database:migrate"):
                break
            before.extend(backups_of([name], line))
        if "artisan:migrate" in names or "database:migrate" in names:
            migrate.append(Event(StepKind.MIGRATE, Location(path, line, "deploy task runs artisan:migrate"),
                                 "task('deploy', [... 'artisan:migrate' ...])", remote=True))
    elif not migrate_hooks and (m := _DEP_LARAVEL.search(code)) and not _DEP_DISABLED.search(code):
        migrate.append(Event(StepKind.MIGRATE, Location(path, line_at(m.start()), "recipe/laravel.php runs "
                                                                                  "artisan:migrate in `dep deploy`"),
                             "dep deploy (recipe/laravel.php: artisan:migrate)", remote=True))
    # custom tasks running a migration themselves (`run('{{bin/php}} artisan migrate')`), with their own backups
    custom = {name: evs for name, (_, evs) in tasks.items() if any(e.kind is StepKind.MIGRATE for e in evs)}
    if "artisan:migrate" in custom:  # artisan:migrate overridden: the override is what the flow runs
        migrate = []
    return [*before, *migrate, *[e for evs in custom.values() for e in evs]]
