"""vercel.json: Vercel keeps every deployment immutable behind domain aliases.

Instant rollback re-aliases an older deployment without a rebuild (`vercel rollback`);
environment variables are not refreshed, and the Hobby plan can only go back one
deployment. `git.deploymentEnabled: false` means deploys come from CI or the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handrail.core.finding import Location
from handrail.pipeline.model import PlatformFacts
from handrail.pipeline.platforms._util import add, by_depth, first_line, json_key_line, parsed, register

if TYPE_CHECKING:
    from handrail.core.project import Project

ROLLBACK_NOTE = ("platform feature: Vercel instant rollback to an earlier immutable deployment (`vercel rollback`); "
                 "Hobby plan can only go back one deployment")


def read(project: Project, facts: PlatformFacts) -> None:
    for path in by_depth(project.files.glob("vercel.json", "**/vercel.json")):
        data = parsed(project, path, "json", facts)
        if not isinstance(data, dict):
            continue
        note = "vercel.json"
        git = data.get("git")
        enabled = git.get("deploymentEnabled") if isinstance(git, dict) else None
        if enabled is False:
            note += " (git deployments disabled: deploys come from CI or the CLI)"
        elif isinstance(enabled, dict):
            off = sorted(str(b) for b, on in enabled.items() if on is False)
            if off:
                note += f" (git deployments disabled for {', '.join(off)})"
        line = json_key_line(project, path, "deploymentEnabled") if enabled is not None else first_line(project, path)
        register(facts, "vercel", Location(path, line, note))
        add(facts.rollback, Location(path, first_line(project, path), ROLLBACK_NOTE))
