"""How the handoff reads journal entries: pairing pre/post calls, interrupted and running calls, notes that explain
them, test runs, files touched. Entries are the journal's own Entry model, in the shape the hook writes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handrail.handoff.journal_facts import analyse, is_test_command
from handrail.journal.model import Entry

NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)


def ts(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Log:
    """Builds entries the way the hook runner journals them (seq in order, times in the past)."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def add(self, kind: str, summary: str, minutes_ago: float, **kw: Any) -> Entry:
        e = Entry(kind=kind, summary=summary, seq=len(self.entries) + 1, ts=ts(minutes_ago), **kw)
        self.entries.append(e)
        return e

    def pre(self, cmd: str, tid: str, minutes_ago: float, session: str = "s1", tool: str = "Bash",
            decision: str = "allow", rule: str | None = None, inp: dict | None = None) -> Entry:
        return self.add("tool_call", f"{tool}: {cmd}", minutes_ago, agent="claude", session=session, tool=tool,
                        tool_use_id=tid, event="PreToolUse", decision=decision, rule_id=rule,
                        payload={"phase": "pre", "input": inp if inp is not None else {"command": cmd}})

    def post(self, tid: str, minutes_ago: float, exit_code: int | None = 0, session: str = "s1",
             tool: str = "Bash", failure: bool = False) -> Entry:
        return self.add("tool_call", f"{tool} done", minutes_ago, agent="claude", session=session, tool=tool,
                        tool_use_id=tid, event="PostToolUseFailure" if failure else "PostToolUse",
                        exit_code=exit_code, payload={"phase": "failure" if failure else "post"})

    def facts(self, root: Any = None):  # type: ignore[no-untyped-def]
        return analyse(self.entries, root=root, now=NOW.timestamp())


def test_pairs_by_tool_use_id_and_keeps_exit_codes() -> None:
    log = Log()
    log.pre("npm ci", "t1", 50)
    log.pre("npm run lint", "t2", 49)
    log.post("t2", 48, exit_code=1, failure=True)
    log.post("t1", 47, exit_code=0)
    calls = {c.command: c for c in log.facts().calls}
    assert calls["npm ci"].status == "ok" and calls["npm ci"].exit_code == 0 and calls["npm ci"].end_seq == 4
    assert calls["npm run lint"].status == "failed" and calls["npm run lint"].exit_code == 1
    assert log.facts().interrupted == []


def test_pre_without_post_is_interrupted_once_the_session_moved_on() -> None:
    log = Log()
    log.pre("php artisan migrate", "t1", 40)
    log.add("session", "stop", 39, agent="claude", session="s1", payload={"phase": "stop"})
    facts = log.facts()
    [c] = facts.interrupted
    assert (c.seq, c.command, c.status) == (1, "php artisan migrate", "interrupted")


def test_old_pre_without_post_is_interrupted_even_without_a_stop() -> None:
    log = Log()
    log.pre("./deploy.sh", "t1", 60 * 3)
    assert [c.seq for c in log.facts().interrupted] == [1]


def test_recent_last_call_is_running_not_interrupted() -> None:
    log = Log()
    log.pre("pytest", "t1", 5)
    log.post("t1", 4)
    log.pre("handrail handoff", "t2", 0.1)
    facts = log.facts()
    assert facts.interrupted == []
    assert [c.status for c in facts.calls] == ["ok", "running"]


def test_a_later_note_naming_the_seq_explains_it() -> None:
    log = Log()
    log.pre("php artisan migrate", "t1", 40)
    log.add("session", "end", 39, agent="claude", session="s1", payload={"phase": "session_end"})
    log.add("note", "#1: migration finished, checked with migrate:status", 10, user="dev",
            payload={"text": "#1: migration finished, checked with migrate:status"})
    facts = log.facts()
    assert facts.interrupted == []
    assert facts.explained[0].explained_by == 3


def test_a_note_before_the_call_explains_nothing() -> None:
    log = Log()
    log.add("note", "see #2 later", 50, payload={"text": "see #2 later"})
    log.pre("rm -rf build", "t1", 40)
    log.add("session", "stop", 39, agent="claude", session="s1", payload={"phase": "stop"})
    assert [c.seq for c in log.facts().interrupted] == [2]


def test_blocked_calls_are_not_interrupted_and_keep_their_rule() -> None:
    log = Log()
    log.pre("git push --force origin main", "t1", 40, decision="block", rule="git-force-push-shared")
    log.add("session", "stop", 39, agent="claude", session="s1", payload={"phase": "stop"})
    facts = log.facts()
    assert facts.interrupted == []
    [b] = facts.blocked
    assert (b.status, b.rule_id) == ("blocked", "git-force-push-shared")


def test_asked_call_without_result_is_reported() -> None:
    log = Log()
    log.pre("prisma migrate reset", "t1", 40, decision="ask", rule="db-wipe")
    log.add("session", "stop", 39, agent="claude", session="s1", payload={"phase": "stop"})
    [c] = log.facts().interrupted
    assert c.status == "no-result"


def test_interrupt_flag_on_failure_counts_as_interrupted() -> None:
    log = Log()
    log.pre("npm run build", "t1", 40)
    log.add("tool_call", "Bash failed", 39, agent="claude", session="s1", tool="Bash", tool_use_id="t1",
            event="PostToolUseFailure", payload={"phase": "failure", "is_interrupt": True, "error": "interrupted"})
    [c] = log.facts().interrupted
    assert c.seq == 1


def test_calls_without_tool_use_id_pair_in_order() -> None:
    log = Log()
    log.add("tool_call", "shell: ls", 30, agent="cursor", session="c1", tool="Shell", event="beforeShellExecution",
            payload={"phase": "pre", "input": {"command": "ls"}})
    log.add("tool_call", "shell done", 29, agent="cursor", session="c1", tool="Shell", event="afterShellExecution",
            exit_code=0, payload={"phase": "post"})
    log.add("tool_call", "read", 28, agent="cursor", session="c1", tool="Read", event="beforeReadFile",
            payload={"phase": "pre", "input": {"file_path": "a.py"}})
    log.add("session", "stop", 27, agent="cursor", session="c1", payload={"phase": "stop"})
    facts = log.facts()
    assert facts.interrupted == []
    assert facts.calls[0].status == "ok"


def test_files_touched_per_tool_call(tmp_path: Any) -> None:
    log = Log()
    log.pre("", "t1", 30, tool="Write", inp={"file_path": str(tmp_path / "src" / "app.py"), "content": "x"})
    log.post("t1", 29, tool="Write", exit_code=None)
    log.pre("", "t2", 28, tool="apply_patch",
            inp={"command": "*** Begin Patch\n*** Update File: lib/x.rb\n@@\n*** Add File: lib/y.rb\n*** End Patch"})
    log.post("t2", 27, tool="apply_patch", exit_code=None)
    facts = log.facts(root=tmp_path)
    assert [c.files for c in facts.calls] == [["src/app.py"], ["lib/x.rb", "lib/y.rb"]]
    assert facts.calls[1].command is None  # a patch is not a shell command


def test_last_test_run_and_notes() -> None:
    log = Log()
    log.pre("pytest -q", "t1", 30)
    log.post("t1", 29, exit_code=1, failure=True)
    log.pre("pip install pytest", "t2", 28)
    log.post("t2", 27)
    log.add("decision", "use Stripe Checkout", 20, payload={"text": "use Stripe Checkout: fewer PCI duties"})
    log.add("note", "next: fix the failing test", 19, payload={"text": "fix the failing test", "next": True})
    log.add("note", "next: add a smoke test", 18, payload={"text": "add a smoke test", "next": True})
    log.add("note", "done #6", 17, payload={"text": "done #6"})
    log.add("check", "handrail check: 2 fail", 16, exit_code=1)
    log.add("prompt", "make checkout work", 15, agent="claude", session="s2", payload={"prompt": "make checkout work"})
    facts = log.facts()
    test = facts.last_test()
    assert test is not None and test.command == "pytest -q" and test.status == "failed"
    assert [d["text"] for d in facts.decisions] == ["use Stripe Checkout: fewer PCI duties"]
    assert [n["text"] for n in facts.next_steps] == ["add a smoke test"]
    assert facts.last_check is not None and facts.last_check["exit_code"] == 1
    assert facts.objective == "make checkout work"
    assert facts.session is not None and facts.session["id"] == "s2"


@pytest.mark.parametrize("cmd", ["pytest", "python -m pytest -q tests/x.py", "npm test", "npm run test:unit",
                                 "pnpm vitest run", "npx jest --ci", "php artisan test", "vendor/bin/phpunit",
                                 "bundle exec rspec", "bin/rails test", "go test ./...", "cargo test",
                                 "python manage.py test", "cd app && yarn test", "make test", "tox -e py311"])
def test_test_commands_are_recognised(cmd: str) -> None:
    assert is_test_command(cmd)


@pytest.mark.parametrize("cmd", ["pip install pytest", "npm install --save-dev jest", "ls tests/", "git status",
                                 "cat pytest.ini", "composer require --dev phpunit/phpunit"])
def test_other_commands_are_not_tests(cmd: str) -> None:
    assert not is_test_command(cmd)
