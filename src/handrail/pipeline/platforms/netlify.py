"""netlify.toml: Netlify keeps every deploy as an immutable snapshot and can publish an older one.

The rollback is a platform feature ("Publish deploy" in the dashboard); functions and
environment variables follow the snapshot, external databases do not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handrail.core.finding import Location
from handrail.pipeline.model import PlatformFacts
from handrail.pipeline.platforms._util import add, by_depth, first_line, parsed, register

if TYPE_CHECKING:
    from handrail.core.project import Project


def read(project: Project, facts: PlatformFacts) -> None:
    for path in by_depth(project.files.glob("netlify.toml", "**/netlify.toml")):
        data = parsed(project, path, "toml", facts)
        if not isinstance(data, dict):
            continue
        line = first_line(project, path)
        register(facts, "netlify", Location(path, line, "netlify.toml"))
        add(facts.rollback, Location(path, line, "platform feature: Netlify keeps every deploy; publishing an "
                                                 "earlier one is an instant rollback"))
