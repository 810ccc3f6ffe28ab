"""`handrail check` and friends through the real entry point (`python -m handrail`) on real git repos.

The checks are developed separately, so tests that need a finding use a repository that
triggers one robustly (a workflow granting `permissions: write-all`) and read rule ids,
lines and severities from the JSON output instead of hard-coding them.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import jsonschema
import pytest

from handrail.core.finding import Severity

ANSI = re.compile(r"\x1b\[")
WRITE_ALL = """\
name: ci
on: push
permissions: write-all
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo hello
"""
TRIGGER = {".github/workflows/ci.yml": WRITE_ALL, "app.py": "print('hello')\n"}
ENV = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "HANDRAIL_DEBUG", "FORCE_COLOR", "CI")}


def handrail(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "handrail", *args], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", errors="replace", env={**ENV, **(env or {})}, timeout=120, check=False)


def report_of(root: Path, *args: str) -> dict:
    proc = handrail("check", str(root), "--format", "json", *args)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def findings_of(doc: dict) -> list[dict]:
    return [f for c in doc["checks"] for f in c["findings"]]


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and lines[0].startswith("handrail: ")
    return lines[0]


def handrail_many(*calls: tuple[str, ...]) -> list[subprocess.CompletedProcess]:
    """Independent invocations side by side: each is a separate process, so this only saves wall time."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda args: handrail(*args), calls))


def _git_repo(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")
    env = {**ENV, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "T",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "initial"]):
        subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=root, env=env, check=True,
                       capture_output=True)
    return root


@pytest.fixture(scope="module")
def shared_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The trigger repository for tests that only read it."""
    return _git_repo(tmp_path_factory.mktemp("shared"), TRIGGER)


@pytest.fixture
def trigger_repo(make_repo: Callable[..., Path]) -> Path:
    """A fresh trigger repository for tests that change it."""
    return make_repo(TRIGGER)


@pytest.fixture(scope="module")
def lp_finding(shared_repo: Path) -> dict:
    """The least-privilege finding on the write-all workflow (rule, line, severity as the check reports them).

    Fingerprints do not depend on the checkout, so it identifies the same finding in every trigger repository.
    """
    doc = report_of(shared_repo, "--check", "least-privilege")
    found = [f for f in findings_of(doc) if f["path"] == ".github/workflows/ci.yml"]
    assert found, f"least-privilege reported nothing for permissions: write-all: {doc['checks']}"
    return max(found, key=lambda f: Severity(f["severity"]).rank)


# --- exit codes ---------------------------------------------------------------------------------
def test_exit_codes_follow_fail_on(shared_repo: Path, lp_finding: dict) -> None:
    thresholds = ("critical", "high", "medium", "low")
    default, *procs = handrail_many(("check", str(shared_repo), "--format", "json"),
                                    *(("check", str(shared_repo), "-q", "--fail-on", t) for t in thresholds))
    severities = [Severity(f["severity"]) for f in findings_of(json.loads(default.stdout))]
    codes = {}
    for threshold, proc in zip(thresholds, procs, strict=True):
        expected = 1 if any(s.at_least(Severity(threshold)) for s in severities) else 0
        assert proc.returncode == expected, (threshold, severities, proc.stderr)
        codes[threshold] = proc.returncode
    assert codes["low"] == 1  # write-all is at least low
    assert default.returncode == codes["high"]  # the default threshold is high


def test_exit_zero_when_nothing_is_found(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"README.md": "# demo\n"})
    proc = handrail("check", str(root), "--check", "least-privilege", "--format", "json")
    doc = json.loads(proc.stdout)
    assert findings_of(doc) == [] and proc.returncode == 0


def test_fail_on_from_config_and_cli_override(trigger_repo: Path, lp_finding: dict) -> None:
    (trigger_repo / "handrail.toml").write_text('fail_on = "critical"\n', "utf-8")
    doc_proc, low = handrail_many(("check", str(trigger_repo), "--check", "least-privilege", "--format", "json"),
                                  ("check", str(trigger_repo), "--check", "least-privilege", "-q", "--fail-on", "low"))
    severities = [Severity(f["severity"]) for f in findings_of(json.loads(doc_proc.stdout))]
    assert doc_proc.returncode == (1 if any(s is Severity.CRITICAL for s in severities) else 0)
    assert low.returncode == 1


# --- formats and output -------------------------------------------------------------------------
@cache
def _sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text("utf-8"))
    return jsonschema.Draft4Validator(schema)


def test_each_format(shared_repo: Path, lp_finding: dict) -> None:
    fmts = ("text", "json", "sarif", "markdown")
    procs = dict(zip(fmts, handrail_many(*(("check", str(shared_repo), "--format", f) for f in fmts)), strict=True))
    for proc in procs.values():
        assert proc.returncode in (0, 1) and proc.stderr == ""
    text = procs["text"].stdout
    assert "least-privilege" in text and lp_finding["rule"] in text and "ci.yml:" in text
    assert json.loads(procs["json"].stdout)["tool"]["name"] == "handrail"
    doc = json.loads(procs["sarif"].stdout)
    _sarif_validator().validate(doc)
    assert lp_finding["fingerprint"] in {r["partialFingerprints"]["handrail/v1"] for r in doc["runs"][0]["results"]}
    md = procs["markdown"].stdout
    assert "\n## Handrail" in md and "<details>" in md and lp_finding["rule"] in md


def test_output_writes_the_file_and_nothing_to_stdout(shared_repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.json"
    target.parent.mkdir()
    proc, bad = handrail_many(("check", str(shared_repo), "--format", "json", "--output", str(target)),
                              ("check", str(shared_repo), "--output", str(tmp_path / "missing-dir" / "r.txt")))
    assert proc.returncode in (0, 1) and proc.stdout == "" and proc.stderr == ""
    assert json.loads(target.read_text("utf-8"))["root"] == str(shared_repo.resolve())
    assert "cannot write" in one_line_error(bad)


def _run_in_pty(*args: str, env: dict[str, str] | None = None) -> str:
    """stdout is a terminal (as for a person at a shell); stderr is a pipe."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "handrail", *args], stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=subprocess.PIPE, env={**ENV, "TERM": "xterm-256color", "COLUMNS": "120",
                                                         **(env or {})})
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO once the child has closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    proc.wait(timeout=60)
    assert proc.stderr is not None and proc.stderr.read() == b""
    return b"".join(chunks).decode("utf-8", "replace")


def test_colour_on_a_terminal_and_none_with_no_color(shared_repo: Path) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        coloured, plain, env_plain = pool.map(lambda a: _run_in_pty(*a[0], env=a[1]), [
            (("check", str(shared_repo), "-q"), None),
            (("check", str(shared_repo), "--no-color"), None),
            (("check", str(shared_repo), "-q"), {"NO_COLOR": "1"})])
    assert ANSI.search(coloured)
    assert not ANSI.search(plain) and "least-privilege" in plain
    assert not ANSI.search(env_plain)


def test_piped_output_has_no_escape_codes_quiet_is_short_and_stderr_is_silent(shared_repo: Path,
                                                                              lp_finding: dict) -> None:
    full, quiet = handrail_many(("check", str(shared_repo), "--no-color"), ("check", str(shared_repo), "-q"))
    for proc in (full, quiet):
        assert proc.returncode in (0, 1)
        assert proc.stderr == ""  # no progress display when stderr is not a terminal
        assert "\x1b" not in proc.stdout
    assert lp_finding["rule"] in full.stdout
    assert lp_finding["rule"] not in quiet.stdout and "least-privilege" in quiet.stdout
    assert quiet.stdout.rstrip().splitlines()[-1] == full.stdout.rstrip().splitlines()[-1]  # same verdict


def test_check_selection(shared_repo: Path) -> None:
    doc = report_of(shared_repo, "--check", "least-privilege", "--check", "secrets")
    assert [c["id"] for c in doc["checks"]] == ["secrets", "least-privilege"]  # registry order
    line = one_line_error(handrail("check", str(shared_repo), "--check", "nope"))
    assert "unknown check 'nope'" in line


# --- paths ----------------------------------------------------------------------------------------
def test_missing_path_and_file_path(tmp_path: Path) -> None:
    f = tmp_path / "file.txt"
    f.write_text("x", "utf-8")
    missing, file = handrail_many(("check", str(tmp_path / "missing")), ("check", str(f)))
    assert "no such file or directory" in one_line_error(missing)
    assert "not a directory" in one_line_error(file)


def test_empty_folder_and_folder_outside_git_get_a_report(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    plain = tmp_path / "plain"
    (plain / ".github" / "workflows").mkdir(parents=True)
    (plain / ".github" / "workflows" / "ci.yml").write_text(WRITE_ALL, "utf-8")
    empty_proc, plain_proc = handrail_many(("check", str(empty), "--format", "json"),
                                           ("check", str(plain), "--format", "json", "--check", "least-privilege"))
    assert empty_proc.returncode in (0, 1) and empty_proc.stderr == ""
    assert len(json.loads(empty_proc.stdout)["checks"]) == 10
    assert any(f["path"] == ".github/workflows/ci.yml" for f in findings_of(json.loads(plain_proc.stdout)))


def test_non_utf8_file_names_in_every_format(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"app.py": "x = 1\n"}, commit=False)
    wf = root / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / os.fsdecode(b"caf\xe9 ci.yml")).write_text(WRITE_ALL, "utf-8")
    fmts = ("text", "json", "sarif", "markdown")
    procs = dict(zip(fmts, handrail_many(*(("check", str(root), "--format", f, "--check", "least-privilege")
                                           for f in fmts)), strict=True))
    for proc in procs.values():
        assert proc.returncode in (0, 1) and proc.stderr == "", proc.stderr
    sarif = json.loads(procs["sarif"].stdout)
    _sarif_validator().validate(sarif)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]
            if "locations" in r]
    assert ".github/workflows/caf%E9%20ci.yml" in uris
    assert "caf\\xe9 ci.yml" in procs["text"].stdout
    assert "caf\\xe9 ci.yml" in procs["markdown"].stdout
    paths = [f["path"] for f in findings_of(json.loads(procs["json"].stdout))]
    assert os.fsdecode(b".github/workflows/caf\xe9 ci.yml") in paths


# --- configuration --------------------------------------------------------------------------------
BAD_CONFIGS = [
    ('fail_on = "high"\n[checks\n', "handrail.toml:2: invalid TOML"),
    ('fail_on = "high"\ncolour = true\n', "handrail.toml:2: colour: unknown key"),
    ('fail_on = "sometimes"\n', "handrail.toml:1: fail_on: Input should be"),
    ('[environments.production]\ndatabase_url_env = "postgres://u:p@h/db"\n',
     "handrail.toml:2: environments.production.database_url_env: must be the name of an environment variable"),
    ('[checks]\nsecretz = false\n', "handrail.toml:2: checks.secretz: unknown check"),
]
def test_malformed_config_is_one_line_exit_2(tmp_path: Path) -> None:
    roots = []
    for i, (content, _) in enumerate(BAD_CONFIGS):
        root = tmp_path / f"r{i}"
        root.mkdir()
        (root / "handrail.toml").write_text(content, "utf-8")
        roots.append(root)
    procs = handrail_many(*(("check", str(root)) for root in roots))
    for (_, expected), proc in zip(BAD_CONFIGS, procs, strict=True):
        line = one_line_error(proc)
        assert expected in line
        assert "u:p@h" not in line


def test_config_turns_checks_off_and_excludes_paths(make_repo: Callable[..., Path], tmp_path: Path,
                                                    lp_finding: dict) -> None:
    pyproject = make_repo({**TRIGGER, "pyproject.toml": '[project]\nname = "x"\n\n[tool.handrail.checks]\n'
                                                          'least-privilege = false\n'})
    toml = make_repo({**TRIGGER, "handrail.toml": "[checks]\nleast-privilege = false\nsecrets = false\n"})
    excluded = make_repo({**TRIGGER, "handrail.toml": 'exclude = [".github/"]\n'})
    explicit = tmp_path / "strict.toml"
    explicit.write_text("[checks]\nleast-privilege = false\n", "utf-8")
    procs = handrail_many(("check", str(pyproject), "--format", "json"), ("check", str(toml), "--format", "json"),
                          ("check", str(excluded), "--format", "json"),
                          ("check", str(excluded), "--format", "json", "--config", str(explicit)),
                          ("check", str(excluded), "--config", str(tmp_path / "none.toml")))
    docs = [json.loads(p.stdout) for p in procs[:4]]
    ids = [[c["id"] for c in d["checks"]] for d in docs]
    assert "least-privilege" not in ids[0] and len(ids[0]) == 9  # [tool.handrail] in pyproject.toml
    assert "least-privilege" not in ids[1] and "secrets" not in ids[1] and len(ids[1]) == 8
    assert "least-privilege" in ids[2]
    assert not [f for f in findings_of(docs[2]) if (f["path"] or "").startswith(".github/")]
    assert "least-privilege" not in ids[3]  # --config replaces the repository's handrail.toml
    assert "no such config file" in one_line_error(procs[4])


def test_severity_overrides(make_repo: Callable[..., Path], lp_finding: dict) -> None:
    by_rule = make_repo({**TRIGGER, "handrail.toml": f'[severity]\n"{lp_finding["rule"]}" = "info"\n'})
    by_check = make_repo({**TRIGGER, "handrail.toml": '[severity]\nleast-privilege = "critical"\n'})
    rule_proc, check_proc, gate = handrail_many(
        ("check", str(by_rule), "--check", "least-privilege", "--format", "json"),
        ("check", str(by_check), "--check", "least-privilege", "--format", "json"),
        ("check", str(by_check), "--check", "least-privilege", "--fail-on", "critical", "-q"))
    same = [f for f in findings_of(json.loads(rule_proc.stdout)) if f["fingerprint"] == lp_finding["fingerprint"]]
    assert same and same[0]["severity"] == "info"
    assert {f["severity"] for f in findings_of(json.loads(check_proc.stdout))} == {"critical"}
    assert gate.returncode == 1


def test_inline_ignore_suppresses_and_is_counted(trigger_repo: Path, lp_finding: dict) -> None:
    if not lp_finding["line"]:
        pytest.skip("the least-privilege finding has no line to annotate")
    wf = trigger_repo / ".github" / "workflows" / "ci.yml"
    lines = wf.read_text("utf-8").splitlines()
    lines[lp_finding["line"] - 1] += f"  # handrail:ignore[{lp_finding['rule']}]"
    wf.write_text("\n".join(lines) + "\n", "utf-8")
    doc_proc, text_proc = handrail_many(("check", str(trigger_repo), "--check", "least-privilege", "--format", "json"),
                                        ("check", str(trigger_repo), "--check", "least-privilege"))
    doc = json.loads(doc_proc.stdout)
    assert lp_finding["fingerprint"] not in {f["fingerprint"] for f in findings_of(doc)}
    assert doc["checks"][0]["suppressed"] >= 1
    assert "suppressed" in text_proc.stdout


# --- other commands -------------------------------------------------------------------------------
def test_explain_version_and_help() -> None:
    one, listing, bad, version, helptext, bad_format = handrail_many(
        ("explain", "secrets"), ("explain",), ("explain", "nope"), ("--version",), ("check", "--help"),
        ("check", "--format", "xml"))
    assert one.returncode == 0 and one.stdout.startswith("secrets: ") and "Why:" in one.stdout
    checks, guard_rules = listing.stdout.split("\n\n")
    assert listing.returncode == 0 and len(checks.splitlines()) == 10
    assert "git-force-push" in guard_rules and "secret-read" in guard_rules
    assert "unknown check or guard rule 'nope'" in one_line_error(bad)
    assert version.stdout.startswith("handrail, version ")
    assert "--fail-on" in helptext.stdout
    assert bad_format.returncode == 2 and "Traceback" not in bad_format.stderr
