"""MySQL/MariaDB engine against the real local server: dumps restore faithfully, and DDL really is not rolled back."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest

from handrail.db.backup import _verify
from handrail.db.engine import DatabaseError, DatabaseTarget
from handrail.db.engines import load_engine
from handrail.db.engines.mysql import ENGINE, _LoadMarks

HOST, PORT, USER = "127.0.0.1", 3306, "root"


def _reachable() -> str | None:
    try:
        pymysql.connect(host=HOST, port=PORT, user=USER, password="", connect_timeout=2).close()
    except pymysql.err.MySQLError as exc:
        return str(exc)
    return None


_WHY = _reachable()
pytestmark = pytest.mark.skipif(_WHY is not None, reason=f"no MySQL/MariaDB server on {HOST}:{PORT}: {_WHY}")

SCHEMA = [
    """CREATE TABLE users (
         id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(190) NOT NULL UNIQUE, name VARCHAR(100),
         avatar BLOB, prefs JSON, created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
    """CREATE TABLE orders (
         id INT AUTO_INCREMENT PRIMARY KEY, user_id INT NOT NULL, total DECIMAL(10,2) NOT NULL, note TEXT,
         updated_at DATETIME NULL, KEY orders_user_idx (user_id),
         CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
    """CREATE VIEW user_totals AS
         SELECT u.id, u.email, SUM(o.total) AS total FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.id""",
    """CREATE PROCEDURE add_order(IN u INT, IN t DECIMAL(10,2))
         BEGIN INSERT INTO orders (user_id, total) VALUES (u, t); END""",
    "CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW SET NEW.updated_at = NOW()",
    "CREATE EVENT purge_nothing ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM orders WHERE 1 = 0",
]
NAMES = ["Zoë", "東京", "Ñandú 🦤", None]


def _admin(database: str | None = None) -> pymysql.connections.Connection[Any]:
    return pymysql.connect(host=HOST, port=PORT, user=USER, password="", database=database, charset="utf8mb4",
                           autocommit=True)


def _target(name: str, user: str = USER, password: str | None = None) -> DatabaseTarget:
    return DatabaseTarget(engine="mysql", url=f"mysql://{user}@{HOST}:{PORT}/{name}", source="test", host=HOST,
                          port=PORT, user=user, password=password, database=name)


def _exists(name: str) -> bool:
    with _admin() as conn, conn.cursor() as cur:
        return bool(cur.execute("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (name,)))


@pytest.fixture
def app_db() -> Iterator[DatabaseTarget]:
    name = "handrail_t_" + secrets.token_hex(5)
    with _admin() as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        with _admin(name) as conn, conn.cursor() as cur:
            for statement in SCHEMA:
                cur.execute(statement)
            cur.executemany("INSERT INTO users (email, name, avatar, prefs) VALUES (%s, %s, %s, %s)",
                            [(f"u{i}@example.com", NAMES[i % 4], bytes([i, 0, 255, i % 7]) * 4,
                              f'{{"n": {i}, "tags": ["a", {i}]}}') for i in range(1, 41)])
            cur.executemany("INSERT INTO orders (user_id, total, note) VALUES (%s, %s, %s)",
                            [(1 + i % 40, i * 1.25, f"ünïcode {i}") for i in range(1, 121)])
            cur.execute("CALL add_order(1, 9.99)")
        yield _target(name)
    finally:
        with _admin() as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


def test_registered_and_available() -> None:
    assert load_engine("mysql") is ENGINE
    assert ENGINE.available() is None
    assert ENGINE.transactional_ddl is False


def test_backup_restore_snapshots_equal(app_db: DatabaseTarget, tmp_path: Path) -> None:
    dump = tmp_path / ("app" + ENGINE.dump_suffix)
    ENGINE.backup(app_db, dump)
    assert dump.stat().st_mode & 0o777 == 0o600
    assert not [p for p in tmp_path.iterdir() if p != dump]
    assert gzip.decompress(dump.read_bytes()).rstrip().splitlines()[-1].startswith(b"-- Dump completed")
    source = ENGINE.snapshot(app_db)
    assert {t.name: t.rows for t in source.tables} == {"orders": 121, "users": 40}
    with ENGINE.scratch(app_db) as scratch:
        assert scratch.database and _exists(scratch.database)
        assert ENGINE.snapshot(scratch).tables == ()
        ENGINE.restore_into(dump, scratch)
        assert source.differences(ENGINE.snapshot(scratch)) == []
        with _admin(scratch.database) as conn, conn.cursor() as cur:  # routines, triggers, events and views too
            cur.execute("SELECT COUNT(*) FROM user_totals")
            assert cur.fetchone() == (40,)
            cur.execute("CALL add_order(2, 1.00)")
            cur.execute("UPDATE orders SET total = total + 1 WHERE id = 1")
            cur.execute("SELECT updated_at IS NOT NULL, (SELECT MAX(id) FROM orders) FROM orders WHERE id = 1")
            assert cur.fetchone() == (1, 122)
            cur.execute("SELECT name FROM users WHERE id = 2")
            assert cur.fetchone() == ("Ñandú 🦤",)
            assert cur.execute("SHOW EVENTS") == 1
    assert not _exists(scratch.database)


def test_change_after_backup_names_the_table(app_db: DatabaseTarget, tmp_path: Path) -> None:
    dump = tmp_path / "app.sql.gz"
    ENGINE.backup(app_db, dump)
    with _admin(app_db.database) as conn, conn.cursor() as cur:
        cur.execute("UPDATE users SET name = 'changed' WHERE id = 7")
    with ENGINE.scratch(app_db) as scratch:
        ENGINE.restore_into(dump, scratch)
        restored = ENGINE.snapshot(scratch)
        assert ENGINE.snapshot(app_db).differences(restored) == ["table users: content differs (40 rows)"]
        with _admin(app_db.database) as conn, conn.cursor() as cur:
            cur.execute("DELETE FROM orders WHERE id > 100")
        assert ENGINE.snapshot(app_db).differences(ENGINE.snapshot(scratch)) == [
            "table orders: 100 rows, restored 121", "table users: content differs (40 rows)"]


def _recompress(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=1)


@pytest.mark.parametrize("damage", ["truncated gzip", "flipped bytes", "cut sql", "bad statement"])
def test_corrupted_dump_raises_and_scratch_is_dropped(app_db: DatabaseTarget, tmp_path: Path, damage: str) -> None:
    dump = tmp_path / "app.sql.gz"
    ENGINE.backup(app_db, dump)
    raw, sql = dump.read_bytes(), gzip.decompress(dump.read_bytes())
    if damage == "truncated gzip":
        dump.write_bytes(raw[: len(raw) * 2 // 3])
    elif damage == "flipped bytes":
        mid = len(raw) // 2
        dump.write_bytes(raw[:mid] + bytes(b ^ 0x5A for b in raw[mid: mid + 32]) + raw[mid + 32:])
    elif damage == "cut sql":  # a valid gzip of a dump that stops halfway: only the missing footer tells
        cut = sql.rfind(b";\n", 0, len(sql) // 2) + 2
        dump.write_bytes(_recompress(sql[:cut]))
    else:
        dump.write_bytes(_recompress(sql.replace(b"CREATE TABLE `orders`", b"CREATE TABLEZ `orders`", 1)))
    with pytest.raises(DatabaseError) as err, ENGINE.scratch(app_db) as scratch:
        ENGINE.restore_into(dump, scratch)
    message = str(err.value)
    assert "\n" not in message and message.startswith("restoring app.sql.gz into")
    expected = {"truncated gzip": "damaged", "flipped bytes": "damaged", "cut sql": "incomplete",
                "bad statement": "ERROR 1064"}[damage]
    assert expected in message
    assert scratch.database and not _exists(scratch.database)


def test_dead_server_one_line_without_password(tmp_path: Path) -> None:
    secret = "hr-test-" + secrets.token_hex(8)
    dead = DatabaseTarget(engine="mysql", url=f"mysql://app:{secret}@{HOST}:1/app", source="test", host=HOST,
                          port=1, user="app", password=secret, database="app")
    for call in (lambda: ENGINE.snapshot(dead), lambda: ENGINE.backup(dead, tmp_path / "x.sql.gz"),
                 lambda: ENGINE.scratch(dead).__enter__()):
        with pytest.raises(DatabaseError) as err:
            call()
        message = str(err.value)
        assert "\n" not in message and secret not in message and "127.0.0.1" in message
    assert list(tmp_path.iterdir()) == []


def test_unwritable_backup_folder(app_db: DatabaseTarget, tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="cannot write the backup"):
        ENGINE.backup(app_db, tmp_path / "missing-dir" / "app.sql.gz")


@pytest.fixture
def password_user(app_db: DatabaseTarget) -> Iterator[tuple[str, str]]:
    """A real account with a password (root has none here), limited to the app and scratch databases."""
    user, password = "hr_t_" + secrets.token_hex(4), "pw-" + secrets.token_hex(8) + "\"'\\"
    with _admin() as conn, conn.cursor() as cur:
        cur.execute(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", (password,))
        cur.execute(f"GRANT ALL PRIVILEGES ON `{app_db.database}`.* TO '{user}'@'%'")
        cur.execute(f"GRANT ALL PRIVILEGES ON `handrail\\_scratch\\_%`.* TO '{user}'@'%'")
    try:
        yield user, password
    finally:
        with _admin() as conn, conn.cursor() as cur:
            cur.execute(f"DROP USER '{user}'@'%'")


def test_password_only_in_private_option_file(app_db: DatabaseTarget, password_user: tuple[str, str],
                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user, password = password_user
    with _admin(app_db.database) as conn, conn.cursor() as cur:  # definers other than `user` need SUPER to restore
        for obj in ("VIEW user_totals", "PROCEDURE add_order", "TRIGGER orders_touch", "EVENT purge_nothing"):
            cur.execute(f"DROP {obj}")
    target = _target(app_db.database or "", user=user, password=password)
    seen: list[tuple[list[str], int, str]] = []
    real_popen = subprocess.Popen

    class Recording(real_popen):  # type: ignore[misc, valid-type]
        def __init__(self, args: list[str], *a: Any, **kw: Any) -> None:
            argv = [str(x) for x in args]
            option_file = next(x.split("=", 1)[1] for x in argv if x.startswith("--defaults-extra-file="))
            seen.append((argv, os.stat(option_file).st_mode & 0o777, Path(option_file).read_text("utf-8")))
            super().__init__(args, *a, **kw)

    monkeypatch.setattr(subprocess, "Popen", Recording)
    dump = tmp_path / "app.sql.gz"
    ENGINE.backup(target, dump)
    with ENGINE.scratch(target) as scratch:
        ENGINE.restore_into(dump, scratch)
        assert ENGINE.snapshot(target).differences(ENGINE.snapshot(scratch)) == []
    assert len(seen) == 2
    for argv, mode, text in seen:
        assert argv[1].startswith("--defaults-extra-file=") and not any(password in arg for arg in argv)
        assert mode == 0o600 and f"user=\"{user}\"" in text
        assert not Path(argv[1].split("=", 1)[1]).exists()  # deleted afterwards


def test_failed_migration_keeps_its_ddl(app_db: DatabaseTarget) -> None:
    """MariaDB commits DDL implicitly: a migration failing after a CREATE TABLE leaves the table behind."""
    before = ENGINE.snapshot(app_db)
    migration = ("START TRANSACTION;\n"
                 "CREATE TABLE audit_log (id INT AUTO_INCREMENT PRIMARY KEY, at DATETIME);\n"
                 "INSERT INTO no_such_table VALUES (1);\n"
                 "COMMIT;\n")
    proc = subprocess.run(["mariadb", "--no-defaults", "-h", HOST, "-P", str(PORT), "-u", USER, "--batch",
                           app_db.database or ""], input=migration, capture_output=True, text=True, check=False)
    assert proc.returncode != 0 and "no_such_table" in proc.stderr
    after = ENGINE.snapshot(app_db)
    assert before.differences(after) == ["table audit_log unexpected"]
    assert ENGINE.transactional_ddl is (after.differences(before) == [])


def test_backup_checked_snapshot_sha_and_marker(app_db: DatabaseTarget, tmp_path: Path) -> None:
    dump = tmp_path / "app.sql.gz"
    done = ENGINE.backup_checked(app_db, dump)
    assert done.sha256 == hashlib.sha256(dump.read_bytes()).hexdigest()
    assert "end-of-dump marker" in done.check
    assert done.snapshot.differences(ENGINE.snapshot(app_db)) == []
    with ENGINE.scratch(app_db) as scratch:  # a scratch database is snapshotted on two connections
        ENGINE.restore_into(dump, scratch)
        assert done.snapshot.differences(ENGINE.snapshot(scratch)) == []


def test_full_verify_catches_a_changed_row_in_the_dump(app_db: DatabaseTarget, tmp_path: Path) -> None:
    dump = tmp_path / "app.sql.gz"
    before = ENGINE.backup_checked(app_db, dump).snapshot
    sql = gzip.decompress(dump.read_bytes())
    assert b"'u7@example.com'" in sql
    dump.write_bytes(_recompress(sql.replace(b"'u7@example.com'", b"'u7@example.org'")))
    with pytest.raises(DatabaseError, match=r"backup did not verify: table users: content differs \(40 rows\)"):
        _verify(ENGINE, app_db, dump, before, "full")


def test_dump_that_stops_early_is_refused_while_writing(app_db: DatabaseTarget, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ENGINE, "dump_argv", lambda defaults, target: [
        "sh", "-c", "printf 'CREATE TABLE `users` (id int);\\n'"])
    with pytest.raises(DatabaseError, match=r"stopped before the end of the dump"):
        ENGINE.backup_checked(app_db, tmp_path / "app.sql.gz")
    assert list(tmp_path.iterdir()) == []


def test_load_marks_survive_any_chunking(app_db: DatabaseTarget, tmp_path: Path) -> None:
    """Each table's section is followed by its mark however the stream is cut; nothing else changes."""
    dump = tmp_path / "app.sql.gz"
    ENGINE.backup(app_db, dump)
    sql = gzip.decompress(dump.read_bytes())
    whole = _LoadMarks()
    expected = whole.feed(sql) + whole.flush()
    assert whole.names == ["orders", "users"]
    assert expected.count(b"SELECT 'handrail-loaded-") == 2
    assert expected.replace(b"SELECT 'handrail-loaded-0' AS handrail_mark;\n", b"").replace(
        b"SELECT 'handrail-loaded-1' AS handrail_mark;\n", b"") == sql
    for size in (1, 3, 7, 4096):
        marks = _LoadMarks()
        out = b"".join(marks.feed(sql[i:i + size]) for i in range(0, len(sql), size)) + marks.flush()
        assert out == expected, size
    seen: list[str] = []
    with ENGINE.scratch(app_db) as scratch:
        ENGINE._restore(dump, scratch, on_loaded=seen.append)
    assert sorted(seen) == ["orders", "users"]  # two clients load at once: either may report first


def test_two_streams_split_the_dump_between_them(app_db: DatabaseTarget, tmp_path: Path) -> None:
    """Both streams run the header; each table section goes to exactly one; only the first runs the tail."""
    dump = tmp_path / "app.sql.gz"
    ENGINE.backup(app_db, dump)
    sql = gzip.decompress(dump.read_bytes())
    first_table = sql.index(b"-- Table structure for table `")
    tail_at = sql.index(b"-- Dump completed")
    for size in (1, 5, 4096, len(sql)):
        streams = [_LoadMarks(lambda i, k=k: i % 2 == k, keep_tail=k == 0) for k in (0, 1)]  # sections alternate
        outs = [b"".join(m.feed(sql[i:i + size]) for i in range(0, len(sql), size)) + m.flush() for m in streams]
        plain = [re.sub(rb"SELECT 'handrail-loaded-\d+' AS handrail_mark;\n", b"", out) for out in outs]
        assert all(p.startswith(sql[:first_table]) for p in plain), size
        assert plain[0].count(b"CREATE TABLE `orders`") + plain[1].count(b"CREATE TABLE `orders`") == 1
        assert plain[0].count(b"CREATE TABLE `users`") + plain[1].count(b"CREATE TABLE `users`") == 1
        assert plain[0].endswith(sql[tail_at:]) and b"-- Dump completed" not in plain[1], size
        assert len(plain[0]) + len(plain[1]) == len(sql) + first_table, size


def test_restore_snapshot_loads_everything_on_two_clients(app_db: DatabaseTarget, tmp_path: Path) -> None:
    dump = tmp_path / "app.sql.gz"
    ENGINE.backup(app_db, dump)
    source = ENGINE.snapshot(app_db)
    with ENGINE.scratch(app_db) as scratch:
        assert source.differences(ENGINE.restore_snapshot(dump, scratch, source)) == []
        with _admin(scratch.database) as conn, conn.cursor() as cur:  # the tail ran after both streams
            cur.execute("SELECT COUNT(*) FROM user_totals")
            assert cur.fetchone() == (40,)
            cur.execute("CALL add_order(2, 1.00)")
            cur.execute("UPDATE orders SET total = total + 1 WHERE id = 1")
            cur.execute("SELECT updated_at IS NOT NULL FROM orders WHERE id = 1")
            assert cur.fetchone() == (1,)
            assert cur.execute("SHOW EVENTS") == 1


@pytest.mark.parametrize("damage", ["truncated gzip", "cut sql", "bad statement in users", "bad tail"])
def test_two_clients_refuse_damaged_dumps(app_db: DatabaseTarget, tmp_path: Path, damage: str) -> None:
    dump = tmp_path / "app.sql.gz"
    ENGINE.backup(app_db, dump)
    raw, sql = dump.read_bytes(), gzip.decompress(dump.read_bytes())
    if damage == "truncated gzip":
        dump.write_bytes(raw[: len(raw) * 2 // 3])
    elif damage == "cut sql":
        cut = sql.rfind(b";\n", 0, len(sql) // 2) + 2
        dump.write_bytes(_recompress(sql[:cut]))
    elif damage == "bad statement in users":
        dump.write_bytes(_recompress(sql.replace(b"CREATE TABLE `users`", b"CREATE TABLEZ `users`", 1)))
    else:
        dump.write_bytes(_recompress(sql.replace(b"-- Dump completed", b"SELEC 1;\n-- Dump completed", 1)))
    with pytest.raises(DatabaseError) as err, ENGINE.scratch(app_db) as scratch:
        ENGINE.restore_snapshot(dump, scratch, None)
    message = str(err.value)
    assert "\n" not in message and message.startswith("restoring app.sql.gz into")
    expected = {"truncated gzip": "damaged", "cut sql": "incomplete", "bad statement in users": "ERROR 1064",
                "bad tail": "ERROR 1064"}[damage]
    assert expected in message
    assert scratch.database and not _exists(scratch.database)
