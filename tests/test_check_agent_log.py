"""agent-log: which agents are configured, and whether their hooks record tool calls."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from handrail.checks.agent_log import CHECK
from handrail.core.finding import Status
from handrail.core.project import Project


def claude_settings(events: dict[str, tuple[str, str]], **extra: object) -> str:
    hooks = {ev: [{"matcher": m, "hooks": [{"type": "command", "command": cmd}]}] for ev, (m, cmd) in events.items()}
    return json.dumps({"hooks": hooks, **extra}, indent=2)


FULL_CLAUDE = claude_settings({"PreToolUse": ("*", "handrail hook claude"),
                               "PostToolUse": ("*", "handrail hook claude")})


def by_rule(result, rule: str) -> list:
    return [f for f in result.findings if f.rule == rule]


def test_no_agents_is_unknown(project_of: Callable[..., Project]) -> None:
    r = CHECK.run(project_of({"README.md": "# x\n", "app.py": "1\n"}))
    assert r.status == Status.UNKNOWN
    assert "handrail guard install" in r.summary and "developer machines" in r.summary


def test_claude_with_handrail_hooks_passes(project_of: Callable[..., Project]) -> None:
    r = CHECK.run(project_of({"CLAUDE.md": "# rules\n", ".claude/settings.json": FULL_CLAUDE}))
    assert r.status == Status.PASS, r.summary
    lines = {(e.path, e.line) for e in r.evidence}
    text = FULL_CLAUDE.splitlines()
    want = next(i for i, ln in enumerate(text, 1) if "handrail hook claude" in ln)
    assert (".claude/settings.json", want) in lines
    assert "the journal could not be verified here" in r.summary


def test_claude_md_only_fails(project_of: Callable[..., Project]) -> None:
    r = CHECK.run(project_of({"CLAUDE.md": "# rules\n"}))
    assert r.status == Status.FAIL
    f = by_rule(r, "agent-log-not-logged")[0]
    assert f.path == "CLAUDE.md" and "Claude Code" in f.message


def test_one_finding_per_unlogged_agent(project_of: Callable[..., Project]) -> None:
    r = CHECK.run(project_of({"CLAUDE.md": "x\n", "AGENTS.md": "x\n", ".cursorrules": "x\n", "GEMINI.md": "x\n"}))
    assert r.status == Status.FAIL
    paths = sorted(f.path for f in by_rule(r, "agent-log-not-logged"))
    assert paths == [".cursorrules", "AGENTS.md", "CLAUDE.md", "GEMINI.md"]


def test_bash_only_matcher_is_partial(project_of: Callable[..., Project]) -> None:
    settings = claude_settings({"PreToolUse": ("Bash", "handrail hook claude")})
    r = CHECK.run(project_of({".claude/settings.json": settings}))
    assert r.status == Status.WARN
    f = by_rule(r, "agent-log-partial")[0]
    assert f.path == ".claude/settings.json" and f.line and "Bash" in f.message


def test_other_logger_is_partial(project_of: Callable[..., Project]) -> None:
    settings = claude_settings({"PreToolUse": ("*", "npx cc-safety-net")})
    r = CHECK.run(project_of({".claude/settings.json": settings}))
    assert r.status == Status.WARN
    f = by_rule(r, "agent-log-partial")[0]
    assert "non-Handrail" in f.message and "cc-safety-net" in f.evidence


def test_session_only_hook_is_partial(project_of: Callable[..., Project]) -> None:
    settings = claude_settings({"SessionEnd": ("", "handrail hook claude")})
    r = CHECK.run(project_of({".claude/settings.json": settings}))
    assert r.status == Status.WARN
    assert "SessionEnd" in by_rule(r, "agent-log-partial")[0].message


def test_mixed_agents_warn(project_of: Callable[..., Project]) -> None:
    r = CHECK.run(project_of({".claude/settings.json": FULL_CLAUDE, "GEMINI.md": "x\n"}))
    assert r.status == Status.WARN
    assert [f.path for f in by_rule(r, "agent-log-not-logged")] == ["GEMINI.md"]


def test_disable_all_hooks(project_of: Callable[..., Project]) -> None:
    settings = claude_settings({"PreToolUse": ("*", "handrail hook claude")}, disableAllHooks=True)
    r = CHECK.run(project_of({".claude/settings.json": settings}))
    assert r.status == Status.FAIL
    f = by_rule(r, "agent-log-not-logged")[0]
    assert "disableAllHooks" in f.message and f.line is not None


def test_malformed_json_is_a_finding_with_line(project_of: Callable[..., Project]) -> None:
    r = CHECK.run(project_of({".claude/settings.json": '{\n  "hooks": {\n    "PreToolUse": [,]\n  }\n}\n'}))
    f = by_rule(r, "agent-log-config-unparseable")[0]
    assert f.path == ".claude/settings.json" and f.line == 3 and f.severity.value == "medium"
    assert r.status == Status.FAIL
    assert not by_rule(r, "agent-log-not-logged")  # one finding per cause


def test_malformed_codex_toml_line(project_of: Callable[..., Project]) -> None:
    r = CHECK.run(project_of({"AGENTS.md": "x\n", ".codex/config.toml": 'model = "o3"\n\n[hooks\nx = 1\n'}))
    f = by_rule(r, "agent-log-config-unparseable")[0]
    assert f.path == ".codex/config.toml" and f.line == 3


def test_codex_toml_hooks(project_of: Callable[..., Project]) -> None:
    toml = ('[[hooks.PreToolUse]]\nmatcher = "*"\n[[hooks.PreToolUse.hooks]]\ntype = "command"\n'
            'command = "handrail hook codex"\n')
    r = CHECK.run(project_of({"AGENTS.md": "x\n", ".codex/config.toml": toml}))
    assert r.status == Status.PASS, r.summary
    assert (".codex/config.toml", 5) in {(e.path, e.line) for e in r.evidence}


def test_codex_notify_only_is_partial(project_of: Callable[..., Project]) -> None:
    r = CHECK.run(project_of({".codex/config.toml": 'notify = ["handrail", "hook", "codex"]\n'}))
    assert r.status == Status.WARN


def test_cursor_hooks(project_of: Callable[..., Project]) -> None:
    full = {"version": 1, "hooks": {"beforeShellExecution": [{"command": "handrail hook cursor"}],
                                    "beforeMCPExecution": [{"command": "handrail hook cursor"}],
                                    "afterFileEdit": [{"command": "handrail hook cursor"}]}}
    r = CHECK.run(project_of({".cursor/rules/base.mdc": "x\n", ".cursor/hooks.json": json.dumps(full)}))
    assert r.status == Status.PASS, r.summary
    shell_only = {"version": 1, "hooks": {"beforeShellExecution": [{"command": "handrail hook cursor"}]}}
    r = CHECK.run(project_of({".cursor/hooks.json": json.dumps(shell_only)}))
    assert r.status == Status.WARN


def test_gemini_hooks(project_of: Callable[..., Project]) -> None:
    settings = {"hooks": {"BeforeTool": [{"matcher": "*", "hooks": [{"type": "command",
                                                                        "command": "handrail hook gemini"}]}]}}
    r = CHECK.run(project_of({"GEMINI.md": "x\n", ".gemini/settings.json": json.dumps(settings, indent=2)}))
    assert r.status == Status.PASS, r.summary


def test_copilot_hooks_dir(project_of: Callable[..., Project]) -> None:
    hooks = {"version": 1, "hooks": {"preToolUse": [{"type": "command", "bash": "handrail hook copilot"}]}}
    r = CHECK.run(project_of({".github/copilot-instructions.md": "x\n",
                              ".github/hooks/handrail.json": json.dumps(hooks)}))
    assert r.status == Status.PASS, r.summary


def test_aider_has_no_hooks(project_of: Callable[..., Project]) -> None:
    r = CHECK.run(project_of({".aider.conf.yml": "model: x\n"}))
    assert r.status == Status.FAIL
    f = by_rule(r, "agent-log-not-logged")[0]
    assert f.confidence.value == "medium"


def test_ignored_local_settings_are_read_from_disk(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"CLAUDE.md": "x\n", ".gitignore": ".claude/settings.local.json\n"})
    (root / ".claude").mkdir()
    (root / ".claude" / "settings.local.json").write_text(FULL_CLAUDE)
    r = CHECK.run(Project(root))
    assert r.status == Status.PASS
    f = by_rule(r, "agent-log-local-only")[0]
    assert f.path == ".claude/settings.local.json"


def test_malformed_ignored_local_settings_are_a_finding_with_a_line(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"CLAUDE.md": "x\n", ".gitignore": ".claude/settings.local.json\n"})
    (root / ".claude").mkdir()
    (root / ".claude" / "settings.local.json").write_text('{\n  "hooks": {,\n}\n')
    project = Project(root)
    r = CHECK.run(project)
    f = by_rule(r, "agent-log-config-unparseable")[0]
    assert (f.path, f.line) == (".claude/settings.local.json", 2)
    assert "(not committed) cannot be parsed" in f.message
    assert project.parse_counts[(".claude/settings.local.json", "json")] == 1


def test_unreadable_journal_is_a_finding(make_repo: Callable[..., Path]) -> None:
    root = make_repo({".claude/settings.json": FULL_CLAUDE, ".gitignore": ".handrail/\n"})
    (root / ".handrail").mkdir()
    (root / ".handrail" / "journal.db").write_bytes(b"x" * 200)
    r = CHECK.run(Project(root))
    assert r.status == Status.WARN
    f = by_rule(r, "agent-log-journal-unreadable")[0]
    assert f.path == ".handrail/journal.db"


def journal_with_calls(root: Path, n: int = 3) -> None:
    from handrail.journal import Event, open_journal

    with open_journal(root) as j:
        for i in range(n):
            j.append(Event(kind="tool_call", summary=f"Bash: echo {i}", agent="claude", session="s", tool="Bash",
                           tool_use_id=f"t{i}", event="PreToolUse", decision="allow",
                           payload={"phase": "pre", "input": {"command": f"echo {i}"}}))


def test_verifying_journal_and_hooks_pass(make_repo: Callable[..., Path], keys_home: None) -> None:
    root = make_repo({".claude/settings.json": FULL_CLAUDE, ".gitignore": ".handrail/\n"})
    journal_with_calls(root)
    r = CHECK.run(Project(root))
    assert r.status == Status.PASS, r.summary
    assert "journal .handrail/journal.db verifies (3 entries" in r.summary
    assert any(e.path == ".handrail/journal.db" and "verifies" in e.note for e in r.evidence)


def test_tampered_journal_fails_with_the_first_bad_seq(make_repo: Callable[..., Path], keys_home: None) -> None:
    root = make_repo({".claude/settings.json": FULL_CLAUDE, ".gitignore": ".handrail/\n"})
    journal_with_calls(root, 4)
    db = sqlite3.connect(root / ".handrail" / "journal.db")
    names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
    for name in names:
        db.execute(f"DROP TRIGGER {name}")
    db.execute("UPDATE handrail_entries SET summary = 'Bash: echo nothing to see' WHERE seq = 2")
    db.commit()
    db.close()
    r = CHECK.run(Project(root))
    assert r.status == Status.FAIL, r.summary
    f = by_rule(r, "agent-log-journal-tampered")[0]
    assert f.path == ".handrail/journal.db" and "#2" in f.message and f.severity.value == "high"


def test_journal_without_hooks_warns(make_repo: Callable[..., Path], keys_home: None) -> None:
    root = make_repo({"README.md": "# x\n", ".gitignore": ".handrail/\n"})
    journal_with_calls(root)
    r = CHECK.run(Project(root))
    assert r.status == Status.WARN
    assert by_rule(r, "agent-log-journal-unfed")[0].path == ".handrail/journal.db"


def test_committed_hooks_without_a_journal_here_pass_and_say_so(project_of: Callable[..., Project]) -> None:
    r = CHECK.run(project_of({"CLAUDE.md": "x\n", ".claude/settings.json": FULL_CLAUDE}))
    assert r.status == Status.PASS
    assert "could not be verified here" in r.summary


def test_unlogged_agent_fix_names_the_install_command(project_of: Callable[..., Project]) -> None:
    r = CHECK.run(project_of({"GEMINI.md": "x\n"}))
    f = by_rule(r, "agent-log-not-logged")[0]
    assert "handrail guard install --agent gemini" in f.fix
    assert "handrail guard install --agent gemini" in r.summary
    assert "later release" not in r.summary + f.fix + CHECK.fix


def test_hooks_value_of_wrong_type_does_not_crash(project_of: Callable[..., Project]) -> None:
    r = CHECK.run(project_of({".claude/settings.json": json.dumps({"hooks": ["nope"]}),
                              ".gemini/settings.json": json.dumps([1, 2])}))
    assert r.status == Status.FAIL
    assert len(by_rule(r, "agent-log-not-logged")) == 2


def test_hook_script_in_repo_that_calls_handrail(project_of: Callable[..., Project]) -> None:
    settings = claude_settings({"PreToolUse": ("", '"$CLAUDE_PROJECT_DIR"/.claude/hooks/log.sh'),
                                "PostToolUse": ("", "bash .claude/hooks/log.sh")})
    script = "#!/bin/sh\nset -e\nexec handrail hook claude\n"
    r = CHECK.run(project_of({".claude/settings.json": settings, ".claude/hooks/log.sh": script}))
    assert r.status == Status.PASS, r.summary
    assert any("runs .claude/hooks/log.sh" in e.note for e in r.evidence)
    other = CHECK.run(project_of({".claude/settings.json": settings, ".claude/hooks/log.sh": "#!/bin/sh\ntrue\n"}))
    assert other.status == Status.WARN


def test_finding_names_the_most_telling_file(project_of: Callable[..., Project]) -> None:
    r = CHECK.run(project_of({".claude/.gitignore": "settings.local.json\n", ".claude/CLAUDE.md": "x\n",
                              ".claude/commands/deploy.md": "x\n"}))
    assert by_rule(r, "agent-log-not-logged")[0].path == ".claude/CLAUDE.md"
    r = CHECK.run(project_of({"CLAUDE.md": "x\n", ".claude/settings.json": '{"permissions": {}}'}))
    assert by_rule(r, "agent-log-not-logged")[0].path == ".claude/settings.json"


def test_team_journal_not_reachable_here_is_said_not_failed(project_of: Callable[..., Project],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HANDRAIL_TEST_JOURNAL_URL", raising=False)
    r = CHECK.run(project_of({".claude/settings.json": FULL_CLAUDE,
                              "handrail.toml": '[journal]\nurl_env = "HANDRAIL_TEST_JOURNAL_URL"\n'}))
    assert r.status == Status.PASS, r.summary
    assert "PostgreSQL journal" in r.summary and "HANDRAIL_TEST_JOURNAL_URL is not set" in r.summary
    assert "not verified" in r.summary


def test_tampered_journal_through_the_cli(make_repo: Callable[..., Path], keys_home: None) -> None:
    import subprocess
    import sys

    root = make_repo({".claude/settings.json": FULL_CLAUDE, ".gitignore": ".handrail/\n"})
    journal_with_calls(root, 3)
    db = sqlite3.connect(root / ".handrail" / "journal.db")
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    db.execute("DELETE FROM handrail_entries WHERE seq = 2")
    db.commit()
    db.close()
    exe = Path(sys.executable).with_name("handrail")
    cmd = [str(exe)] if exe.is_file() else [sys.executable, "-m", "handrail"]
    proc = subprocess.run([*cmd, "check", str(root), "--format", "json"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr
    check = next(c for c in json.loads(proc.stdout)["checks"] if c["id"] == "agent-log")
    assert check["status"] == "fail"
    [f] = [f for f in check["findings"] if f["rule"] == "agent-log-journal-tampered"]
    assert f["path"] == ".handrail/journal.db" and "#2" in f["message"]


def test_windsurf_hooks_are_read(project_of: Callable[..., Project]) -> None:
    def hooks(*events: str) -> str:
        return json.dumps({"hooks": {e: [{"command": "handrail hook windsurf"}] for e in events}}, indent=2)

    r = CHECK.run(project_of({".windsurf/hooks.json": hooks("pre_run_command", "post_run_command")}))
    assert r.status == Status.WARN, r.summary
    f = by_rule(r, "agent-log-partial")[0]
    assert f.path == ".windsurf/hooks.json" and f.line and "pre_run_command" in f.message
    full = hooks("pre_run_command", "post_run_command", "pre_write_code", "post_write_code", "pre_mcp_tool_use",
                 "post_mcp_tool_use")
    r = CHECK.run(project_of({".windsurf/rules/base.md": "x\n", ".windsurf/hooks.json": full}))
    assert r.status == Status.PASS, r.summary


def test_gemini_settings_may_have_comments(project_of: Callable[..., Project]) -> None:
    settings = {"hooks": {ev: [{"matcher": "*", "hooks": [{"type": "command", "command": "handrail hook gemini"}]}]
                          for ev in ("BeforeTool", "AfterTool")}}
    text = '{\n  // Gemini CLI strips comments\n  /* block\n  comment */\n' + json.dumps(settings, indent=2)[1:]
    r = CHECK.run(project_of({"GEMINI.md": "x\n", ".gemini/settings.json": text}))
    assert r.status == Status.PASS, r.summary
    assert not by_rule(r, "agent-log-config-unparseable")
    # a real syntax error after a block comment still points at its own line
    broken = '{\n  /* a\n  b */\n  "hooks": {,}\n}\n'
    f = by_rule(CHECK.run(project_of({".gemini/settings.json": broken})), "agent-log-config-unparseable")[0]
    assert f.line == 4
    # Claude Code settings stay strict JSON: a comment there makes Claude skip the file
    claude = '{\n  // no\n' + FULL_CLAUDE[1:]
    assert by_rule(CHECK.run(project_of({".claude/settings.json": claude})), "agent-log-config-unparseable")


def test_gemini_code_assist_review_files_are_not_gemini_cli(project_of: Callable[..., Project]) -> None:
    r = CHECK.run(project_of({".gemini/config.yaml": "have_fun: false\n", ".gemini/styleguide.md": "x\n",
                              "app.py": "1\n"}))
    assert r.status == Status.UNKNOWN, r.summary
    r = CHECK.run(project_of({".gemini/config.yaml": "have_fun: false\n", "GEMINI.md": "x\n"}))
    assert [f.path for f in by_rule(r, "agent-log-not-logged")] == ["GEMINI.md"]


def test_claude_http_hook_is_a_non_handrail_logger(project_of: Callable[..., Project]) -> None:
    settings = json.dumps({"hooks": {ev: [{"matcher": "*", "hooks": [{"type": "http",
                                                                      "url": "https://audit.example.invalid/h"}]}]
                                     for ev in ("PreToolUse", "PostToolUse")}}, indent=2)
    r = CHECK.run(project_of({"CLAUDE.md": "x\n", ".claude/settings.json": settings}))
    assert r.status == Status.WARN, r.summary
    f = by_rule(r, "agent-log-partial")[0]
    assert "audit.example.invalid" in f.evidence and not by_rule(r, "agent-log-not-logged")


def test_cline_hooks_readme_is_not_a_hook(project_of: Callable[..., Project]) -> None:
    r = CHECK.run(project_of({".clinerules/general.md": "x\n", ".clinerules/hooks/README.md": "How our hooks work\n"}))
    f = by_rule(r, "agent-log-not-logged")[0]
    assert "other events only" not in f.message


def test_hook_command_args_are_part_of_the_command(project_of: Callable[..., Project]) -> None:
    hook = {"type": "command", "command": "devbox", "args": ["run", "--", "sh", ".claude/hooks/log.sh"]}
    settings = json.dumps({"hooks": {ev: [{"matcher": "*", "hooks": [hook]}] for ev in ("PreToolUse", "PostToolUse")}})
    files = {".claude/settings.json": settings, ".claude/hooks/log.sh": "#!/bin/sh\nexec handrail hook claude\n"}
    r = CHECK.run(project_of(files))
    assert r.status == Status.PASS, r.summary
