"""The handoff record from real git repositories and real journals: what it says, where it writes, what the
`handrail handoff` / `handrail resume` commands print."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import commit_files, git

from handrail.handoff import build, context, load, write
from handrail.handoff.record import stale_reasons
from handrail.journal import Event, open_journal

README = "# App\n\n## Setup\n\n`pip install -e .`\n\n## Tests\n\n`pytest`\n"


pytestmark = pytest.mark.usefixtures("keys_home")


def hook_call(j, cmd: str, tid: str, *, exit_code: int | None = 0, tool: str = "Bash", session: str = "s1",
              inp: dict | None = None, post: bool = True, decision: str = "allow", rule: str | None = None,
              git_head: str | None = None) -> int:
    """A tool call journalled the way the hook runner does: a pre entry and (unless interrupted) its post."""
    pre = j.append(Event(kind="tool_call", summary=f"{tool}: {cmd}", agent="claude", session=session, tool=tool,
                         tool_use_id=tid, event="PreToolUse", decision=decision, rule_id=rule, git_head=git_head,
                         payload={"phase": "pre", "input": inp if inp is not None else {"command": cmd}}))
    if post:
        j.append(Event(kind="tool_call", summary=f"{tool} done", agent="claude", session=session, tool=tool,
                       tool_use_id=tid, event="PostToolUse", exit_code=exit_code,
                       payload={"phase": "post", "duration_ms": 12}))
    return pre.seq


def stop(j, session: str = "s1") -> None:
    j.append(Event(kind="session", summary="stop", agent="claude", session=session, event="Stop",
                   payload={"phase": "stop"}))


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("handrail")
    cmd = [str(exe)] if exe.is_file() else [sys.executable, "-m", "handrail"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=60, cwd=cwd, check=False,
                          env={**os.environ})


def test_record_from_git_and_journal(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"README.md": README, "app.py": "x = 1\n", ".gitignore": ".handrail/\n",
                      "handrail.toml": "[journal]\ncheckpoint_every = 4\n"})
    head = git(root, "rev-parse", "HEAD").strip()
    with open_journal(root) as j:
        j.append(Event(kind="prompt", summary="add a login page", agent="claude", session="s1",
                       payload={"prompt": "add a login page"}))
        hook_call(j, "pytest -q", "t1", exit_code=0, git_head=head)
        (root / "app.py").write_text("x = 2\n")
        hook_call(j, "", "t2", tool="Edit", inp={"file_path": str(root / "app.py"), "old_string": "1",
                                                 "new_string": "2"})
        hook_call(j, "rm -rf /", "t3", decision="block", rule="fs-delete-outside", post=False)
        migrate = hook_call(j, "python manage.py migrate", "t4", post=False)
        j.append(Event(kind="decision", summary="sessions in Redis", payload={"text": "sessions in Redis: TTLs"}))
        j.append(Event(kind="note", summary="next", payload={"text": "wire the logout button", "next": True}))
        stop(j)
        h = write(root, j)
    assert h.git["branch"] == "main" and h.git["head"] == head
    assert [c["path"] for c in h.git["uncommitted"]] == ["app.py"]
    assert h.git["diff_stat"] == [{"path": "app.py", "added": 1, "removed": 1}]
    assert [c["seq"] for c in h.interrupted] == [migrate]
    assert h.blocked[0]["rule_id"] == "fs-delete-outside" and h.blocked[0]["status"] == "blocked"
    assert h.files_touched[0]["files"] == ["app.py"]
    assert h.last_test is not None and h.last_test["command"] == "pytest -q"
    assert h.last_test["stale"] and "app.py" in h.last_test["changed_after"]
    assert h.objective is not None and h.objective["text"] == "add a login page"
    assert h.decisions[0]["text"] == "sessions in Redis: TTLs"
    assert h.next_steps[0]["text"] == "wire the logout button"
    assert h.journal["head_seq"] >= migrate and len(h.journal["head_hash"]) == 64
    assert h.journal["checkpoint"]["seq"] == 8  # the newest signed checkpoint seals entries 1..8

    md = (root / "HANDOFF.md").read_text()
    for heading in ("## Objective", "## Status", "## Where things stand", "## Uncommitted changes",
                    "## Commands run", "## Interrupted", "## Tests", "## Decisions", "## Next steps", "## Risks"):
        assert heading in md
    assert f"#{migrate} Bash `python manage.py migrate`" in md
    assert "**Stale**" in md
    data = load(root)
    assert data is not None and data["interrupted"][0]["seq"] == migrate
    assert stat.S_IMODE((root / ".handrail" / "handoff.json").stat().st_mode) == 0o600
    # The write itself is journalled, and the record does not go stale because of it.
    with open_journal(root) as j:
        assert j.head().kind == "handoff"
        assert stale_reasons(root, data, journal=j) == []


def test_tests_after_the_last_edit_are_fresh(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"app.py": "x = 1\n"})
    (root / "app.py").write_text("x = 2\n")
    with open_journal(root) as j:
        hook_call(j, "", "t1", tool="Write", inp={"file_path": "app.py", "content": "x = 2\n"})
        hook_call(j, "npm test", "t2", exit_code=1)
        h = build(root, j)
    assert h.last_test is not None and h.last_test["status"] == "failed" and not h.last_test["stale"]
    assert any("last test run" in r and "failed" in r for r in h.risks)


def test_non_git_directory_still_works(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "notes.txt").write_text("hi\n")
    h = write(root)
    assert h.git["is_repo"] is False and "not a git repository" in h.status[0]
    md = (root / "HANDOFF.md").read_text()
    assert "Not a git repository" in md
    assert h.journal["present"] is False
    assert not (root / ".handrail" / "journal.db").exists()  # a handoff never creates a journal


def test_non_utf8_uncommitted_names(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"a.txt": "1\n"})
    name = os.fsdecode(b"caf\xe9-\xff.txt")
    (root / name).write_bytes(b"latin-1 name\n")
    (root / "a.txt").write_text("2\n")
    h = write(root)
    paths = sorted(c["path"] for c in h.git["uncommitted"])
    assert paths == ["a.txt", "caf\\xe9-\\xff.txt"]
    json.loads((root / ".handrail" / "handoff.json").read_text("utf-8"))  # valid UTF-8 JSON
    assert "caf\\xe9-\\xff.txt" in (root / "HANDOFF.md").read_text("utf-8")
    # The record's own files are not uncommitted work, and writing them does not change the diff hash.
    again = build(root)
    assert sorted(c["path"] for c in again.git["uncommitted"]) == paths
    assert again.git["diff_hash"] == h.git["diff_hash"]


def test_git_text_is_redacted(make_repo: Callable[..., Path]) -> None:
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    root = make_repo({"a.txt": "1\n"})
    commit_files(root, {"a.txt": "2\n"}, f"rotate key {token}")
    h = write(root)
    assert token not in h.to_json()
    assert token not in (root / "HANDOFF.md").read_text()


def test_upstream_ahead_and_behind(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo({"a.txt": "1\n"})
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "-u", "origin", "main")
    commit_files(root, {"b.txt": "b\n"}, "local work")
    h = build(root)
    assert (h.git["upstream"], h.git["ahead"], h.git["behind"]) == ("origin/main", 1, 0)
    assert any("not pushed" in r for r in h.risks)


def test_unreadable_journal_is_one_line_not_a_crash(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"a.txt": "1\n"})
    (root / ".handrail").mkdir()
    (root / ".handrail" / "journal.db").write_bytes(b"this is not a database at all" * 10)
    h = write(root)
    assert h.journal["present"] is True and h.journal["note"].startswith("journal could not be read")
    assert "Journal: journal could not be read" in (root / "HANDOFF.md").read_text()


def test_context_is_short_and_leads_with_interruptions(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"a.txt": "1\n"})
    assert context(root) is None
    for i in range(80):
        (root / f"file_{i:03}_with_a_rather_long_name.txt").write_text("x\n")
    with open_journal(root) as j:
        j.append(Event(kind="prompt", summary="p", agent="claude", session="s1", payload={"prompt": "word " * 400}))
        seq = hook_call(j, "php artisan migrate --force", "t1", post=False)
        for k in range(20):
            j.append(Event(kind="note", summary="n", payload={"text": f"step {k} " * 30, "next": True}))
        stop(j)
        write(root, j)
    text = context(root)
    assert text is not None and len(text.encode()) < 2048
    assert text.splitlines()[1].startswith(f"- INTERRUPTED #{seq} Bash: php artisan migrate --force")


def test_stale_when_head_moves_fresh_when_committed_with_the_work(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"a.txt": "1\n"})
    write(root)
    record = load(root)
    assert record is not None and stale_reasons(root, record) == []
    # HANDOFF.md committed together with the work it describes: still fresh.
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "work + handoff")
    assert stale_reasons(root, record) == []
    commit_files(root, {"b.txt": "2\n"}, "more work")
    assert "HEAD is now" in stale_reasons(root, record)[0]


def test_cli_handoff_and_resume(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"a.txt": "1\n", ".gitignore": ".handrail/\n"})
    proc = run_cli("handoff", "-C", str(root))
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout and (root / "HANDOFF.md").is_file()
    proc = run_cli("resume", "-C", str(root), "--format", "json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["refreshed"] == []
    commit_files(root, {"b.txt": "2\n"}, "more (HANDOFF.md committed with it: still fresh)")
    commit_files(root, {"c.txt": "3\n"}, "and more")
    proc = run_cli("resume", "-C", str(root))
    assert proc.returncode == 0 and "record refreshed: HEAD is now" in proc.stderr
    assert proc.stdout.startswith("<!-- handrail-handoff ") and "# Handoff" in proc.stdout
    assert load(root)["git"]["head"] == git(root, "rev-parse", "HEAD").strip()


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    proc = run_cli("handoff", "-C", str(tmp_path / "missing"))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    blocker = tmp_path / "ro"
    blocker.mkdir()
    (blocker / ".handrail").symlink_to(tmp_path)
    proc = run_cli("handoff", "-C", str(blocker))
    assert proc.returncode == 2 and "symlink" in proc.stderr and "Traceback" not in proc.stderr


def test_a_handoff_the_agent_runs_itself_stays_fresh_after_its_own_result(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"a.txt": "1\n"})
    with open_journal(root) as j:
        hook_call(j, "pytest", "toolu_01AAAAAAAA")
        j.append(Event(kind="tool_call", summary="Bash: handrail handoff", agent="claude", session="s1", tool="Bash",
                       tool_use_id="toolu_01BBBBBBBB", event="PreToolUse", decision="allow",
                       payload={"phase": "pre", "input": {"command": "handrail handoff"}}))
        h = write(root, j)
        assert [c["command"] for c in h.running] == ["handrail handoff"] and h.interrupted == []
        j.append(Event(kind="tool_call", summary="Bash done", agent="claude", session="s1", tool="Bash",
                       tool_use_id="toolu_01BBBBBBBB", event="PostToolUse", exit_code=0, payload={"phase": "post"}))
        assert stale_reasons(root, load(root), journal=j) == []
        hook_call(j, "npm run build", "toolu_01CCCCCCCC")
        assert "since it was written" in stale_reasons(root, load(root), journal=j)[0]


def test_notes_explain_by_tool_use_id_but_not_by_accident(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"a.txt": "1\n"})
    with open_journal(root) as j:
        hook_call(j, "./deploy.sh", "d", post=False)
        hook_call(j, "./migrate.sh", "toolu_01DDDDDDDD", post=False)
        stop(j)
        j.append(Event(kind="note", summary="n", payload={"text": "deployed by hand; toolu_01DDDDDDDD finished too"}))
        h = build(root, j)
    assert [c["command"] for c in h.interrupted] == ["./deploy.sh"]
    assert [c["command"] for c in h.explained] == ["./migrate.sh"]


def test_a_hand_written_handoff_is_never_overwritten(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"HANDOFF.md": "# Where I stopped\n\nHalfway through the payment refactor.\n"})
    h = write(root)
    assert (root / "HANDOFF.md").read_text() == "# Where I stopped\n\nHalfway through the payment refactor.\n"
    assert h.files == [".handrail/HANDOFF.md", ".handrail/handoff.json"]
    assert (root / ".handrail" / "HANDOFF.md").read_text().startswith("<!-- handrail-handoff ")
    assert any("was not written by Handrail" in r for r in h.risks)
    # Our own HANDOFF.md is replaced on the next write.
    (root / "HANDOFF.md").unlink()
    assert write(root).files[0] == "HANDOFF.md"
    assert write(root).files[0] == "HANDOFF.md"


def test_committing_what_was_tested_keeps_the_run_fresh(make_repo: Callable[..., Path]) -> None:
    import time

    root = make_repo({"app.py": "x = 1\n"})
    (root / "app.py").write_text("x = 2\n")
    os.utime(root / "app.py", (time.time() - 30, time.time() - 30))
    with open_journal(root) as j:
        hook_call(j, "pytest", "toolu_01TESTTEST", git_head=git(root, "rev-parse", "HEAD").strip())
        commit_files(root, {}, "the tested change")
        h = build(root, j)
        assert h.last_test is not None and not h.last_test["stale"], h.last_test
        (root / "app.py").write_text("x = 3\n")
        later = time.time() + 5
        os.utime(root / "app.py", (later, later))
        h = build(root, j)
    assert h.last_test["stale"] and h.last_test["changed_after"] == ["app.py"]
