"""Each adapter: its agent's JSON -> a normalised HookEvent/Action, and a Decision -> that agent's reply."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from handrail.agents import AGENTS, get_adapter
from handrail.agents.common import clip, exit_code_of, patch_paths
from handrail.policy.model import Decision

DATA = Path(__file__).parent / "data" / "hooks"
ROOT = "/work/app"
BLOCK = Decision("block", "fs-delete-outside", "deletes your home")
ASK = Decision("ask", "publish", "npm publish is permanent")
ALLOW = Decision("allow", "allow-default", "no guard rule matched")


def load(agent: str, name: str, **changes: Any) -> dict[str, Any]:
    data = json.loads((DATA / agent / f"{name}.json").read_text().replace("__CWD__", ROOT).replace("__HOME__", "/h"))
    data.update(changes)
    return data


@pytest.mark.parametrize(("name", "tool", "field", "value"), [
    ("PreToolUse_Bash", "shell", "command", "npm test"),
    ("PreToolUse_Read", "read", "path", f"{ROOT}/src/app.py"),
    ("PreToolUse_Write", "write", "path", f"{ROOT}/src/hello.py"),
    ("PreToolUse_Edit", "edit", "content", "DEBUG = False"),
    ("PreToolUse_mcp", "mcp", "tool_name", "mcp__github__create_issue"),
])
def test_claude_tool_kinds(name: str, tool: str, field: str, value: str) -> None:
    ev = get_adapter("claude").parse(load("claude", name), None)
    assert ev.event == "pre_tool" and ev.action.tool == tool and getattr(ev.action, field) == value
    assert ev.tool_use_id.startswith("toolu_") and ev.session_id and ev.cwd == ROOT


def test_claude_mcp_arguments_kept() -> None:
    ev = get_adapter("claude").parse(load("claude", "PreToolUse_mcp"), None)
    assert ev.action.arguments["title"] == "Flaky test in CI"


@pytest.mark.parametrize(("name", "event", "key", "value"), [
    ("SessionStart_startup", "session_start", "source", "startup"),
    ("SessionStart_resume", "session_start", "source", "resume"),
    ("SessionStart_compact", "session_start", "source", "compact"),
    ("SessionEnd", "session_end", "reason", "prompt_input_exit"),
    ("Stop", "stop", "stop_hook_active", False),
    ("PreCompact", "pre_compact", "trigger", "auto"),
])
def test_claude_lifecycle(name: str, event: str, key: str, value: Any) -> None:
    ev = get_adapter("claude").parse(load("claude", name), None)
    assert ev.event == event and ev.extra[key] == value


def test_claude_replies() -> None:
    a = get_adapter("claude")
    ev = a.parse(load("claude", "PreToolUse_Bash"), None)
    assert a.reply(ev, ALLOW, None).stdout == ""  # never an explicit allow: Claude's own prompts still apply
    deny = json.loads(a.reply(ev, BLOCK, None).stdout)["hookSpecificOutput"]
    assert deny == {"hookEventName": "PreToolUse", "permissionDecision": "deny",
                    "permissionDecisionReason": "Handrail block: deletes your home [rule fs-delete-outside]"}
    assert json.loads(a.reply(ev, ASK, None).stdout)["hookSpecificOutput"]["permissionDecision"] == "ask"
    start = a.parse(load("claude", "SessionStart_startup"), None)
    out = json.loads(a.reply(start, None, "branch main, 2 uncommitted files").stdout)
    assert out["hookSpecificOutput"]["additionalContext"] == "branch main, 2 uncommitted files"
    assert a.reply(start, None, None).stdout == ""
    assert a.block_on_error(ev, "x").exit_code == 2


def test_claude_failure_exit_code() -> None:
    ev = get_adapter("claude").parse(load("claude", "PostToolUseFailure"), None)
    assert ev.event == "post_tool_failure" and ev.exit_code == 1 and "no-unused-vars" in ev.error
    ev = get_adapter("claude").parse(load("claude", "PostToolUse"), None)
    assert ev.exit_code == 0 and ev.duration_ms == 4210


def test_codex_parse_and_patch_paths() -> None:
    a = get_adapter("codex")
    ev = a.parse(load("codex", "PreToolUse_apply_patch"), None)
    assert ev.action.tool == "edit" and ev.action.path == "src/lib.rs"
    assert ev.extra["paths"] == ["src/lib.rs", "src/util.rs"]
    assert a.parse(load("codex", "PreToolUse_mcp"), None).action.tool == "mcp"
    assert a.parse(load("codex", "PostToolUse"), None).exit_code == 0
    assert a.parse(load("codex", "SessionStart"), None).extra["source"] == "startup"


def test_codex_never_answers_ask() -> None:
    a = get_adapter("codex")
    ev = a.parse(load("codex", "PreToolUse"), None)
    for d in (BLOCK, ASK):
        r = a.reply(ev, d, None)
        assert r.exit_code == 2 and r.stdout == "" and d.rule_id in r.stderr
    assert "handrail.toml" in a.reply(ev, ASK, None).stderr
    assert a.reply(ev, ALLOW, None) == a.reply(ev, None, None)
    assert a.reply(ev, ALLOW, None).exit_code == 0 and a.reply(ev, ALLOW, None).stdout == ""
    stop = a.parse(load("codex", "Stop"), None)
    assert a.reply(stop, None, "ctx").stdout == ""  # Stop output has no hookSpecificOutput in Codex's schema


@pytest.mark.parametrize(("name", "event", "tool"), [
    ("beforeShellExecution", "pre_tool", "shell"), ("afterShellExecution", "post_tool", "shell"),
    ("beforeMCPExecution", "pre_tool", "mcp"), ("afterMCPExecution", "post_tool", "mcp"),
    ("beforeReadFile", "pre_tool", "read"), ("afterFileEdit", "post_tool", "edit"),
    ("beforeSubmitPrompt", "prompt", None), ("stop", "stop", None), ("sessionStart", "session_start", None),
    ("sessionEnd", "session_end", None), ("preCompact", "pre_compact", None),
])
def test_cursor_events(name: str, event: str, tool: str | None) -> None:
    ev = get_adapter("cursor").parse(load("cursor", name), None)
    assert ev.event == event and ev.session_id == "c7f1b2a3-0d4e-4f5a-9b6c-7d8e9f0a1b2c" and ev.cwd == ROOT
    assert (ev.action.tool if ev.action else None) == tool


def test_cursor_details() -> None:
    a = get_adapter("cursor")
    mcp = a.parse(load("cursor", "beforeMCPExecution"), None)
    assert mcp.action.arguments == {"owner": "acme", "repo": "app", "title": "Flaky test"}  # JSON string decoded
    post = a.parse(load("cursor", "afterMCPExecution"), None)
    assert post.tool_use_id == mcp.tool_use_id and post.duration_ms == 820
    read = a.parse(load("cursor", "beforeReadFile"), None)
    assert "content" not in json.dumps(read.action.arguments)
    assert json.loads(a.reply(read, ASK, None).stdout)["permission"] == "deny"  # no ask on beforeReadFile
    shell = a.parse(load("cursor", "beforeShellExecution"), None)
    assert json.loads(a.reply(shell, ALLOW, None).stdout) == {"permission": "allow"}
    out = json.loads(a.reply(shell, BLOCK, None).stdout)
    assert out["permission"] == "deny" and "fs-delete-outside" in out["user_message"] and out["agent_message"]
    assert json.loads(a.reply(shell, ASK, None).stdout)["permission"] == "ask"
    prompt = a.parse(load("cursor", "beforeSubmitPrompt"), None)
    assert json.loads(a.reply(prompt, None, None).stdout) == {"continue": True}
    assert a.block_on_error(shell, "x").exit_code == 2


@pytest.mark.parametrize(("name", "event", "tool"), [
    ("BeforeTool", "pre_tool", "shell"), ("BeforeTool_read_file", "pre_tool", "read"),
    ("BeforeTool_write_file", "pre_tool", "write"), ("BeforeTool_mcp", "pre_tool", "mcp"),
    ("AfterTool", "post_tool", "shell"), ("AfterTool_error", "post_tool_failure", "read"),
    ("BeforeAgent", "prompt", None), ("AfterAgent", "stop", None), ("SessionStart", "session_start", None),
    ("SessionEnd", "session_end", None), ("PreCompress", "pre_compact", None),
])
def test_gemini_events(name: str, event: str, tool: str | None) -> None:
    ev = get_adapter("gemini").parse(load("gemini", name), None)
    assert ev.event == event and (ev.action.tool if ev.action else None) == tool


def test_gemini_details() -> None:
    a = get_adapter("gemini")
    pre = a.parse(load("gemini", "BeforeTool"), None)
    post = a.parse(load("gemini", "AfterTool"), None)
    assert pre.tool_use_id == post.tool_use_id and post.exit_code == 0
    assert pre.action.cwd == f"{ROOT}/."
    assert json.loads(a.reply(pre, BLOCK, None).stdout) == {
        "decision": "deny", "reason": "Handrail block: deletes your home [rule fs-delete-outside]"}
    ask = json.loads(a.reply(pre, ASK, None).stdout)
    assert ask["decision"] == "deny" and "approv" in ask["reason"]
    assert a.reply(pre, ALLOW, None).stdout == "{}"
    start = a.parse(load("gemini", "SessionStart"), None)
    assert json.loads(a.reply(start, None, "ctx").stdout)["hookSpecificOutput"]["additionalContext"] == "ctx"
    after = a.parse(load("gemini", "AfterAgent"), None)
    assert a.reply(after, None, None).exit_code == 0  # exit 2 on AfterAgent would force a retry


def test_unknown_event_is_other() -> None:
    for agent in AGENTS:
        ev = get_adapter(agent).parse({"hook_event_name": "SomethingNew"}, None)
        assert ev.event == "other"
    ev = get_adapter("claude").parse({"tool_name": "Bash", "tool_input": {"command": "ls"}}, "PreToolUse")
    assert ev.event == "pre_tool"  # the event named on the command line when the JSON lacks it


def test_unknown_agent() -> None:
    with pytest.raises(KeyError):
        get_adapter("windsurf")


def test_helpers() -> None:
    assert exit_code_of({"exit_code": 3}) == 3
    assert exit_code_of("Exit code: 127\nWall time: 0.1s") == 127
    assert exit_code_of("Exit Code: 0\nSignal: (none)") == 0
    assert exit_code_of("all good") is None
    assert patch_paths("*** Begin Patch\n*** Delete File: a.txt\n*** Update File: b.py\n*** Move to: c.py\n") == [
        "a.txt", "b.py", "c.py"]
    big = clip({"s": "x" * 5000, "l": list(range(500))})
    assert len(big["s"]) < 2100 and len(big["l"]) == 101
