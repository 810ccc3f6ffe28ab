"""Speed benchmark: Handrail's verified backups against each engine's own dump and restore tools.

Issue 4 item 7 sets two budgets: a backup (`take_backup(..., verify="fast")`: snapshot, dump, sha256, archive
check) at most 1.15x the raw dump, and the full verify (scratch restore + snapshot + compare) no slower than one
raw restore. Both sides read the same database, so after a warm-up every round alternates which goes first and
we report medians. Handrail's engine is wrapped in a timing proxy (and `file_sha256`/`check_archive` patched in
this process only) so the report can say which step dominates.

Usage:
    python bench/db_speed.py [--size-mb 1024] [--runs 3] [--engine sqlite|postgresql|mysql ...] [--rebuild]

Databases are built once and kept: bench/.work/db-speed/bench.sqlite3, and handrail_bench_postgresql /
handrail_bench_mysql on the local servers (PostgreSQL 127.0.0.1:5432 user root, trust auth; MariaDB 127.0.0.1:3306
root, no password). An unreachable server skips that engine with one line. Results: bench/.work/db-speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, cast

import psycopg
import pymysql

import handrail.db.backup as backup_mod
from handrail.db.backup import snapshot_from_json, take_backup
from handrail.db.catalog import Catalog
from handrail.db.engine import DatabaseError, DatabaseTarget, Engine
from handrail.db.engines import load_engine
from handrail.db.engines.mysql import DUMP_OPTIONS

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work"
DIR = WORK / "db-speed"
MARKER = DIR / "built.json"
RESULTS = WORK / "db-speed.json"
PG = {"host": "127.0.0.1", "port": 5432, "user": "root"}
MY = {"host": "127.0.0.1", "port": 3306, "user": "root"}
ENGINES = ("sqlite", "postgresql", "mysql")

# Share of the database size per table and the approximate bytes each row takes (data + indexes).
MIX = {"users": (0.04, 160), "orders": (0.21, 150), "payloads": (0.40, 1150), "blobs": (0.35, 4150)}
BLOB_BYTES = 4096


class BenchError(Exception):
    """Bad input or an unusable engine: one line, never a traceback."""


def row_counts(size_mb: int) -> dict[str, int]:
    total = size_mb * 1024 * 1024
    return {t: max(1000, int(total * share / per_row)) for t, (share, per_row) in MIX.items()}


def run(argv: list[str] | str, **kw: Any) -> None:
    """Run a tool; its stderr's last line on failure."""
    proc = subprocess.run(argv, stdin=kw.pop("stdin", subprocess.DEVNULL), stdout=kw.pop("stdout", subprocess.DEVNULL),
                          stderr=subprocess.PIPE, check=False, **kw)
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        name = argv if isinstance(argv, str) else argv[0]
        raise BenchError(f"{str(name)[:60]} failed: {lines[-1] if lines else proc.returncode}")


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------- timing proxy

class StepLog:
    """Seconds per Handrail step within one measured call."""

    def __init__(self) -> None:
        self.steps: dict[str, float] = defaultdict(float)

    def add(self, step: str, seconds: float) -> None:
        self.steps[step] += seconds


LOG = StepLog()


class TimedEngine:
    """Delegates to a real engine and adds each call's wall time to LOG (nothing about the engine changes)."""

    TIMED = ("snapshot", "snapshot_like", "backup", "backup_checked", "restore_into", "restore_snapshot",
             "available")

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._engine, name)  # AttributeError passes through, so getattr(..., default) still works
        if name in self.TIMED:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    return attr(*args, **kwargs)
                finally:
                    LOG.add(name, time.perf_counter() - start)
            return wrapper
        if name == "scratch":
            return self._scratch
        return attr

    @contextmanager
    def _scratch(self, like: DatabaseTarget) -> Iterator[DatabaseTarget]:
        cm: AbstractContextManager[DatabaseTarget] = self._engine.scratch(like)
        start = time.perf_counter()
        value = cm.__enter__()
        LOG.add("scratch create", time.perf_counter() - start)
        try:
            yield value
        except BaseException:
            if not cm.__exit__(*sys.exc_info()):
                raise
        else:
            start = time.perf_counter()
            cm.__exit__(None, None, None)
            LOG.add("scratch drop", time.perf_counter() - start)


def _patch_module_steps() -> None:
    """Time sha256 and the archive check, which take_backup calls as module functions."""
    for attr, step in (("file_sha256", "sha256"), ("check_archive", "archive check")):
        real = getattr(backup_mod, attr)

        def wrapper(*args: Any, _real: Callable[..., Any] = real, _step: str = step) -> Any:
            start = time.perf_counter()
            try:
                return _real(*args)
            finally:
                LOG.add(_step, time.perf_counter() - start)
        setattr(backup_mod, attr, wrapper)


# ---------------------------------------------------------------------------------------------- engines

class Side:
    """One engine: building the database, its raw tools, and the Handrail target."""

    name = ""
    raw_label = ""
    plain_label = ""
    restore_label = ""

    def unreachable(self) -> str | None:
        return None

    def exists(self) -> bool:
        raise NotImplementedError

    def build(self, rows: dict[str, int]) -> None:
        raise NotImplementedError

    def db_bytes(self) -> int:
        raise NotImplementedError

    def target(self) -> DatabaseTarget:
        raise NotImplementedError

    def raw_dump(self, dest: Path, compressed: bool) -> None:
        raise NotImplementedError

    def raw_restore(self, dump: Path) -> float:
        """Seconds for the tool's restore alone (scratch creation and drop excluded)."""
        raise NotImplementedError


class SQLiteSide(Side):
    name = "sqlite"
    raw_label = "sqlite3 .backup"
    plain_label = ""
    restore_label = "file copy + fsync"

    def __init__(self) -> None:
        self.path = DIR / "bench.sqlite3"

    def exists(self) -> bool:
        return self.path.is_file()

    def build(self, rows: dict[str, int]) -> None:
        tmp = self.path.with_suffix(".building")
        tmp.unlink(missing_ok=True)
        conn = sqlite3.connect(tmp)
        series = "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {n}) "
        conn.executescript(f"""
            PRAGMA foreign_keys = ON; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
            CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, created_at TEXT);
            CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
                status TEXT, total NUMERIC, created_at TEXT, note TEXT);
            CREATE TABLE payloads (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
                kind TEXT, body TEXT);
            CREATE TABLE blobs (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
                mime TEXT, data BLOB);
            {series.format(n=rows['users'])} INSERT INTO users SELECT g, 'user' || g || '@example.com',
                'User ' || hex(randomblob(6)), datetime('2024-01-01', '+' || g || ' minutes') FROM s;
            {series.format(n=rows['orders'])} INSERT INTO orders SELECT g, 1 + (g * 7919) % {rows['users']},
                CASE g % 4 WHEN 0 THEN 'new' WHEN 1 THEN 'paid' WHEN 2 THEN 'shipped' ELSE 'refunded' END,
                (g % 100000) / 100.0, datetime('2024-01-01', '+' || g || ' seconds'), hex(randomblob(12)) FROM s;
            CREATE INDEX orders_user ON orders(user_id); CREATE INDEX orders_created ON orders(created_at);
            {series.format(n=rows['payloads'])} INSERT INTO payloads SELECT g, 1 + (g * 31) % {rows['users']},
                CASE g % 3 WHEN 0 THEN 'event' WHEN 1 THEN 'webhook' ELSE 'audit' END,
                json_object('id', g, 'tags', json_array('a', 'b', g % 7), 'ref', hex(randomblob(48)),
                    'text', hex(randomblob(32)) || ' ' || replace(printf('%.30c', 'x'), 'x',
                    'lorem ipsum dolor sit amet ')) FROM s;
            CREATE INDEX payloads_user ON payloads(user_id);
            {series.format(n=rows['blobs'])} INSERT INTO blobs SELECT g, 1 + (g * 13) % {rows['users']},
                'application/octet-stream', randomblob({BLOB_BYTES}) FROM s;
            CREATE INDEX blobs_user ON blobs(user_id);
        """)
        conn.close()
        os.replace(tmp, self.path)

    def db_bytes(self) -> int:
        return self.path.stat().st_size

    def target(self) -> DatabaseTarget:
        return DatabaseTarget(engine="sqlite", url=f"sqlite:///{self.path}", source="bench", database=str(self.path))

    def raw_dump(self, dest: Path, compressed: bool) -> None:
        dest.unlink(missing_ok=True)
        run(["sqlite3", str(self.path), f".backup '{dest}'"])

    def raw_restore(self, dump: Path) -> float:
        dest = DIR / "raw-restore.sqlite3"
        seconds = timed(lambda: (shutil.copyfile(dump, dest), fsync_file(dest)))
        dest.unlink()
        return seconds


class PostgresSide(Side):
    name = "postgresql"
    db = "handrail_bench_postgresql"
    raw_label = "pg_dump -Fc"
    plain_label = "pg_dump -Fc -Z0"
    restore_label = "pg_restore -d scratch"

    def env(self) -> dict[str, str]:
        return {**os.environ, "PGHOST": PG["host"], "PGPORT": str(PG["port"]), "PGUSER": PG["user"]}

    def _conn(self, db: str = "postgres") -> Any:
        return psycopg.connect(host=PG["host"], port=PG["port"], user=PG["user"], dbname=db, autocommit=True,
                               connect_timeout=5)

    def unreachable(self) -> str | None:
        try:
            self._conn().close()
        except Exception as exc:  # any failure to connect means: skip this engine
            return f"PostgreSQL at {PG['host']}:{PG['port']} not reachable ({str(exc).strip().splitlines()[0]})"
        return None

    def exists(self) -> bool:
        with self._conn() as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.db,)).fetchone() is not None

    def build(self, rows: dict[str, int]) -> None:
        with self._conn() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {self.db}")
        u = rows["users"]
        with self._conn(self.db) as conn:
            for stmt in (
                "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, name text,"
                " created_at timestamptz)",
                f"INSERT INTO users SELECT g, 'user' || g || '@example.com', 'User ' || left(md5(g::text), 12),"
                f" '2024-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1::bigint, {u}) g",
                "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id),"
                " status text, total numeric(12, 2), created_at timestamptz, note text)",
                f"INSERT INTO orders SELECT g, 1 + (g * 7919) % {u}, (ARRAY['new', 'paid', 'shipped', 'refunded'])"
                f"[1 + g % 4], (g % 100000) / 100.0, '2024-01-01'::timestamptz + g * interval '1 second',"
                f" left(md5(g::text), 24) FROM generate_series(1::bigint, {rows['orders']}) g",
                "CREATE INDEX orders_user ON orders(user_id)", "CREATE INDEX orders_created ON orders(created_at)",
                "CREATE TABLE payloads (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id),"
                " kind text, body jsonb)",
                f"INSERT INTO payloads SELECT g, 1 + (g * 31) % {u}, (ARRAY['event', 'webhook', 'audit'])[1 + g % 3],"
                " jsonb_build_object('id', g, 'tags', jsonb_build_array('a', 'b', g % 7),"
                " 'ref', md5(g::text) || md5((g + 1)::text) || md5((g * 3)::text),"
                " 'text', md5((g * 7)::text) || md5((g * 11)::text) || ' ' || repeat('lorem ipsum dolor sit amet ',"
                f" 30)) FROM generate_series(1::bigint, {rows['payloads']}) g",
                "CREATE INDEX payloads_user ON payloads(user_id)",
                "CREATE TABLE blobs (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id),"
                " mime text, data bytea)",
                # 16 random bytes per uuid; the WHERE on g makes the subquery run once per row
                f"INSERT INTO blobs SELECT g, 1 + (g * 13) % {u}, 'application/octet-stream',"
                f" (SELECT string_agg(uuid_send(gen_random_uuid()), ''::bytea) FROM generate_series(1,"
                f" {BLOB_BYTES // 16}) WHERE g > 0) FROM generate_series(1::bigint, {rows['blobs']}) g",
                "CREATE INDEX blobs_user ON blobs(user_id)",
                "VACUUM ANALYZE",
            ):
                conn.execute(stmt)

    def db_bytes(self) -> int:
        with self._conn() as conn:
            return int(conn.execute("SELECT pg_database_size(%s)", (self.db,)).fetchone()[0])

    def target(self) -> DatabaseTarget:
        return DatabaseTarget(engine="postgresql", url=f"postgresql://root@127.0.0.1:5432/{self.db}", source="bench",
                              host=PG["host"], port=int(PG["port"]), user=str(PG["user"]), database=self.db)

    def raw_dump(self, dest: Path, compressed: bool) -> None:
        dest.unlink(missing_ok=True)
        run(["pg_dump", "-Fc", *([] if compressed else ["-Z0"]), "-f", str(dest), self.db], env=self.env())

    def raw_restore(self, dump: Path) -> float:
        scratch = "handrail_bench_raw_scratch"
        with self._conn() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {scratch} TEMPLATE template0")
        try:
            return timed(lambda: run(["pg_restore", "--exit-on-error", "-d", scratch, str(dump)], env=self.env()))
        finally:
            with self._conn() as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")


class MySQLSide(Side):
    name = "mysql"
    db = "handrail_bench_mysql"
    raw_label = "mariadb-dump | gzip -1"
    plain_label = "mariadb-dump > file"
    restore_label = "mariadb scratch < dump"
    CLI = ["--host=127.0.0.1", "--port=3306", "--user=root", "--protocol=TCP"]

    def _conn(self, db: str | None = None) -> Any:
        return pymysql.connect(host=MY["host"], port=int(MY["port"]), user=str(MY["user"]), password="", database=db,
                               autocommit=True, connect_timeout=5)

    def unreachable(self) -> str | None:
        try:
            self._conn().close()
        except Exception as exc:  # any failure to connect means: skip this engine
            return f"MariaDB at {MY['host']}:{MY['port']} not reachable ({exc})"
        return None

    def exists(self) -> bool:
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (self.db,))
            return cur.fetchone() is not None

    def build(self, rows: dict[str, int]) -> None:
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {self.db}")
            cur.execute(f"CREATE DATABASE {self.db} CHARACTER SET utf8mb4")
        u = rows["users"]
        chunk = 200_000

        def fill(cur: Any, n: int, insert: str) -> None:
            for lo in range(1, n + 1, chunk):  # chunks keep InnoDB's undo log small
                cur.execute(insert.format(seq=f"seq_{lo}_to_{min(n, lo + chunk - 1)}"))

        with self._conn(self.db) as conn, conn.cursor() as cur:
            cur.execute("CREATE TABLE users (id BIGINT PRIMARY KEY, email VARCHAR(190) NOT NULL UNIQUE,"
                        " name VARCHAR(100), created_at DATETIME) ENGINE=InnoDB")
            fill(cur, u, "INSERT INTO users SELECT seq, CONCAT('user', seq, '@example.com'),"
                 " CONCAT('User ', LEFT(MD5(seq), 12)), '2024-01-01' + INTERVAL seq MINUTE FROM {seq}")
            cur.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, status VARCHAR(16),"
                        " total DECIMAL(12, 2), created_at DATETIME, note VARCHAR(64), KEY orders_created (created_at),"
                        " CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users(id)) ENGINE=InnoDB")
            fill(cur, rows["orders"], f"INSERT INTO orders SELECT seq, 1 + (seq * 7919) % {u},"
                 " ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'refunded'), (seq % 100000) / 100.0,"
                 " '2024-01-01' + INTERVAL seq SECOND, LEFT(MD5(seq), 24) FROM {seq}")
            cur.execute("CREATE TABLE payloads (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, kind VARCHAR(16),"
                        " body JSON, CONSTRAINT payloads_user FOREIGN KEY (user_id) REFERENCES users(id))"
                        " ENGINE=InnoDB")
            fill(cur, rows["payloads"], f"INSERT INTO payloads SELECT seq, 1 + (seq * 31) % {u},"
                 " ELT(1 + seq % 3, 'event', 'webhook', 'audit'), JSON_OBJECT('id', seq, 'tags',"
                 " JSON_ARRAY('a', 'b', seq % 7), 'ref', CONCAT(MD5(seq), MD5(seq + 1), MD5(seq * 3)),"
                 " 'text', CONCAT(MD5(seq * 7), MD5(seq * 11), ' ', REPEAT('lorem ipsum dolor sit amet ', 30)))"
                 " FROM {seq}")
            cur.execute("CREATE TABLE blobs (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, mime VARCHAR(64),"
                        " data MEDIUMBLOB, CONSTRAINT blobs_user FOREIGN KEY (user_id) REFERENCES users(id))"
                        " ENGINE=InnoDB")
            parts = ", ".join(["RANDOM_BYTES(1024)"] * (BLOB_BYTES // 1024))
            fill(cur, rows["blobs"], f"INSERT INTO blobs SELECT seq, 1 + (seq * 13) % {u},"
                 f" 'application/octet-stream', CONCAT({parts}) FROM {{seq}}")
            cur.execute("ANALYZE TABLE users, orders, payloads, blobs")

    def db_bytes(self) -> int:
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute("SELECT SUM(DATA_LENGTH + INDEX_LENGTH) FROM information_schema.TABLES"
                        " WHERE TABLE_SCHEMA = %s", (self.db,))
            return int(cur.fetchone()[0] or 0)

    def target(self) -> DatabaseTarget:
        return DatabaseTarget(engine="mysql", url=f"mysql://root@127.0.0.1:3306/{self.db}", source="bench",
                              host=MY["host"], port=int(MY["port"]), user=str(MY["user"]), database=self.db)

    def raw_dump(self, dest: Path, compressed: bool) -> None:
        # the same options Handrail passes, so the ratio measures Handrail's overhead, not option choice
        cmd = " ".join(["mariadb-dump", *self.CLI, *DUMP_OPTIONS, "--", self.db])
        run(f"set -o pipefail; {cmd} | gzip -1 > '{dest}'" if compressed else f"{cmd} > '{dest}'", shell=True,
            executable="/bin/bash")

    def raw_restore(self, dump: Path) -> float:
        scratch = "handrail_bench_raw_scratch"
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {scratch}")
            cur.execute(f"CREATE DATABASE {scratch} CHARACTER SET utf8mb4")
        try:
            with dump.open("rb") as fh:
                return timed(lambda: run(["mariadb", *self.CLI, "--default-character-set=utf8mb4", scratch],
                                         stdin=fh))
        finally:
            with self._conn() as conn, conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS {scratch}")


SIDES: dict[str, Callable[[], Side]] = {"sqlite": SQLiteSide, "postgresql": PostgresSide, "mysql": MySQLSide}


# ---------------------------------------------------------------------------------------------- measuring

def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def bench_engine(side: Side, size_mb: int, runs: int, rebuild: bool) -> dict[str, Any]:
    built = json.loads(MARKER.read_text()) if MARKER.is_file() else {}
    rows = row_counts(size_mb)
    build_s = None
    if rebuild or built.get(side.name) != size_mb or not side.exists():
        print(f"[{side.name}] building a ~{size_mb} MB database {rows} ...", flush=True)
        build_s = timed(lambda: side.build(rows))
        built[side.name] = size_mb
        MARKER.write_text(json.dumps(built) + "\n")
    engine = cast(Engine, TimedEngine(load_engine(side.name)))
    if missing := load_engine(side.name).available():
        raise BenchError(missing)
    target = side.target()
    ext = {"sqlite": ".sqlite3", "postgresql": ".pgdump", "mysql": ".sql.gz"}[side.name]
    raw_gz, raw_plain = DIR / f"raw-{side.name}{ext}", DIR / f"raw-{side.name}-plain{ext.replace('.gz', '')}"
    with tempfile.TemporaryDirectory(prefix="catalog-", dir=DIR) as folder:
        catalog = Catalog(Path(folder))
        print(f"[{side.name}] warm-up (one raw dump) ...", flush=True)
        side.raw_dump(raw_gz, True)
        t: dict[str, list[float]] = defaultdict(list)
        steps: dict[str, list[float]] = defaultdict(list)
        sizes: dict[str, int] = {}
        def one_round(i: int) -> None:
            def raw() -> None:
                t["raw dump"].append(timed(lambda: side.raw_dump(raw_gz, True)))
                sizes["raw dump"] = raw_gz.stat().st_size
                if side.plain_label:
                    t["raw dump plain"].append(timed(lambda: side.raw_dump(raw_plain, False)))
                    sizes["raw dump plain"] = raw_plain.stat().st_size

            record_box: list[Any] = []

            def handrail() -> None:
                LOG.steps.clear()
                t["handrail backup"].append(timed(lambda: record_box.append(
                    take_backup(engine, target, catalog, verify="fast"))))
                for k, v in LOG.steps.items():
                    steps[f"backup: {k}"].append(v)
                sizes["handrail backup"] = record_box[0].size

            for fn in ((raw, handrail) if i % 2 == 0 else (handrail, raw)):
                fn()
            record = record_box[0]
            before = snapshot_from_json(record.snapshot_path.read_bytes())
            restore_src = raw_plain if side.name == "mysql" else raw_gz

            def raw_restore() -> None:
                t["raw restore"].append(side.raw_restore(restore_src))

            def verify() -> None:
                LOG.steps.clear()
                t["handrail verify"].append(timed(lambda: backup_mod._verify(engine, target, record.path, before,
                                                                             "full")))
                for k, v in LOG.steps.items():
                    steps[f"verify: {k}"].append(v)

            for fn in ((raw_restore, verify) if i % 2 == 0 else (verify, raw_restore)):
                fn()
            catalog.remove(record.id)
            print(f"[{side.name}] run {i + 1}/{runs}: " + ", ".join(f"{k} {v[-1]:.1f}s" for k, v in t.items()),
                  flush=True)

        for i in range(runs):
            one_round(i)
        for p in (raw_gz, raw_plain):
            p.unlink(missing_ok=True)
    med = {k: median(v) for k, v in t.items()}
    return {
        "engine": side.name, "db_bytes": side.db_bytes(), "rows": rows, "build_seconds": build_s, "runs": runs,
        "tools": {"raw dump": side.raw_label, "raw dump plain": side.plain_label, "raw restore": side.restore_label},
        "seconds": dict(t), "median": med, "sizes": sizes,
        "steps_median": {k: median(v) for k, v in steps.items()},
        "backup_ratio": med["handrail backup"] / med["raw dump"],
        "verify_ratio": med["handrail verify"] / med["raw restore"],
    }


def mb(n: int | None) -> str:
    return "" if n is None else f"{n / 1e6:,.0f} MB"


def print_table(r: dict[str, Any]) -> None:
    m, s, tools = r["median"], r["sizes"], r["tools"]
    print(f"\n{r['engine']}: database {mb(r['db_bytes'])}, median of {r['runs']} runs")
    print(f"  {'step':<44}{'seconds':>9}  {'ratio':>7}  {'size':>9}")
    line = "  {:<44}{:>9.2f}  {:>7}  {:>9}"
    print(line.format(f"raw dump ({tools['raw dump']})", m["raw dump"], "", mb(s.get("raw dump"))))
    if "raw dump plain" in m:
        print(line.format(f"raw dump plain ({tools['raw dump plain']})", m["raw dump plain"], "",
                          mb(s.get("raw dump plain"))))
    flag = "ok" if r["backup_ratio"] <= 1.15 else "OVER"
    print(line.format("handrail backup (verify=fast)", m["handrail backup"], f"{r['backup_ratio']:.2f}x",
                      mb(s.get("handrail backup"))) + f"  target <=1.15x: {flag}")
    for k, v in r["steps_median"].items():
        if k.startswith("backup: "):
            print(f"      {k[8:]:<40}{v:>9.2f}")
    print(line.format(f"raw restore ({tools['raw restore']})", m["raw restore"], "", ""))
    flag = "ok" if r["verify_ratio"] <= 1.0 else "OVER"
    print(line.format("handrail verify (full, _verify)", m["handrail verify"], f"{r['verify_ratio']:.2f}x", "")
          + f"  target <=1.0x: {flag}")
    for k, v in r["steps_median"].items():
        if k.startswith("verify: "):
            print(f"      {k[8:]:<40}{v:>9.2f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=int, default=1024, help="approximate database size (default 1024)")
    ap.add_argument("--runs", type=int, default=3, help="measured rounds after the warm-up (default 3)")
    ap.add_argument("--engine", action="append", choices=ENGINES, help="only these engines (repeatable)")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the cached databases")
    args = ap.parse_args(argv)
    if args.size_mb < 1 or args.runs < 1:
        print("error: --size-mb and --runs must be at least 1", file=sys.stderr)
        return 2
    DIR.mkdir(parents=True, exist_ok=True)
    _patch_module_steps()
    results: list[dict[str, Any]] = []
    start = time.perf_counter()
    for name in args.engine or ENGINES:
        side = SIDES[name]()
        if reason := side.unreachable():
            print(f"[{name}] skipped: {reason}")
            continue
        try:
            results.append(bench_engine(side, args.size_mb, args.runs, args.rebuild))
        except (BenchError, DatabaseError, OSError, sqlite3.Error, psycopg.Error, pymysql.MySQLError) as exc:
            print(f"[{name}] error: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}",
                  file=sys.stderr)
            return 1
        print_table(results[-1])
    total = time.perf_counter() - start
    RESULTS.write_text(json.dumps({"size_mb": args.size_mb, "runs": args.runs, "total_seconds": total,
                                   "engines": results}, indent=1) + "\n")
    print(f"\ntotal {total:.0f} s; results in {RESULTS.relative_to(BENCH.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
