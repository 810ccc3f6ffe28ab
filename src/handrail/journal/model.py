"""What the journal stores: an Event a caller appends, and the Entry it becomes once chained.

Kept free of heavy imports: the agent hook builds an Event on every tool call.
"""

from __future__ import annotations

from handrail.core.record import Record, factory

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from typing import Any

# Every entry has one kind; reports and the handoff group by it.
KINDS = ("tool_call", "decision", "prompt", "session", "migration", "backup", "restore", "deploy", "rollback",
         "check", "note", "handoff")


class Event(Record):
    """One thing that happened, before it is chained. `payload` is redacted by the journal before hashing."""

    kind: str
    summary: str  # one line, for `journal tail`; redacted by the journal too
    agent: str | None = None  # claude | codex | cursor | gemini; None for a human at the terminal
    session: str | None = None  # the agent's session / conversation id
    user: str | None = None  # OS user; filled in by the journal when None
    tool: str | None = None  # the agent's own tool name (Bash, Read, run_shell_command, mcp__x__y)
    tool_use_id: str | None = None  # pairs a pre event with its post event
    event: str | None = None  # the agent's own hook event name (PreToolUse, beforeShellExecution, ...)
    decision: str | None = None  # allow | ask | block, for policy decisions
    rule_id: str | None = None  # the policy rule behind `decision`
    exit_code: int | None = None
    cwd: str | None = None
    git_head: str | None = None
    payload: dict[str, Any] = factory(dict)


class Entry(Event):
    """An Event as stored: numbered, timestamped and chained to the one before."""

    seq: int = 0
    ts: str = ""  # RFC 3339 UTC with milliseconds, e.g. 2026-12-06T15:04:05.123Z
    payload_hash: str = ""  # sha256 hex of the canonical redacted payload
    prev_hash: str = ""  # hash of entry seq-1 ("0"*64 for seq 1)
    hash: str = ""  # sha256 hex over the domain tag, prev_hash and the canonical body
    mac: str | None = None  # HMAC-SHA256 of `hash` with the writer's key (outside the repository)
    key_id: str | None = None  # which writer key made `mac`
