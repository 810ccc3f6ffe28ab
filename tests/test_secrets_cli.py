"""`handrail secrets` through the real entry point (`python -m handrail`) on real git repositories.

Every invocation goes through `run()`, which also asserts that no planted secret appears whole in stdout or
stderr: redaction is checked on every output of this file, not only in the dedicated test.
"""

from __future__ import annotations

import base64
import json
import os
import random
import string
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import jsonschema
import pytest
from conftest import commit_files, git

ALNUM = string.ascii_letters + string.digits
_BANNED = ("test", "example", "fake", "xxxx", "your", "sample", "demo", "placeholder", "redacted", "change")
_rng = random.Random(31337)
PLANTED: list[str] = []  # every secret any test here plants; no output may contain one whole
# The pure-Python prefilter starts faster; the backends' equality is tested in test_secrets_engine.py, and the
# `history_json` run below uses the default (Hyperscan) backend.
ENV = {**{k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "HANDRAIL_DEBUG", "FORCE_COLOR", "CI")},
       "HANDRAIL_PREFILTER": "python"}
CONTRACT = ("fingerprint", "check", "rule", "severity", "message", "path", "line", "commit", "evidence", "fix")
SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


def planted(value: str) -> str:
    PLANTED.append(value)
    return value


def token(n: int, alphabet: str = ALNUM) -> str:
    while True:
        value = "".join(_rng.choice(alphabet) for _ in range(n))
        if not any(w in value.lower() for w in _BANNED):
            return value


def stripe() -> str:
    return planted("sk_live_" + token(24))


def github() -> str:
    return planted("ghp_" + token(36))


def supabase_jwt(role: str) -> str:
    def b64(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    claims = {"iss": "supabase", "ref": token(20, string.ascii_lowercase), "role": role, "iat": 1700000000,
              "exp": 2000000000}
    return planted(f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(claims)}.{token(43, ALNUM + '_-')}")


def assert_redacted(*texts: str) -> None:
    leaked = [i for i, v in enumerate(PLANTED) if any(v in t for t in texts)]
    assert not leaked, f"planted secret(s) #{leaked} printed whole"  # indexes only, never the value


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "handrail", *args], capture_output=True, text=True, encoding="utf-8",
                          errors="replace", env=env or ENV, timeout=120, check=False)
    assert "Traceback" not in proc.stderr, "a traceback on stderr (not shown: it may quote a planted value)"
    assert_redacted(proc.stdout, proc.stderr)
    return proc


def run_many(*calls: tuple[str, ...]) -> list[subprocess.CompletedProcess]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda a: run(*a), calls))


commit = commit_files


def new_repo(root: Path) -> Path:
    root.mkdir(parents=True)
    git(root, "init", "-q")
    return root


@cache
def _validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


class Leaky:
    """A repository with a secret in the tree, one only in history and public-by-design keys."""

    def __init__(self, root: Path) -> None:
        self.root = new_repo(root)
        self.tree_key, self.gone_key, self.db_pw = stripe(), github(), planted(token(20))
        self.anon, self.pk = supabase_jwt("anon"), planted("pk_live_" + token(24))
        self.c1 = commit(root, {
            "src/pay.py": f"import stripe\n\nstripe.api_key = '{self.tree_key}'\n",
            ".env": f"PORT=3000\nDB_PASSWORD={self.db_pw}\n",
            "web/client.ts": f"export const anon = '{self.anon}';\nexport const pk = '{self.pk}';\n",
        })
        self.c2 = commit(root, {"ops/deploy.sh": f"#!/bin/sh\nexport GH_TOKEN={self.gone_key}\n"})
        self.c3 = commit(root, {"ops/deploy.sh": "#!/bin/sh\nexport GH_TOKEN=\"$DEPLOY_TOKEN\"\n"})


@pytest.fixture(scope="module")
def leaky(tmp_path_factory: pytest.TempPathFactory) -> Leaky:
    return Leaky(tmp_path_factory.mktemp("cli") / "leaky")


@pytest.fixture(scope="module")
def history_json(leaky: Leaky) -> dict:
    default = {k: v for k, v in ENV.items() if k != "HANDRAIL_PREFILTER"}
    proc = run("secrets", str(leaky.root), "--history", "--tree", "--format", "json", "--workers", "1", env=default)
    assert proc.returncode == 1, proc.stderr
    return json.loads(proc.stdout)


# --- JSON shape --------------------------------------------------------------------------------------
def test_json_shape_and_contract_fields(history_json: dict, leaky: Leaky) -> None:
    doc = history_json
    assert set(doc) >= {"findings"} and isinstance(doc["findings"], list)
    assert doc["scanned"]["modes"] == ["tree", "history"] and doc["scanned"]["commits"] == 3
    assert doc["scanned"]["complete"] is True and doc["scanned"]["prefilter"] == "hyperscan"
    for f in doc["findings"]:
        assert all(k in f for k in CONTRACT), sorted(f)
        assert f["check"] == "secrets" and len(f["fingerprint"]) >= 16
        assert f["severity"] in ("critical", "high", "medium", "low", "info")
        assert f["evidence"].startswith(f["rule"] + ":")
    by_rule = {f["rule"]: f for f in doc["findings"]}
    tree = by_rule["stripe-secret-key-live"]
    assert (tree["path"], tree["line"], tree["commit"], tree["severity"]) == ("src/pay.py", 3, None, "critical")
    assert tree["fix"] and [(r["path"], r["line"], r["commit"]) for r in tree["related"]] == [
        ("src/pay.py", 3, leaky.c1)]
    gone = by_rule["github-token"]
    assert (gone["path"], gone["line"], gone["commit"]) == ("ops/deploy.sh", 2, leaky.c2)
    assert len(gone["commit"]) == 40 and "history" in gone["message"]
    assert by_rule["dotenv-secret"]["path"] == ".env" and by_rule["dotenv-secret"]["line"] == 2
    public = {f["rule"]: f for f in doc["findings"] if f["severity"] == "info"}
    assert set(public) == {"supabase-anon-key", "stripe-publishable-key"}
    assert all(f["fix"] == "" for f in public.values())


def test_history_only_scan_carries_full_shas(leaky: Leaky) -> None:
    proc = run("secrets", str(leaky.root), "--history", "--format", "json")
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1 and doc["scanned"]["modes"] == ["history"]
    shas = {f["commit"] for f in doc["findings"]}
    assert shas == {leaky.c1, leaky.c2}


# --- redaction and formats ------------------------------------------------------------------------
def test_no_output_contains_a_planted_secret(leaky: Leaky, tmp_path: Path) -> None:
    base = ("secrets", str(leaky.root), "--history", "--tree", "--workers", "1")
    text, js, sarif = run_many((*base, "--format", "text"), (*base, "--format", "json"),
                               (*base, "--format", "sarif"))
    written = tmp_path / "report.sarif"
    to_file = run(*base, "--format", "sarif", "-o", str(written))
    assert {p.returncode for p in (text, js, sarif, to_file)} == {1}
    assert to_file.stdout == ""
    assert_redacted(text.stdout, js.stdout, sarif.stdout, written.read_text("utf-8"))
    # Redacted, but still recognisable: the first and last four characters.
    assert f"{leaky.tree_key[:4]}…{leaky.tree_key[-4:]}" in js.stdout
    assert "src/pay.py" in text.stdout and "github-token" in text.stdout


def test_sarif_validates_against_the_schema(leaky: Leaky) -> None:
    proc = run("secrets", str(leaky.root), "--history", "--tree", "--format", "sarif", "--workers", "1")
    doc = json.loads(proc.stdout)
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    results = doc["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"stripe-secret-key-live", "github-token", "dotenv-secret"}
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in results for loc in r["locations"]}
    assert {"src/pay.py", "ops/deploy.sh"} <= uris


# --- staged (pre-commit) ------------------------------------------------------------------------------
def test_staged_exit_codes(tmp_path: Path) -> None:
    root = new_repo(tmp_path / "staged")
    commit(root, {"README.md": "# app\n"})
    (root / "clean.py").write_text("x = 1\n", "utf-8")
    git(root, "add", "clean.py")
    (root / "dirty.py").write_text(f"K = '{stripe()}'\n", "utf-8")  # not staged
    clean = run("secrets", str(root), "--staged")
    assert clean.returncode == 0, clean.stderr
    (root / "app.py").write_text(f"x = 1\nTOKEN = '{github()}'\n", "utf-8")
    git(root, "add", "app.py")
    leak = run("secrets", str(root), "--staged", "--format", "json")
    assert leak.returncode == 1
    doc = json.loads(leak.stdout)
    assert [(f["rule"], f["path"], f["line"], f["commit"]) for f in doc["findings"]] == [
        ("github-token", "app.py", 2, None)]
    assert doc["scanned"]["modes"] == ["staged"]


def test_staged_public_key_only_passes(tmp_path: Path) -> None:
    root = new_repo(tmp_path / "pub")
    commit(root, {"README.md": "# app\n"})
    (root / "web.ts").write_text(f"const pk = '{planted('pk_live_' + token(24))}';\n", "utf-8")
    git(root, "add", "web.ts")
    proc = run("secrets", str(root), "--staged", "--format", "json")
    assert proc.returncode == 0
    assert [f["severity"] for f in json.loads(proc.stdout)["findings"]] == ["info"]


# --- bad input -------------------------------------------------------------------------------------------
def _one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("handrail: "), proc.stderr
    return lines[0]


def test_not_a_repository_with_history_or_staged(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.py").write_text("x = 1\n", "utf-8")
    hist, staged, missing, tree = run_many(("secrets", str(plain), "--history"), ("secrets", str(plain), "--staged"),
                                           ("secrets", str(tmp_path / "nope"), "--history"),
                                           ("secrets", str(plain)))
    assert "not a git repository" in _one_line_error(hist) and "--history" in hist.stderr
    assert "not a git repository" in _one_line_error(staged)
    assert "no such file" in _one_line_error(missing)
    assert tree.returncode == 0 and tree.stderr == ""  # the working tree alone needs no repository


def test_bad_baseline_is_one_line(leaky: Leaky, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", "utf-8")
    one, two = run_many(("secrets", str(leaky.root), "--baseline-file", str(bad)),
                        ("secrets", str(leaky.root), "--baseline-file", str(tmp_path / "none.json")))
    assert "unreadable baseline" in _one_line_error(one)
    assert "no baseline" in _one_line_error(two)


# --- baseline and fingerprints ------------------------------------------------------------------------
def test_baseline_then_secrets_reports_nothing(tmp_path: Path) -> None:
    leaky = Leaky(tmp_path / "b")
    made = run("baseline", str(leaky.root))
    assert made.returncode == 0 and (leaky.root / ".handrail" / "baseline.json").is_file()
    tree, hist = run_many(("secrets", str(leaky.root), "--baseline", "--format", "json"),
                          ("secrets", str(leaky.root), "--baseline", "--history", "--tree", "--format", "json"))
    for proc in (tree, hist):
        doc = json.loads(proc.stdout)
        assert proc.returncode == 0, proc.stderr
        assert [f for f in doc["findings"] if f["severity"] != "info"] == []
        assert doc["suppressed"] >= 3
    # A new secret after the baseline is still reported.
    commit(leaky.root, {"src/new.py": f"K = '{stripe()}'\n"})
    proc = run("secrets", str(leaky.root), "--baseline", "--format", "json")
    assert proc.returncode == 1
    assert [(f["rule"], f["path"]) for f in json.loads(proc.stdout)["findings"] if f["severity"] != "info"] == [
        ("stripe-secret-key-live", "src/new.py")]


def test_fingerprints_stable_when_the_file_moves_lines(tmp_path: Path) -> None:
    root = new_repo(tmp_path / "fp")
    key = github()
    commit(root, {"app.py": f"import os\nTOKEN = '{key}'\n"})
    before = json.loads(run("secrets", str(root), "--format", "json").stdout)["findings"]
    commit(root, {"app.py": "import os\n# a\n# b\n# c\n\n" + f"TOKEN = '{key}'\n"})
    after = json.loads(run("secrets", str(root), "--format", "json").stdout)["findings"]
    assert [(f["line"], f["fingerprint"]) for f in before] == [(2, after[0]["fingerprint"])]
    assert after[0]["line"] == 6
    # A different value at the same place is a different finding.
    commit(root, {"app.py": "import os\n# a\n# b\n# c\n\n" + f"TOKEN = '{github()}'\n"})
    other = json.loads(run("secrets", str(root), "--format", "json").stdout)["findings"]
    assert other[0]["fingerprint"] != before[0]["fingerprint"]


def test_fail_on_threshold_and_public_keys_never_fail(leaky: Leaky, make_repo: Callable[..., Path]) -> None:
    pk = planted("pk_live_" + token(24))
    pub = make_repo({"web/client.ts": f"const a = '{supabase_jwt('anon')}';\nconst p = '{pk}';\n"})
    crit, pub_low = run_many(("secrets", str(leaky.root), "--fail-on", "critical", "-q"),
                             ("secrets", str(pub), "--fail-on", "low", "--format", "json"))
    assert crit.returncode == 1
    assert pub_low.returncode == 0
    assert {f["severity"] for f in json.loads(pub_low.stdout)["findings"]} == {"info"}
    # Only a medium finding: below the high threshold exits 0, at low exits 1.
    med = make_repo({"src/settings.py": f"client_secret = \"{planted(token(28))}\"\n"})
    low, high = run_many(("secrets", str(med), "--format", "json"), ("secrets", str(med), "--fail-on", "high"))
    sev = {f["severity"] for f in json.loads(low.stdout)["findings"]}
    assert sev == {"medium"} and low.returncode == 1 and high.returncode == 0


def test_baseline_holds_across_modes_after_a_rename(tmp_path: Path) -> None:
    root = new_repo(tmp_path / "rename")
    commit(root, {"a.py": f"x = 1\nK = '{stripe()}'\n"})
    git(root, "mv", "a.py", "b.py")
    commit(root, {})
    assert run("baseline", str(root)).returncode == 0
    proc = run("secrets", str(root), "--history", "--baseline", "--format", "json")
    assert [(f["rule"], f["path"]) for f in json.loads(proc.stdout)["findings"]] == []


def test_range_scans_only_the_named_commits(tmp_path: Path) -> None:
    """`--range base..HEAD` is the pull-request scan: an old leak before the base is not reported, a new one is."""
    root = new_repo(tmp_path / "app")
    commit(root, {"old.py": f'KEY = "{stripe()}"\n'}, "old leak")
    base = commit(root, {"old.py": None}, "removed")
    new = commit(root, {"new.py": f'TOKEN = "{github()}"\n'}, "new leak")
    proc = run("secrets", str(root), "--history", "--range", f"{base}..HEAD", "--format", "json")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["scanned"]["commits"] == 1
    assert [(f["rule"], f["path"], f["commit"]) for f in doc["findings"]] == [("github-token", "new.py", new)]


def test_range_errors_are_one_line(tmp_path: Path) -> None:
    root = new_repo(tmp_path / "app")
    commit(root, {"a.txt": "a\n"})
    bad = run("secrets", str(root), "--history", "--range", "nope..HEAD")
    assert bad.returncode == 2 and "bad revision" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    alone = run("secrets", str(root), "--range", "HEAD~1..HEAD")
    assert alone.returncode == 2 and "--range needs --history" in alone.stderr
