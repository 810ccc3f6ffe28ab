"""Hits -> findings: one finding per secret value, listing every commit and path where it appears.

Precision lives here too: weak (context-only) rules are not trusted in tests, fixtures and docs, where
sample credentials are normal; format-exact tokens are still reported there, at low confidence. Nothing
here keeps a whole secret: the key is a hash and the evidence is cut by `redact`.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict

from handrail.core.finding import Confidence, Finding, Location, Severity
from handrail.core.redact import redact
from handrail.secrets.engine import Hit
from handrail.secrets.rules import SecretRule
from handrail.secrets.scan import ScanOutcome

# Rules that judge by a name and entropy, not a provider's exact format.
WEAK_RULES = frozenset({
    "generic-secret-assignment", "config-secret-assignment", "dotenv-secret", "jwt-signing-secret",
    "django-secret-key", "database-url-password", "url-credentials", "twilio-api-key", "postmark-server-token",
    "pypirc-password",
})
TEST_PATH_RX = re.compile(
    r"(?:^|/)(?:tests?|specs?|__tests__|__mocks__|mocks?|fixtures?|__fixtures__|testdata|test[_-]data|e2e"
    r"|cypress|testing|unit|integration|functional|t)/|(?:^|/)test_[^/]*$|[._-](?:test|spec)s?\.[A-Za-z0-9]+$|_tests?\.[A-Za-z0-9]+$",
    re.IGNORECASE,
)
DOC_PATH_RX = re.compile(r"(?:^|/)(?:docs?|documentation|examples?|samples?)/|\.(?:md|mdx|rst|adoc|txt)$"
                         r"|[._-](?:example|sample|template|dist)(?:\.[\w-]+)?$", re.IGNORECASE)
KEY_FILE_RULE = "secret-key-file"
MAX_RELATED = 100
FIX = ("Rotate the credential at its provider first (assume it is compromised), then remove it from the code "
       "and load it from the environment or a secret manager; rewriting history does not un-leak a pushed key.")


def value_key(value: str) -> str:
    """The stable identity of a secret in fingerprints and baselines: a hash, never the value."""
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def build_findings(outcome: ScanOutcome) -> list[Finding]:
    rules = outcome.rules
    groups: dict[str, list[Hit]] = defaultdict(list)
    for hit in outcome.hits:
        rule_id = rules[hit.rule].id if hit.rule >= 0 else KEY_FILE_RULE
        if rule_id in WEAK_RULES and _sample_path(hit.path):
            continue
        groups[hit.value].append(hit)
    findings = [_finding(value, hits, rules, outcome.order) for value, hits in groups.items()]
    findings.sort(key=lambda f: (-f.severity.rank, f.path or "", f.line or 0, f.rule))
    return findings


def _sample_path(path: str) -> bool:
    return bool(TEST_PATH_RX.search(path) or DOC_PATH_RX.search(path))


def _rule_of(hit: Hit, rules: tuple[SecretRule, ...]) -> tuple[str, Severity, str, bool]:
    if hit.rule < 0:
        return KEY_FILE_RULE, Severity.HIGH, "Key store or private key file (secret by nature)", False
    r = rules[hit.rule]
    return r.id, r.severity, r.description, r.public


def _finding(value: str, hits: list[Hit], rules: tuple[SecretRule, ...], order: dict[str, int]) -> Finding:
    # The most severe rule names the finding; among equals the more specific (earlier) one.
    best = max(hits, key=lambda h: (_rule_of(h, rules)[1].rank, -h.rule if h.rule >= 0 else 0))
    rule_id, severity, description, public = _rule_of(best, rules)
    oldest = len(order) + 1

    def place(h: Hit) -> tuple:
        # Tree first (what is there now), then staged, then history from the commit that introduced it.
        source = 0 if h.commit is None else 1
        return (source, -order.get(h.commit or "", oldest), h.path, h.line)

    seen: set[tuple] = set()
    ordered: list[Hit] = []
    for h in sorted(hits, key=place):
        k = (h.path, h.line, h.commit)
        if k not in seen:
            seen.add(k)
            ordered.append(h)
    primary = ordered[0]
    in_tree = [h for h in ordered if h.commit is None]
    commits = {h.commit for h in ordered if h.commit}
    paths = {h.path for h in ordered}
    confidence = Confidence.HIGH
    if rule_id in WEAK_RULES:
        confidence = Confidence.MEDIUM
    if all(_sample_path(h.path) for h in ordered):
        confidence = Confidence.LOW
    where = f"{primary.path}:{primary.line}"
    if public:
        message = f"{description} at {where}"
    elif in_tree:
        message = f"{description} committed at {where}"
    else:
        message = (f"{description} removed from the working tree but still in git history "
                   f"(added in {primary.commit[:12] if primary.commit else '?'} at {where})")
    if commits:
        message += f"; in {len(commits)} commit(s)"
    if len(paths) > 1:
        message += f" across {len(paths)} paths"
    related = [Location(h.path, h.line, "also here" if h.commit is None else "in history", h.commit)
               for h in ordered[1:MAX_RELATED + 1]]
    if len(ordered) > MAX_RELATED + 1:
        related.append(Location(None, None, f"and {len(ordered) - MAX_RELATED - 1} more occurrence(s)"))
    shown = value if value.startswith(("blob:", "file:")) else redact(value)
    return Finding(
        check="secrets", rule=rule_id, severity=severity, message=message, path=primary.path,
        line=primary.line, evidence=f"{rule_id}: {shown}", fix="" if public else FIX,
        key=value_key(value), confidence=confidence, commit=primary.commit, related=related, anchor="",
    )
