"""`handrail migrate`, `backup`, `backups`, `restore` end to end: real SQLite files and (when reachable) a real
PostgreSQL server, real child processes that fail halfway or are killed with SIGKILL."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_PASSWORD_MARK = "s3cr3t-pw"


def run(*args: str, cwd: Path, backups: Path, extra_env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "DATABASE_URL", "HANDRAIL_DEBUG")}
    env.update({"HANDRAIL_BACKUP_DIR": str(backups), **(extra_env or {})})
    proc = subprocess.run([sys.executable, "-m", "handrail", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, check=False, stdin=subprocess.DEVNULL)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def make_app(root: Path, users: int = 100) -> Path:
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    db = sqlite3.connect(root / "db.sqlite3")
    db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)")
    db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), total REAL)")
    db.executemany("INSERT INTO users (email) VALUES (?)", [(f"user{i}@shop.test",) for i in range(users)])
    db.executemany("INSERT INTO orders (user_id, total) VALUES (?, ?)", [(i % users + 1, i * 1.5) for i in range(40)])
    db.commit()
    db.close()
    return root


def state(root: Path) -> tuple[list[str], int, int]:
    db = sqlite3.connect(root / "db.sqlite3")
    try:
        tables = sorted(r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
        return tables, db.execute("SELECT count(*) FROM users").fetchone()[0], \
            db.execute("SELECT count(*) FROM orders").fetchone()[0]
    finally:
        db.close()


# A migration that adds a table, deletes rows, commits, then fails (exit 3) or is killed (SIGKILL).
HALFWAY = ("import sqlite3, sys, os\n"
           "c = sqlite3.connect('db.sqlite3')\n"
           "c.execute('CREATE TABLE invoices (id INTEGER PRIMARY KEY)')\n"
           "c.execute('DELETE FROM orders WHERE id > 10')\n"
           "c.commit()\n"
           "os.kill(os.getpid(), 9) if sys.argv[1] == 'kill' else sys.exit(3)\n")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    yield make_app(tmp_path / "shop"), tmp_path / "backups"


def test_successful_migration_keeps_a_private_verified_backup(app: tuple[Path, Path]) -> None:
    root, backups = app
    migration = ("import sqlite3; c = sqlite3.connect('db.sqlite3'); c.execute('ALTER TABLE users ADD plan TEXT');"
                 " c.commit()")
    proc = run("migrate", "--", sys.executable, "-c", migration, cwd=root, backups=backups)
    assert proc.returncode == 0, proc.stderr
    assert "migration succeeded" in proc.stderr and "handrail restore" in proc.stderr
    listing = json.loads(run("backups", "--format", "json", cwd=root, backups=backups).stdout)["backups"]
    assert len(listing) == 1 and listing[0]["engine"] == "sqlite" and listing[0]["verified"] is True
    assert listing[0]["command"].startswith(sys.executable)
    dump = backups / listing[0]["file"]
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600 and stat.S_IMODE(backups.stat().st_mode) == 0o700
    assert not str(backups).startswith(str(root))


@pytest.mark.parametrize("how", ["fail", "kill"])
def test_failed_or_killed_migration_is_restored_with_yes(app: tuple[Path, Path], how: str) -> None:
    root, backups = app
    before = state(root)
    proc = run("migrate", "--yes", "--", sys.executable, "-c", HALFWAY, how, cwd=root, backups=backups)
    assert proc.returncode == (137 if how == "kill" else 3), proc.stderr
    assert ("killed by signal 9" if how == "kill" else "failed with exit code 3") in proc.stderr
    assert "table invoices unexpected" in proc.stderr and "restored" in proc.stderr
    assert state(root) == before


def test_without_a_terminal_or_yes_it_reports_and_does_not_restore(app: tuple[Path, Path]) -> None:
    root, backups = app
    proc = run("migrate", "--", sys.executable, "-c", HALFWAY, "fail", cwd=root, backups=backups)
    assert proc.returncode == 3
    assert "not restoring without --yes" in proc.stderr and "handrail restore " in proc.stderr
    assert "invoices" in state(root)[0]
    backup_id = proc.stderr.split("handrail restore ")[1].split()[0]
    refused = run("restore", backup_id, cwd=root, backups=backups)
    assert refused.returncode == 2 and "--yes" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    done = run("restore", backup_id, "--yes", cwd=root, backups=backups)
    assert done.returncode == 0, done.stderr
    assert "invoices" not in state(root)[0]


def test_ci_true_restores_without_asking(app: tuple[Path, Path]) -> None:
    root, backups = app
    before = state(root)
    proc = run("migrate", "--", sys.executable, "-c", HALFWAY, "fail", cwd=root, backups=backups,
               extra_env={"CI": "true"})
    assert proc.returncode == 3 and state(root) == before


def test_a_failure_that_changed_nothing_needs_no_restore(app: tuple[Path, Path]) -> None:
    root, backups = app
    proc = run("migrate", "--yes", "--", sys.executable, "-c", "raise SystemExit(5)", cwd=root, backups=backups)
    assert proc.returncode == 5 and "no restore needed" in proc.stderr


def test_unwritable_backup_folder_means_the_migration_does_not_run(app: tuple[Path, Path], tmp_path: Path) -> None:
    root, _ = app
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    target = locked / "backups"
    marker = root / "ran"
    proc = run("migrate", "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')", cwd=root, backups=target)
    if os.geteuid() == 0 and proc.returncode == 0:  # root ignores directory modes; use a path that cannot exist
        marker.unlink()
        proc = run("migrate", "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')", cwd=root,
                   backups=Path("/proc/handrail-cannot-write-here"))
    assert proc.returncode == 2
    assert "backup failed" in proc.stderr and "NOT run" in proc.stderr
    assert not marker.exists()


def test_corrupted_backup_is_refused_and_the_database_untouched(app: tuple[Path, Path]) -> None:
    root, backups = app
    made = run("backup", "--format", "json", cwd=root, backups=backups)
    assert made.returncode == 0, made.stderr
    record = json.loads(made.stdout)
    dump = backups / record["file"]
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    before = state(root)
    proc = run("restore", record["id"], "--yes", cwd=root, backups=backups)
    assert proc.returncode == 2 and "corrupted" in proc.stderr
    assert state(root) == before


def test_no_database_is_one_line(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    proc = run("backup", cwd=root, backups=tmp_path / "b")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "DATABASE_URL" in proc.stderr


def test_backup_folder_inside_the_repository_is_refused(app: tuple[Path, Path]) -> None:
    root, _ = app
    proc = run("backup", cwd=root, backups=root / ".backups")
    assert proc.returncode == 2 and "inside the repository" in proc.stderr


# --- PostgreSQL -----------------------------------------------------------------------------------------------
def _pg_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def pg_shop() -> Iterator[str]:
    """A PostgreSQL database of its own with 50 users; dropped afterwards with every `<name>_handrail_before_*`
    database a restore kept beside it."""
    import psycopg

    name = f"handrail_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL)")
            conn.execute("INSERT INTO users (email) SELECT 'u' || g || '@shop.test' FROM generate_series(1, 50) g")
        yield url
    finally:
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
            for (db,) in admin.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                       (f"{name}%",)).fetchall():
                admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


@pytest.mark.skipif(not _pg_up(), reason="no PostgreSQL server on 127.0.0.1:5432")
def test_postgres_migration_failing_outside_a_transaction_is_restored(tmp_path: Path, pg_shop: str) -> None:
    """Prisma-style: statements are not wrapped in a transaction, so a failure leaves the first ones applied."""
    import psycopg

    url = pg_shop
    name = url.rsplit("/", 1)[1]
    root = tmp_path / "app"
    root.mkdir()
    migration = ("import psycopg, sys\n"
                 f"c = psycopg.connect({url!r}, autocommit=True)\n"
                 "c.execute('CREATE TABLE invoices (id serial PRIMARY KEY)')\n"
                 "c.execute('DELETE FROM users WHERE id > 25')\n"
                 "try:\n"
                 "    c.execute('ALTER TABLE users ADD COLUMN broken nonexistent_type')\n"
                 "except psycopg.Error as exc:\n"
                 "    sys.exit(f'migration failed: {exc}')\n")
    proc = run("migrate", "--yes", "--database-url", url, "--", sys.executable, "-c", migration, cwd=root,
               backups=tmp_path / "backups")
    assert proc.returncode == 1, proc.stderr
    assert "invoices" in proc.stderr, proc.stderr
    assert "restored" in proc.stderr, proc.stderr
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (50,)
        assert conn.execute("SELECT to_regclass('public.invoices')").fetchone() == (None,)
    # the state before the restore is kept beside it, never dropped by handrail
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres") as admin:
        kept = admin.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                             (f"{name}_handrail_before_%",))
        assert len(kept.fetchall()) == 1


def _mariadb_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 3306), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _mariadb_up(), reason="no MariaDB server on 127.0.0.1:3306")
def test_mariadb_half_applied_migration_is_restored_and_the_old_tables_kept(tmp_path: Path) -> None:
    """MariaDB commits DDL statement by statement: the CREATE TABLE before the failure stays until restored."""
    import pymysql

    name = f"handrail_test_{uuid.uuid4().hex[:10]}"
    admin = pymysql.connect(host="127.0.0.1", user="root", autocommit=True)
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE {name}")
            cur.execute(f"CREATE TABLE {name}.users (id int AUTO_INCREMENT PRIMARY KEY, email varchar(80))")
            cur.executemany(f"INSERT INTO {name}.users (email) VALUES (%s)", [(f"u{i}@shop.test",) for i in range(30)])
        root = tmp_path / "app"
        root.mkdir()
        migration = ("import pymysql, sys\n"
                     f"c = pymysql.connect(host='127.0.0.1', user='root', database={name!r}, autocommit=True)\n"
                     "k = c.cursor()\n"
                     "k.execute('CREATE TABLE invoices (id int)')\n"
                     "k.execute('DELETE FROM users WHERE id > 10')\n"
                     "try:\n"
                     "    k.execute('ALTER TABLE users ADD COLUMN b no_such_type')\n"
                     "except pymysql.MySQLError as exc:\n"
                     "    sys.exit(f'migration failed: {exc}')\n")
        proc = run("migrate", "--yes", "--database-url", f"mysql://root@127.0.0.1:3306/{name}", "--",
                   sys.executable, "-c", migration, cwd=root, backups=tmp_path / "backups")
        assert proc.returncode == 1, proc.stderr
        assert "statement by statement" in proc.stderr and "restored" in proc.stderr
        assert "kept in database" in proc.stderr
        with admin.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {name}.users")
            assert cur.fetchone() == (30,)
            cur.execute("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_NAME = "
                        "'invoices'", (name,))
            assert cur.fetchone() == (0,)
    finally:
        with admin.cursor() as cur:
            cur.execute("SHOW DATABASES LIKE %s", (f"{name}%",))
            for (db,) in cur.fetchall():
                cur.execute(f"DROP DATABASE `{db}`")
        admin.close()


def test_a_command_that_cannot_start_is_reported_as_such(app: tuple[Path, Path]) -> None:
    root, backups = app
    proc = run("migrate", "--", "handrail-no-such-migration-tool", cwd=root, backups=backups)
    assert proc.returncode == 127
    assert "could not be started" in proc.stderr and "nothing ran" in proc.stderr


@pytest.mark.skipif(not _pg_up(), reason="no PostgreSQL server on 127.0.0.1:5432")
def test_lock_timeout_makes_a_blocked_migration_fail_fast_and_leaves_nothing_to_restore(tmp_path: Path,
                                                                                         pg_shop: str) -> None:
    """A migration queued behind a long transaction would block every query on the table; with --lock-timeout the
    ALTER gives up after 1 s (PGOPTIONS reaches psycopg through libpq) and the database is as before."""
    import psycopg

    url = pg_shop
    root = tmp_path / "app"
    root.mkdir()
    migration = ("import psycopg, sys\n"
                 f"c = psycopg.connect({url!r}, autocommit=True)\n"
                 "print('lock_timeout', c.execute('SHOW lock_timeout').fetchone()[0], file=sys.stderr)\n"
                 "try:\n"
                 "    c.execute('ALTER TABLE users ADD COLUMN plan text')\n"
                 "except psycopg.Error as exc:\n"
                 "    sys.exit(f'migration failed: {exc}')\n")
    with psycopg.connect(url) as holder:  # an open transaction holding a lock, like a long report query
        holder.execute("SELECT count(*) FROM users").fetchone()
        proc = run("migrate", "--yes", "--lock-timeout", "1s", "--database-url", url, "--", sys.executable,
                   "-c", migration, cwd=root, backups=tmp_path / "backups")
        holder.rollback()
    assert proc.returncode == 1, proc.stderr
    assert "lock_timeout 1s" in proc.stderr and "lock timeout" in proc.stderr, proc.stderr
    assert "no restore needed" in proc.stderr, proc.stderr
    with psycopg.connect(url) as conn:
        cols = conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'users'")
        assert sorted(r[0] for r in cols.fetchall()) == ["email", "id"]



def test_timeouts_are_refused_for_sqlite_and_bad_durations(app: tuple[Path, Path]) -> None:
    root, backups = app
    proc = run("migrate", "--yes", "--lock-timeout", "5s", "--", sys.executable, "-c", "print(1)", cwd=root,
               backups=backups)
    assert proc.returncode == 2 and "PostgreSQL only" in proc.stderr and "NOT run" in proc.stderr
    assert not backups.exists() or not any(backups.rglob("*.sqlite*"))
    proc = run("migrate", "--yes", "--statement-timeout", "soon", "--", sys.executable, "-c", "print(1)", cwd=root,
               backups=backups)
    assert proc.returncode == 2 and "expected a duration" in proc.stderr
