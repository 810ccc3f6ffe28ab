"""The PostgreSQL journal against the real server (127.0.0.1:5432, user postgres): same schema and chain, appends
serialised with pg_advisory_xact_lock across processes, UPDATE/DELETE/TRUNCATE refused by triggers, tampering
(with the triggers disabled) found by verify. Each test makes its own database and drops it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from handrail.journal import Event, JournalError, open_journal

psycopg = pytest.importorskip("psycopg")
ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


pytestmark = pytest.mark.usefixtures("keys_home")


@pytest.fixture
def pg_url() -> Iterator[str]:
    name = f"handrail_journal_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:  # pragma: no cover - the machines have the server
        pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is required: {exc}")
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def pg_repo(make_repo: Callable[..., Path], pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TEAM_JOURNAL_URL", pg_url)
    return make_repo({"handrail.toml": '[journal]\nurl_env = "TEAM_JOURNAL_URL"\ncheckpoint_every = 5\n'})


def test_pg_append_read_verify(pg_repo: Path, pg_url: str) -> None:
    with open_journal(pg_repo) as j:
        assert j.backend == "postgresql" and "@" in j.location and ":" not in j.location.split("//")[1].split("@")[0]
        for i in range(12):
            j.append(Event(kind="tool_call", summary=f"Bash: echo {i}", tool="Bash", session="s",
                           payload={"input": {"command": f"PGPASSWORD=Sup3rS3cretPw{i} psql"}}))
        assert [e.seq for e in j.entries()] == list(range(1, 13))
        assert [c.size for c in j.checkpoints()] == [5, 10]
        assert j.checkpoint("session end") is not None
        report = j.verify()
    assert report.ok and report.checkpoints == 3 and report.anchors == 3, report
    assert not (pg_repo / ".handrail").exists()
    with psycopg.connect(pg_url) as conn:
        dump = str(conn.execute("SELECT * FROM handrail_entries").fetchall())
    assert "Sup3rS3cretPw" not in dump and "PGPASSWORD=***" in dump


def test_pg_triggers_refuse_update_delete_truncate(pg_repo: Path, pg_url: str) -> None:
    with open_journal(pg_repo) as j:
        j.append(Event(kind="note", summary="a"))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for sql in ("UPDATE handrail_entries SET summary = 'b'", "DELETE FROM handrail_entries",
                    "TRUNCATE handrail_entries"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(sql)


def test_pg_tampering_found(pg_repo: Path, pg_url: str) -> None:
    with open_journal(pg_repo) as j:
        for i in range(7):
            j.append(Event(kind="note", summary=f"n{i}"))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE handrail_entries DISABLE TRIGGER USER")
        conn.execute("UPDATE handrail_entries SET summary = 'edited' WHERE seq = 3")
    with open_journal(pg_repo) as j:
        r = j.verify()
    assert not r.ok and r.first_bad_seq == 3 and "edited" in r.problem
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DELETE FROM handrail_entries WHERE seq >= 3")
    with open_journal(pg_repo) as j:
        r = j.verify()
    assert not r.ok and r.first_bad_seq == 3 and "truncated" in r.problem


_WRITER = r"""
import sys
from pathlib import Path
from handrail.journal import Event, open_journal
root, name = Path(sys.argv[1]), sys.argv[2]
with open_journal(root) as j:
    for i in range(40):
        j.append(Event(kind="tool_call", summary=f"{name} {i}", session=name))
"""


def test_pg_concurrent_writers_serialised(pg_repo: Path) -> None:
    with open_journal(pg_repo):
        pass  # schema first, so the writers race only on appends
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(pg_repo), f"w{k}"], env=os.environ.copy())
             for k in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    with open_journal(pg_repo) as j:
        assert [e.seq for e in j.entries()] == list(range(1, 161))
        assert j.verify().ok


def test_pg_concurrent_schema_creation(pg_repo: Path) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(pg_repo), f"w{k}"], env=os.environ.copy())
             for k in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    with open_journal(pg_repo) as j:
        assert j.count() == 120 and j.verify().ok


def test_pg_unreachable_and_unset(make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEAD_URL", "postgresql://postgres:hunter2pw@127.0.0.1:1/nothing")
    root = make_repo({"handrail.toml": '[journal]\nurl_env = "DEAD_URL"\n'})
    with pytest.raises(JournalError) as err:
        open_journal(root)
    assert "unreachable" in str(err.value) and "hunter2pw" not in str(err.value) and "\n" not in str(err.value)
    monkeypatch.delenv("DEAD_URL")
    with pytest.raises(JournalError, match="DEAD_URL is not set"):
        open_journal(root)
