"""GitLab CI (`.gitlab-ci.yml` and its local includes) -> pipeline model.

GitLab assembles a pipeline before running it: local includes are merged under the main
file, `extends` deep-merges templates into jobs, `default:` fills missing keys, and a job
without `needs` waits for every earlier stage. This module does the same assembly, so the
checks see the jobs GitLab would run, with `Job.needs` meaning the same thing as on GitHub.
Remote, template, project and component includes are not fetched; they are listed in
`Workflow.env["__includes_not_followed__"]` (and the Auto-DevOps template sets
`Workflow.env["__auto_devops__"] = "true"`, a deploy-pipeline hint).

Every merged value keeps the file it came from, so a step taken from a template in an
included file points at that file (`Step.path`) and its own line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handrail.core.lazyre import lazy_re
from handrail.core.yamlload import LList, LMap
from handrail.pipeline.github import (
    _Invalid,
    dedupe,
    key_column,
    load_document,
    locate,
    scalar_first_line,
    with_line,
)
from handrail.pipeline.model import InvalidFile, Job, SecretUse, Step, Trigger, Workflow

if TYPE_CHECKING:
    from handrail.core.project import Project

MAIN = ".gitlab-ci.yml"
RESERVED = frozenset({"stages", "variables", "default", "include", "workflow", "image", "services", "cache",
                      "before_script", "after_script", "types", "spec"})
DEFAULT_STAGES = [".pre", "build", "test", "deploy", ".post"]
DEFAULT_KEYS = ("image", "services", "before_script", "after_script", "cache", "artifacts", "retry", "timeout",
                "interruptible", "tags", "hooks", "id_tokens")
GLOBAL_KEYS = ("image", "services", "cache", "before_script", "after_script")  # deprecated top-level defaults
SCRIPT_KEYS = ("before_script", "script", "after_script")
MAX_INCLUDES = 150  # GitLab's own limit
MAX_EXTENDS_DEPTH = 11  # GitLab's own limit
MAX_MERGE_DEPTH = 30
MAX_STEPS = 2000
MAX_SCRIPT_NESTING = 10  # GitLab refuses deeper nested script arrays
WALK_BUDGET = 100_000

# Variables GitLab or the shell define; anything else a script reads comes from CI/CD settings.
PREDEFINED = frozenset({
    "CI", "GITLAB_CI", "GITLAB_FEATURES", "GITLAB_USER_EMAIL", "GITLAB_USER_ID", "GITLAB_USER_LOGIN",
    "GITLAB_USER_NAME", "GITLAB_ENV", "CHAT_CHANNEL", "CHAT_INPUT", "CHAT_USER_ID", "TRIGGER_PAYLOAD",
    "KUBECONFIG", "HOME", "PATH", "PWD", "OLDPWD", "USER", "SHELL", "HOSTNAME", "RANDOM", "IFS", "UID",
    "LANG", "TERM", "TMPDIR", "SECONDS", "LINENO", "BASH_SOURCE", "FF_USE_FASTZIP", "DOCKER_HOST",
    "DOCKER_TLS_CERTDIR", "DOCKER_DRIVER", "GIT_STRATEGY", "GIT_DEPTH", "GIT_SUBMODULE_STRATEGY",
})
# Predefined variables that are credentials: recorded like GitHub's GITHUB_TOKEN.
TOKEN_VARS = frozenset({"CI_JOB_TOKEN", "CI_REGISTRY_PASSWORD", "CI_DEPLOY_PASSWORD",
                        "CI_DEPENDENCY_PROXY_PASSWORD", "CI_JOB_JWT", "CI_JOB_JWT_V2"})
_VAR_RX = lazy_re(r"(?<!\$)\$(?:\{(?P<b>[A-Za-z_][A-Za-z0-9_]*)|(?P<p>[A-Za-z_][A-Za-z0-9_]*))")
_ASSIGN_RX = lazy_re(r"(?:^|[\s;&|(])(?:export\s+|local\s+|declare\s+(?:-\w+\s+)*)?([A-Za-z_][A-Za-z0-9_]*)=")
_LOOP_RX = lazy_re(r"\b(?:for|read(?:\s+-\w+)*)\s+([A-Za-z_][A-Za-z0-9_]*)")
_UPPER_RX = lazy_re(r"^[A-Z][A-Z0-9_]*$")


@dataclass
class _Ctx:
    project: Project
    invalid: list[InvalidFile] = field(default_factory=list)
    origin: dict[int, str] = field(default_factory=dict)  # id(LMap/LList) -> file it was read from
    loaded: set[str] = field(default_factory=set)
    not_followed: list[str] = field(default_factory=list)
    auto_devops: bool = False
    auto_devops_at: tuple[str, int] | None = None  # file and line of the Auto-DevOps include
    unresolved_extends: bool = False
    top: dict[str, Any] = field(default_factory=dict)

    def path_of(self, node: Any, key: Any = None) -> str:
        if key is not None:
            by_key = getattr(node, "key_origin", None)
            if by_key and key in by_key:
                return by_key[key]
        return self.origin.get(id(node), MAIN)

    def lines(self, path: str) -> list[str]:
        return self.project.lines(path)


def parse(project: Project) -> tuple[list[Workflow], list[InvalidFile]]:
    if MAIN not in project.files:
        return [], []
    ctx = _Ctx(project)
    try:
        wf = _parse(ctx)
    except _Invalid as exc:
        ctx.invalid.append(InvalidFile(getattr(exc, "path", MAIN), with_line(exc.message, exc.line), exc.line))
        return [], ctx.invalid
    except Exception as exc:  # one odd file must not take the whole report down
        ctx.invalid.append(InvalidFile(MAIN, f"could not be analysed ({exc.__class__.__name__}: {exc})"[:300]))
        return [], ctx.invalid
    return ([wf] if wf else []), ctx.invalid


def _invalid(path: str, message: str, line: int | None) -> _Invalid:
    exc = _Invalid(message, line)
    exc.path = path  # type: ignore[attr-defined]
    return exc


# --- loading and includes ---------------------------------------------------------------

def _load(ctx: _Ctx, path: str) -> LMap:
    try:
        data = load_document(ctx.project, path, "GitLab CI")
    except _Invalid as exc:
        raise _invalid(path, exc.message, exc.line) from None
    if isinstance(data, LMap) and set(data) == {"spec"}:  # a `spec:` header document comes first
        docs = ctx.project.yaml_all(path)
        data = docs[1] if len(docs) > 1 else LMap()
    if not isinstance(data, LMap):
        raise _invalid(path, "GitLab CI configuration must be a mapping at the top level",
                       getattr(data, "line", 1) or 1)
    _tag(ctx, data, path)
    ctx.loaded.add(path)
    return data


def _tag(ctx: _Ctx, node: Any, path: str) -> None:
    stack, budget = [node], WALK_BUDGET
    while stack and budget > 0:
        budget -= 1
        v = stack.pop()
        if isinstance(v, (LMap, LList)):
            if id(v) in ctx.origin:
                continue
            ctx.origin[id(v)] = path
            stack.extend(v.values() if isinstance(v, dict) else v)


def _include_items(inc: Any) -> list[tuple[Any, int]]:
    if isinstance(inc, LList):
        return [(item, inc.line_at(i)) for i, item in enumerate(inc)]
    if inc is None:
        return []
    return [(inc, getattr(inc, "line", 0))]


def _collect(ctx: _Ctx, path: str, doc: LMap, configs: list[tuple[str, LMap]], depth: int = 0) -> None:
    """Included files first (in order, recursively), then the including file, which wins."""
    items = _include_items(doc.get("include"))
    if "include" in doc and isinstance(doc["include"], str):
        items = [(doc["include"], doc.line_of("include"))]
    for item, line in items:
        line = line or doc.line_of("include")
        kind, target = _include_kind(item)
        if kind == "local" and target and "$" not in target:
            matches = _local_matches(ctx.project, target)
            if not matches:
                ctx.invalid.append(InvalidFile(path, f"include: local file `{target}` does not exist in the "
                                                     f"repository; its jobs are missing (line {line})", line))
            for inc_path in matches:
                if inc_path in ctx.loaded or len(ctx.loaded) >= MAX_INCLUDES or depth > MAX_INCLUDES:
                    continue
                try:
                    child = _load(ctx, inc_path)
                except _Invalid as exc:
                    ctx.invalid.append(InvalidFile(inc_path, with_line(exc.message, exc.line), exc.line))
                    ctx.loaded.add(inc_path)
                    continue
                _collect(ctx, inc_path, child, configs, depth + 1)
        else:
            ctx.not_followed.append(f"{kind}: {target}" if target else str(item))
            if kind == "template" and "auto-devops" in (target or "").lower():
                ctx.auto_devops = True
                ctx.auto_devops_at = ctx.auto_devops_at or (path, line)
    configs.append((path, doc))


def _include_kind(item: Any) -> tuple[str, str]:
    if isinstance(item, str):
        return ("remote", item) if re.match(r"^https?://", item) else ("local", item)
    if isinstance(item, dict):
        for kind in ("local", "remote", "template", "component"):
            if isinstance(item.get(kind), str):
                return kind, item[kind]
        if "project" in item:
            files = item.get("file")
            files_text = ", ".join(str(f) for f in files) if isinstance(files, list) else str(files)
            return "project", f"{item['project']} {files_text}"
    return "unknown", ""


def _local_matches(project: Project, target: str) -> list[str]:
    rel = target.strip().lstrip("/")
    if "*" not in rel:
        return [rel] if rel in project.files else []
    rx = re.compile("^" + re.escape(rel).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*")
                    .replace(r"\*", "[^/]*") + "$")
    return [p for p in project.files.paths() if rx.match(p)]


# --- merging ------------------------------------------------------------------------------

def _merge(ctx: _Ctx, base: Any, over: Any, depth: int = 0) -> LMap:
    """GitLab's deep merge: mappings merge key by key, `over` wins, lists are replaced."""
    out = LMap()
    out.line = getattr(over, "line", 0)
    out.key_lines = {}
    key_origin: dict[Any, str] = {}
    for src in (base, over):
        for k, v in src.items():
            if src is over and k in out and isinstance(out[k], dict) and isinstance(v, dict) \
                    and depth < MAX_MERGE_DEPTH:
                out[k] = _merge(ctx, out[k], v, depth + 1)
            else:
                out[k] = v
            out.key_lines[k] = src.line_of(k) if isinstance(src, LMap) else 0
            key_origin[k] = ctx.path_of(src, k)
    out.key_origin = key_origin  # type: ignore[attr-defined]
    ctx.origin[id(out)] = ctx.path_of(over)
    return out


def _with_defaults(ctx: _Ctx, job: LMap, defaults: LMap) -> LMap:
    """Missing keys come from `default:`; present ones replace the default whole."""
    inherit = job.get("inherit")
    allowed: Any = True
    if isinstance(inherit, dict) and "default" in inherit:
        allowed = inherit["default"]
    if allowed is False:
        return job
    add = LMap()
    add.line, add.key_lines = job.line, {}
    key_origin = {}
    for k in defaults:
        if k in job or (isinstance(allowed, list) and k not in allowed):
            continue
        add[k] = defaults[k]
        add.key_lines[k] = defaults.line_of(k)
        key_origin[k] = ctx.path_of(defaults, k)
    if not add:
        return job
    add.key_origin = key_origin  # type: ignore[attr-defined]
    ctx.origin[id(add)] = ctx.path_of(defaults)
    return _merge(ctx, add, job)


def _resolve_extends(ctx: _Ctx, body: LMap, depth: int = 0, chain: frozenset[str] = frozenset()) -> LMap:
    names = _strings(body.get("extends"))
    if not names:
        return body
    result: LMap | None = None
    for name in names:
        tmpl = ctx.top.get(name)
        if not isinstance(tmpl, LMap) or name in chain or depth >= MAX_EXTENDS_DEPTH:
            ctx.unresolved_extends = True
            continue
        resolved = _resolve_extends(ctx, tmpl, depth + 1, chain | {name})
        result = resolved if result is None else _merge(ctx, result, resolved)
    return body if result is None else _merge(ctx, result, body)


# --- the pipeline --------------------------------------------------------------------------

def _parse(ctx: _Ctx) -> Workflow | None:
    main = _load(ctx, MAIN)
    configs: list[tuple[str, LMap]] = []
    _collect(ctx, MAIN, main, configs)
    top = configs[0][1]
    for _, cfg in configs[1:]:
        top = _merge(ctx, top, cfg)
    ctx.top = top

    wf = Workflow(provider="gitlab", path=MAIN, line=main.line or 1)
    workflow_cfg = top.get("workflow")
    if isinstance(workflow_cfg, dict) and workflow_cfg.get("name") is not None:
        wf.name = str(workflow_cfg["name"])
    user_stages = _strings(top.get("stages") if "stages" in top else top.get("types"))
    if user_stages:
        wf.stages = [".pre", *[s for s in user_stages if s not in (".pre", ".post")], ".post"]
    else:
        wf.stages = list(DEFAULT_STAGES)
    global_vars = top.get("variables") if isinstance(top.get("variables"), LMap) else LMap()
    wf.env = {str(k): _var_value(v) for k, v in global_vars.items()}
    if ctx.auto_devops:
        wf.env["__auto_devops__"] = "true"
        # where the template is included and where its jobs are switched off (`TEST_DISABLED: "true"`):
        # the checks cite these lines for the template's test and deploy jobs, which are not in the repo
        inc_path, inc_line = ctx.auto_devops_at or (MAIN, 0)
        lines = {str(k): f"{ctx.path_of(global_vars, k)}:{global_vars.line_of(k)}" for k in global_vars
                 if str(k).endswith("_DISABLED") or str(k).startswith("AUTO_DEVOPS")}
        wf.env["__auto_devops_lines__"] = {"__include__": f"{inc_path}:{inc_line}", **lines}
    if ctx.not_followed:
        wf.env["__includes_not_followed__"] = list(ctx.not_followed)

    defaults = LMap()
    defaults.line, defaults.key_lines = 0, {}
    dorigin: dict[Any, str] = {}
    sources = [top]
    if isinstance(top.get("default"), LMap):
        sources.append(top["default"])
    for src in sources:
        for k in GLOBAL_KEYS if src is top else DEFAULT_KEYS:
            if k in src:
                defaults[k] = src[k]
                defaults.key_lines[k] = src.line_of(k)
                dorigin[k] = ctx.path_of(src, k)
    defaults.key_origin = dorigin  # type: ignore[attr-defined]

    job_ids = [k for k in top if isinstance(k, str) and k not in RESERVED and not k.startswith(".")]
    for job_id in job_ids:
        body = top[job_id]
        jpath = ctx.path_of(top, job_id)
        jline = top.line_of(job_id)
        if not isinstance(body, LMap):
            raise _invalid(jpath, f"job `{job_id}`: a job must be a mapping", jline)
        ctx.unresolved_extends = False
        resolved = _with_defaults(ctx, _resolve_extends(ctx, body), defaults)
        if not _has_work(resolved) and not ctx.unresolved_extends:
            raise _invalid(jpath, f"job `{job_id}`: missing `script` (and no `trigger` or template providing one)",
                           jline)
        job = _job(ctx, wf, job_id, jpath, jline, body, resolved, global_vars)
        if job.stage not in wf.stages and not ctx.not_followed:
            raise _invalid(jpath, f"job `{job_id}`: stage `{job.stage}` is not in `stages`", jline)
        wf.jobs[job_id] = job
    if not wf.jobs and not ctx.not_followed:
        raise _invalid(MAIN, "no visible job (every job is hidden or the file has only global keys)", main.line or 1)
    _implicit_needs(wf)
    wf.triggers = _triggers(ctx, wf, top)
    return wf


def _has_work(job: LMap) -> bool:
    return any(job.get(k) not in (None, "", []) for k in ("script", "trigger", "run"))


def _job(ctx: _Ctx, wf: Workflow, job_id: str, path: str, line: int, body: LMap, job_map: LMap,
         global_vars: LMap) -> Job:
    job = Job(id=job_id, workflow_path=path, line=line, raw=job_map)
    job.stage = str(job_map.get("stage") or "test")
    job.extends = _strings(body.get("extends"))
    job.needs = _needs(job_map)
    rules = _rules(ctx, job_map.get("rules"))
    job.condition = _condition(job_map, rules)
    job.when = _when(job_map, rules)
    af = job_map.get("allow_failure")
    if af is None:
        job.allow_failure = job.when == "manual" and "rules" not in job_map
    else:
        job.allow_failure = af is True or isinstance(af, dict) or (isinstance(af, str) and af.lower() == "true")
    env = job_map.get("environment")
    if isinstance(env, (str, int)) and not isinstance(env, bool):
        job.environment = str(env)
    elif isinstance(env, dict):
        job.environment = _text(env.get("name"))
        job.environment_url = _text(env.get("url"))
    if env is not None:
        job.environment_line = _line(ctx, job_map, "environment", path, line)
    tags = _strings(job_map.get("tags"))
    job.runs_on = ", ".join(tags) or None

    # variables the job sees: global (unless `inherit: variables` says otherwise), then its own
    inherit = job_map.get("inherit")
    inherit_vars: Any = inherit.get("variables", True) if isinstance(inherit, dict) else True
    variables: dict[str, Any] = {}
    for k, v in global_vars.items():
        if inherit_vars is True or (isinstance(inherit_vars, list) and k in inherit_vars):
            variables[str(k)] = _var_value(v)
    job_vars = job_map.get("variables") if isinstance(job_map.get("variables"), LMap) else LMap()
    for k, v in job_vars.items():
        variables[str(k)] = _var_value(v)

    index = 0
    for key in SCRIPT_KEYS:
        if key not in job_map:
            continue
        for text, item_line, src, col_key in _flatten(ctx, job_map, key):
            if index >= MAX_STEPS:
                break
            step = Step(index=index, line=item_line, run=text, env=dict(variables))
            step.run_line = scalar_first_line(ctx.lines(src), item_line, col_key)
            step.path = None if src == path else src
            job.steps.append(step)
            index += 1
    job.secrets = dedupe(_script_secrets(ctx, job, job_map, variables) + _keyword_secrets(ctx, job_map, path))
    return job


def _flatten(ctx: _Ctx, owner: LMap, key: str) -> list[tuple[str, int, str, str | None]]:
    """(command, line, file, key for column lookup) for each script line; nested lists from
    anchors are flattened and `!reference [.job, script]` is followed where it resolves."""
    out: list[tuple[str, int, str, str | None]] = []
    value = owner[key]
    src = ctx.path_of(owner, key)
    line = owner.line_of(key)
    if isinstance(value, str):
        return [(value, line, src, key)]
    if isinstance(value, LList):
        _flatten_list(ctx, value, out, 1)
    return out


def _flatten_list(ctx: _Ctx, items: LList, out: list[tuple[str, int, str, str | None]], depth: int) -> None:
    src = ctx.path_of(items)
    if depth > MAX_SCRIPT_NESTING:
        raise _invalid(src, f"script lists nested more than {MAX_SCRIPT_NESTING} levels deep", items.line)
    target = _reference_target(ctx, items)
    if target is not None:
        if isinstance(target, LList):
            _flatten_list(ctx, target, out, depth + 1)
        elif isinstance(target, str):
            out.append((target, items.line, src, None))
        return
    for i, item in enumerate(items):
        if len(out) >= MAX_STEPS:
            return
        if isinstance(item, LList):
            _flatten_list(ctx, item, out, depth + 1)
        elif isinstance(item, (str, int, float)) and not isinstance(item, bool):
            out.append((str(item), items.line_at(i), src, None))


def _reference_target(ctx: _Ctx, items: LList) -> Any:
    """What a `!reference [.a, b]` list points at, or None when `items` is not one."""
    if not items or len(items) > 10 or not all(isinstance(i, str) for i in items):
        return None
    lines = ctx.lines(ctx.path_of(items))
    raw = lines[items.line - 1] if 0 < items.line <= len(lines) else ""
    if "!reference" not in raw:
        return None
    node: Any = ctx.top
    for part in items:
        if not isinstance(node, dict) or part not in node:
            return "!reference [" + ", ".join(items) + "]"
        node = node[part]
    return node


def _script_secrets(ctx: _Ctx, job: Job, job_map: LMap, variables: dict[str, Any]) -> list[SecretUse]:
    scripts = [s.run or "" for s in job.steps]
    assigned = set()
    for text in scripts:
        assigned |= {m.group(1) for m in _ASSIGN_RX.finditer(text)}
        assigned |= {m.group(1) for m in _LOOP_RX.finditer(text)}
    known = set(variables) | assigned
    out: list[SecretUse] = []
    for step in job.steps:
        found = _undefined_refs(step.run or "", known)
        if not found:
            continue
        src = step.path or job.workflow_path
        lines = ctx.lines(src)
        raw = lines[step.line - 1] if 0 < step.line <= len(lines) else ""
        col = key_column(raw, None)
        if col is None:
            col = next((key_column(raw, k) for k in SCRIPT_KEYS if key_column(raw, k) is not None), None)
        for (name, _), at in zip(found, locate(lines, step.line, col, [n for _, n in found]), strict=True):
            out.append(SecretUse(name, at, "run", None if src == job.workflow_path else src))
    # values of variables that read CI/CD settings (`DB_URL: postgres://u:$DB_PASSWORD@...`)
    for owner in (job_map.get("variables"),):
        if not isinstance(owner, LMap):
            continue
        vpath = ctx.path_of(owner)
        lines = ctx.lines(vpath)
        for k, v in owner.items():
            text = _var_value(v)
            if not isinstance(text, str):
                continue
            vline = owner.line_of(k)
            found = _undefined_refs(text, known - {str(k)})
            raw = lines[vline - 1] if 0 < vline <= len(lines) else ""
            for (name, _), at in zip(found, locate(lines, vline, key_column(raw, str(k)), [n for _, n in found]),
                                     strict=True):
                out.append(SecretUse(name, at, "variables", None if vpath == job.workflow_path else vpath))
    return out


def _undefined_refs(text: str, known: set[str]) -> list[tuple[str, str]]:
    out = []
    for m in _VAR_RX.finditer(text):
        name = m.group("b") or m.group("p")
        if name in TOKEN_VARS:
            out.append((name, m.group(0)))
            continue
        if (not _UPPER_RX.match(name) or name in known or name in PREDEFINED or name.startswith("CI_")
                or name.startswith("GITLAB_USER_")):
            continue
        out.append((name, m.group(0)))
    return out


def _keyword_secrets(ctx: _Ctx, job_map: LMap, path: str) -> list[SecretUse]:
    secrets = job_map.get("secrets")
    if not isinstance(secrets, LMap):
        return []
    src = ctx.path_of(secrets)
    return [SecretUse(str(name), secrets.line_of(name), "secrets", None if src == path else src) for name in secrets]


def _needs(job: LMap) -> list[str]:
    needs = job.get("needs")
    if not isinstance(needs, list):
        return []
    out = []
    for item in needs:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and isinstance(item.get("job"), str) and "pipeline" not in item \
                and "project" not in item:
            out.append(item["job"])
    return out


def _implicit_needs(wf: Workflow) -> None:
    """A job without `needs:` waits for every job of the earlier stages."""
    order = {stage: i for i, stage in enumerate(wf.stages)}
    by_stage: dict[int, list[str]] = {}
    for job in wf.jobs.values():
        by_stage.setdefault(order.get(job.stage or "test", 0), []).append(job.id)
    before: dict[int, list[str]] = {}  # stage index -> ids of every job in earlier stages
    acc: list[str] = []
    for idx in sorted(by_stage):
        before[idx] = list(acc)
        acc.extend(by_stage[idx])
    for job in wf.jobs.values():
        if "needs" not in job.raw:
            job.needs = list(before[order.get(job.stage or "test", 0)])


def _rules(ctx: _Ctx, rules: Any) -> list[tuple[Any, int, str]]:
    """(rule, line, file) with `!reference [.cond, rules]` items spliced in, as GitLab does."""
    out: list[tuple[Any, int, str]] = []
    if not isinstance(rules, LList):
        return out
    src = ctx.path_of(rules)
    for i, rule in enumerate(rules):
        target = _reference_target(ctx, rule) if isinstance(rule, LList) else None
        if isinstance(target, LList):
            tsrc = ctx.path_of(target)
            out.extend((r, target.line_at(j), tsrc) for j, r in enumerate(target))
        else:
            out.append((rule, rules.line_at(i), src))
    return out


def _when(job: LMap, rules: list[tuple[Any, int, str]]) -> str:
    when = job.get("when")
    if isinstance(when, str):
        return when
    if rules:
        whens = {r.get("when", "on_success") for r, _, _ in rules if isinstance(r, dict)} - {"never"}
        if len(whens) == 1:
            only = next(iter(whens))
            return only if isinstance(only, str) else "on_success"
    return "on_success"


def _condition(job: LMap, rules: list[tuple[Any, int, str]]) -> str | None:
    parts = []
    if rules:
        texts = [_rule_text(r) for r, _, _ in rules]
        parts.append("rules: " + "; ".join(t for t in texts if t))
    for key in ("only", "except"):
        if key in job:
            parts.append(f"{key}: {_compact(job[key])}")
    return " | ".join(parts) or None


def _rule_text(rule: Any) -> str:
    if not isinstance(rule, dict):
        return _compact(rule)
    bits = []
    if "if" in rule:
        bits.append(f"if {rule['if']}")
    for key in ("changes", "exists"):
        if key in rule:
            bits.append(f"{key} {_compact(rule[key])}")
    text = " and ".join(bits) or "always"
    extra = [f"{k}: {_compact(rule[k])}" for k in ("when", "allow_failure", "start_in") if k in rule]
    return text + (f" ({', '.join(extra)})" if extra else "")


def _compact(value: Any, depth: int = 0) -> str:
    if depth > 4:
        return "..."
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_compact(v, depth + 1)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_compact(v, depth + 1) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- triggers ------------------------------------------------------------------------------

_SOURCE_PATTERNS = (
    ("merge_request_event", lazy_re(r"merge_request_event|CI_MERGE_REQUEST_I", re.I), {"merge_requests"}),
    ("schedule", lazy_re(r"CI_PIPELINE_SOURCE\s*[=!]=\s*[\"']schedule[\"']", re.I), {"schedules"}),
    ("tag", lazy_re(r"CI_COMMIT_TAG\b"), {"tags"}),
)


def _triggers(ctx: _Ctx, wf: Workflow, top: LMap) -> list[Trigger]:
    workflow_cfg = top.get("workflow")
    push_line = top.line_of("workflow") if isinstance(workflow_cfg, dict) and ctx.path_of(top, "workflow") == MAIN \
        else 1
    triggers = [Trigger("push", push_line)]
    mentions: list[tuple[str, int]] = []  # (text, line in the main file or 0)
    if isinstance(workflow_cfg, LMap):
        _rule_mentions(_rules(ctx, workflow_cfg.get("rules")), mentions)
    only_values: list[tuple[str, int]] = []
    for job in wf.jobs.values():
        _rule_mentions(_rules(ctx, job.raw.get("rules")), mentions)
        only = job.raw.get("only")
        refs = only.get("refs") if isinstance(only, dict) else only
        line = job.line if job.workflow_path == MAIN else 0
        for ref in _strings(refs):
            only_values.append((ref, line))
        if isinstance(only, dict):
            mentions.extend((str(v), line) for v in _strings(only.get("variables")))
    for event, rx, only_names in _SOURCE_PATTERNS:
        lines = [ln for text, ln in mentions if rx.search(text)]
        lines += [ln for ref, ln in only_values if ref in only_names]
        if lines:
            triggers.append(Trigger(event, next((ln for ln in lines if ln), 0)))
    return triggers


def _rule_mentions(rules: list[tuple[Any, int, str]], out: list[tuple[str, int]]) -> None:
    for rule, line, src in rules:
        if isinstance(rule, dict) and rule.get("when") != "never" and isinstance(rule.get("if"), str):
            out.append((rule["if"], line if src == MAIN else 0))


# --- small helpers ---------------------------------------------------------------------------

def _line(ctx: _Ctx, owner: LMap, key: str, path: str, fallback: int) -> int:
    return owner.line_of(key) if ctx.path_of(owner, key) == path else fallback


def _var_value(value: Any) -> Any:
    if isinstance(value, dict) and "value" in value:
        return value["value"]
    return value


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, (str, int, float)) and not isinstance(v, bool)]
    return []
