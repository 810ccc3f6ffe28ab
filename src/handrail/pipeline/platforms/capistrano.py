"""Capistrano config/deploy.rb: application and keep_releases (default 5).

Capistrano keeps `releases/<timestamp>` next to `current`; `cap <stage> deploy:rollback`
re-points the symlink. keep_releases 1 leaves nothing to go back to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handrail.core.finding import Location
from handrail.core.lazyre import lazy_re
from handrail.pipeline.model import PlatformFacts
from handrail.pipeline.platforms._util import first_line, keep_releases, regex_line, register

if TYPE_CHECKING:
    from handrail.core.project import Project

CAPISTRANO_DEFAULT = 5

_RB_KEEP = lazy_re(r"""set\s+:keep_releases\s*,\s*(-?\d+)""")
_RB_APP = lazy_re(r"""set\s+:application\s*,\s*['"]([^'"]+)['"]""")


def read(project: Project, facts: PlatformFacts) -> None:
    if "config/deploy.rb" in project.files:
        _read_capistrano(project, "config/deploy.rb", facts)


def _read_capistrano(project: Project, path: str, facts: PlatformFacts) -> None:
    text = project.text(path) or ""
    app = _RB_APP.search(text)
    anchor = regex_line(project, path, _RB_APP) or first_line(project, path)
    register(facts, "capistrano", Location(path, anchor, f"Capistrano application {app.group(1)}" if app
                                           else "Capistrano"))
    keeps = [(no, int(m.group(1))) for no, line in enumerate(project.lines(path), 1)
             if (m := _RB_KEEP.search(line)) and not line.lstrip().startswith("#")]
    if keeps:
        for no, keep in keeps:
            keep_releases(facts, path, no, "Capistrano", keep, default=False)
    else:
        keep_releases(facts, path, anchor, "Capistrano", CAPISTRANO_DEFAULT, default=True)
