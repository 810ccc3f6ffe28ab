"""MySQL and MariaDB: gzip-compressed `mariadb-dump` (or `mysqldump`) backups, restores with the command-line client.

DDL here commits implicitly, statement by statement, so a migration that fails halfway stays half-applied: the
backup is the only way back, which is why it is verified by loading it into a scratch database. The password is
handed to the tools in a temporary 0600 option file (`--defaults-extra-file`), never on the command line, where
any local user could read it from the process table; MYSQL_PWD is avoided because MySQL 8 deprecates it.
The dump names no database (no `--databases`, so no `USE`), which lets it load into a scratch database.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import queue
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import pymysql

from handrail.db.engine import DatabaseError, DatabaseTarget, EngineName, Snapshot, TableStat
from handrail.db.engines._common import DumpResult
from handrail.db.engines._common import private_file as _private_file
from handrail.db.engines._common import with_database as _with_database

CONNECT_TIMEOUT_S = 10
SCRATCH_PREFIX = "handrail_scratch_"
SCRATCH_SOURCE = "scratch database"  # DatabaseTarget.source of the databases scratch() makes
# Level 1: the dump is text and compresses well even so, and a slow compressor would make backups slower than
# the dump itself (the budget is 1.15x a raw dump).
GZIP_LEVEL = 1
CHUNK = 1 << 20
DUMP_FOOTER = b"-- Dump completed"  # the last comment mariadb-dump/mysqldump write: its absence means a cut dump

DUMP_OPTIONS = ("--single-transaction", "--routines", "--triggers", "--events", "--hex-blob",
                "--default-character-set=utf8mb4")


def _big_pipe(stream: IO[bytes]) -> None:
    """Let a pipe hold 1 MB (Linux): the tool on the other end then waits less while we compress or decompress."""
    fcntl = __import__("fcntl") if os.name == "posix" else None
    setpipe = getattr(fcntl, "F_SETPIPE_SZ", None)
    if fcntl is not None and setpipe is not None:
        with suppress(OSError):
            fcntl.fcntl(stream.fileno(), setpipe, CHUNK)


def _pump(read: Callable[[], bytes], chunks: queue.Queue[bytes | BaseException | None]) -> None:
    """Reader thread: `read()` until it returns b"", handing each chunk on (then None, or the exception)."""
    try:
        while chunk := read():
            chunks.put(chunk)
    except BaseException as exc:  # handed to the consuming thread, which raises or reports it
        chunks.put(exc)
        return
    chunks.put(None)


class _HashingWriter:
    """A file-like sink that hashes what it writes: the backup's sha256 without reading the file back."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.raw.write(data) or 0

    def flush(self) -> None:
        self.raw.flush()


# Comment lines mariadb-dump/mysqldump write where a new section starts: the table section before it is complete
# (its triggers too) and the statement delimiter is back to ";".
SECTION_STARTS = (b"-- Table structure for table `", b"-- Temporary table structure for view `",
                  b"-- Final view structure for view `", b"-- Dumping events for database",
                  b"-- Dumping routines for database", b"-- Dump completed")
LOADED_MARK = "handrail-loaded-"


class _LoadMarks:
    """Rewrites the dump stream so the client reports each table as loaded: at the start of the section after a
    table's, `SELECT 'handrail-loaded-N'` is inserted, which the client prints only once everything before it ran.
    Strings inside a dump never hold a raw newline, so a line starting with "-- " is always the tool's comment.

    With `claim`, the stream is one of two loading at once: the header goes to both, each table (or temporary
    view) section only to the stream that claims it first, and the tail (final views, routines, events, footer),
    which may use any table, is held back; `keep_tail` says whether flush() returns it (the stream that runs it
    last) or drops it."""

    def __init__(self, claim: Callable[[int], bool] | None = None, keep_tail: bool = True) -> None:
        self.names: list[str] = []
        self.pending: int | None = None
        self.carry = b""
        self.claim = claim
        self.keep_tail = keep_tail
        self.sections = 0
        self.sending = True
        self.held: bytearray | None = None  # the tail, once reached (only with claim)

    def feed(self, chunk: bytes) -> bytes:
        if self.held is not None:
            self.held += chunk
            return b""
        buf = self.carry + chunk
        out = bytearray()
        pos = 0
        while (i := buf.find(b"\n-- ", pos)) >= 0:
            eol = buf.find(b"\n", i + 1)
            if eol < 0:  # the line goes on in the next chunk
                if self.sending:
                    out += buf[pos:i]
                self.carry = buf[i:]
                return bytes(out)
            if self.sending:
                out += buf[pos:i + 1]
            line = buf[i + 1:eol]
            if line.startswith(SECTION_STARTS):
                if self.pending is not None:
                    out += f"SELECT '{LOADED_MARK}{self.pending}' AS handrail_mark;\n".encode()
                    self.pending = None
                table = line.startswith(SECTION_STARTS[0])
                if self.claim is not None and not (table or line.startswith(SECTION_STARTS[1])):
                    self.held = bytearray(buf[i + 1:])
                    self.carry = b""
                    return bytes(out)
                if self.claim is not None:
                    self.sending = self.claim(self.sections)
                    self.sections += 1
                if table:
                    name = line[len(SECTION_STARTS[0]):].rstrip()
                    self.names.append(name[:-1].replace(b"``", b"`").decode("utf-8", "replace"))
                    if self.sending:
                        self.pending = len(self.names) - 1
            pos = i + 1
        keep = max(pos, len(buf) - 3)  # "\n--" may be cut at the chunk's end
        if self.sending:
            out += buf[pos:keep]
        self.carry = buf[keep:]
        return bytes(out)

    def flush(self) -> bytes:
        if self.held is not None:
            rest, self.held = bytes(self.held), bytearray()
            return rest if self.keep_tail else b""
        rest, self.carry = self.carry, b""
        return rest if self.sending else b""


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
        self._write_dump(target, dest)

    def backup_checked(self, target: DatabaseTarget, dest: Path) -> DumpResult:
        """Dump and snapshot at once: the snapshot's scans run on the server while the dump is written (the
        compressor, not the server, is the slow part). They are two read views a moment apart, as before, so a
        write in between makes the full verify fail and say the database changed during the backup. The
        end-of-dump marker is checked on the stream while compressing and the sha256 is taken of the bytes
        written, so nothing reads or decompresses the file again."""
        with ThreadPoolExecutor(1) as pool:
            snap = pool.submit(self.snapshot, target)
            sha = self._write_dump(target, dest)
            return DumpResult(sha256=sha, snapshot=snap.result(),
                              check="dump ended with its end-of-dump marker (checked while compressing)")

    def _write_dump(self, target: DatabaseTarget, dest: Path) -> str:
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
                sink = _HashingWriter(raw)
                with gzip.GzipFile(filename="", mode="wb", fileobj=sink,  # type: ignore[arg-type]
                                   compresslevel=GZIP_LEVEL, mtime=0) as gz:
                    tail = self._dump(self.dump_argv(defaults, target), target, gz, err)
                raw.flush()
                os.fsync(raw.fileno())
            if DUMP_FOOTER not in tail:
                raise DatabaseError(f"{self.dump_tool()} stopped before the end of the dump (no end-of-dump marker)")
            os.replace(partial, dest)
        except OSError as exc:
            raise DatabaseError(f"cannot write the backup to {dest}: {exc.strerror}") from None
        finally:
            partial.unlink(missing_ok=True)
        return sink.digest.hexdigest()

    def _dump(self, argv: list[str], target: DatabaseTarget, out: IO[bytes], err: IO[bytes]) -> bytes:
        """Run the dump and compress its output as it comes: a reader thread drains the pipe while this one
        compresses (zlib releases the GIL), so the tool never waits for the compressor. Returns the last bytes
        of the dump."""
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
        except OSError as exc:
            raise DatabaseError(f"cannot run {argv[0]}: {exc.strerror}") from None
        assert proc.stdout is not None
        stdout = proc.stdout
        _big_pipe(stdout)
        chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=16)
        reader = threading.Thread(target=_pump, args=(lambda: stdout.read(CHUNK), chunks), daemon=True)
        reader.start()
        tail = b""
        try:
            while (chunk := chunks.get()) is not None:
                if isinstance(chunk, BaseException):
                    raise chunk
                out.write(chunk)
                tail = (tail + chunk)[-512:]
        except BaseException:
            proc.kill()
            while reader.is_alive():  # unblock a reader waiting on a full queue
                with suppress(queue.Empty):
                    chunks.get(timeout=0.1)
            raise
        finally:
            reader.join()
            stdout.close()
            rc = proc.wait()
        if rc != 0:
            err.seek(0)
            raise DatabaseError(f"{argv[0]} failed: {_one_line(err.read().decode('utf-8', 'replace'), target)}")
        return tail

    def snapshot(self, target: DatabaseTarget) -> Snapshot:
        """Per table COUNT(*) and CHECKSUM TABLE (per-row CRCs summed inside the server: order-independent, no rows
        shipped). A live database is read in one consistent read view; a scratch database, which nothing else
        writes, on two connections at once, largest tables first."""
        if not target.database:
            raise DatabaseError(f"no database name in {target.display()}")
        with _connect(target) as conn, conn.cursor() as cur:
            try:
                cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
                cur.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s"
                            " AND TABLE_TYPE = 'BASE TABLE' ORDER BY DATA_LENGTH + INDEX_LENGTH DESC, TABLE_NAME",
                            (target.database,))
                names = [str(r[0]) for r in cur.fetchall()]
                if target.source != SCRATCH_SOURCE or len(names) < 2:
                    stats = self._table_stats(cur, names, target)
                    cur.execute("ROLLBACK")
                    return Snapshot(tuple(sorted(stats, key=lambda t: t.name)))
                cur.execute("ROLLBACK")
            except pymysql.err.MySQLError as exc:
                raise DatabaseError(f"cannot read {target.display()}: {_driver_error(exc, target)}") from None
        todo: queue.Queue[str] = queue.Queue()
        for name in names:
            todo.put(name)

        def worker() -> list[TableStat]:
            out: list[TableStat] = []
            with _connect(target) as conn, conn.cursor() as cur:
                while True:
                    try:
                        name = todo.get_nowait()
                    except queue.Empty:
                        return out
                    try:
                        out += self._table_stats(cur, [name], target)
                    except pymysql.err.MySQLError as exc:
                        raise DatabaseError(f"cannot read {target.display()}: {_driver_error(exc, target)}") \
                            from None

        with ThreadPoolExecutor(2) as pool:
            parts = [pool.submit(worker) for _ in range(2)]
            stats = [t for part in parts for t in part.result()]
        return Snapshot(tuple(sorted(stats, key=lambda t: t.name)))

    @staticmethod
    def _table_stats(cur: Any, names: list[str], target: DatabaseTarget) -> list[TableStat]:
        counts: dict[str, int] = {}
        for name in names:
            cur.execute(f"SELECT COUNT(*) FROM {_ident(name)}")
            counts[name] = int(cur.fetchone()[0])
        sums: dict[str, str] = {}
        if names:
            cur.execute("CHECKSUM TABLE " + ", ".join(_ident(n) for n in names))
            for qualified, checksum in cur.fetchall():
                sums[str(qualified).split(".", 1)[-1]] = str(checksum)
        return [TableStat(n, counts[n], sums.get(n, "")) for n in names]

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
            yield replace(like, database=name, url=_with_database(like.url, name), source=SCRATCH_SOURCE)
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
        self._restore(dump, target)

    def restore_snapshot(self, dump: Path, scratch: DatabaseTarget, like: Snapshot | None) -> Snapshot:
        """`restore_into(dump, scratch)` then `snapshot(scratch)`, overlapped: each table is counted and
        checksummed on another connection as soon as a client reports it loaded (see _LoadMarks), while the
        next ones load on two clients (_restore_two); the rest (and any that failed) are done after the load."""
        if scratch.source != SCRATCH_SOURCE:
            self.restore_into(dump, scratch)
            return self.snapshot(scratch)
        done: dict[str, TableStat] = {}
        loaded: queue.Queue[str | None] = queue.Queue()

        def checker() -> None:
            try:
                with _connect(scratch) as conn, conn.cursor() as cur:
                    while (name := loaded.get()) is not None:
                        with suppress(pymysql.err.MySQLError):
                            done[name] = self._table_stats(cur, [name], scratch)[0]
            except DatabaseError:
                pass  # whatever was not checked here is checked after the load (put() never blocks)

        with ThreadPoolExecutor(1) as pool:
            checking = pool.submit(checker)
            try:
                self._restore(dump, scratch, on_loaded=loaded.put)
            finally:
                loaded.put(None)
                checking.result()
        with _connect(scratch) as conn, conn.cursor() as cur:
            try:
                cur.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s"
                            " AND TABLE_TYPE = 'BASE TABLE'", (scratch.database,))
                names = sorted(str(r[0]) for r in cur.fetchall())
                stats = self._table_stats(cur, [n for n in names if n not in done], scratch)
            except pymysql.err.MySQLError as exc:
                raise DatabaseError(f"cannot read {scratch.display()}: {_driver_error(exc, scratch)}") from None
        stats += [done[n] for n in names if n in done]
        return Snapshot(tuple(sorted(stats, key=lambda t: t.name)))

    def _restore_two(self, dump: Path, target: DatabaseTarget, on_loaded: Callable[[str], None]) -> None:
        """Load on two clients at once (the server loads one table per connection, on one core): each reads the
        whole dump, runs the header, and loads the table sections it claims first; the one loading skips ahead
        while the other decompresses past what is taken. The tail (views, routines, events) runs on the first
        client once the second has finished. Any failure kills both; the scratch database is then dropped."""
        where = f"restoring {dump.name} into {target.display()} failed"
        lock = threading.Lock()
        claimed: set[int] = set()
        errors: list[str] = []
        procs: list[subprocess.Popen[bytes]] = []
        second_done = threading.Event()

        def claim(index: int) -> bool:
            with lock:
                if index in claimed or errors:
                    return False
                claimed.add(index)
                return True

        def fail(message: str) -> None:
            with lock:
                errors.append(message)
            for proc in procs:
                with suppress(OSError):
                    proc.kill()

        def after_second() -> str | None:
            second_done.wait()
            return "the second loading client failed" if errors else None

        def run(k: int, proc: subprocess.Popen[bytes], err: IO[bytes]) -> None:
            marks = _LoadMarks(claim, keep_tail=k == 0)
            assert proc.stdin is not None and proc.stdout is not None
            listener = threading.Thread(target=self._listen, args=(proc.stdout, marks, on_loaded), daemon=True)
            listener.start()
            try:
                problem = self._feed(dump, proc.stdin, marks, after_second if k == 0 else None)
                if problem:
                    fail(f"{where}: {problem}")
                with suppress(BrokenPipeError):
                    proc.stdin.close()
                if proc.wait() != 0 and not errors:
                    err.seek(0)
                    fail(f"{where}: {_one_line(err.read().decode('utf-8', 'replace'), target)}")
            except BaseException as exc:
                fail(f"{where}: {exc}")
                raise
            finally:
                if k == 1:
                    second_done.set()
                listener.join()

        with tempfile.TemporaryFile() as err0, tempfile.TemporaryFile() as err1, _defaults_file(target) as defaults:
            argv = self.client_argv(defaults, target)
            try:
                for err in (err0, err1):
                    procs.append(subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err))
            except OSError as exc:
                for proc in procs:
                    proc.kill()
                    proc.wait()
                raise DatabaseError(f"cannot run {argv[0]}: {exc.strerror}") from None
            with ThreadPoolExecutor(2) as pool:
                runs = [pool.submit(run, k, procs[k], err) for k, err in enumerate((err0, err1))]
                for r in runs:
                    r.result()
        if errors:
            raise DatabaseError(errors[0])

    def _restore(self, dump: Path, target: DatabaseTarget, on_loaded: Callable[[str], None] | None = None) -> None:
        if problem := self.available():
            raise DatabaseError(problem)
        if not dump.is_file():
            raise DatabaseError(f"backup {dump} does not exist")
        if not target.database:
            raise DatabaseError(f"no database name to restore into in {target.display()}")
        if on_loaded is not None and target.source == SCRATCH_SOURCE:
            self._restore_two(dump, target, on_loaded)
            return
        where = f"restoring {dump.name} into {target.display()} failed"
        marks = _LoadMarks() if on_loaded is not None else None
        with tempfile.TemporaryFile() as err, _defaults_file(target) as defaults:
            argv = self.client_argv(defaults, target)
            try:
                # The client stops at the first failing statement when reading a pipe (no --force).
                proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stderr=err,
                                        stdout=subprocess.DEVNULL if marks is None else subprocess.PIPE)
            except OSError as exc:
                raise DatabaseError(f"cannot run {argv[0]}: {exc.strerror}") from None
            assert proc.stdin is not None
            listener = None
            if marks is not None and on_loaded is not None and proc.stdout is not None:
                listener = threading.Thread(target=self._listen, args=(proc.stdout, marks, on_loaded), daemon=True)
                listener.start()
            try:
                problem = self._feed(dump, proc.stdin, marks)
                if problem:
                    # Kill rather than close stdin, so the client never runs the cut-off tail.
                    proc.kill()
                    proc.wait()
                    raise DatabaseError(f"{where}: {problem}")
                with suppress(BrokenPipeError):
                    proc.stdin.close()
                rc = proc.wait()
            finally:
                if listener is not None:
                    listener.join()
            if rc != 0:
                err.seek(0)
                raise DatabaseError(f"{where}: {_one_line(err.read().decode('utf-8', 'replace'), target)}")

    @staticmethod
    def _listen(stdout: IO[bytes], marks: _LoadMarks, on_loaded: Callable[[str], None]) -> None:
        """Client output: the name of each table whose mark came back (the client runs statements in order)."""
        with stdout:
            for line in stdout:
                text = line.strip().decode("ascii", "replace")
                if text.startswith(LOADED_MARK) and text[len(LOADED_MARK):].isdigit():
                    index = int(text[len(LOADED_MARK):])
                    if index < len(marks.names):
                        on_loaded(marks.names[index])

    def _feed(self, dump: Path, stdin: IO[bytes], marks: _LoadMarks | None = None,
              before_tail: Callable[[], str | None] | None = None) -> str | None:
        """Stream the decompressed dump into the client; a reason when the dump itself is damaged. A reader thread
        decompresses (zlib releases the GIL) while this one writes, so the client is never left waiting for the
        decompressor."""
        _big_pipe(stdin)
        try:
            gz = gzip.open(dump, "rb")  # noqa: SIM115 - closed in the finally below, after the reader thread
        except OSError as exc:
            return f"cannot read the backup ({exc.strerror or exc})"
        stop = threading.Event()
        chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=16)
        reader = threading.Thread(target=_pump, args=(lambda: b"" if stop.is_set() else gz.read(CHUNK), chunks),
                                  daemon=True)
        reader.start()
        tail = b""
        try:
            while (chunk := chunks.get()) is not None:
                if isinstance(chunk, (OSError, EOFError, zlib.error)):
                    return f"the backup is damaged ({chunk})"
                if isinstance(chunk, BaseException):
                    raise chunk
                tail = (tail + chunk)[-512:]
                try:
                    stdin.write(chunk if marks is None else marks.feed(chunk))
                except BrokenPipeError:
                    return None  # the client stopped on an error; its exit status and message tell which
            if marks is not None and DUMP_FOOTER in tail:
                if before_tail is not None and (problem := before_tail()):
                    return problem
                with suppress(BrokenPipeError):
                    stdin.write(marks.flush())
        finally:
            stop.set()
            while reader.is_alive():  # unblock a reader waiting on a full queue
                with suppress(queue.Empty):
                    chunks.get(timeout=0.1)
            reader.join()
            gz.close()
        if DUMP_FOOTER not in tail:
            return "the backup is incomplete (no end-of-dump marker)"
        return None


ENGINE = MySQLEngine()
