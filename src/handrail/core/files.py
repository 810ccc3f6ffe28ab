"""One file index per run: which files exist, honouring .gitignore and exclusions.

In a git work tree the index comes from `git ls-files` (tracked plus untracked, not
ignored), which is what a reviewer of the repository would see and is fast on big
trees. Outside git it walks the folder, reading .gitignore files with pathspec.
Directory symlinks are never followed (no loops); names that are not UTF-8 survive
as surrogate-escaped strings and are shown with `display_path`.
"""

from __future__ import annotations

import bisect
import os
import re
import stat
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from fnmatch import translate as fnmatch_translate
from functools import lru_cache
from pathlib import Path, PurePosixPath

# Parsing beyond this is pointless for configuration and source and risky for memory.
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
BINARY_SNIFF = 8192

# Vendored dependencies: not the app's own code even when committed.
ALWAYS_SKIP_DIRS = frozenset({".git", "node_modules", "vendor", ".venv", "venv", "__pycache__"})
# Outside git there is no .gitignore guarantee, so build output is skipped as well.
WALK_SKIP_DIRS = ALWAYS_SKIP_DIRS | {".next", ".nuxt", "dist", "build", ".tox", ".mypy_cache", ".ruff_cache",
                                    ".pytest_cache", "target", ".terraform", ".svelte-kit", "coverage"}


def display_path(path: str) -> str:
    """Printable form of a path whose bytes may not be UTF-8."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class FileEntry:
    path: str  # POSIX, relative to the root
    size: int
    is_symlink: bool = False

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.path).suffix.lower()


class FileIndex:
    def __init__(self, root: Path, entries: Iterable[FileEntry], max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._entries: dict[str, FileEntry] = {e.path: e for e in entries}
        self._sorted = sorted(self._entries)
        root_str = os.fspath(root)
        self._prefix = root_str if root_str.endswith(os.sep) else root_str + os.sep
        self._glob_cache: dict[tuple[str, ...], list[str]] = {}
        self._by_name: dict[str, list[str]] | None = None

    # --- construction -------------------------------------------------------------
    @classmethod
    def build(cls, root: Path, exclude: Iterable[str] = (), in_git: bool = False,
              max_bytes: int = DEFAULT_MAX_BYTES) -> FileIndex:
        patterns = [p.strip() for p in exclude if p.strip()]
        paths = _git_paths(root) if in_git else None
        if paths is None:
            paths = list(_walk_paths(root))
        entries = []
        root_real = os.path.realpath(root)
        root_str = os.fspath(root)
        prefix = root_str if root_str.endswith(os.sep) else root_str + os.sep  # os.path.join, minus its cost
        skip = ALWAYS_SKIP_DIRS
        lstat = os.lstat
        for rel in paths:
            if patterns and _excluded(rel, patterns):
                continue
            if "/" in rel and not skip.isdisjoint(rel.split("/")[:-1]):
                continue
            full = prefix + rel
            try:
                st = lstat(full)
            except (OSError, ValueError):
                continue  # deleted in the work tree but still in the git index
            is_link = stat.S_ISLNK(st.st_mode)
            if is_link:
                try:
                    st = os.stat(full)
                except (OSError, RuntimeError, ValueError):
                    continue  # dangling or looping symlink
                if not stat.S_ISREG(st.st_mode) or not _inside(full, root_real):
                    continue  # a directory, or content that is not part of this repository
            elif not stat.S_ISREG(st.st_mode):
                continue  # submodule, socket, ...
            entries.append(FileEntry(rel, st.st_size, is_link))
        return cls(root, entries, max_bytes)

    # --- queries -------------------------------------------------------------------
    def __contains__(self, path: str) -> bool:
        return path in self._entries

    def __iter__(self) -> Iterator[FileEntry]:
        return (self._entries[p] for p in self._sorted)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, path: str) -> FileEntry | None:
        return self._entries.get(path)

    def paths(self) -> list[str]:
        return list(self._sorted)

    def glob(self, *patterns: str) -> list[str]:
        """Paths matching any fnmatch pattern (`*` also crosses `/`); `**/` also matches at the root."""
        if not patterns:
            return []
        hit = self._glob_cache.get(patterns)
        if hit is None:  # the index never changes, so each pattern set is matched once per run
            candidates: set[str] | None = set()
            for pat in patterns:
                for variant in (pat, pat[3:]) if pat.startswith("**/") else (pat,):
                    found = self._glob_candidates(variant)
                    if found is None:  # no cheaper way than trying every path
                        candidates = None
                        break
                    candidates.update(found)
                if candidates is None:
                    break
            # the regex is built only when some path must be tried: most pattern sets find no candidate
            if candidates is None:
                match = _glob_regex(patterns).match
                hit = [p for p in self._sorted if match(p)]
            elif candidates:
                match = _glob_regex(patterns).match
                hit = sorted(p for p in candidates if match(p))
            else:
                hit = []
            self._glob_cache[patterns] = hit
        return list(hit)

    def _glob_candidates(self, pat: str) -> Iterable[str] | None:
        """A superset of the paths `pat` matches, found without regex; None when only a full scan will do.

        fnmatch's `*` and `?` cross `/`, so a literal tail after the last `/` pins the basename, and a
        literal head pins a range of the sorted paths."""
        if "[" in pat:
            return None  # a character class may hold `/`: keep it simple and exact
        first = min((i for i in (pat.find("*"), pat.find("?")) if i >= 0), default=-1)
        if first < 0:
            return (pat,) if pat in self._entries else ()
        slash = pat.rfind("/")
        if slash > first and slash < len(pat) - 1 and not any(c in pat[slash:] for c in "*?"):
            return self._basenames().get(pat[slash + 1:], ())
        head = pat[:first]
        if head:
            lo = bisect.bisect_left(self._sorted, head)
            hi = lo
            while hi < len(self._sorted) and self._sorted[hi].startswith(head):
                hi += 1
            return self._sorted[lo:hi]
        chunk = max(re.split(r"[*?]", pat), key=len)
        return [p for p in self._sorted if chunk in p] if chunk else None

    def _basenames(self) -> dict[str, list[str]]:
        if self._by_name is None:
            by_name: dict[str, list[str]] = {}
            for p in self._sorted:
                by_name.setdefault(p.rsplit("/", 1)[-1], []).append(p)
            self._by_name = by_name
        return self._by_name

    def named(self, *names: str) -> list[str]:
        by_name = self._basenames()
        lists = [by_name[n] for n in dict.fromkeys(names) if n in by_name]
        if len(lists) == 1:
            return list(lists[0])
        return sorted(p for group in lists for p in group)

    def under(self, folder: str) -> list[str]:
        prefix = folder.rstrip("/") + "/"
        return [p for p in self._sorted if p.startswith(prefix)]

    def read_bytes(self, path: str, limit: int | None = None) -> bytes | None:
        """Bytes of a file, or None when missing, unreadable or over the size cap."""
        entry = self._entries.get(path)
        if entry is None:
            return None
        cap = self.max_bytes if limit is None else limit
        if entry.size > cap:
            return None
        limit = cap + 1
        try:
            # Unbuffered, sized by the index: asking for `limit` bytes up front allocates the whole cap per file,
            # which dominated reading 20k small files. Reading on until EOF keeps a grown file's bytes exact.
            with open(self._prefix + path, "rb", buffering=0) as fh:
                first = fh.read(min(entry.size, cap) + 1) or b""
                chunks = [first]
                got = len(first)
                while got < limit:
                    chunk = fh.read(min(limit - got, 65536))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    got += len(chunk)
        except OSError:
            return None
        data = first if len(chunks) == 1 else b"".join(chunks)
        return data[:cap]

    def is_binary(self, path: str) -> bool:
        try:
            with open(self._prefix + path, "rb") as fh:
                return b"\x00" in fh.read(BINARY_SNIFF)
        except OSError:
            return True


@lru_cache(maxsize=512)
def _glob_regex(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One compiled regex per pattern set: checks glob the index many times per run."""
    parts = []
    for pat in patterns:
        parts.append(fnmatch_translate(pat))
        if pat.startswith("**/"):
            parts.append(fnmatch_translate(pat[3:]))
    return re.compile("|".join(f"(?:{p})" for p in parts))


def _excluded(rel: str, patterns: list[str]) -> bool:
    for pat in patterns:
        pat = pat.rstrip("/")
        if fnmatch(rel, pat) or fnmatch(rel, pat + "/*") or rel.startswith(pat + "/"):
            return True
    return False


def _inside(path: str | Path, root_real: str) -> bool:
    real = os.path.realpath(path)
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


def _git_paths(root: Path) -> list[str] | None:
    from handrail.core.git import git_env

    try:
        proc = subprocess.run(
            ["git", "-c", "core.quotepath=off", "-c", "core.fsmonitor=false", "ls-files", "-z", "--cached",
             "--others", "--exclude-standard", "--deduplicate"],
            cwd=root, capture_output=True, timeout=120, check=False, env=git_env(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return [os.fsdecode(raw) for raw in proc.stdout.split(b"\x00") if raw]


def _walk_paths(root: Path) -> Iterator[str]:
    """Walk without git, applying every .gitignore on the way down like git does: deeper files
    override shallower ones (so a nested `!keep.log` re-includes), and an ignored directory is
    not entered at all (so nothing inside it can be re-included)."""
    import pathspec

    specs: list[tuple[str, pathspec.PathSpec]] = []  # (folder, spec), parents before children

    def ignored(rel: str, is_dir: bool) -> bool:
        verdict = False
        for base, spec in specs:
            if base and not rel.startswith(base + "/"):
                continue
            sub = rel[len(base) + 1:] if base else rel
            res = spec.check_file(sub + ("/" if is_dir else ""))
            if res.include is not None:
                verdict = res.include
        return verdict

    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir
        if ".gitignore" in filenames:
            try:
                text = (Path(dirpath) / ".gitignore").read_text("utf-8", "replace")
                specs.append((rel_dir, pathspec.GitIgnoreSpec.from_lines(text.splitlines())))
            except (OSError, ValueError):
                pass  # unreadable or an invalid pattern: git would skip it too

        keep = []
        for d in sorted(dirnames):
            rel = f"{rel_dir}/{d}" if rel_dir else d
            if d in WALK_SKIP_DIRS or ignored(rel, True):
                continue
            keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            rel = f"{rel_dir}/{f}" if rel_dir else f
            if not ignored(rel, False):
                yield rel
