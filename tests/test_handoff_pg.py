"""A team journal in PostgreSQL (the real server at 127.0.0.1:5432): the handoff reads it like the SQLite one, and
agent-log verifies it, pointing at handrail.toml since no journal file exists."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from handrail.checks.agent_log import CHECK as AGENT_LOG
from handrail.checks.handoff import CHECK as HANDOFF
from handrail.core.finding import Status
from handrail.core.project import Project
from handrail.handoff import write
from handrail.journal import Event, open_journal

psycopg = pytest.importorskip("psycopg")
ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SETTINGS = json.dumps({"hooks": {"PreToolUse": [{"matcher": "*", "hooks": [{"type": "command",
                                                                           "command": "handrail hook claude"}]}]}})


pytestmark = pytest.mark.usefixtures("keys_home")


@pytest.fixture
def pg_repo(make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    name = f"handrail_handoff_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(ADMIN, autocommit=True, connect_timeout=5)
    admin.execute(f'CREATE DATABASE "{name}"')
    monkeypatch.setenv("TEAM_JOURNAL_URL", f"postgresql://postgres@127.0.0.1:5432/{name}")
    try:
        yield make_repo({"handrail.toml": '[journal]\nurl_env = "TEAM_JOURNAL_URL"\n', "CLAUDE.md": "x\n",
                         ".claude/settings.json": SETTINGS, "README.md": "# x\n\n## Tests\n\n`pytest`\n",
                         "app.py": "x = 1\n"})
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_postgresql_journal_handoff_and_checks(pg_repo: Path) -> None:
    with open_journal(pg_repo) as j:
        pre = j.append(Event(kind="tool_call", summary="Bash: pytest", agent="claude", session="s", tool="Bash",
                             tool_use_id="toolu_01PGPGPGPG", event="PreToolUse", decision="allow",
                             payload={"phase": "pre", "input": {"command": "pytest"}}))
        j.append(Event(kind="session", summary="stop", agent="claude", session="s", event="Stop",
                       payload={"phase": "stop"}))
        h = write(pg_repo, j)
    assert [c["seq"] for c in h.interrupted] == [pre.seq]
    assert not (pg_repo / ".handrail" / "journal.db").exists()

    r = AGENT_LOG.run(Project(pg_repo))
    assert r.status == Status.PASS, r.summary
    assert any(e.path == "handrail.toml" and "verifies" in e.note for e in r.evidence)

    r = HANDOFF.run(Project(pg_repo))
    f = next(f for f in r.findings if f.rule == "handoff-interrupted")
    assert f.path == "handrail.toml" and f"#{pre.seq}" in f.message
