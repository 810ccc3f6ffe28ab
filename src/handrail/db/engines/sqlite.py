"""SQLite with the standard library only: the online backup API for dumps and restores, content checksums for
snapshots.

The backup API copies pages under SQLite's own locking, so a dump taken while the app runs is consistent, and a
restore built in a temp file next to the target and swapped in with os.replace can never leave a half-written
database behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from handrail.db.engine import DatabaseError, DatabaseTarget, EngineName, Snapshot, TableStat

SQLITE_MAGIC = b"SQLite format 3\x00"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _reason(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__


def _is_sqlite_file(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return head == SQLITE_MAGIC or head == b""  # an empty file is a valid, empty database


def _open_ro(path: Path) -> sqlite3.Connection:
    """Read-only, so a typo in a path never creates an empty database that a later step would trust."""
    if not path.is_file():
        raise DatabaseError(f"SQLite database {path} does not exist")
    if not _is_sqlite_file(path):
        raise DatabaseError(f"{path} is not a SQLite database")
    try:
        return sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open SQLite database {path}: {_reason(exc)}") from exc


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        _fsync(path)


def _row_bytes(row: tuple[object, ...]) -> bytes:
    """Encode one `typeof(c), c, ...` row: type-tagged and length-prefixed, so 'ab','c' and 'a','bc' differ, and
    so do text '1', blob '1' and integer 1."""
    out: list[bytes] = []
    for kind, value in zip(row[0::2], row[1::2], strict=True):
        tag = kind[:1] if isinstance(kind, bytes) else str(kind)[:1].encode()
        if value is None:
            out.append(b"n;")
        elif isinstance(value, bytes):
            out.append(tag + str(len(value)).encode() + b":" + value)
        elif isinstance(value, float):
            out.append(b"r" + value.hex().encode() + b";")
        else:
            out.append(tag + str(value).encode() + b";")
    return b"".join(out) + b"\n"


class SQLiteEngine:
    name: EngineName = "sqlite"
    transactional_ddl = True  # SQLite rolls back DDL inside a transaction
    dump_suffix = ".sqlite3"

    def available(self) -> str | None:
        return None  # the standard library's sqlite3 is all this engine needs

    def backup(self, target: DatabaseTarget, dest: Path) -> None:
        src_path = self._path(target)
        src = _open_ro(src_path)
        try:
            fd = os.open(dest, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except OSError as exc:
            src.close()
            raise DatabaseError(f"cannot create backup file {dest}: {exc.strerror}") from exc
        os.close(fd)
        try:
            dst = sqlite3.connect(dest)
            try:
                src.backup(dst)
                # a WAL-mode source gives a WAL-mode copy, which would leave -wal/-shm files in the backup folder
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
            _fsync(dest)
        except sqlite3.Error as exc:
            raise DatabaseError(f"SQLite backup of {src_path} failed: {_reason(exc)}") from exc
        except OSError as exc:
            raise DatabaseError(f"SQLite backup to {dest} failed: {exc.strerror or exc}") from exc
        finally:
            src.close()

    def snapshot(self, target: DatabaseTarget) -> Snapshot:
        path = self._path(target)
        conn = _open_ro(path)
        conn.text_factory = bytes  # invalid UTF-8 in a TEXT column must hash, not crash
        try:
            return Snapshot(tuple(self._table_stat(conn, name) for name in self._tables(conn)))
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot read SQLite database {path}: {_reason(exc)}") from exc
        finally:
            conn.close()

    @staticmethod
    def _tables(conn: sqlite3.Connection) -> list[str]:
        rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").fetchall()
        # virtual tables (FTS, R*Tree) store their content in shadow tables, which are snapshotted themselves
        # and need no extension loaded
        return [n.decode() if isinstance(n, bytes) else n for n, sql in rows
                if not (sql or b"").upper().lstrip().startswith(b"CREATE VIRTUAL")]

    @staticmethod
    def _table_stat(conn: sqlite3.Connection, name: str) -> TableStat:
        cols = [r[1].decode() if isinstance(r[1], bytes) else r[1]
                for r in conn.execute(f"PRAGMA table_info({_q(name)})")]
        try:
            conn.execute(f"SELECT rowid FROM {_q(name)} LIMIT 0")
            order = "rowid"
        except sqlite3.OperationalError:  # WITHOUT ROWID: the primary key makes all-columns ordering total
            order = ", ".join(_q(c) for c in cols)
        body = ", ".join(_q(c) for c in cols) or "NULL"
        conn.text_factory = str
        try:
            # Fast path: repr() of Python values already tells int 1, float 1.0, text '1' and blob b'1' apart,
            # and hashing repr of whole batches keeps the per-row work in C (about 10x the typeof() path).
            digest = hashlib.sha256(b"r1\n")
            rows = 0
            cur = conn.execute(f"SELECT {body} FROM {_q(name)} ORDER BY {order}")
            while batch := cur.fetchmany(2000):
                digest.update("\n".join(map(repr, batch)).encode("utf-8", "surrogatepass"))
                digest.update(b"\n")
                rows += len(batch)
            return TableStat(name=name, rows=rows, checksum=digest.hexdigest())
        except sqlite3.OperationalError as exc:
            if "decode" not in str(exc):
                raise
        finally:
            conn.text_factory = bytes
        # TEXT that is not valid UTF-8: hash raw bytes tagged with typeof() so text and blob still differ
        select = ", ".join(f"typeof({_q(c)}), {_q(c)}" for c in cols) or "NULL, NULL"
        digest = hashlib.sha256(b"t1\n")
        rows = 0
        for row in conn.execute(f"SELECT {select} FROM {_q(name)} ORDER BY {order}"):
            digest.update(_row_bytes(row))
            rows += 1
        return TableStat(name=name, rows=rows, checksum=digest.hexdigest())

    @contextlib.contextmanager
    def scratch(self, like: DatabaseTarget) -> Iterator[DatabaseTarget]:
        with tempfile.TemporaryDirectory(prefix="handrail-scratch-") as tmp:  # created 0700
            path = Path(tmp) / "scratch.sqlite3"
            yield DatabaseTarget(engine="sqlite", url=f"sqlite:///{path}", source="scratch", database=str(path))

    def check_archive(self, dump: Path) -> str | None:
        """`--verify fast`: None when the dump passes PRAGMA quick_check, else one line saying what is wrong."""
        try:
            conn = _open_ro(dump)
        except DatabaseError as exc:
            return str(exc)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        except sqlite3.Error as exc:
            return f"quick_check failed: {_reason(exc)}"
        finally:
            conn.close()
        problems = [str(r[0]) for r in rows if r[0] != "ok"]
        return None if not problems else f"quick_check: {problems[0]}" + (
            f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")

    def restore_into(self, dump: Path, target: DatabaseTarget) -> None:
        """Build the restored database in a temp file beside the target, prove it with quick_check, fsync, then
        os.replace: the target is either the old file or the complete new one."""
        dest = self._path(target)
        problem = self.check_archive(dump)
        if problem:
            raise DatabaseError(f"refusing to restore {dump.name}: {problem}")
        folder = dest.parent
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.handrail-restore-", dir=folder)
        except OSError as exc:
            raise DatabaseError(f"cannot write next to {dest}: {exc.strerror}") from exc
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            mode = dest.stat().st_mode & 0o7777 if dest.exists() else 0o600
            os.chmod(tmp, mode)
            journal = self._prepare_target(dest)
            src = _open_ro(dump)
            try:
                out = sqlite3.connect(tmp)
                try:
                    src.backup(out)
                    out.execute(f"PRAGMA journal_mode={journal}")
                    check = out.execute("PRAGMA quick_check").fetchone()
                    if not check or check[0] != "ok":
                        raise DatabaseError(f"restored copy of {dump.name} failed quick_check; target untouched")
                finally:
                    out.close()
            finally:
                src.close()
            for side in ("-wal", "-shm", "-journal"):  # the temp copy's own leftovers, if any
                Path(str(tmp) + side).unlink(missing_ok=True)
            _fsync(tmp)
            os.replace(tmp, dest)
            _fsync_dir(folder)
        except sqlite3.Error as exc:
            raise DatabaseError(f"SQLite restore into {dest} failed: {_reason(exc)}; target untouched") from exc
        except OSError as exc:
            raise DatabaseError(f"SQLite restore into {dest} failed: {exc.strerror or exc}; "
                                "target untouched") from exc
        finally:
            tmp.unlink(missing_ok=True)
        # the old file's WAL was checkpointed and truncated in _prepare_target; an empty -wal/-shm pair belongs to
        # no database now and SQLite rebuilds both on the next open
        wal, shm = Path(str(dest) + "-wal"), Path(str(dest) + "-shm")
        with contextlib.suppress(OSError):
            if wal.exists() and wal.stat().st_size == 0:
                wal.unlink()
            if not wal.exists():
                shm.unlink(missing_ok=True)

    @staticmethod
    def _prepare_target(dest: Path) -> str:
        """Settle the current target before it is swapped out: roll back a hot journal and checkpoint the WAL,
        either of which SQLite would otherwise replay onto the new file. Returns the journal mode to keep."""
        if not dest.exists():
            return "DELETE"
        if not _is_sqlite_file(dest):
            raise DatabaseError(f"{dest} exists and is not a SQLite database; refusing to replace it")
        conn = sqlite3.connect(dest)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).upper()
            if mode == "WAL":
                busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if busy and busy[0]:
                    raise DatabaseError(f"{dest} is in use (WAL checkpoint blocked); stop the app and retry")
        finally:
            conn.close()
        return "WAL" if mode == "WAL" else "DELETE"

    @staticmethod
    def _path(target: DatabaseTarget) -> Path:
        if target.engine != "sqlite" or not target.database:
            raise DatabaseError(f"not a SQLite target: {target.display()}")
        return Path(target.database)


ENGINE = SQLiteEngine()
