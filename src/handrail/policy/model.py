"""What the guard decides about: an Action an agent wants to take, and the Decision on it."""

from __future__ import annotations

from handrail.core.record import Record, factory

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from typing import Any, Literal

    Verdict = Literal["allow", "ask", "block"]

VERDICT_ORDER = {"allow": 0, "ask": 1, "block": 2}

# Normalised tool kinds, the same for every agent.
TOOLS = ("shell", "read", "write", "edit", "mcp", "fetch", "search", "other")


class Action(Record):
    tool: str  # one of TOOLS
    tool_name: str  # the agent's own name: Bash, run_shell_command, Read, mcp__github__create_pr
    command: str | None = None  # shell command line
    path: str | None = None  # file read, written or edited, as the agent gave it
    content: str | None = None  # new text for write/edit
    url: str | None = None  # fetch target
    arguments: dict[str, Any] | None = None  # the raw tool input (MCP arguments and anything unmapped)
    cwd: str | None = None  # absolute working directory of the call
    root: str | None = None  # absolute project root (git top level, else cwd)


class Decision(Record):
    verdict: Verdict
    rule_id: str  # every decision names its rule; allows use "allow-default" or the allowing rule
    reason: str  # one line a human and the agent can act on (never a whole secret)

    @property
    def blocks(self) -> bool:
        return self.verdict == "block"


class Cmd(Record, frozen=False):
    """One simple command after unwrapping (sudo, env, timeout, nice, xargs, `bash -c`, eval, $(...), ...)."""

    argv: list[str]  # words with quotes and escapes removed; argv[0] as written (may be a path)
    text: str  # the source text of this command, for reasons and the journal
    env: dict[str, str] = factory(dict)  # leading VAR=value assignments (and `env VAR=value`)
    wrappers: list[str] = factory(list)  # what it was unwrapped from, outermost first
    stdin: str | None = None  # here-doc / here-string body fed to it (e.g. SQL into psql)
    stdin_from: Cmd | None = None  # the command piped into it (`curl x | sh`: sh.stdin_from is curl)
    redirects: list[tuple[str, str]] = factory(list)  # (operator, target): ('>', '/dev/sda')
    cwd: str | None = None  # after `cd DIR &&` or `git -C DIR` when known
    dynamic: list[str] = factory(list)  # words that could not be resolved ($VAR, $(...), globs)

    @property
    def name(self) -> str:
        """argv[0]'s basename (`/usr/bin/rm` -> `rm`), '' for an empty command."""
        return self.argv[0].rsplit("/", 1)[-1] if self.argv else ""


class ParsedShell(Record, frozen=False):
    commands: list[Cmd]  # every simple command, nested ones included, in source order
    unresolved: list[str] = factory(list)  # why some part could not be read (-> ask, never allow)
    error: str | None = None  # the line would not parse at all
