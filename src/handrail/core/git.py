"""The one git reader of a run: facts about the work tree, asked of git once each.

Analysers that need more of git (handoff's dirty files, environments' tracked files, a later
secret-history scan) extend this class rather than shelling out on their own, so one run never
asks git the same question twice.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from handrail.core.redact import redact_url


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


def git_env() -> dict[str, str]:
    """The environment for git: no prompts, C locale, and no GIT_DIR/GIT_WORK_TREE inherited
    from a calling git hook, which would point git at a different repository than `root`."""
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
    env.update({"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
    return env


class GitReader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._prefix = ""  # set with toplevel: root's path below the top level, "" at the top
        self._shallow = False

    def run(self, *args: str, timeout: float = 60, check: bool = True) -> bytes:
        try:
            # The repository under analysis may be untrusted: never let its config run a program.
            proc = subprocess.run(["git", "-c", "core.fsmonitor=false", *args], cwd=self.root, capture_output=True,
                                  timeout=timeout, check=False,
                                  env=git_env())
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
        # One rev-parse answers three questions (each git process costs a few ms on every run).
        try:
            raw = self.run("rev-parse", "--show-toplevel", "--show-prefix", "--is-shallow-repository")
        except GitError:
            return None
        lines = raw.decode("utf-8", "surrogateescape").split("\n")
        out = lines[0].strip()
        self._prefix = lines[1].strip() if len(lines) > 1 else ""
        self._shallow = len(lines) > 2 and lines[2].strip() == "true"
        return Path(out) if out else None

    @cached_property
    def tracked(self) -> frozenset[str] | None:
        """Paths git tracks, relative to `root` (ls-files answers relative to its working folder); None outside
        a repository or when git fails. The file index also holds untracked, not-ignored files."""
        if self.toplevel is None:
            return None
        try:
            raw = self.run("ls-files", "-z", check=False)
        except (GitError, OSError):
            return None
        return frozenset(os.fsdecode(rec) for rec in raw.split(b"\x00") if rec)

    @cached_property
    def facts(self) -> GitFacts:
        if self.toplevel is None:
            return GitFacts(is_repo=False)
        head = self.text("rev-parse", "--verify", "-q", "HEAD", check=False) or None
        branch = self.text("symbolic-ref", "--short", "-q", "HEAD", check=False) or None
        dirty = []
        try:
            # Porcelain paths are relative to the repository's top level; the file index is
            # relative to `root`, which may be a subfolder (a monorepo app): keep the two aligned.
            prefix = self._prefix
            raw = self.run("status", "--porcelain=v1", "-z", "--untracked-files=normal", "--", ".")
            dirty = [p[len(prefix):] for p in parse_porcelain_z(raw) if p.startswith(prefix)]
        except GitError:
            pass
        remotes: dict[str, Remote] = {}
        for line in self.text("remote", "-v", check=False).splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] not in remotes:
                remotes[parts[0]] = Remote(parts[0], redact_url(parts[1]))
        return GitFacts(True, head, branch, dirty, list(remotes.values()), self._shallow)


def parse_porcelain_z(raw: bytes) -> list[str]:
    """Paths from `git status --porcelain=v1 -z`. A rename or copy record ("R  new") is
    followed by a bare field holding the old path, which must be skipped, not parsed."""
    out: list[str] = []
    fields = raw.split(b"\x00")
    i = 0
    while i < len(fields):
        rec = fields[i]
        i += 1
        if len(rec) < 4 or rec[2:3] != b" ":
            continue
        out.append(os.fsdecode(rec[3:]))
        if rec[:1] in (b"R", b"C") or rec[1:2] in (b"R", b"C"):
            i += 1
    return out
