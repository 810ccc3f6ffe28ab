"""Helpers the server engines share: private dump files and URLs pointed at another database."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit


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
