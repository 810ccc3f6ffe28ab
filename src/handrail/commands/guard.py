"""`handrail guard install|status|uninstall` and `handrail hook AGENT` (its fast path is in handrail.entry)."""

from __future__ import annotations

import click


@click.group()
def guard() -> None:
    """Agent hooks that record every action and enforce a policy."""


COMMANDS = [guard]
