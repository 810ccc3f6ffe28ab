"""The `handrail` command line.

Exit codes: 0 nothing at or above --fail-on; 1 something is; 2 usage or internal
error. Every error is one line on stderr; tracebacks only with HANDRAIL_DEBUG=1.
Heavy modules (rich, pydantic, the checks) are imported inside commands so that
`handrail hook` can later start fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from handrail import __version__
from handrail.commands.common import fail as _fail
from handrail.commands.common import project_dir as _check_dir

FAIL_ON = ("critical", "high", "medium", "low")


class HandrailGroup(click.Group):
    """Turns any escaping exception into one line and exit 2."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("handrail: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:  # `handrail explain | head`: the reader left, which is not an error of ours
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(0)
        except Exception as exc:  # pragma: no cover - the last line of defence
            if os.environ.get("HANDRAIL_DEBUG"):
                raise
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            click.echo(f"handrail: internal error: {exc.__class__.__name__}: {msg}", err=True)
            sys.exit(2)


def _journal(root: Path, kind: str, summary: str, payload: dict, exit_code: int | None,
             only_if_exists: bool = False) -> None:
    """Best effort: record this command in the project's journal (ids and exit codes; the journal redacts)."""
    try:
        from handrail.journal import find_journal, record

        if only_if_exists and find_journal(root) is None:
            return
        record(root, kind, summary, payload, exit_code=exit_code, cwd=str(root.resolve()))
    except Exception:  # the journal never breaks the command it records
        pass


def _open_project(path: str, config_path: str | None):
    root = _check_dir(path)
    from handrail.core.config import ConfigError, load_config
    from handrail.core.project import Project, ProjectError

    try:
        config = load_config(root, Path(config_path) if config_path else None)
        return Project(root, config)
    except (ConfigError, ProjectError) as exc:
        _fail(str(exc))


class _Live:
    """A rich display on stderr (status line or progress bar) that exists only when stderr is a terminal."""

    def __init__(self, display: object | None) -> None:
        self.display = display

    def __enter__(self) -> _Live:
        if self.display:
            self.display.__enter__()  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.display:
            self.display.__exit__(None, None, None)  # type: ignore[attr-defined]


class _Progress(_Live):
    """A status line on stderr while checks run; silent unless stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        status = None
        if enabled and sys.stderr.isatty():
            from rich.console import Console

            status = Console(stderr=True).status("reading the repository")
        super().__init__(status)

    def __call__(self, message: str) -> None:
        if self.display:
            self.display.update(f"checking {message}")  # type: ignore[attr-defined]


def _emit(text: str, output: str | None) -> None:
    if output:
        try:
            Path(output).write_text(text, "utf-8")
        except OSError as exc:
            _fail(f"{output}: cannot write: {exc.strerror or exc}")
    else:
        try:
            click.echo(text, nl=False)
        except UnicodeEncodeError:  # a terminal that cannot show the symbols still gets the report
            encoding = getattr(sys.stdout, "encoding", None) or "ascii"
            sys.stdout.buffer.write(text.encode(encoding, "replace"))
            sys.stdout.flush()
        except BrokenPipeError:  # `handrail check | head`: the reader left; the exit code still counts
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())


@click.group(cls=HandrailGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="handrail")
def cli() -> None:
    """Handrail: is this AI-built app safe to put in front of real users?"""


@cli.command()
@click.argument("path", default=".", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "markdown"]), default="text",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report to FILE.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None,
              help="Exit 1 when a finding is at or above this severity [default: high, or fail_on in config].")
@click.option("--check", "only", multiple=True, help="Run only this check (repeatable).")
@click.option("--baseline", "use_baseline", is_flag=True, help="Report only findings not in the baseline.")
@click.option("--baseline-file", type=click.Path(dir_okay=False), default=None)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None)
@click.option("--no-color", is_flag=True, help="Plain text output.")
@click.option("-q", "--quiet", is_flag=True, help="Only the summary table (text) and no progress.")
@click.option("--deep", is_flag=True, help="Also run slow analyses (replay every migration on a scratch database).")
def check(path: str, fmt: str, output: str | None, fail_on: str | None, only: tuple[str, ...],
          use_baseline: bool, baseline_file: str | None, config_path: str | None, no_color: bool,
          quiet: bool, deep: bool) -> None:
    """Answer the production checklist for the repository at PATH."""
    from handrail.checks import CHECK_IDS

    for cid in only:
        if cid not in CHECK_IDS:
            _fail(f"--check: unknown check {cid!r} (known: {', '.join(CHECK_IDS)})")
    _check_dir(path)
    if output and not Path(output).parent.is_dir():  # fail before the work, not after it
        _fail(f"{output}: cannot write: no such directory {str(Path(output).parent)!r}")
    from handrail.core.baseline import BaselineError, read_baseline
    from handrail.core.finding import Severity
    from handrail.core.runner import run_checks
    from handrail.render import render

    project = _open_project(path, config_path)
    if deep:
        project.deep = True
    baseline = None
    if use_baseline or baseline_file:
        try:
            baseline = read_baseline(project.root, Path(baseline_file) if baseline_file else None)
        except BaselineError as exc:
            _fail(str(exc))
    with _Progress(not quiet) as progress:
        report = run_checks(project, only=only or None, baseline=baseline, progress=progress)
    color = not no_color and not output and fmt == "text" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    text = render(report, fmt, color=color, quiet=quiet)
    _emit(text, output)
    threshold = Severity(fail_on or project.config.fail_on)
    code = 1 if report.exceeds(threshold) else 0
    # only into an existing journal: creating .handrail/ would change the next check's own answers
    _journal(project.root, "check", f"check: exit {code}", {"fail_on": threshold.value, "only": list(only),
             "failed": [r.to_dict().get("id") for r in report.results if r.to_dict().get("status") == "fail"]},
             code, only_if_exists=True)
    sys.exit(code)


@cli.command()
@click.argument("path", default=".", type=click.Path())
@click.option("--history", is_flag=True, help="Scan every commit on every ref (added lines of each diff).")
@click.option("--staged", is_flag=True, help="Scan the staged changes (for a pre-commit hook).")
@click.option("--tree", "with_tree", is_flag=True,
              help="Also scan the working tree (the default when neither --history nor --staged is given).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report to FILE.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="low", show_default=True,
              help="Exit 1 when a secret at or above this severity is found (public-by-design keys never fail).")
@click.option("--baseline", "use_baseline", is_flag=True, help="Report only secrets not in the baseline.")
@click.option("--baseline-file", type=click.Path(dir_okay=False), default=None)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None)
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="History worker processes [default: CPUs].")
@click.option("--range", "revisions", default=None, metavar="REVS",
              help="With --history: only these commits, e.g. 'origin/main..HEAD' for a pull request.")
@click.option("--no-color", is_flag=True, help="Plain text output.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar; text output lists findings only.")
def secrets(path: str, history: bool, staged: bool, with_tree: bool, fmt: str, output: str | None, fail_on: str,
            use_baseline: bool, baseline_file: str | None, config_path: str | None, workers: int | None,
            revisions: str | None, no_color: bool, quiet: bool) -> None:
    """Find secrets in the working tree, the staged changes or the whole git history of PATH.

    Exit 0 when nothing at or above --fail-on is found, 1 when something is, 2 when the scan could not run
    or could not read everything it was asked to (the reason is printed)."""
    _check_dir(path)
    if output and not Path(output).parent.is_dir():
        _fail(f"{output}: cannot write: no such directory {str(Path(output).parent)!r}")
    import json

    from handrail.core.baseline import BaselineError, read_baseline
    from handrail.core.finding import Severity
    from handrail.core.runner import Report, _post_process
    from handrail.secrets.scan import scan_project

    project = _open_project(path, config_path)
    if (history or staged) and project.git.toplevel is None:
        _fail(f"{path}: not a git repository: --{'history' if history else 'staged'} needs one")
    baseline = None
    if use_baseline or baseline_file:
        try:
            baseline = read_baseline(project.root, Path(baseline_file) if baseline_file else None)
        except BaselineError as exc:
            _fail(str(exc))
    if revisions and not history:
        _fail("--range needs --history")
    if revisions:
        from handrail.secrets.history import HistoryError, list_commits_with_parents

        try:
            list_commits_with_parents(project.git.toplevel, revisions)  # type: ignore[arg-type]
        except HistoryError as exc:
            _fail(str(exc))
    tree = with_tree or not (history or staged)
    from handrail.checks.secrets import CHECK
    from handrail.core.config import ConfigError

    with _ScanProgress(not quiet) as progress:
        try:
            outcome = scan_project(project, tree=tree, history=history, staged=staged, workers=workers,
                                   revisions=revisions, progress=progress)
        except ConfigError as exc:
            _fail(str(exc))
    result = CHECK.evaluate(outcome)
    _post_process(project, result, baseline)
    for note in outcome.notes:
        click.echo(f"handrail: warning: {note}", err=True)
    if fmt == "json":
        doc = {
            "findings": [f.to_dict() for f in result.findings],
            "scanned": {"modes": outcome.modes, "files": outcome.files, "commits": outcome.commits,
                        "rules": len(outcome.rules), "prefilter": outcome.backend, "complete": not outcome.incomplete},
            "suppressed": result.suppressed,
            "notes": outcome.notes,
        }
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    else:
        from handrail.render import render

        report = Report(root=str(project.root), stacks=[], results=[result])
        color = (not no_color and not output and fmt == "text" and sys.stdout.isatty()
                 and not os.environ.get("NO_COLOR"))
        text = render(report, fmt, color=color, quiet=False)
    _emit(text, output)
    threshold = Severity(fail_on)
    if any(f.severity.at_least(threshold) and f.severity is not Severity.INFO for f in result.findings):
        sys.exit(1)
    if outcome.incomplete:
        click.echo("handrail: the scan is incomplete (see the warnings above); not vouching for what was not read",
                   err=True)
        sys.exit(2)
    sys.exit(0)


# --- databases (issue 4) ------------------------------------------------------------------------------------
def _db_options(f):  # type: ignore[no-untyped-def]
    f = click.option("--project", "-C", "project", default=".", type=click.Path(),
                     help="The app's folder [default: .].")(f)
    f = click.option("--database-url", default=None, help="The database (else handrail.toml, DATABASE_URL, .env).")(f)
    f = click.option("--env", "environment", default=None, help="An [environments.NAME] of handrail.toml.")(f)
    return click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None)(f)


def _say(message: str) -> None:
    click.echo(f"handrail: {message}", err=True, nl=not message.endswith("] "))


def _open_db(project: str, config_path: str | None, database_url: str | None, environment: str | None):
    from handrail.db.commands import environ, open_database
    from handrail.db.engine import DatabaseError

    proj = _open_project(project, config_path)
    try:
        return proj, open_database(proj.root, proj.config, database_url, environment, environ())
    except DatabaseError as exc:
        _fail(str(exc))


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@_db_options
@click.option("--verify", type=click.Choice(["full", "fast"]), default="full", show_default=True,
              help="full: restore the backup into a scratch database and compare; fast: check the archive only.")
@click.option("--yes", "-y", is_flag=True, help="Restore without asking if the migration fails (also CI=true).")
@click.option("--no-restore", is_flag=True, help="Never restore; only report and keep the backup.")
@click.option("--lock-timeout", default=None, metavar="DURATION",
              help="PostgreSQL: fail a statement that waits this long for a lock (e.g. 5s), via PGOPTIONS.")
@click.option("--statement-timeout", default=None, metavar="DURATION",
              help="PostgreSQL: fail a statement that runs this long (e.g. 15min), via PGOPTIONS.")
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
def migrate(project: str, database_url: str | None, environment: str | None, config_path: str | None, verify: str,
            yes: bool, no_restore: bool, lock_timeout: str | None, statement_timeout: str | None,
            command: tuple[str, ...]) -> None:
    """Back up the database, verify the backup, run COMMAND; restore if it fails. Usage: handrail migrate -- CMD"""
    from handrail.db.commands import environ
    from handrail.db.commands import migrate as run_migrate

    proj, db = _open_db(project, config_path, database_url, environment)
    code = run_migrate(db, command, verify=verify, yes=yes, restore_on_failure=not no_restore,
                       cwd=proj.root, env=environ(), config=proj.config, say=_say, lock_timeout=lock_timeout,
                       statement_timeout=statement_timeout)
    _journal(proj.root, "migration", f"migrate: {' '.join(command)}", {"command": list(command),
             "database": db.target.display(), "verify": verify}, code)
    sys.exit(code)


@cli.command()
@_db_options
@click.option("--verify", type=click.Choice(["full", "fast"]), default="full", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def backup(project: str, database_url: str | None, environment: str | None, config_path: str | None, verify: str,
           fmt: str) -> None:
    """Take a verified backup of the app's database now."""
    import json

    from handrail.db.commands import apply_retention
    from handrail.db.commands import backup as take
    from handrail.db.engine import DatabaseError

    proj, db = _open_db(project, config_path, database_url, environment)
    try:
        record = take(db, verify, _say)
    except DatabaseError as exc:
        _journal(proj.root, "backup", "backup failed", {"database": db.target.display(), "error": str(exc)}, 2)
        _fail(f"backup failed: {exc}")
    _journal(proj.root, "backup", f"backup {record.id}", {"backup_id": record.id, "database": db.target.display(),
             "verify": verify}, 0)
    apply_retention(db, proj.config, _say)
    if fmt == "json":
        click.echo(json.dumps(record.to_dict(), indent=2))
    else:
        click.echo(record.id)


@cli.command()
@click.option("--project", "-C", "project", default=".", type=click.Path(), help="The app's folder [default: .].")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def backups(project: str, config_path: str | None, fmt: str) -> None:
    """List this app's backups, newest first."""
    import json

    from handrail.db.catalog import Catalog
    from handrail.db.commands import environ, human_size
    from handrail.db.engine import DatabaseError

    proj = _open_project(project, config_path)
    try:
        catalog = Catalog.open(proj.root, proj.config, environ())
        doc = catalog.to_contract(proj.root)
    except DatabaseError as exc:
        _fail(str(exc))
    if fmt == "json":
        click.echo(json.dumps(doc, indent=2))
        return
    if not doc["backups"]:
        click.echo(f"no backups yet in {catalog.folder}")
        return
    for b in doc["backups"]:
        mark = "verified" if b.get("verified") else "unverified"
        after = f"  before: {b['command']}" if b.get("command") else ""
        click.echo(f"{b['id']}  {b['engine']:<10} {human_size(b['size']):>9}  {mark}  {b['source']}{after}")


@cli.command()
@click.argument("backup_id")
@_db_options
@click.option("--to", "to_url", default=None, help="Restore into this database instead of the app's.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask (needed without a terminal, unless CI=true).")
def restore(backup_id: str, project: str, database_url: str | None, environment: str | None,
            config_path: str | None, to_url: str | None, yes: bool) -> None:
    """Restore BACKUP_ID (rehearsed on a scratch database first; a corrupted backup is refused)."""
    from handrail.db.commands import environ, may_proceed
    from handrail.db.commands import restore as do_restore
    from handrail.db.engine import DatabaseError

    _proj, db = _open_db(project, config_path, to_url or database_url, environment)
    try:
        record = db.catalog.get(backup_id)
    except DatabaseError as exc:
        _fail(str(exc))
    decision = may_proceed(yes, environ(), f"replace {db.target.display()} with backup {record.id}?", _say)
    if decision is None:
        _fail(f"restore replaces {db.target.display()}: pass --yes (no terminal to ask)")
    if not decision:
        _fail("not restored")
    payload = {"backup_id": record.id, "database": db.target.display()}
    try:
        do_restore(db, record, _say)
    except DatabaseError as exc:
        _journal(_proj.root, "restore", f"restore {record.id} failed", {**payload, "error": str(exc)}, 2)
        _fail(f"restore failed: {exc}")
    _journal(_proj.root, "restore", f"restore {record.id}", payload, 0)


@cli.group(cls=HandrailGroup)
def migrations() -> None:
    """Work with the app's database migrations."""


@migrations.command("replay")
@click.option("--project", "-C", "project", default=".", type=click.Path(), help="The app's folder [default: .].")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None)
@click.option("--server-url", default=None,
              help="Server for the scratch database [default: HANDRAIL_SCRATCH_URL, the app's local server, "
                   "or postgres@127.0.0.1:5432].")
@click.option("--keep", is_flag=True, help="Keep the scratch database afterwards (its name is printed).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def migrations_replay(project: str, config_path: str | None, server_url: str | None, keep: bool, fmt: str) -> None:
    """Apply every migration to a new scratch database: can the schema be rebuilt from the repository alone?

    Exit 0 when it can, 1 when a migration fails, 2 when the replay could not run (no server, tool missing)."""
    import json

    from handrail.migrations.replay import replay

    proj = _open_project(project, config_path)
    result = replay(proj, server_url=server_url, keep=keep, say=_say if fmt == "text" else None)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
    elif result.status == "ok":
        click.echo(f"replay ok: {result.message} in {result.seconds:.1f} s ({result.method})")
    elif result.status == "failed":
        click.echo(f"replay failed after {len(result.applied)} migration(s): {result.message}")
    else:
        click.echo(f"handrail: replay not possible: {result.message}", err=True)
    sys.exit({"ok": 0, "failed": 1}.get(result.status, 2))


class _ScanProgress(_Live):
    """A progress bar on stderr for long scans; silent unless stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.tasks: dict[str, object] = {}
        bar = None
        if enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                           TimeElapsedColumn(), console=Console(stderr=True), transient=True)
        super().__init__(bar)

    def __call__(self, what: str, done: int, total: int) -> None:
        if not self.display:
            return
        bar = self.display
        if what not in self.tasks:
            label = "scanning files" if what == "tree" else "scanning commits"
            self.tasks[what] = bar.add_task(label, total=total)  # type: ignore[attr-defined]
        bar.update(self.tasks[what], completed=done, total=total)  # type: ignore[attr-defined]


@cli.command()
@click.argument("path", default=".", type=click.Path())
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Baseline file [default: .handrail/baseline.json].")
def baseline(path: str, config_path: str | None, output: str | None) -> None:
    """Accept every current finding: later `check --baseline` reports only new ones."""
    from handrail.core.baseline import write_baseline
    from handrail.core.runner import run_checks

    project = _open_project(path, config_path)
    report = run_checks(project)
    try:
        target = write_baseline(project.root, report.findings(), Path(output) if output else None)
    except OSError as exc:
        _fail(f"cannot write baseline: {exc.strerror or exc}")
    click.echo(f"wrote {len(report.findings())} finding(s) to {target}")


@cli.command()
@click.argument("path", default=".", type=click.Path())
@click.option("--ci", "ci_provider", type=click.Choice(["github"]), default=None,
              help="Also write a CI workflow that tests, deploys after tests and smoke-tests.")
@click.option("--force", is_flag=True, help="Overwrite existing files (a .bak copy is kept).")
def init(path: str, ci_provider: str | None, force: bool) -> None:
    """Write a starter handrail.toml for the detected stack; never clobbers."""
    root = _check_dir(path)
    from handrail.core.config import Config
    from handrail.core.project import Project, ProjectError
    from handrail.init import InitError, run_init

    # The existing config is not read: init must work (with --force) even when it is broken.
    try:
        project = Project(root, Config())
    except ProjectError as exc:
        _fail(str(exc))
    try:
        for line in run_init(project, ci=ci_provider, force=force):
            click.echo(line)
    except InitError as exc:
        _fail(str(exc))


@cli.command()
@click.argument("check_id", required=False)
def explain(check_id: str | None) -> None:
    """What a check (or an agent guard rule) asks, why it matters, how to fix it, with examples."""
    from handrail.checks import CHECK_IDS, load_check
    from handrail.policy.rules import all_rules

    guard_rules = all_rules()
    if check_id is None:
        for cid in CHECK_IDS:
            click.echo(f"{cid:20} {load_check(cid).question}")
        click.echo("\nAgent guard rules (`handrail explain guard` lists them):")
        click.echo("  " + ", ".join(sorted(guard_rules)))
        return
    if check_id == "guard":
        for rid in sorted(guard_rules):
            rule = guard_rules[rid]
            click.echo(f"{rid:24} {rule.verdict:6} {rule.question}")  # type: ignore[attr-defined]
        return
    if check_id in guard_rules:
        g = guard_rules[check_id]
        click.echo(f"{check_id} (agent guard, {g.verdict}): {g.question}\n\nWhy: {g.why}\n\n"  # type: ignore[attr-defined]
                   f"Fix: {g.fix}\n\nGood:\n{g.good_example}\n\nBad:\n{g.bad_example}")  # type: ignore[attr-defined]
        return
    if check_id not in CHECK_IDS:
        _fail(f"unknown check or guard rule {check_id!r} (known checks: {', '.join(CHECK_IDS)}; "
              "`handrail explain guard` lists the guard rules)")
    c = load_check(check_id)
    click.echo(f"{c.id}: {c.question}\n\nWhy: {c.why}\n\nFix: {c.fix}\n")
    click.echo(f"Good:\n{c.good_example}\n\nBad:\n{c.bad_example}\n")
    if c.rules:
        click.echo("Rules:")
        for r in c.rules:
            click.echo(f"  {r.id:32} {r.severity.value:8} {r.description}")


def _register() -> None:
    from handrail.commands import guard, handoff, journal

    for module in (journal, guard, handoff):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    try:
        cli.main(prog_name="handrail", standalone_mode=True)
    except click.exceptions.UsageError as exc:  # pragma: no cover - standalone mode handles it
        _fail(exc.format_message())


if __name__ == "__main__":  # pragma: no cover
    main()
