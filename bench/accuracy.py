"""Precision/recall of `handrail check` (and zizmor, where comparable) on the labelled corpus.

Each case in bench/corpus/<name>/ is a tiny repository with planted (or fixed) CI/deploy
problems and a labels.toml:

    description = "..."
    twin = "<the fixed or broken sibling>"
    [status]                 # checks this case is labelled for: one status or a list of acceptable ones
    tests-before-deploy = "fail"
    least-privilege = ["fail", "warn"]
    [rules]
    expected = ["deploy-without-tests"]   # rules that must be reported
    allowed = []                          # may be reported without counting against precision

Scoring (why it is done this way):
- Rule level. A labelled rule reported = TP, not reported = FN. A reported rule that is neither
  expected nor allowed = FP, but only for findings of the checks the case is labelled for (its
  [status] keys): a case built to test deploy gating says nothing about, say, rollback, so a
  rollback finding there is shown as "unscored" rather than guessed either way. Info findings
  (facts, not problems) are ignored.
- Check level. fail/warn = positive, pass/unknown = negative; a label mixing both kinds only
  counts for exact agreement.
- Label ids are ours; bench/corpus/aliases.toml maps them to Handrail's rule ids when those differ.
- zizmor audits only GitHub workflows; it is scored on the GitHub cases labelled for
  least-privilege (or expecting one of the comparable rules), with its audits mapped onto our rules.

Usage: python bench/accuracy.py [--no-zizmor] [--jobs 4] [--case NAME ...] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
CORPUS = BENCH / "corpus"
WORK = BENCH / ".work"
POSITIVE = {"fail", "warn"}
NEGATIVE = {"pass", "unknown"}
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}

# zizmor audit (refined by its annotation) -> our rules it stands for
ZIZMOR_MAP: list[tuple[str, str, str, frozenset[str]]] = [
    # (row label, audit, annotation substring or "", our rules)
    ("write-all", "excessive-permissions", "write-all", frozenset({"write-all"})),
    ("no-permissions-block", "excessive-permissions", "no permissions: block", frozenset({"no-permissions-block"})),
    ("workflow-level write (top-level-write | unused-write-scope)", "excessive-permissions",
     "overly broad at the workflow level", frozenset({"top-level-write", "unused-write-scope"})),
    ("excessive permissions, any of the above", "excessive-permissions", "",
     frozenset({"write-all", "no-permissions-block", "top-level-write", "unused-write-scope", "read-all"})),
    ("untrusted-checkout ~ dangerous-triggers", "dangerous-triggers", "", frozenset({"untrusted-checkout"})),
    ("secrets-outside-env (| deploy-without-environment)", "secrets-outside-env", "",
     frozenset({"secrets-outside-env", "deploy-without-environment"})),
]


@dataclass
class Case:
    name: str
    path: Path
    description: str
    status: dict[str, list[str]]
    expected: set[str]
    allowed: set[str]
    github: bool


@dataclass
class Outcome:
    case: Case
    statuses: dict[str, str] = field(default_factory=dict)
    summaries: dict[str, str] = field(default_factory=dict)
    findings: list[dict] = field(default_factory=list)  # handrail findings with "concept" added
    zizmor: list[tuple[str, str]] | None = None  # (audit, annotations joined)
    error: str = ""


def load_cases(only: list[str]) -> list[Case]:
    cases = []
    for labels in sorted(CORPUS.glob("*/labels.toml")):
        d = labels.parent
        if only and d.name not in only:
            continue
        data = tomllib.loads(labels.read_text())
        status = {k: [v] if isinstance(v, str) else list(v) for k, v in data.get("status", {}).items()}
        rules = data.get("rules", {})
        cases.append(Case(d.name, d, data.get("description", ""), status, set(rules.get("expected", [])),
                          set(rules.get("allowed", [])), (d / ".github").is_dir()))
    return cases


def load_aliases() -> dict[str, list[str]]:
    """handrail rule id -> the label ids it can stand for (in aliases.toml order)."""
    path = CORPUS / "aliases.toml"
    if not path.exists():
        return {}
    out: dict[str, list[str]] = defaultdict(list)
    for label, ids in tomllib.loads(path.read_text()).get("aliases", {}).items():
        for rid in ids:
            out[rid].append(label)
    return dict(out)


def concept_of(rule: str, case: Case, aliases: dict[str, list[str]], labels: set[str]) -> str:
    """The label a Handrail rule counts as here: the rule itself or an alias the case expects or allows;
    otherwise the rule itself if the corpus uses it as a label, else its first alias."""
    candidates = [rule, *aliases.get(rule, [])]
    for pool in (case.expected, case.allowed):
        for label in candidates:
            if label in pool:
                return label
    return rule if rule in labels or rule not in aliases else aliases[rule][0]


def make_repo(case: Case, tmp: Path) -> Path:
    """Copy the case (without its labels) into a fresh one-commit git repository."""
    repo = tmp / case.name
    shutil.copytree(case.path, repo, ignore=shutil.ignore_patterns("labels.toml"))
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "case"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    return repo


def handrail_cmd() -> list[str]:
    exe = shutil.which("handrail")
    return [exe] if exe else [sys.executable, "-m", "handrail"]


def run_case(case: Case, tmp: Path, aliases: dict[str, list[str]], labels: set[str], with_zizmor: bool) -> Outcome:
    out = Outcome(case)
    repo = make_repo(case, tmp)
    proc = subprocess.run([*handrail_cmd(), "check", str(repo), "--format", "json"], capture_output=True, text=True)
    try:
        data = json.loads(proc.stdout)
        for c in data["checks"]:
            out.statuses[c["id"]] = c["status"]
            out.summaries[c["id"]] = c.get("summary", "")
            for f in c.get("findings", []):
                f["concept"] = concept_of(f["rule"], case, aliases, labels)
                out.findings.append(f)
    except (json.JSONDecodeError, KeyError, TypeError):
        out.error = f"exit {proc.returncode}: " + ((proc.stderr.strip().splitlines() or ["no JSON"])[-1][:200])
    if with_zizmor and case.github:
        z = subprocess.run(["zizmor", "--offline", "--persona", "auditor", "--format", "json", str(repo)],
                           capture_output=True, text=True)
        try:
            out.zizmor = [(f["ident"], " | ".join(loc["symbolic"].get("annotation", "") for loc in f["locations"]))
                          for f in json.loads(z.stdout)]
        except (json.JSONDecodeError, KeyError, TypeError):
            out.zizmor = None
    return out


# --------------------------------------------------------------------------------------
# scoring
# --------------------------------------------------------------------------------------

@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    where_fp: list[str] = field(default_factory=list)
    where_fn: list[str] = field(default_factory=list)

    def p(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    def r(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def pct(x: float | None) -> str:
    return "  -  " if x is None else f"{100 * x:5.1f}"


def reported_concepts(o: Outcome) -> set[str]:
    return {f["concept"] for f in o.findings if f.get("severity") != "info"}


def score_rules(outcomes: list[Outcome]) -> tuple[dict[str, Counts], dict[str, int]]:
    per_rule: dict[str, Counts] = defaultdict(Counts)
    unscored: dict[str, int] = defaultdict(int)
    for o in outcomes:
        if o.error:
            continue
        scored_checks = set(o.case.status)
        reported: dict[str, str] = {}
        for f in o.findings:
            if f.get("severity") == "info":
                continue
            reported.setdefault(f["concept"], f["check"])
        for rule in o.case.expected:
            if rule in reported:
                per_rule[rule].tp += 1
            else:
                per_rule[rule].fn += 1
                per_rule[rule].where_fn.append(o.case.name)
        for rule, check in reported.items():
            if rule in o.case.expected or rule in o.case.allowed:
                continue
            if check in scored_checks:
                per_rule[rule].fp += 1
                per_rule[rule].where_fp.append(o.case.name)
            else:
                unscored[f"{check}/{rule}"] += 1
    return per_rule, unscored


def score_checks(outcomes: list[Outcome]) -> tuple[dict[str, Counts], dict[str, list[int]], list[tuple]]:
    per_check: dict[str, Counts] = defaultdict(Counts)
    exact: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    wrong: list[tuple] = []
    for o in outcomes:
        if o.error:
            continue
        for check, accept in o.case.status.items():
            got = o.statuses.get(check, "missing")
            exact[check][1] += 1
            if got in accept:
                exact[check][0] += 1
            else:
                wrong.append((o.case.name, check, "|".join(accept), got, o.summaries.get(check, "")))
            acc = set(accept)
            c = per_check[check]
            if acc <= POSITIVE:
                if got in POSITIVE:
                    c.tp += 1
                else:
                    c.fn += 1
                    c.where_fn.append(o.case.name)
            elif acc <= NEGATIVE:
                if got in POSITIVE:
                    c.fp += 1
                    c.where_fp.append(o.case.name)
                else:
                    c.tn += 1
    return per_check, exact, wrong


def zizmor_hits(o: Outcome, audit: str, needle: str) -> bool:
    return any(a == audit and needle in ann for a, ann in (o.zizmor or []))


def score_side_by_side(outcomes: list[Outcome]) -> list[tuple[str, Counts, Counts, int]]:
    rows = []
    for label, audit, needle, ours in ZIZMOR_MAP:
        hr, zz = Counts(), Counts()
        n = 0
        for o in outcomes:
            if o.error or not o.case.github or o.zizmor is None:
                continue
            if "least-privilege" not in o.case.status and not (o.case.expected & ours):
                continue
            n += 1
            expected = bool(o.case.expected & ours)
            allowed = bool(o.case.allowed & ours)
            for counts, hit in ((hr, bool(reported_concepts(o) & ours)), (zz, zizmor_hits(o, audit, needle))):
                if expected and hit:
                    counts.tp += 1
                elif expected:
                    counts.fn += 1
                    counts.where_fn.append(o.case.name)
                elif hit and not allowed:
                    counts.fp += 1
                    counts.where_fp.append(o.case.name)
                elif not hit:
                    counts.tn += 1
        rows.append((label, hr, zz, n))
    return rows


# --------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------

def report(outcomes: list[Outcome], verbose: bool) -> dict:
    errors = [(o.case.name, o.error) for o in outcomes if o.error]
    per_check, exact, wrong = score_checks(outcomes)
    per_rule, unscored = score_rules(outcomes)
    side = score_side_by_side(outcomes)
    n_bad = sum(1 for o in outcomes if o.case.expected)
    print(f"corpus: {len(outcomes)} cases ({n_bad} with planted problems), handrail errors: {len(errors)}")
    for name, err in errors:
        print(f"  ERROR {name}: {err}")

    print("\nPer check (status; fail/warn = positive, pass/unknown = negative)")
    print(f"  {'check':22} {'labelled':>8} {'exact':>6} {'TP':>3} {'FP':>3} {'FN':>3} {'TN':>3} "
          f"{'prec%':>6} {'rec%':>6}")
    for check in sorted(exact):
        c = per_check[check]
        ok, n = exact[check]
        print(f"  {check:22} {n:8d} {ok:3d}/{n:<2d} {c.tp:3d} {c.fp:3d} {c.fn:3d} {c.tn:3d} "
              f"{pct(c.p()):>6} {pct(c.r()):>6}")

    print("\nPer rule (label ids; handrail ids mapped through corpus/aliases.toml)")
    print(f"  {'rule':32} {'TP':>3} {'FP':>3} {'FN':>3} {'prec%':>6} {'rec%':>6}  where")
    for rule in sorted(per_rule):
        c = per_rule[rule]
        where = ""
        if c.where_fn:
            where += "missed: " + ", ".join(c.where_fn) + " "
        if c.where_fp:
            where += "FP: " + ", ".join(c.where_fp)
        print(f"  {rule:32} {c.tp:3d} {c.fp:3d} {c.fn:3d} {pct(c.p()):>6} {pct(c.r()):>6}  {where}")
    if unscored:
        print("  unscored findings (checks the case is not labelled for): "
              + ", ".join(f"{k} x{v}" for k, v in sorted(unscored.items())))

    if any(o.zizmor is not None for o in outcomes):
        print("\nSide by side with zizmor (--persona auditor), GitHub cases labelled for least-privilege")
        print(f"  {'our rule(s) ~ zizmor audit':58} {'cases':>5} | {'handrail P%':>11} {'R%':>6} {'FP':>3} {'FN':>3} "
              f"| {'zizmor P%':>9} {'R%':>6} {'FP':>3} {'FN':>3}")
        for label, hr, zz, n in side:
            print(f"  {label:58} {n:5d} | {pct(hr.p()):>11} {pct(hr.r()):>6} {hr.fp:3d} {hr.fn:3d} "
                  f"| {pct(zz.p()):>9} {pct(zz.r()):>6} {zz.fp:3d} {zz.fn:3d}")
        if verbose:
            for label, hr, zz, _ in side:
                for tool, c in (("handrail", hr), ("zizmor", zz)):
                    if c.where_fp or c.where_fn:
                        print(f"    {label} / {tool}: FP {c.where_fp} FN {c.where_fn}")

    print(f"\nWrong statuses ({len(wrong)}):")
    for name, check, want, got, summary in wrong:
        print(f"  {name:34} {check:20} want {want:10} got {got:8} {summary[:110]}")
    if verbose:
        print("\nAll findings:")
        for o in outcomes:
            for f in o.findings:
                print(f"  {o.case.name:34} {f['check']:20} {f['rule']:28} {f['severity']:8} "
                      f"{f.get('path')}:{f.get('line')} {f['message'][:90]}")

    return {
        "errors": errors,
        "checks": {k: {"tp": v.tp, "fp": v.fp, "fn": v.fn, "tn": v.tn, "exact": exact[k],
                       "fp_cases": v.where_fp, "fn_cases": v.where_fn} for k, v in per_check.items()},
        "rules": {k: {"tp": v.tp, "fp": v.fp, "fn": v.fn, "fp_cases": v.where_fp, "fn_cases": v.where_fn}
                  for k, v in per_rule.items()},
        "zizmor_side_by_side": {label: {"cases": n, "handrail": [hr.tp, hr.fp, hr.fn], "zizmor": [zz.tp, zz.fp, zz.fn]}
                                for label, hr, zz, n in side},
        "wrong_statuses": wrong,
        "unscored": unscored,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", action="append", default=[], help="run only this case (repeatable)")
    ap.add_argument("--no-zizmor", action="store_true")
    ap.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1))
    ap.add_argument("--verbose", "-v", action="store_true", help="list every finding and zizmor miss")
    ap.add_argument("--json", type=Path, default=WORK / "accuracy-results.json")
    args = ap.parse_args(argv)

    cases = load_cases(args.case)
    if not cases:
        print("no cases found", file=sys.stderr)
        return 2
    with_zizmor = not args.no_zizmor and shutil.which("zizmor") is not None
    if not args.no_zizmor and not with_zizmor:
        print("zizmor not on PATH (pip install zizmor): handrail only", file=sys.stderr)
    aliases = load_aliases()
    labels = {r for c in load_cases([]) for r in c.expected | c.allowed}
    with tempfile.TemporaryDirectory(prefix="handrail-accuracy-") as tmp, ThreadPoolExecutor(args.jobs) as pool:
        outcomes = list(pool.map(lambda c: run_case(c, Path(tmp), aliases, labels, with_zizmor), cases))
    result = report(outcomes, args.verbose)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
