"""What the journal says happened: commands and their results, interrupted calls, blocked actions, files
touched, the last test run and check, notes, decisions and next steps.

`analyse` is a pure function of the entries (plus the clock), so the handoff and the `handoff` check read the
journal the same way and tests can feed it entries written by the real journal.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from handrail.core.lazyre import lazy_re

# A call whose pre event is this recent, with nothing after it in its session, is still running (Bash may run
# 10 minutes in Claude Code): not interrupted yet.
RUNNING_GRACE_S = 15 * 60
WINDOW = 5000  # newest entries read; older history is summarised by count only
PRE_EVENTS = frozenset({"pretooluse", "beforetool", "beforeshellexecution", "beforemcpexecution"})
POST_EVENTS = frozenset({"posttooluse", "posttoolusefailure", "aftertool", "aftershellexecution",
                         "aftermcpexecution", "afterfileedit"})
NO_POST_EVENTS = frozenset({"beforereadfile", "beforesubmitprompt", "permissionrequest"})
# Entries that change what a successor needs to know; a record older than one of these is stale.
MATERIAL_KINDS = ("tool_call", "decision", "note", "migration", "backup", "restore", "deploy", "rollback")
SESSION_END_PHASES = frozenset({"stop", "session_end", "sessionend", "pre_compact", "precompact"})
WRITE_TOOLS = frozenset({"write", "edit", "multiedit", "notebookedit", "write_file", "replace", "edit_file",
                         "apply_patch", "create_file", "str_replace_based_edit_tool", "fileedit"})
_PATH_KEYS = ("file_path", "notebook_path", "path", "filePath", "absolute_path", "target_file")
_PATCH_FILE = lazy_re(r"^\*\*\* (?:Add|Update|Delete) File: (.+)$", re.M)
_EXPLAINS = lazy_re(r"(?:#|\bseq\s*#?\s*)(\d+)\b", re.I)
_SEGMENT_SPLIT = lazy_re(r"&&|\|\||;|\||\n")
_INSTALLISH = lazy_re(r"^\s*(?:sudo\s+)?(?:pip3?|python3?\s+-m\s+pip|uv(?:\s+pip)?|poetry|pipenv|npm|pnpm|yarn|"
                         r"bun|composer|gem|bundle|cargo|go|apt(?:-get)?|brew)\s+(?:install|add|i|require|get)\b")
_TEST_RXS = tuple(lazy_re(rx) for rx in (
    r"\b(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?test(?::[\w:.-]+)?\b",
    r"\b(?:vitest|jest|mocha|ava|karma)\b(?![.\w/-])",
    r"\bplaywright\s+test\b|\bcypress\s+run\b",
    r"\bpytest\b(?![.\w/-])|\bpy\.test\b",
    r"\bmanage\.py\s+test\b",
    r"-m\s+unittest\b",
    r"\bartisan\s+test\b",
    r"\b(?:phpunit|pest)\b(?![.\w/-])",
    r"\bcomposer\s+(?:run(?:-script)?\s+)?test\b",
    r"\brails\s+(?:test|spec)\b|\brspec\b(?![.\w/-])|\brake\s+(?:test|spec)\b",
    r"\bgo\s+test\b|\bcargo\s+(?:test|nextest)\b|\bdeno\s+test\b|\bdotnet\s+test\b|\bmix\s+test\b",
    r"(?:^|\s)(?:tox|nox)(?:\s|$)",
    r"\bmake\s+(?:test|check)[\w.-]*",
    r"\b(?:mvn|gradlew?|\./gradlew)\b.*\btest\b",
))


def is_test_command(command: str) -> bool:
    """Does any part of a shell command run a test suite? `pip install pytest` does not."""
    for seg in _SEGMENT_SPLIT.split(command):
        if not seg.strip() or _INSTALLISH.match(seg):
            continue
        if any(rx.search(seg) for rx in _TEST_RXS):
            return True
    return False


def parse_ts(ts: str | None) -> float | None:
    if not ts:
        return None
    try:
        dt = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def now_ts() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Call:
    """One tool call: its pre entry and, once the agent reported back, its result."""

    seq: int
    ts: str
    session: str | None
    agent: str | None
    tool: str | None
    command: str | None  # shell command, when the call ran one
    summary: str
    status: str  # ok | failed | interrupted | running | blocked | asked | no-result
    exit_code: int | None = None
    decision: str | None = None
    rule_id: str | None = None
    reason: str | None = None
    end_seq: int | None = None
    end_ts: str | None = None
    files: list[str] = field(default_factory=list)
    tool_use_id: str | None = None
    git_head: str | None = None
    diff_hash: str | None = None  # if the hook recorded the working tree's diff hash at the pre event
    explained_by: int | None = None  # seq of a later note that explains an interrupted call

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: v for k, v in d.items() if v not in (None, [], "")}

    def label(self) -> str:
        what = self.command if self.command else self.summary
        return f"#{self.seq} {self.tool or 'tool'}: {_one_line(what, 160)}"


@dataclass
class Facts:
    entries_seen: int = 0
    first_seq: int | None = None
    window_truncated: bool = False
    calls: list[Call] = field(default_factory=list)
    objective: str | None = None  # the latest prompt of the latest agent session
    objective_seq: int | None = None
    session: dict[str, Any] | None = None  # the latest agent session: id, agent, started, ended
    last_check: dict[str, Any] | None = None
    notes: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    next_steps: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # migrations, backups, restores, deploys, rollbacks
    last_material: dict[str, Any] | None = None  # newest entry of MATERIAL_KINDS: seq, ts, kind, summary

    @property
    def interrupted(self) -> list[Call]:
        return [c for c in self.calls if c.status in ("interrupted", "no-result") and c.explained_by is None]

    @property
    def explained(self) -> list[Call]:
        return [c for c in self.calls if c.status in ("interrupted", "no-result") and c.explained_by is not None]

    @property
    def blocked(self) -> list[Call]:
        return [c for c in self.calls if c.status == "blocked" or c.decision in ("block", "ask")]

    def last_test(self) -> Call | None:
        for c in reversed(self.calls):
            if c.command and c.status in ("ok", "failed", "interrupted") and is_test_command(c.command):
                return c
        return None


def _one_line(text: str | None, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def phase_of(e: Any) -> str:
    """pre | post | failure, from the payload or, failing that, the agent's event name."""
    payload = e.payload if isinstance(e.payload, dict) else {}
    phase = str(payload.get("phase") or "").lower()
    if phase in ("pre", "post", "failure"):
        return phase
    ev = (e.event or "").lower()
    if ev in PRE_EVENTS or ev in NO_POST_EVENTS:
        return "pre"
    if ev == "posttoolusefailure":
        return "failure"
    if ev in POST_EVENTS or e.exit_code is not None:
        return "post"
    return "pre"


def _input(e: Any) -> Any:
    payload = e.payload if isinstance(e.payload, dict) else {}
    return payload.get("input", payload.get("tool_input"))


def command_of(e: Any) -> str | None:
    inp = _input(e)
    if isinstance(inp, dict):
        cmd = inp.get("command", inp.get("cmd"))
        if isinstance(cmd, list) and all(isinstance(x, str) for x in cmd):
            cmd = " ".join(cmd)
        if isinstance(cmd, str) and cmd.strip() and (e.tool or "").lower() != "apply_patch":
            return cmd.strip()
    elif isinstance(inp, str) and (e.tool or "").lower() in ("bash", "shell", "run_shell_command", "exec"):
        return inp.strip()
    return None


def files_of(e: Any, root: Path | None) -> list[str]:
    tool = (e.tool or "").lower()
    event = (e.event or "").lower()
    if tool not in WRITE_TOOLS and event != "afterfileedit" and not tool.endswith(("write", "edit")):
        return []
    inp = _input(e)
    found: list[str] = []
    if isinstance(inp, dict):
        for key in _PATH_KEYS:
            v = inp.get(key)
            if isinstance(v, str) and v:
                found.append(v)
                break
        for v in (inp.get("command"), inp.get("patch"), inp.get("input")):
            if isinstance(v, str) and "*** " in v:
                found.extend(m.strip() for m in _PATCH_FILE.findall(v))
    elif isinstance(inp, str) and "*** " in inp:
        found.extend(m.strip() for m in _PATCH_FILE.findall(inp))
    payload = e.payload if isinstance(e.payload, dict) else {}
    if not found and isinstance(payload.get("file_path"), str):
        found.append(payload["file_path"])
    return [_relative(p, root, e.cwd) for p in dict.fromkeys(found)]


def _relative(path: str, root: Path | None, cwd: str | None) -> str:
    if root is None:
        return path
    p = Path(path)
    if not p.is_absolute() and cwd:
        p = Path(cwd) / p
    if p.is_absolute():
        for base in (root, root.resolve()):
            try:
                return p.relative_to(base).as_posix()
            except ValueError:
                continue
    return path


def _text(e: Any) -> str:
    payload = e.payload if isinstance(e.payload, dict) else {}
    for key in ("text", "note", "decision", "message"):
        v = payload.get(key)
        if isinstance(v, str) and v.strip():
            return v
    return e.summary or ""


def analyse(entries: Iterable[Any], *, root: Path | None = None, now: float | None = None,
            truncated: bool = False) -> Facts:
    """Facts from journal entries in seq order. `truncated`: older entries exist that were not read."""
    now = datetime.now(UTC).timestamp() if now is None else now
    facts = Facts(window_truncated=truncated)
    by_id: dict[str, Call] = {}
    waiting: dict[tuple[str | None, str | None], deque[Call]] = {}
    ended_after: dict[str | None, int] = {}  # session -> seq of its newest stop/session_end/prompt
    explain_notes: list[tuple[int, str, dict[str, Any]]] = []
    for e in entries:
        facts.entries_seen += 1
        if facts.first_seq is None:
            facts.first_seq = e.seq
        payload = e.payload if isinstance(e.payload, dict) else {}
        if e.kind in MATERIAL_KINDS:
            facts.last_material = {"seq": e.seq, "ts": e.ts, "kind": e.kind, "summary": _one_line(e.summary, 200)}
        if e.agent and e.session and (facts.session is None or facts.session.get("id") != e.session) \
                and e.kind in ("tool_call", "session", "prompt"):
            facts.session = {"id": e.session, "agent": e.agent, "started": e.ts, "seq": e.seq}
        if e.kind == "tool_call":
            _tool_call(e, facts, by_id, waiting, root)
        elif e.kind == "session":
            phase = str(payload.get("phase") or e.event or "").lower()
            if phase in SESSION_END_PHASES:
                ended_after[e.session] = e.seq
            if e.agent and facts.session is not None and phase in ("session_end", "sessionend"):
                facts.session["ended"] = e.ts
        elif e.kind == "prompt":
            ended_after[e.session] = e.seq
            text = payload.get("prompt") if isinstance(payload.get("prompt"), str) else e.summary
            facts.objective, facts.objective_seq = _one_line(text, 500), e.seq
        elif e.kind == "check":
            facts.last_check = {"seq": e.seq, "ts": e.ts, "summary": _one_line(e.summary, 300),
                                "exit_code": e.exit_code,
                                **{k: payload[k] for k in ("checks", "statuses", "failed", "command")
                                   if k in payload}}
        elif e.kind in ("note", "decision"):
            item = {"seq": e.seq, "ts": e.ts, "text": _one_line(_text(e), 500), "user": e.user or e.agent}
            explain_notes.append((e.seq, _text(e), payload))
            if e.kind == "decision":
                facts.decisions.append(item)
            elif payload.get("next"):
                facts.next_steps.append(item)
            else:
                facts.notes.append(item)
        elif e.kind in ("migration", "backup", "restore", "deploy", "rollback"):
            facts.events.append({"seq": e.seq, "ts": e.ts, "kind": e.kind, "summary": _one_line(e.summary, 200),
                                 "exit_code": e.exit_code})

    # Calls still waiting for their post event: running (the newest calls of a session still in flight, e.g. a
    # batch of parallel calls), or interrupted.
    in_flight: set[int] = set()
    settled: set[str | None] = set()
    for c in reversed(facts.calls):
        if c.session in settled:
            continue
        if c.status == "pending":
            in_flight.add(c.seq)
        else:
            settled.add(c.session)
    for c in facts.calls:
        if c.status != "pending":
            continue
        later_end = ended_after.get(c.session, 0) > c.seq
        age = now - (parse_ts(c.ts) or now)
        if not later_end and age < RUNNING_GRACE_S and c.seq in in_flight:
            c.status = "running"  # (an asked call may still be waiting for the user's answer)
        elif c.decision == "ask":
            c.status = "no-result"
        else:
            c.status = "interrupted"
    _mark_explained(facts, explain_notes)
    _close_next_steps(facts, explain_notes)
    return facts


def _tool_call(e: Any, facts: Facts, by_id: dict[str, Call], waiting: dict[tuple[str | None, str | None],
               deque[Call]], root: Path | None) -> None:
    payload = e.payload if isinstance(e.payload, dict) else {}
    phase = phase_of(e)
    event = (e.event or "").lower()
    key = (e.session, (e.tool or "").lower() or None)
    if phase == "pre":
        decision = (e.decision or "").lower() or None
        status = "blocked" if decision in ("block", "deny") else "pending"
        if event in NO_POST_EVENTS and status == "pending":
            status = "ok"
        reason = payload.get("reason") if isinstance(payload.get("reason"), str) else None
        call = Call(e.seq, e.ts, e.session, e.agent, e.tool, command_of(e), _one_line(e.summary, 300), status,
                    decision=decision, rule_id=e.rule_id, reason=_one_line(reason, 300) if reason else None,
                    files=files_of(e, root) if status != "blocked" else [], tool_use_id=e.tool_use_id,
                    git_head=e.git_head, diff_hash=payload.get("diff_hash") if isinstance(
                        payload.get("diff_hash"), str) else None)
        facts.calls.append(call)
        if status == "pending":
            if e.tool_use_id:
                by_id[e.tool_use_id] = call
            else:
                waiting.setdefault(key, deque()).append(call)
        return
    # post / failure
    call = None
    if e.tool_use_id and e.tool_use_id in by_id:
        call = by_id.pop(e.tool_use_id)
    elif not e.tool_use_id and waiting.get(key):
        call = waiting[key].popleft()
    if call is None:  # a post without its pre (afterFileEdit, or the pre fell outside the window)
        call = Call(e.seq, e.ts, e.session, e.agent, e.tool, command_of(e), _one_line(e.summary, 300), "pending",
                    files=files_of(e, root), tool_use_id=e.tool_use_id, git_head=e.git_head)
        facts.calls.append(call)
    elif not call.files:
        call.files = files_of(e, root)
    call.end_seq, call.end_ts = e.seq, e.ts
    call.exit_code = e.exit_code
    if payload.get("is_interrupt") or payload.get("interrupted") is True:
        call.status = "interrupted"
    elif phase == "failure" or (e.exit_code not in (None, 0)):
        call.status = "failed"
    else:
        call.status = "ok"
    if call.command is None:
        call.command = command_of(e)


def _mark_explained(facts: Facts, notes: list[tuple[int, str, dict[str, Any]]]) -> None:
    pending = {c.seq: c for c in facts.calls if c.status in ("interrupted", "no-result")}
    if not pending:
        return
    # Real ids are long (toolu_01..., call_...): a short one would match ordinary words.
    by_tool_id = {c.tool_use_id: c for c in pending.values() if c.tool_use_id and len(c.tool_use_id) >= 8}
    for seq, text, payload in notes:
        refs: set[int] = {int(m) for m in _EXPLAINS.findall(text)}
        for key in ("explains", "seq", "resolves"):
            v = payload.get(key)
            for x in v if isinstance(v, list) else [v]:
                if isinstance(x, int) or (isinstance(x, str) and x.isdigit()):
                    refs.add(int(x))
        for ref in refs:
            c = pending.get(ref)
            if c is not None and seq > c.seq and c.explained_by is None:
                c.explained_by = seq
        for tid, c in by_tool_id.items():
            if seq > c.seq and c.explained_by is None and re.search(rf"(?<![\w-]){re.escape(tid)}(?![\w-])", text):
                c.explained_by = seq


def _close_next_steps(facts: Facts, notes: list[tuple[int, str, dict[str, Any]]]) -> None:
    """A next step stays open until a later note says `done #N` (or carries payload {"done": N})."""
    done: set[int] = set()
    for _seq, text, payload in notes:
        for m in re.finditer(r"\b(?:done|closes|closed|finished)\b[^#\n]{0,20}#(\d+)", text, re.I):
            done.add(int(m.group(1)))
        v = payload.get("done")
        for x in v if isinstance(v, list) else [v]:
            if isinstance(x, int):
                done.add(x)
    facts.next_steps = [n for n in facts.next_steps if n["seq"] not in done]
