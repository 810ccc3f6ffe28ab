"""Docker Compose files: service health checks, and image tags in deploy/production files.

Compose has no rollback of its own: going back means `up` again with the previous tag,
which only works when tags are immutable. A `:latest` (or untagged) image in a file used
for deploying is therefore a mutable tag; a dev compose file is not a deploy path.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from handrail.core.finding import Location
from handrail.core.yamlload import line_of
from handrail.pipeline.model import PlatformFacts
from handrail.pipeline.platforms._util import add, image_tag_kind, parsed, register

if TYPE_CHECKING:
    from handrail.core.project import Project

_DEPLOY_NAME = re.compile(r"(^|[._/-])(prod|production|deploy|deployment|live|release|stack|swarm)([._/-]|$)")


def files(project: Project) -> list[str]:
    names = ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")
    return [p for p in project.files.glob("*compose*.yml", "*compose*.yaml", "**/*compose*.yml", "**/*compose*.yaml")
            if p.rsplit("/", 1)[-1] in names or p.rsplit("/", 1)[-1].startswith(("docker-compose.", "compose.",
                                                                                   "docker-compose-"))]


def is_deploy_file(path: str) -> bool:
    return bool(_DEPLOY_NAME.search(path.lower()))


def read(project: Project, facts: PlatformFacts) -> None:
    for path in files(project):
        data = parsed(project, path, "yaml", facts)
        if isinstance(data, dict) and isinstance(data.get("services"), dict):
            _read_one(path, data, facts)


def _read_one(path: str, data: dict[str, Any], facts: PlatformFacts) -> None:
    services = data["services"]
    deploy = is_deploy_file(path)
    if deploy:
        register(facts, "docker-compose", Location(path, line_of(data, "services", 1),
                                                   "Compose file used for deploys"))
    pinned: list[Location] = []
    for name, svc in services.items():
        if not isinstance(svc, dict):
            continue
        hc = svc.get("healthcheck")
        if isinstance(hc, dict) and hc.get("disable") is not True and not _test_is_none(hc.get("test")):
            add(facts.health_gates, Location(path, line_of(svc, "healthcheck"), f"{name}: compose healthcheck"))
        image = svc.get("image")
        if not deploy or not isinstance(image, str):
            continue
        kind = image_tag_kind(image)
        loc = Location(path, line_of(svc, "image"), f"{name}: image {image}")
        if kind == "mutable":
            add(facts.mutable_tags, loc)
        elif kind == "immutable":
            pinned.append(loc)
        elif "$" in image:
            add(facts.implicit_rollback, Location(loc.path, loc.line, f"{loc.note}: tag chosen at deploy time; "
                                                                      "going back means re-running with the old tag"))
    for loc in pinned:
        add(facts.rollback, Location(loc.path, loc.line, f"{loc.note} is an immutable tag: redeploy the previous "
                                                         "tag to go back"))


def _test_is_none(test: Any) -> bool:
    if isinstance(test, list):
        return bool(test) and str(test[0]).upper() == "NONE"
    return isinstance(test, str) and test.strip().upper() == "NONE"
