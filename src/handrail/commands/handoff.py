"""`handrail handoff` and `handrail resume`."""

from __future__ import annotations

COMMANDS: list = []
