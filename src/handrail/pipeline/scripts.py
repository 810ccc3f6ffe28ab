"""Script aliases: what `npm test`, `composer test`, `make test` or `just test` really run.

CI files rarely call test runners directly; they call a project script. Whether that
script runs tests (`vitest run`) or only pretends to (`echo "no tests" && exit 0`) is
decided by the project's own manifests, so the classifier resolves every alias here
before judging a command. Keys are canonical invocations ("npm run test", "composer
test", "make test", "just test"; "npm test" too); values are the command text with
nested aliases expanded (depth-capped, cycles cut). Scripts of a package.json in a
subfolder are also keyed as "<folder>:npm run <name>" so `cd web && npm test` resolves.

A local composite action is an alias too: `uses: ./.github/actions/deploy` runs that
action's steps, so "action:.github/actions/deploy" maps to a JSON list of its steps
(`run`, `uses`, `with`), which the classifier expands in place of the `uses:` step.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from handrail.core.lazyre import lazy_re
from handrail.core.project import ParseError

if TYPE_CHECKING:
    from handrail.core.project import Project

MAX_DEPTH = 5
MAX_TEXT = 4000  # an expansion longer than this is cut: it is only ever scanned for commands

# Invocations of another alias inside a script body, normalised to a canonical key.
_NPM_RUN = lazy_re(r"\b(?:npm|pnpm|yarn|bun)\s+(?P<run>run(?:-script)?\s+)?(?:--silent\s+|-s\s+)?"
                      r"(?P<name>[A-Za-z0-9_:.\-/]+)")
_COMPOSER_REF = lazy_re(r"(?P<pre>^|\s)@(?P<name>[A-Za-z0-9_:.\-]+)")
_MAKE_REF = lazy_re(r"(?:\bmake|\$\(MAKE\)|\$\{MAKE\})\s+(?:-\S+\s+)*(?P<name>[A-Za-z0-9_.\-/]+)")
_JUST_REF = lazy_re(r"\bjust\s+(?P<name>[A-Za-z0-9_\-]+)")

# npm's own subcommands: `npm ci` is not `npm run ci`.
NPM_BUILTINS = frozenset({
    "install", "i", "ci", "add", "remove", "uninstall", "update", "upgrade", "exec", "dlx", "x", "link", "publish",
    "pack", "init", "create", "audit", "outdated", "config", "cache", "login", "logout", "version", "view", "info",
    "why", "list", "ls", "rebuild", "prune", "dedupe", "set", "global", "workspace", "workspaces", "import",
    "env", "node", "help", "whoami", "owner", "access", "dist-tag", "deprecate", "fund", "doctor", "explain",
    "store", "setup", "patch", "licenses", "tag", "up", "bin", "root", "prefix", "search", "ping", "npm",
})


def script_aliases(project: Project) -> dict[str, str]:
    """Every alias the project defines, nested aliases expanded."""
    raw: dict[str, str] = {}
    for path in _manifests(project, "package.json"):
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        for name, body in _package_scripts(project, path).items():
            _add(raw, folder, f"npm run {name}", body)
            if name == "test":
                _add(raw, folder, "npm test", body)
    for path in _manifests(project, "composer.json"):
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        for name, body in _composer_scripts(project, path).items():
            _add(raw, folder, f"composer {name}", body)
    for path in _manifests(project, "Makefile", "makefile", "GNUmakefile"):
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        for name, body in _make_targets(project, path).items():
            _add(raw, folder, f"make {name}", body)
    for path in _manifests(project, "justfile", "Justfile", ".justfile"):
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        for name, body in _just_recipes(project, path).items():
            _add(raw, folder, f"just {name}", body)
    out = {key: _expand(key, raw, 0, frozenset()) for key in raw}
    out.update(_local_actions(project))
    return out


def _local_actions(project: Project) -> dict[str, str]:
    """Composite actions in the repository: "action:<folder>" -> JSON list of their steps."""
    out: dict[str, str] = {}
    for path in project.files.named("action.yml", "action.yaml"):
        if path.count("/") > 5:
            continue
        try:
            data = project.yaml(path)
        except ParseError:
            continue
        runs = data.get("runs") if isinstance(data, dict) else None
        if not isinstance(runs, dict) or str(runs.get("using", "")).lower() != "composite":
            continue
        steps = []
        for raw in runs.get("steps") or []:
            if not isinstance(raw, dict):
                continue
            with_ = raw.get("with") if isinstance(raw.get("with"), dict) else {}
            steps.append({"run": raw.get("run") if isinstance(raw.get("run"), str) else None,
                          "uses": raw.get("uses") if isinstance(raw.get("uses"), str) else None,
                          "name": raw.get("name") if isinstance(raw.get("name"), str) else None,
                          "with": {str(k): v if isinstance(v, (str, bool, int, float)) else str(v)
                                   for k, v in with_.items()}})
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        out[f"action:{folder}"] = json.dumps(steps)
    return out


def canonical(tool: str, name: str) -> str:
    """Canonical alias key for `tool` running script `name` (yarn/pnpm/bun share npm's)."""
    if tool in ("npm", "pnpm", "yarn", "bun"):
        return "npm test" if name == "test" else f"npm run {name}"
    return f"{tool} {name}"


def _add(raw: dict[str, str], folder: str, key: str, body: str) -> None:
    if folder:
        raw.setdefault(f"{folder}:{key}", body)
    raw.setdefault(key, body)  # root manifests are read first, so they win the plain key


def _manifests(project: Project, *names: str) -> list[str]:
    """Manifest files, root first, then up to two folders deep (monorepo apps)."""
    found = [p for p in project.files.named(*names) if p.count("/") <= 2]
    return sorted(found, key=lambda p: (p.count("/"), p))


def manifest_scripts(project: Project, path: str) -> dict[Any, Any]:
    """The raw `scripts` table of a package.json / composer.json; {} when the file is missing, malformed or has
    none, so callers never handle parse errors themselves."""
    data = _json(project, path) if path in project.files else None
    scripts = data.get("scripts") if isinstance(data, dict) else None
    return scripts if isinstance(scripts, dict) else {}


def _package_scripts(project: Project, path: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, body in manifest_scripts(project, path).items():
        if isinstance(name, str) and isinstance(body, str):
            out[name] = body
    # npm runs pre<name> and post<name> around <name> on its own.
    for name in list(out):
        if name.startswith(("pre", "post")):
            continue
        parts = [out[p] for p in (f"pre{name}", name, f"post{name}") if p in out]
        out[name] = " && ".join(parts)
    return out


def _composer_scripts(project: Project, path: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, body in manifest_scripts(project, path).items():
        if isinstance(body, str):
            out[str(name)] = body
        elif isinstance(body, list):
            out[str(name)] = " && ".join(str(b) for b in body if isinstance(b, str))
    return out


def _json(project: Project, path: str) -> Any:
    try:
        return project.json(path)
    except ParseError:
        return None


_MAKE_TARGET = lazy_re(r"^(?P<names>[A-Za-z0-9_.\-/ ]+?)\s*:(?![=:])(?P<deps>[^=#]*?)(?:\s*#.*)?$")


def _make_targets(project: Project, path: str) -> dict[str, str]:
    """Target -> its recipe lines (prerequisites become `make <dep>` so they expand too)."""
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in _joined(project.lines(path)):
        if line.startswith("\t"):
            cmd = line.strip().lstrip("@-+").strip()
            if current is not None and cmd and not cmd.startswith("#"):
                current.append(cmd)
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        current = None
        m = _MAKE_TARGET.match(line)
        if not m or line.startswith((".", " ")):
            continue
        current = [f"make {d}" for d in m.group("deps").split() if not d.startswith(("$", "|"))]
        for name in m.group("names").split():
            out.setdefault(name, current)
    return {name: " && ".join(cmds) for name, cmds in out.items()}


_JUST_RECIPE = lazy_re(r"^@?(?P<name>[A-Za-z0-9_\-]+)(?P<params>[^:=]*):(?!=)(?P<deps>[^#]*)")


def _just_recipes(project: Project, path: str) -> dict[str, str]:
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in _joined(project.lines(path)):
        if line[:1] in (" ", "\t"):
            if current is not None:
                cmd = line.strip().lstrip("@-").strip()
                if cmd and not cmd.startswith("#"):
                    current.append(cmd)
            continue
        current = None
        m = _JUST_RECIPE.match(line)
        if not m or line.startswith(("set ", "export ", "alias ", "import ", "mod ", "[")):
            continue
        current = [f"just {d}" for d in m.group("deps").split() if re.fullmatch(r"[A-Za-z0-9_\-]+", d)]
        out.setdefault(m.group("name"), current)
    return {name: " && ".join(cmds) for name, cmds in out.items()}


MAX_LINE = 2000  # longer lines are data, not recipes; skipping them keeps the regexes linear


def _joined(lines: list[str]) -> list[str]:
    """Join backslash-continued lines (Makefiles and justfiles allow them)."""
    out: list[str] = []
    buf = ""
    for line in lines:
        if len(line) > MAX_LINE or len(buf) > MAX_LINE:
            buf = ""
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        out.append(buf + line)
        buf = ""
    if buf:
        out.append(buf)
    return out


def _expand(key: str, raw: dict[str, str], depth: int, seen: frozenset[str]) -> str:
    """`raw[key]` with every alias it invokes replaced by that alias's own expansion."""
    body = raw.get(key, "")
    if depth >= MAX_DEPTH or key in seen:
        return body[:MAX_TEXT]
    seen = seen | {key}
    folder = key.split(":", 1)[0] + ":" if ":" in key.split(" ", 1)[0] else ""

    def sub(tool: str, name: str, original: str, explicit_run: bool = False) -> str:
        if tool == "npm" and name in NPM_BUILTINS and not explicit_run:
            return original
        ref = canonical(tool, name)
        target = folder + ref if folder + ref in raw else ref
        if target not in raw or target in seen:
            return original
        return "( " + _expand(target, raw, depth + 1, seen) + " )"

    kind = key.split(" ", 1)[0].rsplit(":", 1)[-1]
    text = _NPM_RUN.sub(lambda m: sub("npm", m.group("name"), m.group(0), bool(m.group("run"))), body)
    if kind == "composer":
        text = _COMPOSER_REF.sub(lambda m: m.group("pre") + sub("composer", m.group("name"), m.group(0).strip()), text)
    text = re.sub(r"\bcomposer\s+(?:run(?:-script)?\s+)?(?P<name>[A-Za-z0-9_:.\-]+)",
                  lambda m: sub("composer", m.group("name"), m.group(0)), text)
    text = _MAKE_REF.sub(lambda m: sub("make", m.group("name"), m.group(0)), text)
    text = _JUST_REF.sub(lambda m: sub("just", m.group("name"), m.group(0)), text)
    return text[:MAX_TEXT]
