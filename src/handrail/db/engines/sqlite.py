"""SQLite with the standard library only: page copies for dumps and restores, page checksums for snapshots.

A dump is a page-for-page copy taken inside one read transaction, so a dump taken while the app runs is
consistent; a restore is built in a temp file next to the target and swapped in with os.replace, so it can never
leave a half-written database behind.

Snapshots (what "verified" means here). A table's checksum covers the page numbers and bytes of its b-tree pages
(table, indexes, overflow pages, located with the `dbstat` table): a sha256 over per-chunk digests of 2,048
pages, each the sha256 of the page numbers plus a CRC-32 of the bytes; its row count is `count(*)`. Dumps and
restores are page copies, so a faithful restore has exactly these pages: equal checksums mean every byte of every
table and index came back (but for a 2^-32 chance per chunk of an accidental difference slipping through), a
stronger equality than comparing decoded rows. It is also stricter: VACUUM or REINDEX change pages without
changing rows, and count as a change. Freelist pages and the header are not compared. It proves nothing about the
rows being sane (a corrupt source copies faithfully): quick_check does, on every backup and before every real
restore. Checksums carry a
`p1:` prefix; without dbstat (some SQLite builds lack it), and for backups taken before the page scheme, the
older row-by-row checksum is used, which is the same for any faithful copy and about ten times slower.

The verify that follows a backup in the same process reuses the page map the backup walked (see
SQLiteEngine.restore_snapshot): the scratch copy is hashed by the source's map, behind the copy, once its
sqlite_master is shown to be the source's; later verifies (a restore's rehearsal) walk the dump's map again.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import mmap
import os
import queue
import shutil
import sqlite3
import tempfile
import threading
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

from handrail.db.engine import DatabaseError, DatabaseTarget, EngineName, Snapshot, TableStat
from handrail.db.engines._common import DumpResult

SQLITE_MAGIC = b"SQLite format 3\x00"
PAGE_SCHEME = "p1:"  # checksum prefix of page snapshots; anything else is the row-by-row scheme
STEP_PAGES = 1024  # backup API pages per step: one step for the whole file is ~1.7x slower than the CLI's steps
HASH_CHUNK_PAGES = 2048  # pages per parallel hashing task; chunk digests are combined per table
COPY_CHUNK = 1 << 20
SCRATCH_STEP = 32 << 20  # bytes per copy_file_range call of a scratch restore; hashing follows behind
KEPT_MAPS = 4  # page maps of this process's newest dumps, for the verify that follows the backup
SCRATCH_SOURCE = "scratch"


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
    """Read-only, so a typo in a path never creates an empty database that a later step would trust. Usable from
    the worker threads below (one thread at a time)."""
    if not path.is_file():
        raise DatabaseError(f"SQLite database {path} does not exist")
    if not _is_sqlite_file(path):
        raise DatabaseError(f"{path} is not a SQLite database")
    try:
        return sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, check_same_thread=False)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open SQLite database {path}: {_reason(exc)}") from exc


def _begin_read(conn: sqlite3.Connection) -> None:
    """Start a read transaction now (a SHARED lock, or a WAL read mark): everything read through `conn` until the
    rollback sees one state, and in rollback-journal mode no writer can commit meanwhile."""
    conn.execute("BEGIN")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()


def _has_dbstat(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("SELECT 1 FROM dbstat LIMIT 0").fetchall()
    except sqlite3.OperationalError:
        return False
    return True


def _file_is_current(conn: sqlite3.Connection, path: Path) -> bool:
    """Whether the file's bytes are the database `conn` reads: not so in WAL mode while the -wal file holds
    frames (checkpointed or not, we cannot tell), nor on Windows, whose locks forbid reading the lock page."""
    if os.name == "nt":
        return False
    mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
    if mode != "wal":
        return True
    wal = Path(str(path) + "-wal")
    return not wal.exists() or wal.stat().st_size == 0


def _check(conn: sqlite3.Connection) -> str | None:
    """PRAGMA quick_check: None when ok, else the first problem (and how many more)."""
    rows = conn.execute("PRAGMA quick_check").fetchall()
    problems = [str(r[0]) for r in rows if r[0] != "ok"]
    return None if not problems else f"quick_check: {problems[0]}" + (
        f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")


def _quick_check_file(path: Path) -> str | None:
    try:
        conn = _open_ro(path)
    except DatabaseError as exc:
        return str(exc)
    try:
        return _check(conn)
    except sqlite3.Error as exc:
        return f"quick_check failed: {_reason(exc)}"
    finally:
        conn.close()


def _runs(pages: list[int]) -> Iterator[tuple[int, int]]:
    """(first page, count) for each run of consecutive page numbers in a sorted list."""
    start = prev = pages[0]
    for n in pages[1:]:
        if n != prev + 1:
            yield start, prev - start + 1
            start = n
        prev = n
    yield start, prev - start + 1


def _hash_chunk(path: Path, page_size: int, pages: list[int]) -> bytes:
    """Digest of one chunk of a table's pages (sorted): sha256 of their numbers, CRC-32 of their bytes. CRC-32
    is 3x cheaper than sha256 here and, like CHECKSUM TABLE's, catches any accidental difference but for a
    2^-32 chance per chunk; the dump file itself is fingerprinted with sha256. Read through mmap: no copies,
    no system call per run of pages."""
    crc = 0
    if not pages:
        return hashlib.sha256(b"").digest() + crc.to_bytes(4, "big")
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if pages and pages[-1] * page_size > size:
            raise DatabaseError(f"{path} is shorter than its page map says")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            view = memoryview(mapped)
            try:
                for first, count in _runs(pages):
                    start = (first - 1) * page_size
                    crc = zlib.crc32(view[start:start + count * page_size], crc)
            finally:
                view.release()
    return hashlib.sha256(",".join(map(str, pages)).encode()).digest() + crc.to_bytes(4, "big")


def _copy_bytes(src: Path, dest: Path, size: int) -> str:
    """Copy the first `size` bytes of `src` to the existing file `dest`; sha256 of what was written. A WAL-mode
    header becomes a rollback-journal one (what PRAGMA journal_mode=DELETE writes), so opening the copy never
    leaves -wal/-shm files in the backup folder."""
    digest = hashlib.sha256()
    buf = bytearray(COPY_CHUNK)
    view = memoryview(buf)
    left = size
    first = True
    with src.open("rb", buffering=0) as fin, dest.open("r+b", buffering=0) as fout:
        while left:
            n = fin.readinto(view[: min(left, COPY_CHUNK)])
            if not n:
                raise DatabaseError(f"{src} is shorter than its page count says")
            if first and n >= 100 and buf[18:20] == b"\x02\x02":  # file format write/read version 2 = WAL
                buf[18:20] = b"\x01\x01"
            first = False
            digest.update(view[:n])
            done = 0
            while done < n:
                done += fout.write(view[done:n]) or 0
            left -= n
        fout.truncate(size)
    return digest.hexdigest()


_NO_COPY_RANGE = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM, errno.EBADF}


def _copy_hashing(src: Path, dest: Path, page_map: _PageMap,
                  pool: ThreadPoolExecutor) -> dict[str, list[Future[bytes]]]:
    """Copy `src` to the new file `dest` (0600) with copy_file_range in SCRATCH_STEP steps, submitting each hashing
    chunk of `dest` once its last page is written: hashing rides behind the copy on the other core, reading pages
    the copy just put in the page cache. A WAL-mode header is made a rollback-journal one, as in _restore_scratch.
    Not fsynced: a scratch copy is deleted right after."""
    pending = page_map.chunks()
    jobs: dict[str, list[Future[bytes]]] = {}
    fd_in = os.open(src, os.O_RDONLY)
    try:
        fd_out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            size = os.fstat(fd_in).st_size
            copied = done = 0
            in_kernel = True
            while copied < size:
                step = min(SCRATCH_STEP, size - copied)
                if in_kernel:
                    try:
                        n = os.copy_file_range(fd_in, fd_out, step, copied, copied)
                    except OSError as exc:  # e.g. EXDEV: the scratch folder is on another kind of filesystem
                        if exc.errno not in _NO_COPY_RANGE:
                            raise
                        in_kernel = False
                if not in_kernel:
                    n = os.pwrite(fd_out, os.pread(fd_in, step, copied), copied)
                if not n:
                    raise DatabaseError(f"{src} shrank while it was restored")
                if not copied and os.pread(fd_in, 20, 0)[18:20] == b"\x02\x02":
                    os.pwrite(fd_out, b"\x01\x01", 18)
                copied += n
                while done < len(pending) and pending[done][2][-1] * page_map.page_size <= copied:
                    name, _, pages = pending[done]
                    jobs.setdefault(name, []).append(pool.submit(_hash_chunk, dest, page_map.page_size, pages))
                    done += 1
        finally:
            os.close(fd_out)
    finally:
        os.close(fd_in)
    for name, _, pages in pending[done:]:  # pages past the end: _hash_chunk says the file is short
        jobs.setdefault(name, []).append(pool.submit(_hash_chunk, dest, page_map.page_size, pages))
    return jobs


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb", buffering=0) as fh:
        while chunk := fh.read(COPY_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _schema_digest(conn: sqlite3.Connection) -> str:
    """sha256 of sqlite_master (names, root pages, SQL): the entry points from which the mapped pages are read."""
    digest = hashlib.sha256()
    for row in conn.execute("SELECT type, name, tbl_name, rootpage, sql FROM sqlite_master ORDER BY type, name"):
        digest.update(repr(row).encode("utf-8", "surrogatepass") + b"\n")
    return digest.hexdigest()


def _identity(path: Path) -> tuple[int, int, int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


_kept: dict[tuple[int, int, int, int], _PageMap] = {}
_kept_lock = threading.Lock()


def _keep_map(dump: Path, page_map: _PageMap) -> None:
    """Remember the map a backup walked, keyed by the dump file's identity (device, inode, size, mtime; the
    catalog renames the dump, which keeps all four), so the verify right after does not walk dbstat again."""
    with contextlib.suppress(OSError), _kept_lock:
        _kept[_identity(dump)] = page_map
        while len(_kept) > KEPT_MAPS:
            del _kept[next(iter(_kept))]


def _kept_map(dump: Path) -> _PageMap | None:
    """The map `_keep_map` stored for this very file, unchanged since (taken out: one verify per backup)."""
    try:
        key = _identity(dump)
    except OSError:
        return None
    with _kept_lock:
        return _kept.pop(key, None)


class _PageMap:
    """Which pages belong to each user table (its own b-tree, its indexes, their overflow pages) and its rows."""

    def __init__(self, conn: sqlite3.Connection, tables: list[str], count: bool = True,
                 also: sqlite3.Connection | None = None) -> None:
        """`also`: a second connection to the same unchanging file, to walk half the b-trees at once."""
        owner = {n: n for n in tables}
        for idx, tbl in conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'"):
            if tbl in owner:
                owner[idx] = tbl
        self.tables = tables
        self.pages: dict[str, list[int]] = {n: [] for n in tables}
        if also is None:
            found = conn.execute("SELECT name, group_concat(pageno) FROM dbstat GROUP BY name").fetchall()
        else:
            todo: queue.SimpleQueue[str] = queue.SimpleQueue()
            for name in owner:
                todo.put(name)

            def walk(c: sqlite3.Connection) -> list[tuple[str, str | None]]:
                out = []
                while True:
                    try:
                        name = todo.get_nowait()
                    except queue.Empty:
                        return out
                    row = c.execute("SELECT group_concat(pageno) FROM dbstat WHERE name = ?", (name,)).fetchone()
                    out.append((name, row[0] if row else None))

            with ThreadPoolExecutor(2) as pool:
                halves = [pool.submit(walk, c) for c in (conn, also)]
            found = [item for half in halves for item in half.result()]
        for name, numbers in found:
            table = owner.get(name)
            if table is not None and numbers:
                self.pages[table].extend(map(int, str(numbers).split(",")))
        for numbers in self.pages.values():
            numbers.sort()
        self.rows = _counts(conn, tables) if count else {}
        self.page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        self.schema = _schema_digest(conn)

    def chunks(self) -> list[tuple[str, int, list[int]]]:
        """(table, chunk number, pages) of every hashing task, in the order the file holds their last page."""
        out = [(name, i // HASH_CHUNK_PAGES, pages[i:i + HASH_CHUNK_PAGES])
               for name in self.tables for pages in [self.pages.get(name, [])]
               for i in range(0, len(pages), HASH_CHUNK_PAGES)]
        out.sort(key=lambda c: c[2][-1])
        return out

    def combine(self, jobs: dict[str, list[Future[bytes]]], tables: list[str], rows: dict[str, int]) -> Snapshot:
        """A table's checksum is the sha256 of its chunks' digests (none: a table without pages)."""
        stats = []
        for name in tables:
            digest = hashlib.sha256(f"{PAGE_SCHEME}{self.page_size}\n".encode())
            for job in jobs.get(name, []):
                digest.update(job.result())
            stats.append(TableStat(name=name, rows=rows[name], checksum=PAGE_SCHEME + digest.hexdigest()))
        return Snapshot(tuple(stats))

    def snapshot(self, path: Path, pool: ThreadPoolExecutor) -> Snapshot:
        """Hash `path`'s pages (a file whose bytes are the database this map was read from), in parallel
        chunks."""
        jobs: dict[str, list[Future[bytes]]] = {}
        for name, _, pages in self.chunks():
            jobs.setdefault(name, []).append(pool.submit(_hash_chunk, path, self.page_size, pages))
        return self.combine(jobs, self.tables, self.rows)


def _counts(conn: sqlite3.Connection, tables: list[str]) -> dict[str, int]:
    return {n: int(conn.execute(f"SELECT count(*) FROM {_q(n)}").fetchone()[0]) for n in tables}


def _tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").fetchall()
    # virtual tables (FTS, R*Tree) store their content in shadow tables, which are snapshotted themselves
    # and need no extension loaded
    out = []
    for name, sql in rows:
        text = sql.decode("utf-8", "replace") if isinstance(sql, bytes) else (sql or "")
        if not text.upper().lstrip().startswith("CREATE VIRTUAL"):
            out.append(name.decode() if isinstance(name, bytes) else name)
    return out


@contextlib.contextmanager
def _private_dir(near: Path) -> Iterator[str]:
    """A 0700 temp folder beside `near` (same disk as the database), else in the system temp folder."""
    try:
        cm = tempfile.TemporaryDirectory(prefix=".handrail-snapshot-", dir=near)
    except OSError:
        cm = tempfile.TemporaryDirectory(prefix="handrail-snapshot-")
    with cm as tmp:
        yield tmp


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
        SQLiteEngine.backup_checked(self, target, dest)

    def backup_checked(self, target: DatabaseTarget, dest: Path) -> DumpResult:
        """Dump `target` to `dest` (created 0600) and, in the same read transaction, snapshot it; the dump also
        passes quick_check. Raises DatabaseError.

        In rollback-journal mode (no writer can commit while we read) the file's bytes are the database, so the
        dump is a plain byte copy, hashed as it is written, and the snapshot hashes the source's own pages while
        the copy is fsynced and checked: the full verify then really compares the restore with the source. In WAL
        mode SQLite's backup API makes the copy and the page checksums are taken from it (the API copies pages
        verbatim, so they are the source's); the row counts still come from the source."""
        src_path = self._path(target)
        src = _open_ro(src_path)
        try:
            fd = os.open(dest, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except OSError as exc:
            src.close()
            raise DatabaseError(f"cannot create backup file {dest}: {exc.strerror}") from exc
        os.close(fd)
        try:
            _begin_read(src)
            tables = _tables(src)
            if _has_dbstat(src) and _file_is_current(src, src_path):
                return self._copy_file(src, src_path, tables, dest)
            return self._copy_pages(src, tables, dest)
        except sqlite3.Error as exc:
            raise DatabaseError(f"SQLite backup of {src_path} failed: {_reason(exc)}") from exc
        except OSError as exc:
            raise DatabaseError(f"SQLite backup to {dest} failed: {exc.strerror or exc}") from exc
        finally:
            src.close()

    @staticmethod
    def _copy_file(src: sqlite3.Connection, src_path: Path, tables: list[str], dest: Path) -> DumpResult:
        size = int(src.execute("PRAGMA page_count").fetchone()[0]) * int(
            src.execute("PRAGMA page_size").fetchone()[0])

        def source_side() -> tuple[Snapshot | None, str | None, _PageMap]:
            # on the source, in the same read transaction, while the main thread copies its bytes
            page_map = _PageMap(src, tables)
            problem = _check(src)
            if problem:
                return None, problem, page_map
            with ThreadPoolExecutor(1) as one:
                return page_map.snapshot(src_path, one), None, page_map

        with ThreadPoolExecutor(1) as pool:
            side = pool.submit(source_side)
            sha = _copy_bytes(src_path, dest, size)
            _fsync(dest)
            snap, problem, page_map = side.result()
        if problem or snap is None:
            raise DatabaseError(f"{src_path} failed its check: {problem}")
        _keep_map(dest, page_map)  # the dump is a byte copy: the source's map is its map
        return DumpResult(sha256=sha, snapshot=snap, check="archive check passed")

    @staticmethod
    def _copy_pages(src: sqlite3.Connection, tables: list[str], dest: Path) -> DumpResult:
        rows = _counts(src, tables)
        pages = _has_dbstat(src)
        logical = None if pages else SQLiteEngine._logical(src, tables)
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst, pages=STEP_PAGES)  # uses src's open read transaction for every step
            # a WAL-mode source gives a WAL-mode copy, which would leave -wal/-shm files in the backup folder
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
        page_map = None
        with ThreadPoolExecutor(3) as pool:
            synced = pool.submit(_fsync, dest)
            sha = pool.submit(_file_sha256, dest)
            checked = pool.submit(_quick_check_file, dest)
            if logical is None:
                copy = _open_ro(dest)
                try:
                    _begin_read(copy)
                    page_map = _PageMap(copy, tables)
                    page_map.rows = rows
                    logical = page_map.snapshot(dest, pool)
                finally:
                    copy.close()
            synced.result()
            problem = checked.result()
        if problem:
            raise DatabaseError(f"the copy failed its check: {problem}")
        if page_map is not None:
            _keep_map(dest, page_map)
        return DumpResult(sha256=sha.result(), snapshot=logical, check="archive check passed")

    def snapshot(self, target: DatabaseTarget) -> Snapshot:
        return self.snapshot_like(target, None)

    def snapshot_like(self, target: DatabaseTarget, like: Snapshot | None) -> Snapshot:
        """A snapshot comparable with `like`: page checksums, unless `like` holds row-by-row ones (a backup
        taken before the page scheme, or on a Python whose SQLite lacks dbstat)."""
        path = self._path(target)
        conn = _open_ro(path)
        try:
            want_pages = like is None or not like.tables or all(
                t.checksum.startswith(PAGE_SCHEME) for t in like.tables)
            _begin_read(conn)
            tables = _tables(conn)
            if not want_pages or not _has_dbstat(conn):
                if want_pages and like is not None and like.tables:
                    raise DatabaseError("this backup's checksums need SQLite's dbstat table, which this Python's "
                                        "SQLite lacks")
                return Snapshot(self._logical(conn, tables))
            if _file_is_current(conn, path):
                with ThreadPoolExecutor(2) as pool:
                    return _PageMap(conn, tables).snapshot(path, pool)
            # WAL frames not in the file yet: snapshot a page copy made in this read transaction
            with _private_dir(path.parent) as tmp:
                copy_path = Path(tmp) / "snapshot.sqlite3"
                copy = sqlite3.connect(copy_path)
                try:
                    conn.backup(copy, pages=STEP_PAGES)
                    copy.execute("PRAGMA journal_mode=DELETE")
                finally:
                    copy.close()
                copy_conn = _open_ro(copy_path)
                try:
                    _begin_read(copy_conn)
                    with ThreadPoolExecutor(2) as pool:
                        return _PageMap(copy_conn, tables).snapshot(copy_path, pool)
                finally:
                    copy_conn.close()
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot read SQLite database {path}: {_reason(exc)}") from exc
        finally:
            conn.close()

    def restore_snapshot(self, dump: Path, scratch: DatabaseTarget, like: Snapshot | None) -> Snapshot:
        """`restore_into(dump, scratch)` then `snapshot_like(scratch, like)`, overlapped: the restore into a fresh
        scratch database is a byte copy, so the page map is walked on the dump while the copy runs, and then the
        scratch's own pages are hashed by that map and its own tables counted. A copy that differs anywhere in a
        table's pages gives another checksum; a map walked on a damaged dump selects other pages than the
        source's, which gives another checksum too.

        Right after `backup_checked` in this process (a backup's own verify) the map the backup walked on the
        source is reused instead (kept for that dump file, unchanged since): the scratch is copied in steps and
        each chunk is hashed as soon as its pages are in, from the page cache. Equal checksums then say the
        scratch holds the source's bytes at every page of every table and index, and its sqlite_master (names,
        root pages, SQL) is the source's, checked before the checksums are trusted: the same b-trees, so the same
        rows. A different sqlite_master falls back to walking the scratch's own pages."""
        dest = self._path(scratch)
        want_pages = like is None or not like.tables or all(t.checksum.startswith(PAGE_SCHEME) for t in like.tables)
        if not want_pages or scratch.source != SCRATCH_SOURCE or dest.exists():
            self.restore_into(dump, scratch)
            return self.snapshot_like(scratch, like)
        kept = _kept_map(dump) if hasattr(os, "copy_file_range") else None
        if kept is not None:
            return self._restore_hashing(dump, dest, kept)
        src = _open_ro(dump) if dump.is_file() else None
        if src is None or not _has_dbstat(src):
            if src is not None:
                src.close()
            self.restore_into(dump, scratch)
            return self.snapshot_like(scratch, like)
        also = _open_ro(dump)
        try:
            with ThreadPoolExecutor(2) as pool:
                _begin_read(src)
                mapped = pool.submit(_PageMap, src, _tables(src), False, also)
                self._restore_scratch(dump, dest)
                page_map = mapped.result()
                out = _open_ro(dest)
                try:
                    _begin_read(out)
                    page_map.tables = _tables(out)
                    page_map.rows = _counts(out, page_map.tables)
                    for name in page_map.tables:
                        page_map.pages.setdefault(name, [])
                    return page_map.snapshot(dest, pool)
                finally:
                    out.close()
        except sqlite3.Error as exc:
            raise DatabaseError(f"restored copy of {dump.name} is unreadable: {_reason(exc)}") from exc
        finally:
            src.close()
            also.close()

    @staticmethod
    def _restore_hashing(dump: Path, dest: Path, page_map: _PageMap) -> Snapshot:
        """Copy `dump` to the new file `dest` and hash `dest` by `page_map` while the copy runs."""
        if not dump.is_file() or not _is_sqlite_file(dump):
            raise DatabaseError(f"refusing to restore {dump.name}: not a SQLite database")
        try:
            with ThreadPoolExecutor(2) as pool:
                jobs = _copy_hashing(dump, dest, page_map, pool)
                out = _open_ro(dest)
                try:
                    _begin_read(out)
                    tables = _tables(out)
                    if _schema_digest(out) != page_map.schema:  # not the source's b-trees: map the scratch's own
                        for job in (j for js in jobs.values() for j in js):
                            job.cancel()
                        return _PageMap(out, tables).snapshot(dest, pool)
                    return page_map.combine(jobs, tables, _counts(out, tables))
                finally:
                    out.close()
        except sqlite3.Error as exc:
            raise DatabaseError(f"restored copy of {dump.name} is unreadable: {_reason(exc)}") from exc
        except OSError as exc:
            raise DatabaseError(f"SQLite restore into {dest} failed: {exc.strerror or exc}") from exc

    @staticmethod
    def _logical(conn: sqlite3.Connection, tables: list[str]) -> tuple[TableStat, ...]:
        """Row-by-row checksums (the scheme before page checksums)."""
        factory = conn.text_factory
        conn.text_factory = bytes  # invalid UTF-8 in a TEXT column must hash, not crash
        try:
            return tuple(SQLiteEngine._table_stat(conn, name) for name in tables)
        finally:
            conn.text_factory = factory

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
            yield DatabaseTarget(engine="sqlite", url=f"sqlite:///{path}", source=SCRATCH_SOURCE,
                                 database=str(path))

    def check_archive(self, dump: Path) -> str | None:
        """`--verify fast`: None when the dump passes PRAGMA quick_check, else one line saying what is wrong."""
        return _quick_check_file(dump)

    def restore_into(self, dump: Path, target: DatabaseTarget) -> None:
        """Build the restored database in a temp file beside the target, prove it with quick_check, fsync, then
        os.replace: the target is either the old file or the complete new one.

        Into a fresh scratch database (a verify or a rehearsal) the dump is copied byte for byte, not checked and
        not fsynced (the folder is deleted right after): the snapshot that follows hashes every page of every
        table and index, which proves more about the copy than quick_check, and a damaged page shows there."""
        dest = self._path(target)
        if target.source == SCRATCH_SOURCE and not dest.exists():
            self._restore_scratch(dump, dest)
            return
        if problem := self.check_archive(dump):
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
                    _begin_read(src)
                    src.backup(out, pages=STEP_PAGES)
                    out.execute(f"PRAGMA journal_mode={journal}")
                    if _check(out) is not None:
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
    def _restore_scratch(dump: Path, dest: Path) -> None:
        if not dump.is_file() or not _is_sqlite_file(dump):
            raise DatabaseError(f"refusing to restore {dump.name}: not a SQLite database")
        try:
            shutil.copyfile(dump, dest)
            os.chmod(dest, 0o600)
            with dest.open("r+b", buffering=0) as fh:  # a WAL-mode header would make readers create -wal files
                if fh.read(20)[18:20] == b"\x02\x02":
                    fh.seek(18)
                    fh.write(b"\x01\x01")
        except OSError as exc:
            raise DatabaseError(f"SQLite restore into {dest} failed: {exc.strerror or exc}") from exc

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
