"""fly.toml / fly.<env>.toml: app, deploy strategy, auto_rollback, release command, health checks.

About `auto_rollback`: it lives in `[experimental]` and dates from Fly's Nomad (Apps v1)
platform. flyctl still parses it (internal/appconfig Experimental.AutoRollback), but the
current fly.toml reference does not document it for Machines, so a missing key is NOT
read as "on by default". A Machines deploy never reverts by itself except through its
strategy: `bluegreen` keeps the old Machines serving until every new one passes its
health checks (Fly requires a check for it) and `canary` stops after one unhealthy
Machine. Otherwise the way back is redeploying an older image (`fly releases --image`,
then `fly deploy --image <ref>`), which Fly documents but no command automates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from handrail.core.finding import Location
from handrail.pipeline.model import PlatformFacts
from handrail.pipeline.platforms._util import (
    add,
    by_depth,
    first_line,
    image_tag_kind,
    parsed,
    register,
    short,
    toml_key_line,
    toml_table_lines,
)

if TYPE_CHECKING:
    from handrail.core.project import Project


def files(project: Project) -> list[str]:
    return by_depth(project.files.glob("fly.toml", "**/fly.toml", "fly.*.toml", "**/fly.*.toml"))


def read(project: Project, facts: PlatformFacts) -> None:
    for path in files(project):
        data = parsed(project, path, "toml", facts)
        if isinstance(data, dict):
            _read_one(project, path, data, facts)


def _read_one(project: Project, path: str, data: dict[str, Any], facts: PlatformFacts) -> None:
    app = data.get("app")
    app_line = toml_key_line(project, path, None, "app") or first_line(project, path)
    deploy = data.get("deploy") if isinstance(data.get("deploy"), dict) else {}
    experimental = data.get("experimental") if isinstance(data.get("experimental"), dict) else {}
    strategy = str(deploy.get("strategy", "")).strip().lower()
    note = (f"Fly app {app}" if app else "Fly app (name set at deploy)") + f" (strategy {strategy or 'rolling'})"
    register(facts, "fly", Location(path, app_line, note))

    checks = _health_checks(project, path, data)
    for loc in checks:
        add(facts.health_gates, loc)

    explicit = False
    if strategy:
        line = toml_key_line(project, path, "deploy", "strategy")
        if strategy in ("bluegreen", "canary") and checks:
            what = ("old Machines keep serving until every new Machine passes its health checks"
                    if strategy == "bluegreen" else "one new Machine must pass its health checks before the rest")
            add(facts.rollback, Location(path, line, f"deploy strategy {strategy}: {what}"))
            explicit = True
        elif strategy in ("bluegreen", "canary"):
            add(facts.implicit_rollback, Location(
                path, line, f"deploy strategy {strategy} without a health check: Fly cannot judge the new Machines"))

    for section, table in ((experimental, "experimental"), (deploy, "deploy")):
        value = section.get("auto_rollback")
        if value is True:
            line = toml_key_line(project, path, table, "auto_rollback")
            add(facts.rollback, Location(path, line, f"auto_rollback = true ([{table}]; Apps v1 setting flyctl "
                                                     "still reads)"))
            explicit = True

    if not explicit:
        add(facts.implicit_rollback, Location(
            path, app_line, "Fly keeps releases with image refs but has no rollback command: "
                            "`fly releases --image`, then `fly deploy --image <previous ref>`"))

    release = deploy.get("release_command")
    if isinstance(release, str) and release.strip():
        line = toml_key_line(project, path, "deploy", "release_command")
        add(facts.release_commands, Location(path, line, f"release_command: {short(release)}"))

    processes = data.get("processes")
    if isinstance(processes, dict):
        for name, cmd in processes.items():
            if isinstance(cmd, str) and cmd.strip():
                line = toml_key_line(project, path, "processes", str(name))
                add(facts.start_commands, Location(path, line, short(cmd)))

    build = data.get("build") if isinstance(data.get("build"), dict) else {}
    image = build.get("image")
    if isinstance(image, str) and image_tag_kind(image) == "mutable":
        add(facts.mutable_tags, Location(path, toml_key_line(project, path, "build", "image"), f"image {image}"))


def _health_checks(project: Project, path: str, data: dict[str, Any]) -> list[Location]:
    """[[http_service.checks]], [checks.<name>], [[services.http_checks]] and tcp checks."""
    out: list[Location] = []
    http_service = data.get("http_service")
    services = http_service if isinstance(http_service, list) else [http_service]
    n = 0
    for svc in services:
        if not isinstance(svc, dict):
            continue
        for chk in svc.get("checks") or []:
            if isinstance(chk, dict):
                lines = toml_table_lines(project, path, "http_service.checks")
                line = lines[n] if n < len(lines) else toml_key_line(project, path, "http_service", "checks")
                n += 1
                out.append(Location(path, line, f"Fly http_service check {chk.get('path', '/')}".rstrip()))
    top = data.get("checks")
    if isinstance(top, dict):
        for name, chk in top.items():
            if isinstance(chk, dict):
                lines = toml_table_lines(project, path, f"checks.{name}")
                line = lines[0] if lines else toml_key_line(project, path, "checks", str(name))
                what = chk.get("path") or chk.get("type") or ""
                out.append(Location(path, line, f"Fly check {name} {what}".rstrip()))
    counters: dict[str, int] = {}
    for svc in data.get("services") or []:
        if not isinstance(svc, dict):
            continue
        for kind in ("http_checks", "tcp_checks"):
            for chk in svc.get(kind) or []:
                if not isinstance(chk, dict):
                    continue
                idx = counters.get(kind, 0)
                counters[kind] = idx + 1
                lines = toml_table_lines(project, path, f"services.{kind}")
                line = lines[idx] if idx < len(lines) else None
                label = f"Fly services {kind} {chk.get('path', '')}".rstrip()
                out.append(Location(path, line, label))
    return out
