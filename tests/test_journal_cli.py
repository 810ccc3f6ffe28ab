"""`handrail journal ...` and `handrail note` through the installed console script: output, exit codes, and one
line (no traceback) for a corrupted database, a file that is not a database, a missing journal, a dead PG URL."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from handrail.journal import journal_path

HANDRAIL = shutil.which("handrail")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path / "home"),
            "HANDRAIL_DEBUG": ""}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    assert HANDRAIL, "the handrail console script is installed"
    return subprocess.run([HANDRAIL, *args], capture_output=True, text=True, env=env, timeout=60)


def _one_line_error(p: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert p.returncode == code, (p.stdout, p.stderr)
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr
    return p.stderr


@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo({"README.md": "x\n"})


def test_note_tail_show_verify_export(repo: Path, env: dict[str, str], tmp_path: Path) -> None:
    d = str(repo)
    assert run(env, "note", "chose Stripe Checkout over Elements", "-C", d).stdout == "note #1 recorded\n"
    assert run(env, "note", "--decision", "no ORM", "-C", d).returncode == 0
    assert run(env, "note", "--next", "wire the webhook; token ghp_R4nd0mT0kenV4lu3ABCDEFGHIJKLMNOPQRs9",
               "-C", d).returncode == 0
    tail = run(env, "journal", "tail", "-n", "2", "-C", d)
    assert tail.returncode == 0
    lines = tail.stdout.splitlines()
    assert len(lines) == 2 and "decision" in lines[0] and "wire the webhook" in lines[1]
    assert "R4nd0mT0ken" not in tail.stdout
    show = run(env, "journal", "show", "3", "--format", "json", "-C", d)
    doc = json.loads(show.stdout)
    assert doc["kind"] == "note" and doc["payload"]["next"] is True and doc["seq"] == 3
    assert run(env, "journal", "checkpoint", "-C", d).returncode == 0
    ok = run(env, "journal", "verify", "-C", d)
    assert ok.returncode == 0 and ok.stdout.startswith("ok: 3 entries"), ok
    vj = json.loads(run(env, "journal", "verify", "--format", "json", "-C", d).stdout)
    assert vj["ok"] and vj["checkpoints"] == 1 and vj["anchors"] == 1
    jsonl = run(env, "journal", "export", "--format", "jsonl", "-C", d).stdout.splitlines()
    assert [json.loads(x)["seq"] for x in jsonl] == [1, 2, 3]
    cps = run(env, "journal", "export", "--format", "checkpoints", "-C", d).stdout
    assert cps.splitlines()[1] == "3" and "\u2014 handrail-" in cps
    out = tmp_path / "otel.json"
    assert run(env, "journal", "export", "--format", "otel", "-o", str(out), "-C", d).returncode == 0
    assert json.loads(out.read_text())["resourceSpans"][0]["scopeSpans"][0]["spans"] == []
    assert run(env, "journal", "show", "99", "-C", d).returncode == 2


def test_otel_spans_for_tool_calls(repo: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from handrail.journal import Event, open_journal
    from handrail.journal import keys as jkeys

    monkeypatch.setenv("XDG_CONFIG_HOME", env["XDG_CONFIG_HOME"])
    jkeys._reset_cache()
    with open_journal(repo) as j:
        j.append(Event(kind="tool_call", summary="Bash: npm test", agent="claude", session="sess-1", tool="Bash",
                       tool_use_id="toolu_1", decision="allow", payload={"phase": "pre"}))
        j.append(Event(kind="tool_call", summary="Bash: npm test", agent="claude", session="sess-1", tool="Bash",
                       tool_use_id="toolu_1", exit_code=1, payload={"phase": "post"}))
        j.append(Event(kind="tool_call", summary="blocked Bash: rm -rf /", agent="claude", session="sess-1",
                       tool="Bash", tool_use_id="toolu_2", decision="block", rule_id="fs-delete-outside",
                       payload={"phase": "pre"}))
    jkeys._reset_cache()
    doc = json.loads(run(env, "journal", "export", "--format", "otel", "-C", str(repo)).stdout)
    spans = doc["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert [s["name"] for s in spans] == ["execute_tool Bash", "execute_tool Bash"]
    attrs = {a["key"]: next(iter(a["value"].values())) for a in spans[0]["attributes"]}
    assert attrs["gen_ai.tool.name"] == "Bash" and attrs["gen_ai.tool.call.id"] == "toolu_1"
    assert attrs["gen_ai.conversation.id"] == "sess-1" and attrs["gen_ai.agent.name"] == "claude"
    assert attrs["gen_ai.operation.name"] == "execute_tool" and attrs["process.exit.code"] == "1"
    assert spans[0]["traceId"] == spans[1]["traceId"] and len(spans[0]["traceId"]) == 32
    assert int(spans[0]["endTimeUnixNano"]) >= int(spans[0]["startTimeUnixNano"]) > 0
    blocked = {a["key"]: next(iter(a["value"].values())) for a in spans[1]["attributes"]}
    assert blocked["error.type"] == "blocked" and blocked["handrail.rule_id"] == "fs-delete-outside"
    assert spans[1]["status"]["code"] == 2


def test_verify_exit_1_names_the_first_bad_entry(repo: Path, env: dict[str, str]) -> None:
    for i in range(4):
        run(env, "note", f"n{i}", "-C", str(repo))
    conn = sqlite3.connect(journal_path(repo), isolation_level=None)
    conn.execute("DROP TRIGGER handrail_entries_no_update")
    conn.execute("UPDATE handrail_entries SET summary = 'forged' WHERE seq = 2")
    conn.close()
    p = run(env, "journal", "verify", "-C", str(repo))
    assert p.returncode == 1 and p.stdout.startswith("tampered: entry 2: entry edited"), p
    doc = json.loads(run(env, "journal", "verify", "--format", "json", "-C", str(repo)).stdout)
    assert doc["ok"] is False and doc["first_bad_seq"] == 2


def test_missing_journal_exit_2(repo: Path, env: dict[str, str]) -> None:
    for cmd in (("journal", "verify"), ("journal", "tail"), ("journal", "export")):
        assert "no journal at" in _one_line_error(run(env, *cmd, "-C", str(repo)))
    assert not (repo / ".handrail").exists()
    assert "no such file" in _one_line_error(run(env, "journal", "tail", "-C", str(repo / "nope")))


def test_deleted_journal_with_an_anchor_is_tampering(repo: Path, env: dict[str, str]) -> None:
    run(env, "note", "one", "-C", str(repo))
    run(env, "journal", "checkpoint", "-C", str(repo))
    shutil.rmtree(repo / ".handrail")
    err = _one_line_error(run(env, "journal", "verify", "-C", str(repo)), 1)
    assert "journal is missing, but refs/handrail/journal anchors 1 entries" in err


def test_not_a_database_and_corrupted_database(repo: Path, env: dict[str, str]) -> None:
    (repo / ".handrail").mkdir()
    journal_path(repo).write_text("this is not sqlite\n" * 100)
    for cmd in (("journal", "verify"), ("journal", "tail"), ("note", "x")):
        assert "not a journal database" in _one_line_error(run(env, *cmd, "-C", str(repo)))
    journal_path(repo).unlink()
    for i in range(30):
        run(env, "note", f"note {i} " + "x" * 300, "-C", str(repo))
    data = bytearray(journal_path(repo).read_bytes())
    for p in (repo / ".handrail").glob("journal.db-*"):
        p.unlink()
    data[4096:8192] = b"\xff" * 4096  # smash the second page
    journal_path(repo).write_bytes(bytes(data))
    err = _one_line_error(run(env, "journal", "verify", "-C", str(repo)))
    assert str(journal_path(repo)) in err


def test_dead_postgres_url(make_repo: Callable[..., Path], env: dict[str, str]) -> None:
    root = make_repo({"handrail.toml": '[journal]\nurl_env = "J_URL"\n'})
    env = {**env, "J_URL": "postgresql://postgres:s3cretpw@127.0.0.1:1/journal"}
    for cmd in (("journal", "verify"), ("journal", "tail"), ("note", "x")):
        err = _one_line_error(run(env, *cmd, "-C", str(root)))
        assert "unreachable" in err and "s3cretpw" not in err


def test_record_from_backup_command(make_repo: Callable[..., Path], env: dict[str, str]) -> None:
    """`handrail backup` of a SQLite app database leaves a backup entry with its id and exit code."""
    root = make_repo({"README.md": "x\n"})
    db = root / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()
    env = {**env, "HANDRAIL_BACKUP_DIR": str(root.parent / "backups")}
    p = run(env, "backup", "-C", str(root), "--database-url", f"sqlite:///{db}")
    assert p.returncode == 0, p.stderr
    backup_id = p.stdout.strip().splitlines()[-1]
    doc = [json.loads(x) for x in run(env, "journal", "export", "-C", str(root)).stdout.splitlines()]
    assert [(d["kind"], d["exit_code"], d["payload"]["backup_id"]) for d in doc] == [("backup", 0, backup_id)]
