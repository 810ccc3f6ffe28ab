"""The journal is found on disk under .handrail/, never through a symlink out of the repository."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from handrail.core.journal import find_journal
from handrail.core.project import Project


def test_no_handrail_dir(make_repo: Callable[..., Path]) -> None:
    assert find_journal(Project(make_repo({"a.py": "x = 1\n"}))) is None


def test_first_journal_entry_wins(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"a.py": "x = 1\n"})
    (root / ".handrail").mkdir()
    (root / ".handrail" / "journal.jsonl").write_text("{}\n")
    (root / ".handrail" / "journal-2.jsonl").write_text("{}\n")
    (root / ".handrail" / "config").write_text("")
    assert find_journal(Project(root)) == ".handrail/journal-2.jsonl"


def test_handrail_dir_without_journal(make_repo: Callable[..., Path]) -> None:
    root = make_repo({".handrail/baseline.json": "{}\n"})
    assert find_journal(Project(root)) is None


def test_symlinked_handrail_dir_is_ignored(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "journal.jsonl").write_text("{}\n")
    root = make_repo({"a.py": "x = 1\n"})
    (root / ".handrail").symlink_to(outside, target_is_directory=True)
    assert find_journal(Project(root)) is None
