"""Where the working tree stands, asked of git: branch, HEAD, upstream, uncommitted files, diff stat and a hash.

Its own small git runner rather than core.git.GitReader: the handoff runs from the agent hook (Stop, SessionEnd),
which must not import the check machinery, and it needs a few questions GitReader does not ask.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from handrail.core.redact import redact, redact_line

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_UNTRACKED_HASH_LIMIT = 1024 * 1024  # bigger untracked files enter the diff hash by size and mtime only
_SECRETISH = re.compile(r"[A-Za-z0-9+/=]{32,}")
# The record's own files: writing them must not make the record describe (or go stale against) itself.
OWN = (":(exclude)HANDOFF.md", ":(exclude).handrail")


class _GitFailed(Exception):
    pass


@dataclass
class Change:
    status: str  # porcelain XY, e.g. " M", "A ", "??", "R "
    path: str  # display form: non-UTF-8 bytes as \xNN escapes
    orig: str | None = None  # rename/copy source
    raw: str = field(default="", repr=False)  # os.fsdecode form, to stat the file; never serialised

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"status": self.status, "path": self.path}
        if self.orig:
            out["orig"] = self.orig
        return out


@dataclass
class GitState:
    is_repo: bool
    error: str | None = None
    branch: str | None = None
    head: str | None = None
    head_subject: str | None = None
    head_time: str | None = None
    upstream: str | None = None
    ahead: int | None = None
    behind: int | None = None
    changes: list[Change] = field(default_factory=list)
    diff_stat: list[dict[str, object]] = field(default_factory=list)  # {path, added, removed} (None for binary)
    diff_hash: str | None = None  # sha256 over the diff against HEAD plus the untracked files
    top: str | None = field(default=None, repr=False)  # the repository's top level (porcelain paths are under it)

    def to_dict(self) -> dict[str, object]:
        return {"is_repo": self.is_repo, "error": self.error, "branch": self.branch, "head": self.head,
                "head_subject": self.head_subject, "head_time": self.head_time, "upstream": self.upstream,
                "ahead": self.ahead, "behind": self.behind, "uncommitted": [c.to_dict() for c in self.changes],
                "diff_stat": self.diff_stat, "diff_hash": self.diff_hash}


def display_name(raw: str) -> str:
    """A file name fit for JSON and Markdown: undecodable bytes become \\xNN, and a path part that looks like a
    pasted token (32+ base64-ish characters mixing letters and digits) is cut like any secret."""
    text = raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    parts = []
    for part in text.split("/"):
        if _SECRETISH.fullmatch(part) and any(c.isdigit() for c in part) and any(c.isalpha() for c in part):
            part = redact(part)
        parts.append(part)
    return "/".join(parts)


class Git:
    def __init__(self, root: Path) -> None:
        self.root = root

    def run(self, *args: str, ok: tuple[int, ...] = (0,)) -> bytes:
        env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}
        env.update({"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"})
        try:
            # The repository may be untrusted: never let its config run a program (fsmonitor, diff drivers).
            proc = subprocess.run(["git", "-c", "core.fsmonitor=false", "-c", "core.quotepath=false", *args],
                                  cwd=self.root, capture_output=True, timeout=30, env=env, check=False)
        except FileNotFoundError as exc:
            raise _GitFailed("git is not installed") from exc
        except subprocess.TimeoutExpired as exc:
            raise _GitFailed(f"git {args[0]} timed out") from exc
        if proc.returncode not in ok:
            msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise _GitFailed(f"git {args[0]}: {msg[-1] if msg else 'failed'}")
        return proc.stdout

    def text(self, *args: str) -> str:
        return self.run(*args).decode("utf-8", "replace").strip()


def git_state(root: Path) -> GitState:
    """Never raises: outside a repository (or without git) the state says so in `error`."""
    g = Git(root)
    try:
        top = g.text("rev-parse", "--show-toplevel")
    except _GitFailed as exc:
        msg = str(exc)
        return GitState(False, "not a git repository" if "not a git repository" in msg else msg)
    if not top:
        return GitState(False, "not a git repository")
    st = GitState(True, top=top)
    try:
        st.branch = redact_line(g.text("symbolic-ref", "--short", "-q", "HEAD") or "") or None
    except _GitFailed:
        st.branch = None  # detached HEAD
    try:
        out = g.run("log", "-1", "--format=%H%x00%s%x00%cI", "--no-show-signature").decode("utf-8", "replace")
        sha, subject, when = [*out.strip("\n").split("\x00"), "", ""][:3]
        st.head, st.head_subject, st.head_time = sha or None, redact_line(subject)[:200], when or None
    except _GitFailed:
        pass  # no commit yet
    if st.head:
        try:
            up = g.text("rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}")
            behind, ahead = g.text("rev-list", "--left-right", "--count", "@{u}...HEAD").split()
            st.upstream, st.ahead, st.behind = redact_line(up), int(ahead), int(behind)
        except (_GitFailed, ValueError):
            pass  # no upstream
    try:
        st.changes = _status(g)
        base = st.head or EMPTY_TREE
        st.diff_stat = _numstat(g, base)
        st.diff_hash = _diff_hash(g, Path(top), base, st.changes)
    except _GitFailed as exc:
        st.error = str(exc)
    return st


def _status(g: Git) -> list[Change]:
    raw = g.run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".", *OWN)
    recs = raw.split(b"\x00")
    out: list[Change] = []
    i = 0
    while i < len(recs):
        rec = recs[i]
        i += 1
        if len(rec) < 4:
            continue
        code = rec[:2].decode("ascii", "replace")
        path = os.fsdecode(rec[3:])
        orig = None
        if code[0] in "RC" or code[1] in "RC":
            orig = display_name(os.fsdecode(recs[i])) if i < len(recs) else None
            i += 1
        out.append(Change(code, display_name(path), orig, path))
    return out


def _numstat(g: Git, base: str) -> list[dict[str, object]]:
    raw = g.run("diff", base, "--numstat", "-z", "--no-ext-diff", "--no-textconv", "--", ".", *OWN)
    recs = raw.split(b"\x00")
    out: list[dict[str, object]] = []
    i = 0
    while i < len(recs):
        rec = recs[i]
        i += 1
        if not rec:
            continue
        parts = rec.split(b"\t", 2)
        if len(parts) < 3:
            continue
        added, removed, path = parts
        if path == b"" and i + 1 < len(recs):  # rename: "a\tb\t\0old\0new\0"
            path = recs[i + 1]
            i += 2
        out.append({"path": display_name(os.fsdecode(path)),
                    "added": int(added) if added.isdigit() else None,
                    "removed": int(removed) if removed.isdigit() else None})
    return out


def _diff_hash(g: Git, root: Path, base: str, changes: list[Change]) -> str:
    """Changes whenever the work differs from what was recorded: tracked edits via the binary diff, untracked
    files via their names and contents."""
    h = hashlib.sha256(g.run("diff", base, "--binary", "--no-ext-diff", "--no-textconv", "--", ".", *OWN))
    for c in sorted((c for c in changes if c.status == "??"), key=lambda c: c.raw):
        h.update(b"\x00untracked\x00" + os.fsencode(c.raw) + b"\x00")
        full = root / c.raw  # root is the top level here (git_state passes it)
        try:
            info = full.lstat()
            if full.is_file() and not full.is_symlink() and info.st_size <= _UNTRACKED_HASH_LIMIT:
                h.update(full.read_bytes())
            else:
                h.update(f"{info.st_size}:{info.st_mtime_ns}".encode())
        except OSError:
            h.update(b"?")
    return h.hexdigest()


def head_sha(root: Path) -> str | None:
    try:
        return Git(root).text("rev-parse", "--verify", "-q", "HEAD") or None
    except _GitFailed:
        return None


def changed_between(root: Path, old: str, new: str) -> list[str] | None:
    """Files (os.fsdecode form, relative to the top level) that differ between two commits; None when git cannot
    tell (e.g. `old` is gone)."""
    try:
        raw = Git(root).run("diff", "--name-only", "-z", "--no-ext-diff", old, new, "--")
    except _GitFailed:
        return None
    return [os.fsdecode(p) for p in raw.split(b"\x00") if p]


def last_commit_touching(root: Path, path: str) -> tuple[str, str | None] | None:
    """(sha, first parent) of the newest commit that changed `path`."""
    try:
        line = Git(root).text("log", "-1", "--format=%H %P", "--", path)
    except _GitFailed:
        return None
    parts = line.split()
    if not parts:
        return None
    return parts[0], (parts[1] if len(parts) > 1 else None)
