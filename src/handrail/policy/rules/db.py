"""Database wipes and destructive SQL: block against production, ask anywhere else.

Resetting a local database is normal development; the same command with RAILS_ENV=production, --linked or
a remote host erases customer data. DELETE ... WHERE id = 1 on a dev database is fine.
"""

from __future__ import annotations

import re

from handrail.policy.model import Cmd
from handrail.policy.rules.base import (
    PROD_WORD,
    Ctx,
    HitIter,
    LazyRe,
    Rule,
    env_says,
    inline_code,
    looks_production,
    short,
)

RULES = (
    Rule("db-destructive-sql", "ask", "Does the SQL drop, truncate or rewrite whole tables?",
         "DROP, TRUNCATE and DELETE/UPDATE without WHERE erase or overwrite every row; against production that is "
         "an outage and a restore.",
         "Add a WHERE clause, run it on a local database, or put schema changes in a migration and run "
         "`handrail migrate` (which takes a backup first).",
         "psql -c \"DELETE FROM sessions WHERE id = 1\"", "psql $DATABASE_URL -c 'DROP TABLE users'"),
    Rule("db-wipe", "ask", "Does the command reset, drop or flush a whole database?",
         "migrate:fresh, db:wipe, db:reset, flush, prisma migrate reset, FLUSHALL, dropDatabase and removing the "
         "Docker volume a database lives in (docker volume rm/prune, compose down -v) delete all data; with a "
         "production target they are blocked.",
         "Reset only local/test databases (--env=testing, a local host); for production, restore from a backup "
         "with `handrail restore` under human control.",
         "php artisan migrate:fresh --env=testing", "RAILS_ENV=production rails db:reset"),
)

_PG = frozenset({"psql", "pgcli", "cockroach"})
_MY = frozenset({"mysql", "mariadb", "mycli"})
_LITE = frozenset({"sqlite3", "sqlite", "duckdb", "litecli"})
_STDIN_SQL = frozenset({"dbshell", "dbconsole"})
_MONGO_BAD = LazyRe(r"dropDatabase\s*\(|\.drop\s*\(\s*\)|\.(deleteMany|remove)\s*\(\s*\{\s*\}\s*\)")
_REDIS_BAD = LazyRe(r"(?i)\b(flushall|flushdb)\b")


_YARN_BUILTINS = frozenset({"add", "install", "remove", "publish", "npm", "init", "upgrade", "up", "why", "info",
                            "version", "pack", "login", "config", "cache", "workspace", "workspaces", "dlx", "exec",
                            "run", "link", "unlink", "global", "audit", "outdated", "set", "plugin", "constraints"})


def tool_words(cmd: Cmd) -> list[str]:
    """argv without package runners: `npx prisma migrate reset` -> [prisma, migrate, reset]; `php artisan x`."""
    words = list(cmd.argv)
    for _ in range(3):
        if not words:
            break
        head = words[0].rsplit("/", 1)[-1]
        if head in ("npm", "pnpm", "yarn", "bun") and len(words) > 2 and words[1] in ("exec", "dlx", "x"):
            words = words[2:]
            continue
        if head in ("bundle", "poetry", "uv", "pipenv", "rye", "pdm", "hatch") and len(words) > 2 and words[1] in (
                "exec", "run"):
            words = words[2:]
            continue
        if re.match(r"^python[0-9.]*$", head) and len(words) > 2 and words[1] == "-m":
            words = words[2:]
            continue
        if head in ("npx", "bunx", "pnpx", "dotenv") or ((
                head in ("php", "ruby", "node", "bun") or re.match(r"^python[0-9.]*$", head)) and len(words) > 1 \
                and not words[1].startswith("-")):
            words = words[1:]
            continue
        if head == "heroku" and len(words) > 2 and words[1] in ("run", "run:detached"):
            rest = words[2:]
            while rest and rest[0].startswith("-"):
                rest = rest[2:] if rest[0] in ("-a", "--app", "-r", "--remote", "-s", "--size", "-e", "--env") \
                    else rest[1:]
            words = rest
            continue
        if head == "yarn" and len(words) > 1 and not words[1].startswith("-") and words[1] not in _YARN_BUILTINS:
            words = words[1:]
            continue
        break
    if words:
        words[0] = words[0].rsplit("/", 1)[-1]
    return [w for w in words if w != "--"]


def sql_of(cmd: Cmd) -> list[tuple[str, str]]:
    """(sql, dialect) pairs a database client would run: -c/-e/--command values, args, here-docs, pipes."""
    name = cmd.name
    argv = cmd.argv
    out: list[tuple[str, str]] = []
    if name in _PG:
        dialect = "postgres"
        for i, a in enumerate(argv):
            if a in ("-c", "--command", "-e", "--execute") and i + 1 < len(argv):
                out.append((argv[i + 1], dialect))
            elif a.startswith(("--command=", "--execute=")):
                out.append((a.split("=", 1)[1], dialect))
    elif name in _MY:
        dialect = "mysql"
        for i, a in enumerate(argv):
            if a in ("-e", "--execute") and i + 1 < len(argv):
                out.append((argv[i + 1], dialect))
            elif a.startswith("--execute="):
                out.append((a.split("=", 1)[1], dialect))
            elif a.startswith("-e") and len(a) > 2 and not a.startswith("--"):
                out.append((a[2:], dialect))
    elif name in _LITE:
        dialect = "duckdb" if name == "duckdb" else "sqlite"
        pos = []
        skip = False
        for i, a in enumerate(argv[1:], 1):
            if skip:
                skip = False
                continue
            if a in ("-cmd", "-c") and i + 1 < len(argv):
                out.append((argv[i + 1], dialect))
                skip = True
            elif a in ("-separator", "-nullvalue", "-newline", "-init"):
                skip = True
            elif not a.startswith("-"):
                pos.append(a)
        if len(pos) > 1:
            out.append((" ".join(pos[1:]), dialect))
    elif name in ("clickhouse-client", "clickhouse"):
        dialect = "clickhouse"
        for i, a in enumerate(argv):
            if a in ("-q", "--query") and i + 1 < len(argv):
                out.append((argv[i + 1], dialect))
            elif a.startswith("--query="):
                out.append((a.split("=", 1)[1], dialect))
    else:
        words = tool_words(cmd)
        dialect = "postgres"
        if not (set(words[:3]) & _STDIN_SQL or words[:2] in (["rails", "db"], ["artisan", "db"]) or (
                words[:3] == ["prisma", "db", "execute"])):
            return out
        for i, a in enumerate(words):
            if a in ("--command", "-c") and i + 1 < len(words):
                out.append((words[i + 1], dialect))
    if cmd.stdin:
        out.append((cmd.stdin, dialect))
    return out


def wipe(cmd: Cmd) -> str | None:
    """What a whole-database wipe command does, or None."""
    w = tool_words(cmd)
    if not w:
        return None
    head, rest = w[0], w[1:]
    args = set(rest)
    first = rest[0] if rest else ""
    if head == "artisan" and first in ("migrate:fresh", "migrate:reset", "db:wipe", "migrate:refresh"):
        return f"artisan {first} drops every table"
    if head in ("rails", "rake", "bin/rails") and args & {"db:drop", "db:reset", "db:schema:load", "db:purge",
                                                         "db:truncate_all", "db:migrate:reset", "db:structure:load"}:
        return "rails " + " ".join(sorted(args & {"db:drop", "db:reset", "db:schema:load", "db:purge",
                                                  "db:truncate_all", "db:migrate:reset", "db:structure:load"}))
    if head in ("manage.py", "django-admin") and first in ("flush", "reset_db", "reset_schema"):
        return f"manage.py {first} deletes all rows"
    if head == "prisma":
        if rest[:2] == ["migrate", "reset"]:
            return "prisma migrate reset drops the database"
        if rest[:2] == ["db", "push"] and args & {"--accept-data-loss", "--force-reset"}:
            return "prisma db push " + " ".join(sorted(args & {"--accept-data-loss", "--force-reset"}))
    if head == "drizzle-kit" and (first == "drop" or (first == "push" and args & {"--force", "--strict=false"})):
        return f"drizzle-kit {first} --force can drop tables without asking"
    if head == "supabase" and rest[:2] == ["db", "reset"]:
        return "supabase db reset recreates the database"
    if head == "knex" and first in ("migrate:rollback", "migrate:down") and "--all" in args:
        return "knex migrate:rollback --all undoes every migration"
    if head in ("sequelize", "sequelize-cli") and first in ("db:drop", "db:migrate:undo:all"):
        return f"sequelize {first}"
    if head == "typeorm" and first in ("schema:drop", "schema:sync"):
        return f"typeorm {first}"
    if head == "mix" and first in ("ecto.drop", "ecto.reset"):
        return f"mix {first}"
    if head in ("console", "bin/console") and first in ("doctrine:database:drop", "doctrine:schema:drop"):
        return first
    if head == "alembic" and first == "downgrade" and "base" in args:
        return "alembic downgrade base undoes every migration"
    if head == "flyway" and "clean" in args:
        return "flyway clean drops every object"
    if head == "dropdb":
        return "dropdb drops the database"
    if head in _VOLUME_TOOLS:
        return _volume_wipe(head, rest)
    if head == "mysqladmin" and args & {"drop", "-f"} and "drop" in args:
        return "mysqladmin drop drops the database"
    if head == "redis-cli":
        text = " ".join(rest) + " " + (cmd.stdin or "")
        m = _REDIS_BAD.search(text)
        if m:
            return f"redis-cli {m.group(1).upper()} deletes every key"
    if head in ("mongo", "mongosh"):
        code = " ".join(rest) + " " + (cmd.stdin or "")
        m = _MONGO_BAD.search(code)
        if m:
            return f"mongo {m.group(0).strip()} deletes a whole database or collection"
    return None


_VOLUME_TOOLS = frozenset({"docker", "podman", "docker-compose", "podman-compose", "nerdctl"})
_DOCKER_VALUE_OPTS = frozenset({"-H", "--host", "-c", "--context", "--config", "-l", "--log-level", "-f", "--file",
                                "-p", "--project-name", "--profile", "--env-file", "--project-directory", "--ansi",
                                "--parallel", "--progress"})


def _volume_wipe(head: str, rest: list[str]) -> str | None:
    """Docker volumes hold local databases' files (pgdata, mysql_data): removing them is a database wipe."""
    words = []
    skip = False
    for a in rest:
        if skip:
            skip = False
        elif a in _DOCKER_VALUE_OPTS:
            skip = True
        elif not a.startswith("-"):
            words.append(a)
    if head.endswith("-compose"):
        words = ["compose", *words]
    sub = words[:2]
    opts = [a for a in rest if a.startswith("-")]
    if sub in (["volume", "rm"], ["volume", "remove"], ["volume", "prune"]) and "--help" not in opts:
        return f"{head} {' '.join(sub)} deletes the data in those volumes (a database's files live there)"
    if sub == ["system", "prune"] and "--volumes" in opts:
        return f"{head} system prune --volumes deletes every unused volume (and the databases in them)"
    if sub in (["compose", "down"], ["compose", "rm"]) and any(
            a in ("-v", "--volumes", "--volumes=true") or (a[:2] != "--" and "v" in a[1:]) for a in opts):
        return f"{head} {' '.join(sub)} -v deletes the project's volumes (and the databases in them)"
    return None


def _prod(cmd: Cmd) -> bool:
    if looks_production(cmd) or cmd.argv[:2] == ["heroku", "run"]:
        return True
    w = tool_words(cmd)
    if w and w[0] in _VOLUME_TOOLS:  # a volume or compose file named for production (app_prod_pgdata)
        return any(PROD_WORD.search(a) for a in w[1:] if not a.startswith("-"))
    return bool(w) and w[0] == "artisan" and "--force" in w


def check_cmd(cmd: Cmd, ctx: Ctx) -> HitIter:
    text = short(cmd.text)
    what = wipe(cmd)
    if what and env_says(cmd) != "test":
        if _prod(cmd):
            yield ("block", "db-wipe", f"`{text}`: {what}, and the target looks like production; restore from a "
                                       "backup under human control instead")
        else:
            yield ("ask", "db-wipe", f"`{text}`: {what}; run it only against a local/test database "
                                     "(e.g. --env=testing) and approve")
    pairs = sql_of(cmd)
    if pairs:
        from handrail.policy.sql import destructive

        found = [d for sql, dialect in pairs for d in destructive(sql, dialect)]
    else:
        code = inline_code(cmd)
        found = []
        if code and re.search(r"(?i)sqlite3|psycopg|pymysql|mysql|pg\b|sequelize|knex|prisma|\.execute|\.query|"
                              r"\.exec\b|\$executeRaw", code):
            from handrail.policy.sql import keyword_destructive

            found = keyword_destructive(code)
    if found:
        desc = ", ".join(dict.fromkeys(found))
        if _prod(cmd):
            yield ("block", "db-destructive-sql", f"`{text}` runs {desc} against what looks like production; add a "
                                                  "WHERE clause or ship it as a migration via `handrail migrate`")
        else:
            yield ("ask", "db-destructive-sql", f"`{text}` runs {desc}; add a WHERE clause, or approve if this is a "
                                                "throwaway local database")


def check_file(ctx: Ctx) -> HitIter:
    return iter(())
