"""The runner: isolation of failing checks, overrides, inline ignores, baseline, fingerprints."""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

import handrail.core.runner as runner
from handrail.checks import CHECK_IDS, load_check
from handrail.checks.base import Check, Rule
from handrail.core.baseline import read_baseline, write_baseline
from handrail.core.config import Config
from handrail.core.finding import CheckResult, Finding, Severity, Status
from handrail.core.project import Project
from handrail.core.runner import assign_fingerprints, run_checks

# A README whose documented test command names a Makefile target that does not exist: the
# handoff check reports it at README.md:7, a real finding with a line to ignore or baseline.
README = "# App\n\n## Setup\n\n`pip install -e .`\n\n`make test`\n"
AGENTS = "Setup: `pip install -e .`; lint: `make lint`.\n"
FILES = {"README.md": README, "AGENTS.md": AGENTS, "Makefile": "lint:\n\truff .\n", "app.py": "x = 1\n"}


def handoff(report) -> CheckResult:
    return next(r for r in report.results if r.check == "handoff")


class Boom(Check):
    id = "handoff"
    question = "boom?"
    why = fix = good_example = bad_example = "x"

    def run(self, project: Project) -> CheckResult:
        raise RuntimeError("exploded\nsecond line")


class NotAResult(Boom):
    def run(self, project: Project) -> CheckResult:
        return "nope"  # type: ignore[return-value]


@pytest.mark.parametrize("bad", [Boom(), NotAResult()])
def test_raising_check_is_unknown_and_others_run(project_of: Callable[..., Project],
                                                 monkeypatch: pytest.MonkeyPatch, bad: Check) -> None:
    monkeypatch.setattr(runner, "load_check", lambda cid: bad if cid == "handoff" else load_check(cid))
    report = run_checks(project_of(FILES))
    assert [r.check for r in report.results] == list(CHECK_IDS)
    res = handoff(report)
    assert res.status == Status.UNKNOWN and res.question == "boom?"
    assert "could not run" in res.summary and ("exploded" in res.summary or "CheckResult" in res.summary)
    assert "second line" not in res.summary
    assert next(r for r in report.results if r.check == "agent-log").status == Status.FAIL  # AGENTS.md, no hooks


def test_real_finding_then_severity_override(make_repo: Callable[..., Path]) -> None:
    root = make_repo(FILES)
    res = handoff(run_checks(Project(root), only=["handoff"]))
    f = next(f for f in res.findings if f.rule == "handoff-test-command-missing")
    assert (f.path, f.line, f.severity) == ("README.md", 7, Severity.LOW)
    assert res.status == Status.WARN
    cfg = Config(severity={"handoff-test-command-missing": "high"})
    report = run_checks(Project(root, cfg), only=["handoff"])
    f = next(f for f in handoff(report).findings if f.rule == "handoff-test-command-missing")
    assert f.severity == Severity.HIGH
    assert report.exceeds(Severity.HIGH)


def test_disabled_and_only(project_of: Callable[..., Project]) -> None:
    p = project_of(FILES)
    p.config = Config(checks={"handoff": False})
    assert "handoff" not in [r.check for r in run_checks(p).results]
    assert [r.check for r in run_checks(project_of(FILES), only=["agent-log"]).results] == ["agent-log"]


def test_inline_ignore_counts_and_turns_warn_into_pass(make_repo: Callable[..., Path]) -> None:
    readme = README.replace("`make test`", "<!-- handrail:ignore[handoff-test-command-missing] -->\n`make test`")
    root = make_repo({**FILES, "README.md": readme})
    res = handoff(run_checks(Project(root), only=["handoff"]))
    assert res.suppressed == 1
    assert not any(f.rule == "handoff-test-command-missing" for f in res.findings)
    assert res.status == Status.PASS
    assert "accepted by inline ignore or baseline" in res.summary
    assert any(e.path == "README.md" and e.line == 8 and "inline" in e.note for e in res.evidence)


def test_baseline_accepting_everything_without_positive_evidence_is_unknown(
        make_repo: Callable[..., Path], tmp_path: Path) -> None:
    """Accepting a problem is not evidence of a safeguard: with nothing positive found, the
    answer stays open instead of turning into a pass."""
    root = make_repo({"app.py": "x = 1\n"})  # handoff fails: code, no docs
    first = run_checks(Project(root), only=["handoff"])
    assert handoff(first).status == Status.FAIL
    path = write_baseline(root, first.findings(), tmp_path / "baseline.json")  # outside: keeps the tree clean
    baseline = read_baseline(root, path)
    again = handoff(run_checks(Project(root), only=["handoff"], baseline=baseline))
    assert again.status == Status.UNKNOWN
    assert again.suppressed == len(first.findings()) and again.findings == []
    assert "[all" in again.summary and "nothing else evidences a pass" in again.summary
    assert again.evidence and all("accepted by the baseline" in e.note for e in again.evidence)


def test_fingerprints_stable_across_line_moves(make_repo: Callable[..., Path]) -> None:
    a = make_repo(FILES)
    b = make_repo({**FILES, "README.md": "# App\n\nIntro.\n\nMore intro.\n\n" + README[6:]})
    fa = next(f for f in handoff(run_checks(Project(a), only=["handoff"])).findings
              if f.rule == "handoff-test-command-missing")
    fb = next(f for f in handoff(run_checks(Project(b), only=["handoff"])).findings
              if f.rule == "handoff-test-command-missing")
    assert fa.line != fb.line
    assert fa.fingerprint == fb.fingerprint and len(fa.fingerprint) == 32


def test_duplicate_findings_get_distinct_fingerprints() -> None:
    def mk(line: int) -> Finding:
        return Finding("secrets", "secrets-x", Severity.HIGH, "same", path="a.py", line=line, key="k")

    fs = [mk(1), mk(9), Finding("secrets", "secrets-x", Severity.HIGH, "same", path="b.py", key="k")]
    assign_fingerprints(fs)
    assert len({f.fingerprint for f in fs}) == 3
    again = [mk(50), mk(60)]
    assign_fingerprints(again)
    assert [f.fingerprint for f in again] == [fs[0].fingerprint, fs[1].fingerprint]


def test_report_shape(project_of: Callable[..., Project]) -> None:
    report = run_checks(project_of({**FILES, "requirements.txt": "flask\n"}), only=["handoff", "agent-log"])
    data = report.to_dict()
    assert data["tool"]["name"] == "handrail" and "flask" in data["stacks"]
    assert {c["id"] for c in data["checks"]} == {"handoff", "agent-log"}
    for c in data["checks"]:
        assert c["status"] in {"pass", "fail", "warn", "unknown"} and c["summary"]
        for f in c["findings"]:
            assert f["fingerprint"]


def test_stack_detection_failure_does_not_stop_the_run(project_of: Callable[..., Project],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import handrail.core.stacks as stacks_mod

    def broken(project: Project) -> None:
        raise RuntimeError("bad stacks")

    monkeypatch.setattr(stacks_mod, "detect_stacks", broken)
    messages: list[str] = []
    report = run_checks(project_of(FILES), only=["handoff"], progress=messages.append)
    assert report.stacks == [] and any("stack detection failed" in m for m in messages)
    assert handoff(report).status in (Status.WARN, Status.PASS)


def test_rule_helper_rejects_undeclared_rule() -> None:
    class Tiny(Check):
        id = "tiny"
        question = why = fix = good_example = bad_example = "x"
        rules = (Rule("tiny-a", Severity.LOW, "a"),)

    assert Tiny().finding("tiny-a", "m").severity == Severity.LOW
    with pytest.raises(KeyError):
        Tiny().finding("tiny-b", "m")


@pytest.mark.parametrize("app", ["laravel/bad", "django/good", "nextjs-supabase/bad", "rails/good"])
def test_full_run_parses_each_file_and_asks_git_each_question_once(
        fixture_repo: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch, app: str) -> None:
    """Every check over a realistic app: the shared caches hold, so no file is parsed twice in one
    format and no git command is run twice (checks read through Project, never on their own)."""
    root = fixture_repo(app)
    calls: Counter[tuple[str, ...]] = Counter()
    real_run = subprocess.run

    def counting_run(args, *a, **kw):  # type: ignore[no-untyped-def]
        calls[tuple(args)] += 1
        return real_run(args, *a, **kw)

    monkeypatch.setattr(subprocess, "run", counting_run)
    project = Project(root)
    report = run_checks(project)
    assert [r.check for r in report.results] == list(CHECK_IDS)
    assert not [r.summary for r in report.results if r.summary.startswith("check could not run")]
    assert project.parse_counts and all(n == 1 for n in project.parse_counts.values()), project.parse_counts
    assert calls and all(n == 1 for n in calls.values()), calls
