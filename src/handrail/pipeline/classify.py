"""Step classification: which CI steps test, deploy, smoke-test, migrate, back up.

Checks never read shell: they read `Step.kinds`. This module turns each step's `uses`
and each logical line of its `run` script (continuations joined, comments dropped,
split on `&&`/`||`/`;`/`|`) into `Hit`s. Wrappers that do not change what runs
(`sudo`, `VAR=x`, `npx`, `pnpm dlx`, `bundle exec`, `poetry run`, `docker compose exec`,
...) are peeled off first, and project scripts (`npm run ci`, `composer test`, `make
test`) are resolved through `pipeline/scripts.py`, so a test alias that only echoes
does not count as a test. SMOKE needs context (it must run after a deploy), so it is
decided in a second pass over each workflow from the HTTP/e2e candidates of the first.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handrail.core.finding import Location
from handrail.core.lazyre import lazy_re
from handrail.core.redact import redact_command
from handrail.pipeline.model import Job, PipelineModel, Step, StepKind, Workflow
from handrail.pipeline.scripts import NPM_BUILTINS, canonical

if TYPE_CHECKING:
    from handrail.core.project import Project

MAX_ALIAS_DEPTH = 4
DETAIL_MAX = 160
MAX_COMMAND = 4000  # a longer command is data (an inline blob); its head says what runs


@dataclass
class Hit:
    """One recognised command: what it does, with which tool, on which file line."""

    kind: StepKind
    detail: str
    line: int
    tool: str | None = None
    preview: bool = False  # a preview deploy (no production traffic)
    seq: int = 0  # order inside its step


@dataclass
class _Candidate:
    """An HTTP check or e2e run that is a smoke test if it runs after a deploy."""

    detail: str
    line: int
    tool: str
    seq: int
    needs_url_hint: bool = False  # e2e runners: only with a base URL pointing at a deployed site


@dataclass
class _Ctx:
    aliases: dict[str, str]
    env: dict[str, str] = field(default_factory=dict)
    remote: bool = False  # inside ssh: localhost is the server
    depth: int = 0
    cwd: str = ""
    deploy_runner: bool = False  # a self-hosted runner job that is about deploying: it runs on the server
    captured: bool = False  # inside $(...): the output is used, so `-w %{http_code}` can be checked
    deploy_named: bool = False  # the workflow, job or step says it deploys (a branch push there ships)


# --------------------------------------------------------------------------------------
# public entry points
# --------------------------------------------------------------------------------------
def classify_model(model: PipelineModel) -> None:
    """Fill kinds/deploy_tool/detail on every step of every workflow (idempotent)."""
    candidates: dict[int, list[_Candidate]] = {}
    for wf in model.workflows:
        for job in wf.jobs.values():
            env = _merged_env(wf, job)
            runner = _deploy_runner(wf, job)
            named = _deploy_named(wf, job)
            for step in job.steps:
                candidates[id(step)] = classify_step(step, model.script_aliases, env, deploy_runner=runner,
                                                     deploy_named=named or _deploy_named(step))
    for wf in model.workflows:
        if wf.provider == "gitlab":
            for job in wf.jobs.values():
                _gitlab_environment_deploy(job)
        _mark_smoke(wf, model, candidates)
    for wf in model.workflows:
        for job in wf.jobs.values():
            for step in job.steps:
                _summarise(step)


def classify_step(step: Step, aliases: dict[str, str] | None = None,
                  env: dict[str, str] | None = None, *, deploy_runner: bool = False,
                  deploy_named: bool = False) -> list[_Candidate]:
    """Set step.hits/kinds from its `uses` and `run`; return its smoke candidates."""
    ctx = _Ctx(aliases or {}, {**(env or {}), **{str(k): str(v) for k, v in (step.env or {}).items()}},
               deploy_runner=deploy_runner, deploy_named=deploy_named)
    hits: list[Hit] = []
    cands: list[_Candidate] = []
    if step.uses:
        _classify_uses(step, ctx, hits, cands)
    if step.run:
        wd = step.with_.get("working-directory") if isinstance(step.with_, dict) else None
        ctx.cwd = str(getattr(step, "working_directory", None) or wd or "").strip("./")
        for offset, text in logical_lines(step.run):
            _classify_line(text, step.line_in_run(offset), ctx, hits, cands)
    for i, h in enumerate(hits):
        h.seq = i
    step.hits = hits
    step.kinds = {h.kind for h in hits}
    _summarise(step)
    return cands


def classify_text(text: str, aliases: dict[str, str] | None = None, first_line: int = 1) -> list[Hit]:
    """Hits for a bare script (tests and callers outside a workflow)."""
    ctx = _Ctx(aliases or {})
    hits: list[Hit] = []
    for offset, line in logical_lines(text):
        _classify_line(line, first_line + offset, ctx, hits, [])
    return hits


def _deploy_runner(wf: Workflow, job: Job) -> bool:
    """A self-hosted runner job named or environment-scoped for deploying: `docker compose up` there ships."""
    runs_on = job.runs_on or (job.raw.get("runs-on") if isinstance(job.raw, dict) else None)
    if "self-hosted" not in str(runs_on or ""):
        return False
    names = " ".join(str(x) for x in (wf.name, wf.path, job.id, job.name) if x)
    return bool(job.environment) or bool(re.search(r"deploy|release|prod", names, re.I))


_DEPLOY_WORD = lazy_re(r"(?i)deploy|\bship\b|\bgo[-_ ]?live\b")


def _deploy_named(*holders: Workflow | Job | Step) -> bool:
    """The workflow/job/step name says it deploys: a plain `git push` of a branch there is a platform deploy."""
    names = []
    for h in holders:
        names.extend(str(x) for x in (getattr(h, "name", None), getattr(h, "id", None)) if x)
        if isinstance(h, Workflow):
            names.append(h.path.rsplit("/", 1)[-1])
    return bool(_DEPLOY_WORD.search(" ".join(names)))


def _gitlab_environment_deploy(job: Job) -> None:
    """GitLab records a deployment for every job with an `environment:` (unless its action says otherwise),
    so such a job deploys even when its script is a command we do not know (`./release.sh`, `make ship`)."""
    if not job.environment or not job.steps or job.has(StepKind.DEPLOY) or job.has(StepKind.ROLLBACK):
        return
    env = job.raw.get("environment") if isinstance(job.raw, dict) else None
    action = str(env.get("action", "start")) if isinstance(env, dict) else "start"
    if action not in ("start", "") or job.when == "never":
        return
    step = next((s for s in reversed(job.steps) if s.run and not _is_noop(s.run.strip())), job.steps[-1])
    line = step.detail_line or step.line
    step.hits.append(Hit(StepKind.DEPLOY, f"environment: {job.environment} (GitLab records a deployment)", line,
                         "gitlab-environment", seq=len(step.hits)))
    _summarise(step)


def is_preview(step: Step) -> bool:
    """True when every deploy in the step is a preview deploy (no production traffic)."""
    deploys = [h for h in step.hits if isinstance(h, Hit) and h.kind is StepKind.DEPLOY]
    return bool(deploys) and all(h.preview for h in deploys)


def first_hit(step: Step, kind: StepKind) -> Hit | None:
    for h in step.hits:
        if isinstance(h, Hit) and h.kind is kind:
            return h
    return None


# --------------------------------------------------------------------------------------
# shell text -> commands
# --------------------------------------------------------------------------------------
_GH_EXPR = lazy_re(r"\$\{\{\s*(.*?)\s*\}\}")


def logical_lines(script: str) -> list[tuple[int, str]]:
    """(offset of the first physical line, joined text) for each non-comment logical line."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for i, raw in enumerate(script.splitlines()):
        if not buf:
            start = i
        stripped = raw.rstrip()
        if stripped.endswith("\\") and not stripped.endswith("\\\\"):
            buf.append(stripped[:-1])
            continue
        buf.append(stripped)
        text = " ".join(part.strip() for part in buf).strip()
        buf = []
        if text and not text.startswith("#"):
            out.append((start, text))
    if buf:
        text = " ".join(part.strip() for part in buf).strip()
        if text and not text.startswith("#"):
            out.append((start, text))
    return out


def split_commands(line: str) -> list[tuple[str, str]]:
    """Split on unquoted `&&`, `||`, `;`, `|`, `&`; each part with the operator after it.
    An unquoted ` #` ends the line (a trailing comment)."""
    parts: list[tuple[str, str]] = []
    cur: list[str] = []
    quote = ""
    i = 0
    n = len(line)
    while i < n:
        c = line[i]
        if quote:
            cur.append(c)
            if c == "\\" and quote == '"' and i + 1 < n:
                cur.append(line[i + 1])
                i += 2
                continue
            if c == quote:
                quote = ""
            i += 1
            continue
        if c in "'\"":
            quote = c
            cur.append(c)
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            break
        elif line.startswith(("&&", "||"), i):
            parts.append(("".join(cur).strip(), line[i:i + 2]))
            cur = []
            i += 2
            continue
        elif c in ";|&" and not (c == "&" and i + 1 < n and line[i + 1] == ">") and not (
                c == "&" and i > 0 and line[i - 1] in "<>"):
            parts.append(("".join(cur).strip(), c))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append(("".join(cur).strip(), ""))
    return [(p, op) for p, op in parts if p]


def tokens(command: str) -> list[str]:
    """Shell words; GitHub `${{ expr }}` stays one word; unbalanced quotes fall back to split."""
    text = _GH_EXPR.sub(lambda m: "${{" + re.sub(r"\s+", "", m.group(1)) + "}}", command[:MAX_COMMAND])
    if not any(c in text for c in "'\"\\"):
        return text.split()  # nothing for shlex to do, and it is slow on long lines
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError:
        return text.split()


# --------------------------------------------------------------------------------------
# wrappers
# --------------------------------------------------------------------------------------
_ASSIGN = lazy_re(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SHELL_KEYWORDS = {"if", "then", "else", "elif", "do", "while", "until", "!", "{", "(", "time", "exec",
                   "nohup", "command", "builtin", "eval"}
_RUN_WRAPPERS = {("poetry", "run"), ("uv", "run"), ("pipenv", "run"), ("pdm", "run"), ("hatch", "run"),
                 ("rye", "run"), ("bundle", "exec"), ("npm", "exec"), ("pnpm", "exec"), ("pnpm", "dlx"),
                 ("yarn", "dlx"), ("yarn", "exec"), ("bun", "x"), ("bin/bundle", "exec"), ("conda", "run"),
                 ("heroku", "run"), ("heroku", "run:detached"), ("fly", "ssh"), ("flyctl", "ssh"),
                 ("railway", "run"), ("ddev", "exec"), ("lando", "ssh"), ("doppler", "run"),
                 ("op", "run"), ("infisical", "run"), ("opam", "exec"), ("nix", "develop")}
_SUDO_VALUE_OPTS = {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"}
_COMPOSE_VALUE_OPTS = {"-e", "--env", "-u", "--user", "-w", "--workdir", "--entrypoint", "-v", "--volume",
                       "--name", "-p", "--publish", "-l", "--label", "--env-file", "--index", "-f", "--file",
                       "--project-name", "--profile", "--project-directory"}


def _peel(argv: list[str], ctx: _Ctx) -> list[str]:
    """Drop wrappers that do not change what runs; collect inline env assignments."""
    for _ in range(12):
        if not argv:
            return argv
        head = argv[0]
        base = head.rsplit("/", 1)[-1]
        if head in _SHELL_KEYWORDS:
            argv = argv[1:]
        elif _ASSIGN.match(head):
            key, _, value = head.partition("=")
            ctx.env[key] = value
            argv = argv[1:]
        elif base == "sudo":
            argv = argv[1:]
            while argv and argv[0].startswith("-"):
                argv = argv[2:] if argv[0] in _SUDO_VALUE_OPTS else argv[1:]
        elif base in ("env", "cross-env", "cross-env-shell"):
            argv = argv[1:]
            while argv and (argv[0].startswith("-") or _ASSIGN.match(argv[0])):
                if _ASSIGN.match(argv[0]):
                    key, _, value = argv[0].partition("=")
                    ctx.env[key] = value
                argv = argv[1:]
        elif base in ("npx", "bunx", "pnpx"):
            argv = argv[1:]
            while argv and argv[0].startswith("-"):
                argv = argv[2:] if argv[0] in ("-p", "--package") else argv[1:]
        elif base == "timeout" or base == "xvfb-run" or base == "retry":
            argv = argv[1:]
            while argv and (argv[0].startswith("-") or re.fullmatch(r"[\d.]+[smh]?", argv[0])):
                argv = argv[1:]
        elif base in ("dotenv", "dotenv-cli", "with-env", "env-cmd"):
            if "--" in argv:
                argv = argv[argv.index("--") + 1:]
            else:
                argv = argv[1:]
                while argv and (argv[0].startswith("-") or argv[0].endswith((".env", ".env.ci"))):
                    argv = argv[2:] if argv[0] in ("-e", "-f", "-c", "-v") else argv[1:]
        elif len(argv) > 1 and (base, argv[1]) in _RUN_WRAPPERS:
            argv = argv[2:]
            while argv and argv[0].startswith("-"):
                argv = argv[1:]
            if argv and argv[0] == "--":
                argv = argv[1:]
        elif base in ("docker", "docker-compose", "podman") and _compose_inner(argv) is not None:
            argv = _compose_inner(argv) or []
        elif base in ("coverage",) and len(argv) > 1 and argv[1] == "run":
            argv = argv[2:]
            while argv and argv[0].startswith("-") and argv[0] != "-m":
                argv = argv[1:]
            argv = ["python", *argv]
        elif base in ("php", "@php") or re.fullmatch(r"php\d[\d.]*", base):
            argv = argv[1:]
            while argv and argv[0].startswith("-"):
                argv = argv[2:] if argv[0] in ("-d", "-c") else argv[1:]
        elif base.startswith("@") and len(base) > 1:  # composer `@php`, `@composer`
            argv = [head[1:], *argv[1:]]
        elif re.fullmatch(r"python[\d.]*|py|pypy3?", base):
            argv = argv[1:]
            while argv and argv[0].startswith("-") and argv[0] != "-m":
                argv = argv[1:]
            if argv and argv[0] == "-m":
                argv = argv[1:]
        elif _script_runner(base, argv):
            argv = argv[1:]
        elif base in ("sail", "vendor/bin/sail"):
            argv = argv[1:]
            if argv and argv[0] in ("test", "pest", "phpunit", "dusk"):
                argv = ["artisan", "test"] if argv[0] == "test" else argv
        else:
            return argv
    return argv


def _script_runner(base: str, argv: list[str]) -> bool:
    """`node x.js`, `bash deploy.sh`: the script is what runs."""
    if len(argv) < 2:
        return False
    if base in ("node", "deno", "ts-node", "tsx"):
        return argv[1].endswith((".js", ".mjs", ".cjs", ".ts"))
    return base in ("bash", "sh", "zsh") and not argv[1].startswith("-")


_DOCKER_RUN_VALUE_OPTS = {
    "-v", "--volume", "-e", "--env", "-w", "--workdir", "-p", "--publish", "--name", "--network", "--net", "-u",
    "--user", "--env-file", "--entrypoint", "--mount", "--platform", "-l", "--label", "--add-host", "--memory", "-m",
    "--cpus", "--shm-size", "--ipc", "--pull", "--hostname", "-h", "--cap-add", "--device", "--tmpfs", "--ulimit",
    "--security-opt", "--gpus",
}


def _compose_inner(argv: list[str]) -> list[str] | None:
    """The command inside `docker compose run|exec svc CMD`, `docker exec ctr CMD` or `docker run IMG CMD`."""
    rest = argv[1:]
    if argv[0].rsplit("/", 1)[-1] in ("docker", "podman") and rest[:1] == ["run"]:
        rest = rest[1:]
        while rest and rest[0].startswith("-"):
            rest = rest[2:] if rest[0] in _DOCKER_RUN_VALUE_OPTS else rest[1:]
        return rest[1:] if len(rest) > 1 else None
    if argv[0].rsplit("/", 1)[-1] in ("docker", "podman") and rest[:1] == ["compose"]:
        rest = rest[1:]
    elif argv[0].rsplit("/", 1)[-1] == "docker-compose":
        pass
    elif rest[:1] != ["exec"]:  # `docker exec ctr CMD` keeps its `exec`
        return None
    while rest and rest[0].startswith("-") and rest[0] not in ("run", "exec"):
        rest = rest[2:] if rest[0] in _COMPOSE_VALUE_OPTS else rest[1:]
    if not rest or rest[0] not in ("run", "exec"):
        return None
    rest = rest[1:]
    while rest and rest[0].startswith("-"):
        rest = rest[2:] if rest[0].split("=", 1)[0] in _COMPOSE_VALUE_OPTS and "=" not in rest[0] else rest[1:]
    if len(rest) < 2:
        return None
    return rest[1:]


# --------------------------------------------------------------------------------------
# one logical line
# --------------------------------------------------------------------------------------
_SUBST = lazy_re(r"\$\(([^()]*)\)|`([^`]*)`")


def _classify_line(text: str, line: int, ctx: _Ctx, hits: list[Hit], cands: list[_Candidate]) -> None:
    if ("$(" in text or "`" in text) and not ctx.captured:
        # Commands inside $(...) run too, and their output is used (a status code compared, say).
        inner_ctx = _Ctx(ctx.aliases, dict(ctx.env), ctx.remote, ctx.depth, ctx.cwd, ctx.deploy_runner, True,
                         ctx.deploy_named)
        for m in _SUBST.finditer(text):
            _classify_line(m.group(1) or m.group(2) or "", line, inner_ctx, hits, cands)
        text = _SUBST.sub(" __subst__ ", text)
    parts = split_commands(text)
    for i, (cmd, op) in enumerate(parts):
        piped_to = parts[i + 1][0] if op == "|" and i + 1 < len(parts) else ""
        swallowed = op == "||" and i + 1 < len(parts) and _is_noop(parts[i + 1][0])
        argv = tokens(cmd)
        if argv[:1] == ["cd"] and len(argv) > 1:
            ctx.cwd = argv[1].strip("./")
            continue
        if argv[:1] == ["export"]:  # `export DOCKER_HOST=ssh://...` lasts for the rest of the script
            for a in argv[1:]:
                if _ASSIGN.match(a):
                    key, _, value = a.partition("=")
                    ctx.env[key] = value
            continue
        env_before = dict(ctx.env)
        argv = _peel(argv, ctx)
        if not argv:
            continue
        found, cand = _command(argv, cmd, line, ctx, piped_to, op)
        _restore_env(ctx, env_before)
        if swallowed:
            # `pytest || true`: the failure is thrown away, so it gates nothing.
            found = [h for h in found if h.kind not in (StepKind.TEST, StepKind.DEPLOY)]
            cand = None
        hits.extend(found)
        if cand is not None:
            cand.seq = len(hits)
            cands.append(cand)


def _restore_env(ctx: _Ctx, before: dict[str, str]) -> None:
    """Inline `VAR=x cmd` assignments live for one command only."""
    ctx.env.clear()
    ctx.env.update(before)


def _is_noop(cmd: str) -> bool:
    argv = tokens(cmd)
    if not argv:
        return False
    return argv[0] in ("true", ":", "echo", "printf") or argv[:2] == ["exit", "0"]


def _detail(text: str) -> str:
    return redact_command(" ".join(text.split()))[:DETAIL_MAX]


def _command(argv: list[str], text: str, line: int, ctx: _Ctx, piped_to: str,
             op: str) -> tuple[list[Hit], _Candidate | None]:
    head = argv[0]
    base = head.rsplit("/", 1)[-1]
    args = argv[1:]
    sub = _first_word(args)
    detail = _detail(text)

    def hit(kind: StepKind, tool: str | None = None, preview: bool = False) -> Hit:
        return Hit(kind, detail, line, tool, preview)

    if head in ("echo", "printf", "cat", "export", "set", "test", "[", "[[", "sleep", "true", "false", "exit"):
        return [], None
    if _dry_run(args):
        return [], None

    # project script aliases first: what runs is whatever the alias says
    alias = _alias_call(base, args, ctx)
    if alias is not None:
        if base in ("yarn", "pnpm", "bun") and "run" not in args and not _alias_known(alias, ctx) \
                and alias[1] in args:
            found, cand = _command(args[args.index(alias[1]):], text, line, ctx, piped_to, op)
            if found or cand:
                return found, cand  # `yarn jest`: a binary, not a script
        return _resolve_alias(alias, text, line, ctx)

    if base in ("bash", "sh", "zsh") and args[:1] == ["-c"] and len(args) > 1:
        inner: list[Hit] = []
        cands: list[_Candidate] = []
        for _, sub_line in logical_lines(args[1]):
            _classify_line(sub_line, line, ctx, inner, cands)
        return inner, (cands[0] if cands else None)

    found: list[Hit] = []
    test = _test_command(base, args) or ("script" if _test_script(head) else None)
    if test:
        found.append(hit(StepKind.TEST, test))
    deploy = _deploy_command(base, args, ctx, text, op)
    if deploy is not None:
        kind, tool, preview = deploy
        found.append(hit(kind, tool, preview))
        if tool == "ssh" or tool == "heroku-run":
            found.extend(_remote_hits(args, line, ctx))
    if _migrate_command(base, args, sub):
        found.append(hit(StepKind.MIGRATE))
    if _backup_command(base, args, sub):
        found.append(hit(StepKind.BACKUP))
    if _build_command(base, args, sub):
        found.append(hit(StepKind.BUILD))
    if _publish_command(base, args, sub):
        found.append(hit(StepKind.PUBLISH))
    rollback = _rollback_command(base, args, sub)
    if rollback:
        found.append(hit(StepKind.ROLLBACK, rollback))
    cand = None
    if not any(h.kind is StepKind.DEPLOY for h in found):
        cand = _smoke_candidate(head, args, text, line, ctx, piped_to, test)
    return found, cand


_VALUE_OPTS = {
    "vercel": {"--token", "-t", "--scope", "-S", "--cwd", "--local-config", "-A", "--global-config", "-Q", "--team",
               "-T", "--env", "-e", "--build-env", "-b", "--meta", "-m", "--target", "--archive", "--regions"},
    "kubectl": {"-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user", "-s", "--server", "--token",
                "--as"},
    "helm": {"-n", "--namespace", "--kube-context", "--kubeconfig"},
    "aws": {"--region", "--profile", "--output", "--endpoint-url", "--query", "--cli-read-timeout"},
    "fly": {"-a", "--app", "-c", "--config", "-t", "--access-token"},
    "supabase": {"--workdir", "--profile", "--project-ref"},
    "wrangler": {"-c", "--config", "-e", "--env"},
    "gcloud": {"--project", "--account", "--configuration", "--impersonate-service-account"},
}
_VALUE_OPTS["oc"] = _VALUE_OPTS["kubectl"]
_VALUE_OPTS["flyctl"] = _VALUE_OPTS["fly"]


def _words(base: str, args: list[str]) -> list[str]:
    """Positional words of `args`, skipping the values of the tool's known value options."""
    opts = _VALUE_OPTS.get(base, set())
    out: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a.startswith("-"):
            skip = a in opts
            continue
        out.append(a)
    return out


def _first_word(args: list[str]) -> str:
    for a in args:
        if not a.startswith("-"):
            return a
    return ""


def _dry_run(args: list[str]) -> bool:
    return any(a in ("--dry-run", "--dryrun", "-n=true") or (a.startswith("--dry-run=") and a != "--dry-run=none")
               for a in args)


# --------------------------------------------------------------------------------------
# aliases
# --------------------------------------------------------------------------------------
_PM = ("npm", "pnpm", "yarn", "bun")
_PM_VALUE_OPTS = {"--prefix", "-C", "--dir", "--filter", "-F", "-w", "--workspace", "--cwd"}
_TESTISH = lazy_re(r"^(?:test|tests|spec|specs|e2e|unit|integration|check:test|ci:test)(?:[:\-_].*)?$|"
                      r"^.*[:\-_](?:test|tests|spec|e2e)$")
_SMOKEISH = lazy_re(r"^(?:smoke|smoke[-_:]?tests?|test[-_:]smoke|health|healthcheck|health[-_:]check|"
                       r"verify[-_:]deploy(?:ment)?|check[-_:](?:prod|production|deploy|live))$")
_SMOKE_SCRIPT = lazy_re(r"(?:post[-_]?deploy[-_])?(?:smoke(?:[-_]?tests?)?|health[-_]?check|check[-_]health|"
                           r"verify[-_]deploy(?:ment)?)(?:\.(?:sh|js|mjs|cjs|ts|py|rb))?")
_DEPLOYISH = lazy_re(r"^(?:deploy|release:deploy|ship)(?:[:\-_].*)?$")


def _alias_call(base: str, args: list[str], ctx: _Ctx) -> tuple[str, str, str] | None:
    """(tool, script name, cwd) when the command runs a project script.

    `yarn X`/`pnpm X`/`bun X` without `run` may also be a binary; the caller falls back to
    that when no script X exists."""
    if base in _PM:
        rest = list(args)
        cwd = ctx.cwd
        while rest and rest[0].startswith("-"):
            opt = rest[0]
            if opt in _PM_VALUE_OPTS and len(rest) > 1:
                if opt in ("--prefix", "-C", "--dir", "--cwd"):
                    cwd = rest[1].strip("./")
                rest = rest[2:]
            else:
                if opt.startswith("--prefix="):
                    cwd = opt.split("=", 1)[1].strip("./")
                rest = rest[1:]
        if base == "yarn" and rest[:1] == ["workspace"] and len(rest) > 2:
            rest = rest[2:]
        if not rest:
            return None
        word = rest[0]
        if word in ("run", "run-script", "rum", "urn"):
            names = [a for a in rest[1:] if not a.startswith("-")]
            return (base, names[0], cwd) if names else None
        if word in ("test", "t", "tst") and base != "bun":
            return (base, "test", cwd)
        if base == "npm" or word in NPM_BUILTINS:
            return None
        return (base, word, cwd)  # yarn/pnpm/bun <script>
    if base == "composer":
        rest = [a for a in args if not a.startswith("-")]
        if not rest:
            return None
        if rest[0] in ("run", "run-script") and len(rest) > 1:
            return ("composer", rest[1], ctx.cwd)
        if rest[0] in ("install", "update", "require", "remove", "dump-autoload", "dumpautoload", "validate",
                       "config", "global", "self-update", "show", "outdated", "audit", "check-platform-reqs",
                       "create-project", "diagnose", "exec", "init", "licenses", "status", "suggests", "why",
                       "why-not", "archive", "bump", "clear-cache", "depends", "fund", "reinstall", "search"):
            return None
        return ("composer", rest[0], ctx.cwd)
    if base in ("make", "gmake", "just"):
        rest = list(args)
        cwd = ctx.cwd
        while rest and rest[0].startswith("-"):
            if rest[0] in ("-C", "-f", "--directory", "--file", "--justfile", "--working-directory", "-d") \
                    and len(rest) > 1:
                if rest[0] in ("-C", "--directory", "--working-directory", "-d"):
                    cwd = rest[1].strip("./")
                rest = rest[2:]
            else:
                rest = rest[1:]
        rest = [a for a in rest if not _ASSIGN.match(a)]
        tool = "just" if base == "just" else "make"
        return (tool, rest[0] if rest else ("default" if tool == "just" else "all"), cwd)
    return None


def _alias_known(alias: tuple[str, str, str], ctx: _Ctx) -> bool:
    tool, name, cwd = alias
    key = canonical(tool, name)
    return key in ctx.aliases or (bool(cwd) and f"{cwd}:{key}" in ctx.aliases)


def _resolve_alias(alias: tuple[str, str, str], text: str, line: int,
                   ctx: _Ctx) -> tuple[list[Hit], _Candidate | None]:
    hits, cands = _resolve_alias_all(alias, text, line, ctx)
    return hits, (cands[0] if cands else None)


def _resolve_alias_all(alias: tuple[str, str, str], text: str, line: int,
                       ctx: _Ctx) -> tuple[list[Hit], list[_Candidate]]:
    tool, name, cwd = alias
    key = canonical(tool, name)
    body = None
    for candidate in ((f"{cwd}:{key}",) if cwd else ()) + (key,):
        if candidate in ctx.aliases:
            body = ctx.aliases[candidate]
            break
    if body is None and tool in ("make", "just") and name in ("all", "default"):
        return [], []
    if body is None:
        # The manifest is not in the repo (or not where we looked): judge by the script's name.
        guessed = _detail(text) + " (script not found; judged by name)"
        if _SMOKEISH.match(name):
            return [], [_Candidate(guessed, line, "script", 0)]
        if _TESTISH.match(name):
            return [Hit(StepKind.TEST, guessed, line, tool)], []
        if _DEPLOYISH.match(name):
            return [Hit(StepKind.DEPLOY, guessed, line, "script")], []
        if name in ("build",) or name.startswith("build:"):
            return [Hit(StepKind.BUILD, _detail(text), line)], []
        return [], []
    if ctx.depth >= MAX_ALIAS_DEPTH:
        return [], []
    inner_ctx = _Ctx(ctx.aliases, dict(ctx.env), ctx.remote, ctx.depth + 1, cwd, ctx.deploy_runner)
    inner: list[Hit] = []
    cands: list[_Candidate] = []
    for _, sub_line in logical_lines(body):
        _classify_line(sub_line, line, inner_ctx, inner, cands)
    shown = _detail(f"{_detail(text)} -> {body}")
    for h in inner:
        h.detail = shown
        h.line = line
    for c in cands:
        c.detail = shown
        c.line = line
    return inner, cands


# --------------------------------------------------------------------------------------
# recognisers
# --------------------------------------------------------------------------------------
_TEST_BINS = {"phpunit", "pest", "paratest", "pytest", "py.test", "tox", "nox", "rspec", "jest", "vitest",
              "mocha", "ava", "tap", "jasmine", "karma", "cucumber", "cucumber-js", "behat", "testem",
              "unittest", "nyc", "c8", "ward", "hurl-test", "bats", "phpspec", "codecept", "cypress",
              "playwright", "wdio", "testcafe", "nightwatch", "turbo", "nx"}


def _test_command(base: str, args: list[str]) -> str | None:
    """Name of the test runner when the command runs tests, else None."""
    if any(a in ("--version", "-v", "--help", "-h", "--listTests", "--list") for a in args[:2]) and len(args) <= 2:
        return None
    sub = _first_word(args)
    if base in ("nyc", "c8"):  # coverage wrappers: the runner follows
        rest = [a for a in args if not a.startswith("-")]
        return _test_command(rest[0].rsplit("/", 1)[-1], rest[1:]) if rest else None
    if base == "cypress":
        return "cypress" if sub == "run" else None
    if base == "playwright":
        return "playwright" if sub == "test" else None
    if base in ("phpspec", "codecept"):
        return base if sub == "run" else None
    if base in ("turbo", "nx"):
        words = [a for a in args if not a.startswith("-")]
        return base if any(_TESTISH.match(w.split(":")[-1]) for w in words if w not in ("run", "run-many")) or any(
            a.startswith(("--target=test", "-t=test")) for a in args) or ("-t" in args and "test" in args) else None
    if base == "vitest" and sub in ("bench", "init", "list"):
        return None
    if base == "jest" and "--listTests" in args:
        return None
    if base in _TEST_BINS:
        return base
    if base in ("artisan",):
        return "artisan" if sub in ("test", "dusk") or sub.startswith("dusk") else None
    if base in ("manage.py", "django-admin"):
        return "django" if sub == "test" else None
    if base in ("rails", "rake"):
        return base if any(re.fullmatch(r"(?:test|spec)(?::\w+)*", a) for a in args) else None
    if base == "go":
        return "go test" if sub == "test" else None
    if base == "cargo":
        return "cargo test" if sub in ("test", "nextest") else None
    if base in ("mvn", "mvnw"):
        return "maven" if any(a in ("test", "verify", "install") for a in args) and "-DskipTests" not in args \
            and "-Dmaven.test.skip=true" not in args else None
    if base in ("gradle", "gradlew"):
        return "gradle" if any(a in ("test", "check") or a.endswith(":test") for a in args) else None
    if base in ("dotnet", "mix", "deno", "flutter", "swift", "hatch", "zig", "dart"):
        return f"{base} test" if sub == "test" else None
    if base == "bun":
        return "bun test" if sub == "test" else None
    if base == "node":
        return "node --test" if "--test" in args else None
    if base == "hurl":
        return "hurl" if "--test" in args else None
    if base in ("test", "tests"):
        return None  # the shell builtin `test -f x`; bin/test is caught below by its path
    return None


_TEST_SCRIPT = lazy_re(r"(?:run[-_])?tests?(?:[-_][\w\-]*)?(?:\.sh)?|(?:unit|e2e|integration)[-_]tests?(?:\.sh)?")


def _test_script(head: str) -> bool:
    """`bin/test`, `scripts/tests-start.sh`, `./run-tests.sh`: a project's own test entry point."""
    base = head.rsplit("/", 1)[-1]
    return ("/" in head or base.endswith(".sh")) and bool(_TEST_SCRIPT.fullmatch(base))


_HOST_ARG = lazy_re(r"^(?:[\w.\-${}]+@)?[\w.\-${}]+:(?!//)")
_SSH_VALUE_OPTS = {"-i", "-p", "-o", "-l", "-F", "-J", "-L", "-R", "-D", "-b", "-c", "-e", "-m", "-S", "-W", "-E",
                   "-Q", "-O", "-w", "-B", "-I", "-P"}
_HOOK_HOSTS = (("api.render.com/deploy", "render"), ("forge.laravel.com", "forge"), ("envoyer.io/deploy", "envoyer"),
               ("api.vercel.com/v1/integrations/deploy", "vercel"), ("api.netlify.com/build_hooks", "netlify"),
               ("/api/v1/deploy", "coolify"), ("dokploy", "dokploy"), ("/deploy-hook", "deploy-hook"),
               ("/hooks/deploy", "deploy-hook"))
_HOOK_NAME_PLATFORMS = ("DEPLOY", "ENVOYER", "FORGE", "RENDER", "VERCEL", "NETLIFY", "COOLIFY", "DOKPLOY", "RAILWAY",
                        "CAPROVER", "RELEASE")
_VAR_NAMES = lazy_re(r"(?:secrets|vars|env)\.([A-Za-z0-9_]+)|\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def _var_names(token: str) -> list[str]:
    return [(a or b).upper() for a, b in _VAR_NAMES.findall(token)]


def _hook_tool(urls: list[str], post: bool) -> str | None:
    """Platform name when a curl/wget target is a deploy hook."""
    for url in urls:
        low = url.lower()
        for needle, tool in _HOOK_HOSTS:
            if needle in low:
                return tool
        for name in _var_names(url):
            if "HOOK" in name and any(p in name for p in _HOOK_NAME_PLATFORMS):
                return next((p.lower() for p in _HOOK_NAME_PLATFORMS[1:] if p in name), "deploy-hook")
            if post and "DEPLOY" in name:
                return "deploy-hook"
    return None


def _deploy_command(base: str, args: list[str], ctx: _Ctx, text: str,
                    op: str) -> tuple[StepKind, str, bool] | None:
    """(DEPLOY, tool, preview) for commands that ship code or schema to a running environment."""
    positional = _words(base, args)
    sub = positional[0] if positional else ""
    d = StepKind.DEPLOY
    if base in ("vercel", "now"):
        if sub in ("build", "pull", "env", "link", "login", "logout", "whoami", "dev", "inspect", "ls", "list",
                   "logs", "domains", "dns", "certs", "secrets", "teams", "switch", "help", "init", "project",
                   "alias", "remove", "rm", "rollback", "bisect", "git", "integration", "redeploy", "telemetry"):
            return (d, "vercel", False) if sub == "redeploy" else None
        if any(a in ("--version", "-v", "--help", "-h") for a in args):
            return None
        if sub and sub not in ("deploy", "promote") and not sub.startswith(("$", ".", "/")):
            return None
        prod = any(a in ("--prod", "--production") or a.startswith("--target=production") for a in args) or (
            "--target" in args and "production" in args) or sub == "promote"
        return d, "vercel", not prod
    if base in ("fly", "flyctl"):
        return (d, "flyctl", False) if sub == "deploy" else None
    if base == "git" and sub == "push":
        words = [a for a in args[1:] if not a.startswith("-")]
        remote = words[0].lower() if words else ""
        for needle, tool in (("heroku", "heroku"), ("dokku", "dokku"), ("git.heroku.com", "heroku"),
                             ("caprover", "caprover")):
            if needle in remote:
                return d, tool, False
        if remote in ("production", "prod", "live", "deploy", "staging"):
            return d, "git-push", False
        branch = _pushed_branch(words[1:])
        if branch and (_PLATFORM_BRANCH.fullmatch(branch) or (ctx.deploy_named and _NAMED_BRANCH.fullmatch(branch))):
            # Heroku/Render/Railway/Netlify deploy from a branch they watch: pushing to it is the deploy.
            return d, "github-pages" if branch == "gh-pages" else "git-push", False
        return None
    if base == "heroku":
        if sub in ("container:release", "deploy", "builds:create"):
            return d, "heroku", False
        return None
    if base == "railway":
        return (d, "railway", False) if sub in ("up", "redeploy", "deploy") else None
    if base == "kamal":
        return (d, "kamal", False) if sub in ("deploy", "redeploy", "setup") else None
    if base == "dep":
        return (d, "deployer", False) if sub == "deploy" or (sub.startswith("deploy") and ":" not in sub) else None
    if base == "cap":
        words = [a for a in args if not a.startswith("-")]
        return (d, "capistrano", False) if "deploy" in words else None
    if base in ("envoy", "mina", "fab", "shipit") and any(a.startswith("deploy") or (a == "run" and "deploy" in args)
                                                          for a in args):
        return d, base, False
    if base == "ssh":
        host, remote = _ssh_target(args)
        if host is None:
            return None
        if remote and _only_http_check(remote):
            return None  # a remote health probe, judged as a smoke candidate
        return d, "ssh", False
    if base in ("rsync", "scp"):
        words = [a for a in args if not a.startswith("-")]
        if words and _HOST_ARG.match(words[-1]) and not words[-1].startswith(("/", ".")):
            return d, base, False
        return None
    if base in ("docker", "podman"):
        if sub == "stack" and "deploy" in args:
            return d, "docker-swarm", False
        if _remote_docker(args, ctx) and any(a in ("up", "pull", "run") for a in args) and (
                "compose" in args or base == "docker-compose"):
            return d, "docker", False
        if ctx.deploy_runner and sub == "compose" and "up" in args and _detached(args):
            return d, "docker", False
        return None
    if base == "docker-compose":
        if "up" in args and (_remote_docker(args, ctx) or (ctx.deploy_runner and _detached(args))):
            return d, "docker", False
        return None
    if base == "fastapi":
        return (d, "fastapi-cloud", False) if sub == "deploy" else None
    if base in ("kubectl", "oc"):
        if sub in ("apply", "create", "replace", "patch") or (sub == "set" and "image" in args):
            return d, "kubectl", False
        if sub == "rollout" and "restart" in args:
            return d, "kubectl", False
        return None
    if base in ("helm", "helmfile"):
        return (d, "helm", False) if sub in ("upgrade", "install", "apply", "sync", "deploy") else None
    if base in ("serverless", "sls"):
        return (d, "serverless", False) if sub == "deploy" else None
    if base == "supabase":
        if sub == "functions" and "deploy" in args:
            return d, "supabase", False
        if sub == "db" and "push" in args:
            return d, "supabase", False
        if sub == "storage" and any(a in ("upload", "cp") for a in positional[1:2]) and _uploads_site(
                positional[2:], args, ctx):
            return d, "supabase-storage", False  # a built site copied into a public bucket is the release
        return None
    if base == "firebase":
        if sub == "deploy":
            return d, "firebase", False
        return None
    if base in ("netlify", "netlify-cli"):
        return (d, "netlify", False) if sub == "deploy" and ("--prod" in args or "--production" in args) else None
    if base == "render":
        return (d, "render", False) if sub in ("deploys", "deploy") and ("create" in args or sub == "deploy") else None
    if base in ("curl", "wget"):
        urls = _urls(args)
        post = _is_write_request(base, args)
        tool = _hook_tool(urls, post)
        if tool:
            return d, tool, False
        return None
    if base == "aws":
        words = positional
        svc = words[0] if words else ""
        action = words[1] if len(words) > 1 else ""
        if svc == "ecs" and action in ("update-service", "deploy"):
            return d, "aws-ecs", False
        if svc == "s3" and action == "sync" and len(words) >= 4 and words[3].startswith("s3://") \
                and not words[2].startswith("s3://") and "backup" not in " ".join(words).lower():
            return d, "aws-s3", False
        if svc == "elasticbeanstalk" and action in ("update-environment", "create-application-version"):
            return d, "aws-elasticbeanstalk", False
        if svc == "lambda" and action in ("update-function-code",):
            return d, "aws-lambda", False
        if (svc in ("cloudformation",) and action == "deploy") or (svc == "deploy" and action == "create-deployment"):
            return d, "aws", False
        if svc == "amplify" and action == "start-deployment":
            return d, "aws-amplify", False
        return None
    if base == "eb":
        return (d, "aws-elasticbeanstalk", False) if sub == "deploy" else None
    if base == "cdk":
        return (d, "aws-cdk", False) if sub == "deploy" else None
    if base == "gcloud":
        words = positional
        if ("run" in words[:2] or "app" in words[:1] or "functions" in words[:1]) and "deploy" in words[:3]:
            return d, "gcloud", False
        if words[:3] == ["run", "services", "update"]:
            return d, "gcloud", False
        return None
    if base == "wrangler":
        if sub in ("deploy", "publish"):
            return d, "wrangler", False
        if sub == "pages" and any(a in ("deploy", "publish") for a in args):
            return d, "wrangler", "--branch" in args and not any(a in ("main", "production") for a in args)
        return None
    if base == "az":
        words = [a for a in args if not a.startswith("-")]
        if words[:2] in (["webapp", "deploy"], ["webapp", "up"], ["containerapp", "update"], ["functionapp", "deploy"]):
            return d, "azure", False
        if words[:1] == ["webapp"] and "deployment" in words and "source" in words:
            return d, "azure", False
        return None
    if base == "ansible-playbook":
        return d, "ansible", False
    if base in ("surge",):
        return d, "surge", False
    if base == "gh-pages":
        return d, "github-pages", False
    if base == "dpl" or base == "dokku":
        return (d, base, False) if base == "dpl" or sub in ("deploy", "git:sync", "ps:rebuild") else None
    if re.fullmatch(r"deploy(?:[-_](?:prod|production|staging|live|app|site|server|web|remote))?(?:\.sh)?", base):
        return d, "script", False
    return None


_PLATFORM_BRANCH = lazy_re(r"(?i)production|prod|live|deploy(?:ment)?|heroku|dokku|deploy[-_/][\w.\-]+")
_NAMED_BRANCH = lazy_re(r"(?i)release|releases|staging|nightly|stable|main-deploy|gh-pages|[\w.\-]*deploy[\w.\-]*")
_SITE_DIR = lazy_re(r"^(?:\./)?(?:[\w.\-]+/)*(?:dist|build|out|public|_site|www|site|\.next|\.output|"
                       r"storybook-static)/?$")


def _pushed_branch(words: list[str]) -> str:
    """Destination branch of `git push <remote> <refspec>` (`+src:dst`, `HEAD:refs/heads/dst`)."""
    if not words:
        return ""
    ref = words[0].lstrip("+")
    ref = ref.rsplit(":", 1)[-1]
    return ref.removeprefix("refs/heads/") if "$" not in ref else ""


def _uploads_site(words: list[str], args: list[str], ctx: _Ctx) -> bool:
    """A storage upload whose source is a build output folder (or a recursive upload in a deploy step)."""
    if any(_SITE_DIR.match(w) for w in words):
        return True
    return ctx.deploy_named and any(a in ("-r", "--recursive") for a in args)


def _detached(args: list[str]) -> bool:
    return any(a in ("-d", "--detach", "--wait") for a in args)


def _ssh_target(args: list[str]) -> tuple[str | None, str]:
    """(host, remote command) for an ssh invocation; host None for ssh without one."""
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("-"):
            i += 2 if a in _SSH_VALUE_OPTS else 1
            continue
        return a, " ".join(args[i + 1:])
    return None, ""


def _remote_docker(args: list[str], ctx: _Ctx) -> bool:
    host = ctx.env.get("DOCKER_HOST", "")
    if host.startswith(("ssh://", "tcp://")) or ("DOCKER_HOST" in ctx.env and "secrets." in host):
        return True
    for i, a in enumerate(args):
        if a in ("-H", "--host", "--context", "-c") and i + 1 < len(args) and args[i + 1] not in ("default",):
            return True
        if a.startswith(("--host=ssh://", "-H=ssh://", "--context=")):
            return True
    return False


def _remote_hits(args: list[str], line: int, ctx: _Ctx) -> list[Hit]:
    """Migrations/backups/rollbacks inside an ssh remote command (not the deploy itself)."""
    _, remote = _ssh_target(args)
    if not remote:
        return []
    inner_ctx = _Ctx(ctx.aliases, {}, True, ctx.depth + 1)
    inner: list[Hit] = []
    for _, sub_line in logical_lines(remote):
        _classify_line(sub_line, line, inner_ctx, inner, [])
    return [h for h in inner if h.kind in (StepKind.MIGRATE, StepKind.BACKUP, StepKind.ROLLBACK)]


def _only_http_check(remote: str) -> bool:
    parts = split_commands(remote)
    return bool(parts) and all(tokens(p)[:1] and tokens(p)[0] in ("curl", "wget", "sleep", "http") for p, _ in parts)


def _migrate_command(base: str, args: list[str], sub: str) -> bool:
    if base == "artisan":
        return sub in ("migrate", "migrate:fresh", "migrate:refresh") and "--pretend" not in args
    if base in ("manage.py", "django-admin"):
        return sub == "migrate" and "--plan" not in args and "--check" not in args
    if base == "alembic":
        return sub == "upgrade"
    if base == "prisma":
        return (sub == "migrate" and "deploy" in args) or (sub == "db" and "push" in args)
    if base in ("rails", "rake"):
        return sub in ("db:migrate", "db:prepare", "db:setup") or sub.startswith("db:migrate")
    if base == "knex":
        return sub.startswith("migrate:latest") or sub == "migrate:up"
    if base == "supabase":
        return (sub == "db" and "push" in args) or (sub == "migration" and "up" in args)
    if base == "drizzle-kit":
        return sub in ("migrate", "push")
    if base in ("sequelize", "sequelize-cli"):
        return sub == "db:migrate"
    if base == "flask":
        return sub == "db" and "upgrade" in args
    if base in ("typeorm", "typeorm-ts-node-commonjs", "typeorm-ts-node-esm"):
        return sub == "migration:run"
    if base == "db-migrate":
        return sub == "up"
    if base == "handrail":
        return sub == "migrate"
    return False


def _backup_command(base: str, args: list[str], sub: str) -> bool:
    if base in ("pg_dump", "pg_dumpall", "mysqldump", "mariadb-dump", "mongodump"):
        return "--help" not in args and "--version" not in args
    if base == "handrail":
        return sub in ("migrate", "backup")
    if base == "sqlite3":
        return any(".backup" in a for a in args)
    if base == "artisan":
        return sub == "backup:run"
    return False


def _build_command(base: str, args: list[str], sub: str) -> bool:
    if base in ("vite", "next", "nuxt", "astro", "remix", "svelte-kit", "ng", "tsc", "webpack", "rollup", "esbuild",
                "parcel", "vercel"):
        return sub == "build" or (base in ("tsc", "webpack", "rollup", "esbuild") and "--noEmit" not in args)
    if base in ("docker", "podman"):
        return sub in ("build", "buildx") or (sub == "compose" and "build" in args)
    if base in ("go", "cargo", "mvn", "mvnw", "gradle", "gradlew", "dotnet"):
        return sub in ("build", "package")
    if base == "artisan":
        return sub in ("config:cache", "route:cache", "view:cache", "optimize")
    return base == "build"


def _publish_command(base: str, args: list[str], sub: str) -> bool:
    if base in ("docker", "podman"):
        return sub == "push" or (sub == "buildx" and "--push" in args)
    if base in ("npm", "pnpm", "yarn"):
        return sub == "publish"
    if base == "twine":
        return sub == "upload"
    if base == "heroku":
        return sub == "container:push"
    if base == "gh":
        return sub == "release" and "create" in args
    return False


def _rollback_command(base: str, args: list[str], sub: str) -> str | None:
    if base == "kamal" and sub == "rollback":
        return "kamal"
    if base == "dep" and sub == "rollback":
        return "deployer"
    if base == "cap" and any(a in ("deploy:rollback",) for a in args):
        return "capistrano"
    if base == "heroku" and sub in ("rollback", "releases:rollback"):
        return "heroku"
    if base == "helm" and sub == "rollback":
        return "helm"
    if base in ("kubectl", "oc") and sub == "rollout" and "undo" in args:
        return "kubectl"
    if base in ("vercel",) and sub == "rollback":
        return "vercel"
    if base == "artisan" and sub == "migrate:rollback":
        return "artisan"
    if base == "alembic" and sub == "downgrade":
        return "alembic"
    if base == "handrail" and sub in ("rollback", "restore"):
        return "handrail"
    return None


# --------------------------------------------------------------------------------------
# smoke candidates
# --------------------------------------------------------------------------------------
_URLISH = lazy_re(r"^(?:https?://|\$\{\{|\$\{?[A-Za-z_]|[\w\-]+(?:\.[\w\-]+)+(?:[:/]|$)|localhost[:/])")
_NOT_SMOKE_HOSTS = ("api.github.com", "hooks.slack.com", "discord.com/api/webhooks", "discordapp.com/api/webhooks",
                    "sentry.io", "codecov.io", "api.cloudflare.com", "uploads.github.com", "api.telegram.org",
                    "raw.githubusercontent.com", "github.com/", "objects.githubusercontent.com", "get.",
                    "install.", "sh.rustup.rs", "deb.", "dl.", "download", "registry.npmjs.org", "pypi.org",
                    "api.honeybadger.io", "api.rollbar.com", "outlook.office.com", "api.pagerduty.com",
                    "api.vercel.com", "api.netlify.com", "api.heroku.com", "api.fly.io", "api.render.com",
                    "smokeshow", "coveralls.io", "api.checklyhq.com/v1/check-groups")
_CURL_VALUE_OPTS = {"-o", "--output", "-H", "--header", "-d", "--data", "--data-raw", "--data-binary",
                    "--data-urlencode", "-X", "--request", "-u", "--user", "-w", "--write-out", "-A", "--user-agent",
                    "-e", "--referer", "--retry", "--retry-delay", "--retry-max-time", "-m", "--max-time",
                    "--connect-timeout", "-F", "--form", "-b", "--cookie", "-c", "--cookie-jar", "--cacert",
                    "--cert", "--key", "-T", "--upload-file", "-x", "--proxy", "--resolve", "-K", "--config",
                    "--header-file", "--json"}
_WGET_VALUE_OPTS = {"-O", "--output-document", "-o", "--output-file", "--header", "--post-data", "--method",
                    "--body-data", "-T", "--timeout", "-t", "--tries", "--user", "--password", "-P", "-U"}


def _urls(args: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for i, a in enumerate(args):
        if skip:
            skip = False
            continue
        if a in _CURL_VALUE_OPTS or a in _WGET_VALUE_OPTS:
            skip = True
            continue
        if a.startswith("-"):
            if a.startswith("--url="):
                out.append(a[6:])
            continue
        if _URLISH.match(a) or (i > 0 and args[i - 1] == "--url"):
            out.append(a)
    return out


def _is_write_request(base: str, args: list[str]) -> bool:
    for i, a in enumerate(args):
        nxt = args[i + 1].upper() if i + 1 < len(args) else ""
        if a in ("-X", "--request", "--method") and nxt in ("POST", "PUT", "PATCH", "DELETE"):
            return True
        if re.fullmatch(r"(?:-X|--request=|--method=)(POST|PUT|PATCH|DELETE)", a, re.I):
            return True
        if a in ("-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "-F", "--form", "--json",
                 "--post-data", "--post-file", "--body-data", "-T", "--upload-file") or \
                a.startswith(("--data=", "--post-data=", "--json=")):
            return True
    return False


def _curl_checks_status(args: list[str], text: str, piped_to: str, captured: bool) -> bool:
    for a in args:
        if a in ("--fail", "--fail-with-body", "--fail-early") or re.fullmatch(r"-[a-zA-Z]*f[a-zA-Z]*", a):
            return True
    if captured and re.search(r"%\{(?:http_code|response_code)\}", text):
        return True  # `code=$(curl -w '%{http_code}' ...)`: printed alone it would check nothing
    pipe = tokens(piped_to)[:1]
    return bool(pipe) and pipe[0] in ("grep", "jq") and bool(re.search(r"\b(?:200|2\d\d|ok|healthy|-e)\b", piped_to,
                                                                     re.I))


def _smoke_candidate(head: str, args: list[str], text: str, line: int, ctx: _Ctx, piped_to: str,
                     test: str | None) -> _Candidate | None:
    base = head.rsplit("/", 1)[-1]
    detail = _detail(text)
    pipe = tokens(piped_to)[:1]
    if pipe and pipe[0].rsplit("/", 1)[-1] in ("sh", "bash", "zsh", "sudo", "python", "python3", "tar", "node",
                                               "gunzip", "unzip", "apt-key", "gpg", "tee", "dd"):
        return None  # a download or an installer, not a probe
    if base in ("curl", "wget", "http", "https", "httpie", "xh"):
        urls = _urls(args)
        if not urls or _is_write_request(base, args):
            return None
        url = urls[0]
        low = url.lower()
        if any(h in low for h in _NOT_SMOKE_HOSTS):
            return None
        if not ctx.remote and re.search(r"(?:^|//)(?:localhost|127\.0\.0\.1|0\.0\.0\.0)\b", low):
            return None
        if base == "curl":
            downloads = any(a in ("-O", "--remote-name", "-J") for a in args) or any(
                a in ("-o", "--output") and i + 1 < len(args) and args[i + 1] != "/dev/null"
                for i, a in enumerate(args))
            if downloads or not _curl_checks_status(args, text, piped_to, ctx.captured):
                return None
            return _Candidate(detail, line, "curl", 0)
        if base == "wget":
            if any(a in ("-O", "--output-document") and i + 1 < len(args) and args[i + 1] not in ("-", "/dev/null")
                   for i, a in enumerate(args)):
                return None
            return _Candidate(detail, line, "wget", 0)
        return _Candidate(detail, line, "httpie", 0)
    if base == "k6" and _first_word(args) in ("run", "cloud"):
        return _Candidate(detail, line, "k6", 0)
    if base == "checkly" and _first_word(args) in ("test", "trigger"):
        return _Candidate(detail, line, "checkly", 0)
    if base == "wait-on" and any(a.startswith(("http://", "https://", "http-get://", "https-get://")) for a in args):
        return _Candidate(detail, line, "wait-on", 0) if not re.search(r"localhost|127\.0\.0\.1", text) else None
    if test in ("playwright", "cypress", "wdio", "testcafe", "nightwatch") or (
            test and re.search(r"e2e|smoke", text, re.I)):
        return _Candidate(detail, line, test or "e2e", 0, needs_url_hint=True)
    if base == "hurl":
        return _Candidate(detail, line, "hurl", 0)
    if ("/" in head or "." in base) and _SMOKE_SCRIPT.fullmatch(base):
        return _Candidate(detail, line, "script", 0)
    return None


# --------------------------------------------------------------------------------------
# `uses:` actions
# --------------------------------------------------------------------------------------
def _classify_uses(step: Step, ctx: _Ctx, hits: list[Hit], cands: list[_Candidate]) -> None:
    ref = (step.uses or "").split("@", 1)[0].strip().lower().rstrip("/")
    w = {str(k).lower(): v for k, v in (step.with_ or {}).items()} if isinstance(step.with_, dict) else {}

    def add(kind: StepKind, tool: str | None = None, preview: bool = False) -> None:
        hits.append(Hit(kind, redact_command(step.uses or ""), step.line, tool, preview))

    def text(key: str) -> str:
        value = w.get(key)
        return value if isinstance(value, str) else ("" if value is None else str(value))

    named_rollback = bool(re.search(r"rollback|roll back|revert", step.name or "", re.I)) or (
        "failure()" in (step.condition or ""))
    if ref.startswith("./"):
        _local_action(step, ref, ctx, hits, cands)
    elif ref == "actions/checkout":
        add(StepKind.CHECKOUT)
    elif ref == "amondnet/vercel-action":
        args = text("vercel-args")
        add(StepKind.DEPLOY, "vercel", preview="--prod" not in args and "production" not in args)
    elif ref.startswith("superfly/flyctl-actions"):
        if "setup-flyctl" not in ref and "deploy" in text("args").split():
            add(StepKind.DEPLOY, "flyctl")
    elif ref == "akhileshns/heroku-deploy":
        add(StepKind.DEPLOY, "heroku")
    elif ref == "deployphp/action":
        dep = text("dep")
        if "rollback" in dep:
            add(StepKind.ROLLBACK, "deployer")
        elif "deploy" in dep and "--dry-run" not in dep:
            add(StepKind.DEPLOY, "deployer")
    elif ref in ("appleboy/ssh-action", "garygrossgarten/github-action-ssh", "fifsky/ssh-action",
                 "cross-the-world/ssh-scp-ssh-pipelines"):
        script = text("script") or text("command")
        if named_rollback or _rollbackish(script):
            add(StepKind.ROLLBACK, "ssh")
        else:
            add(StepKind.DEPLOY, "ssh")
        _script_in_with(script, step.line, ctx, hits, cands)
    elif ref in ("appleboy/scp-action", "easingthemes/ssh-deploy", "burnett01/rsync-deployments",
                 "wlixcc/sftp-deploy-action", "samkirkland/ftp-deploy-action", "sebastianpopp/ftp-action"):
        add(StepKind.DEPLOY, "ssh" if "ssh" in ref or "scp" in ref or "rsync" in ref else "ftp")
        _script_in_with(text("script_after") or text("script_before"), step.line, ctx, hits, cands)
    elif ref == "firebaseextended/action-hosting-deploy":
        if text("channelid") == "live":
            add(StepKind.DEPLOY, "firebase")
        else:
            add(StepKind.DEPLOY, "firebase", preview=True)
    elif ref == "cloudflare/wrangler-action":
        command = text("command") or "deploy"
        if re.search(r"\b(?:deploy|publish)\b", command) and "--dry-run" not in command:
            add(StepKind.DEPLOY, "wrangler")
    elif ref == "cloudflare/pages-action":
        add(StepKind.DEPLOY, "wrangler", preview=bool(text("branch")) and text("branch") not in ("main", "master"))
    elif ref in ("actions/deploy-pages", "peaceiris/actions-gh-pages", "jamesives/github-pages-deploy-action",
                 "crazy-max/ghaction-github-pages"):
        add(StepKind.DEPLOY, "github-pages")
    elif ref in ("aws-actions/amazon-ecs-deploy-task-definition",):
        add(StepKind.DEPLOY, "aws-ecs")
    elif ref in ("google-github-actions/deploy-cloudrun", "google-github-actions/deploy-appengine",
                 "google-github-actions/deploy-cloud-functions"):
        add(StepKind.DEPLOY, "gcloud")
    elif ref in ("azure/webapps-deploy", "azure/functions-action", "azure/static-web-apps-deploy",
                 "azure/container-apps-deploy-action"):
        add(StepKind.DEPLOY, "azure")
    elif ref in ("azure/k8s-deploy",):
        add(StepKind.DEPLOY, "kubectl")
    elif ref in ("nwtgck/actions-netlify", "netlify/actions/cli"):
        args = text("args")
        if w.get("production-deploy") in (True, "true") or "--prod" in args:
            add(StepKind.DEPLOY, "netlify")
    elif ref in ("johnbeynon/render-deploy-action", "gh-actions-workflows/deploy-docker-render",
                 "bounceapp/render-action", "ttskch/render-deploy"):
        add(StepKind.DEPLOY, "render")
    elif ref in ("serverless/github-action",):
        if "deploy" in text("args"):
            add(StepKind.DEPLOY, "serverless")
    elif ref in ("railwayapp/cli",) or ref.startswith("bervproject/railway-deploy"):
        add(StepKind.DEPLOY, "railway")
    elif ref in ("dokku/github-action",):
        add(StepKind.DEPLOY, "dokku")
    elif ref in ("php-actions/phpunit", "php-actions/phpspec", "php-actions/behat"):
        add(StepKind.TEST, ref.split("/", 1)[1])
    elif ref in ("cypress-io/github-action",):
        if w.get("runtests") not in (False, "false"):
            add(StepKind.TEST, "cypress")
            cands.append(_Candidate(redact_command(step.uses or ""), step.line, "cypress", len(hits),
                                    needs_url_hint=True))
    elif ref in ("jtalk/url-health-check-action", "gerdemann/http-status-code", "lakuapik/gh-actions-http-status",
                 "cygnetdigital/wait_for_response", "fjogeleit/http-request-action"):
        if ref != "fjogeleit/http-request-action" or text("method").upper() in ("", "GET", "HEAD"):
            cands.append(_Candidate(redact_command(step.uses or ""), step.line, "http-check", len(hits)))
    elif ref in ("docker/build-push-action",):
        add(StepKind.BUILD)
        if w.get("push") in (True, "true"):
            add(StepKind.PUBLISH)
    elif ref.startswith("docker://"):
        command = " ".join(x for x in (text("entrypoint"), text("args")) if x)
        for _, sub_line in logical_lines(command):
            _classify_line(sub_line, step.line, ctx, hits, cands)


def _local_action(step: Step, ref: str, ctx: _Ctx, hits: list[Hit], cands: list[_Candidate]) -> None:
    """A composite action in the repository: classify its steps as if they were inline."""
    body = ctx.aliases.get("action:" + ref[2:].strip("/"))
    if not body or ctx.depth >= MAX_ALIAS_DEPTH:
        return
    try:
        inner_steps = json.loads(body)
    except ValueError:
        return
    inner_ctx = _Ctx(ctx.aliases, dict(ctx.env), ctx.remote, ctx.depth + 1, ctx.cwd, ctx.deploy_runner)
    inner: list[Hit] = []
    inner_cands: list[_Candidate] = []
    for raw in inner_steps if isinstance(inner_steps, list) else []:
        if not isinstance(raw, dict):
            continue
        if isinstance(raw.get("uses"), str):
            fake = Step(index=0, line=step.line, name=raw.get("name"), uses=raw["uses"],
                        with_=raw.get("with") if isinstance(raw.get("with"), dict) else {})
            _classify_uses(fake, inner_ctx, inner, inner_cands)
        if isinstance(raw.get("run"), str):
            for _, sub_line in logical_lines(raw["run"]):
                _classify_line(sub_line, step.line, inner_ctx, inner, inner_cands)
    shown = redact_command(step.uses or "")
    for h in inner:
        h.detail = _detail(f"{shown} -> {h.detail}")
        h.line = step.line
    offset = len(hits)
    for c in inner_cands:
        c.detail = _detail(f"{shown} -> {c.detail}")
        c.line = step.line
        c.seq += offset
        cands.append(c)
    hits.extend(inner)


def _rollbackish(script: str) -> bool:
    return bool(re.search(r"\brollback\b|\brevert\b", script, re.I))


def _script_in_with(script: str, line: int, ctx: _Ctx, hits: list[Hit], cands: list[_Candidate]) -> None:
    """Remote scripts of ssh actions: keep their migrations, backups and local-host health probes."""
    if not script:
        return
    inner_ctx = _Ctx(ctx.aliases, {}, True, ctx.depth + 1)
    inner: list[Hit] = []
    inner_cands: list[_Candidate] = []
    for _, sub_line in logical_lines(script):
        _classify_line(sub_line, line, inner_ctx, inner, inner_cands)
    hits.extend(h for h in inner if h.kind in (StepKind.MIGRATE, StepKind.BACKUP))
    deploy_seen = any(h.kind is StepKind.DEPLOY for h in hits)
    for c in inner_cands:
        if deploy_seen and c.tool in ("curl", "wget", "httpie"):
            c.seq = len(hits)
            cands.append(c)


# --------------------------------------------------------------------------------------
# second pass: smoke needs a deploy before it
# --------------------------------------------------------------------------------------
_URL_KEY = lazy_re(r"(?i)(?:base_?url|_url$|^url$|host$|baseurl|environment_url|target_url|deploy.*url|site)")
_DEPLOYED_REF = lazy_re(r"(?i)deployment_status\.(?:target_url|environment_url)|deployment\.payload|"
                           r"steps\.[\w\-]+\.outputs|needs\.[\w\-]+\.outputs|secrets\.|vars\.|https?://(?!localhost|127\.)")


def _merged_env(wf: Workflow, job: Job) -> dict[str, str]:
    env: dict[str, str] = {}
    for source in (wf.env, job.raw.get("env") if isinstance(job.raw, dict) else None,
                   job.raw.get("variables") if isinstance(job.raw, dict) else None):
        if isinstance(source, dict):
            env.update({str(k): str(v) for k, v in source.items() if not isinstance(v, (dict, list))})
    return env


def _has_url_hint(cand: _Candidate, step: Step, env: dict[str, str], job: Job) -> bool:
    if re.search(r"--base-url|baseUrl=|--config\s+\S*baseUrl|https?://(?!localhost|127\.)", cand.detail):
        return True
    if re.search(r"\b\w*(?:BASE_URL|_URL)=\S+", cand.detail) and _DEPLOYED_REF.search(cand.detail):
        return True
    merged = {**env, **{str(k): str(v) for k, v in (step.env or {}).items()}}
    if isinstance(step.with_, dict):
        merged.update({str(k): str(v) for k, v in step.with_.items() if k in ("config", "env", "base-url", "url")})
    for key, value in merged.items():
        if (_URL_KEY.search(key) or "baseUrl" in value) and _DEPLOYED_REF.search(value):
            return True
    return False


def callers_of(model: PipelineModel, wf: Workflow) -> list[tuple[Workflow, Job]]:
    """Jobs that call `wf` as a reusable workflow (`uses: ./.github/workflows/x.yml`)."""
    out = []
    target = wf.path.lstrip("./")
    for other in model.workflows:
        for job in other.jobs.values():
            if other is not wf and job.uses and job.uses.split("@", 1)[0].lstrip("./") == target:
                out.append((other, job))
    return out


def _calls_deploy(model: PipelineModel, job: Job) -> bool:
    if not job.uses or not job.uses.startswith("./"):
        return False
    target = job.uses.split("@", 1)[0].lstrip("./")
    return any(w.path.lstrip("./") == target and any(j.has(StepKind.DEPLOY) for j in w.jobs.values())
               for w in model.workflows)


def _mark_smoke(wf: Workflow, model: PipelineModel, candidates: dict[int, list[_Candidate]]) -> None:
    deploy_jobs = {jid for jid, j in wf.jobs.items() if j.has(StepKind.DEPLOY) or _calls_deploy(model, j)}
    after_deploy_event = wf.trigger("deployment_status") is not None
    wr = wf.trigger("workflow_run")
    if wr is not None:
        names = set(wr.workflows)
        for other in model.workflows:
            if other is not wf and (other.name in names or other.path.rsplit("/", 1)[-1] in names) and any(
                    j.has(StepKind.DEPLOY) for j in other.jobs.values()):
                after_deploy_event = True
    for job in wf.jobs.values():
        env = _merged_env(wf, job)
        behind_deploy = bool(wf.upstream(job.id) & deploy_jobs) or after_deploy_event
        first_deploy: tuple[int, int] | None = None
        for step in job.steps:
            dh = first_hit(step, StepKind.DEPLOY)
            if dh is not None:
                first_deploy = (step.index, dh.seq)
                break
        for step in job.steps:
            for cand in candidates.get(id(step), []):
                after = behind_deploy or (first_deploy is not None and (
                    step.index > first_deploy[0] or (step.index == first_deploy[0] and cand.seq > first_deploy[1])))
                if not after:
                    continue
                if cand.needs_url_hint and not _has_url_hint(cand, step, env, job):
                    continue
                if any(h.kind is StepKind.SMOKE and h.line == cand.line and h.detail == cand.detail
                       for h in step.hits):
                    continue
                step.hits.append(Hit(StepKind.SMOKE, cand.detail, cand.line, cand.tool, seq=len(step.hits)))
                step.kinds.add(StepKind.SMOKE)


_PRIORITY = (StepKind.DEPLOY, StepKind.ROLLBACK, StepKind.TEST, StepKind.SMOKE, StepKind.MIGRATE, StepKind.BACKUP,
             StepKind.PUBLISH, StepKind.BUILD, StepKind.CHECKOUT)


def _summarise(step: Step) -> None:
    """deploy_tool/detail/detail_line from the most telling hit."""
    hits: list[Any] = [h for h in step.hits if isinstance(h, Hit)]
    step.kinds = {h.kind for h in hits}
    deploy = next((h for h in hits if h.kind is StepKind.DEPLOY), None)
    step.deploy_tool = deploy.tool if deploy else None
    for kind in _PRIORITY:
        h = next((h for h in hits if h.kind is kind), None)
        if h is not None:
            step.detail = h.detail
            step.detail_line = h.line
            return
    step.detail = ""
    step.detail_line = 0


# --------------------------------------------------------------------------------------
# deploy paths (shared by tests-before-deploy and smoke-after-deploy)
# --------------------------------------------------------------------------------------
@dataclass
class DeployPath:
    """One CI job that deploys, at its first deploy step."""

    workflow: Workflow
    job: Job
    step: Step
    hit: Hit | None

    @property
    def path(self) -> str:
        return self.step.path or self.job.workflow_path or self.workflow.path

    @property
    def line(self) -> int:
        return (self.hit.line if self.hit else 0) or self.step.detail_line or self.step.line

    @property
    def tool(self) -> str:
        return (self.hit.tool if self.hit else None) or self.step.deploy_tool or "deploy"

    @property
    def preview(self) -> bool:
        return is_preview(self.step)

    @property
    def label(self) -> str:
        return f"{self.workflow.name or self.workflow.path} / {self.job.name or self.job.id}"


def never_runs(job: Job, step: Step | None = None) -> bool:
    """`if: false` (often how a workflow is switched off): the job or step never runs."""
    for cond in (job.condition, step.condition if step else None, job.when):
        if cond is not None and re.fullmatch(r"\s*(?:\$\{\{\s*)?(?:false|never)(?:\s*\}\})?\s*", str(cond)):
            return True
    return False


def deploy_paths(model: PipelineModel) -> list[DeployPath]:
    out: list[DeployPath] = []
    for wf, job in model.deploy_jobs():
        if never_runs(job):
            continue
        for step in job.steps:
            if StepKind.DEPLOY in step.kinds and not never_runs(job, step):
                out.append(DeployPath(wf, job, step, first_hit(step, StepKind.DEPLOY)))
                break
    return out


def step_path(wf: Workflow, job: Job, step: Step) -> str:
    return step.path or job.workflow_path or wf.path


# Files that mean "a platform deploys this repository", outside CI (platform readers cover most of them).
PLATFORM_FILES = {
    "vercel.json": "vercel", "netlify.toml": "netlify", "render.yaml": "render", "render.yml": "render",
    "fly.toml": "fly", "Procfile": "heroku", "app.json": "heroku", "railway.toml": "railway",
    "railway.json": "railway", "firebase.json": "firebase", "wrangler.toml": "cloudflare", "amplify.yml": "amplify",
    "app.yaml": "app-engine", "config/deploy.yml": "kamal", "deploy.php": "deployer", "Capfile": "capistrano",
    "serverless.yml": "serverless", "Envoy.blade.php": "envoy",
}
# Platforms that build and release on a git push (their own integration, not a CI job).
GIT_PLATFORMS = {"vercel", "netlify", "render", "heroku", "railway", "fly", "firebase", "cloudflare", "amplify",
                 "app-engine"}


def platform_files(project: Project, model: PipelineModel) -> list[Location]:
    """Where a deploy platform is configured outside CI (platform readers first, then known file names)."""
    out: dict[str, Location] = {}
    for name, loc in model.platforms.platforms.items():
        if loc.path and name != "docker-compose":
            out.setdefault(loc.path, Location(loc.path, loc.line, f"{name}: platform configuration"))
    for path, name in PLATFORM_FILES.items():
        if path in ("Procfile", "app.json") and "heroku" not in model.platforms.platforms and not (
                project.exists("Procfile") and project.exists("app.json")):
            # foreman/Overmind read a Procfile locally and Expo has an app.json: alone, neither is a Heroku
            # deploy; a release: process, a Heroku app.json, heroku.yml or the pair together are
            continue
        if project.exists(path) and path not in out:
            out[path] = Location(path, 1, f"{name}: platform configuration")
    return list(out.values())
