"""Take a backup that is proven restorable, and restore one without ever half-restoring.

A dump nobody has restored is a hope, not a backup: `take_backup` restores it into a scratch database and compares
per-table row counts and checksums with the source before it is recorded. `restore_backup` refuses a file whose
sha256 changed, rehearses on a scratch database against the snapshot taken at backup time, and only then touches
the target. A failure at any step leaves no partial file and no index entry.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import subprocess
import zlib
from dataclasses import asdict
from pathlib import Path
from typing import Literal, cast

from handrail.db.catalog import BackupRecord, Catalog, new_backup_id, utc_now_iso, write_private
from handrail.db.engine import DatabaseError, DatabaseTarget, Engine, Snapshot, TableStat
from handrail.db.engines._common import DumpResult

VerifyMode = Literal["full", "fast"]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def snapshot_to_json(snap: Snapshot) -> bytes:
    return (json.dumps({"tables": [asdict(t) for t in snap.tables]}, indent=1) + "\n").encode()


def snapshot_from_json(data: bytes) -> Snapshot:
    return Snapshot(tuple(TableStat(**t) for t in json.loads(data)["tables"]))


def _summary(diffs: list[str]) -> str:
    return diffs[0] + (f" (+{len(diffs) - 1} more)" if len(diffs) > 1 else "")


def check_archive(engine: Engine, dump: Path) -> str | None:
    """`--verify fast`: None when the archive looks complete, else one line. The Engine protocol has no such
    method, so an engine's own `check_archive` is used when it has one (SQLite: PRAGMA quick_check), else a
    check by format: `pg_restore --list` reads a custom-format archive's table of contents, and a gzipped
    mysqldump/mariadb-dump must decompress cleanly and end with its `-- Dump completed` trailer."""
    check = getattr(engine, "check_archive", None)
    if check is not None:
        result: str | None = check(dump)
        return result
    if engine.name == "postgresql":
        tool = str(getattr(engine, "pg_restore", "pg_restore"))
        try:
            proc = subprocess.run([tool, "--list", str(dump)], capture_output=True, timeout=600, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"cannot run {tool} --list: {exc.__class__.__name__}"
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        return None if proc.returncode == 0 else f"{tool} --list: {lines[-1] if lines else 'failed'}"
    if engine.name == "mysql":
        return _check_sql_dump(dump)
    return f"{engine.name} has no fast archive check; use --verify full"


def _check_sql_dump(dump: Path) -> str | None:
    tail = b""
    try:
        opener = gzip.open if dump.name.endswith(".gz") else open
        with opener(dump, "rb") as fh:
            while chunk := fh.read(1 << 20):
                tail = (tail + chunk)[-4096:]
    except (OSError, EOFError, zlib.error) as exc:
        return f"archive is damaged ({exc.__class__.__name__})"
    return None if b"-- Dump completed" in tail else "dump is incomplete (no '-- Dump completed' trailer)"


def take_backup(engine: Engine, target: DatabaseTarget, catalog: Catalog, verify: VerifyMode = "full",
                command: str | None = None) -> BackupRecord:
    """Snapshot, dump to a temp name in the catalog folder, checksum, verify, then record. Raises DatabaseError
    (one line) on any failure, having removed every file it wrote. An engine with `backup_checked` takes the
    snapshot, the sha256 and the archive check while it writes the dump (see DumpResult)."""
    if verify not in ("full", "fast"):
        raise DatabaseError(f"unknown verify mode {verify!r} (full or fast)")
    if target.engine != engine.name:
        raise DatabaseError(f"engine {engine.name} cannot back up a {target.engine} database")
    missing = engine.available()
    if missing:
        raise DatabaseError(missing)
    catalog.ensure()
    backup_id = new_backup_id()
    final = catalog.folder / f"{backup_id}{engine.dump_suffix}"
    partial = catalog.folder / f".{backup_id}.partial{engine.dump_suffix}"
    snap_path = catalog.folder / f"{backup_id}.snapshot.json"
    written = [partial, final, snap_path]
    try:
        checked = getattr(engine, "backup_checked", None)
        done: DumpResult | None = None
        before = None if checked is not None else engine.snapshot(target)
        try:
            if checked is not None:
                done = checked(target, partial)
                before = done.snapshot
            else:
                engine.backup(target, partial)
        except OSError as exc:  # an engine that let a filesystem error through
            raise DatabaseError(f"backup to {catalog.folder} failed: {exc.strerror or exc}") from exc
        if not partial.is_file():
            raise DatabaseError(f"{engine.name} backup wrote no file")
        assert before is not None
        os.chmod(partial, 0o600)
        sha, size = (done.sha256 if done else file_sha256(partial)), partial.stat().st_size
        detail = _verify(engine, target, partial, before, verify, done.check if done else "")
        snap_bytes = snapshot_to_json(before)
        write_private(snap_path, snap_bytes)
        os.replace(partial, final)
        record = BackupRecord(
            id=backup_id, engine=engine.name, created=utc_now_iso(), size=size, sha256=sha,
            source=target.display(), project=str(catalog.project) if catalog.project else None, file=final.name,
            snapshot_file=snap_path.name, snapshot_sha256=hashlib.sha256(snap_bytes).hexdigest(), command=command,
            verified=True, verify_detail=detail, folder=catalog.folder)
        return catalog.add(record)
    except OSError as exc:
        _cleanup(written)
        raise DatabaseError(f"backup to {catalog.folder} failed: {exc.strerror or exc}") from exc
    except BaseException:
        _cleanup(written)
        raise


def _cleanup(paths: list[Path]) -> None:
    for path in paths:
        for extra in ("", "-journal", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                Path(str(path) + extra).unlink(missing_ok=True)


def _snapshot(engine: Engine, target: DatabaseTarget, like: Snapshot) -> Snapshot:
    """`engine.snapshot`, in the checksum scheme of `like` when the engine has more than one (SQLite: page
    checksums, or row-by-row ones in backups taken before them)."""
    same_scheme = getattr(engine, "snapshot_like", None)
    return engine.snapshot(target) if same_scheme is None else cast(Snapshot, same_scheme(target, like))


def _restore_snapshot(engine: Engine, dump: Path, scratch: DatabaseTarget, like: Snapshot) -> Snapshot:
    """Restore `dump` into the fresh `scratch` database and snapshot it, in one engine call when the engine can
    overlap the two (SQLite: see SQLiteEngine.restore_snapshot)."""
    both = getattr(engine, "restore_snapshot", None)
    if both is not None:
        return cast(Snapshot, both(dump, scratch, like))
    engine.restore_into(dump, scratch)
    return _snapshot(engine, scratch, like)


def _verify(engine: Engine, target: DatabaseTarget, dump: Path, before: Snapshot, mode: VerifyMode,
            checked: str = "") -> str:
    """The one-line verification detail stored in the index; raises when the dump does not hold the data.
    `checked`: the archive check the engine already did while writing the dump (then the fast mode does not
    read the dump again)."""
    if mode == "fast":
        if checked:
            return f"fast: {checked} (not restored)"
        problem = check_archive(engine, dump)
        if problem:
            raise DatabaseError(f"backup failed its archive check: {problem}")
        return "fast: archive check passed (not restored)"
    with engine.scratch(target) as scratch:
        restored = _restore_snapshot(engine, dump, scratch, before)
    diffs = before.differences(restored)
    if diffs:
        # a mismatch is either a bad dump or writes during the backup: say which
        if _snapshot(engine, target, before).differences(before):
            raise DatabaseError("the database changed while it was being backed up; stop the app's writers and "
                                "retry")
        raise DatabaseError(f"backup did not verify: {_summary(diffs)}")
    rows = sum(t.rows for t in before.tables)
    return f"full: restored into a scratch database, {len(before.tables)} tables and {rows} rows match"


def restore_backup(engine: Engine, record: BackupRecord, target: DatabaseTarget,
                   notes: list[str] | None = None) -> Snapshot:
    """Restore `record` into `target`, only after the file's sha256 and a scratch rehearsal both check out.
    Returns the target's snapshot afterwards; `notes` gets what the user must know (e.g. where the previous
    state was kept)."""
    if record.engine != engine.name or target.engine != engine.name:
        raise DatabaseError(f"backup {record.id} is a {record.engine} backup; it cannot be restored into "
                            f"{target.display()}")
    try:
        actual = file_sha256(record.path)
        snap_bytes = record.snapshot_path.read_bytes()
    except FileNotFoundError as exc:
        raise DatabaseError(f"backup {record.id}: file {Path(exc.filename or '').name} is missing from "
                            f"{record.folder}") from exc
    except OSError as exc:
        raise DatabaseError(f"backup {record.id}: cannot read {exc.filename}: {exc.strerror}") from exc
    if actual != record.sha256:
        raise DatabaseError(f"backup {record.id} is corrupted: sha256 is {actual[:12]}…, the catalog recorded "
                            f"{record.sha256[:12]}…; refusing to restore")
    if hashlib.sha256(snap_bytes).hexdigest() != record.snapshot_sha256:
        raise DatabaseError(f"backup {record.id}: its snapshot file was modified; refusing to restore")
    try:
        expected = snapshot_from_json(snap_bytes)
    except (ValueError, KeyError, TypeError) as exc:
        raise DatabaseError(f"backup {record.id}: snapshot file is unreadable") from exc
    with engine.scratch(target) as scratch:
        diffs = expected.differences(_restore_snapshot(engine, record.path, scratch, expected))
    if diffs:
        raise DatabaseError(f"backup {record.id} does not match its backup-time snapshot ({_summary(diffs)}); "
                            "refusing to restore")
    swap = getattr(engine, "replace_with", None)
    if swap is not None:  # engines that can restore beside the target and swap it in never half-restore
        note = swap(record.path, target)
        if notes is not None and note:
            notes.append(note)
    else:
        engine.restore_into(record.path, target)
    after = _snapshot(engine, target, expected)
    diffs = expected.differences(after)
    if diffs:
        raise DatabaseError(f"restored {record.id} into {target.display()} but it differs from the backup: "
                            f"{_summary(diffs)}")
    return after
