"""Markdown for a pull-request comment (GitHub-flavoured).

Everything quoted from the repository is escaped for where it lands: table cells (pipes,
newlines), HTML (`<summary>`), code spans (backtick runs) and `@mentions` (so a finding
never pings someone). GitHub rejects comments over 65536 characters, so findings are
added until a budget is reached and the rest are counted, never cut mid-element.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from handrail.core.finding import CheckResult, Finding, Status
from handrail.core.lazyre import lazy_re
from handrail.render.common import clean, location_text, shorten, sorted_findings, sorted_results, verdict, where

if TYPE_CHECKING:
    from handrail.core.runner import Report

GITHUB_COMMENT_LIMIT = 65536
# Headroom under GitHub's limit for whatever a CI step wraps around the comment.
BUDGET = 60000
EMOJI = {Status.PASS: "✅", Status.FAIL: "❌", Status.WARN: "⚠️", Status.UNKNOWN: "❔"}
SEVERITY_MARK = {"critical": "🟥", "high": "🟧", "medium": "🟨", "low": "🟦", "info": "⬜"}
MAX_TEXT = 500
# Lets a CI step find and update its previous comment instead of adding a new one per push.
COMMENT_MARKER = "<!-- handrail-report -->"


def render(report: Report, *, color: bool = False, quiet: bool = False, budget: int = BUDGET) -> str:
    head = _head(report)
    tail = f"\n**Verdict:** {inline(verdict(report))}\n"
    if quiet:
        return head + tail
    room = budget - len(head) - len(tail) - 400  # 400: the "not shown" note
    sections: list[str] = []
    hidden_findings = 0
    for r in sorted_results(report.results):
        if r.status not in (Status.FAIL, Status.WARN) or not r.findings:
            continue
        section, shown = _details(r, room)
        hidden_findings += len(r.findings) - shown
        if section:
            sections.append(section)
            room -= len(section)
    body = head + "".join(sections)
    if hidden_findings:
        body += (f"\n_{hidden_findings} more finding(s) not shown to stay under GitHub's comment size limit; "
                 f"run `handrail check` or read the SARIF/JSON report for all of them._\n")
    return body + tail


def _head(report: Report) -> str:
    counts = {s: sum(1 for r in report.results if r.status is s) for s in Status}
    summary = " · ".join(f"{EMOJI[s]} {counts[s]} {s.value}" for s in (Status.FAIL, Status.WARN, Status.PASS,
                                                                        Status.UNKNOWN))
    lines = [COMMENT_MARKER, "## Handrail: is this app ready for real users?", "", summary, ""]
    if report.stacks:
        lines += [f"Stack: {', '.join(code(s) for s in report.stacks)}", ""]
    lines += ["| | Check | Answer | Findings |", "|---|---|---|---|"]
    for r in report.results:
        n = str(len(r.findings)) if r.findings else "-"
        if r.suppressed:
            n += f" (+{r.suppressed} suppressed)"
        lines.append(f"| {EMOJI.get(r.status, '')} {r.status.value} | {code(r.check, table=True)} | "
                     f"{cell(shorten(clean(r.summary, newlines=False), 300))} | {n} |")
    return "\n".join(lines) + "\n"


def _details(r: CheckResult, room: int) -> tuple[str, int]:
    """A <details> block with as many findings as fit in `room` characters."""
    count = "" if "finding" in r.summary else f" ({len(r.findings)} finding(s))"
    summary = (f"{EMOJI.get(r.status, '')} <b>{html.escape(r.check)}</b>: "
               f"{html_text(shorten(clean(r.summary, newlines=False), 200))}{count}")
    opening = f"\n<details><summary>{summary}</summary>\n\n{inline(r.question)}\n\n"
    closing = "\n</details>\n"
    if len(opening) + len(closing) > room:
        return "", 0
    items: list[str] = []
    used = len(opening) + len(closing)
    for f in sorted_findings(r.findings):
        item = _finding(f)
        if used + len(item) > room:
            break
        items.append(item)
        used += len(item)
    if not items:
        return "", 0
    return opening + "".join(items) + closing, len(items)


def _finding(f: Finding) -> str:
    sev = f.severity.value
    lines = [f"- {SEVERITY_MARK.get(sev, '')} **{sev}** {code(f.rule)} {code(where(f.path, f.line, f.commit))}: "
             f"{inline(shorten(clean(f.message, newlines=False), MAX_TEXT))}"]
    if f.evidence:
        lines.append(f"  Evidence: {code(shorten(clean(f.evidence, newlines=False), 300))}")
    for loc in f.related[:3]:
        lines.append(f"  See also: {code(location_text(loc))}")
    if f.fix:
        lines.append(f"  Fix: {inline(shorten(clean(f.fix, newlines=False), MAX_TEXT))}")
    return "  \n".join(lines) + "\n"


# --- escaping ---------------------------------------------------------------------------
_MD_SPECIAL = lazy_re(r"([\\`*_{}\[\]#+|~>])")


def inline(text: str) -> str:
    """Plain text safe inside a Markdown paragraph or list item: no markup, no HTML, no mentions."""
    text = " ".join(clean(text).split())
    text = html.escape(text, quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("@", "&#64;")


def cell(text: str) -> str:
    """`inline` text for a table cell (pipes are already escaped by `inline`)."""
    return inline(text)


def html_text(text: str) -> str:
    """Text inside an HTML element such as <summary>, where Markdown is not parsed."""
    return html.escape(" ".join(clean(text).split()), quote=True).replace("@", "&#64;")


def code(text: str, *, table: bool = False) -> str:
    """A code span that survives backticks; in a table cell pipes become `\\|` (GFM unescapes them first)."""
    text = " ".join(clean(text).split())
    if table:
        text = text.replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"
