"""The check registry: the ten questions, in report order, by stable id."""

from __future__ import annotations

import importlib

from handrail.checks.base import Check, Rule

CHECK_IDS: tuple[str, ...] = (
    "backups",
    "rollback",
    "secrets",
    "least-privilege",
    "authz",
    "tests-before-deploy",
    "smoke-after-deploy",
    "agent-log",
    "handoff",
    "environments",
)


def module_name(check_id: str) -> str:
    return "handrail.checks." + check_id.replace("-", "_")


def load_check(check_id: str) -> Check:
    if check_id not in CHECK_IDS:
        raise KeyError(check_id)
    check = importlib.import_module(module_name(check_id)).CHECK
    assert check.id == check_id, f"{module_name(check_id)} declares id {check.id}"
    return check


def all_checks() -> list[Check]:
    return [load_check(cid) for cid in CHECK_IDS]


def all_rules() -> dict[str, tuple[Check, Rule]]:
    """Every rule id across checks; ids are unique so `handrail:ignore[id]` is unambiguous."""
    out: dict[str, tuple[Check, Rule]] = {}
    for check in all_checks():
        for rule in check.rules:
            if rule.id in out:
                raise ValueError(f"rule id {rule.id} declared by {out[rule.id][0].id} and {check.id}")
            out[rule.id] = (check, rule)
    return out


__all__ = ["CHECK_IDS", "Check", "Rule", "all_checks", "all_rules", "load_check"]
