"""Every secret rule's own examples, run through the same confirmation a scanner uses."""

from __future__ import annotations

import re

import pytest

from handrail.core.finding import Severity
from handrail.secrets.rules import RULES, SecretRule, is_placeholder, match_line, shannon_entropy

_MATCH = [pytest.param(r, line, id=f"{r.id}-{i}") for r in RULES for i, line in enumerate(r.must_match)]
_NOT = [pytest.param(r, line, id=f"{r.id}-{i}") for r in RULES for i, line in enumerate(r.must_not_match)]


@pytest.mark.parametrize(("rule", "line"), _MATCH)
def test_must_match(rule: SecretRule, line: str) -> None:
    assert not rule.keywords or any(k in line.lower() for k in rule.keywords), "keyword prefilter would skip it"
    found = match_line(rule, line)
    assert found, f"{rule.id} missed its example"
    for value in found:
        assert value in line
        if rule.entropy is not None:
            assert shannon_entropy(value) >= rule.entropy


@pytest.mark.parametrize(("rule", "line"), _NOT)
def test_must_not_match(rule: SecretRule, line: str) -> None:
    assert match_line(rule, line) == []


def test_ids_unique_and_kebab_case() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", i) for i in ids)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_shape(rule: SecretRule) -> None:
    assert len(rule.must_match) >= 2 and len(rule.must_not_match) >= 2
    # Only a path-scoped or context rule may go without keywords (its path or context is the gate).
    assert (rule.keywords or rule.paths or rule.context) and all(k == k.lower() and k for k in rule.keywords)
    assert "secret" in re.compile(rule.pattern).groupindex
    assert isinstance(rule.severity, Severity)
    # Public-by-design values are information, never leaks.
    assert (rule.severity is Severity.INFO) == rule.public


def test_public_rules_cover_documented_public_values() -> None:
    public = {r.id for r in RULES if r.public}
    assert {"stripe-publishable-key", "supabase-anon-key", "firebase-web-api-key"} <= public


def test_shannon_entropy() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == pytest.approx(2.0)
    assert shannon_entropy("FAKE8rESQedUStPKR0CsTy4Qwb8DwkNh") > 4.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("AKIAIOSFODNN7EXAMPLE", True),
        ("${DB_PASSWORD}", True),
        ("<pass>", True),
        ("xxx", True),
        ("changeme", True),
        ("sk_live_000000000000000000000000", True),
        ("FAKE8rESQedUStPKR0CsTy4Qwb8DwkNh", False),
        ("Fq7xK2pLm9Qz", False),
    ],
)
def test_is_placeholder(value: str, expected: bool) -> None:
    assert is_placeholder(value) is expected


def test_keyword_gate_applies_before_pattern() -> None:
    rule = next(r for r in RULES if r.id == "github-token")
    gated = SecretRule(**{**rule.__dict__, "keywords": ("never-present",)})
    assert match_line(rule, rule.must_match[0])
    assert match_line(gated, rule.must_match[0]) == []


def test_huge_line_stays_fast() -> None:
    line = "a" * 200_000 + " token = 'x' " + "b=" * 50_000
    for rule in RULES:
        match_line(rule, line)


@pytest.mark.parametrize("backend", ["hyperscan", "python"])
def test_prefilter_is_a_superset_of_every_example(backend: str) -> None:
    """A prefilter that misses a line the rule matches loses a secret silently; each rule's examples, alone in
    a buffer, must come out of the multi-pattern pass as candidates for that rule."""
    from handrail.secrets.prefilter import load_prefilter

    pre = load_prefilter(RULES, backend)
    for i, rule in enumerate(RULES):
        for line in rule.must_match:
            hits = {r for r, _ in pre.scan(line.encode())}
            assert i in hits, f"{backend} prefilter drops {rule.id} example {line[:40]!r}"
            hits = {r for r, _ in pre.scan(b"+" + line.encode())}  # as an added line of a diff
            assert i in hits, f"{backend} prefilter drops {rule.id} example in a diff"
