"""The guard's decision: built-in rule families plus the team's [[guard.rules]], most severe verdict wins.

`decide()` runs inside the agent hook on every tool call, so it parses the shell line once, imports SQL
parsers only when SQL is present, and never touches the network. A shell line it cannot read is `ask`,
never a silent allow.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath

from handrail.core.record import Record
from handrail.policy.config import CustomRule, GuardSettings, PolicyConfigError, parse_guard, read_guard_table
from handrail.policy.model import VERDICT_ORDER, Action, Cmd, Decision
from handrail.policy.rules import families
from handrail.policy.rules.base import Ctx, home_dir, short

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Decision", "Policy", "PolicyConfigError", "decide", "load_policy"]

FILE_TOOLS = ("read", "write", "edit")


class Policy(Record):
    """A project's guard policy (a NamedTuple: immutable, and cheaper to define than a dataclass in the hook)."""

    root: str  # a str, not a Path: the hook decides on every tool call and pathlib costs ~7 ms to import
    settings: GuardSettings = GuardSettings()

    @property
    def fail_closed(self) -> bool:
        return self.settings.fail_closed


def load_policy(root: str | os.PathLike[str], guard_config: dict[str, Any] | None = None) -> Policy:
    """The policy for a project; guard_config is the raw [guard] table (None: read handrail.toml/pyproject)."""
    root = os.fspath(root)
    if guard_config is None:
        raw, source, prefix = read_guard_table(root)
        return Policy(root=root, settings=parse_guard(raw, source, prefix))
    return Policy(root=root, settings=parse_guard(guard_config))


def decide(action: Action, policy: Policy) -> Decision:
    """The most severe verdict over all matching rules; every Decision names its rule and says what to do."""
    root = posixpath.normpath(action.root or str(policy.root))
    cwd = posixpath.normpath(action.cwd) if action.cwd else root
    ctx = Ctx(settings=policy.settings, action=action, root=root, cwd=cwd, home=home_dir())
    hits: list[tuple[str, str, str, int | None]] = []  # verdict, rule id, reason, index of the command or None
    allowed_by: str | None = None
    customs = policy.settings.rules
    disabled = policy.settings.disable

    if action.tool == "shell":
        cmds, problems = _shell(action.command or "", cwd)
        custom_allow: dict[int, str] = {}
        for i, cmd in enumerate(cmds):
            for rule in customs:
                if _custom_matches_cmd(rule, cmd):
                    if rule.decision == "allow":
                        custom_allow.setdefault(i, rule.id)
                    else:
                        hits.append((rule.decision, rule.id, _custom_reason(rule, cmd.text), i))
        for mod in families():
            for i, cmd in enumerate(cmds):
                for verdict, rid, reason in mod.check_cmd(cmd, ctx):
                    if rid not in disabled:
                        hits.append((verdict, rid, reason, i))
        for mod in families():
            line_check = getattr(mod, "check_line", None)
            if line_check is not None:
                for verdict, rid, reason in line_check(action.command or "", ctx):
                    if rid not in disabled:
                        hits.append((verdict, rid, reason, -1))
        for rule in customs if not cmds else ():  # tools-only rules cover every shell call, even an empty one
            if rule.command is None and rule.path is None and "shell" in rule.tools and rule.decision != "allow":
                hits.append((rule.decision, rule.id, _custom_reason(rule, action.command or ""), None))
        whole_allow = next((r.id for r in customs if r.decision == "allow" and _tool_ok(r, "shell") and (
            (r.command is not None and r.command.search(action.command or "")) or (
                r.command is None and r.path is None and "shell" in r.tools))), None)
        if problems and "shell-unresolved" not in disabled:
            hits.append(("ask", "shell-unresolved",
                         f"cannot tell what this runs ({short(problems[0], 90)}); write it out literally "
                         "without eval or variables holding commands, or approve it", -1))
        if custom_allow or whole_allow:
            kept = []
            for h in hits:
                idx = h[3]
                builtin = not any(h[1] == r.id for r in customs)
                if builtin and ((idx is not None and idx in custom_allow) or (idx == -1 and whole_allow)):
                    continue
                kept.append(h)
            hits = kept
            allowed_by = next(iter(custom_allow.values()), whole_allow)
    elif action.tool in FILE_TOOLS:
        path = ctx.resolve(action.path, cwd) if action.path else None
        if path is not None:
            ctx.cache["path"] = path
            allow_rule = None
            for rule in customs:
                if _custom_matches_path(rule, action.tool, path, ctx):
                    if rule.decision == "allow":
                        allow_rule = allow_rule or rule.id
                    else:
                        hits.append((rule.decision, rule.id, _custom_reason(rule, ctx.rel(path)), None))
            if allow_rule is None:
                for mod in families():
                    for verdict, rid, reason in mod.check_file(ctx):
                        if rid not in disabled:
                            hits.append((verdict, rid, reason, None))
            allowed_by = allow_rule
    else:
        for rule in customs:
            if _tool_ok(rule, action.tool) and rule.command is None and rule.path is None:
                if rule.decision == "allow":
                    allowed_by = allowed_by or rule.id
                else:
                    hits.append((rule.decision, rule.id, _custom_reason(rule, action.tool_name), None))

    if not hits:
        if allowed_by:
            return Decision("allow", allowed_by, f"allowed by the project's guard rule {allowed_by}")
        return Decision("allow", "allow-default", "no guard rule matched")
    best = max(hits, key=lambda h: VERDICT_ORDER.get(h[0], 1))
    return Decision(best[0], best[1], best[2])  # type: ignore[arg-type]


def _shell(command: str, cwd: str) -> tuple[list[Cmd], list[str]]:
    """Simple commands to judge (with `handrail migrate -- X` unwrapped) and reasons the line is unreadable."""
    from handrail.policy.shell import parse

    parsed = parse(command, cwd)
    problems = list(parsed.unresolved)
    if parsed.error:
        problems.insert(0, parsed.error)
    cmds: list[Cmd] = []
    for cmd in parsed.commands:
        cmds.append(cmd)
        inner = _handrail_wrapped(cmd)
        if inner is not None:
            cmds.append(inner)
    return cmds, problems


def _handrail_wrapped(cmd: Cmd) -> Cmd | None:
    """`handrail migrate -- php artisan migrate:fresh` still runs the inner command: judge it, marked wrapped."""
    argv = cmd.argv
    if cmd.name != "handrail" or len(argv) < 3 or "--" not in argv:
        return None
    at = argv.index("--")
    if at + 1 >= len(argv):
        return None
    sub = argv[1] if argv[1] != "--" else ""
    return Cmd(argv=argv[at + 1:], text=" ".join(argv[at + 1:]), env=dict(cmd.env),
               wrappers=[*cmd.wrappers, f"handrail {sub}".strip()], cwd=cmd.cwd, dynamic=list(cmd.dynamic))


def _tool_ok(rule: CustomRule, tool: str) -> bool:
    return not rule.tools or tool in rule.tools


def _custom_matches_cmd(rule: CustomRule, cmd: Cmd) -> bool:
    if not _tool_ok(rule, "shell"):
        return False
    if rule.command is None:
        return rule.path is None and "shell" in rule.tools
    return bool(rule.command.search(cmd.text) or rule.command.search(" ".join(cmd.argv)))


def _custom_matches_path(rule: CustomRule, tool: str, path: str, ctx: Ctx) -> bool:
    if not _tool_ok(rule, tool):
        return False
    if rule.path is None:
        return rule.command is None and bool(rule.tools)
    pattern = rule.path
    if pattern.startswith("~"):
        pattern = ctx.home + pattern[1:]
    candidates = [path]
    if ctx.inside(path):
        candidates.append(posixpath.relpath(path, ctx.root))
    for c in candidates:
        if fnmatch.fnmatchcase(c, pattern) or ("/" not in pattern and fnmatch.fnmatchcase(posixpath.basename(c),
                                                                                          pattern)):
            return True
    return False


def _custom_reason(rule: CustomRule, what: str) -> str:
    why = rule.reason or f"the project's guard rule {rule.id} says {rule.decision}"
    return f"{short(what, 60)}: {short(why, 160)} (handrail.toml [[guard.rules]] id={rule.id})"
