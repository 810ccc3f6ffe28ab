"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run. `tool.driver.rules` lists every rule of every check (so a viewer can explain a
rule even when this run found nothing for it), with the check's why/fix/examples as help
and a `security-severity` GitHub uses to rank alerts. Each finding becomes one result
whose `partialFingerprints["handrail/v1"]` is the line-independent fingerprint, so alerts
survive code moving.

Locations: GitHub code scanning rejects the *whole file* when any result has no
location ("locationFromSarifResult: expected at least one location",
github/codeql-action#1738), so every result here has one. A finding with a path gets that
path (percent-encoded, relative to `%SRCROOT%`) and a region when its line is known. A
finding without a path is anchored, in order, at its first related location with a path,
then at the first evidence location of its check (the file the answer rests on), with a
location message saying so. A repository-level finding with neither (e.g. "no README at
all") is not invented a place: it goes to `invocations[0].toolExecutionNotifications`
(shown on GitHub's tool status page) and to `run.properties["handrail/unlocated"]`, and its
check's status and summary are in `run.properties["handrail/checks"]` like every check's.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from handrail.core.finding import Finding, Location, Severity
from handrail.render.common import clean

if TYPE_CHECKING:
    from handrail.checks.base import Check, Rule
    from handrail.core.runner import Report

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "handrail/v1"

LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note",
         Severity.INFO: "note"}
# GitHub ranks alerts by this CVSS-like score: >= 9 critical, >= 7 high, >= 4 medium, else low.
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0",
                     Severity.INFO: "0.0"}


def render(report: Report, *, color: bool = False, quiet: bool = False) -> str:
    return json.dumps(to_sarif(report), indent=2, ensure_ascii=True) + "\n"


def to_sarif(report: Report) -> dict[str, Any]:
    rules = _rules()
    index = {r["id"]: i for i, r in enumerate(rules)}
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for result in report.results:
        fallback = next((loc for loc in result.evidence if loc.path), None)
        for f in result.findings:
            if f.rule not in index:  # a rule no check declares: still describe it, never drop the result
                index[f.rule] = len(rules)
                rules.append(_adhoc_rule(f))
            out = _result(f, index[f.rule], fallback)
            if "locations" in out:
                results.append(out)
            else:
                notifications.append(_notification(f, index[f.rule]))
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "handrail", "version": report.version, "semanticVersion": report.version,
                            "rules": rules}},  # no informationUri: optional, and there is no project URL yet
        "originalUriBaseIds": {SRCROOT: _root_base(report.root)},
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "handrail/stacks": [clean(s, newlines=False) for s in report.stacks],
            "handrail/checks": [{"id": r.check, "status": r.status.value, "summary": clean(r.summary),
                                 "findings": len(r.findings), "suppressed": r.suppressed}
                                for r in report.results],
            "handrail/unlocated": [n["properties"] for n in notifications],
        },
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def artifact_uri(path: str) -> str:
    """Relative URI reference for a repository path; non-UTF-8 bytes are percent-encoded as bytes."""
    raw = path.encode("utf-8", "surrogateescape")
    return quote(raw.lstrip(b"/"), safe="/-._~")


def _root_base(root: str) -> dict[str, Any]:
    base: dict[str, Any] = {"description": {"text": "The root of the scanned repository."}}
    try:
        uri = Path(root).resolve().as_uri()
    except ValueError:
        return base
    base["uri"] = uri if uri.endswith("/") else uri + "/"
    return base


def _rules() -> list[dict[str, Any]]:
    """Every declared rule. A check that cannot load (the runner already reported it `unknown`) or a
    duplicate rule id must not cost the whole SARIF file; results for such rules get an ad-hoc rule."""
    from handrail.checks import CHECK_IDS, load_check

    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for cid in CHECK_IDS:
        try:
            check = load_check(cid)
            rules = tuple(check.rules)
        except Exception:
            continue
        for rule in rules:
            if rule.id not in seen:
                seen.add(rule.id)
                out.append(_rule(check, rule))
    return out


def _rule(check: Check, rule: Rule) -> dict[str, Any]:
    fix = rule.fix or check.fix
    text = (f"{check.question}\n\nWhy: {check.why}\n\nFix: {fix}\n\nGood:\n{check.good_example}\n\n"
            f"Bad:\n{check.bad_example}\n")
    markdown = (f"**{_md(check.question)}**\n\n{_md(check.why)}\n\n**Fix:** {_md(fix)}\n\n"
                f"Good:\n\n{_fence(check.good_example)}\n\nBad:\n\n{_fence(check.bad_example)}\n\n"
                f"Run `handrail explain {check.id}` for more.")
    return {
        "id": rule.id,
        "name": _pascal(rule.id),
        "shortDescription": {"text": clean(rule.description or check.question, newlines=False)},
        "fullDescription": {"text": clean(check.why or check.question)},
        "help": {"text": clean(text), "markdown": clean(markdown)},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {"tags": [check.id, "security"], "security-severity": SECURITY_SEVERITY[rule.severity],
                       "precision": "high", "problem.severity": _problem_severity(rule.severity)},
    }


def _adhoc_rule(f: Finding) -> dict[str, Any]:
    return {
        "id": f.rule,
        "name": _pascal(f.rule),
        "shortDescription": {"text": clean(f.rule, newlines=False)},
        "defaultConfiguration": {"level": LEVEL[f.severity]},
        "properties": {"tags": [f.check, "security"], "security-severity": SECURITY_SEVERITY[f.severity]},
    }


def _notification(f: Finding, rule_index: int) -> dict[str, Any]:
    return {
        "level": LEVEL[f.severity],
        "message": {"text": f"{f.check}: {clean(f.message) or f.rule}"},
        "associatedRule": {"id": f.rule, "index": rule_index},
        "properties": {"ruleId": f.rule, "check": f.check, "severity": f.severity.value,
                       "message": clean(f.message), "fingerprint": f.fingerprint},
    }


def _result(f: Finding, rule_index: int, fallback: Location | None = None) -> dict[str, Any]:
    message = clean(f.message) or f.rule
    if f.fix:
        message = f"{message}\nFix: {clean(f.fix)}"
    out: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVEL[f.severity],
        "message": {"text": message},
    }
    primary = Location(f.path, f.line, "", f.commit) if f.path else next((r for r in f.related if r.path), None)
    if primary is None and fallback is not None:
        note = f"repository-level finding, shown at the evidence its check rests on: {fallback.note}".rstrip(": ")
        primary = Location(fallback.path, fallback.line, note, fallback.commit)
    if primary is not None:
        out["locations"] = [_location(primary)]
    related = [r for r in f.related if r.path and r is not primary]
    if related:
        out["relatedLocations"] = [_location(r, i) for i, r in enumerate(related[:10], 1)]
    if f.fingerprint:
        out["partialFingerprints"] = {FINGERPRINT_KEY: f.fingerprint}
    props: dict[str, Any] = {"check": f.check, "severity": f.severity.value, "confidence": f.confidence.value}
    if f.evidence:
        props["evidence"] = clean(f.evidence)
    if f.commit:
        props["commit"] = f.commit
    out["properties"] = props
    return out


def _location(loc: Location, loc_id: int | None = None) -> dict[str, Any]:
    assert loc.path is not None
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(loc.path), "uriBaseId": SRCROOT}}
    if loc.line is not None and loc.line >= 1:
        physical["region"] = {"startLine": loc.line}
    out: dict[str, Any] = {"physicalLocation": physical}
    if loc_id is not None:
        out["id"] = loc_id
    if loc.note:
        out["message"] = {"text": clean(loc.note)}
    return out


def _pascal(rule_id: str) -> str:
    name = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", rule_id) if part)
    return name or "Rule"


def _problem_severity(sev: Severity) -> str:
    return {"error": "error", "warning": "warning"}.get(LEVEL[sev], "recommendation")


def _md(text: str) -> str:
    """Check prose is ours and uses `code` spans on purpose; only keep `<placeholder>` from vanishing as HTML."""
    return html.escape(text, quote=False)


def _fence(code: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{code}\n{fence}"
