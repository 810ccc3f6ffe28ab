"""render.yaml blueprints: healthCheckPath, preDeployCommand, startCommand, autoDeploy, images.

Render keeps recent build artifacts and rolls back to one from the dashboard or API
without a rebuild (a dashboard rollback also turns autoDeploy off); that is a platform
feature, recorded as rollback evidence at the `services` key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from handrail.core.finding import Location
from handrail.core.yamlload import line_of
from handrail.pipeline.model import PlatformFacts
from handrail.pipeline.platforms._util import add, by_depth, image_tag_kind, parsed, register, short

if TYPE_CHECKING:
    from handrail.core.project import Project


def read(project: Project, facts: PlatformFacts) -> None:
    for path in by_depth(project.files.glob("render.yaml", "render.yml", "**/render.yaml", "**/render.yml")):
        data = parsed(project, path, "yaml", facts)
        if isinstance(data, dict):
            _read_one(project, path, data, facts)


def _read_one(project: Project, path: str, data: dict[str, Any], facts: PlatformFacts) -> None:
    services = data.get("services")
    if not isinstance(services, list):
        return
    svc_line = line_of(data, "services", 1)
    web = [s for s in services if isinstance(s, dict) and s.get("type") in (None, "web", "pserv", "worker")]
    manual = [s for s in web if s.get("autoDeploy") is False or s.get("autoDeployTrigger") == "off"]
    note = "Render blueprint"
    if manual:
        note += " (autoDeploy off for " + ", ".join(str(s.get("name", "?")) for s in manual) + ")"
    register(facts, "render", Location(path, svc_line, note))
    if web:
        add(facts.rollback, Location(path, svc_line, "platform feature: Render keeps recent builds; dashboard or "
                                                     "API rollback (a dashboard rollback turns autoDeploy off)"))
    for svc in web:
        name = svc.get("name", "service")
        hc = svc.get("healthCheckPath")
        if isinstance(hc, str) and hc.strip():
            add(facts.health_gates, Location(path, line_of(svc, "healthCheckPath"), f"{name}: healthCheckPath {hc}"))
        pre = svc.get("preDeployCommand")
        if isinstance(pre, str) and pre.strip():
            add(facts.release_commands, Location(path, line_of(svc, "preDeployCommand"),
                                                 f"{name}: preDeployCommand {short(pre)}"))
        start = svc.get("startCommand")
        if isinstance(start, str) and start.strip():
            add(facts.start_commands, Location(path, line_of(svc, "startCommand"), short(start)))
        image = svc.get("image")
        url = image.get("url") if isinstance(image, dict) else None
        if isinstance(url, str) and image_tag_kind(url) == "mutable":
            add(facts.mutable_tags, Location(path, line_of(image, "url"), f"{name}: image {url}"))
