"""The journal is found on disk as .handrail/journal.db, never through a symlink out of the repository."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from handrail.journal import find_journal


def test_no_handrail_dir(make_repo: Callable[..., Path]) -> None:
    assert find_journal(make_repo({"a.py": "x = 1\n"})) is None


def test_only_the_journal_database_counts(make_repo: Callable[..., Path]) -> None:
    root = make_repo({".handrail/baseline.json": "{}\n", ".handrail/journal.jsonl": "{}\n"})
    assert find_journal(root) is None
    (root / ".handrail" / "journal.db").write_bytes(b"")
    assert find_journal(root) == root / ".handrail" / "journal.db"


def test_symlinked_handrail_dir_is_ignored(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "journal.db").write_bytes(b"")
    root = make_repo({"a.py": "x = 1\n"})
    (root / ".handrail").symlink_to(outside, target_is_directory=True)
    assert find_journal(root) is None


def test_symlinked_journal_file_is_ignored(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    outside = tmp_path / "journal.db"
    outside.write_bytes(b"")
    root = make_repo({".handrail/baseline.json": "{}\n"})
    (root / ".handrail" / "journal.db").symlink_to(outside)
    assert find_journal(root) is None
