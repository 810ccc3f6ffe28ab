"""Shared test helpers: real git repositories built from small file maps."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from handrail.core.project import Project

FIXTURES = Path(__file__).parent / "fixtures"
# The fixture apps are data, not tests: their own test files import the apps' dependencies.
collect_ignore = ["fixtures"]

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent-handrail-test-home",
}


@pytest.fixture(autouse=True, scope="session")
def _private_config_home(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Journal keys live in $XDG_CONFIG_HOME/handrail: no test may write the real user's keys."""
    old = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("xdg-config"))
    yield
    if old is None:
        os.environ.pop("XDG_CONFIG_HOME", None)
    else:
        os.environ["XDG_CONFIG_HOME"] = old


@pytest.fixture
def keys_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A test's own HOME and config dir, so journal keys are fresh per test (and never the user's)."""
    from handrail.journal import keys

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    keys._reset_cache()
    yield
    keys._reset_cache()


def git(root: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
                          cwd=root, capture_output=True, text=True, env={**os.environ, **GIT_ENV}, check=True)
    return proc.stdout


def write_tree(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, "utf-8")


def commit_files(root: Path, files: dict[str, str | None], message: str = "change") -> str:
    """Write (or, for None, delete) files, commit everything, return the new commit's sha."""
    for rel, content in files.items():
        if content is None:
            (root / rel).unlink()
        else:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(content, "utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def init_repo(root: Path, commit: bool = True) -> Path:
    git(root, "init", "-q")
    if commit:
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", "initial")
    return root


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """make_repo({"path": "content"}) -> a committed git repository with those files."""
    counter = {"n": 0}

    def _make(files: dict[str, str | bytes], *, git_init: bool = True, commit: bool = True) -> Path:
        counter["n"] += 1
        root = tmp_path / f"repo{counter['n']}"
        root.mkdir()
        write_tree(root, files)
        if git_init:
            init_repo(root, commit=commit)
        return root

    return _make


@pytest.fixture
def fixture_repo(tmp_path: Path) -> Callable[[str], Path]:
    """fixture_repo("laravel/good") -> a git repository copied from tests/fixtures/<name>."""

    def _make(name: str) -> Path:
        src = FIXTURES / name
        dst = tmp_path / name.replace("/", "-")
        shutil.copytree(src, dst, symlinks=True)
        return init_repo(dst)

    return _make


@pytest.fixture
def project_of(make_repo: Callable[..., Path]) -> Callable[..., Project]:
    def _project(files: dict[str, str | bytes], **kw: bool) -> Project:
        return Project(make_repo(files, **kw))

    return _project
