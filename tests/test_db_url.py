"""Database URL parsing and resolution by each framework's convention, with passwords kept out of errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from handrail.core.config import DefaultConfig, load_config
from handrail.db.engine import DatabaseError
from handrail.db.url import parse_url, resolve

SECRET = "s3cr@t:/pw%"  # characters that must be percent-encoded in a URL


def test_sqlite_relative_and_absolute() -> None:
    rel = parse_url("sqlite:///var/app.db", "x")
    assert (rel.engine, rel.database) == ("sqlite", "var/app.db")
    ab = parse_url("sqlite:////srv/app/db.sqlite3?timeout=5", "x")
    assert (ab.database, ab.options, ab.display()) == ("/srv/app/db.sqlite3", (("timeout", "5"),),
                                                      "sqlite:////srv/app/db.sqlite3")


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///file:x?mode=memory"])
def test_in_memory_sqlite_is_refused(url: str) -> None:
    with pytest.raises(DatabaseError, match=r"in-memory"):
        parse_url(url, "--database-url")


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"])
def test_postgres_schemes_decode_credentials(scheme: str) -> None:
    t = parse_url(f"{scheme}://app%40prod:s3cr%40t%3A%2Fpw%25@db.internal:6543/my%20db?sslmode=require", "x")
    assert (t.engine, t.user, t.password, t.host, t.port, t.database) == (
        "postgresql", "app@prod", SECRET, "db.internal", 6543, "my db")
    assert t.options == (("sslmode", "require"),)
    assert t.url.startswith("postgresql://")
    assert SECRET not in t.display() and "s3cr" not in t.display() and SECRET not in repr(t)


def test_postgres_socket_form() -> None:
    t = parse_url("postgresql:///app?host=/var/run/postgresql", "x")
    assert (t.host, t.port, t.database, t.user) == ("/var/run/postgresql", None, "app", None)


@pytest.mark.parametrize("scheme", ["mysql", "mysql+pymysql", "mariadb"])
def test_mysql_schemes(scheme: str) -> None:
    t = parse_url(f"{scheme}://root:pw@[::1]:3307/shop?charset=utf8mb4", "x")
    assert (t.engine, t.host, t.port, t.database, t.password) == ("mysql", "::1", 3307, "shop", "pw")


def test_errors_never_echo_the_url() -> None:
    with pytest.raises(DatabaseError) as bad_port:
        parse_url("postgresql://u:hunter2hunter2@host:hunter2/db", "DATABASE_URL")
    with pytest.raises(DatabaseError) as bad_scheme:
        parse_url("mongodb://u:hunter2hunter2@host/db", "DATABASE_URL")
    with pytest.raises(DatabaseError) as no_db:
        parse_url("mysql://u:hunter2hunter2@host", "DATABASE_URL")
    for err in (bad_port, bad_scheme, no_db):
        assert "hunter2" not in str(err.value) and str(err.value).startswith("DATABASE_URL: ")
    assert "mongodb" in str(bad_scheme.value)


def _sqlite_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()


def test_order_explicit_then_config_then_database_url(tmp_path: Path) -> None:
    (tmp_path / "handrail.toml").write_text('[environments.production]\nurl = "https://app.example.com"\n'
                                            'database_url_env = "PROD_DB"\n')
    config = load_config(tmp_path)
    env = {"PROD_DB": "postgresql://p@prod/app", "DATABASE_URL": "mysql://d@dev/app"}
    assert resolve(tmp_path, config, "sqlite:///x.db", env).source == "--database-url"
    t = resolve(tmp_path, config, None, env)
    assert (t.source, t.host) == ("PROD_DB (handrail.toml [environments.production])", "prod")
    t = resolve(tmp_path, config, None, {"DATABASE_URL": "mysql://d@dev/app"})
    assert (t.source, t.engine) == ("DATABASE_URL", "mysql")
    with pytest.raises(DatabaseError, match=r"\[environments.production\] reads the database URL from PROD_DB"):
        resolve(tmp_path, config, None, {}, environment="production")
    with pytest.raises(DatabaseError, match=r"'staging' is not in handrail.toml"):
        resolve(tmp_path, config, None, env, environment="staging")


def test_two_configured_environments_set_is_ambiguous(tmp_path: Path) -> None:
    (tmp_path / "handrail.toml").write_text('[environments.a]\ndatabase_url_env = "A_DB"\n'
                                            '[environments.b]\ndatabase_url_env = "B_DB"\n')
    env = {"A_DB": "postgresql://x@a/app", "B_DB": "postgresql://x@b/app"}
    with pytest.raises(DatabaseError, match=r"several"):
        resolve(tmp_path, load_config(tmp_path), None, env)
    assert resolve(tmp_path, load_config(tmp_path), None, env, environment="b").host == "b"


def test_laravel_env_mysql_with_special_password(tmp_path: Path) -> None:
    (tmp_path / "artisan").write_text("#!/usr/bin/env php\n")
    (tmp_path / ".env").write_text(f'APP_NAME=Shop\nDB_CONNECTION=mariadb\nDB_HOST=127.0.0.1\nDB_PORT=3306\n'
                                   f'DB_DATABASE=shop\nDB_USERNAME=shop\nDB_PASSWORD="{SECRET}"\n')
    t = resolve(tmp_path, DefaultConfig(), None, {})
    assert (t.engine, t.source, t.user, t.password, t.database, t.port) == (
        "mysql", ".env (DB_*)", "shop", SECRET, "shop", 3306)
    # a real environment variable wins over .env, as in Laravel
    assert resolve(tmp_path, DefaultConfig(), None, {"DB_DATABASE": "shop_ci"}).database == "shop_ci"


def test_laravel_sqlite_default_path(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DB_CONNECTION=sqlite\n")
    t = resolve(tmp_path, DefaultConfig(), None, {})
    assert t.database == str((tmp_path / "database/database.sqlite").resolve())


def test_laravel_unknown_driver(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DB_CONNECTION=sqlsrv\nDB_PASSWORD=hunter2hunter2\n")
    with pytest.raises(DatabaseError, match=r"'sqlsrv' is not supported") as err:
        resolve(tmp_path, DefaultConfig(), None, {})
    assert "hunter2" not in str(err.value)


def test_prisma_env_var_and_sqlite_file(tmp_path: Path) -> None:
    (tmp_path / "prisma").mkdir()
    (tmp_path / "prisma/schema.prisma").write_text(
        'generator client {\n  provider = "prisma-client-js"\n}\n\n'
        'datasource db {\n  provider = "postgresql"\n  url      = env("POSTGRES_PRISMA_URL")\n}\n')
    t = resolve(tmp_path, DefaultConfig(), None, {"POSTGRES_PRISMA_URL": "postgres://u:p@neon.tech/app"})
    assert (t.engine, t.source, t.host) == ("postgresql", "POSTGRES_PRISMA_URL (prisma/schema.prisma)", "neon.tech")
    with pytest.raises(DatabaseError, match=r"prisma/schema.prisma \(POSTGRES_PRISMA_URL not set\)"):
        resolve(tmp_path, DefaultConfig(), None, {})
    (tmp_path / "prisma/schema.prisma").write_text(
        'datasource db {\n  provider = "sqlite"\n  url      = "file:./dev.db"\n}\n')
    t = resolve(tmp_path, DefaultConfig(), None, {})
    assert (t.engine, t.database) == ("sqlite", str((tmp_path / "prisma/dev.db").resolve()))


def test_dotenv_database_url(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("# drizzle\nDATABASE_URL='postgresql://u:p@localhost:5432/app'\n")
    t = resolve(tmp_path, DefaultConfig(), None, {})
    assert (t.source, t.database) == (".env (DATABASE_URL)", "app")


def test_django_literal_sqlite_and_computed(tmp_path: Path) -> None:
    (tmp_path / "manage.py").write_text("import django\n")
    (tmp_path / "mysite").mkdir()
    settings = tmp_path / "mysite/settings.py"
    settings.write_text('from pathlib import Path\nBASE_DIR = Path(__file__).resolve().parent.parent\n'
                        'DATABASES = {\n    "default": {\n        "ENGINE": "django.db.backends.sqlite3",\n'
                        '        "NAME": BASE_DIR / "db.sqlite3",\n    }\n}\n')
    t = resolve(tmp_path, DefaultConfig(), None, {})
    assert (t.source, t.database) == ("mysite/settings.py", str((tmp_path / "db.sqlite3").resolve()))
    settings.write_text("import dj_database_url\nDATABASES = {'default': dj_database_url.config()}\n")
    with pytest.raises(DatabaseError, match=r"mysite/settings.py \(DATABASES is not a literal SQLite path; set "
                                            r"DATABASE_URL\)"):
        resolve(tmp_path, DefaultConfig(), None, {})


def test_lone_sqlite_file(tmp_path: Path) -> None:
    _sqlite_file(tmp_path / "database/database.sqlite")
    t = resolve(tmp_path, DefaultConfig(), None, {})
    assert (t.source, t.database) == ("database/database.sqlite",
                                      str((tmp_path / "database/database.sqlite").resolve()))


def test_nothing_found_names_what_was_tried(tmp_path: Path) -> None:
    (tmp_path / "db.sqlite3").write_text("not a database")  # a text file by that name is not taken
    with pytest.raises(DatabaseError) as err:
        resolve(tmp_path, DefaultConfig(), None, {})
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("no database found; tried DATABASE_URL (not set)")
    assert "db.sqlite3 and database/database.sqlite" in msg and msg.endswith("set DATABASE_URL")


def test_drizzle_config_env_variable_literal_and_sqlite(tmp_path: Path) -> None:
    cfg = tmp_path / "drizzle.config.ts"
    cfg.write_text('import { defineConfig } from "drizzle-kit";\nexport default defineConfig({\n'
                   '  dialect: "postgresql",\n  schema: "./src/db/schema.ts",\n'
                   '  dbCredentials: { url: process.env.POSTGRES_URL! },\n});\n')
    t = resolve(tmp_path, DefaultConfig(), None, {"POSTGRES_URL": "postgres://app:pw@db.neon.tech/shop"})
    assert (t.engine, t.source, t.host, t.database, t.password) == (
        "postgresql", "POSTGRES_URL (drizzle.config.ts)", "db.neon.tech", "shop", "pw")
    with pytest.raises(DatabaseError, match=r"drizzle.config.ts \(POSTGRES_URL not set\)"):
        resolve(tmp_path, DefaultConfig(), None, {})
    cfg.write_text('export default {\n  dialect: "sqlite",\n  dbCredentials: { url: "file:./local.db" },\n};\n')
    t = resolve(tmp_path, DefaultConfig(), None, {})
    assert (t.engine, t.database) == ("sqlite", str((tmp_path / "local.db").resolve()))


def test_supabase_needs_its_db_url_and_never_guesses_the_local_stack(tmp_path: Path) -> None:
    (tmp_path / "supabase/migrations").mkdir(parents=True)
    (tmp_path / "supabase/config.toml").write_text('project_id = "shop"\n[db]\nport = 54322\n')
    with pytest.raises(DatabaseError) as err:
        resolve(tmp_path, DefaultConfig(), None, {})
    assert "SUPABASE_DB_URL not set" in str(err.value) and "54322" in str(err.value)
    (tmp_path / ".env").write_text(
        "SUPABASE_DB_URL=postgresql://postgres.ref:pw@aws-0-eu.pooler.supabase.com:6543/postgres\n")
    t = resolve(tmp_path, DefaultConfig(), None, {})
    assert (t.engine, t.source, t.port) == ("postgresql", "SUPABASE_DB_URL", 6543)
