"""Procfile processes and package.json "start": what production runs and what runs on release.

A Procfile alone is not a deploy path (foreman, Overmind and containers read it too); a
`release:` process is Heroku's release phase, so only that names Heroku as the platform.

A `release:` process (Heroku release phase) usually migrates; it runs before the new
release takes traffic and is not a smoke test of the deployed app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handrail.core.finding import Location
from handrail.core.lazyre import lazy_re
from handrail.pipeline.model import PlatformFacts
from handrail.pipeline.platforms._util import add, by_depth, json_key_line, parsed, register, short

if TYPE_CHECKING:
    from handrail.core.project import Project

_PROCESS = lazy_re(r"^([A-Za-z0-9_-]+)\s*:\s*(.+?)\s*$")


def read(project: Project, facts: PlatformFacts) -> None:
    for path in by_depth(project.files.glob("Procfile", "**/Procfile")):
        _read_procfile(project, path, facts)
    for path in by_depth(project.files.glob("package.json", "*/package.json", "*/*/package.json")):
        _read_package_json(project, path, facts)


def _read_procfile(project: Project, path: str, facts: PlatformFacts) -> None:
    processes = []
    for no, line in enumerate(project.lines(path), 1):
        if line.lstrip().startswith("#"):
            continue
        m = _PROCESS.match(line.strip())
        if m:
            processes.append((no, m.group(1), m.group(2)))
    if not processes:
        return
    release = [no for no, name, _ in processes if name == "release"]
    if release:  # the release phase is Heroku's (and Dokku's); a plain Procfile is often just foreman's
        register(facts, "heroku", Location(path, release[0], "Procfile release phase (Heroku)"))
    for no, name, cmd in processes:
        if name == "release":
            add(facts.release_commands, Location(path, no, f"release phase: {short(cmd)} (runs before the release "
                                                         "goes live; not a smoke test)"))
        elif name == "web":
            add(facts.start_commands, Location(path, no, short(cmd)))


def _read_package_json(project: Project, path: str, facts: PlatformFacts) -> None:
    data = parsed(project, path, "json", facts)
    if not isinstance(data, dict):
        return
    scripts = data.get("scripts")
    start = scripts.get("start") if isinstance(scripts, dict) else None
    if isinstance(start, str) and start.strip():
        add(facts.start_commands, Location(path, json_key_line(project, path, "start"), short(start)))
