"""Documented rollback procedures in README*, RUNBOOK*, DEPLOY*.md and docs/**/*.md.

A procedure counts when a heading or line about rolling back a deploy is followed (in
its section, or within a few lines) by a command: a fenced code block or inline code.
"Rollback" alone is too common (database transactions, UI undo), so the section must
show a command and talk about deploys/releases, or use a known rollback command.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from handrail.core.finding import Location
from handrail.core.lazyre import lazy_re
from handrail.pipeline.model import PlatformFacts
from handrail.pipeline.platforms._util import add, short
from handrail.pipeline.platforms.deploy_scripts import ROLLBACK_CMD

if TYPE_CHECKING:
    from handrail.core.project import Project

_TOPIC = lazy_re(r"roll[\s-]?back|rolling\s+back|revert(?:ing)?\s+(?:a|the|to\s+(?:a|the)\s+previous)\s+"
                    r"(?:deploy|release|version)", re.I)
_DEPLOY_WORDS = lazy_re(r"deploy|release|version|image|production|current|symlink", re.I)
_HEADING = lazy_re(r"^(#{1,6})\s+(.*)$")
_INLINE_CODE = lazy_re(r"`([^`\n]{3,})`")
_COMMANDISH = lazy_re(r"^\s*(?:\$\s*)?[\w./-]+(?:\s+[-\w./:=@${}\"'<>]+)+")
# Rolling back a migration batch is not rolling back a deploy (that is the migration half of the question).
_MIGRATION_ONLY = lazy_re(r"migrate:rollback|db:rollback|migrate\s+down|alembic\s+downgrade|migrate:reset|"
                             r"manage\.py\s+migrate\s+\w+\s+\d{4}|prisma\s+migrate\s+resolve", re.I)
NEAR = 6
SECTION_MAX = 60


def files(project: Project) -> list[str]:
    found = project.files.glob("README*", "**/README*", "RUNBOOK*", "**/RUNBOOK*", "DEPLOY*.md", "**/DEPLOY*.md",
                               "docs/*.md", "docs/**/*.md", "doc/*.md", "doc/**/*.md")
    return [p for p in dict.fromkeys(found) if p.lower().endswith((".md", ".markdown", ".rst", ".txt", "readme"))]


def read(project: Project, facts: PlatformFacts) -> None:
    for path in files(project):
        low = (project.text(path) or "").lower()
        if "roll" not in low and "revert" not in low:
            continue  # _TOPIC cannot match any line (no i/s/k in these words, so re.I folding adds nothing)
        for line, cmd in procedures(project.lines(path)):
            add(facts.rollback, Location(path, line, f"documented procedure: {short(cmd, 100)}"))


def procedures(lines: list[str]) -> list[tuple[int, str]]:
    """(1-based line, command) for each rollback heading/line followed by a command."""
    out: list[tuple[int, str]] = []
    in_fence = False
    used_until = 0
    for idx, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence or idx < used_until or not _TOPIC.search(line):
            continue
        heading = _HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            end = idx + 1
            while end < len(lines) and end - idx < SECTION_MAX:
                h = _HEADING.match(lines[end])
                if h and len(h.group(1)) <= level and not _in_fence(lines, end):
                    break
                end += 1
        else:
            end = min(len(lines), idx + NEAR)
        body = lines[idx:end]
        cmd = _command(body)
        if cmd and (ROLLBACK_CMD.search(cmd) or _DEPLOY_WORDS.search("\n".join(body))):
            out.append((idx + 1, cmd))
            used_until = end
    return out


def _in_fence(lines: list[str], index: int) -> bool:
    return sum(1 for line in lines[:index] if line.lstrip().startswith(("```", "~~~"))) % 2 == 1


def _command(body: list[str]) -> str | None:
    """The first known rollback command in `body`, else its first command-like code."""
    candidates: list[str] = []
    fence = False
    for line in body:
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
            continue
        if fence and line.strip() and not line.lstrip().startswith("#"):
            candidates.append(line.strip().lstrip("$ ").strip())
        elif not fence:
            candidates.extend(c.strip() for c in _INLINE_CODE.findall(line))
    candidates = [c for c in candidates if not _MIGRATION_ONLY.search(c)]
    for cand in candidates:
        if ROLLBACK_CMD.search(cand):
            return cand
    for cand in candidates:
        if _COMMANDISH.match(cand):
            return cand
    return None
