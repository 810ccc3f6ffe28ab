"""Kamal config/deploy.yml and destination files config/deploy.<dest>.yml.

Kamal tags images with the git SHA, and kamal-proxy only switches traffic once the new
container answers its health check (`/up` unless proxy.healthcheck.path says otherwise).
Stopped old containers are kept (`retain_containers`, default 5; kamal prune keeps that
many, `tail -n +(retain+1)` in commands/prune.rb), which is what `kamal rollback VERSION`
switches back to: 1 still allows one step back, 0 none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from handrail.core.finding import Location
from handrail.core.yamlload import line_of
from handrail.pipeline.model import PlatformFacts
from handrail.pipeline.platforms._util import add, first_line, parsed, register

if TYPE_CHECKING:
    from handrail.core.project import Project

DEFAULT_RETAIN = 5


def read(project: Project, facts: PlatformFacts) -> None:
    found = project.files.glob("config/deploy.yml", "config/deploy.*.yml", "config/deploy.yaml",
                               "config/deploy.*.yaml")
    for path in sorted(found, key=lambda p: p.count(".") > 1):  # the base file names the platform
        data = parsed(project, path, "yaml", facts)
        if isinstance(data, dict) and any(k in data for k in ("service", "image", "servers", "proxy",
                                                               "retain_containers", "healthcheck")):
            _read_one(project, path, data, facts, is_base=path.rsplit("/", 1)[-1] in ("deploy.yml", "deploy.yaml"))


def _read_one(project: Project, path: str, data: dict[str, Any], facts: PlatformFacts, is_base: bool) -> None:
    service = data.get("service")
    anchor = line_of(data, "service") if "service" in data else first_line(project, path)
    dest = "" if is_base else f" destination {path.rsplit('/', 1)[-1].split('.')[1]}"
    note = f"Kamal service {service}{dest}" if service else f"Kamal{dest or ' config'}"
    if isinstance(data.get("image"), str):
        note += f" (image {data['image']})"
    register(facts, "kamal", Location(path, anchor, note))

    retain = data.get("retain_containers")
    if isinstance(retain, int) and not isinstance(retain, bool):
        line = line_of(data, "retain_containers")
        if retain >= 1:
            kept = "only the previous container is kept, one step back" if retain == 1 else \
                f"{retain} old containers kept"
            add(facts.rollback, Location(path, line, f"retain_containers {retain}: {kept}; `kamal rollback VERSION` "
                                                     "switches back to one (images tagged by git SHA)"))
        else:
            add(facts.no_rollback, Location(path, line, f"retain_containers {retain}: no old container is kept "
                                                        "for `kamal rollback`"))
    elif is_base:
        add(facts.rollback, Location(path, anchor, f"Kamal keeps {DEFAULT_RETAIN} old containers by default: "
                                                   "`kamal rollback VERSION` (images tagged by git SHA)"))

    _health(path, data, facts, anchor, is_base)


def _health(path: str, data: dict[str, Any], facts: PlatformFacts, anchor: int, is_base: bool) -> None:
    proxy = data.get("proxy")
    for holder in (proxy if isinstance(proxy, dict) else None, data):
        if not isinstance(holder, dict):
            continue
        hc = holder.get("healthcheck")
        if isinstance(hc, dict):
            where = "proxy.healthcheck" if holder is proxy else "healthcheck"
            hc_path = hc.get("path", "/up")
            extra = f", interval {hc['interval']}s" if "interval" in hc else ""
            line = line_of(hc, "path") if "path" in hc else line_of(holder, "healthcheck")
            add(facts.health_gates, Location(path, line, f"Kamal {where} {hc_path}{extra}"))
            return
    if is_base:
        line = line_of(data, "proxy") if isinstance(proxy, dict) else anchor
        add(facts.health_gates, Location(path, line, "Kamal proxy health check, default /up: traffic switches "
                                                     "only when the new container answers"))
