"""The engine interface: what `handrail migrate`, `backup`, `restore` and `migrations replay` need from a database.

A backup is trusted only after it has been restored somewhere and compared: every engine can take a snapshot
(per-table row counts and content checksums) of a live database, restore a dump into a scratch database it
creates and drops itself, and snapshot that. Passwords live only in `DatabaseTarget.url`; `display()` is the
only form that may be printed or stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

EngineName = Literal["sqlite", "postgresql", "mysql"]


class DatabaseError(Exception):
    """One line for the user: what failed and where (never a password)."""


@dataclass(frozen=True)
class DatabaseTarget:
    engine: EngineName
    url: str  # may hold a password: never print or store it; use display()
    source: str  # where it was found: "--database-url", "DATABASE_URL", ".env (DB_*)", "handrail.toml [environments.x]"
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    database: str | None = None  # the database name; for SQLite, the file path
    options: tuple[tuple[str, str], ...] = ()

    def display(self) -> str:
        """The URL with any password replaced by ***: the only form that may be printed or stored."""
        if self.engine == "sqlite":
            return f"sqlite:///{self.database or ''}"
        auth = ""
        if self.user:
            auth = self.user + (":***" if self.password else "") + "@"
        port = f":{self.port}" if self.port else ""
        return f"{self.engine}://{auth}{self.host or ''}{port}/{self.database or ''}"


@dataclass(frozen=True)
class TableStat:
    name: str
    rows: int
    checksum: str  # engine-specific digest of the table's content, equal across a faithful dump and restore


@dataclass(frozen=True)
class Snapshot:
    tables: tuple[TableStat, ...]

    def differences(self, other: Snapshot) -> list[str]:
        """One line per table missing, extra, or with other rows/checksum in `other`; empty when equal."""
        mine = {t.name: t for t in self.tables}
        theirs = {t.name: t for t in other.tables}
        out = [f"table {n} missing" for n in sorted(mine.keys() - theirs.keys())]
        out += [f"table {n} unexpected" for n in sorted(theirs.keys() - mine.keys())]
        for name in sorted(mine.keys() & theirs.keys()):
            a, b = mine[name], theirs[name]
            if a.rows != b.rows:
                out.append(f"table {name}: {a.rows} rows, restored {b.rows}")
            elif a.checksum != b.checksum:
                out.append(f"table {name}: content differs ({a.rows} rows)")
        return out


class Engine(Protocol):
    name: EngineName
    # Whether a failed migration's DDL is rolled back by the engine (PostgreSQL, SQLite inside a transaction) or
    # committed statement by statement (MySQL/MariaDB): a failure on the latter always means a restore.
    transactional_ddl: bool
    dump_suffix: str  # ".sqlite3", ".pgdump", ".sql.gz", ...

    def available(self) -> str | None:
        """None when the tools this engine needs are installed, else one line saying what is missing."""
        ...

    def backup(self, target: DatabaseTarget, dest: Path) -> None:
        """Write a consistent dump of `target` to `dest` (created 0600). Raises DatabaseError."""
        ...

    def snapshot(self, target: DatabaseTarget) -> Snapshot:
        """Per-table row counts and checksums of a live database (user tables only)."""
        ...

    def scratch(self, like: DatabaseTarget) -> AbstractContextManager[DatabaseTarget]:
        """A new empty database on the same server (or a temp file for SQLite), dropped on exit."""
        ...

    def restore_into(self, dump: Path, target: DatabaseTarget) -> None:
        """Load `dump` into `target` (normally a scratch database). Raises DatabaseError, never half-succeeds
        silently."""
        ...


def iter_tables(snapshot: Snapshot) -> Iterator[str]:
    return (t.name for t in snapshot.tables)
