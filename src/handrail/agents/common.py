"""Helpers every adapter shares: reading tool inputs safely, synthetic call ids, small JSON replies.

Kept to the standard library: the hook imports this module on every agent action.
"""

from __future__ import annotations

import json
import re

from handrail.policy.model import Action, Decision

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from typing import Any

MAX_TEXT = 2000  # characters of any one string kept in the journal payload

_EXIT_PATTERN = r"(?i)\bexit(?:ed with)?[ _-]?code[\s:=]+(-?\d+)"


def text(value: Any) -> str | None:
    """A non-empty string, or None."""
    return value if isinstance(value, str) and value != "" else None


def as_dict(value: Any) -> dict[str, Any]:
    """Tool input as a dict: some agents send it JSON-encoded (Cursor MCP), some send nothing."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            loaded = json.loads(value)
        except ValueError:
            return {"raw": value}
        return loaded if isinstance(loaded, dict) else {"raw": value}
    if value is None:
        return {}
    return {"raw": value}


def clip(value: Any, limit: int = MAX_TEXT, depth: int = 0) -> Any:
    """A copy small enough for the journal: long strings cut, deep or huge structures summarised."""
    if isinstance(value, str):
        return value if len(value) <= limit else value[:limit] + f"... [{len(value) - limit} more chars]"
    if depth > 6:
        return "[nested too deep]"
    if isinstance(value, dict):
        items = list(value.items())
        out = {str(k): clip(v, limit, depth + 1) for k, v in items[:100]}
        if len(items) > 100:
            out["..."] = f"{len(items) - 100} more keys"
        return out
    if isinstance(value, list | tuple):
        out_list = [clip(v, limit, depth + 1) for v in value[:100]]
        if len(value) > 100:
            out_list.append(f"... {len(value) - 100} more items")
        return out_list
    if value is None or isinstance(value, bool | int | float):
        return value
    return clip(str(value), limit, depth)


def output_text(value: Any) -> str:
    """Readable text of a tool's output (stdout+stderr of a shell, the text of an MCP result)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        parts = []
        for key in ("stdout", "output", "llmContent", "returnDisplay", "content", "result", "stderr", "error"):
            v = value.get(key)
            if isinstance(v, str) and v:
                parts.append(v)
            elif isinstance(v, list):
                parts.extend(str(x.get("text")) for x in v if isinstance(x, dict) and x.get("text"))
        if parts:
            return "\n".join(parts)
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def exit_code_of(response: Any) -> int | None:
    """The exit status a tool reported, from an explicit field or an `Exit code: N` line."""
    if isinstance(response, dict):
        for key in ("exit_code", "exitCode", "returncode", "status_code"):
            v = response.get(key)
            if isinstance(v, int) and not isinstance(v, bool):
                return v
    m = re.search(_EXIT_PATTERN, output_text(response)[:20000]) if response is not None else None
    return int(m.group(1)) if m else None


def synthetic_id(*parts: Any) -> str:
    """A stable id pairing a pre event with its post event when the agent sends none (Cursor, Gemini)."""
    import hashlib

    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return "h-" + hashlib.sha256(blob.encode("utf-8", "replace")).hexdigest()[:16]


def dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False)


def one_line(s: str, limit: int = 400) -> str:
    s = " ".join(s.split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def reason_text(decision: Decision) -> str:
    """The reason an agent and its human see, always naming the rule."""
    reason = one_line(decision.reason or "no reason given")
    return f"Handrail {decision.verdict}: {reason} [rule {decision.rule_id}]"


APPROVE_HINT = ("This agent cannot ask you here; to let it through, run the command yourself, or add a "
                "[[guard.rules]] entry with decision = \"allow\" to handrail.toml.")


def ask_as_deny(decision: Decision) -> str:
    """For agents without a working `ask` (Codex, Gemini): deny, telling the human how to approve."""
    return f"{reason_text(decision)} Needs a human's approval. {APPROVE_HINT}"


# Tool-name tables shared by the Claude-shaped protocols (Claude Code, Codex; Cursor's preToolUse).
SHELL_NAMES = frozenset({"bash", "shell", "run_shell_command", "exec_command", "local_shell", "container.exec",
                         "unified_exec", "terminal", "run_terminal_cmd"})
READ_NAMES = frozenset({"read", "read_file", "read_many_files", "view", "notebookread"})
WRITE_NAMES = frozenset({"write", "write_file", "create_file"})
EDIT_NAMES = frozenset({"edit", "multiedit", "notebookedit", "replace", "apply_patch", "str_replace",
                        "str_replace_editor", "edit_file", "search_replace", "delete_file"})
FETCH_NAMES = frozenset({"webfetch", "web_fetch", "fetch"})
SEARCH_NAMES = frozenset({"grep", "glob", "ls", "websearch", "web_search", "google_web_search", "search_file_content",
                          "list_directory", "codebase_search", "grep_search", "file_search", "list_dir", "toolsearch"})

_PATCH_FILE_PATTERN = r"(?m)^\*\*\* (?:Add|Update|Delete) File: (.+?)\s*$|^\*\*\* Move to: (.+?)\s*$"


def patch_paths(patch: str) -> list[str]:
    """Files an apply_patch envelope touches (`*** Update File: path` ...)."""
    return [m.group(1) or m.group(2) for m in re.finditer(_PATCH_FILE_PATTERN, patch)]


def action_from_tool(tool_name: str, tool_input: Any, cwd: str | None, root: str | None,
                     mcp: bool = False) -> tuple[Action, list[str]]:
    """Normalise one tool call; also returns every path it touches (a patch may touch several)."""
    args = as_dict(tool_input)
    low = tool_name.lower()
    if mcp or low.startswith("mcp__") or low.startswith("mcp_"):
        return Action(tool="mcp", tool_name=tool_name, arguments=args, cwd=cwd, root=root), []
    if low in SHELL_NAMES:
        cmd = args.get("command", args.get("cmd"))
        if isinstance(cmd, list):
            cmd = " ".join(str(x) for x in cmd)
        wd = text(args.get("dir_path")) or text(args.get("directory")) or text(args.get("workdir")) or cwd
        if wd and cwd and not wd.startswith("/"):
            wd = cwd.rstrip("/") + "/" + wd
        return Action(tool="shell", tool_name=tool_name, command=text(cmd) or "", arguments=args, cwd=wd,
                      root=root), []
    path = (text(args.get("file_path")) or text(args.get("absolute_path")) or text(args.get("notebook_path"))
            or text(args.get("path")) or text(args.get("target_file")))
    if low == "apply_patch":
        patch = text(args.get("command")) or text(args.get("input")) or text(args.get("patch")) or text(args.get("raw"))
        if isinstance(args.get("command"), list):
            patch = "\n".join(str(x) for x in args["command"])
        paths = patch_paths(patch or "")
        return Action(tool="edit", tool_name=tool_name, path=paths[0] if paths else None, content=patch,
                      arguments=args, cwd=cwd, root=root), paths
    if low in READ_NAMES:
        paths = [p for p in args.get("paths", []) if isinstance(p, str)] if isinstance(args.get("paths"), list) else []
        first = path or (paths[0] if paths else None)
        return Action(tool="read", tool_name=tool_name, path=first, arguments=args, cwd=cwd, root=root), (
            paths if len(paths) > 1 else [])
    if low in WRITE_NAMES:
        return Action(tool="write", tool_name=tool_name, path=path, content=text(args.get("content")),
                      arguments=args, cwd=cwd, root=root), []
    if low in EDIT_NAMES:
        content = text(args.get("new_string")) or text(args.get("new_source")) or text(args.get("content"))
        if content is None and isinstance(args.get("edits"), list):
            content = "\n".join(str(e.get("new_string", "")) for e in args["edits"] if isinstance(e, dict))
        return Action(tool="edit", tool_name=tool_name, path=path, content=content, arguments=args, cwd=cwd,
                      root=root), []
    if low in FETCH_NAMES:
        url = text(args.get("url"))
        if url is None and isinstance(args.get("prompt"), str):
            m = re.search(r"https?://\S+", args["prompt"])
            url = m.group(0) if m else None
        return Action(tool="fetch", tool_name=tool_name, url=url, arguments=args, cwd=cwd, root=root), []
    if low in SEARCH_NAMES:
        return Action(tool="search", tool_name=tool_name, path=path, arguments=args, cwd=cwd, root=root), []
    return Action(tool="other", tool_name=tool_name, path=path, arguments=args, cwd=cwd, root=root), []
