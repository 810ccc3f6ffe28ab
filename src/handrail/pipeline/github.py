"""GitHub Actions workflows -> pipeline model.

Only `.github/workflows/*.yml|*.yaml` are read: GitHub ignores subfolders there. A workflow
GitHub would refuse (bad YAML, no `on` or `jobs`, a step with both or neither of `uses` and
`run`) becomes an InvalidFile and is left out of the model, because it never runs; checks
report it instead of reasoning about a pipeline that does not exist.

Lines matter more than anything here: every secret reference is placed on the exact file
line it sits on, also inside multi-line `run: |` scripts, by searching the raw text of the
value's own block rather than guessing from offsets (folded and plain scalars reflow lines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handrail.core.lazyre import lazy_re
from handrail.core.project import ParseError
from handrail.core.yamlload import LList, LMap
from handrail.pipeline.model import InvalidFile, Job, Permissions, SecretUse, Step, Trigger, Workflow

if TYPE_CHECKING:
    from handrail.core.project import Project

WORKFLOW_DIR = ".github/workflows"
JOB_ID_RX = lazy_re(r"^[A-Za-z_][A-Za-z0-9_-]*$")
PERMISSION_VALUES = frozenset({"read", "write", "none"})
# Walking a value tree is bounded: YAML aliases can make a small file describe a huge tree.
WALK_BUDGET = 50_000

_EXPR_RX = lazy_re(r"\$\{\{(.*?)\}\}", re.S)
_SECRET_RX = lazy_re(
    r"(?<![\w.])secrets\s*(?:\.\s*(?P<dot>[A-Za-z_][A-Za-z0-9_-]*)|\[\s*(?P<q>['\"])(?P<idx>[^'\"]+)(?P=q)\s*\])",
    re.I,
)
_TOKEN_RX = lazy_re(r"(?<![\w.])github\s*(?:\.\s*token\b|\[\s*['\"]token['\"]\s*\])", re.I)
_ALL_SECRETS_RX = lazy_re(r"\btojson\s*\(\s*secrets\s*\)", re.I)


class _Invalid(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def parse(project: Project) -> tuple[list[Workflow], list[InvalidFile]]:
    workflows: list[Workflow] = []
    invalid: list[InvalidFile] = []
    for path in workflow_paths(project):
        try:
            workflows.append(_parse_file(project, path))
        except _Invalid as exc:
            invalid.append(InvalidFile(path, with_line(exc.message, exc.line), exc.line))
        except Exception as exc:  # one odd file must not take the whole report down
            invalid.append(InvalidFile(path, f"could not be analysed ({exc.__class__.__name__}: {exc})"[:300]))
    return workflows, invalid


def with_line(message: str, line: int | None) -> str:
    return message if line is None or "(line " in message else f"{message} (line {line})"


def workflow_paths(project: Project) -> list[str]:
    out = []
    for path in project.files.under(WORKFLOW_DIR):
        rest = path[len(WORKFLOW_DIR) + 1:]
        if "/" not in rest and rest.lower().endswith((".yml", ".yaml")):
            out.append(path)
    return out


# --- loading ----------------------------------------------------------------------------

def load_document(project: Project, path: str, what: str = "workflow") -> Any:
    """The parsed YAML, or _Invalid for files GitHub/GitLab could not load either."""
    entry = project.files.get(path)
    cap = project.files.max_bytes
    if entry is not None and entry.size > cap:
        raise _Invalid(f"not parsed: {entry.size:,} bytes is over the {cap:,}-byte size limit for one file")
    if project.text(path) is None:
        raise _Invalid(f"binary or unreadable file, not a {what}")
    try:
        data = project.yaml(path)
    except ParseError as exc:
        raise _Invalid(exc.message, exc.line) from None
    if data is None:
        raise _Invalid(f"empty {what} file")
    return data


# --- raw-text line locating ----------------------------------------------------------------

def key_column(raw: str, key: str | None) -> int | None:
    """Column of `key:` (or of the `-` of a sequence item when key is None) on a raw line."""
    if key is None:
        stripped = raw.lstrip()
        return len(raw) - len(stripped) if stripped.startswith("-") else None
    m = re.search(r"(?:^|(?<=[\s{,]))[\"']?" + re.escape(key) + r"[\"']?\s*:", raw)
    return m.start() if m else None


def block_end(lines: list[str], line: int, col: int | None) -> int:
    """Last line of the value that starts at `line` under a key at column `col`: YAML ends it
    at the first non-blank line indented no deeper than the key."""
    if col is None:
        return line
    end = line
    for no in range(line + 1, len(lines) + 1):
        text = lines[no - 1]
        if not text.strip():
            continue
        if len(text) - len(text.lstrip(" ")) <= col:
            break
        end = no
    return end


def locate(lines: list[str], line: int, col: int | None, needles: list[str]) -> list[int]:
    """File line of each needle, in order, searching only the value's own block; a needle
    not found (escaped quoting, aliases) falls back to `line`."""
    if not line or line > len(lines):
        return [line] * len(needles)
    last = block_end(lines, line, col)
    out: list[int] = []
    cur_line, cur_col = line, 0
    for needle in needles:
        found = None
        no, start = cur_line, cur_col
        while no <= last and needle:
            idx = lines[no - 1].find(needle, start)
            if idx >= 0:
                found = (no, idx + len(needle))
                break
            no, start = no + 1, 0
        if found:
            cur_line, cur_col = found
            out.append(found[0])
        else:
            out.append(line)
    return out


def scalar_first_line(lines: list[str], key_line: int, key: str | None) -> int:
    """Line of a scalar's first text line: the line after the key for block scalars
    (`|`, `>`) and for values that start on the next line; the key line otherwise."""
    if not key_line or key_line > len(lines):
        return key_line
    raw = lines[key_line - 1]
    col = key_column(raw, key)
    if col is None:
        return key_line
    if key is None:
        rest = raw[col + 1:]
    else:
        colon = raw.find(":", col)
        rest = raw[colon + 1:] if colon >= 0 else ""
    rest = rest.strip()
    while rest[:1] in ("&", "!"):  # anchor or tag before the value
        parts = rest.split(None, 1)
        rest = parts[1] if len(parts) > 1 else ""
    if not rest or rest.startswith(("|", ">", "#")):
        return key_line + 1
    return key_line


# --- expressions -------------------------------------------------------------------------

def expression_refs(text: str, whole: bool = False) -> list[tuple[str, str]]:
    """(secret name, source needle) for each secrets.X / secrets['X'] / github.token in the
    `${{ }}` expressions of `text` (the whole text for `if:` values written without them)."""
    spans = [m.group(1) for m in _EXPR_RX.finditer(text)]
    if whole and "${{" not in text:
        spans = [text]
    out: list[tuple[str, str]] = []
    for span in spans:
        found: list[tuple[int, str, str]] = []
        for m in _SECRET_RX.finditer(span):
            name = (m.group("dot") or m.group("idx") or "").upper()
            found.append((m.start(), name, m.group(0)))
        for m in _TOKEN_RX.finditer(span):
            found.append((m.start(), "GITHUB_TOKEN", m.group(0)))
        for m in _ALL_SECRETS_RX.finditer(span):
            found.append((m.start(), "*", m.group(0)))  # toJSON(secrets): every secret at once
        out.extend((name, needle) for _, name, needle in sorted(found))
    return out


@dataclass
class _Walker:
    """Collects SecretUse from every string in a value tree, with exact lines."""

    lines: list[str]
    budget: int = WALK_BUDGET
    seen: set[int] = field(default_factory=set)  # containers already walked (YAML aliases share them)

    def reset(self) -> None:
        self.budget, self.seen = WALK_BUDGET, set()

    def collect(self, parent: Any, key: Any, value: Any, context: str, out: list[SecretUse]) -> None:
        self.budget -= 1
        if self.budget < 0:
            return
        if isinstance(value, (dict, list)):
            if id(value) in self.seen:
                return
            self.seen.add(id(value))
        if isinstance(value, dict):
            for k, v in value.items():
                self.collect(value, k, v, context, out)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.collect(value, i, v, context, out)
        elif isinstance(value, str) and value:
            refs = expression_refs(value, whole=context == "if" and key == "if")
            if not refs:
                return
            line, col = self._anchor(parent, key)
            for (name, _), at in zip(refs, locate(self.lines, line, col, [n for _, n in refs]), strict=True):
                out.append(SecretUse(name, at, context))

    def _anchor(self, parent: Any, key: Any) -> tuple[int, int | None]:
        if isinstance(parent, LMap):
            line = parent.line_of(key)
            raw = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
            return line, key_column(raw, str(key))
        if isinstance(parent, LList) and isinstance(key, int):
            line = parent.line_at(key)
            raw = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
            return line, key_column(raw, None)
        return getattr(parent, "line", 0), None


def dedupe(uses: list[SecretUse]) -> list[SecretUse]:
    seen: set[tuple[str, int, str]] = set()
    out = []
    for u in uses:
        k = (u.name, u.line, u.context)
        if k not in seen:
            seen.add(k)
            out.append(u)
    return out


# --- workflow ----------------------------------------------------------------------------

def _parse_file(project: Project, path: str) -> Workflow:
    data = load_document(project, path)
    if not isinstance(data, LMap):
        raise _Invalid("a workflow must be a mapping at the top level", getattr(data, "line", 1) or 1)
    if "on" not in data:
        if True in data:  # pragma: no cover - yamlload keeps `on` a string; kept as a guard
            raise _Invalid("`on` was read as a boolean", data.line_of(True))
        raise _Invalid("missing `on:` (no event triggers the workflow)", data.line or 1)
    jobs = data.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        raise _Invalid("missing `jobs:` mapping" if "jobs" not in data else "`jobs:` must be a non-empty mapping",
                       data.line_of("jobs") if "jobs" in data else data.line or 1)
    lines = project.lines(path)
    walker = _Walker(lines)
    wf = Workflow(provider="github", path=path, line=data.line or 1)
    wf.name = _text(data.get("name"))
    wf.env = data["env"] if isinstance(data.get("env"), dict) else {}
    wf.permissions = parse_permissions(data, "permissions")
    wf.triggers = parse_triggers(data.get("on"), data.line_of("on"))
    if not wf.triggers:
        raise _Invalid("`on:` names no event", data.line_of("on"))
    wf_secrets: list[SecretUse] = []
    if "env" in data:
        walker.reset()
        walker.collect(data, "env", data["env"], "workflow env", wf_secrets)
    for job_id, body in jobs.items():
        job = _parse_job(path, str(job_id), body, jobs.line_of(job_id), walker, lines)
        job.secrets = dedupe(job.secrets + wf_secrets)
        wf.jobs[job.id] = job
    return wf


def parse_triggers(on: Any, line: int) -> list[Trigger]:
    if isinstance(on, str):
        return [Trigger(on, line)]
    if isinstance(on, LList):
        return [Trigger(str(ev), on.line_at(i)) for i, ev in enumerate(on) if isinstance(ev, str)]
    if not isinstance(on, LMap):
        return []
    out = []
    for event, spec in on.items():
        t = Trigger(str(event), on.line_of(event))
        if isinstance(spec, dict):
            t.branches = _strings(spec.get("branches")) + ["!" + b for b in _strings(spec.get("branches-ignore"))]
            t.tags = _strings(spec.get("tags")) + ["!" + b for b in _strings(spec.get("tags-ignore"))]
            t.types = _strings(spec.get("types"))
            t.workflows = _strings(spec.get("workflows"))
        out.append(t)
    return out


def parse_permissions(owner: LMap, key: str) -> Permissions | None:
    if key not in owner:
        return None
    value, line = owner[key], owner.line_of(key)
    if isinstance(value, str) and value in ("read-all", "write-all"):
        return Permissions(value, line=line)
    if isinstance(value, dict):
        if not value:
            return Permissions("none", line=line)
        scopes = {}
        for scope, level in value.items():
            if not isinstance(level, str) or level not in PERMISSION_VALUES:
                raise _Invalid(f"permissions: `{scope}` must be read, write or none, not {level!r}",
                               value.line_of(scope) if isinstance(value, LMap) else line)
            scopes[str(scope)] = level
        return Permissions("map", scopes, line)
    raise _Invalid(f"permissions must be read-all, write-all or a mapping, not {value!r}", line)


def _parse_job(path: str, job_id: str, body: Any, line: int, walker: _Walker, lines: list[str]) -> Job:
    where = f"jobs.{job_id}"
    if not JOB_ID_RX.match(job_id):
        raise _Invalid(f"{where}: job ids must start with a letter or _ and contain only letters, digits, - and _",
                       line)
    if not isinstance(body, LMap):
        raise _Invalid(f"{where}: a job must be a mapping", line)
    steps_raw, uses = body.get("steps"), body.get("uses")
    if uses is not None and steps_raw is not None:
        raise _Invalid(f"{where}: a job calls a reusable workflow (`uses`) or has `steps`, not both", line)
    if uses is None and steps_raw is None:
        raise _Invalid(f"{where}: a job needs `steps` or `uses` (a reusable workflow)", line)
    if uses is not None and not isinstance(uses, str):
        raise _Invalid(f"{where}: `uses` must be a string", body.line_of("uses"))
    if steps_raw is not None and not isinstance(steps_raw, LList):
        raise _Invalid(f"{where}: `steps` must be a list", body.line_of("steps"))
    if uses is None and "runs-on" not in body:
        raise _Invalid(f"{where}: missing `runs-on`", line)
    job = Job(id=job_id, workflow_path=path, line=line, raw=body)
    job.name = _text(body.get("name"))
    job.needs = _strings(body.get("needs"))
    job.condition = _condition(body.get("if"))
    job.permissions = parse_permissions(body, "permissions")
    job.runs_on = _runs_on(body.get("runs-on"))
    job.uses = uses
    job.secrets_inherit = body.get("secrets") == "inherit"
    coe = body.get("continue-on-error")  # a failing job does not fail the run
    job.allow_failure = coe is True or (isinstance(coe, str) and coe.strip().lower() == "true")
    env = body.get("environment")
    if isinstance(env, str):
        job.environment = env
    elif isinstance(env, dict):
        job.environment = _text(env.get("name"))
        job.environment_url = _text(env.get("url"))
    if env is not None:
        job.environment_line = body.line_of("environment")
    for i, raw in enumerate(steps_raw or []):
        job.steps.append(_parse_step(where, i, raw, steps_raw.line_at(i), lines))
    secrets: list[SecretUse] = []
    walker.reset()
    for key, value in body.items():
        if key == "steps":
            for raw in steps_raw or []:
                for skey, sval in raw.items():
                    walker.collect(raw, skey, sval, str(skey), secrets)
        else:
            walker.collect(body, key, value, str(key), secrets)
    job.secrets = dedupe(secrets)
    return job


def _parse_step(where: str, index: int, raw: Any, line: int, lines: list[str]) -> Step:
    here = f"{where}.steps[{index}]"
    if not isinstance(raw, LMap):
        raise _Invalid(f"{here}: a step must be a mapping", line)
    has_uses, has_run = "uses" in raw, "run" in raw
    if has_uses == has_run:
        raise _Invalid(f"{here}: a step needs exactly one of `uses` or `run`", line)
    step = Step(index=index, line=raw.line or line)
    step.name = _text(raw.get("name"))
    if has_uses:
        step.uses = _text(raw["uses"])
    else:
        run = raw["run"]
        step.run = run if isinstance(run, str) else _text(run) or ""
        step.run_line = scalar_first_line(lines, raw.line_of("run"), "run")
    # the loaded mappings themselves, so consumers keep `.line_of(key)`
    step.with_ = raw["with"] if isinstance(raw.get("with"), dict) else {}
    step.env = raw["env"] if isinstance(raw.get("env"), dict) else {}
    step.condition = _condition(raw.get("if"))
    coe = raw.get("continue-on-error")
    step.continue_on_error = coe is True or (isinstance(coe, str) and coe.strip().lower() == "true")
    return step


# --- small value helpers --------------------------------------------------------------------

def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _condition(value: Any) -> str | None:
    text = _text(value)
    return text.strip() if text is not None else None


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, (str, int, float)) and not isinstance(v, bool)]
    return []


def _runs_on(value: Any) -> str | None:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or None
    if isinstance(value, dict):
        parts = []
        if value.get("group") is not None:
            parts.append(f"group: {value['group']}")
        labels = _strings(value.get("labels"))
        if labels:
            parts.append("labels: " + ", ".join(labels))
        return "; ".join(parts) or None
    return _text(value)
