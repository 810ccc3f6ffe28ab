"""railway.toml / railway.json: deploy.healthcheckPath, restart policy, start and pre-deploy commands.

Railway keeps earlier deployments and can redeploy one from the dashboard (Rollback);
that is a platform feature, not something the repository configures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from handrail.core.finding import Location
from handrail.pipeline.model import PlatformFacts
from handrail.pipeline.platforms._util import (
    add,
    by_depth,
    first_line,
    json_key_line,
    parsed,
    register,
    short,
    toml_key_line,
)

if TYPE_CHECKING:
    from handrail.core.project import Project


def read(project: Project, facts: PlatformFacts) -> None:
    for path in by_depth(project.files.glob("railway.toml", "railway.json", "**/railway.toml", "**/railway.json")):
        is_toml = path.endswith(".toml")
        data = parsed(project, path, "toml" if is_toml else "json", facts)
        if isinstance(data, dict):
            _read_one(project, path, data, facts, is_toml)


def _read_one(project: Project, path: str, data: dict[str, Any], facts: PlatformFacts, is_toml: bool) -> None:
    deploy = data.get("deploy") if isinstance(data.get("deploy"), dict) else {}

    def line(key: str) -> int | None:
        return toml_key_line(project, path, "deploy", key) if is_toml else json_key_line(project, path, key)

    policy = deploy.get("restartPolicyType")
    note = "Railway config" + (f" (restartPolicyType {policy})" if policy else "")
    register(facts, "railway", Location(path, first_line(project, path), note))
    add(facts.rollback, Location(path, first_line(project, path), "platform feature: Railway keeps earlier "
                                                                  "deployments; dashboard Rollback redeploys one"))
    hc = deploy.get("healthcheckPath")
    if isinstance(hc, str) and hc.strip():
        add(facts.health_gates, Location(path, line("healthcheckPath"), f"Railway healthcheckPath {hc}"))
    start = deploy.get("startCommand")
    if isinstance(start, str) and start.strip():
        add(facts.start_commands, Location(path, line("startCommand"), short(start)))
    pre = deploy.get("preDeployCommand")
    if isinstance(pre, (str, list)) and pre:
        add(facts.release_commands, Location(path, line("preDeployCommand"), f"preDeployCommand {short(pre)}"))
