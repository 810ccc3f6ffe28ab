"""PostgreSQL: `pg_dump -Fc` backups, restores into a scratch database, snapshots through psycopg.

The dump keeps owners and privileges: a restored database that has lost its GRANTs (Supabase's anon and
authenticated roles, an app role) would look fine to the snapshot and then fail every request. A scratch database
lives on the same server, so the roles the dump names exist there; restoring into another server needs them too,
which is why a failed ALTER OWNER/GRANT says so. Connection settings and the password travel in the environment
(PG* variables), never on the command line, where any local user could read them from the process table.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from handrail.db.engine import DatabaseError, DatabaseTarget, EngineName, Snapshot, TableStat
from handrail.db.engines._common import private_file as _private_file
from handrail.db.engines._common import with_database as _with_database

CONNECT_TIMEOUT_S = 10
SCRATCH_PREFIX = "handrail_scratch_"

# libpq keywords a URL's query string may carry, and the environment variable each tool reads instead.
_LIBPQ_ENV = {
    "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL", "connect_timeout": "PGCONNECT_TIMEOUT", "application_name": "PGAPPNAME",
    "options": "PGOPTIONS", "target_session_attrs": "PGTARGETSESSIONATTRS", "channel_binding": "PGCHANNELBINDING",
    "gssencmode": "PGGSSENCMODE", "passfile": "PGPASSFILE", "service": "PGSERVICE",
}

# Fixed output settings so that a row's text form (and so its checksum) does not depend on the client's defaults.
_SNAPSHOT_SETTINGS = (
    "SET TimeZone = 'UTC'", "SET DateStyle = 'ISO, MDY'", "SET IntervalStyle = 'postgres'",
    "SET bytea_output = 'hex'", "SET extra_float_digits = 1",
    # Like pg_dump: fail loudly rather than count only the rows a policy lets this role see.
    "SET row_security = off",
)

_USER_TABLES = """
SELECT n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND c.relpersistence <> 't'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2
"""

# Sum of a 64-bit slice of each row's md5: independent of row order, sensitive to duplicates, exact in numeric.
_TABLE_STAT = "SELECT count(*), coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint::numeric), 0) FROM {} t"


def session_settings(lock_timeout_ms: int | None, statement_timeout_ms: int | None,
                     base: str | None = None) -> dict[str, str]:
    """Environment for a migration command so its sessions give up instead of queueing behind a long lock.

    Returned as PGOPTIONS because the migration runner (artisan, alembic, prisma...) opens its own connections;
    libpq-based runners apply it to every session. `base` defaults to the caller's current PGOPTIONS, kept first.
    """
    parts = [os.environ.get("PGOPTIONS", "") if base is None else base]
    for name, value in (("lock_timeout", lock_timeout_ms), ("statement_timeout", statement_timeout_ms)):
        if value is None:
            continue
        if value < 0:
            raise ValueError(f"{name} must be >= 0 ms, got {value}")
        parts.append(f"-c {name}={int(value)}")
    joined = " ".join(p for p in parts if p)
    return {"PGOPTIONS": joined} if joined else {}


def _conn_params(target: DatabaseTarget) -> dict[str, str]:
    """libpq keywords for `target`: the parsed fields win over the URL, which only fills gaps."""
    params: dict[str, str] = {}
    if target.url.startswith(("postgres://", "postgresql://")):
        with suppress(psycopg.Error):  # e.g. Prisma's ?schema=public is no libpq keyword: use the fields alone
            params.update({k: v for k, v in psycopg.conninfo.conninfo_to_dict(target.url).items() if v is not None})
    for key, value in target.options:
        if key in _LIBPQ_ENV:
            params[key] = value
    fields = {"host": target.host, "port": target.port, "user": target.user, "password": target.password,
              "dbname": target.database}
    params.update({k: str(v) for k, v in fields.items() if v is not None})
    params.setdefault("connect_timeout", str(CONNECT_TIMEOUT_S))
    return params


def _tool_env(target: DatabaseTarget) -> dict[str, str]:
    """The environment for pg_dump/pg_restore: everything, the password included, as PG* variables."""
    env = dict(os.environ)
    names = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD", "dbname": "PGDATABASE",
             **_LIBPQ_ENV}
    for key, value in _conn_params(target).items():
        if key in names:
            env[names[key]] = value
    return env


def _redact(text: str, target: DatabaseTarget) -> str:
    if target.password:
        text = text.replace(target.password, "***")
    return text


def _one_line(text: str, target: DatabaseTarget, limit: int = 300) -> str:
    """The line of a tool's or driver's message that says what went wrong, password removed."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    chosen = next((ln for ln in lines if "error:" in ln.lower() or ln.startswith(("ERROR", "FATAL"))), None)
    line = chosen or (lines[0] if lines else "unknown error")
    line = re.sub(r"^(pg_dump|pg_restore|psql): (error: )?", "", line)
    line = _redact(line, target)
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _connect(target: DatabaseTarget, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(**_conn_params(target), autocommit=autocommit)
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot connect to {target.display()}: {_one_line(str(exc), target)}") from None


@cache
def _tool_major(tool: str) -> int | None:
    try:
        out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return None
    m = re.search(r"\)\s+(\d+)", out)
    return int(m.group(1)) if m else None




def _conninfo_value(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class PostgresEngine:
    """`Engine` for PostgreSQL; the tools are pg_dump and pg_restore from the PATH."""

    name: EngineName = "postgresql"
    transactional_ddl = True
    dump_suffix = ".pgdump"

    def __init__(self, pg_dump: str = "pg_dump", pg_restore: str = "pg_restore") -> None:
        self.pg_dump = pg_dump
        self.pg_restore = pg_restore

    def available(self) -> str | None:
        missing = [t for t in (self.pg_dump, self.pg_restore) if shutil.which(t) is None]
        if missing:
            return f"PostgreSQL backups need {' and '.join(missing)} on the PATH (package postgresql-client)"
        return None

    def check_versions(self, target: DatabaseTarget) -> str | None:
        """None when pg_dump can dump this server; pg_dump refuses servers of a newer major version."""
        tool = _tool_major(self.pg_dump)
        with _connect(target) as conn:
            server = conn.info.server_version // 10000
        if tool is None:
            return f"cannot tell the version of {self.pg_dump}"
        if tool < server:
            return (f"{self.pg_dump} is version {tool} but the server at {target.display()} runs PostgreSQL {server}:"
                    f" install postgresql-client-{server} or newer")
        return None

    def backup(self, target: DatabaseTarget, dest: Path) -> None:
        if (problem := self.available()) or (problem := self.check_versions(target)):
            raise DatabaseError(problem)
        partial = dest.with_name(f".{dest.name}.partial-{secrets.token_hex(4)}")
        try:
            fd = _private_file(partial)
        except OSError as exc:
            raise DatabaseError(f"cannot write the backup to {dest.parent}: {exc.strerror}") from None
        try:
            # stdout is a regular file, so pg_dump can still seek back and record data offsets in the TOC.
            # -Z1: the default zlib level spends most of a dump compressing what does not compress (uploads,
            # hashes); level 1 keeps most of the size gain at a fraction of the time (notes: 28.7 s vs 44.7 s).
            self._run([self.pg_dump, "-Fc", "-Z1", "--no-password"], target, what="pg_dump failed", stdout=fd)
            os.fsync(fd)
            os.close(fd)
            fd = -1
            os.replace(partial, dest)
        except OSError as exc:
            raise DatabaseError(f"cannot write the backup to {dest}: {exc.strerror}") from None
        finally:
            if fd >= 0:
                os.close(fd)
            partial.unlink(missing_ok=True)

    def snapshot(self, target: DatabaseTarget) -> Snapshot:
        stats: list[TableStat] = []
        with _connect(target, autocommit=True) as conn:
            try:
                conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")  # one instant for every table
                for setting in _SNAPSHOT_SETTINGS:
                    conn.execute(setting)
                tables = conn.execute(_USER_TABLES).fetchall()
                for schema, table in tables:
                    query = sql.SQL(_TABLE_STAT).format(sql.Identifier(schema, table))
                    row = conn.execute(query).fetchone()
                    assert row is not None
                    stats.append(TableStat(f"{schema}.{table}", int(row[0]), format(int(row[1]), "x")))
                conn.execute("ROLLBACK")
            except psycopg.Error as exc:
                raise DatabaseError(f"cannot read {target.display()}: {_one_line(str(exc), target)}") from None
        return Snapshot(tuple(stats))

    @contextmanager
    def scratch(self, like: DatabaseTarget) -> Iterator[DatabaseTarget]:
        name = SCRATCH_PREFIX + secrets.token_hex(6)
        with _connect(like, autocommit=True) as conn:
            _create_like(conn, name, like, "a scratch database")
            force = sql.SQL(" WITH (FORCE)") if conn.info.server_version >= 130000 else sql.SQL("")
        try:
            yield replace(like, database=name, url=_with_database(like.url, name), source="scratch database")
        finally:
            with _connect(like, autocommit=True) as conn:
                try:
                    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}{}").format(sql.Identifier(name), force))
                except psycopg.Error as exc:
                    raise DatabaseError(f"cannot drop scratch database {name}: {_one_line(str(exc), like)}") from None

    def replace_with(self, dump: Path, target: DatabaseTarget) -> str:
        """Put `dump` in place of `target` without ever half-restoring it: restore into a new database, then swap
        names. The database as it was is kept under another name (its rows may be newer than the backup's)."""
        tag = secrets.token_hex(4)
        base = (target.database or "db")[:40]
        new, old = f"{base}_handrail_new_{tag}", f"{base}_handrail_before_{tag}"
        with _connect(target, autocommit=True) as conn:
            _create_like(conn, new, target, "a database to restore into")
        fresh = replace(target, database=new, url=_with_database(target.url, new))
        maint = replace(target, database="postgres", url=_with_database(target.url, "postgres"))
        try:
            self.restore_into(dump, fresh)
        except DatabaseError:
            with _connect(maint, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(new)))
            raise
        with _connect(maint, autocommit=True) as conn:
            try:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                             " WHERE datname = %s AND pid <> pg_backend_pid()", (target.database,))
                conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(target.database or ""),
                                                                            sql.Identifier(old)))
                conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(new),
                                                                            sql.Identifier(target.database or "")))
            except psycopg.Error as exc:
                raise DatabaseError(f"restored into {new} but could not swap it in for {target.database}:"
                                    f" {_one_line(str(exc), target)}") from None
        return f"the database as it was before the restore is kept as {old}; drop it once you no longer need it"

    def restore_into(self, dump: Path, target: DatabaseTarget) -> None:
        # One transaction and stop at the first error: a failed restore leaves the target as it was.
        self._restore(dump, target, "--single-transaction")

    def restore_snapshot(self, dump: Path, scratch: DatabaseTarget, like: Snapshot | None) -> Snapshot:
        """The verify's restore: into a scratch database nobody else sees, so it can load tables and build indexes on
        two jobs instead of one transaction (a failure there only means a failed verify; the scratch is dropped).
        Any other target takes the one-transaction `restore_into`."""
        private = scratch.source == "scratch database" and (scratch.database or "").startswith(SCRATCH_PREFIX)
        self._restore(dump, scratch, "--jobs=2" if private else "--single-transaction")
        return self.snapshot(scratch)

    def _restore(self, dump: Path, target: DatabaseTarget, mode: str) -> None:
        if not dump.is_file():
            raise DatabaseError(f"backup {dump} does not exist")
        if not target.database:
            raise DatabaseError(f"no database name to restore into in {target.display()}")
        argv = [self.pg_restore, "--exit-on-error", mode, "--no-password",
                "-d", f"dbname={_conninfo_value(target.database)}", str(dump)]
        try:
            self._run(argv, target, what=f"restoring {dump.name} into {target.display()} failed")
        except DatabaseError as exc:
            if re.search(r'role "[^"]*" does not exist', str(exc)):
                raise DatabaseError(f"{exc} (the dump's owner roles must exist on the server)") from None
            raise

    def _run(self, argv: list[str], target: DatabaseTarget, *, what: str, stdout: int | None = None,
             extra_env: Mapping[str, str] | None = None) -> None:
        env = {**_tool_env(target), **(extra_env or {})}
        try:
            proc = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL if stdout is None else stdout,
                                  stderr=subprocess.PIPE, check=False)
        except OSError as exc:
            raise DatabaseError(f"{what}: cannot run {argv[0]}: {exc.strerror}") from None
        if proc.returncode != 0:
            raise DatabaseError(f"{what}: {_one_line(proc.stderr.decode('utf-8', 'replace'), target)}")


ENGINE = PostgresEngine()


def _create_like(conn: psycopg.Connection[Any], name: str, like: DatabaseTarget, what: str) -> None:
    """CREATE DATABASE `name` from template0 (nothing installed in template1 comes along) with the encoding and
    locale of the database `conn` is on, so text, checksums and unique indexes behave the same."""
    try:
        row = conn.execute("SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database"
                           " WHERE datname = current_database()").fetchone()
        assert row is not None
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING {} LC_COLLATE {} LC_CTYPE {}")
                     .format(sql.Identifier(name), *(sql.Literal(v) for v in row)))
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot create {what} on {like.display()}: {_one_line(str(exc), like)}") from None
