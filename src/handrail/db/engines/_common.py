"""Helpers the engines share: private dump files, URLs pointed at another database, and what a dump that checks
itself while it is written reports."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from handrail.db.engine import Snapshot


@dataclass(frozen=True)
class DumpResult:
    """What an engine's optional `backup_checked(target, dest)` learnt while writing the dump, so that
    `take_backup` reads nothing twice: the snapshot of the source as of the dump, the sha256 of the bytes written
    (fsynced), and the archive check done on the way ("" when none was, so the usual check runs)."""

    sha256: str
    snapshot: Snapshot
    check: str = ""


def private_file(path: Path) -> int:
    """Open a new file only the owner can read: a dump holds every row, password hashes included."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    return fd


def with_database(url: str, name: str) -> str:
    """`url` naming database `name` instead (scratch and swap databases live on the same server)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return urlunsplit(parts._replace(path="/" + quote(name))) if parts.scheme else url
