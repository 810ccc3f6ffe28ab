"""Deploy platform configuration outside CI, read into one `PlatformFacts`.

One small module per platform, each a `read(project, facts)` that adds located facts and
never raises on bad input (malformed files become `facts.invalid`). Order matters only
for which file names a platform first: config files before the scripts that wrap them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from handrail.pipeline.model import InvalidFile, PlatformFacts
from handrail.pipeline.platforms import (
    capistrano,
    compose,
    deploy_scripts,
    deployer,
    docker,
    docs,
    fly,
    heroku,
    kamal,
    kubernetes,
    netlify,
    procfile,
    railway,
    render,
    vercel,
)

if TYPE_CHECKING:
    from handrail.core.project import Project

READERS: tuple[tuple[str, Callable[[Project, PlatformFacts], None]], ...] = (
    ("fly", fly.read),
    ("render", render.read),
    ("procfile", procfile.read),
    ("heroku", heroku.read),
    ("kamal", kamal.read),
    ("deployer", deployer.read),
    ("capistrano", capistrano.read),
    ("docker", docker.read),
    ("compose", compose.read),
    ("vercel", vercel.read),
    ("railway", railway.read),
    ("netlify", netlify.read),
    ("kubernetes", kubernetes.read),
    ("deploy_scripts", deploy_scripts.read),
    ("docs", docs.read),
)


def read_platforms(project: Project) -> PlatformFacts:
    facts = PlatformFacts()
    for name, reader in READERS:
        try:
            reader(project, facts)
        except Exception as exc:  # a reader bug must not take every check down with the pipeline model
            facts.invalid.append(InvalidFile("(platforms)", f"{name} reader failed: {exc.__class__.__name__}: {exc}"))
    return facts


__all__ = ["READERS", "read_platforms"]
