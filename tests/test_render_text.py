"""The terminal report: table, findings worst first, pass evidence, suppressed counts, verdict."""

from __future__ import annotations

import re

from handrail.core.finding import CheckResult, Confidence, Finding, Location, Severity, Status
from handrail.core.runner import Report
from handrail.render import render

ANSI = re.compile(r"\x1b\[")


def _report() -> Report:
    crit = Finding("secrets", "secret-live-key", Severity.CRITICAL, "Live Stripe key [bold]committed[/bold]",
                   "src/pay ment.js", 12, evidence="const key = 'sk_live_…' \x1b[31mred", fix="Rotate the key.",
                   fingerprint="a" * 32)
    low = Finding("secrets", "secret-test-key", Severity.LOW, "Test key in a fixture", "tests/key.txt", 3,
                  fingerprint="b" * 32, confidence=Confidence.LOW,
                  related=[Location("src/use.js", 9, "used here")])
    odd = Finding("authz", "route-no-auth", Severity.MEDIUM, "Route has no auth", "caf\udcff/x.py", 7,
                  fingerprint="c" * 32)
    nopath = Finding("rollback", "no-rollback", Severity.HIGH, "No rollback path", None, None, fingerprint="d" * 32)
    return Report(root="/tmp/app", stacks=["django", "postgresql"], results=[
        CheckResult("backups", "Is there a backup before migrations?", Status.PASS, "pg_dump runs before migrate",
                    evidence=[Location("deploy.sh", 4, "pg_dump"), Location("deploy.sh", 5, "migrate"),
                              Location("a", 1), Location("b", 2)]),
        CheckResult("secrets", "Are there secrets?", Status.FAIL, "2 keys", [low, crit], suppressed=2),
        CheckResult("authz", "Who can read what?", Status.WARN, "1 route", [odd]),
        CheckResult("rollback", "Can you roll back?", Status.FAIL, "nothing to roll back to", [nopath]),
        CheckResult("handoff", "Can someone else pick this up?", Status.UNKNOWN, "no docs to judge"),
    ])


def test_table_lists_every_question_with_status_summary_and_count() -> None:
    out = render(_report(), "text")
    for check, status, summary in (("backups", "pass", "pg_dump runs before migrate"), ("secrets", "fail", "2 keys"),
                                   ("authz", "warn", "1 route"), ("handoff", "unknown", "no docs to judge")):
        row = next(line for line in out.splitlines() if f" {check} " in line and status in line)
        assert summary in row
    secrets_row = next(line for line in out.splitlines() if " secrets " in line and "fail" in line)
    assert "2 (+2 suppressed)" in secrets_row


def test_findings_grouped_by_check_worst_first_with_location_evidence_fix() -> None:
    out = render(_report(), "text")
    assert out.index("CRITICAL") < out.index("LOW")  # worst first inside a check
    assert out.index("secret-live-key") < out.index("route-no-auth")  # the failing check before the warning
    assert "src/pay ment.js:12" in out
    assert "fix: Rotate the key." in out
    assert "see also: src/use.js:9 used here" in out
    assert "confidence: low" in out
    assert "(repository)" in out  # a finding without a path says so


def test_repository_text_cannot_inject_markup_or_escape_codes() -> None:
    out = render(_report(), "text")
    assert "[bold]committed[/bold]" in out  # shown literally, not interpreted by rich
    assert not ANSI.search(out)
    assert "\\x1b[31mred" in out
    assert "caf\\xff/x.py:7" in out  # surrogate-escaped name displayed, not crashing


def test_pass_evidence_suppressed_counts_and_verdict() -> None:
    out = render(_report(), "text")
    assert "backups: deploy.sh:4 pg_dump; deploy.sh:5 migrate; a:1 (+1 more)" in out
    assert "2 finding(s) suppressed" in out
    last = out.rstrip().splitlines()[-1]
    assert last.startswith("Not ready: 2 of 5 checks fail (secrets, rollback)")


def test_quiet_is_table_and_verdict_only() -> None:
    out = render(_report(), "text", quiet=True)
    assert " secrets " in out and "Not ready" in out
    assert "secret-live-key" not in out and "fix:" not in out and "suppressed by" not in out


def test_color_only_when_asked() -> None:
    assert ANSI.search(render(_report(), "text", color=True))
    assert not ANSI.search(render(_report(), "text", color=False))


def test_all_pass_and_empty_reports() -> None:
    ok = Report(root="/r", stacks=[], results=[
        CheckResult("backups", "q?", Status.PASS, "fine", evidence=[Location("x.sh", 1, "pg_dump")])])
    assert render(ok, "text").rstrip().splitlines()[-1].startswith("Ready: all 1 checks pass")
    empty = Report(root="/r", stacks=[])
    assert "no checks ran" in render(empty, "text")


def test_long_finding_lists_are_capped_with_a_count() -> None:
    many = [Finding("secrets", "r", Severity.LOW, f"finding {i}", f"f{i}.py", 1) for i in range(130)]
    report = Report(root="/r", stacks=[], results=[CheckResult("secrets", "q?", Status.FAIL, "many", many)])
    out = render(report, "text")
    assert out.count("   LOW ") == 100
    assert "30 more secrets finding(s) not shown" in out
