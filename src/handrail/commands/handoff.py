"""`handrail handoff` and `handrail resume`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from handrail.commands.common import project_dir as _root


def _git_top(root: Path) -> Path:
    """The repository's top level when `root` is inside one, so `-C sub/dir` writes one record per repository."""
    from handrail.handoff.gitstate import Git, _GitFailed

    try:
        top = Git(root).text("rev-parse", "--show-toplevel")
    except _GitFailed:
        return root
    return Path(top) if top else root


def _write(root: Path):  # type: ignore[no-untyped-def]
    from handrail.handoff.record import HandoffError, write

    try:
        return write(root)
    except HandoffError as exc:
        click.echo(f"handrail: {exc}", err=True)
        sys.exit(2)


@click.command()
@click.option("--project", "-C", "project", default=".", type=click.Path(), help="The project's folder [default: .].")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def handoff(project: str, fmt: str) -> None:
    """Write HANDOFF.md and .handrail/handoff.json from git and the journal: where work stands."""
    root = _git_top(_root(project))
    h = _write(root)
    if fmt == "json":
        click.echo(h.to_json())
        return
    click.echo("wrote " + " and ".join(str(root / f) for f in h.files))
    for line in h.status:
        click.echo(f"  {line}")
    note = h.journal.get("note")
    if note:
        click.echo(f"  journal: {note}")


@click.command()
@click.option("--project", "-C", "project", default=".", type=click.Path(), help="The project's folder [default: .].")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def resume(project: str, fmt: str) -> None:
    """Print what the next person or agent needs to continue (the handoff record, refreshed if it is stale)."""
    from handrail.handoff.gitstate import git_state
    from handrail.handoff.record import open_existing, stale_reasons
    from handrail.handoff.render import markdown
    from handrail.handoff.stored import load

    root = _git_top(_root(project))
    record = load(root)
    refreshed: list[str] = []
    if record is None:
        refreshed = ["no record yet"]
    else:
        journal, _note = open_existing(root)
        try:
            state = git_state(root)
            refreshed = stale_reasons(root, record, journal=journal, head=state.head if state.is_repo else None,
                                      diff_hash=state.diff_hash)
        finally:
            if journal is not None:
                journal.close()
    data = _write(root).to_dict() if refreshed else record
    if fmt == "json":
        click.echo(json.dumps({**data, "refreshed": refreshed}, indent=2, ensure_ascii=False))
        return
    if refreshed:
        click.echo(f"(record refreshed: {'; '.join(refreshed)})\n", err=True)
    click.echo(markdown(data))


COMMANDS = [handoff, resume]
