"""What every command shares: the one-line error with exit 2, and the project folder argument checked once."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click


def fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"handrail: {message}", err=True)
    sys.exit(code)


def project_dir(path: str) -> Path:
    """`path` as a folder, or one line saying why it is not one."""
    root = Path(path)
    if not root.exists():
        fail(f"{path}: no such file or directory")
    if not root.is_dir():
        fail(f"{path}: not a directory")
    return root
