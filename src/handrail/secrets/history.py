"""Git history and staged changes as diffs of added lines, scanned in parallel and streamed.

History is `git log -p -U0` over every commit reachable from any ref, with the commit list split across
worker processes (each runs its own `git log --no-walk --stdin`). Output is read in blocks and cut at commit
boundaries, so memory stays flat however long the history is. A commit git cannot read (a missing object,
as in partial mirrors) is skipped and named, never silently dropped.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from handrail.core.git import git_env
from handrail.secrets.engine import Hit, Scanner

_BLOCK = 8 * 1024 * 1024
_MAX_CARRY = 64 * 1024 * 1024
_LOG_ARGS = ("-c", "core.quotepath=off", "-c", "diff.noprefix=false", "log", "--no-walk=unsorted", "--stdin",
             "-p", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", "--format=%x00%H")
# Deleted files only add `-` lines: skip them in ordinary commits (combined diffs do not need it).
_ORDINARY_ARGS = ("--diff-filter=d",)
# Merges get a combined diff, whose lines new against every parent are what the merge itself added (a conflict
# resolved by pasting a key). Rename detection against each parent would double its cost and adds nothing there.
_MERGE_ARGS = ("--cc", "--no-renames")


class HistoryError(Exception):
    """History cannot be read at all (not a repository, git missing)."""


@dataclass
class HistoryResult:
    hits: list[Hit] = field(default_factory=list)
    commits: int = 0
    order: dict[str, int] = field(default_factory=dict)  # sha -> position, newest first
    skipped: list[str] = field(default_factory=list)  # one line per commit that could not be read
    shallow: bool = False


def _git(repo: Path, *args: str, stdin: bytes | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True, env=git_env(),
                              timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HistoryError(f"git {args[0]} failed: {exc}") from exc


def list_commits(repo: Path) -> list[str]:
    return [sha for sha, _ in list_commits_with_parents(repo)]


def list_commits_with_parents(repo: Path, revisions: str | None = None) -> list[tuple[str, int]]:
    """Every commit reachable from any ref (or in `revisions`, e.g. `origin/main..HEAD`), newest first, with its
    number of parents."""
    if revisions is not None and (revisions.startswith("-") or not revisions.strip()):
        raise HistoryError(f"--range: {revisions!r} is not a revision range")
    spec = revisions.split() if revisions else ["--all"]
    out = _git(repo, "rev-list", "--parents", *spec, "--")
    if out.returncode != 0:
        msg = out.stderr.decode("utf-8", "replace").strip().splitlines()
        raise HistoryError(f"cannot list commits: {msg[-1] if msg else 'git rev-list failed'}")
    rows = []
    for line in out.stdout.decode().splitlines():
        shas = line.split()
        if shas:
            rows.append((shas[0], len(shas) - 1))
    return rows


def is_shallow(repo: Path) -> bool:
    out = _git(repo, "rev-parse", "--is-shallow-repository")
    return out.stdout.strip() == b"true"


# Set in the parent before forking; workers inherit it (compiled databases and lambdas do not pickle).
_SCANNER: Scanner | None = None
_PROGRESS: multiprocessing.sharedctypes.Synchronized | None = None  # type: ignore[name-defined]
_PATHSPEC: str | None = None


def scan_history(repo: Path, scanner: Scanner, workers: int | None = None,
                 progress: Callable[[int, int], None] | None = None, pathspec: str | None = None,
                 revisions: str | None = None) -> HistoryResult:
    """Every added line of every commit on every ref (under `pathspec` when a subfolder is scanned)."""
    global _SCANNER, _PROGRESS, _PATHSPEC
    _PATHSPEC = pathspec
    listed = list_commits_with_parents(repo, revisions)
    commits = [sha for sha, _ in listed]
    result = HistoryResult(commits=len(commits), order={c: i for i, c in enumerate(commits)},
                           shallow=is_shallow(repo))
    if not commits:
        return result
    ordinary = [sha for sha, n in listed if n < 2]
    merges = [sha for sha, n in listed if n >= 2]
    n = max(1, min(workers or os.cpu_count() or 1, len(commits) // 250 or 1))
    _SCANNER = scanner
    # Contiguous slices keep git's delta-base cache warm (neighbouring commits share objects); several slices
    # per worker, handed out as workers free up, even out commits of very different sizes.
    per_worker = max(1, min(4, len(ordinary) // 5000))
    tasks = [(str(repo), part, False) for part in _slices(ordinary, n * per_worker if n > 1 else 1)]
    tasks += [(str(repo), part, True) for part in _slices(merges, n if n > 1 else 1)]
    if n == 1:
        for task in tasks:
            hits, skipped = _scan_part(task)
            result.hits.extend(hits)
            result.skipped.extend(skipped)
        if progress:
            progress(len(commits), len(commits))
        result.hits = _full_blob_ids(repo, result.hits)
        return result
    ctx = multiprocessing.get_context("fork")
    _PROGRESS = ctx.Value("i", 0)
    try:
        with ctx.Pool(n) as pool:
            pending = pool.map_async(_scan_part, tasks, chunksize=1)
            while not pending.ready():
                pending.wait(0.2)
                if progress:
                    progress(_PROGRESS.value, len(commits))
            for hits, skipped in pending.get():
                result.hits.extend(hits)
                result.skipped.extend(skipped)
    finally:
        _PROGRESS = None
    if progress:
        progress(len(commits), len(commits))
    result.hits = _full_blob_ids(repo, result.hits)
    return result


def _full_blob_ids(repo: Path, hits: list[Hit]) -> list[Hit]:
    """Key files in history carry the abbreviated blob id of the diff's `index` line (asking git for full ids
    on every diff costs time); expand the few there are, so they match the same file in the tree."""
    short = sorted({h.value[5:] for h in hits if h.value.startswith("blob:") and len(h.value) < 45})
    if not short:
        return hits
    out = _git(repo, "cat-file", "--batch-check=%(objectname)", stdin="".join(f"{s}\n" for s in short).encode())
    full = dict(zip(short, out.stdout.decode().split("\n"), strict=False))
    return [Hit(h.rule, "blob:" + full[h.value[5:]], h.path, h.line, h.commit)
            if h.value.startswith("blob:") and len(full.get(h.value[5:], "")) == 40 else h for h in hits]


def _slices(items: list[str], count: int) -> list[list[str]]:
    if not items:
        return []
    size = -(-len(items) // count)
    return [items[i:i + size] for i in range(0, len(items), size)]


def _scan_part(args: tuple[str, list[str], bool]) -> tuple[list[Hit], list[str]]:
    repo, commits, merges = args
    assert _SCANNER is not None
    hits: list[Hit] = []
    skipped: list[str] = []
    remaining = commits
    batch = len(commits)
    while remaining:
        todo = remaining[:batch]
        last_seen, error = _run_log(Path(repo), todo, _SCANNER, hits, merges)
        if error is None:
            remaining = remaining[len(todo):]
            continue
        # git stopped at a commit it cannot read: name it and go on after it. Missing objects come in runs
        # (a mirror without its large files), and every restart re-reads its commit list, so go on in small
        # batches.
        idx = todo.index(last_seen) if last_seen in todo else 0
        skipped.append(f"commit {todo[idx]}: {error}")
        remaining = remaining[idx + 1:]
        batch = 64
    return hits, skipped


def _run_log(repo: Path, commits: list[str], scanner: Scanner, hits: list[Hit],
             merges: bool = False) -> tuple[str | None, str | None]:
    """Stream one `git log`; returns (last commit seen, git's error or None)."""
    spec = ["--", _PATHSPEC] if _PATHSPEC else []
    extra = _MERGE_ARGS if merges else _ORDINARY_ARGS
    proc = subprocess.Popen(["git", "-C", str(repo), *_LOG_ARGS, *extra, *spec], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=git_env())
    assert proc.stdin and proc.stdout and proc.stderr
    feed = "\n".join(commits).encode() + b"\n"
    errors: list[bytes] = []

    def write() -> None:
        try:
            proc.stdin.write(feed)  # type: ignore[union-attr]
            proc.stdin.close()  # type: ignore[union-attr]
        except OSError:
            pass

    def drain() -> None:
        errors.append(proc.stderr.read())  # type: ignore[union-attr]

    threads = [threading.Thread(target=write, daemon=True), threading.Thread(target=drain, daemon=True)]
    for t in threads:
        t.start()
    carry = b""
    last_seen: str | None = None
    read = proc.stdout.read
    while True:
        block = read(_BLOCK)
        if not block:
            break
        buf = carry + block
        cut = buf.rfind(b"\n\x00")
        if cut < 0 and len(buf) > _MAX_CARRY:
            cut = buf.rfind(b"\ndiff --")  # one enormous commit: cut between files, keep the commit header
        if cut <= 0:
            carry = buf
            continue
        done, carry = buf[:cut + 1], buf[cut + 1:]
        if not carry.startswith(b"\x00"):
            carry = _commit_header(done) + carry
        last_seen = _last_commit(done) or last_seen
        hits.extend(scanner.scan_diff(done))
        _tick(done)
    if carry:
        last_seen = _last_commit(carry) or last_seen
        hits.extend(scanner.scan_diff(carry))
        _tick(carry)
    code = proc.wait()
    for t in threads:
        t.join()
    if code != 0:
        text = b"".join(errors).decode("utf-8", "replace").strip().splitlines()
        return last_seen, (text[-1] if text else f"git log exited with {code}")
    return last_seen, None


def _commit_header(done: bytes) -> bytes:
    pos = done.rfind(b"\x00")
    return done[pos:pos + 41] + b"\n" if pos >= 0 else b""


def _last_commit(buf: bytes) -> str | None:
    pos = buf.rfind(b"\x00")
    return buf[pos + 1:pos + 41].decode("ascii", "replace") if pos >= 0 else None


def _tick(buf: bytes) -> None:
    if _PROGRESS is not None:
        with _PROGRESS.get_lock():
            _PROGRESS.value += buf.count(b"\x00")


def scan_staged(repo: Path, scanner: Scanner, pathspec: str | None = None) -> list[Hit]:
    """Added lines of the index against HEAD (or against nothing, before the first commit)."""
    spec = ["--", pathspec] if pathspec else []
    out = _git(repo, "-c", "core.quotepath=off", "diff", "--cached", "-U0", "--full-index", "--no-color",
               "--no-ext-diff", "--no-textconv", "--diff-filter=d", *spec)
    if out.returncode != 0:
        msg = out.stderr.decode("utf-8", "replace").strip().splitlines()
        raise HistoryError(f"cannot read staged changes: {msg[-1] if msg else 'git diff failed'}")
    return scanner.scan_diff(out.stdout)
