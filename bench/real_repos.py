"""Run `handrail check` on clones of real public apps and compare with bench/real_expectations.toml.

Why: the corpus tests spellings we thought of; real AI-built and hand-built apps test the ones
we did not. Expectations come from reading each repository's files (see the `why` lines), so a
mismatch is either a Handrail bug or a wrong expectation: the output shows both sides and the
check's own summary so a reader can tell which.

Usage: python bench/real_repos.py [--findings] bench/.work/repos/owner+name ...
(clone them first, see bench/README.md). Exit 0 always; this is a report, not a gate.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

BENCH = Path(__file__).resolve().parent
CI_CHECKS = ("tests-before-deploy", "smoke-after-deploy", "rollback", "least-privilege", "environments",
             "secrets", "agent-log", "handoff")


def handrail_cmd() -> list[str]:
    exe = shutil.which("handrail")
    return [exe] if exe else [sys.executable, "-m", "handrail"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repos", nargs="+", type=Path)
    ap.add_argument("--findings", action="store_true", help="also list every non-info finding of the CI checks")
    args = ap.parse_args(argv)
    expectations = tomllib.loads((BENCH / "real_expectations.toml").read_text())
    mismatches = 0
    for repo in args.repos:
        name = repo.resolve().name
        t0 = time.perf_counter()
        proc = subprocess.run([*handrail_cmd(), "check", str(repo), "--format", "json"], capture_output=True, text=True)
        secs = time.perf_counter() - t0
        print(f"== {name}  ({secs:.1f}s, exit {proc.returncode})")
        try:
            data = json.loads(proc.stdout)
        except json.JSONDecodeError:
            print(f"   NO JSON: {(proc.stderr.strip().splitlines() or ['?'])[-1][:200]}")
            mismatches += 1
            continue
        want = expectations.get(name, {})
        for check in data["checks"]:
            cid = check["id"]
            if cid not in CI_CHECKS:
                continue
            expected = want.get(cid)
            accept = [expected] if isinstance(expected, str) else expected
            mark = "  " if accept is None else ("ok" if check["status"] in accept else "XX")
            if mark == "XX":
                mismatches += 1
            exp = f" (want {'|'.join(accept)})" if accept else ""
            print(f"   {mark} {cid:20} {check['status']:8}{exp:22} {check['summary'][:150]}")
            if args.findings or mark == "XX":
                for f in check["findings"]:
                    if f["severity"] != "info":
                        print(f"         - {f['rule']} {f['severity']} {f['path']}:{f['line']} {f['message'][:140]}")
        if want.get("why"):
            print(f"   why: {want['why']}")
    print(f"\n{mismatches} status mismatch(es) against bench/real_expectations.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
