"""The journal store: SQLite at .handrail/journal.db by default, PostgreSQL for a team (journal.url / url_env).

Both keep the same three tables and refuse UPDATE and DELETE with triggers (a guard against mistakes; the hash
chain, the MACs and the signed, anchored checkpoints are the evidence). Appends are serialised (SQLite BEGIN
IMMEDIATE, PostgreSQL pg_advisory_xact_lock), so several agents writing at once never fork the chain. Opening
and appending must stay cheap: the agent hook does it on every tool call.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress

from handrail.journal import chain
from handrail.journal.model import Entry, Event
from handrail.journal.settings import JournalSettings, SettingsError, load_settings

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from handrail.journal.report import Checkpoint, VerifyReport

JOURNAL_DIR = ".handrail"
DB_NAME = "journal.db"
SCHEMA_VERSION = 1
_LOCK_KEY = 0x68616E6472  # pg_advisory_xact_lock key ("handr")

COLS = ("seq", "ts", "kind", "summary", "agent", "session_id", "user_name", "tool", "tool_use_id", "event",
        "decision", "rule_id", "exit_code", "cwd", "git_head", "payload", "payload_hash", "prev_hash", "hash", "mac",
        "key_id")
_FIELD = {"session_id": "session", "user_name": "user"}
_CP_COLS = ("id", "size", "root", "ts", "reason", "key_name", "public_key", "note")


class JournalError(Exception):
    """The journal cannot be opened, read or written; the message is one line."""


def _tables(int_type: str, text_type: str = "TEXT") -> list[str]:
    t = text_type
    return [
        f"""CREATE TABLE IF NOT EXISTS handrail_entries (seq {int_type} PRIMARY KEY, ts {t} NOT NULL,
            kind {t} NOT NULL, summary {t} NOT NULL, agent {t}, session_id {t}, user_name {t}, tool {t},
            tool_use_id {t}, event {t}, decision {t}, rule_id {t}, exit_code {int_type}, cwd {t}, git_head {t},
            payload {t} NOT NULL, payload_hash {t} NOT NULL, prev_hash {t} NOT NULL, hash {t} NOT NULL, mac {t},
            key_id {t})""",
        f"""CREATE TABLE IF NOT EXISTS handrail_checkpoints (id {int_type} PRIMARY KEY, size {int_type} NOT NULL,
            root {t} NOT NULL, ts {t} NOT NULL, reason {t} NOT NULL, key_name {t} NOT NULL, public_key {t} NOT NULL,
            note {t} NOT NULL)""",
        f"CREATE TABLE IF NOT EXISTS handrail_meta (k {t} PRIMARY KEY, v {t} NOT NULL)",
        "CREATE INDEX IF NOT EXISTS handrail_entries_session ON handrail_entries (session_id, seq)",
        "CREATE INDEX IF NOT EXISTS handrail_entries_tool_use ON handrail_entries (tool_use_id)",
    ]


_TABLE_NAMES = ("handrail_entries", "handrail_checkpoints", "handrail_meta")


def _now() -> str:
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


def _os_user() -> str | None:
    name = os.environ.get("USER") or os.environ.get("LOGNAME") or os.environ.get("USERNAME")
    if name:
        return name
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError, OSError):
        return None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def _row_to_entry(row: Iterable[Any]) -> Entry:
    values = dict(zip(COLS, row, strict=True))
    kw = {_FIELD.get(k, k): v for k, v in values.items()}
    try:
        kw["payload"] = json.loads(kw["payload"])
    except (TypeError, ValueError):
        kw["payload"] = {"__unreadable__": str(kw["payload"])[:200]}
    if not isinstance(kw["payload"], dict):
        kw["payload"] = {"__not_an_object__": kw["payload"]}
    return Entry(**kw)


def _entry_row(e: Entry) -> tuple[Any, ...]:
    return tuple(chain.canonical(e.payload).decode("utf-8") if c == "payload" else getattr(e, _FIELD.get(c, c))
                 for c in COLS)


# ---------------------------------------------------------------- backends
class _Backend:
    kind = ""
    display = ""
    ph = "?"
    errors: tuple[type[BaseException], ...] = (sqlite3.Error,)

    def q(self, sql: str) -> str:
        return sql if self.ph == "?" else sql.replace("?", "%s")

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        raise NotImplementedError

    @contextmanager
    def write(self) -> Iterator[None]:
        raise NotImplementedError
        yield

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        raise NotImplementedError
        yield

    def close(self) -> None:
        raise NotImplementedError

    def error(self, exc: BaseException) -> JournalError:
        return JournalError(f"{self.display}: {_one_line(exc)}")


class _SQLite(_Backend):
    kind = "sqlite"

    def __init__(self, path: str, create: bool, timeout: float) -> None:
        self.path = path
        self.display = path
        self.conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        try:
            self.conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                if not create:
                    raise JournalError(f"{path}: not a Handrail journal (no journal tables)")
                self._init_schema()
            elif version > SCHEMA_VERSION:
                raise JournalError(f"{path}: journal schema {version} is newer than this Handrail (upgrade it)")
            self.conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            self.conn.close()
            raise self.error(exc) from exc
        except JournalError:
            self.conn.close()
            raise

    def _init_schema(self) -> None:
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            if self.conn.execute("PRAGMA user_version").fetchone()[0] == 0:
                existing = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                if existing - set(_TABLE_NAMES) - {"sqlite_sequence"}:
                    raise JournalError(f"{self.path}: is another SQLite database, not a Handrail journal")
                for sql in _tables("INTEGER"):
                    self.conn.execute(sql)
                for table in _TABLE_NAMES:
                    for op in ("UPDATE", "DELETE"):
                        self.conn.execute(
                            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                            f"BEGIN SELECT RAISE(ABORT, 'the Handrail journal is append-only'); END")
                self.conn.execute("INSERT OR IGNORE INTO handrail_meta (k, v) VALUES ('journal_id', ?)",
                                  (os.urandom(16).hex(),))
                self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def error(self, exc: BaseException) -> JournalError:
        msg = _one_line(exc)
        if "file is not a database" in msg:
            return JournalError(f"{self.path}: not a journal database (file is not a database)")
        if "malformed" in msg:
            return JournalError(f"{self.path}: the journal database is damaged ({msg})")
        return JournalError(f"{self.path}: {msg}")

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.conn.execute(sql, params)

    @contextmanager
    def write(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


def _safe_url(url: str) -> str:
    if "://" in url and "@" in url.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = url.split("://", 1)
        userinfo, host = rest.split("@", 1)
        return f"{scheme}://{userinfo.split(':', 1)[0]}@{host}"
    return url


class _Postgres(_Backend):
    kind = "postgresql"
    ph = "%s"

    def __init__(self, url: str, create: bool, timeout: float) -> None:
        self.display = _safe_url(url).split("?", 1)[0]
        try:
            import psycopg
        except ImportError as exc:
            raise JournalError("a PostgreSQL journal needs psycopg: pip install 'psycopg[binary]'") from exc
        self.errors = (psycopg.Error,)
        try:
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout)),
                                        application_name="handrail-journal")
        except psycopg.Error as exc:
            raise JournalError(f"journal database {self.display} unreachable: {_one_line(exc)}") from None
        try:
            exists = self.conn.execute("SELECT to_regclass('handrail_entries') IS NOT NULL").fetchone()[0]
            if not exists:
                if not create:
                    raise JournalError(f"{self.display}: no Handrail journal in this database")
                self._init_schema()
        except psycopg.Error as exc:
            self.conn.close()
            raise self.error(exc) from None
        except JournalError:
            self.conn.close()
            raise

    def _init_schema(self) -> None:
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            # a plain pg_class scan (fresh snapshot), not to_regclass (syscache, stale behind an advisory lock)
            if self.conn.execute("SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = "
                                 "c.relnamespace WHERE c.relname = 'handrail_entries' AND n.nspname = "
                                 "current_schema())").fetchone()[0]:
                return
            for sql in _tables("BIGINT"):
                self.conn.execute(sql)
            self.conn.execute(
                "CREATE OR REPLACE FUNCTION handrail_journal_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'the Handrail journal is append-only'; END $$")
            for table in _TABLE_NAMES:
                self.conn.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                                  "FOR EACH ROW EXECUTE FUNCTION handrail_journal_append_only()")
                self.conn.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                                  "FOR EACH STATEMENT EXECUTE FUNCTION handrail_journal_append_only()")
            self.conn.execute("INSERT INTO handrail_meta (k, v) VALUES ('journal_id', %s) ON CONFLICT DO NOTHING",
                              (os.urandom(16).hex(),))

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.conn.execute(sql, params)  # type: ignore[arg-type]

    @contextmanager
    def write(self) -> Iterator[None]:
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            yield

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        with self.conn.transaction():
            self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield

    def close(self) -> None:
        self.conn.close()


# ---------------------------------------------------------------- the journal
class Journal:
    """An open journal. Use as a context manager; every method raises JournalError (one line) on failure."""

    def __init__(self, root: str | os.PathLike[str], backend: _Backend, settings: JournalSettings) -> None:
        self._root = os.fspath(root)  # a str: the hook appends on every tool call and never needs pathlib
        self._b = backend
        self.settings = settings
        self._origin: str | None = None

    @property
    def root(self) -> Path:
        from pathlib import Path

        return Path(self._root)

    # -- context manager
    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with suppress(*self._b.errors):
            self._b.close()

    @property
    def location(self) -> str:
        return self._b.display

    @property
    def backend(self) -> str:
        return self._b.kind

    def _wrap(self, exc: BaseException) -> JournalError:
        return exc if isinstance(exc, JournalError) else self._b.error(exc)

    @property
    def origin(self) -> str:
        """The log's name in checkpoints: a random id made with the database, so a replaced db shows."""
        if self._origin is None:
            try:
                row = self._b.execute(self._b.q("SELECT v FROM handrail_meta WHERE k = ?"), ("journal_id",)).fetchone()
            except self._b.errors as exc:
                raise self._wrap(exc) from None
            self._origin = f"handrail/journal/{row[0] if row else 'unknown'}"
        return self._origin

    # -- writing
    def _prepare(self, event: Event) -> Entry:
        from handrail.journal.redact import MAX_SUMMARY, redact_payload, redact_value

        payload = redact_payload(dict(event.payload or {}))
        summary = redact_value(" ".join(str(event.summary).split()), MAX_SUMMARY)
        cwd = redact_value(event.cwd, 500) if event.cwd else event.cwd
        base = {f: getattr(event, f) for f in Event.FIELDS}
        base.update(payload=payload, summary=summary, cwd=cwd, user=event.user or _os_user())
        return Entry(**base, payload_hash=chain.payload_hash(payload))

    def append(self, event: Event) -> Entry:
        """Redact, chain, MAC and store one event; every checkpoint_every entries also sign a checkpoint."""
        from handrail.journal import keys

        draft = self._prepare(event)
        try:
            key, key_id = keys.hmac_key()
        except keys.KeyError_:
            key, key_id = None, None
        made: Checkpoint | None = None
        b = self._b
        try:
            with b.write():
                row = b.execute("SELECT seq, hash FROM handrail_entries ORDER BY seq DESC LIMIT 1").fetchone()
                seq, prev = (row[0] + 1, row[1]) if row else (1, chain.GENESIS)
                entry = draft.replace(seq=seq, ts=_now(), prev_hash=prev, key_id=key_id)
                h = chain.entry_hash(entry)
                entry = entry.replace(hash=h, mac=chain.entry_mac(key, h) if key is not None else None)
                b.execute(b.q(f"INSERT INTO handrail_entries ({', '.join(COLS)}) VALUES "
                              f"({', '.join('?' * len(COLS))})"), _entry_row(entry))
                if seq % self.settings.checkpoint_every == 0:
                    made = self._checkpoint_in_tx(f"every {self.settings.checkpoint_every} entries", seq, h)
        except self._b.errors as exc:
            raise self._wrap(exc) from None
        if made is not None:
            self._anchor(made)
        return entry

    def _checkpoint_in_tx(self, reason: str, size: int, head: str) -> Checkpoint | None:
        """Sign the Merkle root of entries 1..size; a missing or broken signing key skips the checkpoint rather than
        losing the entry."""
        import base64

        from handrail.journal import signing

        try:
            signer = signing.signer()
        except (signing.KeyError_, ImportError, OSError, ValueError):
            return None
        b = self._b
        hashes = [r[0] for r in b.execute(b.q("SELECT hash FROM handrail_entries WHERE seq <= ? ORDER BY seq"),
                                          (size,))]
        ts = _now()
        root = chain.merkle_root(hashes)
        body = signing.checkpoint_body(self.origin, size, root,
                                    {"head": head, "time": ts, "reason": reason})
        note = signer.sign(body)
        last = b.execute("SELECT COALESCE(MAX(id), 0) FROM handrail_checkpoints").fetchone()[0]
        from handrail.journal.report import Checkpoint

        cp = Checkpoint(last + 1, size, root.hex(), ts, reason, signer.name,
                        base64.b64encode(signer.public).decode(), note)
        b.execute(b.q(f"INSERT INTO handrail_checkpoints ({', '.join(_CP_COLS)}) VALUES "
                      f"({', '.join('?' * len(_CP_COLS))})"), tuple(getattr(cp, c) for c in _CP_COLS))
        return cp

    def _anchor(self, cp: Checkpoint) -> bool:
        if not self.settings.anchor:
            return False
        from handrail.journal.anchor import anchor

        return anchor(self.root, cp.note, cp.public_key)

    def checkpoint(self, reason: str) -> Checkpoint | None:
        """Sign (and anchor) a checkpoint of everything so far, e.g. at session end; None for an empty journal.
        When nothing was appended since the last checkpoint, that one is anchored again and returned."""
        b = self._b
        try:
            with b.write():
                row = b.execute("SELECT seq, hash FROM handrail_entries ORDER BY seq DESC LIMIT 1").fetchone()
                if row is None:
                    return None
                last = self._checkpoints(b.execute(
                    f"SELECT {', '.join(_CP_COLS)} FROM handrail_checkpoints ORDER BY id DESC LIMIT 1"))
                if last and last[0].size == row[0]:
                    cp: Checkpoint | None = last[0]
                else:
                    cp = self._checkpoint_in_tx(" ".join(reason.split())[:200] or "manual", row[0], row[1])
        except self._b.errors as exc:
            raise self._wrap(exc) from None
        if cp is not None:
            self._anchor(cp)
        return cp

    # -- reading
    @staticmethod
    def _checkpoints(cur: Any) -> list[Checkpoint]:
        from handrail.journal.report import Checkpoint

        return [Checkpoint(*r) for r in cur]

    def checkpoints(self) -> list[Checkpoint]:
        try:
            return self._checkpoints(self._b.execute(
                f"SELECT {', '.join(_CP_COLS)} FROM handrail_checkpoints ORDER BY id"))
        except self._b.errors as exc:
            raise self._wrap(exc) from None

    def entries(self, *, since_seq: int = 0, session: str | None = None, kinds: Iterable[str] | None = None,
                limit: int | None = None, reverse: bool = False) -> Iterator[Entry]:
        """Entries after `since_seq`, oldest first (newest first with reverse=True)."""
        where, params = ["seq > ?"], [since_seq]
        if session is not None:
            where.append("session_id = ?")
            params.append(session)
        kinds = list(kinds) if kinds is not None else None
        if kinds is not None:
            if not kinds:
                return iter(())
            where.append(f"kind IN ({', '.join('?' * len(kinds))})")
            params.extend(kinds)
        sql = (f"SELECT {', '.join(COLS)} FROM handrail_entries WHERE {' AND '.join(where)} "
               f"ORDER BY seq {'DESC' if reverse else 'ASC'}")
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        try:
            rows = self._b.execute(self._b.q(sql), tuple(params)).fetchall()
        except self._b.errors as exc:
            raise self._wrap(exc) from None
        return (_row_to_entry(r) for r in rows)

    def get(self, seq: int) -> Entry | None:
        return next(self.entries(since_seq=seq - 1, limit=1), None) if seq >= 1 else None

    def head(self) -> Entry | None:
        return next(self.entries(limit=1, reverse=True), None)

    def count(self) -> int:
        try:
            return int(self._b.execute("SELECT COUNT(*) FROM handrail_entries").fetchone()[0])
        except self._b.errors as exc:
            raise self._wrap(exc) from None

    # -- verifying
    def verify(self) -> VerifyReport:
        """Recompute everything: payload hashes, the chain, the MACs this machine can check, every checkpoint's
        signature and Merkle root, and the checkpoints anchored in git. Names the first bad entry."""
        from handrail.journal.verify import verify

        try:
            with self._b.snapshot():
                rows = self._b.execute(f"SELECT {', '.join(COLS)} FROM handrail_entries ORDER BY seq").fetchall()
                cps = self.checkpoints()
                origin = self.origin
        except self._b.errors as exc:
            raise self._wrap(exc) from None
        from handrail.journal.anchor import read_anchors

        anchors = read_anchors(self.root) if self.settings.anchor else []
        return verify([_row_to_entry(r) for r in rows], cps, anchors, origin)


# ---------------------------------------------------------------- opening
def journal_path(root: str | os.PathLike[str]) -> Path:
    from pathlib import Path

    return Path(root) / JOURNAL_DIR / DB_NAME


def _pg_url(settings: JournalSettings) -> str | None:
    if settings.url_env:
        url = os.environ.get(settings.url_env)
        if not url:
            raise JournalError(f"journal.url_env: ${settings.url_env} is not set (it should hold the journal's "
                               "PostgreSQL URL)")
        return url
    return settings.url


def open_journal(root: str | os.PathLike[str], *, config: object | None = None, create: bool = True,
                 timeout: float = 30.0) -> Journal:
    """The project's journal: PostgreSQL when [journal] names one, else .handrail/journal.db (created on first use
    unless create=False)."""
    root = os.fspath(root)
    try:
        settings = load_settings(root, config)
    except SettingsError as exc:
        raise JournalError(str(exc)) from None
    url = _pg_url(settings)
    if url:
        return Journal(root, _Postgres(url, create, min(timeout, 10.0)), settings)
    folder = os.path.join(root, JOURNAL_DIR)
    if os.path.islink(folder):
        raise JournalError(f"{folder}: is a symlink; refusing to keep the journal outside the repository")
    path = os.path.join(folder, DB_NAME)
    if os.path.islink(path):
        raise JournalError(f"{path}: is a symlink; refusing to follow it")
    if not os.path.exists(path):
        if not create:
            raise JournalError(f"no journal at {path} (nothing recorded yet)")
        if not os.path.isdir(root):
            raise JournalError(f"{root}: not a directory")
        try:
            if not os.path.isdir(folder):
                os.mkdir(folder, 0o700)
                os.chmod(folder, 0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
            os.close(fd)
        except OSError as exc:
            raise JournalError(f"{path}: cannot create: {exc.strerror or exc}") from None
    elif not os.path.isfile(path):
        raise JournalError(f"{path}: not a file")
    try:
        return Journal(root, _SQLite(path, create, timeout), settings)
    except sqlite3.Error as exc:
        raise JournalError(f"{path}: {_one_line(exc)}") from None


def find_journal(root: str | os.PathLike[str]) -> Path | None:
    """The SQLite journal file if one exists on disk (never through a symlinked .handrail)."""
    from pathlib import Path

    folder = Path(root) / JOURNAL_DIR
    if folder.is_symlink() or not folder.is_dir():
        return None
    path = folder / DB_NAME
    return path if path.is_file() and not path.is_symlink() else None
