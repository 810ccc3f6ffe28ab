"""Helpers shared by the platform readers: parse once, never raise, find exact lines.

Every reader reports a malformed file as `InvalidFile` (with the parser's line) and moves
on, because a broken fly.toml must not take the whole pipeline model down.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from handrail.core.finding import Location
from handrail.core.lazyre import lazy_re
from handrail.core.project import ParseError
from handrail.core.redact import redact_command
from handrail.pipeline.model import InvalidFile, PlatformFacts

if TYPE_CHECKING:
    from handrail.core.project import Project


def parsed(project: Project, path: str, fmt: str, facts: PlatformFacts) -> Any:
    """`project.toml/json/yaml/yaml_all(path)`, or None (recorded in facts.invalid) when malformed."""
    try:
        return getattr(project, fmt)(path)
    except ParseError as err:
        if not any(i.path == path for i in facts.invalid):
            facts.invalid.append(InvalidFile(path, err.message, err.line))
        return None


def by_depth(paths: list[str]) -> list[str]:
    """Root files first, so the platform entry names the top-level config in a monorepo."""
    return sorted(paths, key=lambda p: (p.count("/"), p))


def register(facts: PlatformFacts, name: str, loc: Location) -> None:
    """Declare that `loc.path` configures platform `name` (first file wins the platforms entry)."""
    facts.platforms.setdefault(name, loc)
    if loc.path:
        facts.sources.setdefault(loc.path, name)


def add(target: list[Location], loc: Location) -> None:
    if loc not in target:
        target.append(loc)


def short(text: Any, limit: int = 120) -> str:
    """One-line form of a command for a Location note, with credentials (URL user info, token
    query values, long opaque strings) cut, so a note never carries a whole secret."""
    if isinstance(text, list):
        text = " ".join(str(t) for t in text)
    one = redact_command(" ".join(str(text).split()))
    return one if len(one) <= limit else one[: limit - 3] + "..."


# --- TOML lines ----------------------------------------------------------------------------
_HEADER = lazy_re(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")


def toml_headers(project: Project, path: str) -> list[tuple[int, str]]:
    """(line, table name) for every `[table]` / `[[array.table]]` header."""
    out = []
    for no, line in enumerate(project.lines(path), 1):
        m = _HEADER.match(line)
        if m:
            out.append((no, m.group(1).replace('"', "").replace("'", "").replace(" ", "")))
    return out


def toml_table_lines(project: Project, path: str, table: str) -> list[int]:
    return [no for no, name in toml_headers(project, path) if name == table]


def toml_key_line(project: Project, path: str, table: str | None, key: str, nth: int = 0) -> int | None:
    """Line of `key = ...` inside the `nth` occurrence of `[table]` (None = top level).

    Falls back to a dotted key (`table.key =`) at top level and then to the table header,
    so a finding always points somewhere real.
    """
    lines = project.lines(path)
    headers = toml_headers(project, path)
    if table is None:
        start, end = 1, headers[0][0] if headers else len(lines) + 1
    else:
        starts = [no for no, name in headers if name == table]
        if len(starts) <= nth:
            return _dotted(lines, f"{table}.{key}")
        start = starts[nth] + 1
        end = next((no for no, _ in headers if no > starts[nth]), len(lines) + 1)
    rx = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for no in range(start, end):
        if rx.match(lines[no - 1]):
            return no
    found = _dotted(lines, f"{table}.{key}") if table else None
    if found:
        return found
    return start - 1 if table is not None and start > 1 else None


def _dotted(lines: list[str], dotted: str) -> int | None:
    rx = re.compile(rf"^\s*{re.escape(dotted)}\s*=")
    for no, line in enumerate(lines, 1):
        if rx.match(line):
            return no
    return None


# --- JSON / text lines ---------------------------------------------------------------------
def json_key_line(project: Project, path: str, key: str, start: int = 1) -> int | None:
    return project.find_line(path, f'"{key}"', start)


def regex_line(project: Project, path: str, pattern: str | re.Pattern[str], start: int = 1) -> int | None:
    rx = re.compile(pattern) if isinstance(pattern, str) else pattern
    for no, line in enumerate(project.lines(path)[start - 1:], start):
        if rx.search(line):
            return no
    return None


def first_line(project: Project, path: str) -> int:
    """First non-blank, non-comment line (1 when the file is empty)."""
    for no, line in enumerate(project.lines(path), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "//")):
            return no
    return 1


# --- image references ----------------------------------------------------------------------
_IMMUTABLE_HINT = lazy_re(
    r"sha|SHA|commit|COMMIT|github\.ref_name|GITHUB_REF_NAME|CI_COMMIT_TAG|version|VERSION|"
    r"release|RELEASE|build_?id|BUILD_?ID|run_number|RUN_NUMBER|rev-parse")
_MUTABLE_TAGS = frozenset({"latest", "main", "master", "prod", "production", "staging", "stable", "dev",
                           "develop", "edge", "nightly", "live", "current"})
_VERSION_TAG = lazy_re(r"^v?\d+(\.\d+)*([.-][0-9A-Za-z.]+)?$")
_HEX_TAG = lazy_re(r"^[0-9a-f]{7,64}$")


def image_tag_kind(ref: str) -> str:
    """'mutable', 'immutable' or 'unknown' for an image reference like `ghcr.io/a/b:tag`.

    A digest or a version/SHA tag is immutable; `:latest`, branch names or no tag at all
    are mutable (redeploying "the previous" image pulls whatever the tag points at now).
    """
    ref = ref.strip().strip("\"'")
    if not ref or ref.startswith("-"):
        return "unknown"
    if "@sha256:" in ref:
        return "immutable"
    last = ref.rsplit("/", 1)[-1]
    if ":" not in last:
        if "$" in last or "{" in last:
            return "unknown"
        return "mutable"
    tag = last.split(":", 1)[1]
    if "$" in tag or "{" in tag:
        if re.search(r":-?latest\}", tag) or tag.endswith("latest}"):
            return "mutable"
        return "immutable" if _IMMUTABLE_HINT.search(tag) else "unknown"
    if tag.lower() in _MUTABLE_TAGS:
        return "mutable"
    if _VERSION_TAG.match(tag) or _HEX_TAG.match(tag) or tag.startswith(("sha-", "sha_", "git-")):
        return "immutable"
    return "unknown"


def keep_releases(facts: PlatformFacts, path: str, line: int | None, tool: str, keep: int, default: bool) -> None:
    cmd = "`dep rollback`" if tool == "Deployer" else "`cap <stage> deploy:rollback`"
    label = f"keep_releases {keep}" + (" (default)" if default else "")
    if keep == -1 or keep > 1:
        kept = "all releases kept" if keep == -1 else f"{keep - 1} previous release(s) kept"
        add(facts.rollback, Location(path, line, f"{tool} {label}: {kept}; {cmd} re-points `current`"))
    else:
        add(facts.no_rollback, Location(path, line, f"{tool} {label}: no previous release is kept, so {cmd} "
                                                    "has nothing to switch back to"))
