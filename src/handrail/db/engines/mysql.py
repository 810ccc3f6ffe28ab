"""MySQL and MariaDB: gzip-compressed `mariadb-dump` (or `mysqldump`) backups, restores with the command-line client.

DDL here commits implicitly, statement by statement, so a migration that fails halfway stays half-applied: the
backup is the only way back, which is why it is verified by loading it into a scratch database. The password is
handed to the tools in a temporary 0600 option file (`--defaults-extra-file`), never on the command line, where
any local user could read it from the process table; MYSQL_PWD is avoided because MySQL 8 deprecates it.
The dump names no database (no `--databases`, so no `USE`), which lets it load into a scratch database.
"""

from __future__ import annotations

import gzip
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import pymysql

from handrail.db.engine import DatabaseError, DatabaseTarget, EngineName, Snapshot, TableStat
from handrail.db.engines._common import private_file as _private_file
from handrail.db.engines._common import with_database as _with_database

CONNECT_TIMEOUT_S = 10
SCRATCH_PREFIX = "handrail_scratch_"
# Level 1: the dump is text and compresses well even so, and a slow compressor would make backups slower than
# the dump itself (the budget is 1.15x a raw dump).
GZIP_LEVEL = 1
CHUNK = 1 << 20
DUMP_FOOTER = b"-- Dump completed"  # the last comment mariadb-dump/mysqldump write: its absence means a cut dump

DUMP_OPTIONS = ("--single-transaction", "--routines", "--triggers", "--events", "--hex-blob",
                "--default-character-set=utf8mb4")


def _first_tool(*names: str) -> str | None:
    return next((n for n in names if shutil.which(n)), None)


def _redact(text: str, target: DatabaseTarget) -> str:
    return text.replace(target.password, "***") if target.password else text


def _one_line(text: str, target: DatabaseTarget, limit: int = 300) -> str:
    """The line of a tool's message that says what went wrong, password removed."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    line = next((ln for ln in lines if "error" in ln.lower()), lines[0] if lines else "unknown error")
    line = _redact(re.sub(r"^(mariadb-dump|mysqldump|mariadb|mysql): ", "", line), target)
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _driver_error(exc: pymysql.err.MySQLError, target: DatabaseTarget) -> str:
    args = exc.args
    text = str(args[1]) if len(args) >= 2 else str(exc)
    return _one_line(text, target)


def _socket(target: DatabaseTarget) -> str | None:
    return next((v for k, v in target.options if k in ("unix_socket", "socket")), None)


def _connect(target: DatabaseTarget) -> pymysql.connections.Connection[Any]:
    try:
        return pymysql.connect(host=target.host or "localhost", port=target.port or 3306, user=target.user or "root",
                               password=target.password or "", database=target.database, unix_socket=_socket(target),
                               charset="utf8mb4", connect_timeout=CONNECT_TIMEOUT_S, autocommit=True)
    except pymysql.err.MySQLError as exc:
        raise DatabaseError(f"cannot connect to {target.display()}: {_driver_error(exc, target)}") from None


def _ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _option_value(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise DatabaseError("a connection setting contains a line break, which MySQL option files cannot hold")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextmanager
def _defaults_file(target: DatabaseTarget) -> Iterator[str]:
    """A [client] option file readable only by us, deleted afterwards: the tools' only source of the password."""
    lines = ["[client]"]
    if target.user:
        lines.append(f"user={_option_value(target.user)}")
    if target.password:
        lines.append(f"password={_option_value(target.password)}")
    if sock := _socket(target):
        lines.append(f"socket={_option_value(sock)}")
    elif target.host:
        # Like the driver: "localhost" would otherwise mean the Unix socket to the command-line tools.
        lines += [f"host={_option_value(target.host)}", "protocol=TCP"]
    if target.port:
        lines.append(f"port={int(target.port)}")
    fd, path = tempfile.mkstemp(prefix="handrail-my-", suffix=".cnf")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        yield path
    finally:
        Path(path).unlink(missing_ok=True)




class MySQLEngine:
    """`Engine` for MySQL and MariaDB; prefers the mariadb-* tools and falls back to the mysql* ones."""

    name: EngineName = "mysql"
    transactional_ddl = False
    dump_suffix = ".sql.gz"

    def dump_tool(self) -> str | None:
        return _first_tool("mariadb-dump", "mysqldump")

    def client_tool(self) -> str | None:
        return _first_tool("mariadb", "mysql")

    def available(self) -> str | None:
        missing = [label for label, tool in (("mariadb-dump or mysqldump", self.dump_tool()),
                                             ("mariadb or mysql", self.client_tool())) if tool is None]
        if missing:
            return f"MySQL/MariaDB backups need {' and '.join(missing)} on the PATH (package mariadb-client)"
        return None

    def dump_argv(self, defaults: str, target: DatabaseTarget) -> list[str]:
        """The dump command; separate so tests can see that no secret reaches the command line."""
        tool = self.dump_tool()
        assert tool is not None and target.database
        # --defaults-extra-file must come first; "--" keeps a database name starting with "-" a name.
        return [tool, f"--defaults-extra-file={defaults}", *DUMP_OPTIONS, "--", target.database]

    def client_argv(self, defaults: str, target: DatabaseTarget) -> list[str]:
        tool = self.client_tool()
        assert tool is not None and target.database
        return [tool, f"--defaults-extra-file={defaults}", "--default-character-set=utf8mb4", "--batch",
                f"--database={target.database}"]

    def backup(self, target: DatabaseTarget, dest: Path) -> None:
        if problem := self.available():
            raise DatabaseError(problem)
        if not target.database:
            raise DatabaseError(f"no database name in {target.display()}")
        partial = dest.with_name(f".{dest.name}.partial-{secrets.token_hex(4)}")
        try:
            fd = _private_file(partial)
        except OSError as exc:
            raise DatabaseError(f"cannot write the backup to {dest.parent}: {exc.strerror}") from None
        try:
            with os.fdopen(fd, "wb") as raw, tempfile.TemporaryFile() as err, _defaults_file(target) as defaults:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0) as gz:
                    self._dump(self.dump_argv(defaults, target), target, gz, err)
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(partial, dest)
        except OSError as exc:
            raise DatabaseError(f"cannot write the backup to {dest}: {exc.strerror}") from None
        finally:
            partial.unlink(missing_ok=True)

    def _dump(self, argv: list[str], target: DatabaseTarget, out: IO[bytes], err: IO[bytes]) -> None:
        """Run the dump, compressing its output here while it runs (the two overlap on separate cores)."""
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
        except OSError as exc:
            raise DatabaseError(f"cannot run {argv[0]}: {exc.strerror}") from None
        assert proc.stdout is not None
        try:
            while chunk := proc.stdout.read(CHUNK):
                out.write(chunk)
        except BaseException:
            proc.kill()
            raise
        finally:
            proc.stdout.close()
            rc = proc.wait()
        if rc != 0:
            err.seek(0)
            raise DatabaseError(f"{argv[0]} failed: {_one_line(err.read().decode('utf-8', 'replace'), target)}")

    def snapshot(self, target: DatabaseTarget) -> Snapshot:
        if not target.database:
            raise DatabaseError(f"no database name in {target.display()}")
        with _connect(target) as conn, conn.cursor() as cur:
            try:
                # Counts from one consistent read view (InnoDB); CHECKSUM TABLE sums per-row CRCs, so row order
                # does not matter, and it runs inside the server without shipping rows.
                cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
                cur.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s"
                            " AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", (target.database,))
                names = [str(r[0]) for r in cur.fetchall()]
                counts: dict[str, int] = {}
                for name in names:
                    cur.execute(f"SELECT COUNT(*) FROM {_ident(name)}")
                    counts[name] = int(cur.fetchone()[0])
                sums: dict[str, str] = {}
                if names:
                    cur.execute("CHECKSUM TABLE " + ", ".join(_ident(n) for n in names))
                    for qualified, checksum in cur.fetchall():
                        sums[str(qualified).split(".", 1)[-1]] = str(checksum)
                cur.execute("ROLLBACK")
            except pymysql.err.MySQLError as exc:
                raise DatabaseError(f"cannot read {target.display()}: {_driver_error(exc, target)}") from None
        return Snapshot(tuple(TableStat(n, counts[n], sums.get(n, "")) for n in names))

    @contextmanager
    def scratch(self, like: DatabaseTarget) -> Iterator[DatabaseTarget]:
        if not like.database:
            raise DatabaseError(f"no database name in {like.display()}")
        name = SCRATCH_PREFIX + secrets.token_hex(6)
        with _connect(like) as conn, conn.cursor() as cur:
            try:
                # Same character set and collation as the source, so text compares and checksums the same.
                cur.execute("SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA"
                            " WHERE SCHEMA_NAME = %s", (like.database,))
                row = cur.fetchone()
                spec = f" CHARACTER SET {row[0]} COLLATE {row[1]}" if row else ""
                cur.execute(f"CREATE DATABASE {_ident(name)}{spec}")
            except pymysql.err.MySQLError as exc:
                raise DatabaseError(f"cannot create a scratch database on {like.display()}:"
                                    f" {_driver_error(exc, like)}") from None
        try:
            yield replace(like, database=name, url=_with_database(like.url, name), source="scratch database")
        finally:
            with _connect(like) as conn, conn.cursor() as cur:
                try:
                    cur.execute(f"DROP DATABASE IF EXISTS {_ident(name)}")
                except pymysql.err.MySQLError as exc:
                    raise DatabaseError(f"cannot drop scratch database {name}: {_driver_error(exc, like)}") from None

    def replace_with(self, dump: Path, target: DatabaseTarget) -> str:
        """Put `dump` in place of `target` without losing what is there: MySQL cannot rename a database, so the
        target's tables move (one atomic RENAME TABLE) into a keep database, its views, routines and events are
        dropped (the dump recreates its own), and the dump is loaded into the emptied target."""
        if not target.database:
            raise DatabaseError(f"no database name in {target.display()}")
        keep = f"{target.database[:40]}_handrail_before_{secrets.token_hex(4)}"
        db = _ident(target.database)
        with _connect(target) as conn, conn.cursor() as cur:
            try:
                cur.execute("SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA"
                            " WHERE SCHEMA_NAME = %s", (target.database,))
                row = cur.fetchone()
                spec = f" CHARACTER SET {row[0]} COLLATE {row[1]}" if row else ""
                cur.execute(f"CREATE DATABASE {_ident(keep)}{spec}")
                cur.execute("SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s",
                            (target.database,))
                rows = cur.fetchall()
                for name, kind in rows:
                    if kind == "VIEW":
                        cur.execute(f"DROP VIEW {db}.{_ident(name)}")
                moves = [f"{db}.{_ident(n)} TO {_ident(keep)}.{_ident(n)}" for n, k in rows if k != "VIEW"]
                if moves:
                    cur.execute("SET FOREIGN_KEY_CHECKS = 0")
                    cur.execute("RENAME TABLE " + ", ".join(moves))
                cur.execute("SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES"
                            " WHERE ROUTINE_SCHEMA = %s", (target.database,))
                for name, kind in cur.fetchall():
                    cur.execute(f"DROP {kind} IF EXISTS {db}.{_ident(name)}")
                cur.execute("SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s",
                            (target.database,))
                for (name,) in cur.fetchall():
                    cur.execute(f"DROP EVENT IF EXISTS {db}.{_ident(name)}")
            except pymysql.err.MySQLError as exc:
                raise DatabaseError(f"cannot set {target.display()} aside before the restore:"
                                    f" {_driver_error(exc, target)}") from None
        self.restore_into(dump, target)
        return (f"the tables as they were before the restore are kept in database {keep}; drop it once you no "
                "longer need it")

    def restore_into(self, dump: Path, target: DatabaseTarget) -> None:
        if problem := self.available():
            raise DatabaseError(problem)
        if not dump.is_file():
            raise DatabaseError(f"backup {dump} does not exist")
        if not target.database:
            raise DatabaseError(f"no database name to restore into in {target.display()}")
        where = f"restoring {dump.name} into {target.display()} failed"
        with tempfile.TemporaryFile() as err, _defaults_file(target) as defaults:
            argv = self.client_argv(defaults, target)
            try:
                # The client stops at the first failing statement when reading a pipe (no --force).
                proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
            except OSError as exc:
                raise DatabaseError(f"cannot run {argv[0]}: {exc.strerror}") from None
            assert proc.stdin is not None
            problem = self._feed(dump, proc.stdin)
            if problem:
                # Kill rather than close stdin, so the client never runs the cut-off tail.
                proc.kill()
                proc.wait()
                raise DatabaseError(f"{where}: {problem}")
            with suppress(BrokenPipeError):
                proc.stdin.close()
            if proc.wait() != 0:
                err.seek(0)
                raise DatabaseError(f"{where}: {_one_line(err.read().decode('utf-8', 'replace'), target)}")

    def _feed(self, dump: Path, stdin: IO[bytes]) -> str | None:
        """Stream the decompressed dump into the client; a reason when the dump itself is damaged."""
        tail = b""
        try:
            with gzip.open(dump, "rb") as gz:
                while True:
                    try:
                        chunk = gz.read(CHUNK)
                    except (OSError, EOFError, zlib.error) as exc:
                        return f"the backup is damaged ({exc})"
                    if not chunk:
                        break
                    tail = (tail + chunk)[-512:]
                    try:
                        stdin.write(chunk)
                    except BrokenPipeError:
                        return None  # the client stopped on an error; its exit status and message tell which
        except OSError as exc:
            return f"cannot read the backup ({exc.strerror or exc})"
        if DUMP_FOOTER not in tail:
            return "the backup is incomplete (no end-of-dump marker)"
        return None


ENGINE = MySQLEngine()
