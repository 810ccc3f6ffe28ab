"""Heroku app.json and heroku.yml: release and postdeploy commands, and Heroku's release history.

Heroku keeps every release (slug plus config) and `heroku rollback vNN` restores one;
database and add-on state are not rolled back. app.json is also used by Expo and React
Native, so it only counts as Heroku with keys of Heroku's app.json schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from handrail.core.finding import Location
from handrail.core.yamlload import line_of
from handrail.pipeline.model import PlatformFacts
from handrail.pipeline.platforms._util import add, first_line, json_key_line, parsed, register, short

if TYPE_CHECKING:
    from handrail.core.project import Project

_HEROKU_KEYS = ("buildpacks", "addons", "formation", "stack", "environments", "success_url", "env", "repository",
                "logo", "website", "image")
_NOT_HEROKU_KEYS = ("expo", "displayName", "react-native")
ROLLBACK_NOTE = ("platform feature: Heroku keeps every release; `heroku rollback vNN` restores code and config "
                 "(database and add-ons are not rolled back)")


def read(project: Project, facts: PlatformFacts) -> None:
    if "app.json" in project.files:
        _read_app_json(project, "app.json", facts)
    if "heroku.yml" in project.files:
        _read_heroku_yml(project, "heroku.yml", facts)
    if "heroku" in facts.platforms:
        loc = facts.platforms["heroku"]
        add(facts.rollback, Location(loc.path, loc.line, ROLLBACK_NOTE))


def _read_app_json(project: Project, path: str, facts: PlatformFacts) -> None:
    data = parsed(project, path, "json", facts)
    if not isinstance(data, dict):
        return
    scripts = data.get("scripts") if isinstance(data.get("scripts"), dict) else {}
    if any(k in data for k in _NOT_HEROKU_KEYS) or not (
            any(k in data for k in _HEROKU_KEYS) or "postdeploy" in scripts or "predeploy" in scripts):
        return
    register(facts, "heroku", Location(path, first_line(project, path), "app.json (Heroku app manifest)"))
    for key in ("predeploy", "postdeploy"):
        cmd = scripts.get(key)
        if isinstance(cmd, dict):
            cmd = cmd.get("command")
        if isinstance(cmd, str) and cmd.strip():
            when = ("runs once after a (review) app is created, not on every release" if key == "postdeploy"
                    else "runs before the app is deployed")
            add(facts.release_commands, Location(path, json_key_line(project, path, key),
                                                 f"app.json {key}: {short(cmd)} ({when})"))


def _read_heroku_yml(project: Project, path: str, facts: PlatformFacts) -> None:
    data = parsed(project, path, "yaml", facts)
    if not isinstance(data, dict):
        return
    register(facts, "heroku", Location(path, first_line(project, path), "heroku.yml (container stack)"))
    release = data.get("release")
    if isinstance(release, dict):
        cmd: Any = release.get("command") or release.get("image")
        if cmd:
            add(facts.release_commands, Location(path, line_of(data, "release"),
                                                 f"release phase: {short(cmd)} (not a smoke test)"))
    run = data.get("run")
    if isinstance(run, dict):
        web = run.get("web")
        if isinstance(web, dict):
            web = web.get("command")
        if isinstance(web, (str, list)) and web:
            add(facts.start_commands, Location(path, line_of(run, "web"), short(web)))
