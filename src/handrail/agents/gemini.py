"""Gemini CLI hooks.

Facts from google-gemini/gemini-cli `docs/hooks/reference.md` and its source (fetched and read: hookPlanner.ts
treats matcher "*" or "" as match-all; mcp-tool.ts names MCP tools `mcp_<server>_<tool>`; hooks/types.ts
McpToolContext {server_name, tool_name, command, args, url}): input has session_id,
transcript_path, cwd, hook_event_name, timestamp; BeforeTool/AfterTool add tool_name, tool_input (mcp_context for MCP
tools, named `mcp_<server>_<tool>`), AfterTool tool_response {llmContent, returnDisplay, error?}; BeforeAgent has
prompt; AfterAgent prompt, prompt_response, stop_hook_active; SessionStart.source startup|resume|clear;
SessionEnd.reason exit|clear|logout|prompt_input_exit|other; PreCompress.trigger auto|manual. Exit 0 means stdout is
JSON (and nothing else may be printed there); exit 2 blocks with stderr as the reason; other codes warn. BeforeTool
answers {"decision": "deny", "reason": ...}; SessionStart may add hookSpecificOutput.additionalContext. Config:
.gemini/settings.json or ~/.gemini/settings.json, `hooks.{Event}: [{"matcher", "hooks": [{"type": "command",
"command"}]}]` (matchers are regexes for tool events; timeouts in milliseconds).

Gemini has no `ask`: an ask is a deny whose reason says how to approve. An allow is `{}` (never an explicit allow,
which could skip Gemini's own confirmation). Never exit 2 on AfterAgent: there it forces a retry.
"""

from __future__ import annotations

from handrail.agents.adapter import JsonHookAdapter
from handrail.agents.base import HookEvent, Reply
from handrail.agents.common import action_from_tool, ask_as_deny, dumps, exit_code_of, reason_text, synthetic_id, text
from handrail.policy.model import Decision

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from typing import Any, ClassVar

EVENT_MAP = {"BeforeTool": "pre_tool", "AfterTool": "post_tool", "BeforeAgent": "prompt", "AfterAgent": "stop",
             "SessionStart": "session_start", "SessionEnd": "session_end", "PreCompress": "pre_compact"}


class GeminiAdapter(JsonHookAdapter):
    name = "gemini"
    layout = "claude"
    install_events: ClassVar[dict[str, str | None]] = {
        "BeforeTool": "*", "AfterTool": "*", "BeforeAgent": None, "AfterAgent": None, "SessionStart": None,
        "SessionEnd": None, "PreCompress": None}
    paths: ClassVar[dict[str, str]] = {"project": ".gemini/settings.json", "user": ".gemini/settings.json"}

    def parse(self, raw: dict[str, Any], event_hint: str | None, root: str | None = None) -> HookEvent:
        raw_event = text(raw.get("hook_event_name")) or event_hint or ""
        event = EVENT_MAP.get(raw_event, "other")
        cwd = text(raw.get("cwd"))
        ev = HookEvent(agent=self.name, event=event, raw_event=raw_event, session_id=text(raw.get("session_id")),
                       cwd=cwd, raw=raw)
        for key in ("source", "reason", "trigger", "stop_hook_active", "timestamp", "original_request_name"):
            if key in raw and not isinstance(raw[key], dict | list):
                ev.extra[key] = raw[key]
        tool_name = text(raw.get("tool_name"))
        if tool_name is not None:
            ev.action, paths = action_from_tool(tool_name, raw.get("tool_input"), cwd, root,
                                                mcp=isinstance(raw.get("mcp_context"), dict))
            if paths:
                ev.extra["paths"] = paths
            ev.tool_use_id = synthetic_id(ev.session_id, tool_name, raw.get("tool_input"))
        if event == "post_tool":
            resp = raw.get("tool_response")
            ev.response = resp
            err = resp.get("error") if isinstance(resp, dict) else None
            if err:
                ev.event = "post_tool_failure"
                ev.error = err if isinstance(err, str) else (text(err.get("message")) if isinstance(err, dict)
                                                             else str(err))
            ev.exit_code = exit_code_of(resp)
            if ev.exit_code is None and ev.action is not None and ev.action.tool == "shell":
                ev.exit_code = 1 if err else 0
        if event == "prompt":
            ev.prompt = text(raw.get("prompt"))
        return ev

    def reply(self, event: HookEvent, decision: Decision | None, context: str | None) -> Reply:
        if event.event == "pre_tool" and decision is not None and decision.verdict != "allow":
            reason = reason_text(decision) if decision.verdict == "block" else ask_as_deny(decision)
            return Reply(stdout=dumps({"decision": "deny", "reason": reason}))
        if event.event == "session_start" and context:
            return Reply(stdout=dumps({"hookSpecificOutput": {"hookEventName": "SessionStart",
                                                              "additionalContext": context}}))
        return Reply(stdout="{}")

    def block_on_error(self, event: HookEvent | None, reason: str) -> Reply:
        return Reply(stderr=reason, exit_code=2)


ADAPTER = GeminiAdapter()
