"""What `handrail secrets` and the `secrets` check scan: the working tree, staged changes, git history.

The project is read once (its file index) and each source becomes a list of hits; `findings.py` turns hits
into one finding per secret value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from handrail.core.finding import Location
from handrail.core.project import Project
from handrail.secrets.engine import Hit, Scanner
from handrail.secrets.rules import RULES, SecretRule

# Above this a text file is not read: the scan says so and is incomplete (a 60 MB minified bundle is still read).
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass
class ScanOutcome:
    rules: tuple[SecretRule, ...]
    hits: list[Hit] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)
    files: int = 0
    commits: int = 0
    order: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # one line each: what was not scanned and why
    incomplete: bool = False  # part of what was asked could not be read
    safeguards: list[Location] = field(default_factory=list)  # e.g. the .gitignore line that keeps .env out
    backend: str = ""


def load_rules(project: Project) -> tuple[tuple[SecretRule, ...], list[str]]:
    """Built-in rules plus the project's own (handrail.toml, imported gitleaks files)."""
    try:
        from handrail.secrets.custom import configured_rules
    except ImportError:  # pragma: no cover - custom rules are part of the package
        return RULES, []
    return configured_rules(project.root, project.config)


def scan_project(project: Project, *, tree: bool = True, history: bool = False, staged: bool = False,
                 workers: int | None = None, backend: str | None = None, revisions: str | None = None,
                 progress: Callable[[str, int, int], None] | None = None) -> ScanOutcome:
    rules, warnings = load_rules(project)
    scanner = Scanner(rules, backend)
    out = ScanOutcome(rules=rules, notes=list(warnings), backend=scanner.prefilter.name)
    excluded = _secrets_exclude(project)
    out.safeguards = _env_ignored(project)
    if tree:
        out.modes.append("tree")
        _scan_tree(project, scanner, out, excluded, progress)
    if staged or history:
        repo = project.git.toplevel
        if repo is None:
            out.notes.append(f"{project.root} is not a git repository: "
                             f"{'staged changes' if staged else 'history'} not scanned")
            out.incomplete = True
        else:
            from handrail.secrets.history import HistoryError, scan_history, scan_staged

            spec = _pathspec(project, repo)
            try:
                if staged:
                    out.modes.append("staged")
                    out.hits.extend(_relative(scan_staged(repo, scanner, spec), project, repo))
                if history:
                    out.modes.append("history")
                    res = scan_history(repo, scanner, workers=workers, pathspec=spec, revisions=revisions,
                                       progress=(lambda d, t: progress("history", d, t)) if progress else None)
                    out.hits.extend(_relative(res.hits, project, repo))
                    out.commits, out.order = res.commits, res.order
                    if res.shallow:
                        out.notes.append(f"shallow clone: only the {res.commits} commit(s) fetched were scanned; "
                                         "run `git fetch --unshallow` to scan all history")
                    if res.skipped:
                        out.incomplete = True
                        out.notes.append(f"{len(res.skipped)} commit(s) could not be read and were skipped "
                                         f"(first: {res.skipped[0]})")
            except HistoryError as exc:
                out.incomplete = True
                out.notes.append(str(exc))
    out.hits = [h for h in out.hits if not (excluded and excluded(h.path))]
    return out


def _env_ignored(project: Project) -> list[Location]:
    """The .gitignore line that keeps local .env files out of git: the usual safeguard against the usual leak."""
    for i, line in enumerate(project.lines(".gitignore") if project.exists(".gitignore") else [], 1):
        rule = line.strip()
        if rule.startswith(".env") or rule in ("*.env", "/.env", "/.env*", "**/.env"):
            return [Location(".gitignore", i, f"keeps {rule} files out of git")]
    return []


def _secrets_exclude(project: Project) -> Callable[[str], bool] | None:
    globs = list(getattr(getattr(project.config, "secrets", None), "exclude", None) or [])
    # Project-wide excludes already shape the file index; history paths need them applied too.
    globs += list(getattr(project.config, "exclude", None) or [])
    if not globs:
        return None
    from handrail.core.files import _excluded

    return lambda path: _excluded(path, globs)


def _pathspec(project: Project, repo: Path) -> str | None:
    try:
        rel = project.root.relative_to(repo.resolve()).as_posix()
    except ValueError:
        return None
    return None if rel in ("", ".") else rel


def _relative(hits: list[Hit], project: Project, repo: Path) -> list[Hit]:
    """Git reports paths from the repository top; reports use paths from the scanned root."""
    root = project.root
    if root == repo.resolve():
        return hits
    try:
        prefix = root.relative_to(repo.resolve()).as_posix() + "/"
    except ValueError:
        return hits
    return [Hit(h.rule, h.value, h.path[len(prefix):], h.line, h.commit) for h in hits if h.path.startswith(prefix)]


def _scan_tree(project: Project, scanner: Scanner, out: ScanOutcome, excluded: Callable[[str], bool] | None,
               progress: Callable[[str, int, int], None] | None) -> None:
    files = project.files
    entries = list(files)
    total = len(entries)
    big: list[str] = []
    for n, entry in enumerate(entries, 1):
        path = entry.path
        if excluded and excluded(path):
            continue
        if entry.is_symlink:
            continue  # the target is scanned where it lives inside the tree; outside it is not ours
        if entry.size > MAX_FILE_BYTES:
            if not files.is_binary(path) or _key_file(path):
                big.append(path)
            continue
        data = files.read_bytes(path, limit=MAX_FILE_BYTES)
        if data is None:
            continue
        out.files += 1
        if b"\0" in data[:8192] and not _key_file(path):
            continue
        out.hits.extend(scanner.scan_blob(data, path))
        if progress and n % 500 == 0:
            progress("tree", n, total)
    if big:
        out.incomplete = True
        out.notes.append(f"{len(big)} text file(s) over {MAX_FILE_BYTES // (1024 * 1024)} MB not scanned "
                         f"(first: {big[0]})")


def _key_file(path: str) -> bool:
    from handrail.secrets.engine import KEY_FILE_RX

    return KEY_FILE_RX.search(path) is not None
