"""Checkpoints anchored in git under refs/handrail/journal: a chain of commits, each holding one signed checkpoint
note (`checkpoint`) and the public key that signed it (`key`). The database can be replaced or truncated; the ref
(pushed, or simply outside the db file) still says how many entries existed and what their Merkle root was."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

REF = "refs/handrail/journal"
_ENV = {"GIT_AUTHOR_NAME": "handrail", "GIT_AUTHOR_EMAIL": "handrail@localhost", "GIT_COMMITTER_NAME": "handrail",
        "GIT_COMMITTER_EMAIL": "handrail@localhost", "GIT_TERMINAL_PROMPT": "0"}


@dataclass(frozen=True)
class Anchored:
    commit: str
    note: str
    public_key: str  # base64 raw Ed25519 key


def _git(root: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(root), *args], input=stdin, capture_output=True, text=True,
                          env={**os.environ, **_ENV}, timeout=20)


def is_repo(root: Path) -> bool:
    return (root / ".git").exists()


def _size_of(note: str) -> tuple[str, int]:
    lines = note.splitlines()
    return (lines[0], int(lines[1])) if len(lines) > 1 and lines[1].isdigit() else ("", -1)


def anchor(root: Path, note: str, public_key_b64: str) -> bool:
    """Add `note` on top of the ref unless the ref already holds a checkpoint at least as large for the same log
    (a slower concurrent writer must not move it backwards). Compare-and-swap, retried; never raises."""
    if not is_repo(root):
        return False
    try:
        origin, size = _size_of(note)
        for _ in range(5):
            old = _git(root, "rev-parse", "-q", "--verify", REF + "^{commit}").stdout.strip()
            if old:
                tip = _git(root, "cat-file", "blob", f"{old}:checkpoint")
                o_origin, o_size = _size_of(tip.stdout) if tip.returncode == 0 else ("", -1)
                if o_origin == origin and o_size >= size:
                    return True
            blob = _git(root, "hash-object", "-w", "--stdin", stdin=note).stdout.strip()
            key = _git(root, "hash-object", "-w", "--stdin", stdin=public_key_b64 + "\n").stdout.strip()
            if not blob or not key:
                return False
            listing = f"100644 blob {blob}\tcheckpoint\n100644 blob {key}\tkey\n"
            tree = _git(root, "mktree", stdin=listing).stdout.strip()
            parents = ["-p", old] if old else []
            message = f"handrail journal checkpoint {size}"
            commit = _git(root, "commit-tree", tree, *parents, "-m", message).stdout.strip()
            if not commit:
                return False
            upd = _git(root, "update-ref", REF, commit, old or "0" * 40)
            if upd.returncode == 0:
                return True
        return False
    except (OSError, subprocess.SubprocessError, ValueError):
        return False


def read_anchors(root: Path) -> list[Anchored]:
    """Every anchored checkpoint, oldest first (two git processes whatever the length)."""
    if not is_repo(root):
        return []
    try:
        revs = _git(root, "rev-list", "--first-parent", REF, "--")
        if revs.returncode != 0:
            return []
        commits = revs.stdout.split()[::-1]
        if not commits:
            return []
        batch = _git(root, "cat-file", "--batch", stdin="".join(f"{c}:checkpoint\n{c}:key\n" for c in commits))
    except (OSError, subprocess.SubprocessError):
        return []
    blobs: list[str] = []
    out = batch.stdout
    pos = 0
    while pos < len(out):
        nl = out.index("\n", pos)
        header = out[pos:nl].split()
        pos = nl + 1
        if len(header) < 3 or header[1] != "blob":
            blobs.append("")
            continue
        size = int(header[2])
        # sizes are in bytes; the notes are ASCII apart from the signature line's em dash
        data = out[pos:].encode("utf-8")[:size].decode("utf-8", "replace")
        blobs.append(data)
        pos += len(data) + 1
    return [Anchored(c, blobs[2 * i], blobs[2 * i + 1].strip()) for i, c in enumerate(commits)
            if 2 * i + 1 < len(blobs)]
