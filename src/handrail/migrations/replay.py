"""`handrail migrations replay`: rebuild the schema from the migrations alone, on a scratch database.

A schema that only exists because someone once clicked in a dashboard, or because a migration was edited after
it ran, cannot be rebuilt: the next environment (staging, a restore, a new developer) breaks. The only proof is to
apply every migration, in order, to an empty database. SQL migrations (Supabase, Prisma, Drizzle, plain SQL
folders, dbmate/goose up halves) are applied by Handrail statement by statement, one transaction per file, so a
failure names the file and line. Code migrations (Laravel, Django, Alembic, Rails, knex) run through the framework's
own command with the scratch database in the environment, and only when the app is known to read it from there:
otherwise the command would migrate the app's own database.

The scratch database is created on a server chosen in this order: --server-url, HANDRAIL_SCRATCH_URL, the app's own
database server when it is local (never a remote, possibly production, server), then the local default; it is
named `handrail_replay_<random>` and always dropped at the end. Supabase projects get a small stand-in for what the
platform pre-installs (roles, auth/storage schemas, auth.uid()...), so their migrations replay on plain PostgreSQL.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handrail.db.engine import DatabaseError, DatabaseTarget
from handrail.migrations.discover import Migration, discover_migrations

if TYPE_CHECKING:
    from handrail.core.project import Project

Say = Callable[[str], None]

SCRATCH_PREFIX = "handrail_replay_"
SCRATCH_ENV = "HANDRAIL_SCRATCH_URL"
DEFAULT_SERVERS = {"postgresql": "postgresql://postgres@127.0.0.1:5432/postgres",
                   "mysql": "mysql://root@127.0.0.1:3306/mysql"}
COMMAND_TIMEOUT_S = 900
SQL_FRAMEWORKS = frozenset({"supabase", "prisma", "drizzle", "sql"})
# When a project holds several migration sets, the most specific one describes the app's database.
PRIORITY = ("supabase", "prisma", "drizzle", "laravel", "django", "alembic", "rails", "knex", "node-pg-migrate",
            "sql")

_DOWN_MARKER = re.compile(r"^\s*--\s*(?:migrate:down|\+goose\s+down)\b", re.M | re.I)
# Statements PostgreSQL refuses inside a transaction block: a file holding one runs statement by statement.
_NO_TRANSACTION = re.compile(r"\bCONCURRENTLY\b|^\s*(?:VACUUM|ALTER\s+SYSTEM|CREATE\s+DATABASE|DROP\s+DATABASE)\b"
                             r"|^\s*--\s*\+goose\s+NO\s+TRANSACTION", re.I | re.M)
_CREATE_EXTENSION = re.compile(r'^\s*CREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?"?([\w-]+)"?'
                               r'(?:\s+(?:WITH\s+)?SCHEMA\s+"?(\w+)"?)?', re.I)
_CREATE_EXTENSION_INNER = re.compile(r'\bCREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?"?([\w-]+)"?'
                                     r'(?:\s+(?:WITH\s+)?SCHEMA\s+"?(\w+)"?)?(?:\s+VERSION\s+\S+)?(?:\s+CASCADE)?',
                                     re.I)
_DO_BLOCK = re.compile(r"DO\b", re.I)
_EXTENSION_DDL = re.compile(r'^\s*(?:COMMENT\s+ON|ALTER)\s+EXTENSION\s+"?([\w-]+)"?', re.I)
_ALTER_SUPABASE_DB = re.compile(r'^(\s*ALTER\s+DATABASE\s+)"?postgres"?(?=\s)', re.I)
_MISSING_NAME = re.compile(r'(?:relation|table|type|schema|function|column|role)\s+"([^"]+)"'
                           r"|no such (?:table|column|index|view):\s*(\S+)|Table '([^']+)'|Unknown column '([^']+)'",
                           re.I)
# The tool itself is missing (not the migrations failing): Python/Node modules, Ruby gems, PHP's vendor/.
_TOOL_MISSING = re.compile(r"ModuleNotFoundError|No module named|Cannot find module|command not found"
                           r"|Could not find gem|Bundler::GemNotFound|Failed opening required"
                           r"|Could not open input file")
_MYSQL_NEAR_LINE = re.compile(r"\bat line (\d+)")
_UNDEFINED = frozenset({"42P01", "42704", "42883", "3F000", "42703", "42P02"})  # missing table/type/function/schema
# Extensions Supabase offers that a plain PostgreSQL server often lacks; with a stand-in, the migration goes on.
_SUPABASE_PLATFORM_EXT = frozenset({
    "pg_net", "pg_cron", "supabase_vault", "pgsodium", "pg_graphql", "pgjwt", "pg_stat_statements", "pgmq",
    "http", "pg_jsonschema", "wrappers", "pg_hashids", "index_advisor", "hypopg", "pg_repack", "plpgsql_check",
    "pgtap", "pgaudit", "pg_tle", "supautils", "pg_stat_monitor", "pgroonga", "rum", "timescaledb", "plv8",
    "vector", "postgis", "postgis_topology", "postgis_raster", "pgrouting", "address_standardizer"})


@dataclass
class ReplayResult:
    status: str  # "ok" | "failed" | "unsupported" (no engine reachable, framework tool missing...)
    engine: str  # "postgresql" | "sqlite" | "mysql"
    method: str  # "sql" (Handrail applied the files) or the framework command run
    applied: list[str] = field(default_factory=list)  # migration paths applied, in order
    failed_path: str | None = None
    failed_line: int | None = None
    message: str = ""  # one line: what failed and the database's error (no secrets)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Stop(Exception):
    """Ends a replay early with a result status ("failed" or "unsupported") and the failing place if known."""

    def __init__(self, status: str, message: str, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.path, self.line = status, message, path, line
        self.applied: list[str] = []  # what was applied before the failure


def replay(project: Project, *, server_url: str | None = None, keep: bool = False,
           say: Say | None = None) -> ReplayResult:
    """Apply every migration of `project` to a new scratch database and report the first failure."""
    started = time.monotonic()
    tell: Say = say or (lambda _m: None)
    command = _configured_command(project)
    group = _pick_group(discover_migrations(project), tell)
    framework = group[0].framework if group else "sql"
    engine, method = "postgresql", "sql"
    applied: list[str] = []
    try:
        if not group and not command:
            raise _Stop("unsupported", "no migrations found")
        engine = _engine_for(project, group, server_url)
        argv: list[str] | None = None
        cwd = project.root
        if command:
            method = command
            try:
                argv = shlex.split(command)
            except ValueError as exc:
                raise _Stop("unsupported", f"handrail.toml [migrations] replay: {exc}") from None
        elif framework not in SQL_FRAMEWORKS:
            argv, cwd = _framework_command(project, framework, group, engine)
            method = shlex.join(argv)
        supabase = framework == "supabase" and not argv
        with _scratch(project, engine, server_url, keep, tell, supabase_roles=supabase) as target:
            if argv:
                applied = _run_command(argv, cwd, target, group, tell)
            else:
                applied = _apply_sql(project, group, target, supabase=supabase, tell=tell)
    except _Stop as stop:
        return ReplayResult(stop.status, engine, method, applied=stop.applied or applied, failed_path=stop.path,
                            failed_line=stop.line, message=stop.message, seconds=_since(started))
    except DatabaseError as exc:
        return ReplayResult("unsupported", engine, method, applied=applied, message=str(exc), seconds=_since(started))
    n = len(applied)
    return ReplayResult("ok", engine, method, applied=applied,
                        message=f"{n} migration{'s' if n != 1 else ''} applied to an empty {engine} database",
                        seconds=_since(started))


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)


# --- what to replay, where ----------------------------------------------------------------------------------------
def _configured_command(project: Project) -> str | None:
    section = getattr(project.config, "migrations", None)
    value = getattr(section, "replay", None)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _folder(mig: Migration) -> str:
    levels = 2 if mig.framework == "prisma" else 1
    parts = mig.path.rsplit("/", levels)
    return parts[0] if len(parts) > levels else ""


def _pick_group(migrations: list[Migration], say: Say) -> list[Migration]:
    """One migration set: the most specific framework, and within it the folder holding the most files."""
    groups: dict[tuple[str, str], list[Migration]] = {}
    for mig in migrations:
        key = (mig.framework, "" if mig.framework in ("django", "alembic") else _folder(mig))
        groups.setdefault(key, []).append(mig)
    if not groups:
        return []
    best = min(groups, key=lambda k: (PRIORITY.index(k[0]) if k[0] in PRIORITY else 99, -len(groups[k]), k[1]))
    others = [f"{fw} ({folder or '.'})" for fw, folder in groups if (fw, folder) != best]
    if others:
        say(f"replaying {best[0]} migrations in {best[1] or '.'}; not replayed: {', '.join(sorted(others))}")
    return sorted(groups[best], key=lambda m: (m.order, m.path))


def _engine_for(project: Project, group: list[Migration], server_url: str | None) -> str:
    """SQL files fix their engine; code migrations (an ORM's) run on whichever engine --server-url names."""
    dialects = {m.dialect for m in group} - {"unknown"}
    code = bool(group) and group[0].framework not in SQL_FRAMEWORKS
    if len(dialects) == 1 and not (code and server_url):
        return dialects.pop()
    if server_url:
        return _parse(server_url, "--server-url").engine
    app = _app_target(project)
    return app.engine if app else "postgresql"


def _parse(url: str, source: str) -> DatabaseTarget:
    from handrail.db.url import parse_url

    try:
        return parse_url(url, source)
    except DatabaseError as exc:
        if "names no database" not in str(exc):
            raise
    from handrail.db.engines._common import with_database

    return parse_url(with_database(url, "mysql"), source)  # a server URL needs no database; connect to `mysql`


def _app_target(project: Project) -> DatabaseTarget | None:
    from handrail.db.url import resolve

    try:
        return resolve(project.root, project.config, None, dict(os.environ))
    except DatabaseError:
        return None


def _is_local(target: DatabaseTarget) -> bool:
    host = target.host or ""
    return (not host or host.startswith("/") or host in ("localhost", "::1") or host.startswith("127.")
            or ("." not in host and ":" not in host))  # a compose service name ("db") is local too


def _server(project: Project, engine: str, server_url: str | None) -> DatabaseTarget:
    """Where the scratch database goes; the app's own server only when it is local."""
    if server_url:
        target = _parse(server_url, "--server-url")
        if target.engine != engine:
            raise _Stop("unsupported", f"--server-url is a {target.engine} server but the migrations are {engine}")
        return target
    if os.environ.get(SCRATCH_ENV):
        target = _parse(os.environ[SCRATCH_ENV], SCRATCH_ENV)
        if target.engine == engine:
            return target
    app = _app_target(project)
    if app and app.engine == engine and _is_local(app):
        return app
    return _parse(DEFAULT_SERVERS[engine], "default scratch server")


@contextmanager
def _scratch(project: Project, engine: str, server_url: str | None, keep: bool, say: Say, *,
             supabase_roles: bool = False) -> Iterator[DatabaseTarget]:
    if engine == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
        path = folder / "replay.sqlite3"
        say(f"replaying into a temporary SQLite database {path}")
        try:
            yield DatabaseTarget(engine="sqlite", url=f"sqlite:///{path}", source="scratch database",
                                 database=str(path))
        finally:
            if keep:
                say(f"kept the scratch database {path}")
            else:
                shutil.rmtree(folder, ignore_errors=True)
        return
    server = _server(project, engine, server_url)
    name = SCRATCH_PREFIX + secrets.token_hex(6)
    create, drop = (_pg_create, _pg_drop) if engine == "postgresql" else (_my_create, _my_drop)
    target = create(server, name)
    say(f"replaying into scratch database {target.display()}")
    try:
        if supabase_roles and engine == "postgresql":
            _pg_roles(server, say)  # on the server's own database: the advisory lock must be the same lock
        yield target
    finally:
        if keep:
            say(f"kept the scratch database {target.display()}")
        else:
            try:
                drop(server, name)
            except Exception as exc:  # never hide the replay's own outcome behind a cleanup error
                say(f"could not drop the scratch database {target.display()}: {_first_line(str(exc))}")


# --- server side: create and drop ---------------------------------------------------------------------------------
_ROLE_LOCK = "SELECT pg_advisory_lock(hashtext('handrail_replay_roles'))"
_ROLE_UNLOCK = "SELECT pg_advisory_unlock(hashtext('handrail_replay_roles'))"
SUPABASE_ROLES = ("anon", "authenticated", "service_role", "authenticator", "supabase_admin", "supabase_auth_admin",
                  "supabase_storage_admin", "supabase_realtime_admin", "dashboard_user", "postgres")
_CREATED_ROLES_NOTE = "handrail replay stand-in"


def _pg_connect(target: DatabaseTarget) -> Any:
    import psycopg

    from handrail.db.engines.postgresql import _conn_params, _one_line

    params = _conn_params(target)
    params["connect_timeout"] = "5"
    try:
        return psycopg.connect(**params, autocommit=True, prepare_threshold=None)
    except psycopg.Error as exc:
        raise _Stop("unsupported", f"no scratch server: cannot connect to {target.display()}: "
                                   f"{_one_line(str(exc), target)}") from None


def _pg_create(server: DatabaseTarget, name: str) -> DatabaseTarget:
    import psycopg
    from psycopg import sql

    from handrail.db.engines._common import with_database
    from handrail.db.engines.postgresql import _one_line

    with _pg_connect(server) as conn:
        try:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name)))
        except psycopg.Error as exc:
            raise _Stop("unsupported", f"cannot create a scratch database on {server.display()}: "
                                       f"{_one_line(str(exc), server)} (pass --server-url or set {SCRATCH_ENV})"
                        ) from None
    return replace(server, database=name, url=with_database(server.url, name), source="scratch database")


def _pg_drop(server: DatabaseTarget, name: str) -> None:
    """Drop the scratch database, then the stand-in roles once no other replay is running (roles are
    server-wide; the advisory lock keeps a parallel replay from losing the roles it is about to use)."""
    from psycopg import sql

    with _pg_connect(server) as conn:
        if conn.info.server_version >= 130000:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        else:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(_ROLE_LOCK)
        try:
            busy = conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE %s",
                                (SCRATCH_PREFIX.replace("_", r"\_") + "%",)).fetchone()[0]
            if not busy:
                for (role,) in conn.execute("SELECT rolname FROM pg_roles r JOIN pg_shdescription d ON d.objoid = r.oid"
                                            " AND d.classoid = 'pg_authid'::regclass WHERE d.description = %s",
                                            (_CREATED_ROLES_NOTE,)).fetchall():
                    with suppress(Exception):
                        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
        finally:
            conn.execute(_ROLE_UNLOCK)


def _pg_roles(server: DatabaseTarget, say: Say) -> None:
    """Create the roles Supabase migrations grant to (NOLOGIN, marked so the drop can find them again)."""
    import psycopg
    from psycopg import sql

    with _pg_connect(server) as conn:
        conn.execute(_ROLE_LOCK)
        try:
            have = {r for (r,) in conn.execute("SELECT rolname FROM pg_roles").fetchall()}
            missing = [r for r in SUPABASE_ROLES if r not in have]
            for role in missing:
                try:
                    conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
                except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
                    continue  # created meanwhile by someone not holding our lock: theirs, not ours to drop
                conn.execute(sql.SQL("COMMENT ON ROLE {} IS {}").format(sql.Identifier(role),
                                                                        sql.Literal(_CREATED_ROLES_NOTE)))
            if missing:
                say(f"created stand-in Supabase roles {', '.join(missing)} (NOLOGIN; dropped afterwards)")
        except Exception as exc:
            raise _Stop("unsupported", f"cannot create the Supabase roles on {server.display()}: "
                                       f"{_first_line(str(exc))}") from None
        finally:
            conn.execute(_ROLE_UNLOCK)


def _my_connect(target: DatabaseTarget) -> Any:
    import pymysql

    from handrail.db.engines.mysql import _driver_error, _socket

    try:
        return pymysql.connect(host=target.host or "localhost", port=target.port or 3306, user=target.user or "root",
                               password=target.password or "", database=target.database,
                               unix_socket=_socket(target), charset="utf8mb4", connect_timeout=5, autocommit=True)
    except pymysql.err.MySQLError as exc:
        raise _Stop("unsupported", f"no scratch server: cannot connect to {target.display()}: "
                                   f"{_driver_error(exc, target)}") from None


def _my_create(server: DatabaseTarget, name: str) -> DatabaseTarget:
    import pymysql

    from handrail.db.engines._common import with_database
    from handrail.db.engines.mysql import _driver_error

    conn = _my_connect(server)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    except pymysql.err.MySQLError as exc:
        raise _Stop("unsupported", f"cannot create a scratch database on {server.display()}: "
                                   f"{_driver_error(exc, server)}") from None
    finally:
        conn.close()
    return replace(server, database=name, url=with_database(server.url, name), source="scratch database")


def _my_drop(server: DatabaseTarget, name: str) -> None:
    conn = _my_connect(server)
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()


# --- SQL migrations ----------------------------------------------------------------------------------------------
_BREAKPOINT = re.compile(r"-->\s*statement-breakpoint")


def up_part(text: str) -> str:
    """The SQL to apply, with offsets and lines unchanged. dbmate and goose keep the way back in the same file,
    after a marker: only the part before it is applied. Drizzle's `--> statement-breakpoint` is a comment to
    PostgreSQL and SQLite but not to MySQL (which wants `-- `), and Drizzle's migrator removes it: so do we."""
    m = _DOWN_MARKER.search(text)
    text = text[: m.start()] if m else text
    return _BREAKPOINT.sub(lambda mm: " " * len(mm.group(0)), text)


def statements(text: str, engine: str) -> list[tuple[int, str]]:
    """(character offset, statement) pairs. PostgreSQL files are split by libpg_query (function bodies, BEGIN
    ATOMIC and dollar quotes exactly as the server reads them); SQLite chunks are joined until SQLite itself calls
    them complete (trigger bodies hold semicolons); the rest use the quote-aware splitter of `analyze`."""
    from handrail.migrations.analyze import split_sql

    if engine == "postgresql":
        try:
            from pglast.parser import ParseError, split

            try:
                return [(s.start, text[s]) for s in split(text, with_parser=True, only_slices=True)]
            except ParseError:
                pass  # the server will name the syntax error, with its position
        except ImportError:  # pragma: no cover - pglast is a dependency
            pass
    if engine == "mysql" and _DELIMITER.search(text):
        return _mysql_delimited(text)
    chunks = split_sql(text)
    if engine != "sqlite":
        return chunks
    out: list[tuple[int, str]] = []
    start: int | None = None
    for off, stmt in chunks:
        start = off if start is None else start
        candidate = text[start: off + len(stmt)]
        if sqlite3.complete_statement(candidate + ";"):
            out.append((start, candidate))
            start = None
    if start is not None:
        out.append((start, text[start:]))
    return out


_DELIMITER = re.compile(r"^[ \t]*DELIMITER[ \t]+(\S+)[ \t]*$", re.I | re.M)


def _mysql_delimited(text: str) -> list[tuple[int, str]]:
    """The mysql client's `DELIMITER $$` (procedures and triggers hold semicolons): a client command, not SQL, so
    it is honoured here and never sent."""
    from handrail.migrations.analyze import split_sql

    out: list[tuple[int, str]] = []
    pos, delim = 0, ";"
    marks: list[re.Match[str] | None] = [*_DELIMITER.finditer(text), None]
    for mark in marks:
        end = mark.start() if mark else len(text)
        part = text[pos:end]
        if delim == ";":
            out += [(pos + off, stmt) for off, stmt in split_sql(part)]
        else:
            off = 0
            for piece in part.split(delim):
                if piece.strip():
                    out.append((pos + off, piece))
                off += len(piece) + len(delim)
        if mark:
            pos, delim = mark.end(), mark.group(1)
    return out


def _first_line(text: str, limit: int = 300) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    line = lines[0] if lines else "unknown error"
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _without_lead(stmt: str) -> str:
    """The statement from its first token: split_sql keeps the comments before a statement."""
    body = stmt.lstrip()
    while body.startswith(("--", "/*")):
        end = body.find("\n") if body.startswith("--") else body.find("*/") + 1
        if end <= 0:
            return ""
        body = body[end + 1:].lstrip()
    return body


def _token_line(text: str, off: int, stmt: str) -> int:
    """Line of the statement's first token (after blank lines and comments)."""
    return text.count("\n", 0, off + len(stmt) - len(_without_lead(stmt))) + 1


def _error_line(text: str, off: int, stmt: str, message: str, position: int | None) -> int:
    """The file line of an error: the server's cursor position when it gives one, else the first line of the
    statement naming the missing object, else the statement's first line."""
    if position and 0 < position <= len(stmt) + 1:
        return text.count("\n", 0, off) + 1 + stmt[: position - 1].count("\n")
    m = _MYSQL_NEAR_LINE.search(message)
    base = _token_line(text, off, stmt)
    if m and "syntax" in message.lower():
        first = text.count("\n", 0, off) + 1
        return first + stmt.count("\n", 0, _nth_line_start(stmt, int(m.group(1))))
    names = [g for mm in _MISSING_NAME.finditer(message) for g in mm.groups() if g]
    for name in names:
        short = name.split(".")[-1]
        rx = re.compile(r"(?<![\w$])[\"`\[]?" + re.escape(short) + r"[\"`\]]?(?![\w$])", re.I)
        head = text.count("\n", 0, off) + 1
        for i, line in enumerate(stmt.split("\n")):
            if head + i >= base and rx.search(_strip_line_comment(line)):
                return head + i
    return base


def _nth_line_start(stmt: str, n: int) -> int:
    """Offset of line `n` (1-based) of the statement as MySQL counts it (from its first token)."""
    body_start = len(stmt) - len(stmt.lstrip())
    pos = body_start
    for _ in range(max(n - 1, 0)):
        nxt = stmt.find("\n", pos)
        if nxt < 0:
            break
        pos = nxt + 1
    return pos


def _strip_line_comment(line: str) -> str:
    return line.split("--", 1)[0]


def _apply_sql(project: Project, group: list[Migration], target: DatabaseTarget, *, supabase: bool,
               tell: Say) -> list[str]:
    applier: _Applier
    if target.engine == "postgresql":
        applier = _PgApplier(target, supabase, tell)
    elif target.engine == "mysql":
        applier = _MyApplier(target)
    else:
        applier = _SqliteApplier(target)
    applied: list[str] = []
    try:
        tell(f"applying {len(group)} {group[0].framework} migration file(s)")
        for mig in group:
            text = project.text(mig.path)
            if text is None:
                raise _Stop("failed", f"{mig.path}: cannot read the file", mig.path)
            try:
                applier.apply(mig.path, up_part(text))
            except _Stop as stop:
                stop.applied = applied
                raise
            applied.append(mig.path)
    finally:
        applier.close()
    return applied


class _Applier:
    engine = ""

    def apply(self, path: str, text: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def fail(self, path: str, text: str, off: int, stmt: str, message: str, position: int | None = None,
             status: str = "failed") -> _Stop:
        line = _error_line(text, off, stmt, message, position)
        return _Stop(status, f"{path}:{line}: {message}", path, line)


class _PgApplier(_Applier):
    engine = "postgresql"

    def __init__(self, target: DatabaseTarget, supabase: bool, tell: Say) -> None:
        self.target, self.supabase, self.tell = target, supabase, tell
        self.skipped: list[str] = []  # platform extensions replaced by a stand-in or left out
        self.left_out: list[str] = []  # the ones without a stand-in: a later "does not exist" may be theirs
        self.conn = _pg_connect(target)
        self.available = {n for (n,) in self.conn.execute("SELECT name FROM pg_available_extensions").fetchall()}
        if supabase:
            self._stub()

    def _stub(self) -> None:
        from psycopg import sql

        try:
            self.conn.execute(SUPABASE_STUB)
            self.conn.execute(sql.SQL("ALTER DATABASE {} SET search_path TO \"$user\", public, extensions")
                              .format(sql.Identifier(self.target.database or "")))
            self.conn.close()  # a new session starts from the new database defaults, and RESET ALL returns to them
            self.conn = _pg_connect(self.target)
        except Exception as exc:
            raise _Stop("unsupported", f"cannot set up the Supabase stand-in on {self.target.display()}: "
                                       f"{_first_line(str(exc))}") from None

    def _missing(self, name: str) -> bool:
        return name not in self.available and name in _SUPABASE_PLATFORM_EXT

    def _stand_in(self, name: str, schema: str | None) -> str:
        """The SQL replacing `CREATE EXTENSION name`: its stand-in, else just the schema it would have made."""
        if name not in self.skipped:
            self.skipped.append(name)
            if name not in EXTENSION_STUBS:
                self.left_out.append(name)
            self.tell(f"extension {name} is not installed on the scratch server: "
                      + ("using a stand-in" if name in EXTENSION_STUBS else "left out"))
        stub = EXTENSION_STUBS.get(name)
        if stub is None:
            stub = f'CREATE SCHEMA IF NOT EXISTS "{schema}"' if schema else "SELECT 1"
        return stub

    def _rewrite(self, stmt: str) -> str | None:
        """None to skip a statement the scratch server cannot run for platform reasons; the statement to run."""
        if not self.supabase:
            return stmt
        body = _without_lead(stmt)
        m = _CREATE_EXTENSION.match(body)
        if m and self._missing(m.group(1).lower()):
            return self._stand_in(m.group(1).lower(), m.group(2))
        m = _EXTENSION_DDL.match(body)
        if m and m.group(1).lower() in self.skipped:
            return None
        if _DO_BLOCK.match(body):  # `IF NOT EXISTS (... pg_extension ...) THEN CREATE EXTENSION pg_cron; END IF`
            stubs: list[str] = []

            def swap(mm: re.Match[str]) -> str:
                if not self._missing(mm.group(1).lower()):
                    return mm.group(0)
                stubs.append(self._stand_in(mm.group(1).lower(), mm.group(2)))
                return "NULL"

            body = _CREATE_EXTENSION_INNER.sub(swap, stmt)
            return ";\n".join([*stubs, body]) if stubs else stmt
        # Supabase's database is called postgres: database-level settings belong on the scratch database.
        return _ALTER_SUPABASE_DB.sub(lambda mm: mm.group(1) + '"' + (self.target.database or "") + '"', stmt)

    def apply(self, path: str, text: str) -> None:
        import psycopg
        from psycopg import pq

        stmts = statements(text, "postgresql")
        in_tx = not any(_NO_TRANSACTION.search(s) for _, s in stmts) and not _NO_TRANSACTION.search(text)
        if in_tx:
            self.conn.execute("BEGIN")
        for off, stmt in stmts:
            run = self._rewrite(stmt)
            if run is None:
                continue
            try:
                self.conn.execute(run)
            except psycopg.Error as exc:
                if self.conn.info.transaction_status != pq.TransactionStatus.IDLE:
                    with suppress(psycopg.Error):
                        self.conn.execute("ROLLBACK")
                diag = exc.diag
                message = diag.message_primary or _first_line(str(exc))
                status = "failed"
                if exc.sqlstate in _UNDEFINED and self.left_out:
                    message += (f" (perhaps from extension {', '.join(self.left_out)}, which the scratch server"
                                " lacks: pass --server-url to a server that has it)")
                    status = "unsupported"
                elif exc.sqlstate in ("0A000", "58P01") and (ext := _CREATE_EXTENSION.match(stmt)):
                    if self.supabase and ext.group(1).lower() not in _SUPABASE_PLATFORM_EXT:
                        message += " (Supabase does not offer it either)"  # a typo or a self-hosted extension
                    else:  # the migration is fine; the scratch server lacks what production has
                        status = "unsupported"
                        message += " (install it on the scratch server or pass --server-url)"
                elif diag.message_detail and len(diag.message_detail) <= 200:
                    message += f" ({diag.message_detail})"
                pos = int(diag.statement_position) if diag.statement_position and run == stmt else None
                raise self.fail(path, text, off, stmt, message, pos, status) from None
        if self.conn.info.transaction_status != pq.TransactionStatus.IDLE:
            self.conn.execute("COMMIT")
        # Session settings end with the file (a `supabase db pull` dump empties search_path and never restores it);
        # RESET ALL goes back to the database defaults, which hold the Supabase search_path.
        self.conn.execute("RESET ALL")

    def close(self) -> None:
        self.conn.close()


class _MyApplier(_Applier):
    """MySQL commits each DDL statement by itself: a file is applied statement by statement, no transaction."""

    engine = "mysql"

    def __init__(self, target: DatabaseTarget) -> None:
        self.target = target
        self.conn = _my_connect(target)

    def apply(self, path: str, text: str) -> None:
        import pymysql

        for off, stmt in statements(text, "mysql"):
            try:
                with self.conn.cursor() as cur:
                    cur.execute(stmt)
            except pymysql.err.MySQLError as exc:
                args = exc.args
                message = str(args[1]) if len(args) >= 2 else _first_line(str(exc))
                message = message.replace(f"{self.target.database}.", "")  # the scratch name is noise
                raise self.fail(path, text, off, stmt, _first_line(message)) from None

    def close(self) -> None:
        self.conn.close()


class _SqliteApplier(_Applier):
    engine = "sqlite"

    def __init__(self, target: DatabaseTarget) -> None:
        self.conn = sqlite3.connect(target.database or ":memory:", isolation_level=None)
        self.conn.execute("PRAGMA foreign_keys = ON")

    def apply(self, path: str, text: str) -> None:
        self.conn.execute("BEGIN")
        for off, stmt in statements(text, "sqlite"):
            try:
                self.conn.execute(stmt)
            except sqlite3.Error as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise self.fail(path, text, off, stmt, _first_line(str(exc))) from None
            except sqlite3.Warning as exc:  # "You can only execute one statement at a time": split differently
                raise self.fail(path, text, off, stmt, _first_line(str(exc))) from None
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


# --- framework migrations ------------------------------------------------------------------------------------------
def _project_python(root: Path) -> str:
    for venv in (".venv", "venv", "env"):
        candidate = root / venv / "bin" / "python"
        if candidate.is_file():
            return str(candidate)
    return sys.executable


def _reads_env(project: Project, paths: list[str], names: tuple[str, ...] = ("DATABASE_URL",)) -> bool:
    return any(name in (project.text(p) or "") for p in paths for name in names)


def _framework_command(project: Project, framework: str, group: list[Migration],
                       engine: str) -> tuple[list[str], Path]:
    """The framework's own migrate command and where to run it; _Stop("unsupported") when it cannot run safely."""
    root = project.root
    files = project.files
    if framework == "laravel":
        if not shutil.which("php"):
            raise _Stop("unsupported", "Laravel migrations need php on the PATH to replay (php artisan migrate)")
        if not (root / "artisan").is_file():
            raise _Stop("unsupported", "no artisan file at the project root")
        if not (root / "vendor" / "autoload.php").is_file():
            raise _Stop("unsupported", "vendor/ is missing: run composer install before replaying")
        if (root / "bootstrap" / "cache" / "config.php").is_file():
            raise _Stop("unsupported", "bootstrap/cache/config.php is cached, so Laravel would ignore the scratch "
                                       "database settings: run php artisan config:clear first")
        return ["php", "artisan", "migrate", "--force", "--no-interaction"], root
    if framework == "django":
        manage = sorted(files.named("manage.py"), key=lambda p: (p.count("/"), p))
        if not manage:
            raise _Stop("unsupported", "no manage.py found for the Django migrations")
        base = manage[0].rsplit("/", 1)[0] if "/" in manage[0] else ""
        settings = [p for p in files.glob("**/settings.py", "**/settings/*.py", "settings.py")]
        if not _reads_env(project, settings, ("DATABASE_URL",)):
            raise _Stop("unsupported", "the Django settings do not read DATABASE_URL, so manage.py migrate would "
                                       "migrate the app's own database; set [migrations] replay in handrail.toml "
                                       "to a command that uses $DATABASE_URL")
        return [_project_python(root), "manage.py", "migrate", "--noinput"], root / base
    if framework == "alembic":
        inis = sorted(files.named("alembic.ini"), key=lambda p: (p.count("/"), p))
        envs = files.glob("**/env.py", "env.py")
        if not _reads_env(project, inis + envs, ("DATABASE_URL",)):
            raise _Stop("unsupported", "Alembic's env.py does not read DATABASE_URL, so alembic upgrade would "
                                       "migrate the database in alembic.ini; set [migrations] replay in handrail.toml")
        alembic = Path(_project_python(root)).with_name("alembic")
        tool = str(alembic) if alembic.is_file() else shutil.which("alembic")
        if not tool:
            raise _Stop("unsupported", "alembic is not installed (not in the project's venv nor on the PATH)")
        base = inis[0].rsplit("/", 1)[0] if inis and "/" in inis[0] else ""
        return [tool, "upgrade", "head"], root / base
    if framework == "rails":
        if not (root / "bin" / "rails").is_file() or not shutil.which("ruby"):
            raise _Stop("unsupported", "Rails migrations need ruby and bin/rails to replay (bin/rails db:migrate)")
        return ["bin/rails", "db:migrate"], root
    if framework == "knex":
        cfgs = sorted(files.glob("knexfile.*", "**/knexfile.*"), key=lambda p: (p.count("/"), p))
        if not _reads_env(project, cfgs, ("DATABASE_URL",)):
            raise _Stop("unsupported", "the knexfile does not read DATABASE_URL, so knex migrate:latest would "
                                       "migrate the app's own database; set [migrations] replay in handrail.toml")
        base = cfgs[0].rsplit("/", 1)[0] if cfgs and "/" in cfgs[0] else ""
        if not (root / base / "node_modules" / ".bin" / "knex").exists() or not shutil.which("node"):
            raise _Stop("unsupported", "knex is not installed (node_modules/.bin/knex): run npm install first")
        return ["node_modules/.bin/knex", "migrate:latest"], root / base
    if framework == "node-pg-migrate":  # reads DATABASE_URL unless told otherwise, so no config check is needed
        manifest = group[0].evidence.path or "package.json"
        base = manifest.rsplit("/", 1)[0] if "/" in manifest else ""
        tool = root / base / "node_modules" / ".bin" / "node-pg-migrate"
        if not tool.exists() or not shutil.which("node"):
            raise _Stop("unsupported", "node-pg-migrate is not installed (node_modules/.bin/node-pg-migrate): run "
                                       "npm install first")
        folder = group[0].path.rsplit("/", 1)[0]
        rel = folder[len(base) + 1:] if base else folder
        return ["node_modules/.bin/node-pg-migrate", "up", "-m", rel, "--no-check-order"], root / base
    raise _Stop("unsupported", f"replaying {framework} migrations is not supported; set [migrations] replay")


def _command_env(target: DatabaseTarget) -> dict[str, str]:
    """The scratch database in every form the frameworks read: DATABASE_URL and Laravel's DB_*."""
    env = dict(os.environ)
    if target.engine == "sqlite":
        # DB_URL is set (empty) so that a DB_URL in the app's .env cannot win: Laravel never overrides a set variable.
        env.update(DATABASE_URL=f"sqlite:///{target.database}", DB_CONNECTION="sqlite",
                   DB_DATABASE=target.database or "", DB_URL="")
        return env
    env.update(DATABASE_URL=target.url, DB_URL=target.url,
               DB_CONNECTION="pgsql" if target.engine == "postgresql" else "mysql",
               DB_HOST=target.host or "127.0.0.1", DB_PORT=str(target.port or DEFAULT_PORTS[target.engine]),
               DB_DATABASE=target.database or "", DB_USERNAME=target.user or "", DB_PASSWORD=target.password or "")
    return env


DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}


def _redact(text: str, target: DatabaseTarget) -> str:
    return text.replace(target.password, "***") if target.password else text


def _run_command(argv: list[str], cwd: Path, target: DatabaseTarget, group: list[Migration], tell: Say) -> list[str]:
    shown = shlex.join(argv)
    tell(f"running {shown}")
    try:
        proc = subprocess.run(argv, cwd=cwd, env=_command_env(target), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, errors="replace", timeout=COMMAND_TIMEOUT_S, check=False)
    except FileNotFoundError:
        raise _Stop("unsupported", f"cannot run {argv[0]}: not installed") from None
    except OSError as exc:
        raise _Stop("unsupported", f"cannot run {argv[0]}: {exc.strerror}") from None
    except subprocess.TimeoutExpired:
        raise _Stop("failed", f"{shown} did not finish within {COMMAND_TIMEOUT_S} s") from None
    output = _redact(proc.stdout + "\n" + proc.stderr, target)
    mentioned = [m.path for m in group if Path(m.path).stem in output]
    if proc.returncode != 0 and not mentioned and (proc.returncode == 127 or _TOOL_MISSING.search(output)):
        raise _Stop("unsupported", f"{shown} could not start: {_error_of(output)}")
    if proc.returncode != 0:
        failed = mentioned[-1] if mentioned else None
        stop = _Stop("failed", f"{shown} exited with {proc.returncode}: {_error_of(output)}", failed)
        stop.applied = [p for p in mentioned if p != failed]
        raise stop
    if not _has_tables(target):
        raise _Stop("unsupported", f"{shown} succeeded but created no tables in the scratch database: it probably "
                                   "migrated another database (make it read DATABASE_URL)")
    return [m.path for m in group]


_NOT_THE_ERROR = re.compile(r"^\(Background on this error at|^\[SQL:|^\[parameters:|^Traceback|^File \"|^at \S")


def _error_of(output: str) -> str:
    """The line that says what went wrong. SQLAlchemy ends with a link and the SQL text after the real message, Node
    with a stack trace and the error object's fields, so those lines are skipped, and a line that reads as the error
    itself (`error: ...`, `...Error: ...`) wins over one that merely mentions a failure."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip() and not _NOT_THE_ERROR.match(ln.strip())
             and not _OBJECT_FIELD.match(ln.strip())]
    for ln in reversed(lines):
        if _THE_ERROR.search(ln):
            return _first_line(ln)
    for ln in reversed(lines):
        if re.search(r"error|exception|fail", ln, re.I):
            return _first_line(ln)
    return _first_line(lines[-1]) if lines else "no output"


_THE_ERROR = re.compile(r"^(?:error|fatal)\b\s*:|^(?:[\w.]+\.)?\w*(?:Error|Exception)\b[^:]*:\s*\S")
_OBJECT_FIELD = re.compile(r"^\w+: (?:undefined|null|'[^']*'|\d+|\[[^\]]*\]|\{\}),?$")


def _has_tables(target: DatabaseTarget) -> bool:
    if target.engine == "sqlite":
        try:
            with sqlite3.connect(target.database or ":memory:") as conn:
                return bool(conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0])
        except sqlite3.Error:
            return False
    if target.engine == "postgresql":
        with _pg_connect(target) as conn:
            row = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN "
                               "('pg_catalog', 'information_schema')").fetchone()
            return bool(row[0])
    conn = _my_connect(target)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE()")
            return bool(cur.fetchone()[0])
    finally:
        conn.close()


# --- the Supabase stand-in -----------------------------------------------------------------------------------------
# What a Supabase project has before its first migration runs, reduced to what migrations reference: schemas,
# auth.users and the JWT helpers policies call, storage's tables, the realtime publication. Written for Handrail
# from the documented shapes; column lists follow what apps select and reference.
SUPABASE_STUB = r"""
CREATE SCHEMA IF NOT EXISTS extensions;
CREATE SCHEMA IF NOT EXISTS auth;
CREATE SCHEMA IF NOT EXISTS storage;
CREATE SCHEMA IF NOT EXISTS realtime;
CREATE SCHEMA IF NOT EXISTS graphql_public;
CREATE SCHEMA IF NOT EXISTS supabase_functions;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;
GRANT USAGE ON SCHEMA public, extensions, auth, storage, graphql_public TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;

CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                  nullif(current_setting('request.jwt.claims', true), ''))::jsonb $$;
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''), auth.jwt() ->> 'sub')::uuid $$;
CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), auth.jwt() ->> 'role') $$;
CREATE FUNCTION auth.email() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('request.jwt.claim.email', true), ''), auth.jwt() ->> 'email') $$;

CREATE TABLE auth.users (
  instance_id uuid, id uuid PRIMARY KEY, aud varchar(255), role varchar(255), email varchar(255),
  encrypted_password varchar(255), email_confirmed_at timestamptz, invited_at timestamptz,
  confirmation_token varchar(255), confirmation_sent_at timestamptz, recovery_token varchar(255),
  recovery_sent_at timestamptz, email_change_token_new varchar(255), email_change varchar(255),
  email_change_sent_at timestamptz, last_sign_in_at timestamptz, raw_app_meta_data jsonb, raw_user_meta_data jsonb,
  is_super_admin boolean, created_at timestamptz, updated_at timestamptz, phone text UNIQUE DEFAULT NULL,
  phone_confirmed_at timestamptz, phone_change text DEFAULT '', phone_change_token varchar(255) DEFAULT '',
  phone_change_sent_at timestamptz,
  confirmed_at timestamptz GENERATED ALWAYS AS (LEAST(email_confirmed_at, phone_confirmed_at)) STORED,
  email_change_token_current varchar(255) DEFAULT '', email_change_confirm_status smallint DEFAULT 0,
  banned_until timestamptz, reauthentication_token varchar(255) DEFAULT '', reauthentication_sent_at timestamptz,
  is_sso_user boolean NOT NULL DEFAULT false, deleted_at timestamptz, is_anonymous boolean NOT NULL DEFAULT false);
CREATE TABLE auth.identities (
  provider_id text NOT NULL, user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  identity_data jsonb NOT NULL, provider text NOT NULL, last_sign_in_at timestamptz, created_at timestamptz,
  updated_at timestamptz, email text GENERATED ALWAYS AS (lower(identity_data ->> 'email')) STORED,
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), UNIQUE (provider_id, provider));
CREATE TABLE auth.sessions (
  id uuid PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  created_at timestamptz, updated_at timestamptz, not_after timestamptz, refreshed_at timestamp,
  user_agent text, ip inet);
CREATE TABLE auth.audit_log_entries (
  instance_id uuid, id uuid PRIMARY KEY, payload json, created_at timestamptz, ip_address varchar(64) DEFAULT '');
GRANT SELECT ON auth.users TO service_role;

CREATE TABLE storage.buckets (
  id text PRIMARY KEY, name text NOT NULL UNIQUE, owner uuid, owner_id text, public boolean DEFAULT false,
  avif_autodetection boolean DEFAULT false, file_size_limit bigint, allowed_mime_types text[],
  created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
CREATE TABLE storage.objects (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), bucket_id text REFERENCES storage.buckets (id), name text,
  owner uuid, owner_id text, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now(),
  last_accessed_at timestamptz DEFAULT now(), metadata jsonb, user_metadata jsonb, version text,
  path_tokens text[] GENERATED ALWAYS AS (string_to_array(name, '/')) STORED, UNIQUE (bucket_id, name));
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage.buckets ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION storage.foldername(name text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT (string_to_array(name, '/'))[1:array_length(string_to_array(name, '/'), 1) - 1] $$;
CREATE FUNCTION storage.filename(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT (string_to_array(name, '/'))[array_length(string_to_array(name, '/'), 1)] $$;
CREATE FUNCTION storage.extension(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT reverse(split_part(reverse(storage.filename(name)), '.', 1)) $$;
GRANT ALL ON storage.buckets, storage.objects TO anon, authenticated, service_role;

CREATE TABLE realtime.messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), topic text NOT NULL, extension text NOT NULL, payload jsonb,
  event text, private boolean DEFAULT false, inserted_at timestamp NOT NULL DEFAULT now(),
  updated_at timestamp NOT NULL DEFAULT now());
ALTER TABLE realtime.messages ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION realtime.topic() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('realtime.topic', true), '') $$;
CREATE FUNCTION realtime.send(payload jsonb, event text, topic text, private boolean DEFAULT true)
  RETURNS void LANGUAGE sql AS $$ SELECT $$;
CREATE FUNCTION realtime.broadcast_changes(topic_name text, event_name text, operation text, table_name text,
  table_schema text, new record, old record, level text DEFAULT 'ROW') RETURNS void LANGUAGE plpgsql AS $$
  BEGIN END $$;
CREATE PUBLICATION supabase_realtime;

CREATE FUNCTION supabase_functions.http_request() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN RETURN coalesce(NEW, OLD); END $$;
"""

# Stand-ins for platform extensions a plain server lacks; enough for migrations that schedule jobs, call webhooks
# or store secrets to be created (nothing runs them here).
EXTENSION_STUBS: dict[str, str] = {
    "pg_net": r"""
CREATE SCHEMA IF NOT EXISTS net;
CREATE OR REPLACE FUNCTION net.http_post(url text, body jsonb DEFAULT '{}', params jsonb DEFAULT '{}',
  headers jsonb DEFAULT '{"Content-Type": "application/json"}', timeout_milliseconds integer DEFAULT 5000)
  RETURNS bigint LANGUAGE sql AS $$ SELECT 0::bigint $$;
CREATE OR REPLACE FUNCTION net.http_get(url text, params jsonb DEFAULT '{}', headers jsonb DEFAULT '{}',
  timeout_milliseconds integer DEFAULT 5000) RETURNS bigint LANGUAGE sql AS $$ SELECT 0::bigint $$;
CREATE OR REPLACE FUNCTION net.http_delete(url text, params jsonb DEFAULT '{}', headers jsonb DEFAULT '{}',
  timeout_milliseconds integer DEFAULT 5000) RETURNS bigint LANGUAGE sql AS $$ SELECT 0::bigint $$;
CREATE TABLE IF NOT EXISTS net._http_response (id bigint, status_code integer, content_type text, headers jsonb,
  content text, timed_out boolean, error_msg text, created timestamptz NOT NULL DEFAULT now());
""",
    "pg_cron": r"""
CREATE SCHEMA IF NOT EXISTS cron;
CREATE TABLE IF NOT EXISTS cron.job (jobid bigserial PRIMARY KEY, schedule text NOT NULL, command text NOT NULL,
  nodename text NOT NULL DEFAULT 'localhost', nodeport integer NOT NULL DEFAULT 5432, database text NOT NULL
  DEFAULT current_database(), username text NOT NULL DEFAULT current_user, active boolean NOT NULL DEFAULT true,
  jobname text UNIQUE);
CREATE TABLE IF NOT EXISTS cron.job_run_details (jobid bigint, runid bigserial PRIMARY KEY, job_pid integer,
  database text, username text, command text, status text, return_message text, start_time timestamptz,
  end_time timestamptz);
CREATE OR REPLACE FUNCTION cron.schedule(job_name text, schedule text, command text) RETURNS bigint
  LANGUAGE sql AS $$ INSERT INTO cron.job (jobname, schedule, command) VALUES (job_name, schedule, command)
  ON CONFLICT (jobname) DO UPDATE SET schedule = excluded.schedule, command = excluded.command RETURNING jobid $$;
CREATE OR REPLACE FUNCTION cron.schedule(schedule text, command text) RETURNS bigint
  LANGUAGE sql AS $$ INSERT INTO cron.job (schedule, command) VALUES (schedule, command) RETURNING jobid $$;
CREATE OR REPLACE FUNCTION cron.unschedule(job_name text) RETURNS boolean
  LANGUAGE sql AS $$ WITH d AS (DELETE FROM cron.job WHERE jobname = job_name RETURNING 1)
  SELECT count(*) > 0 FROM d $$;
CREATE OR REPLACE FUNCTION cron.unschedule(job_id bigint) RETURNS boolean
  LANGUAGE sql AS $$ WITH d AS (DELETE FROM cron.job WHERE jobid = job_id RETURNING 1) SELECT count(*) > 0 FROM d $$;
""",
    "supabase_vault": r"""
CREATE SCHEMA IF NOT EXISTS vault;
CREATE TABLE IF NOT EXISTS vault.secrets (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text UNIQUE,
  description text NOT NULL DEFAULT '', secret text NOT NULL, key_id uuid, nonce bytea,
  created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE OR REPLACE VIEW vault.decrypted_secrets AS SELECT *, secret AS decrypted_secret FROM vault.secrets;
CREATE OR REPLACE FUNCTION vault.create_secret(new_secret text, new_name text DEFAULT NULL,
  new_description text DEFAULT '', new_key_id uuid DEFAULT NULL) RETURNS uuid LANGUAGE sql AS $$
  INSERT INTO vault.secrets (secret, name, description) VALUES (new_secret, new_name, new_description)
  RETURNING id $$;
CREATE OR REPLACE FUNCTION vault.update_secret(secret_id uuid, new_secret text DEFAULT NULL,
  new_name text DEFAULT NULL, new_description text DEFAULT NULL, new_key_id uuid DEFAULT NULL) RETURNS void
  LANGUAGE sql AS $$ UPDATE vault.secrets SET secret = coalesce(new_secret, secret), name = coalesce(new_name, name),
  description = coalesce(new_description, description), updated_at = now() WHERE id = secret_id $$;
""",
    "pgmq": r"""
CREATE SCHEMA IF NOT EXISTS pgmq;
DO $$ BEGIN
  CREATE TYPE pgmq.message_record AS (msg_id bigint, read_ct integer, enqueued_at timestamptz, vt timestamptz,
                                      message jsonb);
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE TABLE IF NOT EXISTS pgmq.stand_in_messages (queue_name text NOT NULL, msg_id bigserial PRIMARY KEY,
  read_ct integer NOT NULL DEFAULT 0, enqueued_at timestamptz NOT NULL DEFAULT now(),
  vt timestamptz NOT NULL DEFAULT now(), message jsonb);
CREATE OR REPLACE FUNCTION pgmq.create(queue_name text) RETURNS void LANGUAGE sql AS $$ SELECT $$;
CREATE OR REPLACE FUNCTION pgmq.drop_queue(queue_name text) RETURNS boolean LANGUAGE sql AS $$
  WITH d AS (DELETE FROM pgmq.stand_in_messages m WHERE m.queue_name = $1 RETURNING 1) SELECT true $$;
CREATE OR REPLACE FUNCTION pgmq.send(queue_name text, msg jsonb, delay integer DEFAULT 0) RETURNS SETOF bigint
  LANGUAGE sql AS $$ INSERT INTO pgmq.stand_in_messages (queue_name, message, vt)
  VALUES ($1, $2, now() + make_interval(secs => $3)) RETURNING msg_id $$;
CREATE OR REPLACE FUNCTION pgmq.send_batch(queue_name text, msgs jsonb[], delay integer DEFAULT 0)
  RETURNS SETOF bigint LANGUAGE sql AS $$ INSERT INTO pgmq.stand_in_messages (queue_name, message, vt)
  SELECT $1, m, now() + make_interval(secs => $3) FROM unnest($2) m RETURNING msg_id $$;
CREATE OR REPLACE FUNCTION pgmq.read(queue_name text, vt integer, qty integer) RETURNS SETOF pgmq.message_record
  LANGUAGE sql AS $$ SELECT msg_id, read_ct, enqueued_at, vt, message FROM pgmq.stand_in_messages m
  WHERE m.queue_name = $1 ORDER BY msg_id LIMIT $3 $$;
CREATE OR REPLACE FUNCTION pgmq.pop(queue_name text) RETURNS SETOF pgmq.message_record LANGUAGE sql AS $$
  DELETE FROM pgmq.stand_in_messages m WHERE m.msg_id = (SELECT min(msg_id) FROM pgmq.stand_in_messages
  WHERE stand_in_messages.queue_name = $1) RETURNING msg_id, read_ct, enqueued_at, vt, message $$;
CREATE OR REPLACE FUNCTION pgmq.delete(queue_name text, msg_id bigint) RETURNS boolean LANGUAGE sql AS $$
  WITH d AS (DELETE FROM pgmq.stand_in_messages m WHERE m.queue_name = $1 AND m.msg_id = $2 RETURNING 1)
  SELECT count(*) > 0 FROM d $$;
CREATE OR REPLACE FUNCTION pgmq.delete(queue_name text, msg_ids bigint[]) RETURNS SETOF bigint LANGUAGE sql AS $$
  DELETE FROM pgmq.stand_in_messages m WHERE m.queue_name = $1 AND m.msg_id = ANY($2) RETURNING m.msg_id $$;
CREATE OR REPLACE FUNCTION pgmq.archive(queue_name text, msg_id bigint) RETURNS boolean LANGUAGE sql AS $$
  SELECT pgmq.delete($1, $2) $$;
""",
    "pg_stat_statements": "SELECT 1",  # statistics only: nothing a migration could depend on
}
