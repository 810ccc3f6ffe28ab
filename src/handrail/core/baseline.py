""".handrail/baseline.json: accepted findings by fingerprint.

No line numbers and no timestamps, entries sorted: regenerating the baseline on an
unchanged finding set gives a byte-identical file, so it never churns in review.
"""

from __future__ import annotations

import json
from pathlib import Path

from handrail.core.finding import Finding

BASELINE_PATH = ".handrail/baseline.json"


class BaselineError(Exception):
    pass


def write_baseline(root: Path, findings: list[Finding], path: Path | None = None) -> Path:
    target = path or root / BASELINE_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    entries = sorted(
        ({"fingerprint": f.fingerprint, "check": f.check, "rule": f.rule, "path": f.path}
         for f in findings),
        key=lambda e: (e["check"], e["rule"], e["path"] or "", e["fingerprint"]),
    )
    data = {"version": 1, "findings": entries}
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", "utf-8")
    tmp.replace(target)
    return target


def read_baseline(root: Path, path: Path | None = None) -> set[str]:
    target = path or root / BASELINE_PATH
    try:
        data = json.loads(target.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise BaselineError(f"{target}: no baseline; create one with `handrail baseline`") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"{target}: unreadable baseline: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{target}: not a Handrail baseline (expected an object with 'findings')")
    out = set()
    for entry in data["findings"]:
        if isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str):
            out.add(entry["fingerprint"])
    return out
