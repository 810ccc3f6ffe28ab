"""`handrail journal tail|show|verify|export|checkpoint` and `handrail note`.

Exit codes: 0 fine (verify: intact); 1 verify found tampering (it names the first bad entry); 2 no journal, an
unreadable or unreachable one, or bad usage. Every error is one line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from handrail.commands.common import fail as _fail
from handrail.commands.common import project_dir as _root

_DIR = click.option("-C", "--project", "project", default=".", type=click.Path(),
                    help="The project folder [default: .].")


def _open(project: str, create: bool = False) -> Any:
    from handrail.journal import JournalError, open_journal

    try:
        return open_journal(_root(project), create=create)
    except JournalError as exc:
        _fail(str(exc))


def _line(e: Any) -> str:
    actor = f"{e.agent}:{(e.session or '-')[:8]}" if e.agent else (e.user or "-")
    marks = []
    if e.decision and e.decision != "allow":
        marks.append(e.decision)
    if e.exit_code not in (None, 0):
        marks.append(f"exit {e.exit_code}")
    mark = f" [{', '.join(marks)}]" if marks else ""
    return f"{e.seq:>6}  {e.ts[:19].replace('T', ' ')}  {actor:<18} {e.kind:<10} {e.summary}{mark}"


@click.group()
def journal() -> None:
    """The tamper-evident journal of agent and Handrail actions."""


@journal.command()
@click.option("-n", "count", default=20, show_default=True, type=click.IntRange(min=1), help="How many entries.")
@click.option("--session", default=None, help="Only this agent session.")
@_DIR
def tail(count: int, session: str | None, project: str) -> None:
    """The last N entries, oldest first."""
    from handrail.journal import JournalError

    with _open(project) as j:
        try:
            rows = list(j.entries(session=session, limit=count, reverse=True))
        except JournalError as exc:
            _fail(str(exc))
    for e in reversed(rows):
        click.echo(_line(e))


@journal.command()
@click.argument("seq", type=click.IntRange(min=1))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_DIR
def show(seq: int, fmt: str, project: str) -> None:
    """One entry in full (payload redacted, as stored)."""
    from handrail.journal import JournalError
    from handrail.journal.export import entry_dict

    with _open(project) as j:
        try:
            entry = j.get(seq)
        except JournalError as exc:
            _fail(str(exc))
    if entry is None:
        _fail(f"no entry {seq} in the journal")
    doc = entry_dict(entry)
    if fmt == "json":
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True))
        return
    for key, value in doc.items():
        if key == "payload" or value is None:
            continue
        click.echo(f"{key:<13} {value}")
    click.echo("payload       " + json.dumps(doc["payload"], indent=2, ensure_ascii=False, sort_keys=True)
               .replace("\n", "\n              "))


def _missing_but_anchored(root: Path) -> int:
    from handrail.journal.anchor import read_anchors
    from handrail.journal.signing import parse_note

    best = 0
    for a in read_anchors(root):
        try:
            best = max(best, parse_note(a.note).size)
        except ValueError:
            continue
    return best


@journal.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_DIR
def verify(fmt: str, project: str) -> None:
    """Check the chain, MACs, signed checkpoints and git anchors; exit 1 naming the first bad entry."""
    from handrail.journal import JournalError, find_journal, open_journal

    root = _root(project)
    try:
        j = open_journal(root, create=False)
    except JournalError as exc:
        anchored = _missing_but_anchored(root) if find_journal(root) is None else 0
        if anchored:
            _fail(f"tampered: the journal is missing, but refs/handrail/journal anchors {anchored} entries", 1)
        _fail(str(exc))
    with j:
        try:
            report = j.verify()
        except JournalError as exc:
            _fail(str(exc))
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        for w in report.warnings:
            click.echo(f"warning: {w}", err=True)
        if report.ok:
            click.echo(f"ok: {report.entries} entries, chain intact; {report.macs_checked} MACs, "
                       f"{report.checkpoints} signed checkpoints and {report.anchors} git anchors checked")
        else:
            where = f"entry {report.first_bad_seq}: " if report.first_bad_seq is not None else ""
            click.echo(f"tampered: {where}{report.problem}")
            for p in report.problems[1:]:
                click.echo(f"  also {p}")
    sys.exit(0 if report.ok else 1)


@journal.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "otel", "checkpoints"]), default="jsonl",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write to FILE.")
@_DIR
def export(fmt: str, output: str | None, project: str) -> None:
    """Entries as JSON lines, OTLP/JSON tool-call spans (GenAI semconv), or the signed checkpoints."""
    from handrail import __version__
    from handrail.journal import JournalError
    from handrail.journal import export as ex

    if output and not Path(output).parent.is_dir():
        _fail(f"{output}: cannot write: no such directory {str(Path(output).parent)!r}")
    with _open(project) as j:
        try:
            if fmt == "jsonl":
                text = "".join(ex.to_jsonl(j.entries()))
            elif fmt == "checkpoints":
                text = "".join(ex.to_checkpoints(j.checkpoints()))
            else:
                text = json.dumps(ex.to_otel(j.entries(), __version__), indent=2) + "\n"
        except JournalError as exc:
            _fail(str(exc))
    if output:
        try:
            Path(output).write_text(text, "utf-8")
        except OSError as exc:
            _fail(f"{output}: cannot write: {exc.strerror}")
    else:
        click.echo(text, nl=False)


@journal.command()
@click.option("--reason", default="manual", show_default=True)
@_DIR
def checkpoint(reason: str, project: str) -> None:
    """Sign (and anchor under refs/handrail/journal) a checkpoint of everything so far."""
    from handrail.journal import JournalError

    with _open(project) as j:
        try:
            cp = j.checkpoint(reason)
        except JournalError as exc:
            _fail(str(exc))
    if cp is None:
        _fail("the journal is empty: nothing to checkpoint")
    click.echo(f"checkpoint #{cp.id}: {cp.size} entries, root {cp.root[:16]}…, signed by {cp.key_name}")


@click.command()
@click.argument("text")
@click.option("--decision", is_flag=True, help="Record a decision (and why) rather than a note.")
@click.option("--next", "next_step", is_flag=True, help="An open next step for whoever continues.")
@_DIR
def note(text: str, decision: bool, next_step: bool, project: str) -> None:
    """Add a human note, decision or next step to the journal (the handoff shows them)."""
    from handrail.journal import Event, JournalError

    if not text.strip():
        _fail("note: TEXT is empty")
    payload: dict[str, Any] = {"text": text}
    if next_step:
        payload["next"] = True
    with _open(project, create=True) as j:
        try:
            entry = j.append(Event(kind="decision" if decision else "note", summary=text, payload=payload))
        except JournalError as exc:
            _fail(str(exc))
    click.echo(f"{entry.kind} #{entry.seq} recorded")


COMMANDS = [journal, note]
