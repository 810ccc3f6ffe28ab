"""The pull-request comment: table, collapsible findings, escaping, GitHub's size limit."""

from __future__ import annotations

import re

from handrail.core.finding import CheckResult, Finding, Location, Severity, Status
from handrail.core.runner import Report
from handrail.render import render
from handrail.render.markdown_format import BUDGET, GITHUB_COMMENT_LIMIT, code, inline
from handrail.render.markdown_format import render as render_md


def _f(rule: str, sev: Severity, path: str | None = "a.py", line: int | None = 1, **kw: object) -> Finding:
    return Finding("secrets", rule, sev, f"msg {rule}", path, line, **kw)  # type: ignore[arg-type]


def _report(findings: list[Finding] | None = None) -> Report:
    findings = findings if findings is not None else [_f("low-rule", Severity.LOW),
                                                      _f("crit-rule", Severity.CRITICAL, "src/x.ts", 9)]
    return Report(root="/r", stacks=["nextjs", "supabase"], results=[
        CheckResult("backups", "Backups?", Status.PASS, "pg_dump in deploy.sh",
                    evidence=[Location("deploy.sh", 3, "pg_dump")]),
        CheckResult("secrets", "Are there secrets?", Status.FAIL, "keys found", findings, suppressed=1),
        CheckResult("authz", "Who reads what?", Status.WARN, "one route",
                    [Finding("authz", "route-open", Severity.MEDIUM, "open", "r.py", 2)]),
        CheckResult("rollback", "Rollback?", Status.UNKNOWN, "no deploy config"),
    ])


def test_heading_table_with_status_emoji_and_counts() -> None:
    out = render(_report(), "markdown")
    assert out.startswith("<!-- handrail-report -->\n## Handrail")
    assert "| ✅ pass | `backups` | pg\\_dump in deploy.sh | - |" in out
    assert "| ❌ fail | `secrets` | keys found | 2 (+1 suppressed) |" in out
    assert "| ⚠️ warn | `authz` |" in out and "| ❔ unknown | `rollback` |" in out
    assert "**Verdict:** Not ready" in out


def test_failing_and_warning_checks_get_details_worst_first() -> None:
    out = render(_report(), "markdown")
    blocks = re.findall(r"<details><summary>(.*?)</summary>(.*?)</details>", out, re.S)
    assert [re.search(r"<b>(.*?)</b>", s).group(1) for s, _ in blocks] == ["secrets", "authz"]  # type: ignore[union-attr]
    body = blocks[0][1]
    assert body.index("crit-rule") < body.index("low-rule")
    assert "`src/x.ts:9`" in body
    assert "backups" not in "".join(b for _, b in blocks)  # passing checks have no details


def test_quiet_has_table_and_verdict_only() -> None:
    out = render(_report(), "markdown", quiet=True)
    assert "| ❌ fail | `secrets` |" in out and "**Verdict:**" in out
    assert "<details>" not in out


def test_repository_text_is_escaped() -> None:
    nasty = _f("x-rule", Severity.HIGH, "we|rd`name.py", 4,
               evidence="a `b` ``c`` <script>alert(1)</script>", fix="see <img src=x onerror=1> @octocat")
    nasty.message = "pipe | and <b>html</b> and @someone and *stars* [link](http://x)"
    report = _report([nasty])
    report.results[1].summary = "a | b <i>"
    out = render(report, "markdown")
    row = next(line for line in out.splitlines() if "`secrets`" in line)
    assert row.count(" | ") == 3 and "a \\| b &lt;i&gt;" in row  # the pipe cannot open a new column
    assert "<script>" not in out.replace("`a `b` ``c`` <script>alert(1)</script>`", "")
    assert "<img" not in out and "<b>html" not in out
    assert "@someone" not in out and "@octocat" not in out  # no mention pings
    assert "\\[link\\]" in out and "\\*stars\\*" in out
    assert "```a `b` ``c`` <script>alert(1)</script>```" in out  # evidence kept verbatim in a safe code span


def test_code_span_and_inline_helpers() -> None:
    assert code("plain") == "`plain`"
    assert code("a`b") == "``a`b``"
    assert code("`x`") == "`` `x` ``"
    assert code("a|b", table=True) == "`a\\|b`"
    # control characters become visible escapes, whose backslashes are themselves escaped for Markdown
    assert inline("line1\nline2\r\x1b[1m") == "line1 line2\\\\x0d\\\\x1b\\[1m"


def test_big_reports_stay_under_githubs_limit_and_say_what_is_hidden() -> None:
    many = [_f(f"rule-{i}", Severity.HIGH, f"src/file_{i}.py", i, evidence="x" * 280, fix="y" * 400)
            for i in range(1000)]
    out = render(_report(many), "markdown")
    assert len(out) <= BUDGET < GITHUB_COMMENT_LIMIT
    shown = out.count("**high**")
    assert 0 < shown < 1000
    assert f"{1000 - shown} more finding(s) not shown" in out
    assert out.count("<details>") == out.count("</details>")  # nothing cut mid-element
    assert out.rstrip().endswith("finding(s), 1 suppressed\\]")


def test_tiny_budget_still_gives_table_and_verdict() -> None:
    out = render_md(_report(), budget=100)
    assert "| ❌ fail | `secrets` |" in out and "**Verdict:**" in out and "3 more finding(s) not shown" in out
