"""agent-log: are AI agent actions logged?

An agent that ran `migrate:fresh` or pushed a force-update leaves no trace unless a
hook recorded its tool calls. The repository can show which agents it is set up for
(instruction files, settings folders) and whether their project-level hook config
calls Handrail (or some other command) on tool events. Where Handrail's journal is on
this machine (.handrail/journal.db, or the team's PostgreSQL), it is verified: a broken
hash chain fails the check at the first bad entry. A CI checkout has no journal (it is
git-ignored): committed hooks can still pass, and the summary says the journal was not
verified here.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handrail.checks.base import Check, Rule, list_text
from handrail.core.finding import Confidence, Finding, Location, Severity, Status
from handrail.core.lazyre import lazy_re

if TYPE_CHECKING:
    from handrail.core.finding import CheckResult
    from handrail.core.project import Project

# Marker files: agent -> paths or globs that show the repository is set up for it.
AGENT_MARKERS: dict[str, tuple[str, ...]] = {
    "claude": ("CLAUDE.md", ".claude/*", ".mcp.json"),
    "codex": ("AGENTS.md", ".codex/*"),
    "cursor": (".cursorrules", ".cursor/*"),
    "gemini": ("GEMINI.md", ".gemini/*"),
    "copilot": (".github/copilot-instructions.md", ".github/hooks/*.json", ".github/instructions/*"),
    "cline": (".clinerules", ".clinerules/*"),
    "windsurf": (".windsurfrules", ".windsurf/*"),
    "aider": (".aider.conf.yml", ".aider.conf.yaml", ".aiderignore", ".aider.model.settings.yml"),
}
AGENT_NAMES = {"claude": "Claude Code", "codex": "Codex (and other AGENTS.md agents)", "cursor": "Cursor",
               "gemini": "Gemini CLI", "copilot": "GitHub Copilot", "cline": "Cline", "windsurf": "Windsurf",
               "aider": "aider"}
# Hook events that see tool calls, lower-cased, per hook protocol.
TOOL_EVENTS: dict[str, frozenset[str]] = {
    "claude": frozenset({"pretooluse", "posttooluse", "posttoolusefailure"}),
    "codex": frozenset({"pretooluse", "posttooluse", "posttoolusefailure"}),
    "gemini": frozenset({"beforetool", "aftertool"}),
    "cursor": frozenset({"beforeshellexecution", "aftershellexecution", "beforemcpexecution",
                         "aftermcpexecution", "afterfileedit", "beforereadfile", "pretooluse", "posttooluse"}),
    "copilot": frozenset({"pretooluse", "posttooluse"}),
    "cline": frozenset({"pretooluse", "posttooluse"}),
    # Windsurf Cascade hooks (.windsurf/hooks.json): one pre/post pair per kind of action.
    "windsurf": frozenset({"pre_run_command", "post_run_command", "pre_write_code", "post_write_code",
                           "pre_read_code", "post_read_code", "pre_mcp_tool_use", "post_mcp_tool_use"}),
}
_CURSOR_SHELL = frozenset({"beforeshellexecution", "aftershellexecution"})
_CURSOR_OTHER = frozenset({"beforemcpexecution", "aftermcpexecution", "afterfileedit"})
_CURSOR_ALL = frozenset({"pretooluse", "posttooluse"})
# Windsurf has no catch-all tool event: commands, edits and MCP calls must each be hooked.
_WINDSURF_NEEDED = ("run_command", "write_code", "mcp_tool_use")
# Gemini Code Assist (the GitHub pull-request reviewer) keeps these in .gemini/ too; they say nothing about the CLI.
_GEMINI_REVIEW_ONLY = frozenset({".gemini/config.yaml", ".gemini/config.yml", ".gemini/styleguide.md"})
_ALL_MATCHERS = {None, "", "*", ".*", ".+"}
_HANDRAIL_RX = lazy_re(r"(^|[\s/\"'=])handrail(\.exe)?\s+(hook|guard|journal)\b|python3?\s+-m\s+handrail\s+hook")
_COMMAND_KEYS = ("command", "bash", "powershell", "cmd", "script", "run")
# Agents `handrail guard install --agent X` can hook.
INSTALLABLE = ("claude", "codex", "cursor", "gemini")


def install_hint(agent: str) -> str:
    if agent in INSTALLABLE:
        return f"`handrail guard install --agent {agent}`"
    return (f"a logging hook on every tool call in {AGENT_NAMES.get(agent, agent)}'s own configuration (`handrail "
            "guard install` covers Claude Code, Codex, Cursor and Gemini CLI only)")


@dataclass
class HookCmd:
    event: str  # as written
    command: str
    matcher: str | None
    path: str
    line: int | None
    via: str | None = None  # a repository script the command runs, when that script calls Handrail

    @property
    def is_handrail(self) -> bool:
        return self.via is not None or bool(_HANDRAIL_RX.search(self.command))


@dataclass
class AgentState:
    agent: str
    markers: list[str] = field(default_factory=list)
    config_files: list[str] = field(default_factory=list)
    hooks: list[HookCmd] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    parse_errors: list[Finding] = field(default_factory=list)
    disabled_at: Location | None = None
    hooks_supported: bool = True

    def tool_hooks(self) -> list[HookCmd]:
        events = TOOL_EVENTS.get(self.agent, frozenset())
        return [h for h in self.hooks if h.event.lower() in events]

    def verdict(self) -> str:
        """'full' | 'partial' | 'other' | 'none': how well Handrail (or anything) sees tool calls."""
        if self.disabled_at is not None:
            return "none"
        tool = self.tool_hooks()
        ours = [h for h in tool if h.is_handrail]
        if ours:
            return "full" if _covers_all(self.agent, ours) else "partial"
        if tool:
            return "other"
        if any(h.is_handrail for h in self.hooks):
            return "partial"  # Handrail hooked only on session events: no tool calls recorded
        return "none"


def _covers_all(agent: str, hooks: list[HookCmd]) -> bool:
    events = {h.event.lower() for h in hooks}
    if agent == "cursor":
        return bool(events & _CURSOR_ALL) or (bool(events & _CURSOR_SHELL) and bool(events & _CURSOR_OTHER))
    if agent == "cline":
        return True  # Cline hooks are per-event executables without matchers
    if agent == "windsurf":
        return all(any(e.endswith(kind) for e in events) for kind in _WINDSURF_NEEDED)
    return any(h.matcher in _ALL_MATCHERS for h in hooks)


class AgentLog(Check):
    id = "agent-log"
    question = "Are AI agent actions logged?"
    why = ("When an agent drops a table, force-pushes or edits a workflow, the team needs to know which command ran, "
           "when, in which session and what it returned. Agent transcripts live on one laptop and are rewritten; "
           "only a hook on every tool call leaves a record you can audit and hand off.")
    fix = ("Add a hook on every tool call that appends what ran to a log (Claude Code PreToolUse/PostToolUse with "
           "matcher `*`, Cursor hooks.json, Gemini BeforeTool/AfterTool, Codex hooks) and commit the project-level "
           "config: `handrail guard install --agent claude` (or codex, cursor, gemini) does both and starts the "
           "journal.")
    good_example = ('.claude/settings.json, as `handrail guard install --agent claude` writes it:\n'
                    '{"hooks": {"PreToolUse": [{"matcher": "*", "hooks": [{"type": "command", '
                    '"command": "handrail hook claude"}]}], "PostToolUse": [{"matcher": "*", "hooks": '
                    '[{"type": "command", "command": "handrail hook claude"}]}]}}')
    bad_example = "CLAUDE.md and .cursor/rules/ are committed, but no hook config exists: nothing records what ran."
    rules = (
        Rule("agent-log-not-logged", Severity.MEDIUM,
             "An agent is configured for this repository but no hook records its tool calls.",
             "Add a PreToolUse/PostToolUse hook (or the agent's equivalent) that logs every tool call, and commit "
             "the agent's project hook config: `handrail guard install --agent <agent>`."),
        Rule("agent-log-partial", Severity.LOW,
             "An agent's tool calls are only partly recorded (some tools or events only, or a non-Handrail hook).",
             "Hook every tool call (matcher `*`) on both the pre and post event: `handrail guard install "
             "--agent <agent>` merges Handrail's hook into the existing settings."),
        Rule("agent-log-local-only", Severity.LOW,
             "The only logging hook is in an uncommitted, per-machine settings file.",
             "Move the hook into the committed project settings so every teammate's agent logs."),
        Rule("agent-log-config-unparseable", Severity.MEDIUM,
             "An agent configuration file cannot be parsed, so the agent ignores it (hooks included).",
             "Fix the syntax error at the line shown."),
        Rule("agent-log-journal-tampered", Severity.HIGH,
             "Handrail's journal fails verification: an entry was edited, deleted, reordered or the chain was cut.",
             "Run `handrail journal verify` to see the first bad entry; keep the damaged journal for review and find "
             "out who changed it. Entries from the first bad one on cannot be trusted."),
        Rule("agent-log-journal-unreadable", Severity.MEDIUM,
             "Handrail's journal exists on this machine but cannot be opened (damage, or a newer format).",
             "Run `handrail journal verify` for the reason; a damaged journal file is lost history."),
        Rule("agent-log-journal-unfed", Severity.MEDIUM,
             "Handrail's journal exists but no agent in the repository has Handrail hooks, so agent actions do not "
             "reach it.",
             "Install the hooks for the agents you use: `handrail guard install --agent claude` (or codex, cursor, "
             "gemini), and commit the settings file."),
    )

    def run(self, project: Project) -> CheckResult:
        states = self._discover(project)
        try:
            jv = self._journal(project)
        except Exception as exc:  # a journal reader bug must not hide the hook analysis
            jv = JournalVerdict("error", f"the journal could not be checked ({exc.__class__.__name__}: {exc})")
        journal_note = jv.note
        if not states:
            if jv.state == "ok":
                finding = self.finding(
                    "agent-log-journal-unfed", f"The journal ({jv.path}) is here but no agent in the repository has "
                    "Handrail hooks: agent tool calls do not reach it (unless a hook in a user-level settings file "
                    "sends them).", jv.path, None, key="journal-unfed", confidence=Confidence.MEDIUM)
                return self.result(Status.WARN, f"no AI agent configuration in the repository; {journal_note}",
                                   [finding], jv.evidence)
            if jv.findings:
                return self.result(Status.FAIL if jv.state == "tampered" else Status.WARN,
                                   f"no AI agent configuration in the repository; {journal_note}", jv.findings)
            return self.unknown(
                "no AI agent configuration in the repository (CLAUDE.md, AGENTS.md, .claude/, .cursor/, .gemini/, "
                ".codex/ ...). Agents run on developer machines; the repository can't show whether they log. "
                "`handrail guard install --agent claude` (or codex, cursor, gemini) hooks every tool call into "
                f"Handrail's journal; {journal_note}.")

        findings: list[Finding] = []
        evidence: list[Location] = []
        verdicts: dict[str, str] = {}
        for st in states:
            findings.extend(st.parse_errors)
            v = st.verdict()
            verdicts[st.agent] = v
            name = AGENT_NAMES[st.agent]
            marker = st.config_files[0] if st.config_files else st.markers[0]
            if v == "full":
                for h in st.tool_hooks():
                    if h.is_handrail:
                        via = f" (runs {h.via})" if h.via else ""
                        evidence.append(Location(h.path, h.line, f"{name}: {h.event} -> {h.command[:60]}{via}"))
                local = [h for h in st.tool_hooks() if h.path.endswith(".local.json")]
                if local and len(local) == len(st.tool_hooks()):
                    h = local[0]
                    findings.append(self.finding(
                        "agent-log-local-only", f"{name}: the Handrail hook is only in {h.path}, a per-machine "
                        "settings file: other machines' agents do not log.", h.path, h.line,
                        key=f"local:{st.agent}", evidence=h.command))
                continue
            if v in ("partial", "other"):
                desc = _partial_desc(st)
                h = (st.tool_hooks() or st.hooks)[0]
                findings.append(self.finding(
                    "agent-log-partial", f"{name}: {desc}", h.path, h.line, key=f"partial:{st.agent}",
                    evidence=h.command, confidence=Confidence.MEDIUM if v == "other" else Confidence.HIGH))
                evidence.append(Location(h.path, h.line, f"{name}: {h.event} -> {h.command[:60]}"))
                continue
            # none
            if st.disabled_at is not None:
                msg = f"{name}: hooks are switched off (disableAllHooks) in {st.disabled_at.path}."
                path, line = st.disabled_at.path, st.disabled_at.line
            elif st.parse_errors:
                continue  # the parse-error finding already points at the line; one finding per cause
            elif not st.hooks_supported:
                msg = (f"{name} is configured ({list_text(st.markers)}) but has no hook configuration Handrail can "
                       "read in the repository: nothing shows its actions are recorded.")
                path, line = marker, None
            else:
                msg = (f"{name} is configured ({list_text(st.markers)}) but no hook records its tool calls"
                       f"{' (hooks exist on other events only)' if st.hooks else ''}.")
                path, line = marker, None
            findings.append(self.finding(
                "agent-log-not-logged", msg, path, line, key=f"not-logged:{st.agent}",
                confidence=Confidence.MEDIUM if not st.hooks_supported else Confidence.HIGH,
                fix=f"Run {install_hint(st.agent)} and commit the settings file it writes."))

        names = ", ".join(f"{AGENT_NAMES[a]}: {_VERDICT_TEXT[v]}" for a, v in verdicts.items())
        values = set(verdicts.values())
        if values == {"full"}:
            status = Status.PASS
        elif values == {"none"}:
            status = Status.FAIL
        else:
            status = Status.WARN
        if status == Status.PASS and any(st.parse_errors for st in states):
            status = Status.WARN
        findings.extend(jv.findings)
        evidence.extend(jv.evidence)
        if jv.state == "tampered":
            status = Status.FAIL
        elif jv.state == "unreadable" and status == Status.PASS:
            status = Status.WARN
        elif jv.state == "error" and status == Status.PASS:
            status = Status.UNKNOWN  # the journal half of the question could not be answered
        elif jv.state == "ok" and values == {"none"} and status == Status.FAIL:
            findings.append(self.finding(
                "agent-log-journal-unfed", f"The journal ({jv.path}) is here but none of the configured agents has "
                "Handrail hooks: their tool calls do not reach it.", jv.path, None, key="journal-unfed",
                confidence=Confidence.MEDIUM))
        summary = f"{len(states)} agent(s) configured - {names}; {journal_note}"
        if status == Status.FAIL and values & {"none"}:
            agents = [st.agent for st in states if verdicts[st.agent] == "none" and st.agent in INSTALLABLE]
            hint = " ".join(f"--agent {a}" for a in agents) if agents else "--agent <agent>"
            summary += f"; `handrail guard install {hint}` hooks every tool call"
        return self.result(status, summary, findings, evidence)

    # --- the journal -----------------------------------------------------------------------
    def _journal(self, project: Project) -> JournalVerdict:
        """Open and verify the journal when this machine has it; never create one."""
        from handrail.handoff.record import journal_configured, journal_on_disk

        path = journal_on_disk(project.root)
        remote = journal_configured(project.root)
        if path is None and not remote:
            return JournalVerdict("absent", "no Handrail journal on this machine (it is git-ignored, so a CI "
                                  "checkout has none): the journal could not be verified here")
        where = path or "the PostgreSQL journal (handrail.toml [journal])"
        anchor = path or "handrail.toml"
        try:
            from handrail.journal import open_journal
        except ImportError:
            return JournalVerdict("error", f"journal {where} present but this Handrail cannot read journals")
        try:
            journal = open_journal(project.root, create=False, timeout=5.0)
        except Exception as exc:
            reason = _one_line(exc)
            if path is None:  # a team journal this machine cannot reach (no URL in the environment, server down)
                return JournalVerdict("remote-unavailable", f"{where} could not be opened here ({reason}): not "
                                      "verified")
            finding = self.finding(
                "agent-log-journal-unreadable", f"The journal {path} cannot be opened: {reason}.", path, None,
                key="journal-unreadable")
            return JournalVerdict("unreadable", f"journal {path} cannot be opened", path=anchor, findings=[finding])
        try:
            report = journal.verify()
        finally:
            with contextlib.suppress(Exception):
                journal.close()
        entries = getattr(report, "entries", None)
        if getattr(report, "ok", False):
            cps = getattr(report, "checkpoints", None)
            if cps is None:
                cps = getattr(report, "checkpoints_checked", None)
            cp_text = f", {cps} signed checkpoint(s) checked" if isinstance(cps, int) else ""
            note = f"journal {where} verifies ({entries} entries{cp_text})"
            return JournalVerdict("ok", note, path=anchor, evidence=[Location(anchor, None, note)])
        bad = getattr(report, "first_bad_seq", None)
        problem = str(getattr(report, "problem", "") or "verification failed")
        at = f" at entry #{bad}" if bad is not None else ""
        finding = self.finding(
            "agent-log-journal-tampered", f"The journal {where} fails verification{at}: {problem}. Entries from there "
            "on cannot be trusted.", anchor, None, key="journal-tampered", evidence=problem)
        return JournalVerdict("tampered", f"journal {where} fails verification{at}", path=anchor, findings=[finding])

    # --- discovery -----------------------------------------------------------------------
    def _discover(self, project: Project) -> list[AgentState]:
        files = project.files
        states: list[AgentState] = []
        for agent, patterns in AGENT_MARKERS.items():
            exact = [p for p in patterns if "*" not in p and p in files]
            globbed = files.glob(*[p for p in patterns if "*" in p])
            markers = sorted(dict.fromkeys(exact + globbed), key=_marker_rank)
            if agent == "gemini":
                markers = [m for m in markers if m not in _GEMINI_REVIEW_ONLY]
            local = [p for p in _LOCAL_CONFIGS.get(agent, ()) if p not in files and project.local_text(p)]
            if not markers and not local:
                continue
            st = AgentState(agent, markers or local)
            states.append(st)
            reader = getattr(self, f"_hooks_{agent}", None)
            if reader is None:
                st.hooks_supported = False
            else:
                reader(project, st)
        return states

    def _load(self, project: Project, st: AgentState, path: str, fmt: str) -> Any:
        """Parsed config from the index, or from disk for git-ignored per-machine files."""
        from handrail.core.project import ParseError

        if path not in project.files and project.local_text(path) is None:
            return None
        try:
            if fmt == "jsonc":
                data = project.parsed(path, "jsonc", _loads_jsonc)
            else:
                data = project.json(path) if fmt == "json" else project.toml(path)
        except ParseError as err:
            where = "" if path in project.files else " (not committed)"
            st.parse_errors.append(self.finding(
                "agent-log-config-unparseable", f"{path}{where} cannot be parsed: {err.message}", path, err.line,
                key=f"parse:{path}"))
            return None
        st.config_files.append(path)
        return data

    def _collect(self, project: Project, st: AgentState, path: str, hooks: Any) -> None:
        if not isinstance(hooks, dict):
            return
        for event, value in hooks.items():
            if not isinstance(event, str):
                continue
            for matcher, command in _commands(value, None):
                st.hooks.append(HookCmd(event, command, matcher, path, _line(project, path, command, event),
                                        _script_calling_handrail(project, command)))

    def _settings_hooks(self, project: Project, st: AgentState, paths: tuple[str, ...], fmt: str = "json") -> None:
        for path in paths:
            data = self._load(project, st, path, fmt)
            if not isinstance(data, dict):
                continue
            if data.get("disableAllHooks") is True:
                st.disabled_at = Location(path, _line(project, path, "disableAllHooks", None), "disableAllHooks")
            self._collect(project, st, path, data.get("hooks"))

    def _hooks_claude(self, project: Project, st: AgentState) -> None:
        self._settings_hooks(project, st, (".claude/settings.json", ".claude/settings.local.json"))

    def _hooks_gemini(self, project: Project, st: AgentState) -> None:
        # Gemini CLI strips // and /* */ comments before parsing its settings; Claude Code does not (strict JSON).
        self._settings_hooks(project, st, (".gemini/settings.json",), fmt="jsonc")

    def _hooks_cursor(self, project: Project, st: AgentState) -> None:
        self._settings_hooks(project, st, (".cursor/hooks.json",))

    def _hooks_windsurf(self, project: Project, st: AgentState) -> None:
        self._settings_hooks(project, st, (".windsurf/hooks.json",))

    def _hooks_copilot(self, project: Project, st: AgentState) -> None:
        for path in project.files.glob(".github/hooks/*.json"):
            data = self._load(project, st, path, "json")
            if isinstance(data, dict):
                self._collect(project, st, path, data.get("hooks"))

    def _hooks_codex(self, project: Project, st: AgentState) -> None:
        self._settings_hooks(project, st, (".codex/hooks.json",))
        data = self._load(project, st, ".codex/config.toml", "toml")
        if isinstance(data, dict):
            self._collect(project, st, ".codex/config.toml", data.get("hooks"))
            notify = data.get("notify")
            if isinstance(notify, list) and notify:
                cmd = " ".join(str(x) for x in notify)
                st.hooks.append(HookCmd("notify", cmd, None, ".codex/config.toml",
                                        project.find_line(".codex/config.toml", "notify")))

    def _hooks_cline(self, project: Project, st: AgentState) -> None:
        for path in project.files.glob(".clinerules/hooks/*"):
            name = path.rsplit("/", 1)[-1]
            if name.lower().endswith((".md", ".txt")) or name.startswith((".", "README")):
                continue  # documentation next to the hooks, not a hook (Cline runs files named after events)
            event = name.split(".", 1)[0]
            text = project.text(path) or ""
            first = next((ln for ln in text.splitlines() if _HANDRAIL_RX.search(ln)), "")
            st.hooks.append(HookCmd(event, first or f"(script {path})", None, path,
                                    project.find_line(path, first) if first else None))


@dataclass
class JournalVerdict:
    state: str  # absent | ok | tampered | unreadable | remote-unavailable | error
    note: str  # for the summary
    path: str | None = None  # where a finding or the evidence points
    findings: list[Finding] = field(default_factory=list)
    evidence: list[Location] = field(default_factory=list)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else exc.__class__.__name__


_LOCAL_CONFIGS: dict[str, tuple[str, ...]] = {"claude": (".claude/settings.local.json",)}
_VERDICT_TEXT = {"full": "Handrail hooks on tool calls", "partial": "partly logged",
                 "other": "hooked by a non-Handrail command", "none": "not logged"}


def _marker_rank(path: str) -> tuple[int, str]:
    """Name the most telling file first: hook/settings config, then instruction files, then the rest."""
    name = path.rsplit("/", 1)[-1]
    if name in ("settings.json", "hooks.json", "config.toml", "settings.local.json"):
        return 0, path
    if name.endswith((".md", ".mdc")) or name.startswith("."):
        return (1 if "/" not in path or name.endswith(".md") else 2), path
    return 3, path


def _commands(value: Any, matcher: str | None, depth: int = 0) -> list[tuple[str | None, str]]:
    """(matcher, command) pairs anywhere under one event's hook entries."""
    if depth > 8:
        return []
    out: list[tuple[str | None, str]] = []
    if isinstance(value, list):
        for item in value:
            out.extend(_commands(item, matcher, depth + 1))
    elif isinstance(value, dict):
        m = value.get("matcher", matcher)
        m = m if isinstance(m, str) or m is None else str(m)
        if value.get("type") == "http" and isinstance(value.get("url"), str):
            out.append((m, f"http POST {value['url'].strip()}"))  # Claude Code HTTP hooks: the event goes to a URL
        for key in _COMMAND_KEYS:
            cmd = value.get(key)
            if isinstance(cmd, str) and cmd.strip():
                args = value.get("args") if key == "command" else None
                if isinstance(args, list) and all(isinstance(x, str) for x in args):
                    cmd = " ".join([cmd, *args])  # {"command": "devbox", "args": ["run", "--", "node", "x.mjs"]}
                out.append((m, cmd.strip()))
            elif isinstance(cmd, list) and cmd and all(isinstance(x, str) for x in cmd):
                out.append((m, " ".join(cmd)))
        for key, sub in value.items():
            if key not in _COMMAND_KEYS and isinstance(sub, list | dict):
                out.extend(_commands(sub, m, depth + 1))
    return out


# `./x/y.sh`, `$CLAUDE_PROJECT_DIR/x/y.sh`, `.claude/hooks/y.sh` (the leading dot belongs to the path).
_SCRIPT_TOKEN = lazy_re(r"""(?:\$\{?(?:CLAUDE|GEMINI|CURSOR)_PROJECT_DIR\}?/|\./)?([\w.-]+(?:/[\w.-]+)+)""")


def _script_calling_handrail(project: Project, command: str) -> str | None:
    """A hook often runs a script in the repository (`$CLAUDE_PROJECT_DIR/.claude/hooks/log.sh`);
    when that script calls Handrail, the hook does."""
    if _HANDRAIL_RX.search(command):
        return None
    for m in _SCRIPT_TOKEN.finditer(command.replace('"', " ").replace("'", " ")):
        rel = m.group(1).removeprefix("./")
        if rel in project.files and _HANDRAIL_RX.search(project.text(rel) or ""):
            return rel
    return None


def _loads_jsonc(text: str) -> Any:
    """JSON with // and /* */ comments (as Gemini CLI reads settings.json); comments inside strings are kept."""
    import json

    out: list[str] = []
    i, n, in_str = 0, len(text), False
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            out.append(c)
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append("\n" * text.count("\n", i, end))  # keep line numbers for parse errors
            i = end
            continue
        else:
            out.append(c)
        i += 1
    return json.loads("".join(out))


def _line(project: Project, path: str, needle: str, event: str | None) -> int | None:
    if path not in project.files:
        return None
    for candidate in (needle, needle.replace('"', '\\"'), needle[:40], f'"{event}"' if event else ""):
        if candidate:
            no = project.find_line(path, candidate)
            if no:
                return no
    return None


def _partial_desc(st: AgentState) -> str:
    tool = st.tool_hooks()
    ours = [h for h in tool if h.is_handrail]
    if ours:
        events = sorted({h.event for h in ours})
        matchers = sorted({h.matcher or "*" for h in ours})
        if st.agent in ("cursor", "windsurf"):
            return (f"Handrail hooks only {', '.join(events)}: shell, MCP and file edits are not all recorded.")
        return (f"Handrail hooks only tools matching {', '.join(matchers)} on {', '.join(events)}: other tool calls "
                "are not recorded.")
    if tool:
        return (f"tool calls go to a non-Handrail hook (`{tool[0].command[:60]}`); whether it keeps a log Handrail "
                "cannot verify.")
    events = sorted({h.event for h in st.hooks})
    return f"Handrail is hooked only on {', '.join(events)}: individual tool calls are not recorded."


CHECK = AgentLog()
