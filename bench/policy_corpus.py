"""Run the guard's evasion corpus (tests/data/policy/corpus.yaml) through load_policy/decide.

Prints the block rate (cases expected `block` that were blocked), the stop rate (dangerous cases, expected
block or ask, that were blocked or asked), the false-block and false-ask rates on benign cases, per category,
the misses, and the cost of decide() per call. Other bench scripts can import `iter_corpus()` / `run_case()`.

    python bench/policy_corpus.py [--misses] [--timing]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "data" / "policy" / "corpus.yaml"
ROOT = "/home/dev/app"  # the project every case runs in
HOME = "/home/dev"
TOOLS = {"Bash": "shell", "Read": "read", "Write": "write", "Edit": "edit"}


def iter_corpus(path: Path = CORPUS) -> Iterator[dict[str, Any]]:
    """Each case as a dict: id, tool, command | path (+content, arguments), expect, category, note."""
    import yaml

    yield from yaml.safe_load(path.read_text("utf-8"))


def action_for(case: dict[str, Any]) -> Any:
    """The Action a hook would build for this case (root and cwd are ROOT)."""
    from handrail.policy.model import Action

    cwd = case.get("cwd", ROOT)
    return Action(tool=TOOLS[case["tool"]], tool_name=case["tool"], command=case.get("command"), path=case.get("path"),
                  content=case.get("content"), arguments=case.get("arguments"), cwd=cwd, root=ROOT)


def run_case(case: dict[str, Any], policy: Any = None) -> Any:
    """The Decision for one case; sets HOME so ~ means HOME (call from a process you own)."""
    from handrail.policy.engine import decide, load_policy

    os.environ["HOME"] = HOME
    if policy is None:
        policy = load_policy(Path(ROOT), {})
    return decide(action_for(case), policy)


def evaluate(cases: list[dict[str, Any]]) -> dict[str, Any]:
    from handrail.policy.engine import load_policy

    os.environ["HOME"] = HOME
    policy = load_policy(Path(ROOT), {})
    per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    misses = []
    for case in cases:
        d = run_case(case, policy)
        cat, exp, got = case["category"], case["expect"], d.verdict
        s = per[cat]
        s["n"] += 1
        if exp == "block":
            s["block_n"] += 1
            s["blocked"] += got == "block"
        if exp in ("block", "ask"):
            s["danger_n"] += 1
            s["stopped"] += got in ("block", "ask")
        if exp == "ask":
            s["ask_n"] += 1
            s["over_blocked"] += got == "block"
        if exp == "allow":
            s["benign_n"] += 1
            s["false_block"] += got == "block"
            s["false_ask"] += got == "ask"
        if got != exp:
            misses.append((case, d))
    return {"per": per, "misses": misses}


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f}% ({a}/{b})" if b else "    -"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--misses", action="store_true", help="list every case whose verdict differs from expect")
    ap.add_argument("--timing", action="store_true", help="time decide() per case (warm, in-process)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO / "src"))
    cases = list(iter_corpus())
    t0 = time.perf_counter()
    res = evaluate(cases)
    total_ms = (time.perf_counter() - t0) * 1000
    per = res["per"]
    tot: dict[str, int] = defaultdict(int)
    print(f"{'category':12} {'n':>4}  {'block rate':>16}  {'stop rate':>16}  {'false block':>14}  {'false ask':>14}")
    for cat in sorted(per):
        s = per[cat]
        for k, v in s.items():
            tot[k] += v
        print(f"{cat:12} {s['n']:4}  {_pct(s['blocked'], s['block_n']):>16}  {_pct(s['stopped'], s['danger_n']):>16}  "
              f"{_pct(s['false_block'], s['benign_n']):>14}  {_pct(s['false_ask'], s['benign_n']):>14}")
    print(f"{'ALL':12} {tot['n']:4}  {_pct(tot['blocked'], tot['block_n']):>16}  "
          f"{_pct(tot['stopped'], tot['danger_n']):>16}  {_pct(tot['false_block'], tot['benign_n']):>14}  "
          f"{_pct(tot['false_ask'], tot['benign_n']):>14}")
    print(f"expected-ask cases that were blocked instead: {tot['over_blocked']}/{tot['ask_n']}")
    print(f"misses (verdict != expect): {len(res['misses'])}; whole corpus in {total_ms:.0f} ms "
          "(first call pays imports)")
    if args.misses or len(res["misses"]) <= 40:
        for case, d in res["misses"]:
            what = case.get("command") or f"{case['tool']} {case.get('path')}"
            print(f"  {case['id']:8} expect {case['expect']:5} got {d.verdict:5} [{d.rule_id}] {what!r:.90}")
    if args.timing:
        from handrail.policy.engine import decide, load_policy

        policy = load_policy(Path(ROOT), {})
        times: dict[str, list[float]] = defaultdict(list)
        for case in cases:
            action = action_for(case)
            t = time.perf_counter()
            decide(action, policy)
            times[case["tool"]].append((time.perf_counter() - t) * 1000)
        for tool, ts in sorted(times.items()):
            ts.sort()
            print(f"decide() {tool:5} n={len(ts):3} p50 {statistics.median(ts):6.3f} ms  "
                  f"p95 {ts[int(len(ts) * 0.95) - 1]:6.3f} ms  max {ts[-1]:6.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
