"""Precision/recall per rule of the data-layer analysis (RLS and Firebase rules) on the labelled fixtures.

Each case in tests/data/datalayer/<case>/ is a small app with a labels.toml:

    description = "..."
    [[expect]]    # a finding that must be reported: rule, path (relative to the case), line
    min_severity = "high"   # optional: reported lower than this it is buried among the noise, so it is a FN
    [[allowed]]   # may be reported (a judgement call such as a public catalogue) without counting either way
    max_severity = "low"    # optional: reported higher than this it is noise that buries real bugs, so a FP

A reported (rule, path, line) that is labelled = TP, a labelled one not reported = FN, anything else = FP.
Matching on the line, not only the rule, keeps a finding on the wrong statement from scoring as a hit; the
severity bounds keep "reported, but as loud as a real leak" (or as quiet as a catalogue) from scoring as one.
Firebase test-mode expiry is judged against a fixed date so the figures do not change with the calendar.

Usage: python bench/datalayer_accuracy.py [--cases DIR] [--verbose]
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections import defaultdict
from datetime import date
from pathlib import Path

from handrail.core.finding import Severity
from handrail.core.project import Project
from handrail.datalayer import build_model, firebase_findings, rls_findings

TODAY = date(2026, 11, 25)
Key = tuple[str, str, int]


def _labels(items: list[dict], bound: str) -> dict[Key, int | None]:
    """Labelled keys with their severity bound as a rank (None: any severity)."""
    return {(i["rule"], i["path"], int(i["line"])): Severity(i[bound]).rank if bound in i else None
            for i in items}


def score(cases: Path, verbose: bool = False) -> dict[str, list[int]]:
    """Counts [tp, fp, fn] per rule over every case under `cases`."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for case in sorted(p for p in cases.iterdir() if (p / "labels.toml").is_file()):
        labels = tomllib.loads((case / "labels.toml").read_text())
        expected = _labels(labels.get("expect", []), "min_severity")
        allowed = _labels(labels.get("allowed", []), "max_severity")
        project = Project(case)
        findings = rls_findings(build_model(project)) + firebase_findings(project, today=TODAY)
        reported: dict[Key, int] = {}
        for f in findings:
            key = (f.rule, f.path or "", f.line or 0)
            reported[key] = max(reported.get(key, 0), f.severity.rank)
        for key in sorted(set(reported) | set(expected)):
            rule = key[0]
            floor, ceiling = expected.get(key), allowed.get(key)
            if key in expected and key in reported and (floor is None or reported[key] >= floor):
                counts[rule][0] += 1
                tag = "TP"
            elif key in expected:
                counts[rule][2] += 1
                tag = "FN" if key not in reported else "FN (reported too low)"
            elif key in allowed and (ceiling is None or reported[key] <= ceiling):
                tag = "ok"
            else:
                counts[rule][1] += 1
                tag = "FP" if key not in allowed else "FP (reported too high)"
            if verbose or tag not in ("ok", "TP"):
                print(f"  {case.name}: {tag} {rule} {key[1]}:{key[2]}")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=Path(__file__).resolve().parent.parent / "tests" / "data"
                        / "datalayer")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if not args.cases.is_dir():
        print(f"error: {args.cases}: not a directory", file=sys.stderr)
        return 2
    counts = score(args.cases, args.verbose)
    print(f"{'rule':32} {'TP':>4} {'FP':>4} {'FN':>4} {'P':>6} {'R':>6}")
    total = [0, 0, 0]
    for rule in sorted(counts):
        tp, fp, fn = counts[rule]
        total = [a + b for a, b in zip(total, counts[rule], strict=True)]
        print(f"{rule:32} {tp:4} {fp:4} {fn:4} {_ratio(tp, tp + fp):>6} {_ratio(tp, tp + fn):>6}")
    tp, fp, fn = total
    print(f"{'all':32} {tp:4} {fp:4} {fn:4} {_ratio(tp, tp + fp):>6} {_ratio(tp, tp + fn):>6}")
    return 0


def _ratio(num: int, den: int) -> str:
    return f"{num / den:.2f}" if den else "-"


if __name__ == "__main__":
    sys.exit(main())
