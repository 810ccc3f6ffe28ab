"""Precision/recall of the `agent-log` and `handoff` checks on labelled twins.

Each case in bench/corpus/agents/<name>/ is a small repository (an app plus the agent files it plants) and a
labels.toml:

    description = "..."
    twin = "<the fixed or broken sibling>"
    [setup]                  # optional, applied after the one-commit repository is made
    journal = "calls"        # calls | interrupted | explained | tampered | corrupt: a real journal is written
    handoff = "after"        # before | after the journal entries: `handrail handoff` writes HANDOFF.md
    commit_after = true      # one more commit after the handoff record
    [status]                 # checks this case is labelled for: one status or a list of acceptable ones
    agent-log = "warn"
    [rules]
    expected = ["agent-log-partial"]   # must be reported
    allowed = []                       # may be reported without counting as a false positive

Files under a case's `_local/` are copied in after the commit, uncommitted (a git-ignored
.claude/settings.local.json). Journals are written with handrail.journal.open_journal under a temporary
XDG_CONFIG_HOME, so no real key is touched.

Scoring, as bench/accuracy.py: an expected rule reported = TP, missed = FN; a reported rule of a labelled check
that is neither expected nor allowed = FP. Info findings are ignored. Checks: fail/warn = positive,
pass/unknown = negative, plus exact status agreement.

Usage: python bench/agentlog_accuracy.py [--case NAME ...] [--verbose]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import tomllib
from collections import defaultdict
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus" / "agents"
POSITIVE = {"fail", "warn"}
GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "bench@example.invalid", "GIT_CONFIG_NOSYSTEM": "1"}


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args], cwd=root,
                   env={**os.environ, **GIT_ENV}, check=True, capture_output=True)


def _tool_call(journal: object, n: int, command: str, *, post: bool = True) -> int:
    from handrail.journal import Event

    tid = f"toolu_bench{n:06d}"
    pre = journal.append(Event(kind="tool_call", summary=f"Bash: {command}", agent="claude", session="bench-s1",
                               tool="Bash", tool_use_id=tid, event="PreToolUse", decision="allow",
                               payload={"phase": "pre", "input": {"command": command}}))
    if post:
        journal.append(Event(kind="tool_call", summary=f"Bash: {command}", agent="claude", session="bench-s1",
                             tool="Bash", tool_use_id=tid, event="PostToolUse", exit_code=0,
                             payload={"phase": "post", "duration_ms": 120, "output": "ok"}))
    return pre.seq


def _journal(root: Path, scenario: str) -> None:
    from handrail.journal import Event, open_journal

    if scenario == "corrupt":
        (root / ".handrail").mkdir(exist_ok=True)
        (root / ".handrail" / "journal.db").write_bytes(b"not a database " * 40)
        return
    with open_journal(root) as j:
        if scenario in ("interrupted", "explained"):
            seq = _tool_call(j, 1, "npx prisma migrate deploy", post=False)
            _tool_call(j, 2, "npm test")
            if scenario == "explained":
                j.append(Event(kind="note", summary=f"#{seq}: the laptop slept; re-ran the migration by hand, it "
                               "applied cleanly", payload={"text": f"#{seq}: re-ran the migration by hand"}))
        else:
            for i, cmd in enumerate(("npm ci", "npm test", "git status"), 1):
                _tool_call(j, i, cmd)
        j.append(Event(kind="session", summary="Stop", agent="claude", session="bench-s1", event="Stop",
                       payload={"phase": "stop"}))
    if scenario == "tampered":
        db = sqlite3.connect(root / ".handrail" / "journal.db")
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            db.execute(f"DROP TRIGGER {name}")
        db.execute("UPDATE handrail_entries SET summary = 'Bash: echo nothing to see' WHERE seq = 2")
        db.commit()
        db.close()


def _handoff(root: Path) -> None:
    from handrail.handoff import write
    from handrail.journal import open_journal

    if (root / ".handrail" / "journal.db").exists():
        with open_journal(root) as j:
            write(root, j)
    else:
        write(root)


def build(case: Path, dst: Path, labels: dict) -> None:
    shutil.copytree(case, dst, ignore=shutil.ignore_patterns("labels.toml", "_local"))
    _git(dst, "init", "-q")
    _git(dst, "add", "-A")
    _git(dst, "commit", "-q", "-m", "initial")
    if (case / "_local").is_dir():
        shutil.copytree(case / "_local", dst, dirs_exist_ok=True)
    setup = labels.get("setup", {})
    if setup.get("handoff") == "before":
        _handoff(dst)
    if setup.get("journal"):
        _journal(dst, setup["journal"])
    if setup.get("handoff") == "after":
        _handoff(dst)
    if setup.get("commit_after"):
        (dst / "src" / "later.ts").write_text("export const later = 1;\n")
        _git(dst, "add", "src/later.ts")
        _git(dst, "commit", "-q", "-m", "more work")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", nargs="*", default=None)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="agentlog-accuracy-"))
    os.environ["XDG_CONFIG_HOME"] = str(tmp / "xdg")  # journal keys: never the real user's
    from handrail.checks.agent_log import CHECK as AGENT_LOG
    from handrail.checks.handoff import CHECK as HANDOFF
    from handrail.core.project import Project

    checks = {"agent-log": AGENT_LOG, "handoff": HANDOFF}
    per_rule: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # TP FP FN
    per_check: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])  # TP FP FN TN exact labelled
    n_cases = planted = 0
    try:
        for path in sorted(CORPUS.iterdir()):
            if not (path / "labels.toml").is_file() or (args.case and path.name not in args.case):
                continue
            labels = tomllib.loads((path / "labels.toml").read_text())
            repo = tmp / path.name
            build(path, repo, labels)
            n_cases += 1
            expected, allowed = set(labels["rules"]["expected"]), set(labels["rules"]["allowed"])
            planted += bool(expected)
            reported: set[str] = set()
            lines: list[str] = []
            mismatch = False
            for check_id, want in labels["status"].items():
                result = checks[check_id].run(Project(repo))
                got = result.status.value
                want_set = {want} if isinstance(want, str) else set(want)
                c = per_check[check_id]
                c[5] += 1
                c[4] += got in want_set
                mixed = bool(want_set & POSITIVE) and bool(want_set - POSITIVE)
                if not mixed:  # a label accepting both kinds counts only for exact agreement
                    want_pos, got_pos = bool(want_set & POSITIVE), got in POSITIVE
                    c[0 if want_pos and got_pos else 1 if got_pos else 2 if want_pos else 3] += 1
                rules = {f.rule for f in result.findings if f.severity.value != "info"}
                reported |= rules
                mismatch |= got not in want_set
                if got not in want_set or args.verbose:
                    lines.append(f"    {check_id}: {got} (want {'/'.join(sorted(want_set))}) - {result.summary[:150]}")
                if args.verbose:
                    lines.extend(f"      {f.rule} {f.path}:{f.line} {f.message[:110]}" for f in result.findings)
            tp, fn = expected & reported, expected - reported
            fp = reported - expected - allowed
            for r in tp:
                per_rule[r][0] += 1
            for r in fp:
                per_rule[r][1] += 1
            for r in fn:
                per_rule[r][2] += 1
            if fp or fn or mismatch or args.verbose:
                print(f"  {'ERR' if fp or fn or mismatch else 'ok '} {path.name}: FP {sorted(fp)} FN {sorted(fn)}")
                for ln in lines:
                    print(ln)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\n{n_cases} cases, {planted} with a planted problem\n")
    print(f"{'rule':34} {'TP':>3} {'FP':>3} {'FN':>3}  precision  recall")
    tot = [0, 0, 0]
    for rule in sorted(per_rule):
        tp, fp, fn = per_rule[rule]
        tot = [tot[0] + tp, tot[1] + fp, tot[2] + fn]
        print(f"{rule:34} {tp:3} {fp:3} {fn:3}  {_ratio(tp, tp + fp):>9}  {_ratio(tp, tp + fn):>6}")
    print(f"{'all rules':34} {tot[0]:3} {tot[1]:3} {tot[2]:3}  {_ratio(tot[0], tot[0] + tot[1]):>9}  "
          f"{_ratio(tot[0], tot[0] + tot[2]):>6}")
    print(f"\n{'check':12} {'labelled':>8} {'exact':>6}  precision  recall   (fail/warn = positive)")
    for check_id, (tp, fp, fn, _tn, exact, n) in sorted(per_check.items()):
        print(f"{check_id:12} {n:8} {exact:6}  {_ratio(tp, tp + fp):>9}  {_ratio(tp, tp + fn):>6}")
    return 0


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "-"


if __name__ == "__main__":
    sys.exit(main())
