"""`handrail guard install|status|uninstall` through the console script: merging into existing settings, never
clobbering, removing only what Handrail added, and output the agent-log check accepts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git, init_repo

from handrail.checks.agent_log import CHECK
from handrail.core.finding import Status
from handrail.core.project import Project

HANDRAIL = shutil.which("handrail") or str(Path(sys.executable).parent / "handrail")
EXPECTED = {
    "claude": (".claude/settings.json", {"PreToolUse", "PostToolUse", "PostToolUseFailure", "UserPromptSubmit",
                                         "SessionStart", "SessionEnd", "Stop", "PreCompact"}),
    "codex": (".codex/hooks.json", {"PreToolUse", "PostToolUse", "UserPromptSubmit", "SessionStart", "Stop",
                                    "PreCompact"}),
    "gemini": (".gemini/settings.json", {"BeforeTool", "AfterTool", "BeforeAgent", "AfterAgent", "SessionStart",
                                         "SessionEnd", "PreCompress"}),
    "cursor": (".cursor/hooks.json", {"beforeShellExecution", "afterShellExecution", "beforeMCPExecution",
                                      "afterMCPExecution", "beforeReadFile", "afterFileEdit", "beforeSubmitPrompt",
                                      "stop", "sessionStart", "sessionEnd", "preCompact"}),
}
TOOL_EVENTS = {"PreToolUse", "PostToolUse", "PostToolUseFailure", "BeforeTool", "AfterTool"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    (root / "README.md").write_text("# app\n")
    return init_repo(root)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    e = dict(os.environ)
    e.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    e.pop("CODEX_HOME", None)
    return e


def guard(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HANDRAIL, "guard", *args, "-C", str(root)], capture_output=True, text=True, env=env,
                          timeout=60)


@pytest.mark.parametrize("agent", sorted(EXPECTED))
def test_install_fresh_registers_every_event_and_uninstall_deletes(agent: str, repo: Path,
                                                                    env: dict[str, str]) -> None:
    rel, events = EXPECTED[agent]
    proc = guard(repo, env, "install", "--agent", agent)
    assert proc.returncode == 0, proc.stderr
    data = json.loads((repo / rel).read_text())
    assert set(data["hooks"]) == events
    for event, groups in data["hooks"].items():
        if agent == "cursor":
            assert groups == [{"command": "handrail hook cursor"}]
            continue
        (group,) = groups
        assert group["hooks"] == [{"type": "command", "command": f"handrail hook {agent}"}]
        assert group.get("matcher") == ("*" if event in TOOL_EVENTS else None)
    if agent == "cursor":
        assert data["version"] == 1
    assert "/.handrail/*" in (repo / ".gitignore").read_text().splitlines()
    again = guard(repo, env, "install", "--agent", agent)
    assert again.returncode == 0 and "already installed" in again.stdout
    assert json.loads((repo / rel).read_text()) == data
    status = json.loads(guard(repo, env, "status", "--format", "json").stdout)
    row = next(r for r in status["agents"] if r["agent"] == agent and r["scope"] == "project")
    assert row["state"] == "installed" and set(row["events"]) == events
    assert status["handrail_on_path"]
    proc = guard(repo, env, "uninstall", "--agent", agent)
    assert proc.returncode == 0, proc.stderr
    assert not (repo / rel).exists() and not (repo / rel).parent.exists()


@pytest.mark.parametrize("agent", sorted(EXPECTED))
def test_existing_settings_are_merged_and_restored_byte_for_byte(agent: str, repo: Path,
                                                                  env: dict[str, str]) -> None:
    rel, events = EXPECTED[agent]
    if agent == "cursor":
        existing = {"version": 1, "hooks": {"afterFileEdit": [{"command": "./hooks/format.sh"}],
                                            "stop": [{"command": "but cursor stop"}]}}
    else:
        pre = "BeforeTool" if agent == "gemini" else "PreToolUse"
        existing = {"model": "opus", "permissions": {"allow": ["Bash(npm test)"]},
                    "hooks": {pre: [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./guard.sh",
                                                                    "timeout": 5}]}],
                              "Notification": [{"hooks": [{"type": "command", "command": "notify-send hi"}]}]}}
    text = json.dumps(existing, indent=4) + "\n"
    (repo / rel).parent.mkdir(parents=True)
    (repo / rel).write_text(text)
    assert guard(repo, env, "install", "--agent", agent).returncode == 0
    data = json.loads((repo / rel).read_text())
    assert events <= set(data["hooks"])
    if agent == "cursor":
        assert data["hooks"]["stop"][0] == {"command": "but cursor stop"}
        assert data["hooks"]["afterFileEdit"][0] == {"command": "./hooks/format.sh"}
    else:
        assert data["model"] == "opus" and data["permissions"] == existing["permissions"]
        assert data["hooks"][pre][0] == existing["hooks"][pre][0]  # their hook first, untouched
        assert data["hooks"]["Notification"] == existing["hooks"]["Notification"]
    assert (repo / rel).read_text().startswith("{\n    ")  # their indentation kept
    proc = guard(repo, env, "uninstall", "--agent", agent)
    assert proc.returncode == 0, proc.stderr
    assert (repo / rel).read_text() == text


def test_malformed_settings_left_untouched(repo: Path, env: dict[str, str]) -> None:
    path = repo / ".claude" / "settings.json"
    path.parent.mkdir()
    bad = '{"hooks": {"PreToolUse": [}\n'
    path.write_text(bad)
    proc = guard(repo, env, "install", "--agent", "claude")
    assert proc.returncode == 2
    assert "not valid JSON" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 2  # the error, perhaps the PATH warning
    assert path.read_text() == bad
    path.write_text('{"hooks": []}\n')
    proc = guard(repo, env, "install", "--agent", "claude")
    assert proc.returncode == 2 and '"hooks" is not an object' in proc.stderr
    assert path.read_text() == '{"hooks": []}\n'


def test_gemini_settings_with_comments_are_not_rewritten(repo: Path, env: dict[str, str]) -> None:
    path = repo / ".gemini" / "settings.json"
    path.parent.mkdir()
    text = '{\n  // my theme\n  "theme": "dark"\n}\n'
    path.write_text(text)
    proc = guard(repo, env, "install", "--agent", "gemini")
    assert proc.returncode == 2 and "comments" in proc.stderr
    assert path.read_text() == text


def test_uninstall_keeps_a_file_it_did_not_create(repo: Path, env: dict[str, str]) -> None:
    path = repo / ".codex" / "hooks.json"
    path.parent.mkdir()
    path.write_text("{}\n")
    assert guard(repo, env, "install", "--agent", "codex").returncode == 0
    assert guard(repo, env, "uninstall", "--agent", "codex").returncode == 0
    assert path.read_text() == "{}\n"


def test_default_agents_follow_the_repository(repo: Path, env: dict[str, str]) -> None:
    (repo / "AGENTS.md").write_text("# agents\n")
    (repo / "GEMINI.md").write_text("# gemini\n")
    proc = guard(repo, env, "install")
    assert proc.returncode == 0, proc.stderr
    assert (repo / ".codex" / "hooks.json").exists() and (repo / ".gemini" / "settings.json").exists()
    assert not (repo / ".claude").exists()


def test_default_is_claude_and_gitignore_is_appended_once(repo: Path, env: dict[str, str]) -> None:
    (repo / ".gitignore").write_text("node_modules")
    assert guard(repo, env, "install").returncode == 0
    assert guard(repo, env, "install").returncode == 0
    assert (repo / ".gitignore").read_text().count("/.handrail/*") == 1
    # git itself: the journal is ignored, the committed baseline is not
    ignored = subprocess.run(["git", "check-ignore", ".handrail/journal.db", ".handrail/baseline.json"], cwd=repo,
                             capture_output=True, text=True)
    assert ignored.stdout.split() == [".handrail/journal.db"]
    assert (repo / ".gitignore").read_text().startswith("node_modules\n")
    assert (repo / ".claude" / "settings.json").exists()


def test_scopes(repo: Path, env: dict[str, str]) -> None:
    home = Path(env["HOME"])
    assert guard(repo, env, "install", "--agent", "claude", "--scope", "local").returncode == 0
    assert (repo / ".claude" / "settings.local.json").exists()
    assert guard(repo, env, "install", "--agent", "claude", "--agent", "cursor", "--scope", "user").returncode == 0
    assert (home / ".claude" / "settings.json").exists() and (home / ".cursor" / "hooks.json").exists()
    proc = guard(repo, env, "install", "--agent", "gemini", "--scope", "local")
    assert proc.returncode == 2 and "no local-scope hook file" in proc.stderr
    status = json.loads(guard(repo, env, "status", "--format", "json").stdout)
    states = {(r["agent"], r["scope"]): r["state"] for r in status["agents"]}
    assert states[("claude", "local")] == "installed" and states[("claude", "user")] == "installed"
    assert states[("claude", "project")] == "absent"
    assert guard(repo, env, "uninstall", "--scope", "user").returncode == 0
    assert not (home / ".claude" / "settings.json").exists() and not (home / ".cursor").exists()


def test_partial_and_narrow_matchers_show_in_status(repo: Path, env: dict[str, str]) -> None:
    path = repo / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [
        {"type": "command", "command": "handrail hook claude"}]}]}}))
    status = json.loads(guard(repo, env, "status", "--format", "json").stdout)
    row = next(r for r in status["agents"] if r["agent"] == "claude" and r["scope"] == "project")
    assert row["state"] == "partial" and "PostToolUse" in row["missing"]
    assert row["narrow_matchers"] == {"PreToolUse": "Bash"}
    text = guard(repo, env, "status").stdout
    assert "partial" in text and "missing" in text


def test_status_reports_the_journal(repo: Path, env: dict[str, str]) -> None:
    assert json.loads(guard(repo, env, "status", "--format", "json").stdout)["journal"]["state"] == "absent"
    data = {"session_id": "s", "cwd": str(repo), "hook_event_name": "UserPromptSubmit", "prompt": "hi"}
    subprocess.run([HANDRAIL, "hook", "claude"], input=json.dumps(data), text=True, cwd=repo, env=env, check=True)
    j = json.loads(guard(repo, env, "status", "--format", "json").stdout)["journal"]
    assert j["state"] == "verifies" and j["entries"] == 1


def test_warns_when_handrail_is_not_on_path(repo: Path, env: dict[str, str]) -> None:
    env = {**env, "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([HANDRAIL, "guard", "install", "--agent", "claude", "-C", str(repo)], capture_output=True,
                          text=True, env=env)
    assert proc.returncode == 0 and "not on PATH" in proc.stderr


@pytest.mark.parametrize("agent", sorted(EXPECTED))
def test_agent_log_check_accepts_what_install_writes(agent: str, repo: Path, env: dict[str, str]) -> None:
    assert guard(repo, env, "install", "--agent", agent).returncode == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "hooks")
    result = CHECK.run(Project(repo))
    assert result.status in (Status.PASS, Status.WARN), result.summary
    assert "Handrail hooks on tool calls" in result.summary, result.summary
