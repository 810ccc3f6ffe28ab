"""Git facts from real repositories: normal, detached, empty, shallow, and not a repository."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import git

from handrail.core.git import GitReader, parse_porcelain_z


def test_facts_in_a_repo(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"a.py": "1\n", "ab old.txt": "x\n"})
    head = git(root, "rev-parse", "HEAD").strip()
    (root / "a.py").write_text("2\n")
    (root / "new.py").write_text("3\n")
    git(root, "mv", "ab old.txt", "renamed.txt")
    git(root, "remote", "add", "origin", "https://user:ghp_abcdefSECRET@github.com/acme/app.git")
    git(root, "remote", "add", "backup", "git@example.com:acme/app.git")
    facts = GitReader(root).facts
    assert facts.is_repo and facts.head == head and facts.branch == "main"
    assert sorted(facts.dirty) == ["a.py", "new.py", "renamed.txt"]  # the rename's old path is not a record
    remotes = {r.name: r.url for r in facts.remotes}
    assert remotes == {"origin": "https://***@github.com/acme/app.git", "backup": "git@example.com:acme/app.git"}
    assert "SECRET" not in repr(facts)
    assert facts.shallow is False
    assert GitReader(root).toplevel == root.resolve()


def test_detached_head(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"a": "1"})
    head = git(root, "rev-parse", "HEAD").strip()
    git(root, "checkout", "-q", "--detach", "HEAD")
    facts = GitReader(root).facts
    assert facts.head == head and facts.branch is None


def test_repo_without_commits(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"a.py": "1"}, commit=False)
    facts = GitReader(root).facts
    assert facts.is_repo and facts.head is None and facts.branch == "main"
    assert facts.dirty == ["a.py"]


def test_not_a_repo(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"a.py": "1"}, git_init=False)
    reader = GitReader(root)
    assert reader.toplevel is None
    assert reader.facts.is_repo is False and reader.facts.head is None and reader.facts.dirty == []


def test_shallow_clone(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    src = make_repo({"a": "1"})
    (src / "a").write_text("2")
    git(src, "commit", "-qam", "second")
    dst = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{src}", str(dst))
    facts = GitReader(dst).facts
    assert facts.shallow is True
    assert facts.remotes and facts.remotes[0].url.startswith("file://")


def test_inherited_git_dir_is_ignored(make_repo: Callable[..., Path], monkeypatch) -> None:
    """Run from another repository's git hook: GIT_DIR must not redirect us."""
    other = make_repo({"other.txt": "x"})
    root = make_repo({"mine.txt": "y"})
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    assert GitReader(root).toplevel == root.resolve()
    from handrail.core.files import FileIndex

    assert FileIndex.build(root, in_git=True).paths() == ["mine.txt"]


def test_parse_porcelain_records() -> None:
    raw = b" M a.py\x00R  new.py\x00old.py\x00?? x y.txt\x00A  added\x00"
    assert parse_porcelain_z(raw) == ["a.py", "new.py", "x y.txt", "added"]
    assert parse_porcelain_z(b"") == []


def test_subfolder_root_reports_paths_relative_to_it(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"apps/web/a.ts": "1", "other/b.py": "2"})
    (root / "apps" / "web" / "a.ts").write_text("changed")
    (root / "other" / "b.py").write_text("changed")
    (root / "apps" / "web" / "new file.ts").write_text("new")
    facts = GitReader(root / "apps" / "web").facts
    assert sorted(facts.dirty) == ["a.ts", "new file.ts"]
    assert facts.is_repo and facts.branch == "main"


def test_tracked_is_relative_to_a_subfolder_root_and_skips_untracked(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"apps/web/.env": "A=1\n", "apps/web/app.py": "x = 1\n", "top.txt": "t\n"})
    (root / "apps" / "web" / "new.py").write_text("y = 2\n")
    assert GitReader(root / "apps" / "web").tracked == frozenset({".env", "app.py"})
    assert GitReader(make_repo({"a.txt": "a\n"}, git_init=False)).tracked is None
