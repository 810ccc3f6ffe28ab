"""One adapter per coding agent (claude, codex, cursor, gemini); `get_adapter(name)` imports only the one asked for."""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from typing import Any

AGENTS = ("claude", "codex", "cursor", "gemini")


def get_adapter(name: str) -> Any:
    """The adapter for `name`; KeyError for an agent Handrail cannot hook."""
    if name not in AGENTS:
        raise KeyError(name)
    return importlib.import_module(f"handrail.agents.{name}").ADAPTER
