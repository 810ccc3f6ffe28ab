"""`handrail guard install|status|uninstall` (the agent side, `handrail hook AGENT`, takes the fast path in
handrail.entry).

Install merges Handrail's hook into each agent's own settings file without touching anything else, registers every
event the hook understands (matcher "*" on tool events), and git-ignores .handrail/. Uninstall removes only entries
whose command is `handrail hook <agent>`.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import click

from handrail.agents import AGENTS

SCOPE_CHOICE = click.Choice(["project", "local", "user"])


def _root(directory: str | None) -> Path:
    from handrail.hook import find_root

    return find_root(str(Path(directory or ".").resolve()))


def detected_agents(root: Path) -> list[str]:
    """The installable agents the repository shows signs of (checks.agent_log.AGENT_MARKERS), else claude."""
    from handrail.checks.agent_log import AGENT_MARKERS

    found = []
    for agent in AGENTS:
        for pattern in AGENT_MARKERS.get(agent, ()):
            if ("*" in pattern and any(root.glob(pattern))) or ("*" not in pattern and (root / pattern).exists()):
                found.append(agent)
                break
    return found or ["claude"]


def _fail(msg: str) -> None:
    click.echo(f"handrail guard: {msg}", err=True)
    sys.exit(2)


def ensure_gitignore(root: Path) -> bool:
    """Ignore `.handrail/` (journal, keys' MACs, handoff.json) in the repository's .gitignore, except the baseline
    `handrail baseline` writes there to be committed; only in a git repository; True when the file changed."""
    if not (root / ".git").exists():
        return False
    path = root / ".gitignore"
    try:
        text = path.read_text("utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError):
        return False
    lines = {ln.strip() for ln in text.splitlines()}
    if lines & {".handrail", ".handrail/", "/.handrail", "/.handrail/", ".handrail/*", "/.handrail/*"}:
        return False
    sep = "" if not text or text.endswith("\n") else "\n"
    path.write_text(f"{text}{sep}# Handrail's local journal and handoff record (the baseline is committed)\n"
                    "/.handrail/*\n!/.handrail/baseline.json\n", "utf-8")
    return True


@click.group()
def guard() -> None:
    """Agent hooks that record every action and enforce a policy."""


@guard.command("install")
@click.option("--agent", "agents", multiple=True, type=click.Choice(AGENTS),
              help="Agent to hook (repeatable). Default: the agents this repository is set up for, else claude.")
@click.option("--scope", type=SCOPE_CHOICE, default="project", show_default=True,
              help="project: committed settings; local: this machine's project settings; user: your home.")
@click.option("-C", "directory", type=click.Path(file_okay=False), default=None, help="Project directory.")
def install(agents: tuple[str, ...], scope: str, directory: str | None) -> None:
    """Write the agents' hook configuration (merging, never clobbering) and git-ignore .handrail/."""
    from handrail.agents import get_adapter
    from handrail.agents.adapter import ScopeError
    from handrail.agents.settings_file import ConfigFileError

    root = _root(directory)
    chosen = list(dict.fromkeys(agents)) or detected_agents(root)
    failed = False
    for agent in chosen:
        adapter = get_adapter(agent)
        try:
            result = adapter.install(root, scope, f"handrail hook {agent}")
        except (ConfigFileError, ScopeError, OSError) as exc:
            click.echo(f"handrail guard: {agent}: {_one_line(exc)}", err=True)
            failed = True
            continue
        click.echo(result.message)
    if ensure_gitignore(root):
        click.echo(f"added /.handrail/* (but not the baseline) to {root / '.gitignore'}")
    if shutil.which("handrail") is None:
        click.echo("warning: `handrail` is not on PATH: the agents run `handrail hook <agent>` and will fail to find "
                   "it; install Handrail where the agent's shell can see it (e.g. pipx install handrail)", err=True)
    if failed:
        sys.exit(2)


@guard.command("uninstall")
@click.option("--agent", "agents", multiple=True, type=click.Choice(AGENTS), help="Agent (default: all four).")
@click.option("--scope", type=SCOPE_CHOICE, default="project", show_default=True)
@click.option("-C", "directory", type=click.Path(file_okay=False), default=None, help="Project directory.")
def uninstall(agents: tuple[str, ...], scope: str, directory: str | None) -> None:
    """Remove only the hooks Handrail added."""
    from handrail.agents import get_adapter
    from handrail.agents.adapter import ScopeError
    from handrail.agents.settings_file import ConfigFileError

    root = _root(directory)
    failed = False
    for agent in list(dict.fromkeys(agents)) or list(AGENTS):
        try:
            result = get_adapter(agent).uninstall(root, scope)
        except ScopeError:
            if agents:
                click.echo(f"handrail guard: {agent}: no {scope}-scope hook file", err=True)
                failed = True
            continue
        except (ConfigFileError, OSError) as exc:
            click.echo(f"handrail guard: {agent}: {_one_line(exc)}", err=True)
            failed = True
            continue
        if result.changed or agents:
            click.echo(result.message)
    if failed:
        sys.exit(2)


@guard.command("status")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-C", "directory", type=click.Path(file_okay=False), default=None, help="Project directory.")
def status(fmt: str, directory: str | None) -> None:
    """Per agent and scope: installed, partial or absent; the journal; whether `handrail` is on PATH."""
    from handrail.agents import get_adapter

    root = _root(directory)
    rows = []
    for agent in AGENTS:
        adapter = get_adapter(agent)
        for scope in ("project", "local", "user"):
            row = adapter.status(root, scope)
            if row["state"] != "n/a":
                rows.append(row)
    on_path = shutil.which("handrail")
    report = {"root": str(root), "handrail_on_path": on_path, "agents": rows, "journal": _journal_status(root),
              "detected": detected_agents(root)}
    if fmt == "json":
        click.echo(json.dumps(report, indent=2))
        return
    for row in rows:
        if row["state"] == "absent" and not row.get("exists"):
            continue
        line = f"{row['agent']:7} {row['scope']:7} {row['state']:9} {row['path']}"
        if row["state"] == "partial":
            line += f" (missing: {', '.join(row['missing'])})"
        if row.get("error"):
            line += f" ({row['error']})"
        click.echo(line)
    if all(r["state"] in ("absent",) for r in rows):
        click.echo(f"no Handrail hooks installed; `handrail guard install --agent {report['detected'][0]}` adds them")
    click.echo(f"handrail on PATH: {on_path or 'NO (agents cannot run the hook)'}")
    j = report["journal"]
    click.echo(f"journal: {j['state']}" + (f" - {j['detail']}" if j.get("detail") else ""))


def _journal_status(root: Path) -> dict[str, Any]:
    try:
        from handrail.journal import find_journal, open_journal
    except ImportError:
        return {"state": "unsupported"}
    path = find_journal(root)
    if path is None:
        return {"state": "absent", "detail": "nothing recorded yet"}
    try:
        journal = open_journal(root, create=False, timeout=5.0)
    except Exception as exc:
        return {"state": "unreadable", "path": str(path), "detail": _one_line(exc)}
    try:
        rep = journal.verify()
    except Exception as exc:
        return {"state": "unreadable", "path": str(path), "detail": _one_line(exc)}
    finally:
        with contextlib.suppress(Exception):
            journal.close()
    entries = getattr(rep, "entries", None)
    if getattr(rep, "ok", False):
        return {"state": "verifies", "path": str(path), "entries": entries, "detail": f"{entries} entries, intact"}
    bad = getattr(rep, "first_bad_seq", None)
    return {"state": "tampered", "path": str(path), "entries": entries, "first_bad_seq": bad,
            "detail": f"fails verification at entry #{bad}: {getattr(rep, 'problem', '')}"}


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] or exc.__class__.__name__


@click.command("hook", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("agent", required=False)
@click.argument("event", required=False)
def hook(agent: str | None, event: str | None) -> None:
    """Run by an agent on each hook event: reads its JSON on stdin, answers in its protocol.

    AGENT is claude, codex, cursor or gemini; EVENT is optional (the JSON names it). `handrail guard install`
    writes this command into the agent's settings. Exit 2 blocks the action (also when Handrail itself fails and
    [guard] fail_closed is true, the default).
    """
    from handrail.hook import main as hook_main

    sys.exit(hook_main([a for a in (agent, event) if a]))


COMMANDS = [guard, hook]
