"""Deployer (deploy.php / deploy.yaml): recipe, hosts and keep_releases.

Deployer keeps old releases next to a `current` symlink; `dep rollback` re-points it and
marks the bad release. keep_releases defaults to 10, -1 keeps all, 1 leaves nothing to
go back to. The Laravel recipe migrates before the symlink switch, so a rollback meets
the new schema (the migration half of this question).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from handrail.core.finding import Location
from handrail.core.lazyre import lazy_re
from handrail.core.yamlload import line_of
from handrail.pipeline.model import PlatformFacts
from handrail.pipeline.platforms._util import first_line, keep_releases, parsed, regex_line, register

if TYPE_CHECKING:
    from handrail.core.project import Project

DEPLOYER_DEFAULT = 10

_PHP_RECIPE = lazy_re(r"""require\s*\(?\s*['"](?:recipe/)?([\w/-]+)\.php['"]""")
_PHP_KEEP = lazy_re(r"""set\s*\(\s*['"]keep_releases['"]\s*,\s*(-?\d+)""")
_PHP_HOST = lazy_re(r"""\bhost\s*\(\s*['"]([^'"]+)['"]""")


def read(project: Project, facts: PlatformFacts) -> None:
    for path in project.files.glob("deploy.php", "**/deploy.php"):
        _read_deployer_php(project, path, facts)
    for path in project.files.glob("deploy.yaml", "deploy.yml"):
        data = parsed(project, path, "yaml", facts)
        if isinstance(data, dict) and ("hosts" in data or _imports_recipe(data)):
            _read_deployer_yaml(project, path, data, facts)


def _read_deployer_php(project: Project, path: str, facts: PlatformFacts) -> None:
    text = project.text(path) or ""
    if "Deployer" not in text and "recipe/" not in text and "keep_releases" not in text:
        return
    recipes = [m.group(1) for m in _PHP_RECIPE.finditer(text)]
    hosts = [m.group(1) for m in _PHP_HOST.finditer(text)]
    note = "Deployer" + (f" recipe {', '.join(recipes)}" if recipes else "")
    if hosts:
        note += f"; hosts {', '.join(hosts[:5])}"
    register(facts, "deployer", Location(path, regex_line(project, path, _PHP_RECIPE) or first_line(project, path),
                                         note))
    keeps = [(no, int(m.group(1))) for no, line in enumerate(project.lines(path), 1)
             if (m := _PHP_KEEP.search(line)) and not line.lstrip().startswith(("//", "#"))]
    if keeps:
        for no, keep in keeps:
            keep_releases(facts, path, no, "Deployer", keep, default=False)
    else:
        keep_releases(facts, path, facts.platforms["deployer"].line if facts.sources.get(path) == "deployer" else None,
              "Deployer", DEPLOYER_DEFAULT, default=True)


def _imports_recipe(data: dict[str, Any]) -> bool:
    imp = data.get("import")
    items = imp if isinstance(imp, list) else [imp]
    return any(isinstance(i, str) and "recipe/" in i for i in items)


def _read_deployer_yaml(project: Project, path: str, data: dict[str, Any], facts: PlatformFacts) -> None:
    imp = data.get("import")
    recipes = [i for i in (imp if isinstance(imp, list) else [imp]) if isinstance(i, str)]
    hosts = data.get("hosts")
    note = "Deployer" + (f" import {', '.join(recipes)}" if recipes else "")
    if isinstance(hosts, dict) and hosts:
        note += f"; hosts {', '.join(str(h) for h in list(hosts)[:5])}"
    anchor = line_of(data, "import") if "import" in data else first_line(project, path)
    register(facts, "deployer", Location(path, anchor, note))
    config = data.get("config")
    keep = config.get("keep_releases") if isinstance(config, dict) else None
    if isinstance(keep, int) and not isinstance(keep, bool):
        keep_releases(facts, path, line_of(config, "keep_releases"), "Deployer", keep, default=False)
    else:
        keep_releases(facts, path, anchor, "Deployer", DEPLOYER_DEFAULT, default=True)
