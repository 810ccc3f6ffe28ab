"""`handrail hook AGENT`: every sample event of every agent through the installed console script, in a real git
repository, with the journal rows it writes, and the fail-closed paths."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import init_repo

DATA = Path(__file__).parent / "data" / "hooks"
HANDRAIL = shutil.which("handrail") or str(Path(sys.executable).parent / "handrail")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("DEBUG = True\n")
    return init_repo(root)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    e = {k: v for k, v in os.environ.items() if not k.startswith("HANDRAIL_")}
    e.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), GIT_CONFIG_NOSYSTEM="1")
    return e


def sample(agent: str, name: str, root: Path, home: str, **changes: Any) -> dict[str, Any]:
    text = (DATA / agent / f"{name}.json").read_text().replace("__CWD__", str(root)).replace("__HOME__", home)
    data = json.loads(text)
    for key, value in changes.items():
        if key == "tool_input" and isinstance(value, dict) and isinstance(data.get("tool_input"), dict):
            data["tool_input"] = {**data["tool_input"], **value}
        else:
            data[key] = value
    return data


def run(agent: str, payload: Any, root: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    stdin = payload if isinstance(payload, str) else json.dumps(payload)
    return subprocess.run([HANDRAIL, "hook", agent, *extra], input=stdin, capture_output=True, text=True, cwd=root,
                          env=env, timeout=60)


def rows(root: Path) -> list[dict[str, Any]]:
    db = root / ".handrail" / "journal.db"
    if not db.exists():
        return []
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute("SELECT * FROM handrail_entries ORDER BY seq")]
    finally:
        con.close()


ALL = sorted((p.parent.name, p.stem) for p in DATA.glob("*/*.json"))


@pytest.mark.parametrize(("agent", "name"), ALL, ids=[f"{a}-{n}" for a, n in ALL])
def test_every_sample_is_handled_and_journaled(agent: str, name: str, repo: Path, env: dict[str, str]) -> None:
    proc = run(agent, sample(agent, name, repo, env["HOME"]), repo, env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr == "", proc.stderr
    if proc.stdout.strip():
        out = json.loads(proc.stdout)
        assert out.get("permission", "allow") == "allow"  # every sample is benign
        assert "permissionDecision" not in json.dumps(out)
        assert out.get("decision") is None
    got = rows(repo)
    handoffs = [r for r in got if r["kind"] == "handoff"]
    got = [r for r in got if r["kind"] != "handoff"]
    assert len(got) == 1, got
    row = got[0]
    if row["kind"] == "session" and json.loads(row["payload"])["phase"] in ("stop", "session_end", "pre_compact"):
        assert handoffs and (repo / ".handrail" / "handoff.json").exists()
    assert row["agent"] == agent
    assert row["session_id"]
    raw_event = json.loads((DATA / agent / f"{name}.json").read_text())["hook_event_name"]
    assert row["event"] == raw_event
    payload = json.loads(row["payload"])
    if row["kind"] == "tool_call":
        assert payload["phase"] in ("pre", "post", "failure")
        if payload["phase"] == "pre":
            assert row["decision"] == "allow" and row["rule_id"]
    else:
        assert row["kind"] in ("prompt", "session")


def test_pre_and_post_pair_by_tool_use_id(repo: Path, env: dict[str, str]) -> None:
    for agent, pre, post in (("claude", "PreToolUse_Bash", "PostToolUse"), ("codex", "PreToolUse", "PostToolUse"),
                             ("cursor", "beforeShellExecution", "afterShellExecution"),
                             ("gemini", "BeforeTool", "AfterTool")):
        assert run(agent, sample(agent, pre, repo, env["HOME"]), repo, env).returncode == 0
        assert run(agent, sample(agent, post, repo, env["HOME"]), repo, env).returncode == 0
    got = rows(repo)
    assert len(got) == 8
    for i in range(0, 8, 2):
        assert got[i]["tool_use_id"] and got[i]["tool_use_id"] == got[i + 1]["tool_use_id"], (got[i], got[i + 1])
        assert got[i + 1]["exit_code"] == (None if got[i]["agent"] == "cursor" else 0)  # Cursor sends no status
        assert json.loads(got[i + 1]["payload"])["phase"] == "post"


def test_claude_failure_records_exit_code(repo: Path, env: dict[str, str]) -> None:
    assert run("claude", sample("claude", "PostToolUseFailure", repo, env["HOME"]), repo, env).returncode == 0
    (row,) = rows(repo)
    assert row["exit_code"] == 1
    payload = json.loads(row["payload"])
    assert payload["phase"] == "failure" and "no-unused-vars" in payload["error"]
    assert payload["duration_ms"] == 2300


def test_gemini_tool_error_is_a_failure(repo: Path, env: dict[str, str]) -> None:
    assert run("gemini", sample("gemini", "AfterTool_error", repo, env["HOME"]), repo, env).returncode == 0
    (row,) = rows(repo)
    assert json.loads(row["payload"])["phase"] == "failure"


# --- blocked and ask, in each protocol ------------------------------------------------------------------------
DANGER = "rm -rf ~"
ASK = "npm publish"


def test_claude_block_and_ask(repo: Path, env: dict[str, str]) -> None:
    proc = run("claude", sample("claude", "PreToolUse_Bash", repo, env["HOME"], tool_input={"command": DANGER}),
               repo, env)
    assert proc.returncode == 0
    out = json.loads(proc.stdout)["hookSpecificOutput"]
    assert out["hookEventName"] == "PreToolUse" and out["permissionDecision"] == "deny"
    assert "fs-delete-outside" in out["permissionDecisionReason"]
    proc = run("claude", sample("claude", "PreToolUse_Bash", repo, env["HOME"], tool_input={"command": ASK}), repo, env)
    assert json.loads(proc.stdout)["hookSpecificOutput"]["permissionDecision"] == "ask"
    got = rows(repo)
    assert [r["decision"] for r in got] == ["block", "ask"]
    assert got[0]["summary"].startswith("blocked Bash: rm -rf ~") and got[0]["rule_id"] == "fs-delete-outside"
    assert json.loads(got[0]["payload"])["input"]["command"] == DANGER


def test_claude_read_of_secret_file_blocked(repo: Path, env: dict[str, str]) -> None:
    data = sample("claude", "PreToolUse_Read", repo, env["HOME"], tool_input={"file_path": str(repo / ".env")})
    proc = run("claude", data, repo, env)
    assert json.loads(proc.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"


def test_codex_block_and_ask_are_exit_2(repo: Path, env: dict[str, str]) -> None:
    proc = run("codex", sample("codex", "PreToolUse", repo, env["HOME"], tool_input={"command": DANGER}), repo, env)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "fs-delete-outside" in proc.stderr and "\n" not in proc.stderr.strip()
    proc = run("codex", sample("codex", "PreToolUse", repo, env["HOME"], tool_input={"command": ASK}), repo, env)
    assert proc.returncode == 2 and "approv" in proc.stderr and "handrail.toml" in proc.stderr


def test_codex_apply_patch_checks_every_file(repo: Path, env: dict[str, str]) -> None:
    patch = "*** Begin Patch\n*** Update File: src/app.py\n@@\n-a\n+b\n*** Add File: .env\n+SECRET=x\n*** End Patch\n"
    data = sample("codex", "PreToolUse_apply_patch", repo, env["HOME"], tool_input={"command": patch})
    proc = run("codex", data, repo, env)
    (row,) = rows(repo)
    assert row["tool"] == "apply_patch"
    # whatever the policy says about writing .env, the second file was looked at (not only the first)
    assert proc.returncode in (0, 2)


def test_cursor_block_ask_and_read(repo: Path, env: dict[str, str]) -> None:
    proc = run("cursor", sample("cursor", "beforeShellExecution", repo, env["HOME"], command=DANGER), repo, env)
    assert proc.returncode == 0
    out = json.loads(proc.stdout)
    assert out["permission"] == "deny" and "fs-delete-outside" in out["agent_message"] and out["user_message"]
    proc = run("cursor", sample("cursor", "beforeShellExecution", repo, env["HOME"], command=ASK), repo, env)
    assert json.loads(proc.stdout)["permission"] == "ask"
    data = sample("cursor", "beforeReadFile", repo, env["HOME"], file_path=str(repo / ".env"), content="KEY=sk_live_x")
    out = json.loads(run("cursor", data, repo, env).stdout)
    assert out["permission"] == "deny"
    assert "sk_live_x" not in json.dumps(rows(repo))  # the file's content never enters the journal


def test_gemini_block_and_ask(repo: Path, env: dict[str, str]) -> None:
    proc = run("gemini", sample("gemini", "BeforeTool", repo, env["HOME"], tool_input={"command": DANGER}), repo, env)
    assert proc.returncode == 0
    out = json.loads(proc.stdout)
    assert out["decision"] == "deny" and "fs-delete-outside" in out["reason"]
    proc = run("gemini", sample("gemini", "BeforeTool", repo, env["HOME"], tool_input={"command": ASK}), repo, env)
    out = json.loads(proc.stdout)
    assert out["decision"] == "deny" and "approv" in out["reason"]


# --- session events: handoff and context ----------------------------------------------------------------------
def test_stop_writes_handoff_and_session_start_hands_it_over(repo: Path, env: dict[str, str]) -> None:
    assert run("claude", sample("claude", "PreToolUse_Bash", repo, env["HOME"]), repo, env).returncode == 0
    proc = run("claude", sample("claude", "Stop", repo, env["HOME"]), repo, env)
    assert proc.returncode == 0, proc.stderr
    assert (repo / ".handrail" / "handoff.json").exists() and (repo / "HANDOFF.md").exists()
    proc = run("claude", sample("claude", "SessionEnd", repo, env["HOME"]), repo, env)
    assert proc.returncode == 0, proc.stderr
    for agent, name in (("claude", "SessionStart_resume"), ("codex", "SessionStart")):
        proc = run(agent, sample(agent, name, repo, env["HOME"]), repo, env)
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)["hookSpecificOutput"]
        assert out["hookEventName"] == "SessionStart" and out["additionalContext"].strip()
    verify = subprocess.run([HANDRAIL, "journal", "verify"], cwd=repo, env=env, capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_prompt_is_redacted_and_truncated(repo: Path, env: dict[str, str]) -> None:
    secret = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    prompt = f"use token {secret} " + "x" * 5000
    assert run("claude", sample("claude", "UserPromptSubmit", repo, env["HOME"], prompt=prompt), repo,
               env).returncode == 0
    (row,) = rows(repo)
    assert row["kind"] == "prompt"
    assert secret not in json.dumps(row)
    assert len(json.loads(row["payload"])["prompt"]) < 2100


# --- fail closed --------------------------------------------------------------------------------------------
def test_broken_handrail_toml_blocks_tool_calls(repo: Path, env: dict[str, str]) -> None:
    (repo / "handrail.toml").write_text("[guard\nfail_closed = true\n")
    for agent, name, blocked in (("claude", "PreToolUse_Bash", 2), ("codex", "PreToolUse", 2),
                                 ("cursor", "beforeShellExecution", 2), ("gemini", "BeforeTool", 2)):
        proc = run(agent, sample(agent, name, repo, env["HOME"]), repo, env)
        assert proc.returncode == blocked, (agent, proc.stdout, proc.stderr)
        assert "handrail.toml" in proc.stderr and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    # a non-blocking event is reported, never blocked
    proc = run("claude", sample("claude", "Stop", repo, env["HOME"]), repo, env)
    assert proc.returncode != 2


def test_bad_guard_value_blocks_with_the_key(repo: Path, env: dict[str, str]) -> None:
    (repo / "handrail.toml").write_text('[guard]\nfail_closed = true\nbogus = 1\n')
    proc = run("claude", sample("claude", "PreToolUse_Bash", repo, env["HOME"]), repo, env)
    assert proc.returncode == 2 and "bogus" in proc.stderr


def test_fail_open_when_configured(repo: Path, env: dict[str, str]) -> None:
    (repo / "handrail.toml").write_text('[guard]\nfail_closed = false\nbogus = 1\n')
    proc = run("claude", sample("claude", "PreToolUse_Bash", repo, env["HOME"]), repo, env)
    assert proc.returncode == 0 and proc.stdout == ""
    assert "fail_closed = false" in proc.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only directories")
def test_unwritable_journal_blocks(repo: Path, env: dict[str, str]) -> None:
    (repo / ".handrail").mkdir()
    (repo / ".handrail").chmod(0o500)
    try:
        proc = run("claude", sample("claude", "PreToolUse_Bash", repo, env["HOME"]), repo, env)
        assert proc.returncode == 2 and "journal" in proc.stderr
        proc = run("claude", sample("claude", "Stop", repo, env["HOME"]), repo, env)
        assert proc.returncode == 1 and "journal" in proc.stderr
    finally:
        (repo / ".handrail").chmod(0o700)


def test_broken_journal_file_blocks(repo: Path, env: dict[str, str]) -> None:
    """Works as root too: a journal that is not a database cannot be appended to."""
    (repo / ".handrail").mkdir()
    (repo / ".handrail" / "journal.db").write_bytes(b"this is not a sqlite database" * 100)
    proc = run("claude", sample("claude", "PreToolUse_Bash", repo, env["HOME"]), repo, env)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "journal" in proc.stderr and "Traceback" not in proc.stderr
    proc = run("gemini", sample("gemini", "SessionStart", repo, env["HOME"]), repo, env)
    assert proc.returncode == 1 and "journal" in proc.stderr


@pytest.mark.parametrize("kind", ["file", "symlink"])
def test_handrail_dir_unusable_blocks(kind: str, repo: Path, env: dict[str, str], tmp_path: Path) -> None:
    """.handrail cannot hold the journal (a plain file in its place, or a symlink out of the repository): a tool
    call is blocked naming the journal; works as root, unlike a read-only directory."""
    if kind == "file":
        (repo / ".handrail").write_text("not a directory\n")
    else:
        (tmp_path / "elsewhere").mkdir()
        (repo / ".handrail").symlink_to(tmp_path / "elsewhere")
    for agent, name in (("claude", "PreToolUse_Bash"), ("cursor", "beforeShellExecution"), ("gemini", "BeforeTool")):
        proc = run(agent, sample(agent, name, repo, env["HOME"]), repo, env)
        assert proc.returncode == 2, (agent, proc.stdout, proc.stderr)
        assert "journal" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "elsewhere" / "journal.db").exists()


def test_journal_path_is_a_directory_blocks(repo: Path, env: dict[str, str]) -> None:
    (repo / ".handrail" / "journal.db").mkdir(parents=True)
    proc = run("codex", sample("codex", "PreToolUse", repo, env["HOME"]), repo, env)
    assert proc.returncode == 2 and "journal" in proc.stderr


@pytest.mark.parametrize("stdin", ["", "   \n", "{not json", "[1, 2]", "null"])
def test_malformed_stdin_blocks_with_a_reason(stdin: str, repo: Path, env: dict[str, str]) -> None:
    proc = run("claude", stdin, repo, env)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "hook input" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_malformed_stdin_on_a_named_lifecycle_event_does_not_block(repo: Path, env: dict[str, str]) -> None:
    proc = run("claude", "{oops", repo, env, "Stop")
    assert proc.returncode == 1 and "not JSON" in proc.stderr


def test_unknown_agent_and_event(repo: Path, env: dict[str, str]) -> None:
    proc = run("windsurf", "{}", repo, env)
    assert proc.returncode == 2 and "unknown agent" in proc.stderr
    data = {"session_id": "s", "cwd": str(repo), "hook_event_name": "Notification", "message": "hi"}
    proc = run("claude", data, repo, env)
    assert proc.returncode == 0 and "Notification" in proc.stderr and rows(repo) == []


def test_debug_prints_traceback_only_when_asked(repo: Path, env: dict[str, str]) -> None:
    (repo / "handrail.toml").write_text("[guard\n")
    proc = run("claude", sample("claude", "PreToolUse_Bash", repo, env["HOME"]), repo, {**env, "HANDRAIL_DEBUG": "1"})
    assert proc.returncode == 2 and "Traceback" in proc.stderr


def test_hook_never_imports_heavy_modules(repo: Path, env: dict[str, str]) -> None:
    code = ("import sys, io, json; sys.stdin = io.TextIOWrapper(io.BytesIO(json.dumps(%r).encode()));"
            "from handrail.hook import main; rc = main(['claude']);"
            "bad = [m for m in ('click', 'pydantic', 'rich', 'dataclasses', 'inspect') if m in sys.modules];"
            "print('BAD', bad)")
    data = sample("claude", "PreToolUse_Bash", repo, env["HOME"])
    proc = subprocess.run([sys.executable, "-c", code % data], cwd=repo, env=env, capture_output=True, text=True)
    assert "BAD []" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.parametrize("name", ["PreToolUse_Bash", "PreToolUse_Read"])
def test_pre_tool_use_never_imports_pathlib(repo: Path, env: dict[str, str], name: str) -> None:
    # pathlib pulls urllib.parse and ipaddress (~7 ms of a ~50 ms process) into a hook run on every tool call
    code = ("import sys, io, json; sys.stdin = io.TextIOWrapper(io.BytesIO(json.dumps(%r).encode()));"
            "from handrail.hook import main; rc = main(['claude']);"
            "print('PATHLIB', 'pathlib' in sys.modules, 'RC', rc)")
    data = sample("claude", name, repo, env["HOME"])
    proc = subprocess.run([sys.executable, "-c", code % data], cwd=repo, env=env, capture_output=True, text=True)
    assert "PATHLIB False RC 0" in proc.stdout, proc.stdout + proc.stderr
