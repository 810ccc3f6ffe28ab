"""Claude Code hooks.

Facts from `@anthropic-ai/claude-agent-sdk` 0.3.337 `sdk.d.ts`/`sdk-tools.d.ts` (installed with npm and read) and
code.claude.com/docs/en/hooks: every input has session_id, transcript_path, cwd, hook_event_name (permission_mode,
agent_id?); tool events add tool_name, tool_input, tool_use_id (mcp_server?); PostToolUse adds tool_response and
duration_ms; PostToolUseFailure adds error, is_interrupt; SessionStart.source is startup|resume|clear|compact|fork;
SessionEnd.reason clear|resume|logout|prompt_input_exit|other; PreCompact.trigger manual|auto. Exit 0 means stdout is
JSON; exit 2 blocks with stderr as the reason; other codes are non-blocking errors. PreToolUse answers with
hookSpecificOutput {hookEventName, permissionDecision allow|deny|ask|defer, permissionDecisionReason}; SessionStart
may add hookSpecificOutput.additionalContext. Config: .claude/settings.json, .claude/settings.local.json,
~/.claude/settings.json, `{"hooks": {Event: [{"matcher": "*", "hooks": [{"type": "command", "command": ...}]}]}}`.

An `allow` is answered with no output at all: an explicit "allow" would skip Claude Code's own permission prompt,
and the guard only ever adds restrictions.
"""

from __future__ import annotations

from handrail.agents.adapter import JsonHookAdapter
from handrail.agents.base import HookEvent, Reply
from handrail.agents.common import action_from_tool, dumps, exit_code_of, reason_text, text
from handrail.policy.model import Decision

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from typing import Any, ClassVar

EVENT_MAP = {"PreToolUse": "pre_tool", "PostToolUse": "post_tool", "PostToolUseFailure": "post_tool_failure",
             "UserPromptSubmit": "prompt", "SessionStart": "session_start", "SessionEnd": "session_end",
             "Stop": "stop", "SubagentStop": "stop", "PreCompact": "pre_compact"}


def parse_claude_shaped(agent: str, raw: dict[str, Any], event_hint: str | None, root: str | None,
                        event_map: dict[str, str]) -> HookEvent:
    """Claude Code and Codex share the wire format."""
    raw_event = text(raw.get("hook_event_name")) or event_hint or ""
    event = event_map.get(raw_event, "other")
    cwd = text(raw.get("cwd"))
    ev = HookEvent(agent=agent, event=event, raw_event=raw_event, session_id=text(raw.get("session_id")), cwd=cwd,
                   tool_use_id=text(raw.get("tool_use_id")), raw=raw)
    for key in ("source", "reason", "trigger", "stop_hook_active", "agent_id", "agent_type", "model", "turn_id",
                "permission_mode", "is_interrupt"):
        if key in raw and not isinstance(raw[key], dict | list):
            ev.extra[key] = raw[key]
    tool_name = text(raw.get("tool_name"))
    if tool_name is not None:
        action, paths = action_from_tool(tool_name, raw.get("tool_input"), cwd, root,
                                         mcp=isinstance(raw.get("mcp_server"), dict))
        ev.action = action
        if paths:
            ev.extra["paths"] = paths
    if event == "post_tool":
        ev.response = raw.get("tool_response")
        code = exit_code_of(ev.response)
        if code is None and ev.action is not None and ev.action.tool == "shell":
            resp = ev.response if isinstance(ev.response, dict) else {}
            code = 130 if resp.get("interrupted") else 0
        ev.exit_code = code
    elif event == "post_tool_failure":
        ev.error = text(raw.get("error")) or "failed"
        code = exit_code_of(ev.error)
        ev.exit_code = code if code is not None else (130 if raw.get("is_interrupt") else 1)
    if isinstance(raw.get("duration_ms"), int | float):
        ev.duration_ms = int(raw["duration_ms"])
    if event == "prompt":
        ev.prompt = text(raw.get("prompt"))
    return ev


class ClaudeAdapter(JsonHookAdapter):
    name = "claude"
    layout = "claude"
    install_events: ClassVar[dict[str, str | None]] = {
        "PreToolUse": "*", "PostToolUse": "*", "PostToolUseFailure": "*", "UserPromptSubmit": None,
        "SessionStart": None, "SessionEnd": None, "Stop": None, "PreCompact": None}
    paths: ClassVar[dict[str, str]] = {"project": ".claude/settings.json", "local": ".claude/settings.local.json",
                                       "user": ".claude/settings.json"}
    event_map: ClassVar[dict[str, str]] = EVENT_MAP

    def parse(self, raw: dict[str, Any], event_hint: str | None, root: str | None = None) -> HookEvent:
        return parse_claude_shaped(self.name, raw, event_hint, root, self.event_map)

    def reply(self, event: HookEvent, decision: Decision | None, context: str | None) -> Reply:
        if event.event == "pre_tool" and decision is not None and decision.verdict != "allow":
            return self.refuse(decision)
        if event.event == "session_start" and context:
            return Reply(stdout=dumps({"hookSpecificOutput": {"hookEventName": "SessionStart",
                                                              "additionalContext": context}}))
        return Reply()

    def refuse(self, decision: Decision) -> Reply:
        """A block or ask: Claude Code reads either from permissionDecision."""
        verdict = "deny" if decision.verdict == "block" else "ask"
        out = {"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": verdict,
                                      "permissionDecisionReason": reason_text(decision)}}
        return Reply(stdout=dumps(out))

    def block_on_error(self, event: HookEvent | None, reason: str) -> Reply:
        return Reply(stderr=reason, exit_code=2)


ADAPTER = ClaudeAdapter()
