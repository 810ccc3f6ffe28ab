"""The one git reader of a run: facts about the work tree, asked of git once each.

Later analysers (secret history, handoff) extend this class rather than shelling out
on their own, so one run never walks the same history twice.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path


class GitError(RuntimeError):
    pass


@dataclass(frozen=True)
class Remote:
    name: str
    url: str  # credentials stripped


@dataclass
class GitFacts:
    is_repo: bool
    head: str | None = None
    branch: str | None = None
    dirty: list[str] = field(default_factory=list)
    remotes: list[Remote] = field(default_factory=list)
    shallow: bool = False


class GitReader:
    def __init__(self, root: Path) -> None:
        self.root = root

    def run(self, *args: str, timeout: float = 60, check: bool = True) -> bytes:
        try:
            proc = subprocess.run(["git", *args], cwd=self.root, capture_output=True, timeout=timeout,
                                  check=False, env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
        except FileNotFoundError as exc:
            raise GitError("git is not installed") from exc
        except subprocess.TimeoutExpired as exc:
            raise GitError(f"git {args[0]} timed out") from exc
        if check and proc.returncode != 0:
            msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git {args[0]}: {msg[-1] if msg else 'failed'}")
        return proc.stdout

    def text(self, *args: str, check: bool = True) -> str:
        return self.run(*args, check=check).decode("utf-8", "surrogateescape").strip()

    @cached_property
    def toplevel(self) -> Path | None:
        try:
            out = self.text("rev-parse", "--show-toplevel")
        except GitError:
            return None
        return Path(out) if out else None

    @cached_property
    def facts(self) -> GitFacts:
        if self.toplevel is None:
            return GitFacts(is_repo=False)
        head = self.text("rev-parse", "--verify", "-q", "HEAD", check=False) or None
        branch = self.text("symbolic-ref", "--short", "-q", "HEAD", check=False) or None
        dirty = []
        try:
            raw = self.run("status", "--porcelain=v1", "-z", "--untracked-files=normal")
            for rec in raw.split(b"\x00"):
                if len(rec) > 3 and rec[2:3] == b" ":
                    dirty.append(os.fsdecode(rec[3:]))
        except GitError:
            pass
        remotes: dict[str, Remote] = {}
        for line in self.text("remote", "-v", check=False).splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] not in remotes:
                remotes[parts[0]] = Remote(parts[0], strip_credentials(parts[1]))
        shallow = self.text("rev-parse", "--is-shallow-repository", check=False) == "true"
        return GitFacts(True, head, branch, dirty, list(remotes.values()), shallow)


def strip_credentials(url: str) -> str:
    """https://user:token@host/x -> https://***@host/x: a remote URL may hold a token."""
    if "://" in url and "@" in url.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
