"""The [guard] table of handrail.toml, read and validated without pydantic.

The agent hook loads this on every tool call, so it uses tomllib and hand-written checks that give the same
one-line messages as the pydantic models in core/config_model.py (Guard, GuardRuleEntry).
"""

from __future__ import annotations

import os
import re

from handrail.core.record import Record
from handrail.policy.model import TOOLS
from handrail.policy.rules.base import LazyRe

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from typing import Any

DECISIONS = ("block", "ask", "allow")
DEFAULT_PROTECTED = ("main", "master", "production", "release")
_RULE_ID = LazyRe(r"[a-z0-9][a-z0-9_.-]{0,79}")
_RULE_KEYS = ("id", "decision", "reason", "command", "path", "tools")
_GUARD_KEYS = ("fail_closed", "protected_branches", "allow_hosts", "disable", "rules")


class PolicyConfigError(Exception):
    """A one-line, user-facing problem with the [guard] configuration."""


class CustomRule(Record):
    id: str
    decision: str
    reason: str = ""
    command: re.Pattern[str] | None = None
    path: str | None = None
    tools: tuple[str, ...] = ()


class GuardSettings(Record):
    fail_closed: bool = True
    protected_branches: tuple[str, ...] = DEFAULT_PROTECTED
    allow_hosts: tuple[str, ...] = ()
    disable: frozenset[str] = frozenset()
    rules: tuple[CustomRule, ...] = ()


def read_guard_table(root: str | os.PathLike[str]) -> tuple[dict[str, Any] | None, str, str]:
    """(raw [guard] table or None, file name for messages, key prefix): handrail.toml, else pyproject.toml."""
    for name, section in (("handrail.toml", ()), ("pyproject.toml", ("tool", "handrail"))):
        path = os.path.join(root, name)
        if not os.path.isfile(path):
            continue
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            if section:
                continue  # a pyproject we cannot read is the project's business, not our config
            raise PolicyConfigError(f"{name}: cannot read: {exc.__class__.__name__}") from None
        import tomllib

        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            if section:
                continue
            raise PolicyConfigError(f"{name}: invalid TOML: {str(exc).split(' (at')[0]}") from None
        for part in section:
            data = data.get(part) if isinstance(data, dict) else None
        if data is None:
            continue
        prefix = ".".join((*section, "guard"))
        if not isinstance(data, dict):
            raise PolicyConfigError(f"{name}: {'.'.join(section)}: must be a table")
        guard = data.get("guard")
        return guard, name, prefix
    return None, "handrail.toml", "guard"


def parse_guard(raw: Any, source: str = "handrail.toml", prefix: str = "guard") -> GuardSettings:
    """Validated settings; raises PolicyConfigError naming the file and key, e.g. `guard.rules[0].decision`."""
    if raw is None:
        return GuardSettings()

    def fail(key: str, msg: str) -> PolicyConfigError:
        return PolicyConfigError(f"{source}: {prefix}{key}: {msg}")

    if not isinstance(raw, dict):
        raise PolicyConfigError(f"{source}: {prefix}: must be a table")
    for key in raw:
        if key not in _GUARD_KEYS:
            raise fail(f".{key}", "unknown key")
    fail_closed = raw.get("fail_closed", True)
    if not isinstance(fail_closed, bool):
        raise fail(".fail_closed", "must be true or false")
    lists = {}
    for key in ("protected_branches", "allow_hosts", "disable"):
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, list):
            raise fail(f".{key}", "must be a list of strings")
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise fail(f".{key}[{i}]", "must be a string")
        lists[key] = tuple(value)
    if "disable" in lists:
        from handrail.policy.rules import rule_ids

        known = rule_ids()
        for i, rid in enumerate(lists["disable"]):
            if rid not in known:
                raise fail(f".disable[{i}]", f"unknown built-in rule {rid!r}")
    rules_raw = raw.get("rules", [])
    if not isinstance(rules_raw, list):
        raise fail(".rules", "must be a list of tables ([[guard.rules]])")
    rules = tuple(_parse_rule(item, f".rules[{i}]", fail) for i, item in enumerate(rules_raw))
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        if rule.id in seen:
            raise fail(f".rules[{i}].id", f"duplicate rule id {rule.id!r}")
        seen.add(rule.id)
    return GuardSettings(
        fail_closed=fail_closed,
        protected_branches=lists.get("protected_branches", DEFAULT_PROTECTED),
        allow_hosts=tuple(h.lower() for h in lists.get("allow_hosts", ())),
        disable=frozenset(lists.get("disable", ())),
        rules=rules,
    )


def _parse_rule(item: Any, at: str, fail: Any) -> CustomRule:
    if not isinstance(item, dict):
        raise fail(at, "must be a table")
    for key in item:
        if key not in _RULE_KEYS:
            raise fail(f"{at}.{key}", "unknown key")
    for key in ("id", "decision"):
        if key not in item:
            raise fail(f"{at}.{key}", "required")
    rid = item["id"]
    if not isinstance(rid, str) or not _RULE_ID.fullmatch(rid):
        raise fail(f"{at}.id", "must be lowercase letters, digits, '-', '_' or '.'")
    if item["decision"] not in DECISIONS:
        raise fail(f"{at}.decision", "must be block, ask or allow")
    for key in ("reason", "command", "path"):
        if key in item and not isinstance(item[key], str):
            raise fail(f"{at}.{key}", "must be a string")
    pattern = None
    if item.get("command") is not None:
        try:
            pattern = re.compile(item["command"])
        except (re.error, RecursionError) as exc:
            raise fail(f"{at}.command", f"invalid regex {item['command']!r}: {exc}") from None
    tools = item.get("tools", [])
    if not isinstance(tools, list):
        raise fail(f"{at}.tools", "must be a list")
    for i, tool in enumerate(tools):
        if tool not in TOOLS:
            raise fail(f"{at}.tools[{i}]", f"must be one of {', '.join(TOOLS)}")
    if pattern is None and item.get("path") is None and not tools:
        raise fail(at, "needs at least one of command, path or tools")
    return CustomRule(id=rid, decision=item["decision"], reason=item.get("reason", ""), command=pattern,
                      path=item.get("path"), tools=tuple(tools))
