"""The file index on real trees: ignores, excludes, caps, binaries, symlinks, odd names."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from handrail.core.files import FileIndex, display_path
from handrail.core.project import Project

NESTED_IGNORE = {
    ".gitignore": "*.log\nbuild/\n/secret.txt\n",
    "app.log": "x", "keep/.gitignore": "!important.log\n", "keep/important.log": "kept",
    "keep/other.log": "no", "build/out.js": "no", "src/build/x.js": "no", "secret.txt": "no",
    "src/secret.txt": "yes", "src/main.py": "print(1)\n",
}
EXPECTED_NESTED = {".gitignore", "keep/.gitignore", "keep/important.log", "src/secret.txt", "src/main.py"}


@pytest.mark.parametrize("in_git", [True, False])
def test_gitignore_nested_and_negation(make_repo: Callable[..., Path], in_git: bool) -> None:
    root = make_repo(NESTED_IGNORE, git_init=in_git)
    idx = FileIndex.build(root, in_git=in_git)
    assert set(idx.paths()) == EXPECTED_NESTED


def test_git_mode_lists_untracked_but_not_ignored(make_repo: Callable[..., Path]) -> None:
    root = make_repo({".gitignore": "*.tmp\n", "a.py": "1"})
    (root / "new.py").write_text("2")
    (root / "junk.tmp").write_text("3")
    idx = Project(root).files
    assert "new.py" in idx and "a.py" in idx and "junk.tmp" not in idx


def test_deleted_tracked_file_is_not_indexed(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"a.py": "1", "b.py": "2"})
    (root / "b.py").unlink()
    assert Project(root).files.paths() == ["a.py"]


def test_config_excludes(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"src/a.py": "1", "legacy/b.py": "2", "x.min.js": "3", "docs/c.md": "4"})
    idx = FileIndex.build(root, exclude=["legacy/", "*.min.js", "docs"], in_git=True)
    assert idx.paths() == ["src/a.py"]


def test_vendored_dirs_skipped_even_when_committed(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"vendor/lib.php": "<?php", "node_modules/x/index.js": "1", "app.php": "<?php"})
    assert Project(root).files.paths() == ["app.php"]


def test_walk_skips_build_output(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"dist/app.js": "1", ".next/x.js": "1", "src/a.ts": "1"}, git_init=False)
    assert FileIndex.build(root).paths() == ["src/a.ts"]


def test_size_cap(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"big.txt": "x" * 5000, "small.txt": "ok"})
    idx = FileIndex.build(root, in_git=True, max_bytes=1000)
    assert "big.txt" in idx  # listed: other analysers may want to know it exists
    assert idx.read_bytes("big.txt") is None
    assert idx.read_bytes("small.txt") == b"ok"
    assert idx.read_bytes("big.txt", limit=10_000) == b"x" * 5000
    p = Project(root)
    p.files.max_bytes = 1000
    assert p.text("big.txt") is None


def test_binary_detection(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "a.txt": "hello"})
    p = Project(root)
    assert p.files.is_binary("logo.png") and not p.files.is_binary("a.txt")
    assert p.text("logo.png") is None and p.lines("logo.png") == []
    assert p.text("a.txt") == "hello"
    assert p.files.is_binary("missing") is True


@pytest.mark.parametrize("in_git", [True, False])
def test_symlink_loops_and_dangling_links(make_repo: Callable[..., Path], in_git: bool) -> None:
    root = make_repo({"real/a.txt": "a"}, git_init=False)
    os.symlink("b", root / "a")
    os.symlink("a", root / "b")  # a -> b -> a
    os.symlink("..", root / "real" / "parent")  # directory symlink to its parent
    os.symlink(".", root / "self")
    os.symlink("nowhere.txt", root / "dangling")
    os.symlink("real/a.txt", root / "alias.txt")
    outside = root.parent / "outside-secret.txt"
    outside.write_text("not in the repo")
    os.symlink(outside, root / "escape.txt")
    if in_git:
        from conftest import init_repo

        init_repo(root)
    idx = FileIndex.build(root, in_git=in_git)
    assert set(idx.paths()) == {"real/a.txt", "alias.txt"}
    assert idx.get("alias.txt").is_symlink  # type: ignore[union-attr]
    assert idx.read_bytes("alias.txt") == b"a"


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS refuses non-UTF-8 file names")
@pytest.mark.parametrize("in_git", [True, False])
def test_non_utf8_file_names(make_repo: Callable[..., Path], in_git: bool) -> None:
    root = make_repo({"ok.txt": "1"}, git_init=False)
    raw = os.path.join(os.fsencode(root), b"caf\xe9.env")
    with open(raw, "wb") as fh:
        fh.write(b"KEY=value\n")
    if in_git:
        from conftest import init_repo

        init_repo(root)
    p = Project(root)
    names = [n for n in p.files.paths() if n != "ok.txt"]
    assert len(names) == 1
    name = names[0]
    assert os.fsencode(name) == b"caf\xe9.env"
    assert display_path(name) == "caf\\xe9.env"
    assert p.text(name) == "KEY=value\n"


def test_glob_named_under(make_repo: Callable[..., Path]) -> None:
    root = make_repo({".github/workflows/ci.yml": "x", "a/package.json": "{}", "package.json": "{}",
                      "src/x/y.py": "1"})
    idx = Project(root).files
    assert idx.glob(".github/workflows/*.yml") == [".github/workflows/ci.yml"]
    assert idx.glob("**/package.json") == ["a/package.json", "package.json"]
    assert idx.named("package.json") == ["a/package.json", "package.json"]
    assert idx.under("src") == ["src/x/y.py"] and idx.under("src/") == ["src/x/y.py"]
    assert len(idx) == 4 and [e.path for e in idx] == idx.paths()


def test_many_files(make_repo: Callable[..., Path]) -> None:
    """20k files index without trouble (no timing assert: CI machines vary)."""
    root = make_repo({}, git_init=False)
    for d in range(200):
        sub = root / f"pkg{d}"
        sub.mkdir()
        for f in range(100):
            (sub / f"m{f}.py").write_text("")
    idx = FileIndex.build(root)
    assert len(idx) == 20_000
    assert idx.named("m99.py")[0] == "pkg0/m99.py"


def test_unreadable_gitignore_pattern_does_not_crash(make_repo: Callable[..., Path]) -> None:
    root = make_repo({".gitignore": b"\xff\xfe[\n**/***\n\\\n", "a.py": "1"}, git_init=False)
    assert "a.py" in FileIndex.build(root)
