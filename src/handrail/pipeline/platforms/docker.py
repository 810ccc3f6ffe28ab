"""Dockerfiles: HEALTHCHECK (a health gate unless NONE) and the runtime CMD/ENTRYPOINT.

Only the last build stage runs in production, so its CMD/ENTRYPOINT is the start command;
a HEALTHCHECK in the last stage is what Docker, Compose and Swarm wait on.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from handrail.core.finding import Location
from handrail.core.lazyre import lazy_re
from handrail.pipeline.model import PlatformFacts
from handrail.pipeline.platforms._util import add, short

if TYPE_CHECKING:
    from handrail.core.project import Project

_INSTR = lazy_re(r"^\s*([A-Za-z]+)\b\s*(.*)$")


def files(project: Project) -> list[str]:
    return project.files.glob("Dockerfile", "**/Dockerfile", "Dockerfile.*", "**/Dockerfile.*", "*.Dockerfile",
                              "**/*.Dockerfile", "*.dockerfile", "**/*.dockerfile")


def instructions(project: Project, path: str) -> list[tuple[int, str, str]]:
    """(line, INSTRUCTION, arguments) with continuation lines joined; comments skipped."""
    out: list[tuple[int, str, str]] = []
    lines = project.lines(path)
    i = 0
    while i < len(lines):
        raw = lines[i]
        start = i + 1
        i += 1
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        text = raw.rstrip()
        while text.endswith("\\") and i < len(lines):
            nxt = lines[i]
            i += 1
            if nxt.lstrip().startswith("#"):
                continue
            text = text[:-1] + " " + nxt.strip()
        m = _INSTR.match(text)
        if m:
            out.append((start, m.group(1).upper(), m.group(2).strip()))
    return out


def read(project: Project, facts: PlatformFacts) -> None:
    for path in files(project):
        if project.text(path) is None:
            continue
        instrs = instructions(project, path)
        last_from = max((k for k, (_, ins, _) in enumerate(instrs) if ins == "FROM"), default=0)
        final = instrs[last_from:]
        for no, ins, args in final:
            if ins == "HEALTHCHECK" and not args.upper().startswith("NONE"):
                add(facts.health_gates, Location(path, no, f"HEALTHCHECK {short(args, 100)}"))
        for wanted in ("ENTRYPOINT", "CMD"):  # only the last of each takes effect
            last = [(no, args) for no, ins, args in final if ins == wanted][-1:]
            for no, args in last:
                add(facts.start_commands, Location(path, no, short(_exec_form(args))))


def _exec_form(args: str) -> str:
    """`["node", "server.js"]` -> `node server.js`; shell form is returned as is."""
    if args.startswith("["):
        parts = re.findall(r'"((?:[^"\\]|\\.)*)"', args)
        if parts:
            return " ".join(parts)
    return args
