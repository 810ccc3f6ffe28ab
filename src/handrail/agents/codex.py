"""Codex CLI hooks.

Facts from openai/codex `codex-rs/hooks/schema/generated/*.command.{input,output}.schema.json` (read through the code
index) and developers.openai.com/codex/hooks: the wire format is Claude Code's (session_id, transcript_path|null, cwd,
hook_event_name, model, permission_mode, turn_id; tool events tool_name Bash|apply_patch|mcp__server__tool, tool_input,
tool_use_id; PostToolUse tool_response; SessionStart.source startup|resume|clear|compact; PreCompact.trigger;
Stop.stop_hook_active). Outputs are schemas with additionalProperties false: PreToolUse takes
hookSpecificOutput.permissionDecision allow|deny|ask + permissionDecisionReason, SessionStart takes
hookSpecificOutput.additionalContext, Stop takes no hookSpecificOutput. Config: <repo>/.codex/hooks.json or
~/.codex/hooks.json (CODEX_HOME), Claude's layout; project hooks run only in trusted projects.

Codex treats `ask`, unknown output fields, crashes and timeouts as a hook failure and runs the tool anyway
(openai/codex#41979), so every non-allow verdict is exit 2 with the reason on stderr: an `ask` becomes a deny whose
reason tells the human how to approve.
"""

from __future__ import annotations

import os

from handrail.agents.base import Reply
from handrail.agents.claude import ClaudeAdapter
from handrail.agents.common import ask_as_deny, reason_text

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from pathlib import Path
    from typing import ClassVar

    from handrail.policy.model import Decision

EVENT_MAP = {"PreToolUse": "pre_tool", "PostToolUse": "post_tool", "UserPromptSubmit": "prompt",
             "SessionStart": "session_start", "SessionEnd": "session_end", "Stop": "stop", "SubagentStop": "stop",
             "PreCompact": "pre_compact"}


class CodexAdapter(ClaudeAdapter):
    """Codex speaks Claude's shapes, except that `ask` (and unknown output) fails open there."""

    name = "codex"
    install_events: ClassVar[dict[str, str | None]] = {
        "PreToolUse": "*", "PostToolUse": "*", "UserPromptSubmit": None, "SessionStart": None, "Stop": None,
        "PreCompact": None}
    paths: ClassVar[dict[str, str]] = {"project": ".codex/hooks.json", "user": ".codex/hooks.json"}
    event_map: ClassVar[dict[str, str]] = EVENT_MAP

    def config_path(self, root: Path, scope: str) -> Path:
        if scope == "user" and os.environ.get("CODEX_HOME"):
            from pathlib import Path

            return Path(os.environ["CODEX_HOME"]) / "hooks.json"
        return super().config_path(root, scope)

    def refuse(self, decision: Decision) -> Reply:
        reason = reason_text(decision) if decision.verdict == "block" else ask_as_deny(decision)
        return Reply(stderr=reason, exit_code=2)


ADAPTER = CodexAdapter()
