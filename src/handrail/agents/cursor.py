"""Cursor hooks.

Facts from cursor.com/docs/agent/hooks and the Cupcake and hookshot harness references (read through the search
index): `.cursor/hooks.json` (project) or `~/.cursor/hooks.json` (user), `{"version": 1, "hooks": {event:
[{"command": ...}]}}`. Every input has hook_event_name, conversation_id, generation_id, workspace_roots (model,
cursor_version, user_email optional). beforeShellExecution/afterShellExecution: command, cwd (+ output, duration);
beforeMCPExecution/afterMCPExecution: tool_name, tool_input (an object, or a JSON string in older builds), url or
command of the server (+ result_json, duration); beforeReadFile: file_path, content, attachments; afterFileEdit:
file_path, edits [{old_string, new_string}]; beforeSubmitPrompt: prompt, attachments; stop: status, loop_count.
Newer builds add sessionStart, sessionEnd, preToolUse/postToolUse/postToolUseFailure and preCompact. Before-events
answer {"permission": "allow"|"deny"|"ask", "user_message", "agent_message"} (beforeReadFile: permission only, so an
ask there is a deny); beforeSubmitPrompt answers {"continue": true}; exit 2 also denies.

Cursor sends no tool-call id: pre and post events are paired by a hash of the conversation and the call.
Not verified here: whether Cursor's sessionStart accepts context for the model, so none is sent.
"""

from __future__ import annotations

from handrail.agents.adapter import JsonHookAdapter
from handrail.agents.base import HookEvent, Reply
from handrail.agents.common import action_from_tool, as_dict, dumps, exit_code_of, reason_text, synthetic_id, text
from handrail.policy.model import Action, Decision

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from typing import Any, ClassVar

EVENT_MAP = {"beforeShellExecution": "pre_tool", "beforeMCPExecution": "pre_tool", "beforeReadFile": "pre_tool",
             "preToolUse": "pre_tool", "afterShellExecution": "post_tool", "afterMCPExecution": "post_tool",
             "afterFileEdit": "post_tool", "postToolUse": "post_tool", "postToolUseFailure": "post_tool_failure",
             "beforeSubmitPrompt": "prompt", "stop": "stop", "sessionStart": "session_start",
             "sessionEnd": "session_end", "preCompact": "pre_compact"}


class CursorAdapter(JsonHookAdapter):
    name = "cursor"
    layout = "cursor"
    install_events: ClassVar[dict[str, str | None]] = {
        "beforeShellExecution": None, "afterShellExecution": None, "beforeMCPExecution": None,
        "afterMCPExecution": None, "beforeReadFile": None, "afterFileEdit": None, "beforeSubmitPrompt": None,
        "stop": None, "sessionStart": None, "sessionEnd": None, "preCompact": None}
    paths: ClassVar[dict[str, str]] = {"project": ".cursor/hooks.json", "user": ".cursor/hooks.json"}
    ignore_keys: ClassVar[tuple[str, ...]] = ("version",)

    def parse(self, raw: dict[str, Any], event_hint: str | None, root: str | None = None) -> HookEvent:
        raw_event = text(raw.get("hook_event_name")) or event_hint or ""
        event = EVENT_MAP.get(raw_event, "other")
        roots = raw.get("workspace_roots")
        first_root = roots[0] if isinstance(roots, list) and roots and isinstance(roots[0], str) else None
        cwd = text(raw.get("cwd")) or first_root
        session = text(raw.get("conversation_id")) or text(raw.get("session_id"))
        ev = HookEvent(agent=self.name, event=event, raw_event=raw_event, session_id=session, cwd=cwd, raw=raw)
        for key in ("generation_id", "status", "loop_count", "reason", "source", "trigger", "model"):
            if key in raw and not isinstance(raw[key], dict | list):
                ev.extra[key] = raw[key]
        root = root or first_root
        if raw_event in ("beforeShellExecution", "afterShellExecution"):
            cmd = text(raw.get("command")) or ""
            ev.action = Action(tool="shell", tool_name="Shell", command=cmd, cwd=cwd, root=root,
                               arguments={"command": cmd})
            ev.tool_use_id = text(raw.get("tool_use_id")) or synthetic_id(session, "shell", cmd, cwd)
        elif raw_event in ("beforeMCPExecution", "afterMCPExecution"):
            name = text(raw.get("tool_name")) or "mcp"
            args = as_dict(raw.get("tool_input"))
            ev.action = Action(tool="mcp", tool_name=name, arguments=args, cwd=cwd, root=root)
            ev.tool_use_id = text(raw.get("tool_use_id")) or synthetic_id(session, "mcp", name, args)
            if text(raw.get("url")) or text(raw.get("command")):
                ev.extra["server"] = text(raw.get("url")) or text(raw.get("command"))
        elif raw_event == "beforeReadFile":
            path = text(raw.get("file_path"))
            ev.action = Action(tool="read", tool_name="Read", path=path, cwd=cwd, root=root,
                               arguments={"file_path": path})  # never the file's content
        elif raw_event == "afterFileEdit":
            path = text(raw.get("file_path"))
            edits = raw.get("edits") if isinstance(raw.get("edits"), list) else []
            content = "\n".join(str(e.get("new_string", "")) for e in edits if isinstance(e, dict))
            ev.action = Action(tool="edit", tool_name="Edit", path=path, content=content or None, cwd=cwd,
                               root=root, arguments={"file_path": path, "edits": edits})
        elif text(raw.get("tool_name")) is not None:
            ev.action, paths = action_from_tool(raw["tool_name"], raw.get("tool_input"), cwd, root)
            if paths:
                ev.extra["paths"] = paths
            ev.tool_use_id = text(raw.get("tool_use_id")) or synthetic_id(session, raw["tool_name"],
                                                                          raw.get("tool_input"))
        if ev.event in ("post_tool", "post_tool_failure"):
            resp = raw.get("output", raw.get("result_json", raw.get("tool_output", raw.get("tool_response"))))
            ev.response = resp
            ev.exit_code = exit_code_of(raw) if exit_code_of(raw) is not None else exit_code_of(resp)
            if ev.event == "post_tool_failure":
                ev.error = text(raw.get("error")) or text(raw.get("error_message")) or "failed"
            dur = raw.get("duration", raw.get("duration_ms"))
            if isinstance(dur, int | float) and not isinstance(dur, bool):
                ev.duration_ms = int(dur)
        if event == "prompt":
            ev.prompt = text(raw.get("prompt"))
        return ev

    def reply(self, event: HookEvent, decision: Decision | None, context: str | None) -> Reply:
        if event.event == "pre_tool":
            if decision is None or decision.verdict == "allow":
                return Reply(stdout=dumps({"permission": "allow"}))
            verdict = "deny" if decision.verdict == "block" or event.raw_event == "beforeReadFile" else "ask"
            msg = reason_text(decision)
            if verdict == "deny" and decision.verdict == "ask":
                msg += " Needs a human's approval: run it yourself, or allow it in handrail.toml [[guard.rules]]."
            return Reply(stdout=dumps({"permission": verdict, "user_message": msg, "agent_message": msg}))
        if event.event == "prompt":
            return Reply(stdout=dumps({"continue": True}))
        return Reply(stdout="{}")

    def block_on_error(self, event: HookEvent | None, reason: str) -> Reply:
        return Reply(stdout=dumps({"permission": "deny", "user_message": reason, "agent_message": reason}),
                     stderr=reason, exit_code=2)


ADAPTER = CursorAdapter()
