"""handrail init (placeholder)."""

from __future__ import annotations


class InitError(Exception):
    pass


def run_init(project, ci=None, force=False):
    raise InitError("not built yet")
