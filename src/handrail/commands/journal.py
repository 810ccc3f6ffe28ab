"""`handrail journal tail|show|verify|export` and `handrail note`."""

from __future__ import annotations

import click


@click.group()
def journal() -> None:
    """The tamper-evident journal of agent and Handrail actions."""


COMMANDS = [journal]
