"""Built-in guard rules, one module per family; each exports RULES, check_cmd(cmd, ctx) and check_file(ctx)."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

FAMILIES = ("fs", "git", "db", "migrate", "exfil", "remote_code", "secrets", "ci", "deploy", "weaken")

_MODULES: list[ModuleType] = []


def families() -> list[ModuleType]:
    """The family modules, imported once per process."""
    if not _MODULES:
        _MODULES.extend(import_module(f"handrail.policy.rules.{name}") for name in FAMILIES)
    return _MODULES


def all_rules() -> dict[str, object]:
    """Every built-in rule by id (the engine's own shell-unresolved included)."""
    from handrail.policy.rules.base import Rule

    out: dict[str, object] = {"shell-unresolved": Rule(
        "shell-unresolved", "ask", "Can the guard read what this shell command will run?",
        "A command whose words only exist at run time ($VAR, $(...), eval, unparseable text) could be anything;"
        " a pattern guard that allows what it cannot read is trivially bypassed.",
        "Write the command out literally (no eval, no variables holding commands), or approve it once.",
        "rm -rf build", 'eval "$CMD"')}
    for mod in families():
        for rule in mod.RULES:
            out[rule.id] = rule
    return out


def rule_ids() -> frozenset[str]:
    return frozenset(all_rules())
