"""One interface per coding agent: read its hook JSON, answer in its protocol, install its config.

An adapter never decides anything; the hook runner (handrail.hook) asks the policy and the journal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from handrail.policy.model import Action, Decision

# Normalised hook events, the same for every agent.
EVENTS = ("pre_tool", "post_tool", "post_tool_failure", "prompt", "session_start", "session_end", "stop",
          "pre_compact", "other")


@dataclass
class HookEvent:
    agent: str  # claude | codex | cursor | gemini
    event: str  # one of EVENTS
    raw_event: str  # the agent's own event name
    session_id: str | None = None
    cwd: str | None = None
    tool_use_id: str | None = None
    action: Action | None = None  # for tool events
    response: Any = None  # post events: what the tool returned (raw, unredacted)
    exit_code: int | None = None
    error: str | None = None
    duration_ms: int | None = None
    prompt: str | None = None  # prompt events
    extra: dict[str, Any] = field(default_factory=dict)  # source/reason/stop_hook_active ...
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Reply:
    """What the hook process writes and how it exits."""

    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0


@dataclass
class InstallResult:
    path: Path
    changed: bool
    message: str


class Adapter(Protocol):
    name: str  # claude | codex | cursor | gemini

    def parse(self, raw: dict[str, Any], event_hint: str | None) -> HookEvent:
        """`event_hint` is the event name given on the command line, for agents whose JSON lacks it."""
        ...

    def reply(self, event: HookEvent, decision: Decision | None, context: str | None) -> Reply:
        """Answer in the agent's protocol. `context` is text to hand the model (SessionStart handoff)."""
        ...

    def config_path(self, root: Path, scope: str) -> Path:
        """scope: project (committed), local (per-machine project file), user (home)."""
        ...

    def install(self, root: Path, scope: str, command: str) -> InstallResult: ...

    def uninstall(self, root: Path, scope: str) -> InstallResult: ...

    def status(self, root: Path, scope: str) -> dict[str, Any]: ...
