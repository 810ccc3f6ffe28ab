"""Which database does this app use? Parse database URLs and find the URL the way the app's framework would.

`handrail migrate` backs up exactly the database the migration will touch, so resolution follows the app's own
conventions (handrail.toml environment, DATABASE_URL, Laravel .env, Prisma schema, Drizzle config, Supabase's
SUPABASE_DB_URL, Django settings) in a fixed
order, and says what it tried when nothing fits. Passwords stay inside `DatabaseTarget`; no error text built
here contains one.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from handrail.core.dotenv import env_assignments
from handrail.db.engine import DatabaseError, DatabaseTarget, EngineName

_SCHEMES: dict[str, EngineName] = {
    "sqlite": "sqlite", "sqlite3": "sqlite",
    "postgres": "postgresql", "postgresql": "postgresql", "pgsql": "postgresql",
    "postgresql+psycopg": "postgresql", "postgresql+psycopg2": "postgresql", "postgresql+asyncpg": "postgresql",
    "postgres+psycopg": "postgresql",
    "mysql": "mysql", "mysql+pymysql": "mysql", "mysql+mysqldb": "mysql", "mysql+mysqlconnector": "mysql",
    "mysql+aiomysql": "mysql", "mysql+asyncmy": "mysql", "mariadb": "mysql", "mariadb+pymysql": "mysql",
    "mariadb+mariadbconnector": "mysql",
}
_DEFAULT_PORTS: dict[str, int] = {"postgresql": 5432, "mysql": 3306}
_SQLITE_MAGIC = b"SQLite format 3\x00"
_LONE_SQLITE = ("db.sqlite3", "database/database.sqlite")
_LARAVEL_DRIVERS: dict[str, EngineName] = {"sqlite": "sqlite", "pgsql": "postgresql", "mysql": "mysql",
                                           "mariadb": "mysql"}
_PRISMA_ENV = re.compile(r"""\burl\s*=\s*env\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\)""")
_PRISMA_LITERAL = re.compile(r"""\burl\s*=\s*["']([^"']+)["']""")
_PRISMA_DATASOURCE = re.compile(r"datasource\s+\w+\s*\{(.*?)\}", re.S)


def parse_url(url: str, source: str) -> DatabaseTarget:
    """A DatabaseTarget from a SQLAlchemy/Django/Prisma-style URL. Errors name `source`, never the URL itself
    (it may hold a password)."""
    url = url.strip()
    scheme, sep, rest = url.partition(":")
    engine = _SCHEMES.get(scheme.lower()) if sep else None
    if engine is None:
        shown = scheme if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.\-]*", scheme) else "(none)"
        raise DatabaseError(f"{source}: unsupported database URL scheme {shown!r} "
                            "(handrail supports sqlite, postgresql and mysql/mariadb)")
    if engine == "sqlite":
        return _parse_sqlite(rest, source)
    try:
        parts = urlsplit("x:" + rest)
        port = parts.port
    except ValueError as exc:
        raise DatabaseError(f"{source}: invalid {engine} URL ({_safe_reason(exc)})") from exc
    database = unquote(parts.path.lstrip("/")) or None
    options = tuple(parse_qsl(parts.query, keep_blank_values=True))
    host = parts.hostname
    if host is None:  # postgresql:///db?host=/var/run/postgresql: libpq's socket form
        host = dict(options).get("host") or None
    if engine == "mysql" and not database:
        raise DatabaseError(f"{source}: the mysql URL names no database (add /NAME after the host)")
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    base = "postgresql" if engine == "postgresql" else "mysql"
    return DatabaseTarget(engine=engine, url=f"{base}:{rest}", source=source, host=host, port=port, user=user,
                          password=password, database=database, options=options)


def _parse_sqlite(rest: str, source: str) -> DatabaseTarget:
    """sqlite:///relative.db, sqlite:////abs.db and file:-style paths; an in-memory database has nothing to back
    up, so it is refused."""
    path_part, _, query = rest.partition("?")
    if path_part.startswith("//"):
        path_part = path_part[2:]
        if path_part.startswith("/"):
            path_part = path_part[1:]  # sqlite:///rel -> "rel"; sqlite:////abs -> "/abs"
    path = unquote(path_part)
    if not path or path == ":memory:" or "mode=memory" in query:
        raise DatabaseError(f"{source}: an in-memory SQLite database has nothing to back up; give a file path")
    options = tuple(parse_qsl(query, keep_blank_values=True))
    return DatabaseTarget(engine="sqlite", url=f"sqlite:///{path}", source=source, database=path, options=options)


def _safe_reason(exc: Exception) -> str:
    """urllib's messages quote the offending part (a port can be a mistyped password); keep only the kind."""
    msg = str(exc)
    if "port" in msg.lower():
        return "the port is not a number from 0 to 65535"
    return "malformed host or address"


def resolve(root: Path, config: Any, explicit_url: str | None, env: Mapping[str, str],
            environment: str | None = None) -> DatabaseTarget:
    """The database this project's migrations will touch, by the first convention that applies.

    `environment` picks one `[environments.NAME]` of handrail.toml; without it, the environment whose
    `database_url_env` variable is set is used when exactly one is. Relative SQLite paths are anchored at `root`
    (where the framework's migrate command runs).
    """
    tried: list[str] = []
    if explicit_url:
        return _anchor(parse_url(explicit_url, "--database-url"), root)
    found = _from_config(config, env, environment, tried)
    if found:
        return _anchor(found, root)
    if env.get("DATABASE_URL"):
        return _anchor(parse_url(env["DATABASE_URL"], "DATABASE_URL"), root)
    tried.append("DATABASE_URL (not set)")
    dotenv = _read_dotenv(root / ".env")
    for target in (_from_dotenv_url(dotenv, env, tried), _from_laravel(root, dotenv, env, tried),
                   _from_prisma(root, dotenv, env, tried), _from_drizzle(root, dotenv, env, tried),
                   _from_supabase(root, dotenv, env, tried), _from_django(root, tried), _lone_sqlite(root, tried)):
        if target is not None:
            return _anchor(target, root)
    raise DatabaseError("no database found; tried " + ", ".join(tried)
                        + "; pass --database-url or set DATABASE_URL")


def _anchor(target: DatabaseTarget, root: Path) -> DatabaseTarget:
    if target.engine != "sqlite" or not target.database or Path(target.database).is_absolute():
        return target
    path = str((root / target.database).resolve())
    return DatabaseTarget(engine="sqlite", url=f"sqlite:///{path}", source=target.source, database=path,
                          options=target.options)


def _from_config(config: Any, env: Mapping[str, str], environment: str | None,
                 tried: list[str]) -> DatabaseTarget | None:
    envs: dict[str, Any] = dict(getattr(config, "environments", None) or {})
    if environment is not None:
        if environment not in envs:
            known = ", ".join(sorted(envs)) or "none"
            raise DatabaseError(f"environment {environment!r} is not in handrail.toml (known: {known})")
        var = getattr(envs[environment], "database_url_env", None)
        if not var:
            raise DatabaseError(f"handrail.toml [environments.{environment}] has no database_url_env; "
                                "set it to the name of the variable holding the database URL")
        if not env.get(var):
            raise DatabaseError(f"handrail.toml [environments.{environment}] reads the database URL from {var}, "
                                "which is not set")
        return parse_url(env[var], f"{var} (handrail.toml [environments.{environment}])")
    candidates = []
    for name, spec in envs.items():
        var = getattr(spec, "database_url_env", None)
        if not var:
            continue
        if env.get(var):
            candidates.append((name, var))
        else:
            tried.append(f"handrail.toml [environments.{name}] ({var} not set)")
    if len(candidates) > 1:
        names = ", ".join(f"{n} ({v})" for n, v in candidates)
        raise DatabaseError(f"several handrail.toml environments have their database URL set: {names}; "
                            "choose one or pass --database-url")
    if candidates:
        name, var = candidates[0]
        return parse_url(env[var], f"{var} (handrail.toml [environments.{name}])")
    return None


def _read_dotenv(path: Path) -> dict[str, str]:
    try:
        lines = path.read_text("utf-8", "replace").splitlines()
    except OSError:
        return {}
    return {name: value for _, name, value in env_assignments(lines)}


def _from_dotenv_url(dotenv: dict[str, str], env: Mapping[str, str], tried: list[str]) -> DatabaseTarget | None:
    """DATABASE_URL (Node, Prisma, Drizzle, dj-database-url) or Laravel 11's DB_URL written in .env."""
    for name in ("DATABASE_URL", "DB_URL"):
        value = (env.get(name) if name == "DB_URL" else None) or dotenv.get(name)
        if value:
            return parse_url(value, f".env ({name})")
    if dotenv:
        tried.append(".env (no DATABASE_URL)")
    return None


def _from_laravel(root: Path, dotenv: dict[str, str], env: Mapping[str, str],
                  tried: list[str]) -> DatabaseTarget | None:
    """Laravel's DB_* settings; real environment variables win over .env, as with Laravel's own loader."""
    def get(name: str) -> str:
        return env.get(name) or dotenv.get(name, "")

    driver = get("DB_CONNECTION").lower()
    if not driver:
        if (root / "artisan").is_file():
            tried.append(".env DB_CONNECTION (not set)")
        return None
    engine = _LARAVEL_DRIVERS.get(driver)
    if engine is None:
        raise DatabaseError(f".env (DB_*): DB_CONNECTION={driver!r} is not supported "
                            "(handrail supports sqlite, pgsql, mysql and mariadb)")
    source = ".env (DB_*)"
    if engine == "sqlite":
        path = get("DB_DATABASE") or "database/database.sqlite"
        return DatabaseTarget(engine="sqlite", url=f"sqlite:///{path}", source=source, database=path)
    database = get("DB_DATABASE")
    if not database:
        raise DatabaseError(".env (DB_*): DB_DATABASE is not set")
    user, password = get("DB_USERNAME"), get("DB_PASSWORD")
    auth = ""
    if user:
        auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "") + "@"
    host = get("DB_HOST") or "127.0.0.1"
    port = get("DB_PORT") or str(_DEFAULT_PORTS[engine])
    if not port.isdigit():
        raise DatabaseError(".env (DB_*): DB_PORT is not a number")
    host_part = f"[{host}]" if ":" in host else host
    return parse_url(f"{engine}://{auth}{host_part}:{port}/{quote(database, safe='')}", source)


def _from_prisma(root: Path, dotenv: dict[str, str], env: Mapping[str, str],
                 tried: list[str]) -> DatabaseTarget | None:
    """prisma/schema.prisma's datasource; `file:` SQLite paths are relative to the schema file, as in Prisma."""
    schema = root / "prisma" / "schema.prisma"
    if not schema.is_file():
        return None
    text = schema.read_text("utf-8", "replace")
    block = _PRISMA_DATASOURCE.search(text)
    body = block.group(1) if block else ""
    source = "prisma/schema.prisma"
    m = _PRISMA_ENV.search(body)
    if m:
        var = m.group(1)
        value = env.get(var) or dotenv.get(var) or _read_dotenv(root / "prisma" / ".env").get(var)
        if not value:
            tried.append(f"prisma/schema.prisma ({var} not set)")
            return None
        source = f"{var} (prisma/schema.prisma)"
    else:
        lit = _PRISMA_LITERAL.search(body)
        if not lit:
            tried.append("prisma/schema.prisma (no datasource url; Prisma 7 keeps it in prisma.config.ts)")
            return None
        value = lit.group(1)
    if value.startswith("file:"):
        path = value[5:].split("?", 1)[0]
        full = Path(path) if Path(path).is_absolute() else (schema.parent / path)
        return DatabaseTarget(engine="sqlite", url=f"sqlite:///{full}", source=source, database=str(full))
    return parse_url(value, source)


_DRIZZLE_CONFIGS = ("drizzle.config.ts", "drizzle.config.js", "drizzle.config.mjs", "drizzle.config.cjs")
_DRIZZLE_ENV = re.compile(r"""\b(?:url|connectionString)\s*:\s*process\.env\.([A-Za-z_][A-Za-z0-9_]*)""")
_DRIZZLE_ENV_INDEX = re.compile(r"""\b(?:url|connectionString)\s*:\s*process\.env\[\s*["']([A-Za-z_]\w*)["']\s*\]""")
_DRIZZLE_LITERAL = re.compile(r"""\b(?:url|connectionString)\s*:\s*["'`]([^"'`$]+)["'`]""")
_DRIZZLE_DIALECT = re.compile(r"""\b(?:dialect|driver)\s*:\s*["'](\w+)["']""")


def _from_drizzle(root: Path, dotenv: dict[str, str], env: Mapping[str, str],
                  tried: list[str]) -> DatabaseTarget | None:
    """drizzle.config.*'s `dbCredentials.url` (an env variable or a literal); SQLite `file:` paths are relative to
    the project, as drizzle-kit runs there."""
    config = next((root / name for name in _DRIZZLE_CONFIGS if (root / name).is_file()), None)
    if config is None:
        return None
    text = config.read_text("utf-8", "replace")
    source = config.name
    m = _DRIZZLE_ENV.search(text) or _DRIZZLE_ENV_INDEX.search(text)
    if m:
        var = m.group(1)
        value = env.get(var) or dotenv.get(var) or _read_dotenv(root / ".env.local").get(var)
        if not value:
            tried.append(f"{source} ({var} not set)")
            return None
        source = f"{var} ({config.name})"
    else:
        lit = _DRIZZLE_LITERAL.search(text)
        if not lit:
            tried.append(f"{source} (no dbCredentials url)")
            return None
        value = lit.group(1)
    dialect = _DRIZZLE_DIALECT.search(text)
    if dialect and dialect.group(1) in ("sqlite", "turso", "better-sqlite") and "://" not in value:
        path = value.removeprefix("file:")
        return DatabaseTarget(engine="sqlite", url=f"sqlite:///{path}", source=source, database=path)
    return parse_url(value, source)


def _from_supabase(root: Path, dotenv: dict[str, str], env: Mapping[str, str],
                   tried: list[str]) -> DatabaseTarget | None:
    """SUPABASE_DB_URL, the variable Supabase's CI examples give `supabase db push --db-url`. The local stack in
    supabase/config.toml is never guessed: `db push` changes the linked remote project, so backing up the local
    database before it would be a backup of the wrong thing."""
    if not (root / "supabase" / "config.toml").is_file() and not (root / "supabase" / "migrations").is_dir():
        return None
    value = env.get("SUPABASE_DB_URL") or dotenv.get("SUPABASE_DB_URL")
    if value:
        return parse_url(value, "SUPABASE_DB_URL")
    tried.append("supabase/ (SUPABASE_DB_URL not set: set it to the connection string of the project `supabase db "
                 "push` changes, or pass --database-url postgresql://postgres:postgres@127.0.0.1:54322/postgres for "
                 "the local stack)")
    return None


def _from_django(root: Path, tried: list[str]) -> DatabaseTarget | None:
    """Only the literal default (`BASE_DIR / "db.sqlite3"`) is read; anything computed needs DATABASE_URL."""
    if not (root / "manage.py").is_file():
        return None
    settings = sorted(root.glob("*/settings.py")) + sorted(root.glob("*/settings/*.py"))
    for path in settings:
        try:
            tree = ast.parse(path.read_text("utf-8", "replace"))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "DATABASES"
                                                         for t in node.targets)):
                continue
            rel = path.relative_to(root).as_posix()
            name = _django_sqlite_name(node.value)
            if name is not None:
                return DatabaseTarget(engine="sqlite", url=f"sqlite:///{name}", source=rel, database=name)
            tried.append(f"{rel} (DATABASES is not a literal SQLite path; set DATABASE_URL)")
            return None
    tried.append("Django settings (no DATABASES found; set DATABASE_URL)")
    return None


def _django_sqlite_name(value: ast.expr) -> str | None:
    if not isinstance(value, ast.Dict):
        return None
    default = next((v for k, v in zip(value.keys, value.values, strict=True)
                    if isinstance(k, ast.Constant) and k.value == "default"), None)
    if not isinstance(default, ast.Dict):
        return None
    fields = {k.value: v for k, v in zip(default.keys, default.values, strict=True) if isinstance(k, ast.Constant)}
    eng = fields.get("ENGINE")
    if not (isinstance(eng, ast.Constant) and eng.value == "django.db.backends.sqlite3"):
        return None
    name = fields.get("NAME")
    if isinstance(name, ast.Constant) and isinstance(name.value, str):
        return name.value
    if (isinstance(name, ast.BinOp) and isinstance(name.op, ast.Div) and isinstance(name.left, ast.Name)
            and name.left.id == "BASE_DIR" and isinstance(name.right, ast.Constant)
            and isinstance(name.right.value, str)):
        return name.right.value
    if (isinstance(name, ast.Call) and isinstance(name.func, ast.Attribute) and name.func.attr == "join"
            and len(name.args) == 2 and isinstance(name.args[0], ast.Name) and name.args[0].id == "BASE_DIR"
            and isinstance(name.args[1], ast.Constant) and isinstance(name.args[1].value, str)):
        return name.args[1].value
    return None


def _lone_sqlite(root: Path, tried: list[str]) -> DatabaseTarget | None:
    for rel in _LONE_SQLITE:
        path = root / rel
        try:
            with path.open("rb") as fh:
                head = fh.read(16)
        except OSError:
            continue
        if head == _SQLITE_MAGIC:
            return DatabaseTarget(engine="sqlite", url=f"sqlite:///{rel}", source=rel, database=rel)
    tried.append(" and ".join(_LONE_SQLITE))
    return None
