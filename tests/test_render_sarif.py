"""SARIF 2.1.0 output, validated against the official OASIS schema (tests/data)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit

import jsonschema
import pytest

from handrail.checks import all_rules
from handrail.core.finding import CheckResult, Finding, Location, Severity, Status
from handrail.core.runner import Report
from handrail.render import render
from handrail.render.sarif_format import FINGERPRINT_KEY, artifact_uri

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@cache
def _validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def _sarif(report: Report) -> dict:
    doc = json.loads(render(report, "sarif"))
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    return doc


def _finding(rule: str, sev: Severity, path: str | None, line: int | None, **kw: object) -> Finding:
    f = Finding("secrets", rule, sev, f"message for {rule}", path, line, **kw)  # type: ignore[arg-type]
    f.fingerprint = f.compute_fingerprint()
    return f


def _report(*findings: Finding) -> Report:
    status = Status.FAIL if findings else Status.PASS
    return Report(root="/tmp/some repo", stacks=["nextjs"], results=[
        CheckResult("secrets", "Are there secrets?", status, "summary", list(findings),
                    evidence=[] if findings else [Location("README.md", 1, "nothing found")]),
        CheckResult("backups", "Backups?", Status.UNKNOWN, "cannot tell")])


def test_the_shipped_schema_is_the_official_one() -> None:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    with pytest.raises(jsonschema.ValidationError):  # the validator really rejects bad documents
        _validator().validate({"version": "2.1.0", "runs": [{"tool": {}}]})


def test_report_without_findings_is_valid_and_lists_every_rule() -> None:
    doc = _sarif(_report())
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0"
    driver = run["tool"]["driver"]
    assert driver["name"] == "handrail" and driver["version"] and "informationUri" not in driver
    ids = [r["id"] for r in driver["rules"]]
    assert ids == list(all_rules())
    assert run["results"] == []
    assert {c["id"]: c["status"] for c in run["properties"]["handrail/checks"]} == {"secrets": "pass",
                                                                                   "backups": "unknown"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///tmp/some%20repo/"


def test_rules_carry_help_level_tags_and_security_severity() -> None:
    rules = all_rules()
    if not rules:
        pytest.skip("no check declares rules yet")
    doc = _sarif(_report())
    for entry in doc["runs"][0]["tool"]["driver"]["rules"]:
        check, rule = rules[entry["id"]]
        assert entry["shortDescription"]["text"]
        assert entry["fullDescription"]["text"] == check.why
        assert check.question in entry["help"]["text"] and "Fix:" in entry["help"]["text"]
        assert "```" in entry["help"]["markdown"]
        assert entry["properties"]["tags"][0] == check.id
        assert float(entry["properties"]["security-severity"]) >= 0
        expected = {"critical": "error", "high": "error", "medium": "warning"}.get(rule.severity.value, "note")
        assert entry["defaultConfiguration"]["level"] == expected


@pytest.mark.parametrize(("sev", "level"), [(Severity.CRITICAL, "error"), (Severity.HIGH, "error"),
                                            (Severity.MEDIUM, "warning"), (Severity.LOW, "note"),
                                            (Severity.INFO, "note")])
def test_result_level_follows_the_finding_severity(sev: Severity, level: str) -> None:
    doc = _sarif(_report(_finding("x-rule", sev, "a.py", 3)))
    assert doc["runs"][0]["results"][0]["level"] == level


def test_result_shape_location_fingerprint_properties() -> None:
    f = _finding("x-rule", Severity.HIGH, "src/app.py", 42, evidence="KEY=sk_…", fix="Rotate it.")
    doc = _sarif(_report(f))
    res = doc["runs"][0]["results"][0]
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert res["ruleId"] == "x-rule" and rules[res["ruleIndex"]]["id"] == "x-rule"  # undeclared rule still described
    phys = res["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"] == {"uri": "src/app.py", "uriBaseId": "%SRCROOT%"}
    assert phys["region"] == {"startLine": 42}
    assert res["partialFingerprints"] == {FINGERPRINT_KEY: f.fingerprint}
    assert res["properties"] == {"check": "secrets", "severity": "high", "confidence": "high",
                                 "evidence": "KEY=sk_…"}
    assert res["message"]["text"].startswith("message for x-rule") and "Rotate it." in res["message"]["text"]


def test_every_result_has_a_location_as_github_requires() -> None:
    borrowed = _finding("a-rule", Severity.MEDIUM, None, None,
                        related=[Location(None, None, "repo"), Location("fly.toml", 2, "app")])
    bare = _finding("b-rule", Severity.HIGH, None, None)
    no_line = _finding("c-rule", Severity.LOW, "Dockerfile", None)
    zero_line = _finding("d-rule", Severity.LOW, "Dockerfile", 0)
    doc = _sarif(_report(borrowed, bare, no_line, zero_line))
    run = doc["runs"][0]
    for res in run["results"]:  # GitHub rejects the whole upload otherwise (codeql-action#1738)
        assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    loc = by_rule["a-rule"]["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "fly.toml"
    assert loc["physicalLocation"]["region"]["startLine"] == 2
    assert "region" not in by_rule["c-rule"]["locations"][0]["physicalLocation"]
    assert "region" not in by_rule["d-rule"]["locations"][0]["physicalLocation"]
    # nothing to anchor it to: reported as a tool notification, never silently dropped
    assert "b-rule" not in by_rule
    note = run["invocations"][0]["toolExecutionNotifications"]
    assert [(n["associatedRule"]["id"], n["level"]) for n in note] == [("b-rule", "error")]
    assert run["properties"]["handrail/unlocated"][0]["fingerprint"] == bare.fingerprint


def test_repository_level_finding_is_anchored_at_its_checks_evidence() -> None:
    bare = _finding("b-rule", Severity.MEDIUM, None, None)
    report = _report(bare)
    report.results[0].evidence = [Location(None, None, "whole repo"), Location("README.md", 4, "no setup section")]
    run = _sarif(report)["runs"][0]
    loc = run["results"][0]["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "README.md"
    assert loc["physicalLocation"]["region"]["startLine"] == 4
    assert loc["message"]["text"].startswith("repository-level finding")
    assert run["invocations"][0]["toolExecutionNotifications"] == []


@pytest.mark.parametrize(("path", "uri"), [
    ("dir with space/a b.py", "dir%20with%20space/a%20b.py"),
    ("caf\udcff.py", "caf%FF.py"),  # a non-UTF-8 byte, kept as that byte
    ("naïve/ü.py", "na%C3%AFve/%C3%BC.py"),
    ("50%/#x?.py", "50%25/%23x%3F.py"),
    ("/abs/like.py", "abs/like.py"),
])
def test_odd_paths_are_percent_encoded(path: str, uri: str) -> None:
    assert artifact_uri(path) == uri
    assert unquote_to_bytes(uri) == path.lstrip("/").encode("utf-8", "surrogateescape")
    doc = _sarif(_report(_finding("x-rule", Severity.LOW, path, 1)))
    got = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert got == uri
    assert urlsplit(got).scheme == "" and " " not in got


def test_related_locations_and_history_commit() -> None:
    f = _finding("x-rule", Severity.CRITICAL, "old/.env", 5, commit="f" * 40,
                 related=[Location("src/a.py", 1, "reads it"), Location(None, None, "nowhere")])
    res = _sarif(_report(f))["runs"][0]["results"][0]
    assert res["properties"]["commit"] == "f" * 40
    assert [r["physicalLocation"]["artifactLocation"]["uri"] for r in res["relatedLocations"]] == ["src/a.py"]
    assert res["relatedLocations"][0]["message"]["text"] == "reads it"


def test_control_characters_in_messages_are_escaped() -> None:
    f = _finding("x-rule", Severity.LOW, "a.py", 1)
    f.message = "bad \x1b[31m text \udcff"
    text = render(_report(f), "sarif")
    assert "\x1b" not in text and "\\u001b" not in text
    assert json.loads(text)["runs"][0]["results"][0]["message"]["text"].startswith("bad \\x1b[31m text \\xff")
