"""JSON output against the stable contract (shared/contract.md): exact keys, additive extras only."""

from __future__ import annotations

import json

from handrail.checks import CHECK_IDS
from handrail.core.finding import CheckResult, Confidence, Finding, Location, Severity, Status
from handrail.core.runner import Report
from handrail.render import render

# The contract's keys; ours may add to them (never remove or rename).
REPORT_KEYS = {"tool", "root", "stacks", "checks"}
CHECK_KEYS = {"id", "question", "status", "summary", "findings"}
FINDING_KEYS = {"fingerprint", "check", "rule", "severity", "message", "path", "line", "commit", "evidence", "fix"}
ADDITIVE_CHECK = {"evidence", "suppressed"}
ADDITIVE_FINDING = {"confidence", "related"}


def _report() -> Report:
    f = Finding("secrets", "secret-key", Severity.CRITICAL, "Live key", "src/a.py", 3, evidence="sk_live_…",
                fix="Rotate", fingerprint="f" * 32, confidence=Confidence.MEDIUM,
                related=[Location("src/b.py", 4, "used")])
    history = Finding("secrets", "secret-key", Severity.HIGH, "Key in history", ".env", 1, commit="c" * 40,
                      fingerprint="e" * 32)
    odd = Finding("authz", "route-open", Severity.LOW, "open", "caf\udcff.py", None, fingerprint="d" * 32)
    return Report(root="/srv/app", stacks=["laravel"], results=[
        CheckResult("secrets", "Secrets?", Status.FAIL, "2 keys", [f, history], suppressed=1),
        CheckResult("authz", "Authz?", Status.WARN, "1 route", [odd]),
        CheckResult("backups", "Backups?", Status.PASS, "pg_dump", evidence=[Location("deploy.sh", 2, "pg_dump")]),
    ])


def test_keys_and_types_follow_the_contract() -> None:
    doc = json.loads(render(_report(), "json"))
    assert set(doc) == REPORT_KEYS
    assert doc["tool"] == {"name": "handrail", "version": doc["tool"]["version"]}
    assert isinstance(doc["tool"]["version"], str) and doc["root"] == "/srv/app" and doc["stacks"] == ["laravel"]
    for check in doc["checks"]:
        assert set(check) == CHECK_KEYS | ADDITIVE_CHECK
        assert check["status"] in {"pass", "fail", "warn", "unknown"}
        for f in check["findings"]:
            assert set(f) == FINDING_KEYS | ADDITIVE_FINDING
            assert f["severity"] in {"critical", "high", "medium", "low", "info"}
            assert f["line"] is None or isinstance(f["line"], int)
            assert f["path"] is None or isinstance(f["path"], str)


def test_values_round_trip() -> None:
    doc = json.loads(render(_report(), "json"))
    secrets = doc["checks"][0]
    first, history = secrets["findings"]
    assert first == {"fingerprint": "f" * 32, "check": "secrets", "rule": "secret-key", "severity": "critical",
                     "message": "Live key", "path": "src/a.py", "line": 3, "commit": None, "evidence": "sk_live_…",
                     "fix": "Rotate", "confidence": "medium",
                     "related": [{"path": "src/b.py", "line": 4, "note": "used", "commit": None}]}
    assert history["commit"] == "c" * 40
    assert secrets["suppressed"] == 1
    assert doc["checks"][2]["evidence"] == [{"path": "deploy.sh", "line": 2, "note": "pg_dump", "commit": None}]


def test_output_is_ascii_and_survives_non_utf8_paths() -> None:
    text = render(_report(), "json")
    text.encode("ascii")  # no encoding problem on any stdout
    assert json.loads(text)["checks"][1]["findings"][0]["path"] == "caf\udcff.py"


def test_check_ids_are_the_stable_ten() -> None:
    assert CHECK_IDS == ("backups", "rollback", "secrets", "least-privilege", "authz", "tests-before-deploy",
                         "smoke-after-deploy", "agent-log", "handoff", "environments")
