"""`handrail migrations replay` against the real local PostgreSQL, MariaDB and SQLite: good and bad twins of each
migration style, the scratch database gone afterwards, and one clear line when the replay cannot run."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pymysql
import pytest

from handrail.core.config import load_config
from handrail.core.project import Project
from handrail.migrations.replay import ReplayResult, replay, statements, up_part

DATA = Path(__file__).parent / "data" / "replay"
PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
MY_URL = "mysql://root@127.0.0.1:3306/mysql"
DEAD_PG = "postgresql://postgres:hr-not-a-real-pw@127.0.0.1:1/postgres"
SCRATCH = re.compile(r"handrail_replay_[0-9a-f]{12}")


def _pg_why() -> str | None:
    try:
        psycopg.connect(PG_URL, connect_timeout=2).close()
    except psycopg.Error as exc:
        return str(exc).splitlines()[0]
    return None


def _my_why() -> str | None:
    try:
        pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", connect_timeout=2).close()
    except pymysql.err.MySQLError as exc:
        return str(exc)
    return None


_PG, _MY = _pg_why(), _my_why()
needs_pg = pytest.mark.skipif(_PG is not None, reason=f"no PostgreSQL on 127.0.0.1:5432: {_PG}")
needs_my = pytest.mark.skipif(_MY is not None, reason=f"no MariaDB on 127.0.0.1:3306: {_MY}")
needs_alembic = pytest.mark.skipif(importlib.util.find_spec("alembic") is None or shutil.which("alembic") is None,
                                   reason="alembic is not installed in this venv (pip install alembic)")
needs_npm = pytest.mark.skipif(shutil.which("npm") is None or shutil.which("node") is None,
                               reason="node and npm are needed to install knex into the fixture app")
needs_django = pytest.mark.skipif(importlib.util.find_spec("django") is None,
                                  reason="django is not installed in this venv (pip install django)")


@pytest.fixture(autouse=True)
def _no_app_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """The replay must not depend on (or reach) whatever database the developer's shell points at."""
    for name in ("DATABASE_URL", "HANDRAIL_SCRATCH_URL", "DB_URL", "DB_CONNECTION"):
        monkeypatch.delenv(name, raising=False)


def _app(tmp_path: Path, kind: str, twin: str) -> Path:
    root = tmp_path / f"{kind}-{twin}"
    shutil.copytree(DATA / kind / twin, root)
    return root


def _run(root: Path, server_url: str | None = None, **kw: object) -> tuple[ReplayResult, list[str]]:
    said: list[str] = []
    project = Project(root, load_config(root, None))
    result = replay(project, server_url=server_url, say=said.append, **kw)  # type: ignore[arg-type]
    return result, said


def _scratch_names(said: list[str]) -> set[str]:
    return {m for line in said for m in SCRATCH.findall(line)}


def _pg_databases() -> set[str]:
    with psycopg.connect(PG_URL) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()}


def _my_databases() -> set[str]:
    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW DATABASES")
            return {r[0] for r in cur.fetchall()}
    finally:
        conn.close()


# --- PostgreSQL: Supabase, Prisma, Drizzle ------------------------------------------------------------------------
BAD = {  # the bad twin's extra migration and the line that references a table no migration creates
    "supabase": ("supabase/migrations/20240103000000_likes.sql", 10, "post_settings"),
    "prisma": ("prisma/migrations/20240103000000_published/migration.sql", 5, "Account"),
    "drizzle_pg": ("drizzle/0001_done.sql", 4, "projects"),
    "drizzle_mysql": ("drizzle/0001_done.sql", 4, "accounts"),
    "sqlite": ("migrations/003_pinned.sql", 4, "archived_notes"),
    "mysql_sql": ("db/migrations/002_refunds.sql", 8, "chargebacks"),
}


@needs_pg
@pytest.mark.parametrize("kind", ["supabase", "prisma", "drizzle_pg"])
def test_postgresql_good_twin_replays_and_scratch_is_dropped(tmp_path: Path, kind: str) -> None:
    result, said = _run(_app(tmp_path, kind, "good"), PG_URL)
    assert result.status == "ok", result.message
    assert (result.engine, result.method) == ("postgresql", "sql")
    assert result.applied and result.applied == sorted(result.applied)
    assert all(p.endswith(".sql") for p in result.applied)
    names = _scratch_names(said)
    assert len(names) == 1
    assert not names & _pg_databases()


@needs_pg
@pytest.mark.parametrize("kind", ["supabase", "prisma", "drizzle_pg"])
def test_postgresql_bad_twin_names_file_and_line(tmp_path: Path, kind: str) -> None:
    result, said = _run(_app(tmp_path, kind, "bad"), PG_URL)
    path, line, table = BAD[kind]
    assert result.status == "failed", result.message
    assert (result.failed_path, result.failed_line) == (path, line)
    assert result.message.startswith(f"{path}:{line}: ") and table in result.message
    assert path not in result.applied and len(result.applied) >= 1
    assert "\n" not in result.message
    assert not _scratch_names(said) & _pg_databases()


@needs_pg
def test_supabase_seed_is_not_a_migration_and_stand_ins_are_used(tmp_path: Path) -> None:
    result, said = _run(_app(tmp_path, "supabase", "good"), PG_URL)
    assert result.status == "ok", result.message
    assert "supabase/seed.sql" not in result.applied  # it inserts into a table that does not exist
    assert any("pg_cron" in s and "stand-in" in s for s in said)


@needs_pg
def test_keep_leaves_the_scratch_database_with_the_schema(tmp_path: Path) -> None:
    result, said = _run(_app(tmp_path, "prisma", "good"), PG_URL, keep=True)
    (name,) = _scratch_names(said)
    try:
        assert result.status == "ok"
        assert any("kept" in s for s in said)
        with psycopg.connect(PG_URL.rsplit("/", 1)[0] + "/" + name) as conn:
            tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        assert {"User", "Post"} <= tables
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@needs_pg
def test_concurrently_runs_outside_a_transaction(tmp_path: Path) -> None:
    root = _app(tmp_path, "prisma", "good")
    mig = root / "prisma/migrations/20240103000000_idx/migration.sql"
    mig.parent.mkdir()
    mig.write_text('CREATE INDEX CONCURRENTLY "Post_title_idx" ON "Post"("title");\n')
    result, _ = _run(root, PG_URL)
    assert result.status == "ok", result.message
    assert len(result.applied) == 3


@needs_pg
def test_syntax_error_uses_the_server_position(tmp_path: Path) -> None:
    root = _app(tmp_path, "prisma", "good")
    mig = root / "prisma/migrations/20240103000000_typo/migration.sql"
    mig.parent.mkdir()
    mig.write_text('-- AddColumn\nALTER TABLE "Post"\n  ADD COLUMN "views" INTEGR NOT NULL DEFAULT 0;\n')
    result, _ = _run(root, PG_URL)
    assert result.status == "failed"
    assert (result.failed_path, result.failed_line) == ("prisma/migrations/20240103000000_typo/migration.sql", 3)
    assert 'type "integr" does not exist' in result.message


@needs_pg
def test_missing_extension_outside_supabase_is_unsupported_not_failed(tmp_path: Path) -> None:
    root = _app(tmp_path, "prisma", "good")
    mig = root / "prisma/migrations/20240103000000_vector/migration.sql"
    mig.parent.mkdir()
    mig.write_text("CREATE EXTENSION IF NOT EXISTS handrail_no_such_extension;\n")
    result, _ = _run(root, PG_URL)
    assert result.status == "unsupported"
    assert result.failed_line == 1 and "scratch server" in result.message


def test_dead_server_is_unsupported_with_one_clear_line(tmp_path: Path) -> None:
    result, _ = _run(_app(tmp_path, "prisma", "good"), DEAD_PG)
    assert result.status == "unsupported"
    assert result.message.startswith("no scratch server: cannot connect to postgresql://postgres:***@127.0.0.1:1/")
    assert "hr-not-a-real-pw" not in result.message and "\n" not in result.message
    assert result.applied == []


def test_server_of_another_engine_is_refused(tmp_path: Path) -> None:
    result, _ = _run(_app(tmp_path, "prisma", "good"), MY_URL)
    assert result.status == "unsupported"
    assert "mysql server but the migrations are postgresql" in result.message


def test_no_migrations_is_unsupported(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print('hi')\n")
    result, _ = _run(tmp_path, PG_URL)
    assert (result.status, result.message) == ("unsupported", "no migrations found")


# --- MariaDB and SQLite --------------------------------------------------------------------------------------------
@needs_my
@pytest.mark.parametrize("twin", ["good", "bad"])
@pytest.mark.parametrize("kind", ["drizzle_mysql", "mysql_sql"])
def test_mysql_twins_on_mariadb(tmp_path: Path, kind: str, twin: str) -> None:
    """Drizzle's breakpoints (not a comment to MySQL) and a plain SQL folder with a DELIMITER-wrapped trigger."""
    result, said = _run(_app(tmp_path, kind, twin))
    assert result.engine == "mysql"
    if twin == "good":
        assert result.status == "ok", result.message
        assert len(result.applied) == 1
    else:
        path, line, table = BAD[kind]
        assert (result.status, result.failed_path, result.failed_line) == ("failed", path, line)
        assert f"Table '{table}' doesn't exist" in result.message  # the scratch database's name is left out
    names = _scratch_names(said)
    assert len(names) == 1 and not names & _my_databases()


@pytest.mark.parametrize("twin", ["good", "bad"])
def test_plain_sql_twins_on_sqlite(tmp_path: Path, twin: str) -> None:
    result, said = _run(_app(tmp_path, "sqlite", twin))
    assert result.engine == "sqlite"
    if twin == "good":
        assert result.status == "ok", result.message  # the trigger body's semicolons and the down half are handled
        assert result.applied == ["migrations/001_notes.sql", "migrations/002_tags.sql"]
    else:
        path, line, table = BAD["sqlite"]
        assert (result.status, result.failed_path, result.failed_line) == ("failed", path, line)
        assert table in result.message
    temp = [Path(m.group(0)) for s in said if (m := re.search(r"/\S+replay\.sqlite3", s))]
    assert temp and not temp[0].exists() and not temp[0].parent.exists()


# --- framework commands --------------------------------------------------------------------------------------------
@needs_django
@pytest.mark.parametrize("twin", ["good", "bad"])
def test_django_on_sqlite(tmp_path: Path, twin: str) -> None:
    root = _app(tmp_path, "django", twin)
    result, _ = _run(root)
    assert result.method.endswith("manage.py migrate --noinput")
    if twin == "good":
        assert result.status == "ok", result.message
        assert len(result.applied) == 2
    else:
        assert result.status == "failed"
        assert result.failed_path == "notes/migrations/0003_legacy.py"
        assert "no such table: legacy_notes" in result.message
    assert not list(root.rglob("*.sqlite3"))  # nothing was written next to the app


@needs_django
@needs_pg
def test_django_on_postgresql(tmp_path: Path) -> None:
    result, said = _run(_app(tmp_path, "django", "good"), PG_URL)  # code migrations follow --server-url
    assert (result.status, result.engine) == ("ok", "postgresql"), result.message
    assert not _scratch_names(said) & _pg_databases()


def test_django_settings_without_database_url_are_never_run(tmp_path: Path) -> None:
    root = _app(tmp_path, "django", "good")
    (root / "site_cfg/settings.py").write_text(
        'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}\n'
        'INSTALLED_APPS = ["notes"]\n')
    result, _ = _run(root)
    assert result.status == "unsupported"
    assert "do not read DATABASE_URL" in result.message
    assert not (root / "db.sqlite3").exists()  # the app's own database was not migrated


@pytest.mark.skipif(shutil.which("php") is not None, reason="php is installed here")
def test_laravel_without_php_is_unsupported(tmp_path: Path) -> None:
    mig = tmp_path / "database/migrations/2024_01_01_000000_create_posts_table.php"
    mig.parent.mkdir(parents=True)
    mig.write_text("<?php\nreturn new class extends Migration { public function up(): void {} };\n")
    (tmp_path / "artisan").write_text("#!/usr/bin/env php\n")
    result, _ = _run(tmp_path)
    assert result.status == "unsupported" and "php" in result.message


@needs_pg
def test_configured_command_gets_the_scratch_database(tmp_path: Path) -> None:
    root = _app(tmp_path, "prisma", "good")
    script = root / "apply.py"
    script.write_text("import os, psycopg\n"
                      "with psycopg.connect(os.environ['DATABASE_URL']) as c:\n"
                      "    c.execute('CREATE TABLE made_by_command (id int)')\n"
                      "print('applied 20240101000000_init and 20240102000000_posts')\n")
    (root / "handrail.toml").write_text(f'[migrations]\nreplay = "{sys.executable} apply.py"\n')
    result, said = _run(root, PG_URL)
    assert result.status == "ok", result.message
    assert result.method == f"{sys.executable} apply.py"
    assert not _scratch_names(said) & _pg_databases()


@needs_pg
def test_command_that_touches_another_database_is_not_trusted(tmp_path: Path) -> None:
    root = _app(tmp_path, "prisma", "good")
    (root / "handrail.toml").write_text(f'[migrations]\nreplay = "{sys.executable} -c pass"\n')
    result, _ = _run(root, PG_URL)
    assert result.status == "unsupported"
    assert "created no tables in the scratch database" in result.message


# --- splitting and line mapping ------------------------------------------------------------------------------------
def test_up_part_keeps_lines_and_drops_down_half_and_breakpoints() -> None:
    text = ("CREATE TABLE a (id int);--> statement-breakpoint\nCREATE TABLE b (id int);\n"
            "-- migrate:down\nDROP TABLE a;\n")
    up = up_part(text)
    assert "DROP" not in up and "breakpoint" not in up
    assert up.count("\n") == 2 and len(up.splitlines()[0]) == len(text.splitlines()[0])


def test_statements_follow_each_engine_grammar() -> None:
    trigger = "CREATE TABLE t (a int);\nCREATE TRIGGER x AFTER INSERT ON t BEGIN\n  SELECT 1;\n  SELECT 2;\nEND;\n"
    assert [s.split()[1] for _, s in statements(trigger, "sqlite")] == ["TABLE", "TRIGGER"]
    atomic = ("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n"
              "SELECT $x$ ; $x$;")
    offs = statements(atomic, "postgresql")
    assert len(offs) == 2 and atomic[offs[1][0]:].startswith("SELECT $x$")


# --- command line --------------------------------------------------------------------------------------------------
def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "HANDRAIL_SCRATCH_URL", "HANDRAIL_DEBUG")}
    return subprocess.run([sys.executable, "-m", "handrail", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


@needs_pg
def test_cli_exit_codes_and_json(tmp_path: Path) -> None:
    good = _cli("migrations", "replay", "-C", str(_app(tmp_path, "prisma", "good")), "--server-url", PG_URL)
    assert good.returncode == 0 and good.stdout.startswith("replay ok: 2 migrations"), good.stderr
    bad = _cli("migrations", "replay", "-C", str(_app(tmp_path, "prisma", "bad")), "--server-url", PG_URL,
               "--format", "json")
    assert bad.returncode == 1
    doc = json.loads(bad.stdout)
    assert (doc["status"], doc["failed_line"]) == ("failed", 5)
    dead = _cli("migrations", "replay", "-C", str(_app(tmp_path, "sqlite", "good")) + "-missing")
    assert dead.returncode == 2 and "no such file or directory" in dead.stderr
    down = _cli("migrations", "replay", "-C", str(_app(tmp_path, "drizzle_pg", "good")), "--server-url", DEAD_PG)
    assert down.returncode == 2 and "Traceback" not in down.stderr
    assert down.stderr.strip().splitlines()[-1].startswith("handrail: replay not possible: no scratch server")


@needs_pg
def test_check_deep_runs_the_replay(tmp_path: Path) -> None:
    root = _app(tmp_path, "prisma", "bad")
    env_url = ("HANDRAIL_SCRATCH_URL", PG_URL)
    proc = subprocess.run([sys.executable, "-m", "handrail", "check", str(root), "--deep", "--check", "rollback",
                           "--format", "json"], capture_output=True, text=True, timeout=120, check=False,
                          env={**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, env_url[0]: env_url[1]})
    assert proc.returncode in (0, 1), proc.stderr
    assert "migration-replay-failed" in proc.stdout


@needs_pg
def test_supabase_dump_style_migration_leaves_the_server_alone(tmp_path: Path) -> None:
    """`supabase db pull` output: platform extensions, an emptied search_path, owners, grants, default privileges,
    and a later `alter database postgres set ...` that must land on the scratch database, not the server's."""
    result, said = _run(_app(tmp_path, "supabase_dump", "good"), PG_URL)
    assert result.status == "ok", result.message
    assert any("pg_graphql" in s and "left out" in s for s in said)
    with psycopg.connect(PG_URL) as conn:
        settings = conn.execute("SELECT coalesce(string_agg(array_to_string(setconfig, ','), ','), '')"
                                " FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase"
                                " WHERE d.datname = 'postgres'").fetchone()
    assert settings is not None and "tags_enabled" not in settings[0]


@needs_pg
def test_interrupted_replay_still_drops_the_scratch_database(tmp_path: Path) -> None:
    said: list[str] = []

    def say(message: str) -> None:
        said.append(message)
        if message.startswith("applying"):
            raise KeyboardInterrupt

    root = _app(tmp_path, "prisma", "good")
    with pytest.raises(KeyboardInterrupt):
        replay(Project(root, load_config(root, None)), server_url=PG_URL, say=say)
    names = _scratch_names(said)
    assert len(names) == 1 and not names & _pg_databases()


def test_alembic_reading_a_literal_url_is_never_run(tmp_path: Path) -> None:
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = alembic\n"
                                          "sqlalchemy.url = sqlite:///app.db\n")
    (tmp_path / "alembic/versions").mkdir(parents=True)
    (tmp_path / "alembic/env.py").write_text("from alembic import context\nconfig = context.config\n")
    (tmp_path / "alembic/versions/0001_init.py").write_text(
        'revision = "0001"\ndown_revision = None\n\ndef upgrade():\n    pass\n')
    result, _ = _run(tmp_path)
    assert result.status == "unsupported" and "does not read DATABASE_URL" in result.message
    assert not (tmp_path / "app.db").exists()


@needs_my
def test_mysql_syntax_error_line_counts_from_the_statement(tmp_path: Path) -> None:
    root = _app(tmp_path, "mysql_sql", "good")
    (root / "db/migrations/002_typo.sql").write_text(
        "CREATE TABLE a (id INT PRIMARY KEY);\n\n-- the next statement has a typo\nALTER TABLE a\n"
        "  ADD COLUMN b INT,\n  ADDD COLUMN c INT;\n")
    result, _ = _run(root)
    assert (result.status, result.failed_path, result.failed_line) == ("failed", "db/migrations/002_typo.sql", 6)


@needs_alembic
@pytest.mark.parametrize("server", ["sqlite", "postgresql"])
@pytest.mark.parametrize("twin", ["good", "bad"])
def test_alembic_reading_database_url_is_replayed(tmp_path: Path, twin: str, server: str) -> None:
    """A real `alembic upgrade head` against the scratch database; the bad twin alters a table no migration creates
    (it only ever existed in production) and the message is SQLAlchemy's error, not its trailing help link."""
    if server == "postgresql" and _PG is not None:
        pytest.skip(f"no PostgreSQL: {_PG}")
    root = _app(tmp_path, "alembic", twin)
    result, said = _run(root, PG_URL if server == "postgresql" else None)
    assert result.method.endswith("alembic upgrade head") and result.engine == server
    if twin == "good":
        assert result.status == "ok", result.message
        assert result.applied == ["migrations/versions/0001_customers.py", "migrations/versions/0002_orders.py"]
    else:
        assert result.status == "failed"
        assert result.failed_path == "migrations/versions/0002_orders.py"
        assert "legacy_orders" in result.message and "Background on this error" not in result.message
    assert not (root / "dev.db").exists()  # the URL in alembic.ini (the app's own database) was never touched
    if server == "postgresql":
        assert not _scratch_names(said) & _pg_databases()


@pytest.fixture(scope="module")
def knex_apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The knex twins with knex and pg installed from the npm registry (once per run, about 2 s when cached)."""
    apps = {}
    for twin in ("good", "bad"):
        root = tmp_path_factory.mktemp("knex") / twin
        shutil.copytree(DATA / "knex" / twin, root)
        proc = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=root,
                              capture_output=True, text=True, timeout=300, check=False)
        if proc.returncode != 0:
            pytest.skip(f"npm install failed: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}")
        apps[twin] = root
    return apps


@needs_npm
@needs_pg
@pytest.mark.parametrize("twin", ["good", "bad"])
def test_knex_reading_database_url_is_replayed(knex_apps: dict[str, Path], twin: str) -> None:
    result, said = _run(knex_apps[twin], PG_URL)
    assert (result.engine, result.method) == ("postgresql", "node_modules/.bin/knex migrate:latest")
    if twin == "good":
        assert result.status == "ok", result.message
        assert result.applied == ["migrations/20240101000000_monitors.js", "migrations/20240201000000_heartbeats.js"]
    else:
        assert (result.status, result.failed_path) == ("failed", "migrations/20240201000000_heartbeats.js")
        assert 'relation "checks" does not exist' in result.message and "parseErrorMessage" not in result.message
    assert not _scratch_names(said) & _pg_databases()


@needs_npm
@needs_pg
def test_node_pg_migrate_app_is_replayed_and_a_bad_file_named(tmp_path: Path) -> None:
    """The Express fixture app (node-pg-migrate reads DATABASE_URL itself), then the same app with a migration
    that alters a table none of its migrations create."""
    root = tmp_path / "express"
    shutil.copytree(Path(__file__).parent / "fixtures" / "express" / "good", root)
    proc = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", "node-pg-migrate@7", "pg@8"],
                          cwd=root, capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0:
        pytest.skip(f"npm install failed: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}")
    result, said = _run(root, PG_URL)
    assert (result.status, result.engine) == ("ok", "postgresql"), result.message
    assert result.method.startswith("node_modules/.bin/node-pg-migrate up -m migrations")
    assert result.applied == ["migrations/1717200000000_create-bookings.js"]
    (root / "migrations/1717300000000_add-venue.js").write_text(
        "exports.up = (pgm) => {\n  pgm.addColumns('venues', { capacity: { type: 'integer' } });\n};\n")
    result, said2 = _run(root, PG_URL)
    assert (result.status, result.failed_path) == ("failed", "migrations/1717300000000_add-venue.js")
    assert 'relation "venues" does not exist' in result.message
    assert not (_scratch_names(said) | _scratch_names(said2)) & _pg_databases()
