"""The `secrets` check inside `handrail check`: pass with evidence, fail on a leak, public keys as info,
`secrets.history = false`, and never `unknown` on a readable repository."""

from __future__ import annotations

import base64
import json
import os
import random
import string
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import commit_files, git

from handrail.checks.secrets import CHECK
from handrail.core.config import load_config
from handrail.core.finding import Severity, Status
from handrail.core.project import Project
from handrail.secrets.rules import RULES
from handrail.secrets.scan import ScanOutcome

ALNUM = string.ascii_letters + string.digits
_BANNED = ("test", "example", "fake", "xxxx", "your", "sample", "demo", "placeholder", "redacted", "change")
_rng = random.Random(4242)
PLANTED: list[str] = []
ENV = {**{k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "HANDRAIL_DEBUG", "FORCE_COLOR", "CI")},
       "HANDRAIL_PREFILTER": "python"}  # faster start; backend equality is tested in test_secrets_engine.py


def token(n: int, alphabet: str = ALNUM) -> str:
    while True:
        value = "".join(_rng.choice(alphabet) for _ in range(n))
        if not any(w in value.lower() for w in _BANNED):
            PLANTED.append(value)
            return value


def anon_jwt() -> str:
    def b64(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    claims = {"iss": "supabase", "ref": "abcdefghijklmnopqrst", "role": "anon", "iat": 1700000000, "exp": 2000000000}
    value = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(claims)}.{token(43, ALNUM + '_-')}"
    PLANTED.append(value)
    return value


commit = commit_files


def repo(tmp_path: Path, name: str, *commits: dict[str, str | None]) -> Path:
    root = tmp_path / name
    root.mkdir()
    git(root, "init", "-q")
    for files in commits:
        commit(root, files)
    return root


def check_json(root: Path) -> tuple[int, dict]:
    proc = subprocess.run([sys.executable, "-m", "handrail", "check", str(root), "--check", "secrets", "--format",
                           "json"], capture_output=True, text=True, encoding="utf-8", errors="replace", env=ENV,
                          timeout=120, check=False)
    assert "Traceback" not in proc.stderr, "a traceback on stderr (not shown: it may quote a planted value)"
    leaked = [i for i, v in enumerate(PLANTED) if v in proc.stdout or v in proc.stderr]
    assert not leaked, f"planted secret(s) #{leaked} printed whole"
    doc = json.loads(proc.stdout)
    [result] = [c for c in doc["checks"] if c["id"] == "secrets"]
    return proc.returncode, result


CLEAN = {"README.md": "# shop\n", "src/app.py": "import os\n\nKEY = os.environ['STRIPE_SECRET_KEY']\n",
         ".env.example": "STRIPE_SECRET_KEY=\nDB_PASSWORD=change-me\n"}


def test_clean_repository_passes_with_evidence(tmp_path: Path) -> None:
    code, result = check_json(repo(tmp_path, "clean", CLEAN, {"docs/setup.md": "Set STRIPE_SECRET_KEY.\n"}))
    assert code == 0 and result["status"] == "pass" and result["findings"] == []
    assert result["evidence"] and "2 commit(s) of git history" in result["evidence"][0]["note"]
    assert "working tree" in result["summary"] and "history" in result["summary"]


def test_leak_in_the_tree_fails(tmp_path: Path) -> None:
    key = "sk_live_" + token(24)
    code, result = check_json(repo(tmp_path, "leak", {**CLEAN, "src/pay.ts": f"const s = new Stripe('{key}');\n"}))
    assert code == 1 and result["status"] == "fail"
    assert [(f["rule"], f["path"], f["line"], f["severity"]) for f in result["findings"]] == [
        ("stripe-secret-key-live", "src/pay.ts", 1, "critical")]
    assert "stripe-secret-key-live" in result["summary"]


def test_history_only_leak_fails_and_history_false_skips_it(tmp_path: Path) -> None:
    key = "ghp_" + token(36)
    root = repo(tmp_path, "hist", CLEAN, {"ops/ci.sh": f"GH_TOKEN={key}\n"}, {"ops/ci.sh": None})
    sha = git(root, "rev-parse", "HEAD~1").strip()
    code, result = check_json(root)
    assert code == 1 and result["status"] == "fail"
    assert [(f["rule"], f["path"], f["line"], f["commit"]) for f in result["findings"]] == [
        ("github-token", "ops/ci.sh", 1, sha)]
    (root / "handrail.toml").write_text("[secrets]\nhistory = false\n", "utf-8")
    code, result = check_json(root)
    assert code == 0 and result["status"] == "pass" and result["findings"] == []
    assert "history" not in result["summary"] and "commit" not in result["evidence"][0]["note"]


def test_public_by_design_keys_are_info_and_never_fail(tmp_path: Path) -> None:
    pk = "pk_live_" + token(24)
    root = repo(tmp_path, "pub", {**CLEAN, "web/lib/supabase.ts": f"export const anon = '{anon_jwt()}';\n",
                                  "web/lib/stripe.ts": f"export const pk = '{pk}';\n"})
    code, result = check_json(root)
    assert code == 0 and result["status"] == "pass"
    assert sorted((f["rule"], f["severity"], f["fix"]) for f in result["findings"]) == [
        ("stripe-publishable-key", "info", ""), ("supabase-anon-key", "info", "")]
    assert "public-by-design" in result["summary"]


def test_medium_only_is_warn(tmp_path: Path) -> None:
    root = repo(tmp_path, "warn", {**CLEAN, "src/settings.py": f'client_secret = "{token(28)}"\n'})
    result = CHECK.run(Project(root, load_config(root)))
    assert result.status is Status.WARN and [f.severity for f in result.findings] == [Severity.MEDIUM]


def test_weak_rules_are_not_trusted_in_test_paths(tmp_path: Path) -> None:
    weak = f'client_secret = "{token(28)}"\n'
    exact = f"KEY = 'sk_live_{token(24)}'\n"
    root = repo(tmp_path, "fixtures", {**CLEAN, "tests/fixtures/settings.py": weak, "tests/test_pay.py": exact})
    result = CHECK.run(Project(root, load_config(root)))
    # The generic assignment is dropped in tests; the exact Stripe format is still reported, at low confidence.
    assert [(f.rule, f.path, f.confidence.value) for f in result.findings] == [
        ("stripe-secret-key-live", "tests/test_pay.py", "low")]


def test_outside_git_the_tree_alone_is_not_unknown(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "app.py").write_text("x = 1\n", "utf-8")
    result = CHECK.run(Project(plain, load_config(plain)))
    assert result.status is Status.PASS and "history" not in result.summary


@pytest.mark.parametrize(("incomplete", "status"), [(False, Status.PASS), (True, Status.UNKNOWN)])
def test_incomplete_scan_without_findings_is_unknown(incomplete: bool, status: Status) -> None:
    outcome = ScanOutcome(rules=RULES, modes=["tree", "history"], files=3, commits=9,
                          notes=["1 commit(s) could not be read"] if incomplete else [], incomplete=incomplete)
    result = CHECK.evaluate(outcome)
    assert result.status is status
    assert "9 commit(s)" in result.summary and (("could not be read" in result.summary) == incomplete)
