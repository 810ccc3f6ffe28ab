"""Terminal report: a table of the ten answers, then the findings behind them, then a verdict.

Rendered with rich into a string so the CLI decides where it goes. Repository text is
wrapped in `Text` objects (never parsed as rich markup) after `clean`, so a file name like
`[red]x` or an ANSI escape in a committed file cannot restyle or corrupt the terminal.
With color=False no escape codes are produced at all.
"""

from __future__ import annotations

import shutil
from io import StringIO
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from handrail.core.finding import CheckResult, Finding, Severity, Status
from handrail.render.common import clean, location_text, shorten, sorted_findings, sorted_results, verdict, where

if TYPE_CHECKING:
    from handrail.core.runner import Report

STATUS_STYLE = {Status.PASS: "bold green", Status.FAIL: "bold red", Status.WARN: "bold yellow",
                Status.UNKNOWN: "blue"}
STATUS_LABEL = {Status.PASS: "✔ pass", Status.FAIL: "✘ fail", Status.WARN: "! warn", Status.UNKNOWN: "? unknown"}
SEVERITY_STYLE = {Severity.CRITICAL: "bold white on red", Severity.HIGH: "bold red", Severity.MEDIUM: "yellow",
                  Severity.LOW: "cyan", Severity.INFO: "dim"}
MAX_PASS_EVIDENCE = 3
# Past this a terminal report stops being read (and rich wrapping gets slow); the other formats list everything.
MAX_FINDINGS_PER_CHECK = 100
DEFAULT_WIDTH = 120


def render(report: Report, *, color: bool = False, quiet: bool = False) -> str:
    buf = StringIO()
    width = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns if color else DEFAULT_WIDTH
    console = Console(file=buf, force_terminal=color, no_color=not color, color_system="auto" if color else None,
                      width=max(60, width), highlight=False, emoji=False, markup=False, legacy_windows=False,
                      soft_wrap=False)
    _header(console, report)
    console.print(_table(report))
    if not quiet:
        _findings(console, report)
        _pass_evidence(console, report)
        _suppressed(console, report)
    console.print()
    style = "bold red" if any(r.status is Status.FAIL for r in report.results) else "bold"
    console.print(Text(verdict(report), style=style))
    out = buf.getvalue()
    if not color:  # rich pads table cells and wrapped lines; plain text (logs, files) is better without
        out = "\n".join(line.rstrip() for line in out.split("\n"))
    return out


def _header(console: Console, report: Report) -> None:
    title = Text("Handrail ", style="bold")
    title.append(report.version)
    title.append(f"  {clean(report.root, newlines=False)}", style="dim")
    console.print(title)
    if report.stacks:
        console.print(Text(f"Stack: {', '.join(clean(s, newlines=False) for s in report.stacks)}", style="dim"))
    console.print()


def _table(report: Report) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    table.add_column("Status", no_wrap=True)
    table.add_column("Check", no_wrap=True)
    table.add_column("Answer", ratio=1)
    table.add_column("Findings", justify="right", no_wrap=True)
    for r in report.results:
        table.add_row(Text(STATUS_LABEL.get(r.status, str(r.status)), style=STATUS_STYLE.get(r.status, "")),
                      Text(r.check, style="bold"), Text(clean(r.summary, newlines=False)), _count(r))
    return table


def _count(r: CheckResult) -> Text:
    n = len(r.findings)
    text = Text(str(n) if n else "-")
    worst = r.worst()
    if worst is not None:
        text.stylize(SEVERITY_STYLE[worst])
    if r.suppressed:
        text.append(f" (+{r.suppressed} suppressed)", style="dim")
    return text


def _findings(console: Console, report: Report) -> None:
    with_findings = [r for r in sorted_results(report.results) if r.findings]
    for r in with_findings:
        console.print()
        head = Text(STATUS_LABEL.get(r.status, str(r.status)) + " ", style=STATUS_STYLE.get(r.status, ""))
        head.append(r.check, style="bold")
        head.append(f"  {clean(r.question, newlines=False)}", style="dim")
        console.print(head)
        ordered = sorted_findings(r.findings)
        for f in ordered[:MAX_FINDINGS_PER_CHECK]:
            _finding(console, f)
        if len(ordered) > MAX_FINDINGS_PER_CHECK:
            console.print(Text(f"   … {len(ordered) - MAX_FINDINGS_PER_CHECK} more {r.check} finding(s) not shown "
                               "here; --format json or sarif lists them all.", style="dim"))


def _finding(console: Console, f: Finding) -> None:
    line = Text("  ")
    line.append(f" {f.severity.value.upper()} ", style=SEVERITY_STYLE[f.severity])
    line.append(f" {clean(f.rule, newlines=False)}", style="bold")
    line.append(f"  {where(f.path, f.line, f.commit)}", style="cyan")
    console.print(line)
    body = Text(clean(f.message, newlines=False))
    if f.evidence:
        _field(body, "evidence: ", shorten(clean(f.evidence, newlines=False), 300), "dim")
    for loc in f.related[:5]:
        _field(body, "see also: ", location_text(loc), "dim")
    if f.fix:
        _field(body, "fix: ", clean(f.fix, newlines=False), "green")
    if f.confidence.value != "high":
        _field(body, "confidence: ", f.confidence.value, "dim")
    console.print(Padding(body, (0, 0, 0, 6), expand=False))  # one block: wrapped lines keep the indent


def _field(body: Text, label: str, value: str, style: str = "") -> None:
    body.append("\n")
    body.append(label, style="bold")
    body.append(value, style=style)


def _pass_evidence(console: Console, report: Report) -> None:
    rows = [r for r in report.results if r.status is not Status.FAIL and not r.findings and r.evidence]
    if not rows:
        return
    console.print()
    console.print(Text("Evidence behind the other answers", style="bold"))
    for r in rows:
        head = Text()
        head.append(STATUS_LABEL.get(r.status, str(r.status)), style=STATUS_STYLE.get(r.status, ""))
        head.append(f" {r.check}: ", style="bold")
        shown = [location_text(loc) for loc in r.evidence[:MAX_PASS_EVIDENCE]]
        more = len(r.evidence) - len(shown)
        head.append("; ".join(shown) + (f" (+{more} more)" if more > 0 else ""))
        console.print(Padding(head, (0, 0, 0, 2), expand=False))


def _suppressed(console: Console, report: Report) -> None:
    parts = [f"{r.check} {r.suppressed}" for r in report.results if r.suppressed]
    if parts:
        total = sum(r.suppressed for r in report.results)
        console.print()
        console.print(Text(f"{total} finding(s) suppressed by inline handrail:ignore or the baseline "
                           f"({', '.join(parts)}).", style="dim"))
