"""The registry: ten stable ids, each with its explanation texts, and unique rule ids.

The texts test fails while any check still carries placeholder text: intended, so a
release cannot ship a `handrail explain` that says TODO.
"""

from __future__ import annotations

import pytest

from handrail.checks import CHECK_IDS, all_checks, all_rules, load_check, module_name
from handrail.checks.base import Check
from handrail.core.finding import Severity

EXPECTED_IDS = ("backups", "rollback", "secrets", "least-privilege", "authz", "tests-before-deploy",
                "smoke-after-deploy", "agent-log", "handoff", "environments")
TEXTS = ("question", "why", "fix", "good_example", "bad_example")


def test_ten_stable_ids_in_report_order() -> None:
    assert CHECK_IDS == EXPECTED_IDS


@pytest.mark.parametrize("cid", EXPECTED_IDS)
def test_each_id_loads(cid: str) -> None:
    check = load_check(cid)
    assert isinstance(check, Check) and check.id == cid
    assert module_name(cid) == f"handrail.checks.{cid.replace('-', '_')}"


def test_unknown_id_is_refused() -> None:
    with pytest.raises(KeyError):
        load_check("nope")


@pytest.mark.parametrize("cid", EXPECTED_IDS)
def test_each_check_explains_itself(cid: str) -> None:
    check = load_check(cid)
    for attr in TEXTS:
        value = getattr(check, attr, "")
        assert isinstance(value, str) and value.strip(), f"{cid}.{attr} is empty"
        assert "TODO" not in value, f"{cid}.{attr} is still a placeholder"
    assert check.question.rstrip().endswith("?")


def test_rule_ids_unique_and_well_formed() -> None:
    rules = all_rules()  # raises on a duplicate id across checks
    for rule_id, (_check, rule) in rules.items():
        assert rule_id == rule.id and rule_id == rule_id.strip().lower() and " " not in rule_id
        assert rule.description.strip(), rule_id
        assert isinstance(rule.severity, Severity)
        assert rule_id not in CHECK_IDS, f"{rule_id} shadows a check id in handrail:ignore[...]"
    per_check = [r.id for c in all_checks() for r in c.rules]
    assert len(per_check) == len(set(per_check))
