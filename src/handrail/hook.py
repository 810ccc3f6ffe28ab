"""`handrail hook AGENT [EVENT]`: the process an agent starts on every hook event.

It reads the agent's JSON from stdin, asks the policy about tool calls, appends to the journal, refreshes the
handoff at the end of a session or turn, and answers in the agent's own protocol (agents/<agent>.py). It runs on
every agent action, so it imports only the standard library up front (no click, pydantic or rich) and loads the
policy, journal and handoff only when the event needs them.

Fail closed: any internal error while handling a tool call that has not run yet (bad handrail.toml, journal not
writable, a policy crash) blocks that call with one line naming the cause, unless `[guard] fail_closed = false`.
On other events an internal error never blocks the agent; it is reported on stderr. No traceback is printed unless
HANDRAIL_DEBUG=1.
"""

from __future__ import annotations

import contextlib
import os
import sys

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from pathlib import Path  # pathlib pulls urllib.parse and ipaddress (~7 ms): the hot path uses str
    from typing import Any

MAX_STDIN = 8 * 1024 * 1024
USAGE = "usage: handrail hook claude|codex|cursor|gemini [EVENT]  (reads the agent's hook JSON on stdin)"
PRE_EVENTS = frozenset({"PreToolUse", "BeforeTool", "beforeShellExecution", "beforeMCPExecution", "beforeReadFile",
                        "preToolUse"})


class HookInputError(Exception):
    """The agent's input could not be read (one line)."""


def main(argv: list[str]) -> int:
    debug = os.environ.get("HANDRAIL_DEBUG") == "1"
    if not argv or argv[0] in ("-h", "--help"):
        sys.stderr.write(USAGE + "\n")
        return 2
    agent, hint = argv[0], (argv[1] if len(argv) > 1 else None)
    if len(argv) > 2:
        sys.stderr.write(f"handrail hook: too many arguments\n{USAGE}\n")
        return 2
    try:
        from handrail.agents import get_adapter

        adapter = get_adapter(agent)
    except KeyError:
        sys.stderr.write(f"handrail hook: unknown agent {agent!r} (expected claude, codex, cursor or gemini); "
                         "blocked\n")
        return 2
    runner = _Runner(agent, adapter, hint, debug)
    try:
        return runner.run()
    except BaseException as exc:  # the last line of defence: never a traceback, never fail open on a tool call
        if isinstance(exc, SystemExit):
            raise
        return runner.internal_error(exc)


class _Runner:
    def __init__(self, agent: str, adapter: Any, hint: str | None, debug: bool) -> None:
        self.agent, self.adapter, self.hint, self.debug = agent, adapter, hint, debug
        self.event: Any = None
        self.root: str | None = None
        self.policy: Any = None
        self.journal: Any = None

    # --- the flow --------------------------------------------------------------------------------------------
    def run(self) -> int:
        raw = _read_stdin()
        ev = self.adapter.parse(raw, self.hint)
        self.event = ev
        if ev.event == "other":
            name = ev.raw_event or "(no hook_event_name)"
            sys.stderr.write(f"handrail hook: {self.agent} event {name!r} is not one Handrail handles; ignored\n")
            return self.emit(self.adapter.reply(ev, None, None))
        self.root = _find_root(ev.cwd)
        if ev.action is not None and ev.action.root is None:
            ev.action = ev.action.replace(root=self.root, cwd=ev.action.cwd or self.root)
        if ev.event == "pre_tool":
            return self.pre_tool(ev)
        return self.other(ev)

    def pre_tool(self, ev: Any) -> int:
        try:
            decision = self.decide(ev)
        except Exception as exc:
            return self.internal_error(exc, cause=_cause(exc, "policy"))
        try:
            self.append(self.tool_event(ev, decision))
        except Exception as exc:
            return self.internal_error(exc, cause=_cause(exc, "journal"))
        finally:
            self.close()
        return self.emit(self.adapter.reply(ev, decision, None))

    def other(self, ev: Any) -> int:
        problems: list[str] = []
        context = None
        try:
            self.append(self.tool_event(ev, None) if ev.action is not None or ev.event.startswith("post_tool")
                        else self.plain_event(ev))
            if ev.event == "session_end":
                self.journal.checkpoint("session_end")
        except Exception as exc:
            problems.append(_cause(exc, "journal"))
            self._debug(exc)
        if ev.event in ("stop", "session_end", "pre_compact"):
            try:
                from pathlib import Path

                from handrail import handoff

                handoff.write(Path(self.root), self.journal)
            except Exception as exc:
                problems.append(_cause(exc, "handoff"))
                self._debug(exc)
        self.close()
        if ev.event == "session_start":
            try:
                from pathlib import Path

                from handrail import handoff

                context = handoff.context(Path(self.root))
            except Exception as exc:
                problems.append(_cause(exc, "handoff"))
                self._debug(exc)
        reply = self.adapter.reply(ev, None, context)
        if problems:
            reply.stderr = (reply.stderr + "\n" if reply.stderr else "") + "handrail hook: " + "; ".join(problems)
            reply.exit_code = reply.exit_code or 1  # reported, never blocking
        return self.emit(reply)

    # --- policy and journal ----------------------------------------------------------------------------------
    def decide(self, ev: Any) -> Any:
        from handrail.policy.engine import decide, load_policy
        from handrail.policy.model import VERDICT_ORDER, Decision

        self.policy = load_policy(self.root)
        if ev.action is None:
            return Decision("ask", "unreadable-tool-call", "the tool call could not be read; a human should look")
        actions = [ev.action]
        paths = ev.extra.get("paths") or []
        if len(paths) > 1:
            actions = [ev.action.replace(path=p) for p in paths]
        worst = None
        for action in actions:
            d = decide(action, self.policy)
            if worst is None or VERDICT_ORDER[d.verdict] > VERDICT_ORDER[worst.verdict]:
                worst = d
        return worst

    def append(self, event: Any) -> None:
        from handrail.journal import open_journal

        if self.journal is None:
            self.journal = open_journal(self.root, timeout=10.0)
        self.journal.append(event)

    def close(self) -> None:
        if self.journal is not None:
            with contextlib.suppress(Exception):
                self.journal.close()
            self.journal = None

    def tool_event(self, ev: Any, decision: Any) -> Any:
        from handrail.agents.common import clip, one_line, output_text
        from handrail.journal.model import Event

        a = ev.action
        tool = a.tool_name if a is not None else (ev.raw.get("tool_name") or "tool")
        what = a.command or a.path or a.url or "" if a is not None else ""
        label = f"{tool}: {one_line(what, 160)}" if what else str(tool)
        payload: dict[str, Any] = {"input": clip(a.arguments) if a is not None else None}
        if ev.event == "pre_tool":
            verdict = decision.verdict if decision is not None else None
            payload.update(phase="pre", reason=decision.reason if decision is not None else None)
            if verdict == "block":
                summary = f"blocked {label} ({decision.rule_id})"
            elif verdict == "ask":
                summary = f"ask {label} ({decision.rule_id})"
            else:
                summary = label
            return Event(kind="tool_call", summary=summary, agent=self.agent, session=ev.session_id, tool=tool,
                         tool_use_id=ev.tool_use_id, event=ev.raw_event, decision=verdict,
                         rule_id=decision.rule_id if decision is not None else None, cwd=ev.cwd or self.root,
                         git_head=git_head(self.root), payload=payload)
        failure = ev.event == "post_tool_failure"
        payload.update(phase="failure" if failure else "post", duration_ms=ev.duration_ms,
                       output=clip(output_text(ev.response)) if ev.response is not None else None,
                       error=clip(ev.error) if ev.error else None)
        code = f" -> exit {ev.exit_code}" if ev.exit_code is not None else (" -> failed" if failure else "")
        return Event(kind="tool_call", summary=f"{label}{code}", agent=self.agent, session=ev.session_id, tool=tool,
                     tool_use_id=ev.tool_use_id, event=ev.raw_event, exit_code=ev.exit_code,
                     cwd=ev.cwd or self.root, git_head=git_head(self.root), payload=payload)

    def plain_event(self, ev: Any) -> Any:
        from handrail.agents.common import clip, one_line
        from handrail.journal.model import Event

        if ev.event == "prompt":
            prompt = ev.prompt or ""
            return Event(kind="prompt", summary=f"prompt: {one_line(prompt, 120)}", agent=self.agent,
                         session=ev.session_id, event=ev.raw_event, cwd=ev.cwd, payload={"prompt": clip(prompt)})
        payload: dict[str, Any] = {"phase": ev.event}
        for key in ("source", "reason", "trigger", "status", "stop_hook_active"):
            if key in ev.extra:
                payload[key] = ev.extra[key]
        detail = next((str(ev.extra[k]) for k in ("source", "reason", "trigger", "status") if k in ev.extra), "")
        summary = ev.event.replace("_", " ") + (f" ({detail})" if detail else "")
        return Event(kind="session", summary=summary, agent=self.agent, session=ev.session_id, event=ev.raw_event,
                     cwd=ev.cwd, git_head=git_head(self.root) if self.root else None, payload=payload)

    # --- output ----------------------------------------------------------------------------------------------
    def emit(self, reply: Any) -> int:
        if reply.stdout:
            sys.stdout.write(reply.stdout if reply.stdout.endswith("\n") else reply.stdout + "\n")
            sys.stdout.flush()
        if reply.stderr:
            sys.stderr.write(reply.stderr if reply.stderr.endswith("\n") else reply.stderr + "\n")
        return int(reply.exit_code)

    def internal_error(self, exc: BaseException, cause: str | None = None) -> int:
        self._debug(exc)
        cause = cause or _cause(exc, "internal error")
        self.close()
        ev = self.event
        is_pre = ev.event == "pre_tool" if ev is not None else (self.hint is None or self.hint in PRE_EVENTS)
        if not is_pre:
            sys.stderr.write(f"handrail hook: {cause} (not blocking: this event cannot be undone)\n")
            return 1
        if not fail_closed(self.root or _find_root(ev.cwd if ev is not None else None)):
            sys.stderr.write(f"handrail hook: {cause}; allowed because [guard] fail_closed = false\n")
            return 0
        reason = (f"Handrail blocked this call: {cause} (the guard fails closed; fix the cause, or set [guard] "
                  "fail_closed = false in handrail.toml to allow calls when the guard itself fails)")
        return self.emit(self.adapter.block_on_error(ev, reason))

    def _debug(self, exc: BaseException) -> None:
        if self.debug:
            import traceback

            traceback.print_exception(exc, file=sys.stderr)


# --- helpers ---------------------------------------------------------------------------------------------------
def _read_stdin() -> dict[str, Any]:
    import json

    stream = sys.stdin.buffer if sys.stdin is not None else None
    if stream is None or sys.stdin.isatty():
        raise HookInputError("no hook JSON on stdin (an agent runs this command and pipes its event in)")
    data = stream.read(MAX_STDIN + 1)
    if len(data) > MAX_STDIN:
        raise HookInputError(f"hook input larger than {MAX_STDIN // (1024 * 1024)} MB")
    if not data.strip():
        raise HookInputError("empty hook input on stdin (expected the agent's JSON)")
    try:
        raw = json.loads(data)
    except ValueError as exc:
        raise HookInputError(f"hook input is not JSON ({str(exc).split(':')[0]})") from None
    if not isinstance(raw, dict):
        raise HookInputError("hook input is not a JSON object")
    return raw


def _cause(exc: BaseException, area: str) -> str:
    if isinstance(exc, HookInputError):
        return str(exc)
    msg = " ".join(str(exc).split())[:300]
    name = exc.__class__.__name__
    known = {"PolicyConfigError", "JournalError", "HandoffError", "SettingsError"}
    if name in known and msg:
        return f"{area}: {msg}"
    return f"{area}: {name}: {msg}" if msg else f"{area}: {name}"


def find_root(cwd: str | os.PathLike[str] | None) -> Path:
    """The git top level of cwd (a `.git` directory or file), else cwd itself; no subprocess."""
    from pathlib import Path

    return Path(_find_root(os.fspath(cwd) if cwd else None))


def _find_root(cwd: str | None) -> str:
    """find_root as a str: the hook runs this on every event and must not import pathlib (~7 ms)."""
    start = _clean(cwd) if cwd else _clean(os.getcwd())
    if not start.startswith("/"):
        start = _clean(os.path.join(os.getcwd(), start))
    here = start
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return start
        here = parent


def _clean(path: str) -> str:
    """The path as str(pathlib.PurePosixPath(path)) spells it: no empty or "." parts, no trailing slash."""
    lead = "//" if path.startswith("//") and not path.startswith("///") else ("/" if path.startswith("/") else "")
    return lead + "/".join(p for p in path.split("/") if p and p != ".") or "."


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def git_head(root: str | os.PathLike[str] | None) -> str | None:
    """HEAD's commit read from .git files (cheap; None when it needs git itself)."""
    if root is None:
        return None
    git = os.path.join(os.fspath(root), ".git")
    try:
        head = _read_text(os.path.join(git, "HEAD")).strip()
        if not head.startswith("ref: "):
            return head[:40] or None
        ref = head[5:]
        p = os.path.join(git, ref)
        if os.path.isfile(p):
            return _read_text(p).strip()[:40] or None
        packed = os.path.join(git, "packed-refs")
        if os.path.isfile(packed):
            for line in _read_text(packed).splitlines():
                if line.endswith(" " + ref):
                    return line.split(" ", 1)[0]
    except OSError:
        return None
    return None


def fail_closed(root: str | os.PathLike[str]) -> bool:
    """[guard] fail_closed from handrail.toml (or pyproject [tool.handrail.guard]); True when it cannot be read."""
    import tomllib

    for name, section in (("handrail.toml", ()), ("pyproject.toml", ("tool", "handrail"))):
        path = os.path.join(os.fspath(root), name)
        if not os.path.isfile(path):
            continue
        try:
            data: Any = tomllib.loads(_read_text(path))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            if section:
                continue
            return True
        for part in section:
            data = data.get(part) if isinstance(data, dict) else None
        if not isinstance(data, dict):
            continue
        guard = data.get("guard")
        return not (isinstance(guard, dict) and guard.get("fail_closed") is False)
    return True
