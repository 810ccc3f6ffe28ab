"""Renderers: one module per output format, each a `render(report, *, color) -> str`."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handrail.core.runner import Report

FORMATS = ("text", "json", "sarif", "markdown")


def render(report: Report, fmt: str, *, color: bool = False, quiet: bool = False) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    module = importlib.import_module(f"handrail.render.{fmt}_format")
    return module.render(report, color=color, quiet=quiet)
