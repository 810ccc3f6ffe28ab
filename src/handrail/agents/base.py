"""One interface per coding agent: read its hook JSON, answer in its protocol, install its config.

An adapter never decides anything; the hook runner (handrail.hook) asks the policy and the journal.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Protocol

    from handrail.policy.model import Action, Decision

# Normalised hook events, the same for every agent.
EVENTS = ("pre_tool", "post_tool", "post_tool_failure", "prompt", "session_start", "session_end", "stop",
          "pre_compact", "other")


class HookEvent:
    """A plain slotted class rather than a dataclass: the hook builds one per agent action and defining a
    dataclass costs about a millisecond at import."""

    __slots__ = ("action", "agent", "cwd", "duration_ms", "error", "event", "exit_code", "extra", "prompt", "raw",
                 "raw_event", "response", "session_id", "tool_use_id")

    def __init__(self, agent: str, event: str, raw_event: str, session_id: str | None = None, cwd: str | None = None,
                 tool_use_id: str | None = None, action: Action | None = None, response: Any = None,
                 exit_code: int | None = None, error: str | None = None, duration_ms: int | None = None,
                 prompt: str | None = None, extra: dict[str, Any] | None = None,
                 raw: dict[str, Any] | None = None) -> None:
        self.agent = agent  # claude | codex | cursor | gemini
        self.event = event  # one of EVENTS
        self.raw_event = raw_event  # the agent's own event name
        self.session_id = session_id
        self.cwd = cwd
        self.tool_use_id = tool_use_id
        self.action = action  # for tool events
        self.response = response  # post events: what the tool returned (raw, unredacted)
        self.exit_code = exit_code
        self.error = error
        self.duration_ms = duration_ms
        self.prompt = prompt  # prompt events
        self.extra: dict[str, Any] = extra if extra is not None else {}  # source/reason/stop_hook_active/paths ...
        self.raw: dict[str, Any] = raw if raw is not None else {}

    def __repr__(self) -> str:
        return f"HookEvent({self.agent}, {self.event}, {self.raw_event!r}, action={self.action!r})"


class Reply:
    """What the hook process writes and how it exits."""

    __slots__ = ("exit_code", "stderr", "stdout")

    def __init__(self, stdout: str = "", stderr: str = "", exit_code: int = 0) -> None:
        self.stdout, self.stderr, self.exit_code = stdout, stderr, exit_code

    def __repr__(self) -> str:
        return f"Reply(stdout={self.stdout!r}, stderr={self.stderr!r}, exit_code={self.exit_code})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reply) and (self.stdout, self.stderr, self.exit_code) == (
            other.stdout, other.stderr, other.exit_code)

    __hash__ = None  # type: ignore[assignment]


class InstallResult:
    __slots__ = ("changed", "message", "path")

    def __init__(self, path: Path, changed: bool, message: str) -> None:
        self.path, self.changed, self.message = path, changed, message

    def __repr__(self) -> str:
        return f"InstallResult({self.path}, changed={self.changed}, {self.message!r})"


if TYPE_CHECKING:  # the interface, for type checkers only: adapters need no base class at run time

    class Adapter(Protocol):
        name: str  # claude | codex | cursor | gemini

        def parse(self, raw: dict[str, Any], event_hint: str | None, root: str | None = None) -> HookEvent:
            """`event_hint` is the event name given on the command line, for agents whose JSON lacks it; `root` the
            project root when known (else Action.root is filled in by the runner)."""
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

        def block_on_error(self, event: HookEvent | None, reason: str) -> Reply:
            """The fail-closed answer when Handrail itself fails on a tool call (usually exit 2 + reason on stderr)."""
            ...
