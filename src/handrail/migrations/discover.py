"""Find migration files per framework, with the evidence that makes them migrations.

Every framework keeps its migrations in a conventional folder, but the folder name alone is weak
evidence (`migrations/` also holds Flask-Migrate's Alembic tree, Django apps and plain SQL), so each
Migration carries the config file or convention it rests on, and files are claimed by the most specific
framework first. The dialect decides which rules apply later (locking rules are PostgreSQL-only), so it
comes from the most specific source available: a Prisma migration_lock.toml or a Drizzle config beats
the project-wide stack detection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handrail.core.finding import Location

if TYPE_CHECKING:
    from handrail.core.project import Project

DIALECTS = ("postgresql", "mysql", "sqlite")
# Frameworks whose convention includes a way back; for the others a missing down file is normal, not a finding.
HAS_DOWN_CONVENTION = frozenset({"laravel", "django", "alembic", "rails", "knex", "node-pg-migrate"})

# Migrations inside test fixtures, examples or vendored packages describe someone else's database.
_NOT_APP_DIRS = frozenset({"tests", "test", "spec", "fixtures", "fixture", "examples", "example", "docs", "samples",
                           "testdata", "__fixtures__", "e2e", "vendor", "node_modules", "site-packages", "bench"})


@dataclass(frozen=True)
class Migration:
    """One migration file. `order` sorts migrations of one framework into the order they are applied."""

    framework: str
    path: str
    order: str
    dialect: str
    evidence: Location
    down_path: str | None = None  # a separate rollback file (golang-migrate `.down.sql`)

    @property
    def has_down_convention(self) -> bool:
        return self.framework in HAS_DOWN_CONVENTION

    @property
    def language(self) -> str:
        return {".php": "php", ".py": "python", ".rb": "ruby", ".sql": "sql"}.get(
            self.path[self.path.rfind("."):], "js")


def _app(paths: list[str]) -> list[str]:
    return [p for p in paths if not _NOT_APP_DIRS.intersection(p.split("/")[:-1])]


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _stack_dialect(project: Project) -> str:
    """The one SQL engine the stack names; unknown when it names none or several (no guessing)."""
    found = [d for d in DIALECTS if d in project.stacks.databases]
    return found[0] if len(found) == 1 else "unknown"


def discover_migrations(project: Project) -> list[Migration]:
    """All migrations in the project, grouped by framework and sorted in apply order."""
    claimed: set[str] = set()
    out: list[Migration] = []
    for finder in (_prisma, _supabase, _drizzle, _alembic, _django, _laravel, _rails, _node_pg_migrate, _knex,
                   _plain_sql):
        for mig in finder(project, claimed):
            if mig.path not in claimed:
                claimed.add(mig.path)
                if mig.down_path:
                    claimed.add(mig.down_path)
                out.append(mig)
    return sorted(out, key=lambda m: (m.framework, m.order, m.path))


# --- SQL-file frameworks ------------------------------------------------------------------------------------------
_PRISMA_PROVIDER = re.compile(r'provider\s*=\s*"(\w+)"')


def _prisma(project: Project, claimed: set[str]) -> list[Migration]:
    out = []
    for path in _app(project.files.glob("prisma/migrations/*/migration.sql", "**/prisma/migrations/*/migration.sql")):
        folder = path.rsplit("/", 2)[0]
        dialect, where = _stack_dialect(project), Location(folder, None, "Prisma migrations folder")
        lock = f"{folder}/migration_lock.toml"
        m = _PRISMA_PROVIDER.search(project.text(lock) or "")
        if m:
            dialect = {"postgres": "postgresql", "cockroachdb": "postgresql"}.get(m[1], m[1])
            where = Location(lock, _line_of(project.text(lock) or "", m.start()), f"provider {m[1]}")
        dialect = dialect if dialect in DIALECTS else "unknown"
        out.append(Migration("prisma", path, path.rsplit("/", 2)[1], dialect, where))
    return out


def _supabase(project: Project, claimed: set[str]) -> list[Migration]:
    return [Migration("supabase", p, p.rsplit("/", 1)[1], "postgresql",
                      Location("supabase/migrations", None, "Supabase migrations (PostgreSQL)"))
            for p in project.files.glob("supabase/migrations/*.sql")]


_DRIZZLE_OUT = re.compile(r"""\bout\s*:\s*["'`]\.?/?([\w./-]+?)/?["'`]""")
_DRIZZLE_DIALECT = re.compile(r"""\b(?:dialect|driver)\s*:\s*["'`](\w+)["'`]""")
_DRIZZLE_DIALECTS = {"postgresql": "postgresql", "pg": "postgresql", "mysql": "mysql", "mysql2": "mysql",
                     "sqlite": "sqlite", "turso": "sqlite", "libsql": "sqlite", "d1-http": "sqlite",
                     "better-sqlite": "sqlite", "singlestore": "mysql"}


def _drizzle(project: Project, claimed: set[str]) -> list[Migration]:
    out: list[Migration] = []
    configs = _app(project.files.glob("drizzle.config.*", "**/drizzle.config.*"))
    for cfg in configs:
        text = project.text(cfg) or ""
        base = cfg.rsplit("/", 1)[0] + "/" if "/" in cfg else ""
        m_out = _DRIZZLE_OUT.search(text)
        out_dir = base + (m_out[1] if m_out else "drizzle")
        m_dia = _DRIZZLE_DIALECT.search(text)
        dialect = _DRIZZLE_DIALECTS.get(m_dia[1], "unknown") if m_dia else _stack_dialect(project)
        where = Location(cfg, _line_of(text, m_out.start()) if m_out else None, f"drizzle out dir {out_dir}")
        for path in project.files.glob(f"{out_dir}/*.sql"):
            out.append(Migration("drizzle", path, path.rsplit("/", 1)[1], dialect, where))
    if not configs:  # no config: Drizzle's statement separator and journal are evidence enough
        for journal in _app(project.files.glob("**/meta/_journal.json")):
            folder = journal.rsplit("/", 2)[0]
            for path in project.files.glob(f"{folder}/*.sql"):
                out.append(Migration("drizzle", path, path.rsplit("/", 1)[1], _stack_dialect(project),
                                     Location(journal, None, "Drizzle migration journal")))
    return out


# golang-migrate pairs `N_x.up.sql` with `N_x.down.sql`; dbmate and goose keep both halves in one file.
def _plain_sql(project: Project, claimed: set[str]) -> list[Migration]:
    out = []
    paths = _app(project.files.glob("migrations/*.sql", "db/migrations/*.sql", "**/migrations/*.sql",
                                    "**/db/migrations/*.sql", "db/migrate/*.sql", "sql/migrations/*.sql"))
    for path in paths:
        if path in claimed or path.endswith(".down.sql"):
            continue
        down = path[: -len(".up.sql")] + ".down.sql" if path.endswith(".up.sql") else None
        down = down if down and down in project.files else None
        folder = path.rsplit("/", 1)[0]
        out.append(Migration("sql", path, path.rsplit("/", 1)[1], _stack_dialect(project),
                             Location(folder, None, "SQL migrations folder"), down_path=down))
    return out


# --- code frameworks ------------------------------------------------------------------------------------------------
_ALEMBIC_LOCATION = re.compile(r"^\s*script_location\s*=\s*(?:%\(here\)s/?)?\.?/?(\S*)", re.M)
_ALEMBIC_URL = re.compile(r"^\s*sqlalchemy\.url\s*=\s*(postgres(?:ql)?|mysql|mariadb|sqlite)", re.M)


def _alembic(project: Project, claimed: set[str]) -> list[Migration]:
    out: list[Migration] = []
    seen: set[str] = set()
    for ini in _app(project.files.named("alembic.ini")):
        text = project.text(ini) or ""
        m = _ALEMBIC_LOCATION.search(text)
        if not m:
            continue
        base = ini.rsplit("/", 1)[0] + "/" if "/" in ini else ""
        versions = f"{base}{m[1].rstrip('/')}/versions".lstrip("/")
        url = _ALEMBIC_URL.search(text)
        dialect = ({"postgres": "postgresql", "mariadb": "mysql"}.get(url[1], url[1]) if url
                   else _stack_dialect(project))
        where = Location(ini, _line_of(text, m.start()), f"script_location {m[1]}")
        for path in project.files.glob(f"{versions}/*.py"):
            seen.add(path)
            out.append(Migration("alembic", path, _alembic_order(project, path), dialect, where))
    # Flask-Migrate and alembic.ini-less layouts: a versions/ file that names its revisions is evidence enough.
    for path in _app(project.files.glob("**/versions/*.py")):
        if path not in seen and re.search(r"^down_revision\s*[:=]", project.text(path) or "", re.M):
            out.append(Migration("alembic", path, _alembic_order(project, path), _stack_dialect(project),
                                 Location(path.rsplit("/", 1)[0], None, "Alembic revision files")))
    return out


def _alembic_order(project: Project, path: str) -> str:
    """Alembic orders by the revision graph, not file names; the file's Create Date is a stable stand-in."""
    m = re.search(r"^Create Date:\s*(.+)$", project.text(path) or "", re.M)
    return (m[1].strip() if m else "") + " " + path.rsplit("/", 1)[1]


_DJANGO_NAME = re.compile(r"(?:^|/)migrations/(\d{4})_\w+\.py$")


def _django(project: Project, claimed: set[str]) -> list[Migration]:
    out = []
    dialect = _stack_dialect(project)
    for path in _app(project.files.glob("**/migrations/*.py")):
        m = _DJANGO_NAME.search(path)
        if not m or "migrations.Migration" not in (project.text(path) or ""):
            continue
        app = path.rsplit("/migrations/", 1)[0]
        out.append(Migration("django", path, f"{app}/{m[1]}", dialect,
                             Location(path.rsplit("/", 1)[0], None, "Django app migrations")))
    return out


def _laravel(project: Project, claimed: set[str]) -> list[Migration]:
    return [Migration("laravel", p, p.rsplit("/", 1)[1], _stack_dialect(project),
                      Location("database/migrations", None, "Laravel migrations folder"))
            for p in _app(project.files.glob("database/migrations/*.php", "**/database/migrations/*.php"))]


def _rails(project: Project, claimed: set[str]) -> list[Migration]:
    return [Migration("rails", p, p.rsplit("/", 1)[1], _stack_dialect(project),
                      Location("db/migrate", None, "Rails migrations folder"))
            for p in _app(project.files.glob("db/migrate/*.rb", "**/db/migrate/*.rb"))]


_PGM_DIR = re.compile(r"""node-pg-migrate\b[^"'\n]*?(?:-m|--migrations-dir)[ =]["']?([\w./-]+)""")


def _node_pg_migrate(project: Project, claimed: set[str]) -> list[Migration]:
    """node-pg-migrate (a package.json dependency): `migrations/` unless a script passes `-m DIR`."""
    out: list[Migration] = []
    for manifest in _app(project.files.glob("package.json", "**/package.json")):
        text = project.text(manifest) or ""
        if '"node-pg-migrate"' not in text:
            continue
        base = manifest.rsplit("/", 1)[0] + "/" if "/" in manifest else ""
        m_dir = _PGM_DIR.search(text)
        folder = base + (m_dir[1].strip("./") if m_dir else "migrations")
        where = Location(manifest, _line_of(text, m_dir.start()) if m_dir else
                         _line_of(text, text.index('"node-pg-migrate"')), f"node-pg-migrate migrations {folder}")
        for path in project.files.glob(f"{folder}/*.js", f"{folder}/*.ts", f"{folder}/*.cjs", f"{folder}/*.mjs"):
            if path not in claimed and _KNEX_UP.search(project.text(path) or ""):
                out.append(Migration("node-pg-migrate", path, path.rsplit("/", 1)[1], "postgresql", where))
    return out


_KNEX_DIR = re.compile(r"""\bdirectory\s*:\s*(?:path\.\w+\([^)]*?)?["'`]\.?/?([\w./-]+?)/?["'`]""")
_KNEX_CLIENT = re.compile(r"""\bclient\s*:\s*["'`](\w+)["'`]""")
_KNEX_DIALECTS = {"pg": "postgresql", "postgres": "postgresql", "postgresql": "postgresql", "mysql": "mysql",
                  "mysql2": "mysql", "sqlite3": "sqlite", "better-sqlite3": "sqlite"}
_KNEX_UP = re.compile(r"(exports\.up\b|export\s+(?:async\s+)?function\s+up\b|export\s+const\s+up\b)")


def _knex(project: Project, claimed: set[str]) -> list[Migration]:
    out: list[Migration] = []
    for cfg in _app(project.files.glob("knexfile.*", "**/knexfile.*")):
        text = project.text(cfg) or ""
        base = cfg.rsplit("/", 1)[0] + "/" if "/" in cfg else ""
        m_dir = _KNEX_DIR.search(text)
        folder = base + (m_dir[1] if m_dir else "migrations")
        m_cli = _KNEX_CLIENT.search(text)
        dialect = _KNEX_DIALECTS.get(m_cli[1], "unknown") if m_cli else _stack_dialect(project)
        where = Location(cfg, _line_of(text, m_dir.start()) if m_dir else None, f"knex migrations {folder}")
        for path in project.files.glob(f"{folder}/*.js", f"{folder}/*.ts", f"{folder}/*.cjs", f"{folder}/*.mjs"):
            if _KNEX_UP.search(project.text(path) or ""):
                out.append(Migration("knex", path, path.rsplit("/", 1)[1], dialect, where))
    if not out:  # knex configured in code (uptime-kuma, wiki.js): files that export up() and use knex's schema API
        for path in _app(project.files.glob(*(f"{d}migrations/*.{ext}" for d in ("", "**/")
                                              for ext in ("js", "ts", "cjs", "mjs")))):
            text = project.text(path) or ""
            if path not in claimed and _KNEX_UP.search(text) and _KNEX_API.search(text):
                folder = path.rsplit("/", 1)[0]
                out.append(Migration("knex", path, path.rsplit("/", 1)[1], _stack_dialect(project),
                                     Location(folder, None, f"knex migrations {folder} (no knexfile)")))
    return out


_KNEX_API = re.compile(r"\bknex\.(?:schema|raw)\b|\.schema\.(?:createTable|alterTable|table|dropTable)\b")
