"""Docker Compose files: service health checks, and image tags in deploy/production files.

Compose has no rollback of its own: going back means `up` again with the previous tag,
which only works when tags are immutable. A `:latest` (or untagged) image in a file used
for deploying is therefore a mutable tag; a dev compose file is not a deploy path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from handrail.core.finding import Location
from handrail.core.lazyre import lazy_re
from handrail.core.yamlload import line_of
from handrail.pipeline.model import PlatformFacts
from handrail.pipeline.platforms._util import add, image_tag_kind, parsed, register

if TYPE_CHECKING:
    from handrail.core.project import Project

BASE_NAMES = ("compose.yml", "compose.yaml", "docker-compose.yml", "docker-compose.yaml")
THIRD_PARTY_MARK = " (third-party image, not built in this repository)"
_DEPLOY_NAME = lazy_re(r"(^|[._/-])(prod|production|deploy|deployment|live|release|stack|swarm)([._/-]|$)")


def files(project: Project) -> list[str]:
    names = ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")
    return [p for p in project.files.glob("*compose*.yml", "*compose*.yaml", "**/*compose*.yml", "**/*compose*.yaml")
            if p.rsplit("/", 1)[-1] in names or p.rsplit("/", 1)[-1].startswith(("docker-compose.", "compose.",
                                                                                   "docker-compose-"))]


def is_deploy_file(path: str) -> bool:
    return bool(_DEPLOY_NAME.search(path.lower()))


def read(project: Project, facts: PlatformFacts) -> None:
    data_by_path: dict[str, dict[str, Any]] = {}
    for path in files(project):
        data = parsed(project, path, "yaml", facts)
        if isinstance(data, dict) and isinstance(data.get("services"), dict):
            data_by_path[path] = data
            _health(path, data, facts)
    deploy = [p for p in data_by_path if is_deploy_file(p)]
    if not deploy:
        return
    # `docker compose -f compose.yml -f compose.deploy.yml`: an override is merged with the base file
    # beside it, so the base file's images are deployed too.
    group = list(deploy)
    for path in deploy:
        folder, _, name = path.rpartition("/")
        if name in BASE_NAMES:
            continue
        for base in BASE_NAMES:
            candidate = f"{folder}/{base}" if folder else base
            if candidate in data_by_path and candidate not in group:
                group.append(candidate)
    first = data_by_path[deploy[0]]
    register(facts, "docker-compose", Location(deploy[0], line_of(first, "services", 1),
                                               "Compose file used for deploys"))
    for path in group:
        facts.sources.setdefault(path, "docker-compose")
    _images(group, data_by_path, facts)


def _health(path: str, data: dict[str, Any], facts: PlatformFacts) -> None:
    for name, svc in data["services"].items():
        if not isinstance(svc, dict):
            continue
        hc = svc.get("healthcheck")
        if isinstance(hc, dict) and hc.get("disable") is not True and not _test_is_none(hc.get("test")):
            add(facts.health_gates, Location(path, line_of(svc, "healthcheck"), f"{name}: compose healthcheck"))


def _images(group: list[str], data_by_path: dict[str, dict[str, Any]], facts: PlatformFacts) -> None:
    """Mutable tags are findings; pinned tags are rollback evidence only when nothing deployed is mutable
    (a pinned postgres does not make a `:latest` app image reversible)."""
    mutable: list[Location] = []
    pinned: list[Location] = []
    variable: list[Location] = []
    built = {name for path in group for name, svc in data_by_path[path]["services"].items()
             if isinstance(svc, dict) and svc.get("build")}  # `build:` in any merged file: the app's own image
    for path in group:
        for name, svc in data_by_path[path]["services"].items():
            image = svc.get("image") if isinstance(svc, dict) else None
            if not isinstance(image, str):
                continue
            kind = image_tag_kind(image)
            if kind == "mutable" and name not in built and (built or "/" not in image.split(":")[0]):
                # A third-party image (adminer, traefik) on a moving tag next to the app's own built image, or
                # a Docker Hub official image: not what a release ships, so it neither blocks nor proves going
                # back. The rollback check reads the marker (and treats it as the app's when CI pushes it).
                add(facts.mutable_tags, Location(path, line_of(svc, "image"), f"{name}: image {image}"
                                                 f"{THIRD_PARTY_MARK}"))
                continue
            loc = Location(path, line_of(svc, "image"), f"{name}: image {image}")
            if kind == "mutable":
                mutable.append(loc)
            elif kind == "immutable":
                pinned.append(loc)
            elif "$" in image:
                variable.append(loc)
    for loc in mutable:
        add(facts.mutable_tags, loc)
    if mutable:
        return
    for loc in variable:
        add(facts.implicit_rollback, Location(loc.path, loc.line, f"{loc.note}: tag chosen at deploy time; going "
                                                                  "back means re-running with the old tag"))
    if not variable:
        for loc in pinned:
            add(facts.rollback, Location(loc.path, loc.line, f"{loc.note} is an immutable tag: redeploy the "
                                                             "previous tag to go back"))


def _test_is_none(test: Any) -> bool:
    if isinstance(test, list):
        return bool(test) and str(test[0]).upper() == "NONE"
    return isinstance(test, str) and test.strip().upper() == "NONE"
