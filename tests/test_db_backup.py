"""take_backup / restore_backup on real SQLite files: verified backups, refused corrupt ones, no partial state."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest
from test_db_sqlite import make_app_db, mounted_tmpfs

from handrail.db.backup import _verify, check_archive, restore_backup, take_backup
from handrail.db.catalog import Catalog
from handrail.db.engine import DatabaseError, DatabaseTarget
from handrail.db.engines import load_engine
from handrail.db.engines.sqlite import ENGINE, SQLiteEngine


def _catalog(tmp_path: Path, folder: Path | None = None) -> Catalog:
    return Catalog(folder or tmp_path / "backups", project=tmp_path / "app")


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _break_migration(target: DatabaseTarget) -> None:
    """What a half-applied migration leaves behind on an engine without transactional DDL."""
    conn = sqlite3.connect(target.database or "")
    conn.execute("ALTER TABLE users ADD COLUMN plan TEXT")
    conn.execute("DELETE FROM orders WHERE id % 2 = 0")
    conn.execute("DROP TABLE settings")
    conn.commit()
    conn.close()


def test_full_backup_is_verified_recorded_and_private(tmp_path: Path) -> None:
    target = make_app_db(tmp_path / "app.db")
    cat = _catalog(tmp_path)
    rec = take_backup(ENGINE, target, cat, command="php artisan migrate --force")
    assert rec.verified and rec.verify_detail.startswith("full: restored into a scratch database, 5 tables")
    assert rec.source == f"sqlite:///{tmp_path / 'app.db'}" and rec.engine == "sqlite"
    assert rec.size == rec.path.stat().st_size and len(rec.sha256) == 64
    assert stat.S_IMODE(cat.folder.stat().st_mode) == 0o700
    for name in _files(cat.folder):
        if name != ".lock":
            assert stat.S_IMODE((cat.folder / name).stat().st_mode) == 0o600, name
    assert _files(cat.folder) == sorted([".lock", "index.json", rec.file, rec.snapshot_file])
    snap = json.loads(rec.snapshot_path.read_text())
    assert {t["name"]: t["rows"] for t in snap["tables"]}["orders"] == 150
    assert cat.get(rec.id) == rec and cat.get(rec.id).command == "php artisan migrate --force"


def test_fast_backup_checks_the_archive_only(tmp_path: Path) -> None:
    rec = take_backup(ENGINE, make_app_db(tmp_path / "app.db"), _catalog(tmp_path), verify="fast")
    assert rec.verified and rec.verify_detail == "fast: archive check passed (not restored)"


def test_restore_undoes_a_half_applied_migration(tmp_path: Path) -> None:
    target = make_app_db(tmp_path / "app.db", wal=True)
    cat = _catalog(tmp_path)
    before = ENGINE.snapshot(target)
    rec = take_backup(ENGINE, target, cat)
    _break_migration(target)
    assert before.differences(ENGINE.snapshot(target))
    after = restore_backup(ENGINE, cat.get(rec.id), target)
    assert before.differences(after) == []
    conn = sqlite3.connect(target.database or "")
    assert "plan" not in [r[1] for r in conn.execute("PRAGMA table_info(users)")]
    conn.close()


def test_restore_to_a_new_file(tmp_path: Path) -> None:
    target = make_app_db(tmp_path / "app.db")
    rec = take_backup(ENGINE, target, _catalog(tmp_path))
    other = DatabaseTarget(engine="sqlite", url="x", source="--to", database=str(tmp_path / "copy.db"))
    assert ENGINE.snapshot(target).differences(restore_backup(ENGINE, rec, other)) == []


def test_corrupted_backup_is_refused_and_target_untouched(tmp_path: Path) -> None:
    target = make_app_db(tmp_path / "app.db")
    cat = _catalog(tmp_path)
    rec = take_backup(ENGINE, target, cat)
    _break_migration(target)
    broken = (tmp_path / "app.db").read_bytes()
    data = bytearray(rec.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    os.chmod(rec.path, 0o600)
    rec.path.write_bytes(bytes(data))
    with pytest.raises(DatabaseError, match=rf"backup {rec.id} is corrupted: sha256 is .*refusing to restore"):
        restore_backup(ENGINE, cat.get(rec.id), target)
    assert (tmp_path / "app.db").read_bytes() == broken


def test_tampered_snapshot_or_missing_file_is_refused(tmp_path: Path) -> None:
    target = make_app_db(tmp_path / "app.db")
    cat = _catalog(tmp_path)
    rec = take_backup(ENGINE, target, cat)
    rec.snapshot_path.write_text('{"tables": []}\n')
    with pytest.raises(DatabaseError, match=r"snapshot file was modified"):
        restore_backup(ENGINE, rec, target)
    rec.path.unlink()
    with pytest.raises(DatabaseError, match=rf"file {rec.file} is missing"):
        restore_backup(ENGINE, rec, target)


class _LossyEngine(SQLiteEngine):
    """A restore that silently loses a row: the failure verification exists to catch."""

    restore_snapshot = None  # type: ignore[assignment]  # the generic path: restore_into, then snapshot

    def restore_into(self, dump: Path, target: DatabaseTarget) -> None:
        super().restore_into(dump, target)
        conn = sqlite3.connect(target.database or "")
        conn.execute("DELETE FROM orders WHERE id = 1")
        conn.commit()
        conn.close()


class _BusyEngine(SQLiteEngine):
    """The app writes between the source snapshot and the dump (which SQLite's own `backup_checked` rules out by
    taking both in one read transaction; engines without it snapshot first, then dump)."""

    backup_checked = None  # type: ignore[assignment]

    def backup(self, target: DatabaseTarget, dest: Path) -> None:
        conn = sqlite3.connect(target.database or "")
        conn.execute("INSERT INTO users (email) VALUES ('late@example.com')")
        conn.commit()
        conn.close()
        super().backup(target, dest)


def test_unverifiable_backup_leaves_nothing(tmp_path: Path) -> None:
    target = make_app_db(tmp_path / "app.db")
    cat = _catalog(tmp_path)
    with pytest.raises(DatabaseError, match=r"backup did not verify: table orders: 150 rows, restored 149"):
        take_backup(_LossyEngine(), target, cat)
    with pytest.raises(DatabaseError, match=r"changed while it was being backed up"):
        take_backup(_BusyEngine(), target, cat)
    assert _files(cat.folder) == []
    assert cat.list() == []


def test_restore_refuses_a_backup_that_no_longer_matches(tmp_path: Path) -> None:
    target = make_app_db(tmp_path / "app.db")
    cat = _catalog(tmp_path)
    rec = take_backup(ENGINE, target, cat)
    _break_migration(target)
    broken = (tmp_path / "app.db").read_bytes()
    with pytest.raises(DatabaseError, match=r"does not match its backup-time snapshot.*refusing"):
        restore_backup(_LossyEngine(), rec, target)
    assert (tmp_path / "app.db").read_bytes() == broken


def test_dump_error_leaves_no_file_and_no_entry(tmp_path: Path) -> None:
    (tmp_path / "app.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 84 + b"garbage" * 200)
    target = DatabaseTarget(engine="sqlite", url="x", source="test", database=str(tmp_path / "app.db"))
    cat = _catalog(tmp_path)
    with pytest.raises(DatabaseError) as err:
        take_backup(ENGINE, target, cat)
    assert "\n" not in str(err.value)
    assert _files(cat.folder) == []


def test_folder_that_cannot_exist(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    cat = _catalog(tmp_path, tmp_path / "afile" / "backups")
    with pytest.raises(DatabaseError, match=r"cannot create backup folder .*: Not a directory"):
        take_backup(ENGINE, make_app_db(tmp_path / "app.db"), cat)


def test_unwritable_folder(tmp_path: Path) -> None:
    target = make_app_db(tmp_path / "app.db")
    if os.geteuid() != 0:
        folder = tmp_path / "ro"
        folder.mkdir(mode=0o500)
        cat = _catalog(tmp_path, folder)
        with pytest.raises(DatabaseError, match=r"not writable"):
            take_backup(ENGINE, target, cat)
        assert _files(folder) == []
        return
    with mounted_tmpfs(tmp_path / "ro", "1m", readonly=True) as ro:
        cat = _catalog(tmp_path, ro / "backups")
        with pytest.raises(DatabaseError, match=r"cannot create backup folder .*Read-only file system"):
            take_backup(ENGINE, target, cat)
        assert _files(ro) == []


def test_full_disk(tmp_path: Path) -> None:
    target = make_app_db(tmp_path / "app.db", users=2000)
    with mounted_tmpfs(tmp_path / "disk", "128k") as disk:
        cat = _catalog(tmp_path, disk / "backups")
        with pytest.raises(DatabaseError, match=r"full") as err:
            take_backup(ENGINE, target, cat)
        assert "\n" not in str(err.value)
        assert _files(cat.folder) == []


def test_wrong_engine_target_never_shows_password(tmp_path: Path) -> None:
    pg = DatabaseTarget(engine="postgresql", url="postgresql://u:hunter2hunter2@h/db", source="DATABASE_URL",
                        host="h", user="u", password="hunter2hunter2", database="db")
    cat = _catalog(tmp_path)
    rec = take_backup(ENGINE, make_app_db(tmp_path / "app.db"), cat)
    with pytest.raises(DatabaseError) as err:
        restore_backup(ENGINE, rec, pg)
    assert "hunter2" not in str(err.value) and "postgresql://u:***@h/db" in str(err.value)
    with pytest.raises(DatabaseError) as err:
        take_backup(ENGINE, pg, cat)
    assert "hunter2" not in str(err.value)
    assert "hunter2" not in cat.index_path.read_text()


def test_fast_check_of_mysql_dumps(tmp_path: Path) -> None:
    """The format-level check used for `--verify fast` when an engine has no check_archive of its own."""
    mysql = load_engine("mysql")
    body = b"-- MariaDB dump 10.19\nCREATE TABLE `users` (`id` int);\nINSERT INTO `users` VALUES (1);\n"
    good = tmp_path / "good.sql.gz"
    good.write_bytes(gzip.compress(body + b"-- Dump completed on 2026-11-25 17:01:02\n"))
    cut = tmp_path / "cut.sql.gz"
    cut.write_bytes(gzip.compress(body))
    torn = tmp_path / "torn.sql.gz"
    torn.write_bytes(good.read_bytes()[:-12])
    assert check_archive(mysql, good) is None
    assert check_archive(mysql, cut) == "dump is incomplete (no '-- Dump completed' trailer)"
    assert check_archive(mysql, torn) == "archive is damaged (EOFError)"


def test_fast_check_of_a_postgres_archive(tmp_path: Path) -> None:
    if shutil.which("pg_restore") is None:
        pytest.skip("pg_restore is not installed")
    bogus = tmp_path / "x.pgdump"
    bogus.write_bytes(b"PGDMP" + b"\x00" * 10)
    problem = check_archive(load_engine("postgresql"), bogus)
    assert problem is not None and problem.startswith("pg_restore --list: ")


def test_full_verify_catches_a_changed_row_in_the_dump(tmp_path: Path) -> None:
    target = make_app_db(tmp_path / "app.db")
    dump = tmp_path / "b.sqlite3"
    before = ENGINE.backup_checked(target, dump).snapshot
    assert _verify(ENGINE, target, dump, before, "full").startswith("full: restored into a scratch database")
    conn = sqlite3.connect(dump)
    conn.execute("UPDATE settings SET value = 'blue' WHERE user_id = 8")  # 'dark' -> 'blue': same size
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError, match=r"backup did not verify: table settings: content differs \(50 rows\)"):
        _verify(ENGINE, target, dump, before, "full")


def test_full_verify_catches_flipped_bytes_in_a_table_page(tmp_path: Path) -> None:
    target = make_app_db(tmp_path / "app.db", users=400)
    dump = tmp_path / "b.sqlite3"
    before = ENGINE.backup_checked(target, dump).snapshot
    conn = sqlite3.connect(dump)
    page = conn.execute("SELECT pageno FROM dbstat WHERE name = 'orders' AND pagetype = 'leaf'").fetchone()[0]
    conn.close()
    data = bytearray(dump.read_bytes())
    end = page * 4096
    data[end - 40:end - 8] = bytes(b ^ 0x5A for b in data[end - 40:end - 8])  # inside the cell content area
    dump.write_bytes(bytes(data))
    with pytest.raises(DatabaseError, match=r"did not verify: table orders|unreadable|malformed"):
        _verify(ENGINE, target, dump, before, "full")
