"""Hand-written deploy scripts (deploy.sh, scripts/deploy*.sh, bin/deploy, Envoy, Forge).

What matters for rollback is the layout they produce: a release directory per deploy
with an atomic `current` symlink keeps the previous release one `ln -sfn` away, while
`git pull` (or rsync) into the live folder overwrites it. `analyse` is shared with the
rollback check, which runs it on CI deploy steps too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from handrail.core.finding import Location
from handrail.core.lazyre import lazy_re
from handrail.pipeline.model import PlatformFacts
from handrail.pipeline.platforms._util import add, first_line, image_tag_kind, register, short

if TYPE_CHECKING:
    from handrail.core.project import Project

_RELEASES = lazy_re(r"releases/|\breleases\b|RELEASES?_DIR|release_dir|\$\{?RELEASE\b", re.I)
_SWITCH = lazy_re(r"\bln\s+-[a-zA-Z]*s[a-zA-Z]*\b.*\bcurrent\b|\bmv\s+-[a-zA-Z]*T[a-zA-Z]*\b.*\bcurrent\b")
_IN_PLACE = lazy_re(r"\bgit\s+pull\b|\bgit\s+reset\s+--hard\s+origin|\bgit\s+merge\s+origin/")
_RSYNC_LIVE = lazy_re(r"\b(?:rsync|scp\s+(?:-\w+\s+)*-\w*r)\b[^\n]*\s(?:[\w.-]+@)?[\w.-]+:\S+")
ROLLBACK_CMD = lazy_re(
    r"\b(?:kamal\s+rollback|dep\s+rollback|cap\s+\S+\s+deploy:rollback|heroku\s+(?:releases:)?rollback|"
    r"vercel\s+rollback|kubectl\s+(?:argo\s+)?rollouts?\s+undo|helm\s+rollback|fly(?:ctl)?\s+deploy\b[^\n]*--image|"
    r"npx\s+vercel\s+rollback|envoy\s+run\s+rollback)")
_SSH = lazy_re(r"(?:^|[\s;&|(])ssh\s")
_HEREDOC = lazy_re(r"<<-?\s*['\"]?(\w+)['\"]?")
_GHA_EXPR = lazy_re(r"\$\{\{\s*(.*?)\s*\}\}")
_BUILD_CMD = lazy_re(r"\b(?:docker|podman|buildah|nerdctl)\b[^\n]*\b(?:build|buildx|bake)\b")
_TAG_FLAG = lazy_re(r"(?:-t|--tag)[ =]([\w.${}/:@-]+)")

TOOL_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("fly", lazy_re(r"\bfly(?:ctl)?\s+deploy\b")),
    ("kamal", lazy_re(r"\bkamal\s+deploy\b")),
    ("vercel", lazy_re(r"\bvercel\b[^\n]*--prod|\bvercel\s+deploy\b")),
    ("heroku", lazy_re(r"\bgit\s+push\s+heroku\b|\bheroku\s+container:release\b")),
    ("deployer", lazy_re(r"\bdep\s+deploy\b|vendor/bin/dep\s+deploy")),
    ("capistrano", lazy_re(r"\bcap\s+\S+\s+deploy\b")),
    ("kubernetes", lazy_re(r"\bkubectl\s+(?:apply|set\s+image|rollout)\b|\bhelm\s+upgrade\b")),
    ("netlify", lazy_re(r"\bnetlify\s+deploy\b")),
    ("railway", lazy_re(r"\brailway\s+up\b")),
)


@dataclass
class ScriptFacts:
    """Line offsets (0-based, into the analysed text) and the matching line, per signal."""

    release_layout: list[tuple[int, str]] = field(default_factory=list)
    in_place: list[tuple[int, str]] = field(default_factory=list)
    rollback_cmds: list[tuple[int, str]] = field(default_factory=list)
    mutable: list[tuple[int, str]] = field(default_factory=list)
    immutable: list[tuple[int, str]] = field(default_factory=list)
    tools: dict[str, int] = field(default_factory=dict)  # platform name -> first offset
    remote: set[int] = field(default_factory=set)  # offsets that visibly run on a server (ssh, heredoc, rsync)

    def in_place_remote(self) -> list[tuple[int, str]]:
        """In-place updates that visibly target a server; a CI runner's own `git pull` is not a deploy."""
        return [(o, t) for o, t in self.in_place if o in self.remote]


def strip_comment(line: str) -> str:
    stripped = line.lstrip()
    if stripped.startswith(("#", "//")):
        return ""
    return re.sub(r"\s#\s.*$", "", line)


def analyse(text: str) -> ScriptFacts:
    out = ScriptFacts()
    text = _GHA_EXPR.sub(lambda m: "${{" + m.group(1).replace(" ", "") + "}}", text)  # one token per expression
    lines = [strip_comment(line) for line in text.splitlines()]
    has_releases = any(_RELEASES.search(line) for line in lines)
    heredoc: str | None = None  # inside `ssh host <<EOF ... EOF` every line runs on the server
    for off, line in enumerate(lines):
        inside = heredoc is not None
        if inside:
            out.remote.add(off)
            if line.strip() == heredoc:
                heredoc = None
        if not line.strip():
            continue
        if not inside and _SSH.search(line):
            out.remote.add(off)
            m = _HEREDOC.search(line)
            heredoc = m.group(1) if m else None
        if _RSYNC_LIVE.search(line):
            out.remote.add(off)
        if has_releases and _SWITCH.search(line):
            out.release_layout.append((off, line.strip()))
        rsync_live = _RSYNC_LIVE.search(line) and "releases" not in line and not re.search(r"\.sh\b", line)
        if _IN_PLACE.search(line) or rsync_live:
            out.in_place.append((off, line.strip()))
        if ROLLBACK_CMD.search(line):
            out.rollback_cmds.append((off, line.strip()))
        for ref in _image_refs(line):
            kind = image_tag_kind(ref)
            if kind == "mutable":
                out.mutable.append((off, ref))
            elif kind == "immutable":
                out.immutable.append((off, ref))
        for tool, rx in TOOL_PATTERNS:
            if rx.search(line):
                out.tools.setdefault(tool, off)
    if out.release_layout:
        out.in_place = [(o, t) for o, t in out.in_place if not _IN_PLACE.search(t) or "releases" in t]
    return out


def _image_refs(line: str) -> list[str]:
    refs = [m.group(1) for m in _TAG_FLAG.finditer(line)] if _BUILD_CMD.search(line) else []
    if re.search(r"\bdocker\s+(?:push|pull)\b", line):
        m = re.search(r"\bdocker\s+(?:push|pull)\s+(?:-\S+\s+)*([\w.${}/:@-]+)", line)
        if m:
            refs.append(m.group(1))
    m = re.search(r"--image[ =]([\w.${}/:@-]+)", line)
    if m:
        refs.append(m.group(1))
    m = re.search(r"set\s+image\s+\S+\s+\S+?=([\w.${}/:@-]+)", line)
    if m:
        refs.append(m.group(1))
    return [r for r in refs if r and not r.startswith("-")]


def files(project: Project) -> list[str]:
    found = project.files.glob("deploy.sh", "**/deploy.sh", "scripts/deploy*.sh", "script/deploy*", "bin/deploy",
                               "bin/deploy*.sh", "deploy/*.sh", "Envoy.blade.php", ".forge/*", "forge-deploy.sh")
    return [p for p in found if project.text(p) is not None]


def read(project: Project, facts: PlatformFacts) -> None:
    for path in files(project):
        sf = analyse(project.text(path) or "")
        kind = "Envoy tasks" if path.endswith("Envoy.blade.php") else ("Forge deploy script"
                                                                        if path.startswith(".forge/") else
                                                                        "deploy script")
        if sf.release_layout:
            kind += ": release directories with a `current` symlink"
        elif sf.in_place:
            kind += ": updates the live folder in place"
        add(facts.deploy_scripts, Location(path, first_line(project, path), kind))
        for tool, off in sorted(sf.tools.items(), key=lambda kv: kv[1]):
            # the script wraps a platform: its evidence belongs to that platform's deploy path
            register(facts, tool, Location(path, off + 1, f"{path} runs the {tool} deploy"))
            break
        for off, line in sf.release_layout[:1]:
            add(facts.rollback, Location(path, off + 1, f"release directory layout, atomic switch: {short(line, 90)}"
                                                        " (switch `current` back to the previous release)"))
        for off, line in sf.rollback_cmds:
            add(facts.rollback, Location(path, off + 1, f"rollback command: {short(line, 100)}"))
        for off, line in sf.in_place:
            add(facts.no_rollback, Location(path, off + 1, f"in-place update of the live folder: {short(line, 90)} "
                                                           "(the previous version is overwritten)"))
        for off, ref in sf.mutable:
            add(facts.mutable_tags, Location(path, off + 1, f"image {ref}"))
