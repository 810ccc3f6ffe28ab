"""Precision/recall of the migration rules over the labelled fixtures in tests/data/migrations.

Labels live in the fixtures as `expect: migration-<rule>` comments on the line a finding must point at, so
a finding on the wrong line counts as both a false positive and a miss. Each fixture folder is copied into a
fresh git repository first, because the project's file index reads what git lists.

Run: python bench/migrations_accuracy.py
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from handrail.core.project import Project
from handrail.migrations import analyze_migrations, discover_migrations, migration_findings

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "migrations"
_EXPECT = re.compile(r"expect:((?:\s+migration-[\w-]+)+)")
Triple = tuple[str, int, str]


def labelled(root: Path) -> set[Triple]:
    out: set[Triple] = set()
    for path in root.rglob("*"):
        if path.is_file():
            for no, line in enumerate(path.read_text("utf-8").splitlines(), 1):
                m = _EXPECT.search(line)
                if m:
                    out.update((path.relative_to(root).as_posix(), no, rule) for rule in m[1].split())
    return out


def found(root: Path) -> set[Triple]:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        shutil.copytree(root, repo)
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
        project = Project(repo)
        findings = migration_findings(analyze_migrations(project, discover_migrations(project)))
        return {(f.path or "", f.line or 0, f.rule) for f in findings}


def main() -> int:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for fixture in sorted(p for p in DATA.glob("*/*") if p.is_dir()):
        want, got = labelled(fixture), found(fixture)
        for _, _, rule in want & got:
            tp[rule] += 1
        for path, line, rule in got - want:
            fp[rule] += 1
            print(f"  FP {fixture.relative_to(DATA)}/{path}:{line} {rule}")
        for path, line, rule in want - got:
            fn[rule] += 1
            print(f"  FN {fixture.relative_to(DATA)}/{path}:{line} {rule}")
    print(f"{'rule':<26}{'TP':>4}{'FP':>4}{'FN':>4}{'precision':>11}{'recall':>8}")
    for rule in sorted(set(tp) | set(fp) | set(fn)):
        p = tp[rule] / (tp[rule] + fp[rule]) if tp[rule] + fp[rule] else 1.0
        r = tp[rule] / (tp[rule] + fn[rule]) if tp[rule] + fn[rule] else 1.0
        print(f"{rule:<26}{tp[rule]:>4}{fp[rule]:>4}{fn[rule]:>4}{p:>11.2f}{r:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
