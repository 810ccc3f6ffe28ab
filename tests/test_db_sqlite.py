"""The SQLite engine on real database files with the shapes apps have: foreign keys, indexes, WITHOUT ROWID,
views, triggers, blobs, unicode, WAL mode."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from handrail.db.engine import DatabaseError, DatabaseTarget, Snapshot
from handrail.db.engines import load_engine
from handrail.db.engines.sqlite import ENGINE

SCHEMA = """
PRAGMA foreign_keys = ON;
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, avatar BLOB,
                    created_at TEXT DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                     total REAL NOT NULL, note TEXT);
CREATE INDEX orders_user ON orders(user_id);
CREATE TABLE settings (user_id INTEGER NOT NULL REFERENCES users(id), key TEXT NOT NULL, value TEXT,
                       PRIMARY KEY (user_id, key)) WITHOUT ROWID;
CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT NOT NULL);
CREATE VIEW order_totals AS SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id;
CREATE TRIGGER orders_audit AFTER INSERT ON orders BEGIN
  INSERT INTO audit (what) VALUES ('order ' || NEW.id);
END;
"""
ODD = '"odd ""name"""'  # a table name that needs quoting


def make_app_db(path: Path, users: int = 50, wal: bool = False) -> DatabaseTarget:
    """A small app database; returns its target."""
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(SCHEMA + f"CREATE TABLE {ODD} (v);")
    for i in range(users):
        conn.execute("INSERT INTO users (email, name, avatar) VALUES (?, ?, ?)",
                     (f"user{i}@example.com", ["Zoë", "Jürgen", "李雷", "Ана"][i % 4] + f" {i}", bytes([i % 256]) * 64))
        for j in range(3):
            conn.execute("INSERT INTO orders (user_id, total, note) VALUES (?, ?, ?)",
                         (i + 1, (i * 3 + j) / 7, None if j else "first 🚀"))
        conn.execute("INSERT INTO settings VALUES (?, 'theme', ?)", (i + 1, "dark" if i % 2 else "light"))
    conn.execute(f"INSERT INTO {ODD} VALUES (x'00ff'), ('1'), (1), (1.5), (NULL)")
    conn.commit()
    conn.close()
    return DatabaseTarget(engine="sqlite", url=f"sqlite:///{path}", source="test", database=str(path))


@contextlib.contextmanager
def mounted_tmpfs(path: Path, size: str, readonly: bool = False) -> Iterator[Path]:
    """A real tiny (or read-only) filesystem: how a full disk or an unwritable folder looks even to root."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    path.mkdir(exist_ok=True)
    opts = f"size={size},mode=0755" + (",ro" if readonly else "")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_load_engine_gives_sqlite() -> None:
    eng = load_engine("sqlite")
    assert eng is ENGINE and eng.name == "sqlite" and eng.transactional_ddl is True
    assert eng.available() is None


def test_snapshot_counts_every_user_table(tmp_path: Path) -> None:
    target = make_app_db(tmp_path / "app.db")
    snap = ENGINE.snapshot(target)
    rows = {t.name: t.rows for t in snap.tables}
    assert rows == {"audit": 150, "orders": 150, "settings": 50, "users": 50, 'odd "name"': 5}
    assert all(t.checksum.startswith("p1:") and len(t.checksum) == 67 for t in snap.tables)


def test_snapshot_sees_one_changed_value(tmp_path: Path) -> None:
    target = make_app_db(tmp_path / "app.db")
    before = ENGINE.snapshot(target)
    conn = sqlite3.connect(target.database or "")
    conn.execute("UPDATE settings SET value = 'blue' WHERE user_id = 7")
    conn.execute(f"UPDATE {ODD} SET v = x'31' WHERE v = '1'")  # same bytes, blob instead of text
    conn.commit()
    conn.close()
    assert before.differences(ENGINE.snapshot(target)) == [
        'table odd "name": content differs (5 rows)', "table settings: content differs (50 rows)"]


def test_backup_is_0600_and_restores_identically(tmp_path: Path) -> None:
    target = make_app_db(tmp_path / "app.db", wal=True)
    dump = tmp_path / "b.sqlite3"
    ENGINE.backup(target, dump)
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    assert not Path(str(dump) + "-wal").exists()
    with ENGINE.scratch(target) as scratch:
        ENGINE.restore_into(dump, scratch)
        assert ENGINE.snapshot(target).differences(ENGINE.snapshot(scratch)) == []
        conn = sqlite3.connect(scratch.database or "")
        kinds = {r[0] for r in conn.execute("SELECT type FROM sqlite_master")}
        conn.execute("INSERT INTO orders (user_id, total) VALUES (1, 2.0)")  # the trigger came along
        assert conn.execute("SELECT what FROM audit ORDER BY id DESC LIMIT 1").fetchone() == ("order 151",)
        conn.close()
        scratch_path = Path(scratch.database or "")
    assert kinds == {"table", "index", "view", "trigger"}
    assert not scratch_path.exists()


def test_backup_of_missing_database_does_not_create_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    target = DatabaseTarget(engine="sqlite", url=f"sqlite:///{missing}", source="test", database=str(missing))
    with pytest.raises(DatabaseError, match=r"does not exist"):
        ENGINE.backup(target, tmp_path / "b.sqlite3")
    assert not missing.exists() and not (tmp_path / "b.sqlite3").exists()


def test_not_a_database_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("hello, this is text\n" * 10)
    target = DatabaseTarget(engine="sqlite", url="x", source="test", database=str(bogus))
    with pytest.raises(DatabaseError, match=r"not a SQLite database"):
        ENGINE.snapshot(target)


def test_check_archive_flags_a_damaged_dump(tmp_path: Path) -> None:
    target = make_app_db(tmp_path / "app.db", users=400)
    dump = tmp_path / "b.sqlite3"
    ENGINE.backup(target, dump)
    assert ENGINE.check_archive(dump) is None
    data = bytearray(dump.read_bytes())
    page = 4096
    for off in range(page * 2 + 100, len(data), page):  # scribble over b-tree pages, keep the header intact
        data[off:off + 40] = b"\xa5" * 40
    dump.write_bytes(bytes(data))
    assert ENGINE.check_archive(dump) is not None


def test_damaged_dump_is_refused_before_the_target_is_touched(tmp_path: Path) -> None:
    live = make_app_db(tmp_path / "live.db", users=300)
    other = make_app_db(tmp_path / "other.db", users=10)
    dump = tmp_path / "b.sqlite3"
    ENGINE.backup(other, dump)
    dump.write_bytes(dump.read_bytes()[: len(dump.read_bytes()) // 2])  # a restore source that breaks halfway
    before = (tmp_path / "live.db").read_bytes()
    with pytest.raises(DatabaseError, match=r"refusing to restore b.sqlite3: quick_check"):
        ENGINE.restore_into(dump, live)
    assert (tmp_path / "live.db").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.sqlite3", "live.db", "other.db"]


def test_restore_replaces_wal_database_keeping_mode(tmp_path: Path) -> None:
    live = make_app_db(tmp_path / "live.db", users=20, wal=True)
    dump = tmp_path / "b.sqlite3"
    ENGINE.backup(live, dump)
    expected = ENGINE.snapshot(live)
    os.chmod(tmp_path / "live.db", 0o640)
    conn = sqlite3.connect(live.database or "")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("DELETE FROM orders")
    conn.commit()  # the change sits in the -wal file, which the swap must not replay onto the restored file
    conn.close()
    ENGINE.restore_into(dump, live)
    assert expected.differences(ENGINE.snapshot(live)) == []
    conn = sqlite3.connect(live.database or "")
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    assert stat.S_IMODE((tmp_path / "live.db").stat().st_mode) == 0o640


def test_restore_that_runs_out_of_disk_halfway_leaves_target_untouched(tmp_path: Path) -> None:
    big = make_app_db(tmp_path / "big.db", users=3000)
    dump = tmp_path / "b.sqlite3"
    ENGINE.backup(big, dump)
    assert dump.stat().st_size > 400_000
    with mounted_tmpfs(tmp_path / "disk", "256k") as disk:
        live = make_app_db(disk / "live.db", users=10)
        before = (disk / "live.db").read_bytes()
        with pytest.raises(DatabaseError, match=r"full.*target untouched"):
            ENGINE.restore_into(dump, live)
        assert (disk / "live.db").read_bytes() == before
        assert [p.name for p in disk.iterdir()] == ["live.db"]


def test_invalid_utf8_text_still_hashes(tmp_path: Path) -> None:
    target = make_app_db(tmp_path / "app.db", users=5)
    conn = sqlite3.connect(target.database or "")
    conn.execute("UPDATE users SET name = CAST(x'ff00fe' AS TEXT) WHERE id = 2")
    conn.commit()
    before = ENGINE.snapshot(target)
    conn.execute("UPDATE users SET name = CAST(x'ff00fd' AS TEXT) WHERE id = 2")
    conn.commit()
    conn.close()
    assert before.differences(ENGINE.snapshot(target)) == ["table users: content differs (5 rows)"]


def test_backup_checked_snapshots_the_source_in_the_same_read(tmp_path: Path) -> None:
    """Rollback-journal source: byte copy, sha256 of what was written, page snapshot of the source."""
    target = make_app_db(tmp_path / "app.db", users=300)
    dump = tmp_path / "b.sqlite3"
    done = ENGINE.backup_checked(target, dump)
    assert done.sha256 == hashlib.sha256(dump.read_bytes()).hexdigest()
    assert done.check == "archive check passed"
    assert done.snapshot.differences(ENGINE.snapshot(target)) == []
    rows = {t.name: t.rows for t in done.snapshot.tables}
    assert rows["settings"] == 300 and rows["orders"] == 900  # WITHOUT ROWID counted like the rest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "b.sqlite3"]
    with ENGINE.scratch(target) as scratch:
        assert ENGINE.restore_snapshot(dump, scratch, done.snapshot).differences(done.snapshot) == []


def test_backup_checked_of_a_wal_database_with_pending_frames(tmp_path: Path) -> None:
    """WAL frames not yet in the file: the backup API copies them and the live snapshot reads a copy."""
    target = make_app_db(tmp_path / "app.db", users=40, wal=True)
    writer = sqlite3.connect(target.database or "")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("UPDATE users SET name = 'in the wal only' WHERE id = 3")
    writer.commit()
    try:
        assert Path(str(target.database) + "-wal").stat().st_size > 0
        dump = tmp_path / "b.sqlite3"
        done = ENGINE.backup_checked(target, dump)
        assert done.snapshot.differences(ENGINE.snapshot(target)) == []
        assert not Path(str(dump) + "-wal").exists()
        conn = sqlite3.connect(dump)
        assert conn.execute("SELECT name FROM users WHERE id = 3").fetchone() == ("in the wal only",)
        conn.close()
        with ENGINE.scratch(target) as scratch:
            assert ENGINE.restore_snapshot(dump, scratch, done.snapshot).differences(done.snapshot) == []
    finally:
        writer.close()


def test_page_snapshot_sees_a_changed_row_of_the_same_size(tmp_path: Path) -> None:
    target = make_app_db(tmp_path / "app.db")
    before = ENGINE.snapshot(target)
    conn = sqlite3.connect(target.database or "")
    conn.execute("UPDATE users SET email = 'user7@example.org' WHERE email = 'user7@example.com'")
    conn.commit()
    conn.close()
    assert before.differences(ENGINE.snapshot(target)) == ["table users: content differs (50 rows)"]


def test_row_by_row_snapshots_of_older_backups_still_compare(tmp_path: Path) -> None:
    """A backup taken before page checksums holds row-by-row ones: snapshot_like answers in that scheme."""
    target = make_app_db(tmp_path / "app.db")
    conn = sqlite3.connect(target.database or "")
    old = Snapshot(ENGINE._logical(conn, ["audit", "orders", 'odd "name"', "settings", "users"]))
    conn.close()
    assert all(len(t.checksum) == 64 for t in old.tables)
    assert old.differences(ENGINE.snapshot_like(target, old)) == []
    dump = tmp_path / "b.sqlite3"
    ENGINE.backup(target, dump)
    with ENGINE.scratch(target) as scratch:
        assert old.differences(ENGINE.restore_snapshot(dump, scratch, old)) == []


def test_verify_after_backup_reuses_the_backups_page_map(tmp_path: Path) -> None:
    """The verify right after a backup hashes the scratch by the map the backup walked (no second dbstat walk)
    and still sees a byte changed in the dump since, even with the file's size and mtime kept."""
    from handrail.db.engines import sqlite as engine_mod

    target = make_app_db(tmp_path / "app.db", users=300)
    dump = tmp_path / "b.sqlite3"
    done = ENGINE.backup_checked(target, dump)
    assert engine_mod._identity(dump) in engine_mod._kept
    with ENGINE.scratch(target) as scratch:
        assert ENGINE.restore_snapshot(dump, scratch, done.snapshot).differences(done.snapshot) == []
    assert engine_mod._identity(dump) not in engine_mod._kept  # taken out by that verify

    done = ENGINE.backup_checked(target, tmp_path / "c.sqlite3")
    dump = tmp_path / "c.sqlite3"
    kept = engine_mod._kept[engine_mod._identity(dump)]
    page = kept.pages["users"][-1]
    st = dump.stat()
    with dump.open("r+b") as fh:
        fh.seek(page * kept.page_size - 10)
        old = fh.read(1)
        fh.seek(-1, os.SEEK_CUR)
        fh.write(bytes([old[0] ^ 0xFF]))
    os.utime(dump, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert engine_mod._identity(dump) in engine_mod._kept
    with ENGINE.scratch(target) as scratch:
        diffs = done.snapshot.differences(ENGINE.restore_snapshot(dump, scratch, done.snapshot))
    assert diffs and all("users" in d for d in diffs)


def test_kept_map_with_another_schema_maps_the_scratch_itself(tmp_path: Path) -> None:
    """A scratch whose sqlite_master is not the one the map was walked from is snapshotted by its own pages."""
    from handrail.db.engines import sqlite as engine_mod

    target = make_app_db(tmp_path / "app.db", users=80)
    dump = tmp_path / "b.sqlite3"
    done = ENGINE.backup_checked(target, dump)
    kept = engine_mod._kept_map(dump)
    assert kept is not None
    kept.schema = "not this schema"
    kept.pages = {name: [] for name in kept.pages}  # a map that would select nothing
    with ENGINE.scratch(target) as scratch:
        snap = ENGINE._restore_hashing(dump, Path(scratch.database or ""), kept)
    assert done.snapshot.differences(snap) == []


def test_scratch_copy_without_copy_file_range(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A scratch folder on another kind of filesystem (EXDEV): the copy falls back to read and write."""
    import errno

    target = make_app_db(tmp_path / "app.db", users=120)
    dump = tmp_path / "b.sqlite3"
    done = ENGINE.backup_checked(target, dump)

    def refuse(*_: object) -> int:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", refuse, raising=False)
    with ENGINE.scratch(target) as scratch:
        assert ENGINE.restore_snapshot(dump, scratch, done.snapshot).differences(done.snapshot) == []
        assert Path(scratch.database or "").read_bytes() == dump.read_bytes()
