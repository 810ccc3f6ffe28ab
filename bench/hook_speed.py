"""Speed of a whole agent-hook process: `handrail hook claude` against peer guards, in one interleaved run.

Why whole processes: Claude Code forks the hook command for every tool call and waits for it to exit, so
what the agent feels is interpreter start + imports + the work + exit, not the cost of decide(). Each
sample is fork+exec to exit (stdin written, stdout/stderr read), timed with perf_counter around
subprocess.run.

    python bench/hook_speed.py [--runs 50] [--no-peers] [--importtime 5] [--profile] [--json PATH]

Setup (fresh each run, in a temp dir): HOME and XDG_CONFIG_HOME point into it, and `proj/` is a real git
repository (200 tracked files, 3 commits, two uncommitted edits) that every hook runs in; the journal it
writes (.handrail/) grows over the run, as it would in a session. Cases are real-shaped Claude Code hook
JSON (see CASES). Baselines: `python -c pass` and `python -c "import handrail"` with the venv's Python.

Peers, fed the same PreToolUse JSON (PostToolUse/SessionStart/Stop are handrail-only: the peers do not
hook them):
- cc-safety-net (npm, claude-code-safety-net): `cc-safety-net --claude-code`, installed with
  `npm install --ignore-scripts cc-safety-net@2.4.5` into bench/.work/peers/ (done here when missing).
- claude-safety-guard (PyPI, regex guard): `claude-safety-guard hook`, in its own venv
  bench/.work/peers/py (`python -m venv bench/.work/peers/py && bench/.work/peers/py/bin/pip install
  claude-safety-guard==0.2.0`; skipped when missing).
Rounds interleave every (tool, case) pair in an order that reverses each round, after 3 warm-ups each
(node's compile cache and .pyc files are written then). Prints p50/p95/max per pair, the ratio
handrail/peer per case, the verdict each gave, and `python -X importtime` top offenders of the handrail
hook process (median over --importtime runs).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / ".work"
PEERS = WORK / "peers"
CCSN_VERSION = "2.4.5"
PY = Path(sys.executable)


class BenchError(Exception):
    """A missing tool or unusable setup: one line, never a traceback."""


# --------------------------------------------------------------------------------------------------------------
# environment and cases
# --------------------------------------------------------------------------------------------------------------

def _run(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if p.returncode:
        raise BenchError(f"{' '.join(cmd[:3])} failed: {(p.stderr or p.stdout).strip()[:200]}")
    return p.stdout


def make_sandbox(base: Path) -> dict[str, Any]:
    """HOME, XDG_CONFIG_HOME and a git project with some history and uncommitted work."""
    home, xdg, proj = base / "home", base / "home" / ".config", base / "proj"
    for d in (home, xdg, proj):
        d.mkdir(parents=True, exist_ok=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "XDG_CONFIG_HOME": str(xdg),
           "LANG": "C.UTF-8", "CLAUDE_PROJECT_DIR": str(proj), "GIT_CONFIG_NOSYSTEM": "1"}
    git_env = {**env, "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
               "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com"}
    _run(["git", "init", "-q", "-b", "main"], cwd=proj, env=git_env)
    (proj / "package.json").write_text(json.dumps({"name": "app", "scripts": {"test": "vitest run"}}) + "\n")
    (proj / "README.md").write_text("# app\n\nRun `npm test`.\n")
    for i in range(200):
        sub = proj / ("src" if i % 3 else "tests") / f"mod{i // 20}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"file{i}.ts").write_text("".join(f"export const v{i}_{j} = {j};\n" for j in range(30)))
        if i in (60, 130):
            _run(["git", "add", "-A"], cwd=proj, env=git_env)
            _run(["git", "commit", "-q", "-m", f"step {i}"], cwd=proj, env=git_env)
    _run(["git", "add", "-A"], cwd=proj, env=git_env)
    _run(["git", "commit", "-q", "-m", "step 200"], cwd=proj, env=git_env)
    (proj / "src" / "mod1" / "file21.ts").write_text("export const changed = 1;\n")
    (proj / "README.md").write_text("# app\n\nRun `npm test`. Work in progress.\n")
    return {"base": base, "home": home, "proj": proj, "env": env}


def _long_command() -> str:
    """~3 KB: a pipeline, a loop, command substitution and a here-doc, as agents write them."""
    lines = [
        "set -euo pipefail",
        "cd \"$(git rev-parse --show-toplevel)\"",
        "for f in $(git ls-files 'src/*.ts' | head -n 50); do",
        "  wc -l \"$f\" | awk '{print $1}' >> /tmp/line-counts.txt",
        "done",
        "grep -rn --include='*.ts' 'export const' src | cut -d: -f1 | sort | uniq -c | sort -rn | head -20",
        "cat > /tmp/report.md <<'EOF'",
    ]
    lines += [f"| module {i} | {i * 7} lines | ok | reviewed by the bench harness, nothing to do here |"
              for i in range(40)]
    lines += ["EOF", "npx vitest run --reporter=dot 2>&1 | tail -n 30 | tee /tmp/test-tail.txt",
              "git status --porcelain | awk '{print $2}' | xargs -r git diff --stat --"]
    cmd = "\n".join(lines)
    return cmd


def _post_output() -> str:
    """~20 KB of test-runner output (one fake connection string to exercise redaction)."""
    out = []
    i = 0
    while sum(len(x) + 1 for x in out) < 20_000:
        out.append(f" ✓ tests/mod{i % 10}/file{i}.test.ts > renders row {i} with the expected totals ({i % 97} ms)")
        i += 1
    out.insert(40, "DATABASE_URL=postgres://app:s3cretpassw0rd@db.internal:5432/app (from .env.test)")
    out.append(f" Test Files  {i} passed ({i})\n      Tests  {i * 3} passed\n   Duration  12.41s")
    return "\n".join(out)


def make_cases(sb: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Hook JSON per case, shaped like Claude Code's (common fields + event fields)."""
    proj = str(sb["proj"])
    common = {"session_id": "6f1c2a9e-5b7d-4c3e-9a10-2d8e4f6b1c01",
              "transcript_path": f"{sb['home']}/.claude/projects/-proj/6f1c2a9e.jsonl",
              "cwd": proj, "permission_mode": "default"}

    def pre(name: str, tool: str, tool_input: dict[str, Any]) -> dict[str, Any]:
        return {**common, "hook_event_name": "PreToolUse", "tool_name": tool, "tool_input": tool_input,
                "tool_use_id": f"toolu_01{name}"}

    return {
        "pre-bash-npm-test": pre("a", "Bash", {"command": "npm test", "description": "Run the test suite"}),
        "pre-bash-rm-home": pre("b", "Bash", {"command": "rm -rf ~", "description": "Clean up"}),
        "pre-bash-long-3kb": pre("c", "Bash", {"command": _long_command(), "description": "Summarise the repo"}),
        "pre-read": pre("d", "Read", {"file_path": f"{proj}/src/mod1/file21.ts"}),
        "post-bash-20kb": {**common, "hook_event_name": "PostToolUse", "tool_name": "Bash",
                           "tool_input": {"command": "npm test", "description": "Run the test suite"},
                           "tool_response": {"stdout": _post_output(), "stderr": "", "interrupted": False,
                                             "isImage": False},
                           "tool_use_id": "toolu_01a", "duration_ms": 12873},
        "session-start": {**common, "hook_event_name": "SessionStart", "source": "startup"},
        "stop": {**common, "hook_event_name": "Stop", "stop_hook_active": False},
    }


# --------------------------------------------------------------------------------------------------------------
# tools
# --------------------------------------------------------------------------------------------------------------

def handrail_cmd() -> list[str]:
    exe = PY.parent / "handrail"
    if not exe.exists():
        found = shutil.which("handrail")
        if not found:
            raise BenchError("the `handrail` console script is not installed (pip install -e .)")
        exe = Path(found)
    text = exe.read_text("utf-8", "replace")[:2000]
    if "handrail.cli" in text and "handrail.entry" not in text:
        raise BenchError(f"{exe} is stale (calls handrail.cli, not handrail.entry): run `pip install -e .`")
    return [str(exe), "hook", "claude"]


def ensure_ccsn(install: bool) -> Path | None:
    exe = PEERS / "node_modules" / ".bin" / "cc-safety-net"
    if exe.exists() or not install:
        return exe if exe.exists() else None
    if not shutil.which("npm"):
        return None
    PEERS.mkdir(parents=True, exist_ok=True)
    if not (PEERS / "package.json").exists():
        (PEERS / "package.json").write_text('{"private": true}\n')
    p = subprocess.run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund",
                        f"cc-safety-net@{CCSN_VERSION}"], cwd=PEERS, capture_output=True, text=True)
    if p.returncode:
        print(f"cc-safety-net: npm install failed: {p.stderr.strip()[:200]}", file=sys.stderr)
        return None
    return exe if exe.exists() else None


def peer_tools(install: bool) -> dict[str, list[str]]:
    tools: dict[str, list[str]] = {}
    ccsn = ensure_ccsn(install)
    if ccsn:
        tools["cc-safety-net"] = [str(ccsn), "--claude-code"]
    else:
        print("cc-safety-net: not installed (needs npm); skipped", file=sys.stderr)
    csg = PEERS / "py" / "bin" / "claude-safety-guard"
    if csg.exists():
        tools["claude-safety-guard"] = [str(csg), "hook"]
    else:
        print("claude-safety-guard: not installed in bench/.work/peers/py; skipped", file=sys.stderr)
    return tools


def verdict(rc: int, stdout: str) -> str:
    """What Claude Code would make of the reply: block | ask | allow | context | error(rc)."""
    if rc == 2:
        return "block"
    if rc != 0:
        return f"error({rc})"
    text = stdout.strip()
    if not text:
        return "allow"
    try:
        data = json.loads(text)
    except ValueError:
        return "text"  # SessionStart plain stdout is added as context
    hso = data.get("hookSpecificOutput") or {}
    pd = hso.get("permissionDecision")
    if pd == "deny" or data.get("decision") == "block":
        return "block"
    if pd == "ask":
        return "ask"
    if hso.get("additionalContext"):
        return "context"
    return pd or "allow"


# --------------------------------------------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------------------------------------------

def _child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def time_once(cmd: list[str], stdin: bytes, cwd: Path, env: dict[str, str]) -> tuple[float, int, str, str, float]:
    """Wall ms, exit code, stdout, stderr and the child's CPU ms (user+sys, steadier than wall on a busy box)."""
    c = _child_cpu()
    t = time.perf_counter()
    p = subprocess.run(cmd, input=stdin, cwd=cwd, env=env, capture_output=True)
    ms = (time.perf_counter() - t) * 1000
    cpu = (_child_cpu() - c) * 1000
    return ms, p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"), cpu


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(q * len(s) + 0.5) - 1))]


def bench(pairs: list[tuple[str, str, list[str], bytes]], sb: dict[str, Any], runs: int,
          warmups: int = 3) -> dict[tuple[str, str], dict[str, Any]]:
    res: dict[tuple[str, str], dict[str, Any]] = {}
    live = []
    for tool, case, cmd, stdin in pairs:
        r: dict[str, Any] = {"times": [], "cpu": [], "verdict": None, "error": None}
        for _ in range(warmups):
            _ms, rc, out, err, _cpu = time_once(cmd, stdin, sb["proj"], sb["env"])
        r["verdict"] = verdict(rc, out)
        r["stdout_head"] = out.strip()[:160]
        if rc not in (0, 2):
            r["error"] = (err.strip().splitlines() or [f"exit {rc}"])[-1][:200]
        res[(tool, case)] = r
        live.append((tool, case, cmd, stdin))
    for i in range(runs):
        order = live if i % 2 == 0 else list(reversed(live))
        for tool, case, cmd, stdin in order:
            ms, _rc, _out, _err, cpu = time_once(cmd, stdin, sb["proj"], sb["env"])
            res[(tool, case)]["times"].append(ms)
            res[(tool, case)]["cpu"].append(cpu)
    for r in res.values():
        ts = r["times"]
        r["p50"], r["p95"], r["max"] = statistics.median(ts), pct(ts, 0.95), max(ts)
        r["cpu_p50"] = statistics.median(r["cpu"])
    return res


# --------------------------------------------------------------------------------------------------------------
# where the handrail hook's time goes
# --------------------------------------------------------------------------------------------------------------

HOOK_SNIPPET = "import sys; sys.argv = ['handrail', 'hook', 'claude']; from handrail.entry import main; main()"

# The hook's steps, each alone in a fresh process (what it costs on top of `python -c pass`), so the cost of a
# slow hook can be split between them even before (or without) the hook runner itself.
_ACTION = ("import os, sys; from pathlib import Path; root = os.getcwd(); "
           "from handrail.policy.model import Action; "
           "a = Action(tool='shell', tool_name='Bash', command=sys.stdin.read(), cwd=root, root=root); ")
COMPONENTS = {
    "policy: load+decide npm test": (_ACTION + "from handrail.policy.engine import load_policy, decide; "
                                     "decide(a, load_policy(Path(root)))", "npm test"),
    "policy: load+decide 3 KB cmd": (_ACTION + "from handrail.policy.engine import load_policy, decide; "
                                     "decide(a, load_policy(Path(root)))", None),
    "journal: open+append": ("import os; from pathlib import Path; from handrail.journal import open_journal, Event; "
                             "j = open_journal(Path(os.getcwd())); "
                             "j.append(Event(kind='tool_call', summary='Bash: npm test', agent='claude', "
                             "session='s', tool='Bash', tool_use_id='t', event='PreToolUse', decision='allow', "
                             "rule_id='allow-default', payload={'input': {'command': 'npm test'}, 'phase': 'pre'})); "
                             "j.close()", ""),
    "pre_tool equivalent: policy+journal": (
        _ACTION + "from handrail.policy.engine import load_policy, decide; d = decide(a, load_policy(Path(root))); "
        "from handrail.journal import open_journal, Event; j = open_journal(Path(root)); "
        "j.append(Event(kind='tool_call', summary='Bash: ' + a.command, agent='claude', session='s', tool='Bash', "
        "tool_use_id='t', event='PreToolUse', decision=d.verdict, rule_id=d.rule_id, "
        "payload={'input': {'command': a.command}, 'phase': 'pre'})); j.close(); "
        "import json; print(json.dumps({'hookSpecificOutput': {'hookEventName': 'PreToolUse', "
        "'permissionDecision': 'allow'}}))", "npm test"),
    # the hook as it is, but leaving with os._exit once the reply is flushed: what interpreter teardown costs
    "hook, os._exit after the reply": ("import os, sys; from handrail.hook import main; rc = main(['claude']); "
                                       "sys.stdout.flush(); sys.stderr.flush(); os._exit(rc)", "@pre-bash-npm-test"),
    "handoff: context": ("import os; from pathlib import Path; import handrail.handoff as h; "
                         "h.context(Path(os.getcwd()))", ""),
    "handoff: write": ("import os; from pathlib import Path; import handrail.handoff as h; "
                       "h.write(Path(os.getcwd()))", ""),
}


def importtime(code: str, stdin: bytes, sb: dict[str, Any], n: int) -> dict[str, Any]:
    """Median self/cumulative µs per module over n runs of `python -X importtime -c code`."""
    selfs: dict[str, list[int]] = defaultdict(list)
    cums: dict[str, list[int]] = defaultdict(list)
    depth: dict[str, int] = {}
    for _ in range(n):
        p = subprocess.run([str(PY), "-X", "importtime", "-c", code], input=stdin, cwd=sb["proj"],
                           env=sb["env"], capture_output=True)
        for line in p.stderr.decode("utf-8", "replace").splitlines():
            if not line.startswith("import time:") or "[us]" in line:
                continue
            try:
                _, rest = line.split(":", 1)
                s, c, name = rest.split("|", 2)
            except ValueError:
                continue
            mod = name.rstrip()
            depth[mod.strip()] = (len(mod) - len(mod.lstrip())) // 2
            selfs[mod.strip()].append(int(s))
            cums[mod.strip()].append(int(c))
    # a module imported in only some runs (a checkpoint's signing every 256 appends) counts 0 in the others
    med_self = {m: statistics.median(v + [0] * (n - len(v))) for m, v in selfs.items()}
    med_cum = {m: statistics.median(v + [0] * (n - len(v))) for m, v in cums.items()}
    rare = {m: len(v) for m, v in cums.items() if len(v) < n}
    by_pkg: dict[str, float] = defaultdict(float)
    for m, v in med_self.items():
        by_pkg[m.split(".")[0]] += v
    total = sum(med_self.values())
    return {"total_us": total, "self": med_self, "cum": med_cum, "depth": depth, "by_pkg": dict(by_pkg),
            "rare": rare, "max_cum": {m: max(v) for m, v in cums.items()}}


PROFILE_SNIPPET = r"""
import cProfile, io, pstats, sys
sys.argv = ['handrail', 'hook', 'claude']
pr = cProfile.Profile()
pr.enable()
try:
    from handrail.entry import main
    main()
except SystemExit:
    pass
finally:
    pr.disable()
    s = io.StringIO()
    pstats.Stats(pr, stream=s).sort_stats('cumulative').print_stats(r'handrail|sqlite3|subprocess|tree_sitter', 28)
    sys.stderr.write('\n@@PROFILE@@\n' + s.getvalue())
"""


def profile(stdin: bytes, sb: dict[str, Any]) -> str:
    p = subprocess.run([str(PY), "-c", PROFILE_SNIPPET], input=stdin, cwd=sb["proj"], env=sb["env"],
                       capture_output=True)
    err = p.stderr.decode("utf-8", "replace")
    return err.split("@@PROFILE@@", 1)[-1].strip() if "@@PROFILE@@" in err else err.strip()[-2000:]


# --------------------------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=50, help="timed runs per (tool, case) after 3 warm-ups")
    ap.add_argument("--no-peers", action="store_true", help="time handrail and the baselines only")
    ap.add_argument("--no-install", action="store_true", help="do not npm-install cc-safety-net when missing")
    ap.add_argument("--importtime", type=int, default=5, metavar="N", help="runs under -X importtime (0: skip)")
    ap.add_argument("--top", type=int, default=20, help="modules to list from importtime")
    ap.add_argument("--profile", action="store_true", help="cProfile one hook call per case (in its process)")
    ap.add_argument("--case", action="append", help="only these cases (repeatable)")
    ap.add_argument("--no-components", dest="components", action="store_false",
                    help="skip timing the hook's steps (policy, journal, handoff) each in its own process")
    ap.add_argument("--json", type=Path, default=WORK / "hook-speed.json")
    args = ap.parse_args(argv)
    if args.runs < 1:
        print("error: --runs must be at least 1", file=sys.stderr)
        return 2
    try:
        hr = handrail_cmd()
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    peers = {} if args.no_peers else peer_tools(not args.no_install)
    WORK.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hook-speed-", dir=WORK) as tmp:
        try:
            sb = make_sandbox(Path(tmp))
        except BenchError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        cases = make_cases(sb)
        if args.case:
            unknown = set(args.case) - set(cases)
            if unknown:
                print(f"error: unknown case(s) {', '.join(sorted(unknown))}; known: {', '.join(cases)}",
                      file=sys.stderr)
                return 2
            cases = {k: v for k, v in cases.items() if k in args.case}
        payload = {k: json.dumps(v).encode() for k, v in cases.items()}
        pairs: list[tuple[str, str, list[str], bytes]] = [
            ("python", "-c pass", [str(PY), "-c", "pass"], b""),
            ("python", "-c 'import handrail'", [str(PY), "-c", "import handrail"], b""),
        ]
        if args.components:
            for name, (code, stdin) in COMPONENTS.items():
                if stdin and stdin.startswith("@"):
                    if stdin[1:] not in payload:
                        continue
                    data = payload[stdin[1:]]
                else:
                    data = (stdin if stdin is not None else _long_command()).encode()
                pairs.append(("step", name, [str(PY), "-c", code], data))
        for case, data in payload.items():
            pairs.append(("handrail", case, hr, data))
            if cases[case]["hook_event_name"] == "PreToolUse":
                pairs += [(name, case, cmd, data) for name, cmd in peers.items()]
        t0 = time.time()
        res = bench(pairs, sb, args.runs)
        wall = time.time() - t0
        imp = None
        if args.importtime:
            # the hook itself when it runs; else the same steps without the runner, so the figure exists early
            hook_ok = not res[("handrail", next(iter(payload)))]["error"]
            first = "pre-bash-npm-test" if "pre-bash-npm-test" in payload else next(iter(payload))
            code, data, what = ((HOOK_SNIPPET, payload[first], f"`handrail hook claude`, {first}") if hook_ok else
                                (COMPONENTS["pre_tool equivalent: policy+journal"][0], b"npm test",
                                 "pre_tool equivalent (policy+journal; the hook runner failed)"))
            imp = importtime(code, data, sb, args.importtime)
            imp["what"] = what
        profiles = {case: profile(data, sb) for case, data in payload.items()} if args.profile else {}
        journal = sb["proj"] / ".handrail"
        jfiles = sorted(p.name for p in journal.iterdir()) if journal.is_dir() else []

    print(f"hook_speed: {args.runs} runs per pair after 3 warm-ups, interleaved; {os.cpu_count()} cores; "
          f"python {sys.version.split()[0]}; {wall:.0f} s; .handrail/ after the run: {', '.join(jfiles) or '-'}")
    print(f"{'tool':20} {'case':36} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'cpu p50':>8}  verdict")
    for (tool, case), r in res.items():
        note = f"  ! {r['error']}" if r["error"] else ""
        print(f"{tool:20} {case:36} {r['p50']:8.1f} {r['p95']:8.1f} {r['max']:8.1f} {r['cpu_p50']:8.1f}  "
              f"{r['verdict']}{note}")
    if peers:
        print("\nratio handrail/peer: wall p50 [wall p95] {CPU p50}")
        print(f"{'case':24} " + " ".join(f"{p:>34}" for p in peers))
        for case in payload:
            if (("handrail", case) not in res) or not any((p, case) in res for p in peers):
                continue
            h = res[("handrail", case)]
            cells = []
            for p in peers:
                r = res.get((p, case))
                cells.append(f"{h['p50'] / r['p50']:6.2f}x [{h['p95'] / r['p95']:5.2f}x] "
                             f"{{{h['cpu_p50'] / r['cpu_p50']:5.2f}x}}" if r else "-")
            print(f"{case:24} " + " ".join(f"{c:>34}" for c in cells))
    base = res[("python", "-c pass")]["p50"]
    imp_h = res[("python", "-c 'import handrail'")]["p50"]
    steps = [(c, r) for (t, c), r in res.items() if t == "step"]
    if steps:
        print("\nsteps, each alone in a process (p50 minus `python -c pass`; includes their imports):")
        for c, r in steps:
            err = f"  ! {r['error']}" if r["error"] else ""
            print(f"  {c:32} {r['p50'] - base:7.1f} ms{err}")
    hps = [r["p50"] for (t, _c), r in res.items() if t == "handrail"]
    if hps:
        print(f"\nhandrail hook p50 range {min(hps):.1f}-{max(hps):.1f} ms (target < 60 ms); interpreter start "
              f"{base:.1f} ms, + `import handrail` {imp_h - base:.1f} ms")
    if imp:
        print(f"\n-X importtime of {imp['what']} (median of {args.importtime}): "
              f"{imp['total_us'] / 1000:.1f} ms of imports in all")
        print("  by top-level package (self time summed):")
        for pkg, us in sorted(imp["by_pkg"].items(), key=lambda kv: -kv[1])[:12]:
            print(f"    {pkg:32} {us / 1000:7.2f} ms")
        print(f"  top {args.top} by cumulative time (depth = nesting, 0 = imported by the hook itself):")
        for m, us in sorted(imp["cum"].items(), key=lambda kv: -kv[1])[:args.top]:
            print(f"    {m:48} cum {us / 1000:7.2f} ms  self {imp['self'][m] / 1000:6.2f} ms  "
                  f"depth {imp['depth'].get(m, 0)}")
    if imp and imp["rare"]:
        top_rare = sorted(imp["rare"], key=lambda m: -imp["max_cum"][m])[:6]
        print("  imported in only some runs (max cumulative): " + ", ".join(
            f"{m} {imp['rare'][m]}/{args.importtime} {imp['max_cum'][m] / 1000:.1f} ms" for m in top_rare))
    for case, text in profiles.items():
        print(f"\ncProfile, {case} (cumulative; handrail/sqlite3/subprocess/tree_sitter frames):\n{text}")
    out = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cores": os.cpu_count(), "runs": args.runs,
           "results": [{"tool": t, "case": c, **r}
                       for (t, c), r in res.items()],
           "importtime": imp and {k: imp[k] for k in ("total_us", "by_pkg")}}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
