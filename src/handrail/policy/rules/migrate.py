"""Migrations that bypass `handrail migrate` (which backs up first, records the run and can roll back).

Running a migration on a local or test database is ordinary; running one anywhere else without a backup
is how a bad migration becomes lost data.
"""

from __future__ import annotations

from handrail.policy.model import Cmd
from handrail.policy.rules.base import Ctx, HitIter, Rule, env_says, hosts_in, is_local_host, short
from handrail.policy.rules.db import tool_words

RULES = (
    Rule("migrate-unwrapped", "ask", "Does a schema migration run without `handrail migrate`?",
         "`handrail migrate` takes a verified backup, records the run in the journal and knows how to roll back; "
         "a bare migrate command against a shared database does none of that.",
         "Run it as `handrail migrate -- <your migrate command>`, or target a local/test database "
         "(--env=testing, sqlite).",
         "handrail migrate -- php artisan migrate", "php artisan migrate --force"),
)


def migration(cmd: Cmd) -> str | None:
    """A short name of the migration a command applies, or None."""
    w = tool_words(cmd)
    if not w:
        return None
    head, rest = w[0], w[1:]
    first = rest[0] if rest else ""
    if head == "artisan" and (first == "migrate" or first in ("migrate:rollback", "migrate:refresh")):
        return f"artisan {first}"
    if head == "manage.py" or head == "django-admin":
        return "manage.py migrate" if first == "migrate" else None
    if head == "prisma" and rest[:2] in (["migrate", "deploy"], ["db", "push"]):
        return "prisma " + " ".join(rest[:2])
    if head in ("rails", "rake") and any(a in ("db:migrate", "db:rollback", "db:migrate:redo", "db:prepare")
                                         for a in rest):
        return f"{head} db:migrate"
    if head == "alembic" and first in ("upgrade", "downgrade"):
        return f"alembic {first}"
    if head == "knex" and first in ("migrate:latest", "migrate:up", "migrate:rollback", "migrate:down"):
        return f"knex {first}"
    if head == "supabase" and rest[:2] in (["db", "push"], ["migration", "up"]):
        return "supabase " + " ".join(rest[:2])
    if head == "drizzle-kit" and first in ("migrate", "push"):
        return f"drizzle-kit {first}"
    if head in ("sequelize", "sequelize-cli") and first.startswith("db:migrate"):
        return f"sequelize {first}"
    if head == "typeorm" and first in ("migration:run", "migration:revert"):
        return f"typeorm {first}"
    if head == "mix" and first in ("ecto.migrate", "ecto.rollback"):
        return f"mix {first}"
    if head in ("flyway", "liquibase") and ("migrate" in rest or "update" in rest):
        return f"{head} migrate"
    if head in ("goose", "dbmate", "migrate", "atlas", "sqlx") and any(
            a in ("up", "migrate", "apply", "run", "down") for a in rest[:3]):
        return f"{head} {' '.join(rest[:2])}"
    if head in ("console", "bin/console") and first == "doctrine:migrations:migrate":
        return first
    if head == "diesel" and rest[:2] == ["migration", "run"]:
        return "diesel migration run"
    return None


def _local(cmd: Cmd) -> bool:
    said = env_says(cmd)
    if said == "test":
        return True
    if said == "prod":
        return False
    for k, v in cmd.env.items():
        if k.endswith(("DATABASE_URL", "DB_URL")) and v.startswith(("sqlite:", "file:")):
            return True
        if k in ("DB_CONNECTION",) and v == "sqlite":
            return True
    hosts = hosts_in(cmd)
    return bool(hosts) and all(is_local_host(h) for h in hosts)


def check_cmd(cmd: Cmd, ctx: Ctx) -> HitIter:
    if any(w.startswith("handrail migrate") for w in cmd.wrappers):
        return
    what = migration(cmd)
    if what is None or _local(cmd):
        return
    yield ("ask", "migrate-unwrapped",
           f"`{short(cmd.text)}` runs {what} without a backup; use `handrail migrate -- {short(cmd.text, 60)}` "
           "(backs up first, can roll back) or target a local/test database")


def check_file(ctx: Ctx) -> HitIter:
    return iter(())
