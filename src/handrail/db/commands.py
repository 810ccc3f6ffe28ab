"""`handrail migrate`, `backup`, `backups` and `restore`: the runtime around a migration.

`migrate` takes a verified backup, runs the migration command, and when the command fails or is killed, compares
the database with the backup-time snapshot: unchanged means nothing to undo; changed means a restore, done at
once with --yes or CI=true, asked on a terminal, and otherwise refused with the command that would do it. Nothing
here prints a password: targets are shown with `display()` and commands with `redact_command`.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handrail.core.redact import redact_command
from handrail.db.catalog import BackupRecord, Catalog
from handrail.db.engine import DatabaseError, DatabaseTarget, Engine
from handrail.db.engines import load_engine

Say = Callable[[str], None]


@dataclass
class Database:
    engine: Engine
    target: DatabaseTarget
    catalog: Catalog


def open_database(root: Path, config: Any, database_url: str | None, environment: str | None,
                  env: Mapping[str, str]) -> Database:
    from handrail.db.url import resolve

    target = resolve(root, config, database_url, env, environment)
    engine = load_engine(target.engine)
    return Database(engine, target, Catalog.open(root, config, env))


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover - the loop always returns


def backup(db: Database, verify: str, say: Say, command: str | None = None) -> BackupRecord:
    from handrail.db.backup import take_backup

    say(f"backing up {db.target.display()} ({db.target.source}) ...")
    record = take_backup(db.engine, db.target, db.catalog, verify=verify,  # type: ignore[arg-type]
                         command=command)
    say(f"backup {record.id}: {human_size(record.size)}, {record.verify_detail or 'verified'}; in {record.folder}")
    return record


def apply_retention(db: Database, config: Any, say: Say) -> None:
    keep = getattr(getattr(config, "backups", None), "keep", None)
    if keep:
        removed = db.catalog.keep(int(keep), db.catalog.project)
        if removed:
            say(f"removed {len(removed)} older backup(s) (backups.keep = {keep})")


def may_proceed(yes: bool, env: Mapping[str, str], question: str, say: Say) -> bool | None:
    """True/False from --yes, CI=true or a terminal answer; None when nobody can be asked (then the caller stops
    and says which flag would go on)."""
    if yes or env.get("CI", "").lower() in ("true", "1", "yes"):
        return True
    if sys.stdin.isatty() and sys.stderr.isatty():
        say(f"{question} [y/N] ")
        answer = sys.stdin.readline().strip().lower()
        return answer in ("y", "yes")
    return None


_DURATION = re.compile(r"^\d+(?:ms|s|min|h|d)?$")


def timeout_env(engine: str, env: Mapping[str, str], lock_timeout: str | None,
                statement_timeout: str | None) -> dict[str, str] | None:
    """The migration's environment with PostgreSQL session timeouts in PGOPTIONS, or None when nothing changes.

    PGOPTIONS is read by libpq and the drivers that follow it (psql, psycopg/Django/Alembic, Rails' pg, PHP
    pdo_pgsql, node-postgres); Prisma's and Go's own drivers ignore it. A lock_timeout makes a migration that
    waits behind live traffic fail fast (and be restored) instead of queueing every query behind its lock."""
    settings = [(name, value) for name, value in (("lock_timeout", lock_timeout),
                                                  ("statement_timeout", statement_timeout)) if value]
    if not settings:
        return None
    for name, value in settings:
        if not _DURATION.match(value):
            raise DatabaseError(f"--{name.replace('_', '-')} {value!r}: expected a duration such as 5s, 500ms or "
                                "2min")
    if engine != "postgresql":
        raise DatabaseError(f"--lock-timeout/--statement-timeout apply to PostgreSQL only (this database is "
                            f"{engine})")
    opts = " ".join(f"-c {name}={value}" for name, value in settings)
    out = dict(env)
    out["PGOPTIONS"] = f"{out['PGOPTIONS']} {opts}" if out.get("PGOPTIONS") else opts
    return out


def migrate(db: Database, command: Sequence[str], *, verify: str, yes: bool, restore_on_failure: bool, cwd: Path,
            env: Mapping[str, str], config: Any, say: Say, lock_timeout: str | None = None,
            statement_timeout: str | None = None) -> int:
    """Back up, run `command`, and restore if it fails and changed the database. Returns the exit code: the
    command's own (128 + signal when killed), or 2 when the backup failed or the options are wrong and the command
    never ran."""
    from handrail.db.backup import snapshot_from_json

    try:
        child_env = timeout_env(db.engine.name, env, lock_timeout, statement_timeout)
    except DatabaseError as exc:
        say(f"{exc}; the migration was NOT run")
        return 2
    shown = redact_command(" ".join(command))
    try:
        record = backup(db, verify, say, command=shown)
    except DatabaseError as exc:
        say(f"backup failed: {exc}; the migration was NOT run")
        return 2
    if child_env is not None:
        say(f"running with PGOPTIONS={child_env['PGOPTIONS']!r} (libpq-based clients apply it)")
    say(f"running: {shown}")
    code = _run(command, cwd, child_env)
    if code == 0:
        say(f"migration succeeded; to go back: handrail restore {record.id}")
        apply_retention(db, config, say)
        return 0
    how = f"was killed by signal {code - 128}" if code > 128 else f"failed with exit code {code}"
    if code == 127:
        how = "could not be started (command not found)"
    elif code == 126:
        how = "could not be started (not executable)"
    try:
        expected = snapshot_from_json(record.snapshot_path.read_bytes())
        diffs = expected.differences(db.engine.snapshot(db.target))
    except (DatabaseError, OSError, ValueError) as exc:
        say(f"the migration {how}; the database could not be compared with backup {record.id}: {exc}")
        diffs = ["unknown state"]
    if not diffs:
        if code in (126, 127):
            undone = "nothing ran"
        else:
            undone = "rolled back by the engine" if db.engine.transactional_ddl else "nothing was applied"
        say(f"the migration {how}; tables and rows are as in backup {record.id} ({undone}): no restore needed")
        return code
    summary = "; ".join(diffs[:3]) + (f" (+{len(diffs) - 3} more)" if len(diffs) > 3 else "")
    say(f"the migration {how} and left the database changed: {summary}")
    if not db.engine.transactional_ddl:
        say(f"{db.engine.name} commits schema changes statement by statement, so the half-applied part stays "
            "until it is restored")
    if not restore_on_failure:
        say(f"not restoring (--no-restore); to restore: handrail restore {record.id} --yes")
        return code
    decision = may_proceed(yes, env, f"restore backup {record.id} into {db.target.display()}?", say)
    if decision is None:
        say(f"not restoring without --yes (no terminal to ask); to restore: handrail restore {record.id} --yes")
        return code
    if not decision:
        say(f"not restored; to restore later: handrail restore {record.id} --yes")
        return code
    try:
        restore(db, record, say)
    except DatabaseError as exc:
        say(f"restore failed: {exc}; backup {record.id} is intact in {record.folder}")
        return code
    return code


def restore(db: Database, record: BackupRecord, say: Say) -> None:
    from handrail.db.backup import restore_backup

    say(f"restoring backup {record.id} into {db.target.display()} (rehearsed on a scratch database first) ...")
    notes: list[str] = []
    after = restore_backup(db.engine, record, db.target, notes)
    say(f"restored {record.id}: {len(after.tables)} table(s), rows and checksums match the backup")
    for note in notes:
        say(note)


def _run(command: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> int:
    """Run the migration with the terminal attached; Ctrl-C and SIGTERM go to it, not to us, so we live to
    compare and restore."""
    try:
        proc = subprocess.Popen(list(command), cwd=cwd, env=dict(env) if env is not None else None)
    except FileNotFoundError:
        return 127
    except OSError:
        return 126

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(OSError):
            proc.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = proc.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 128 - code if code < 0 else code


def environ() -> dict[str, str]:
    return dict(os.environ)
