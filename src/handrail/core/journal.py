"""Where Handrail's agent journal lives: `.handrail/journal*`, usually git-ignored, so found on disk, not in git.

agent-log and handoff both ask whether it exists; the journal writer (a later release) will use the same place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handrail.core.project import Project

JOURNAL_DIR = ".handrail"


def find_journal(project: Project) -> str | None:
    """The repository-relative path of the first `.handrail/journal*` entry, or None (also when `.handrail` is a
    symlink, which could point outside the repository)."""
    base = project.root / JOURNAL_DIR
    if not base.is_dir() or base.is_symlink():
        return None
    try:
        for child in sorted(base.iterdir()):
            if child.name.startswith("journal"):
                return f"{JOURNAL_DIR}/{child.name}"
    except OSError:
        return None
    return None
