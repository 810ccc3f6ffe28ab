"""Baselines: accept today's findings, report only new ones, never churn when code moves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from handrail.core.baseline import BASELINE_PATH, BaselineError, read_baseline, write_baseline
from handrail.core.finding import Finding, Severity

WRITE_ALL = """\
name: ci
on: push
permissions: write-all
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo hello
"""
GIT_ENV = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "T",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1"}
ENV = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "HANDRAIL_DEBUG", "CI")}


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=root, env={**ENV, **GIT_ENV}, check=True,
                   capture_output=True)


def _commit_all(root: Path) -> None:
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "--allow-empty", "-m", "change")


def _handrail(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "handrail", *args], capture_output=True, text=True, env=ENV,
                          timeout=120, check=False)


def _findings(proc: subprocess.CompletedProcess) -> list[dict]:
    assert proc.returncode in (0, 1), proc.stderr
    return [f for c in json.loads(proc.stdout)["checks"] for f in c["findings"]]


def _f(rule: str, path: str | None, fp: str) -> Finding:
    return Finding("secrets", rule, Severity.HIGH, "m", path, 3, fingerprint=fp)


# --- the file format ------------------------------------------------------------------------------
def test_write_is_sorted_stable_and_line_free(tmp_path: Path) -> None:
    a, b, c = _f("r1", "b.py", "1" * 32), _f("r1", "a.py", "2" * 32), _f("r0", None, "3" * 32)
    first = write_baseline(tmp_path, [a, b, c])
    assert first == tmp_path / BASELINE_PATH
    data = first.read_bytes()
    second = write_baseline(tmp_path, [c, a, b], tmp_path / "other.json")
    assert second.read_bytes() == data
    doc = json.loads(data)
    assert doc["version"] == 1
    assert [e["fingerprint"] for e in doc["findings"]] == ["3" * 32, "2" * 32, "1" * 32]
    assert "line" not in data.decode() and data.endswith(b"\n")
    assert read_baseline(tmp_path) == {"1" * 32, "2" * 32, "3" * 32}
    assert not list(tmp_path.glob("**/*.tmp"))  # written atomically, nothing left behind


@pytest.mark.parametrize(("content", "message"), [
    (b"{not json", "unreadable baseline"),
    (b"\xff\xfe\x00garbage", "unreadable baseline"),
    (b"[1, 2]", "not a Handrail baseline"),
    (b'{"findings": {"a": 1}}', "not a Handrail baseline"),
])
def test_corrupt_baseline_is_one_clean_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "b.json"
    path.write_bytes(content)
    with pytest.raises(BaselineError, match=message) as info:
        read_baseline(tmp_path, path)
    assert "\n" not in str(info.value)


def test_missing_baseline_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="handrail baseline"):
        read_baseline(tmp_path)


def test_entries_without_fingerprints_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text('{"findings": [{"fingerprint": "abc"}, {"rule": "x"}, 3, {"fingerprint": 4}]}', "utf-8")
    assert read_baseline(tmp_path, path) == {"abc"}


# --- through the CLI ------------------------------------------------------------------------------
@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(WRITE_ALL, "utf-8")
    (root / "app.py").write_text("print('hi')\n", "utf-8")
    _git(root, "init", "-q")
    _commit_all(root)
    return root


def test_baseline_then_check_shows_only_new_findings(repo: Path) -> None:
    before = _findings(_handrail("check", str(repo), "--format", "json"))
    assert before, "the write-all workflow should give at least one finding"
    made = _handrail("baseline", str(repo))
    assert made.returncode == 0 and f"wrote {len(before)} finding(s)" in made.stdout
    _commit_all(repo)  # a committed baseline, as a team would keep it
    proc = _handrail("check", str(repo), "--format", "json", "--baseline")
    assert proc.returncode == 0 and _findings(proc) == []
    assert sum(c["suppressed"] for c in json.loads(proc.stdout)["checks"]) >= len(before)

    (repo / ".github" / "workflows" / "deploy.yml").write_text(WRITE_ALL.replace("name: ci", "name: deploy"), "utf-8")
    _commit_all(repo)
    new = _findings(_handrail("check", str(repo), "--format", "json", "--baseline"))
    assert new and {f["path"] for f in new if f["path"]} == {".github/workflows/deploy.yml"}
    old = {f["fingerprint"] for f in before}
    assert not [f for f in new if f["fingerprint"] in old]


def test_baseline_is_byte_identical_after_code_moves(repo: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert _handrail("baseline", str(repo), "--output", str(first)).returncode == 0
    wf = repo / ".github" / "workflows" / "ci.yml"
    wf.write_text("# a comment\n# another\n\n" + WRITE_ALL, "utf-8")  # every finding moves down three lines
    _commit_all(repo)
    moved = _findings(_handrail("check", str(repo), "--format", "json"))
    assert any(f["path"] == ".github/workflows/ci.yml" and (f["line"] or 0) > 3 for f in moved)
    assert _handrail("baseline", str(repo), "--output", str(second)).returncode == 0
    assert second.read_bytes() == first.read_bytes()
    proc = _handrail("check", str(repo), "--format", "json", "--baseline-file", str(first))
    assert _findings(proc) == []


def test_corrupt_or_missing_baseline_exits_2_with_one_line(repo: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{broken", "utf-8")
    for args in (("--baseline-file", str(bad)), ("--baseline",)):
        proc = _handrail("check", str(repo), *args)
        assert proc.returncode == 2 and proc.stdout == ""
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("handrail: ") and "Traceback" not in proc.stderr
