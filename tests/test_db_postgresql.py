"""PostgreSQL engine against the real local server: a backup is only trusted after a scratch restore matches."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from handrail.db.engine import DatabaseError, DatabaseTarget
from handrail.db.engines import load_engine
from handrail.db.engines.postgresql import ENGINE, session_settings

HOST, PORT, USER = "127.0.0.1", 5432, "postgres"
FAKE_PASSWORD = "hr-test-" + secrets.token_hex(8)  # trust auth ignores it; it must still never reach argv


def _reachable() -> str | None:
    try:
        psycopg.connect(host=HOST, port=PORT, user=USER, dbname="postgres", connect_timeout=2).close()
    except psycopg.Error as exc:
        return str(exc).splitlines()[0]
    return None


_WHY = _reachable()
pytestmark = pytest.mark.skipif(_WHY is not None, reason=f"no PostgreSQL server on {HOST}:{PORT}: {_WHY}")

SCHEMA = """
CREATE SCHEMA billing;
CREATE TABLE users (
  id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, name text, avatar bytea,
  prefs jsonb NOT NULL DEFAULT '{}', created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE orders (
  id serial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  total numeric(10,2) NOT NULL, note text, updated_at timestamptz);
CREATE INDEX orders_user_idx ON orders (user_id);
CREATE SEQUENCE billing.invoice_no START 1000;
CREATE TABLE billing.invoices (
  no integer PRIMARY KEY DEFAULT nextval('billing.invoice_no'), order_id integer NOT NULL REFERENCES orders(id),
  amount double precision, meta json);
CREATE VIEW user_totals AS SELECT u.id, u.email, sum(o.total) AS total FROM users u JOIN orders o ON o.user_id = u.id
  GROUP BY u.id, u.email;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
INSERT INTO users (email, name, avatar, prefs)
  SELECT 'u' || i || '@example.com', (ARRAY['Zoë', '東京', 'Ñandú 🦤', NULL])[1 + i % 4],
         decode(md5(i::text), 'hex'), jsonb_build_object('n', i, 'tags', jsonb_build_array('a', i))
  FROM generate_series(1, 40) i;
INSERT INTO orders (user_id, total, note) SELECT 1 + i % 40, i * 1.25, 'ünïcode ' || i FROM generate_series(1, 120) i;
INSERT INTO billing.invoices (order_id, amount, meta) SELECT i, i / 3.0, json_build_object('o', i)
  FROM generate_series(1, 60) i;
"""


def _admin(dbname: str = "postgres") -> psycopg.Connection[Any]:
    return psycopg.connect(host=HOST, port=PORT, user=USER, dbname=dbname, autocommit=True)


def _target(name: str, password: str | None = FAKE_PASSWORD) -> DatabaseTarget:
    return DatabaseTarget(engine="postgresql", url=f"postgresql://{USER}@{HOST}:{PORT}/{name}", source="test",
                          host=HOST, port=PORT, user=USER, password=password, database=name)


def _exists(name: str) -> bool:
    with _admin() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


@pytest.fixture
def app_db() -> Iterator[DatabaseTarget]:
    name = "handrail_t_" + secrets.token_hex(5)
    with _admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        with _admin(name) as conn:
            conn.execute(SCHEMA)
        yield _target(name)
    finally:
        with _admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_registered_and_available() -> None:
    assert load_engine("postgresql") is ENGINE
    assert ENGINE.available() is None
    assert ENGINE.transactional_ddl is True


def test_backup_restore_snapshots_equal(app_db: DatabaseTarget, tmp_path: Path) -> None:
    dump = tmp_path / ("app" + ENGINE.dump_suffix)
    ENGINE.backup(app_db, dump)
    assert dump.stat().st_mode & 0o777 == 0o600
    assert not [p for p in tmp_path.iterdir() if p != dump]  # no partial file left behind
    source = ENGINE.snapshot(app_db)
    assert {t.name: t.rows for t in source.tables} == {"billing.invoices": 60, "public.orders": 120,
                                                         "public.users": 40}
    with ENGINE.scratch(app_db) as scratch:
        assert scratch.database != app_db.database and _exists(scratch.database or "")
        assert ENGINE.snapshot(scratch).tables == ()
        ENGINE.restore_into(dump, scratch)
        assert source.differences(ENGINE.snapshot(scratch)) == []
        with _admin(scratch.database or "") as conn:  # the non-table objects came back too
            assert conn.execute("SELECT count(*) FROM user_totals").fetchone() == (40,)
            assert conn.execute("SELECT nextval('billing.invoice_no')").fetchone() == (1060,)
            conn.execute("UPDATE orders SET total = total WHERE id = 1")
            assert conn.execute("SELECT updated_at IS NOT NULL FROM orders WHERE id = 1").fetchone() == (True,)
            index = conn.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_user_idx'").fetchone()
            assert index == (1,)
    assert not _exists(scratch.database or "")


def test_verify_restore_into_a_scratch_runs_two_jobs_and_matches(app_db: DatabaseTarget, tmp_path: Path) -> None:
    """restore_snapshot (the verify's restore) loads a scratch database with `pg_restore --jobs=2`: same snapshot,
    views, sequences and indexes as the one-transaction restore; a cut dump is one line and the scratch is dropped."""
    dump = tmp_path / "app.pgdump"
    ENGINE.backup(app_db, dump)
    source = ENGINE.snapshot(app_db)
    with ENGINE.scratch(app_db) as scratch:
        assert source.differences(ENGINE.restore_snapshot(dump, scratch, source)) == []
        with _admin(scratch.database or "") as conn:
            assert conn.execute("SELECT count(*) FROM user_totals").fetchone() == (40,)
            assert conn.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_user_idx'").fetchone() \
                == (1,)
    dump.write_bytes(dump.read_bytes()[:-4000])
    with pytest.raises(DatabaseError) as err, ENGINE.scratch(app_db) as scratch:
        ENGINE.restore_snapshot(dump, scratch, source)
    assert "\n" not in str(err.value) and "restoring app.pgdump" in str(err.value)
    assert not _exists(scratch.database or "")


def test_change_after_backup_names_the_table(app_db: DatabaseTarget, tmp_path: Path) -> None:
    dump = tmp_path / "app.pgdump"
    ENGINE.backup(app_db, dump)
    with _admin(app_db.database or "") as conn:
        conn.execute("UPDATE billing.invoices SET meta = '{\"o\": -1}' WHERE no = 1010")
    with ENGINE.scratch(app_db) as scratch:
        ENGINE.restore_into(dump, scratch)
        assert ENGINE.snapshot(app_db).differences(ENGINE.snapshot(scratch)) == [
            "table billing.invoices: content differs (60 rows)"]
    with _admin(app_db.database or "") as conn:
        conn.execute("DELETE FROM orders WHERE id > 110")
    assert [d.split(":")[0] for d in ENGINE.snapshot(app_db).differences(_snapshot_of(dump, app_db))] == [
        "table billing.invoices", "table public.orders"]


def _snapshot_of(dump: Path, like: DatabaseTarget) -> Any:
    with ENGINE.scratch(like) as scratch:
        ENGINE.restore_into(dump, scratch)
        return ENGINE.snapshot(scratch)


def test_corrupted_dump_raises_and_scratch_is_dropped(app_db: DatabaseTarget, tmp_path: Path) -> None:
    dump = tmp_path / "app.pgdump"
    ENGINE.backup(app_db, dump)
    data = dump.read_bytes()
    dump.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(DatabaseError) as err, ENGINE.scratch(app_db) as scratch:
        ENGINE.restore_into(dump, scratch)
    assert "\n" not in str(err.value) and "restoring app.pgdump" in str(err.value)
    assert not _exists(scratch.database or "")
    with pytest.raises(DatabaseError, match="does not exist"):
        ENGINE.restore_into(tmp_path / "missing.pgdump", app_db)


def test_dead_server_one_line_without_password(tmp_path: Path) -> None:
    dead = DatabaseTarget(engine="postgresql", url=f"postgresql://{USER}:{FAKE_PASSWORD}@{HOST}:1/app", source="test",
                          host=HOST, port=1, user=USER, password=FAKE_PASSWORD, database="app")
    for call in (lambda: ENGINE.snapshot(dead), lambda: ENGINE.backup(dead, tmp_path / "x.pgdump"),
                 lambda: ENGINE.scratch(dead).__enter__()):
        with pytest.raises(DatabaseError) as err:
            call()
        message = str(err.value)
        assert "\n" not in message and FAKE_PASSWORD not in message and "port 1" in message
    assert list(tmp_path.iterdir()) == []


def test_unwritable_backup_folder(app_db: DatabaseTarget, tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="cannot write the backup"):
        ENGINE.backup(app_db, tmp_path / "missing-dir" / "app.pgdump")


def test_password_only_in_environment(app_db: DatabaseTarget, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[list[str], dict[str, str]]] = []
    real_popen = subprocess.Popen

    class Recording(real_popen):  # type: ignore[misc, valid-type]
        def __init__(self, args: list[str], *a: Any, **kw: Any) -> None:
            seen.append(([str(x) for x in args], dict(kw.get("env") or {})))
            super().__init__(args, *a, **kw)

    monkeypatch.setattr(subprocess, "Popen", Recording)
    dump = tmp_path / "app.pgdump"
    ENGINE.backup(app_db, dump)
    with ENGINE.scratch(app_db) as scratch:
        ENGINE.restore_into(dump, scratch)
    tools = [(argv, env) for argv, env in seen if argv[0].endswith(("pg_dump", "pg_restore")) and env]
    assert {Path(argv[0]).name for argv, _ in tools} == {"pg_dump", "pg_restore"}
    for argv, env in tools:
        assert not any(FAKE_PASSWORD in arg for arg in argv)
        assert env["PGPASSWORD"] == FAKE_PASSWORD


def test_failed_migration_rolls_back_schema(app_db: DatabaseTarget) -> None:
    """A migration run in one transaction that fails halfway leaves nothing behind: transactional_ddl is real."""
    before = ENGINE.snapshot(app_db)
    migration = ("CREATE TABLE audit_log (id serial PRIMARY KEY, at timestamptz);\n"
                 "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';\n"
                 "INSERT INTO no_such_table VALUES (1);\n")
    proc = subprocess.run(["psql", "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-h", HOST, "-p", str(PORT),
                           "-U", USER, "-d", app_db.database or ""], input=migration, capture_output=True, text=True,
                          check=False)
    assert proc.returncode != 0 and "no_such_table" in proc.stderr
    with _admin(app_db.database or "") as conn:
        assert conn.execute("SELECT to_regclass('audit_log')").fetchone() == (None,)
        assert conn.execute("SELECT count(*) FROM information_schema.columns"
                            " WHERE table_name = 'users' AND column_name = 'plan'").fetchone() == (0,)
    assert before.differences(ENGINE.snapshot(app_db)) == []
    assert ENGINE.transactional_ddl is True


def test_session_settings() -> None:
    assert session_settings(2000, 60000, base="") == {"PGOPTIONS": "-c lock_timeout=2000 -c statement_timeout=60000"}
    assert session_settings(None, 5, base="-c search_path=app") == {
        "PGOPTIONS": "-c search_path=app -c statement_timeout=5"}
    assert session_settings(None, None, base="") == {}
    with pytest.raises(ValueError):
        session_settings(-1, None)


def test_session_settings_apply_to_a_real_session(app_db: DatabaseTarget) -> None:
    env = {"PATH": "/usr/bin:/bin", **session_settings(1500, 0, base="")}
    out = subprocess.run(["psql", "-X", "-At", "-h", HOST, "-p", str(PORT), "-U", USER, "-d", app_db.database or "",
                          "-c", "SHOW lock_timeout"], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "1500ms"
