"""Realistic apps, a good and a bad twin per stack, through the real `handrail` entry point.

Each fixture under tests/fixtures/<stack>/{good,bad} is copied into a fresh git repository
(as conftest `fixture_repo` does) and checked with `python -m handrail check --format json`,
the way a user runs it; the twelve runs share one module-scoped pass and run side by side,
because each is a separate interpreter start. The tables below are the specification: what a careful reviewer
concludes about each app from its files. The good twin evidences every safeguard; the bad
twin is the same app with the problems named in the comments planted in it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import init_repo

from handrail.checks import CHECK_IDS

FIXTURES = Path(__file__).parent / "fixtures"
STACKS = ("laravel", "django", "fastapi", "nextjs-supabase", "express", "rails")
NOT_ANALYSED: tuple[str, ...] = ()
ANALYSED = ("tests-before-deploy", "smoke-after-deploy", "rollback", "least-privilege", "environments", "handoff",
            "agent-log", "secrets", "backups")

PASS = frozenset({"pass"})
FAIL = frozenset({"fail"})
BAD = frozenset({"fail", "warn"})

# What stack detection must name for each app (framework, CI provider, deploy platform).
DETECTED = {
    "laravel": {"laravel", "gitlab-ci", "deployer"},
    "django": {"django", "github-actions", "render"},
    "fastapi": {"fastapi", "github-actions", "heroku"},
    "nextjs-supabase": {"nextjs", "supabase", "github-actions", "vercel"},
    "express": {"express", "github-actions"},
    "rails": {"rails", "github-actions", "fly"},
}

# Good twins: tests gate every deploy, a smoke test follows it, releases are kept or a rollback
# is configured and documented, tokens are scoped, deploy jobs run in environments, no debug in
# production, only .env.example committed, README says how to set up and test, and every
# configured agent has Handrail hooks on its tool calls.
GOOD: dict[str, dict[str, frozenset[str]]] = {stack: dict.fromkeys(ANALYSED, PASS) for stack in STACKS}
# authz reads only the data layer so far (routes come later), so it never passes: unknown on a clean app.
for _stack in STACKS:
    GOOD[_stack]["authz"] = frozenset({"unknown"})
# Nothing in these repositories runs migrations against a deployed database (Supabase migrations are pushed from
# the dashboard or CLI; the Express app migrates only its CI test database): whether a backup comes first is unknown.
GOOD["nextjs-supabase"]["backups"] = frozenset({"unknown"})
GOOD["express"]["backups"] = frozenset({"unknown"})
# GitLab's CI_JOB_TOKEN scope is a project setting: the repository cannot prove it either way.
GOOD["laravel"]["least-privilege"] = frozenset({"pass", "unknown"})

Expectation = tuple[frozenset[str], set[tuple[str, str | None]]]  # statuses, {(rule, path or None = any)}

BAD_TWINS: dict[str, dict[str, Expectation]] = {
    # GitLab deploy job with no test stage before it, Deployer keep_releases 1, no smoke test,
    # a committed .env with APP_ENV=production + APP_DEBUG=true, README without tests, CLAUDE.md without hooks.
    "laravel": {
        # the committed .env carries a generated APP_KEY
        "secrets": (FAIL, {("laravel-app-key", ".env")}),
        "tests-before-deploy": (FAIL, {("ungated-deploy", ".gitlab-ci.yml")}),
        "smoke-after-deploy": (FAIL, {("no-smoke-test", ".gitlab-ci.yml")}),
        "rollback": (FAIL, {("single-release-kept", "deploy.php")}),
        "backups": (FAIL, {("migrate-without-backup", "deploy.php")}),
        "environments": (FAIL, {("debug-in-production", ".env"), ("committed-env-file", ".env"),
                                ("deploy-without-environment", ".gitlab-ci.yml")}),
        "handoff": (BAD, {("handoff-no-tests", "README.md")}),
        "agent-log": (FAIL, {("agent-log-not-logged", None)}),
    },
    # DEBUG = True, a django-insecure- key, ALLOWED_HOSTS ['*']; deploy hook on push with no tests and no
    # permissions block; pull_request_target checking out the PR head with secrets.
    "django": {
        # settings.py hard-codes a django-insecure- SECRET_KEY
        "secrets": (FAIL, {("django-secret-key", "shop/settings.py")}),
        "tests-before-deploy": (FAIL, {("ungated-deploy", ".github/workflows/deploy.yml")}),
        "smoke-after-deploy": (FAIL, {("no-smoke-test", ".github/workflows/deploy.yml")}),
        "backups": (FAIL, {("migrate-without-backup", "render.yaml")}),
        "least-privilege": (FAIL, {("untrusted-checkout", ".github/workflows/preview.yml"),
                                   ("no-permissions-block", ".github/workflows/deploy.yml")}),
        "environments": (FAIL, {("debug-in-production", "shop/settings.py"),
                                ("insecure-secret-key", "shop/settings.py"),
                                ("wildcard-allowed-hosts", "shop/settings.py")}),
        "handoff": (BAD, {("handoff-no-tests", "README.md")}),
        "agent-log": (FAIL, {("agent-log-not-logged", None)}),
    },
    # permissions: write-all, checkout with a PAT, Heroku push with no tests and no smoke test,
    # `uvicorn --reload` as the production process.
    "fastapi": {
        "tests-before-deploy": (FAIL, {("ungated-deploy", ".github/workflows/ci.yml")}),
        "smoke-after-deploy": (FAIL, {("no-smoke-test", ".github/workflows/ci.yml")}),
        "least-privilege": (FAIL, {("write-all", ".github/workflows/ci.yml"),
                                   ("pat-where-app-token", ".github/workflows/ci.yml")}),
        "environments": (BAD, {("dev-server-in-production", "Procfile"),
                               ("deploy-without-environment", ".github/workflows/ci.yml")}),
        "handoff": (BAD, {("handoff-no-tests", "README.md")}),
        "agent-log": (FAIL, {("agent-log-not-logged", None)}),
    },
    # NEXT_PUBLIC_SUPABASE_SERVICE_ROLE_KEY used by a "use client" component; Vercel deploy on push with
    # no tests, no smoke test and no permissions block.
    "nextjs-supabase": {
        # products, orders and profiles are created in public without Row Level Security
        "authz": (FAIL, {("rls-disabled", "supabase/migrations/20240601090000_init.sql")}),
        "tests-before-deploy": (FAIL, {("ungated-deploy", ".github/workflows/ci.yml")}),
        "smoke-after-deploy": (FAIL, {("no-smoke-test", ".github/workflows/ci.yml")}),
        "least-privilege": (FAIL, {("service-role-in-client", "components/AdminOrders.tsx"),
                                   ("service-role-in-client", "lib/supabase.ts"),
                                   ("service-role-in-client", ".env.example"),
                                   ("no-permissions-block", ".github/workflows/ci.yml")}),
        "environments": (BAD, {("deploy-without-environment", ".github/workflows/ci.yml")}),
        "handoff": (BAD, {("handoff-no-tests", "README.md")}),
        "agent-log": (FAIL, {("agent-log-not-logged", None)}),
    },
    # `git pull` into the live folder over SSH on push (no tests, no smoke, no way back), top-level
    # contents: write, nodemon as `npm start` and NODE_ENV=development in the image.
    "express": {
        "tests-before-deploy": (FAIL, {("ungated-deploy", ".github/workflows/deploy.yml")}),
        "smoke-after-deploy": (FAIL, {("no-smoke-test", ".github/workflows/deploy.yml")}),
        "rollback": (FAIL, {("no-rollback-path", ".github/workflows/deploy.yml")}),
        "backups": (FAIL, {("migrate-without-backup", ".github/workflows/deploy.yml")}),
        "least-privilege": (BAD, {("unused-write-scope", ".github/workflows/deploy.yml")}),
        "environments": (BAD, {("dev-server-in-production", None), ("debug-in-production", "Dockerfile")}),
        "handoff": (BAD, {("handoff-no-tests", "README.md")}),
        "agent-log": (FAIL, {("agent-log-not-logged", "AGENTS.md")}),
    },
    # consider_all_requests_local = true in production.rb, fly.toml with no health check, immediate
    # strategy and no documented rollback, write-all, deploy on push with no tests; README with neither
    # setup nor test instructions.
    "rails": {
        "tests-before-deploy": (FAIL, {("ungated-deploy", ".github/workflows/ci.yml")}),
        "smoke-after-deploy": (FAIL, {("no-smoke-test", ".github/workflows/ci.yml")}),
        "rollback": (BAD, {("rollback-undocumented", "fly.toml")}),
        "backups": (FAIL, {("migrate-without-backup", "fly.toml")}),
        "least-privilege": (FAIL, {("write-all", ".github/workflows/ci.yml")}),
        "environments": (FAIL, {("debug-in-production", "config/environments/production.rb")}),
        "handoff": (BAD, {("handoff-no-instructions", "README.md")}),
        "agent-log": (FAIL, {("agent-log-not-logged", None)}),
    },
}


Run = tuple[Path, subprocess.CompletedProcess[str]]


def run_check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "handrail", "check", str(root), "--format", "json"],
                          capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every fixture app copied into its own committed git repository and checked once."""
    base = tmp_path_factory.mktemp("apps")
    roots = {}
    for stack in STACKS:
        for variant in ("good", "bad"):
            name = f"{stack}/{variant}"
            roots[name] = init_repo(Path(shutil.copytree(FIXTURES / name, base / f"{stack}-{variant}",
                                                         symlinks=True)))
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = dict(zip(roots, pool.map(run_check, roots.values()), strict=True))
    return {name: (roots[name], done[name]) for name in roots}


def report_of(run: Run) -> tuple[Path, int, dict[str, Any]]:
    root, proc = run
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), f"exit {proc.returncode}: {proc.stderr}"
    return root, proc.returncode, json.loads(proc.stdout)


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in report["checks"]}


def assert_grounded(root: Path, check: dict[str, Any]) -> None:
    """A status other than unknown names real files (and real lines) in the scanned app."""
    status = check["status"]
    if status == "unknown":
        return
    places = [loc for loc in check["evidence"] if loc["path"]] + [f for f in check["findings"] if f["path"]]
    if status == "pass":
        assert any(loc["path"] for loc in check["evidence"]), f"{check['id']}: a pass with no evidence location"
    else:
        assert any(f["path"] for f in check["findings"]), f"{check['id']}: {status} with no finding naming a file"
    for loc in places:
        path = Path(loc["path"])
        full = path if path.is_absolute() else root / path
        if loc["path"] == ".":  # the scanned root itself: the evidence of a whole-repository scan (secrets)
            continue
        assert full.is_file(), f"{check['id']}: {loc['path']} does not exist in the app"
        if loc.get("line"):
            n_lines = len(full.read_text("utf-8", "replace").splitlines())
            assert 1 <= loc["line"] <= n_lines, f"{check['id']}: {loc['path']}:{loc['line']} is past the end"


def assert_common(root: Path, stack: str, report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert [c["id"] for c in report["checks"]] == list(CHECK_IDS)
    assert DETECTED[stack] <= set(report["stacks"]), report["stacks"]
    checks = by_id(report)
    for cid in NOT_ANALYSED:
        assert checks[cid]["status"] == "unknown", checks[cid]
        assert "not analysed yet" in checks[cid]["summary"]
    for check in report["checks"]:
        assert_grounded(root, check)
    return checks


def test_every_stack_has_a_good_and_a_bad_twin() -> None:
    present = {p.relative_to(FIXTURES).as_posix() for p in [*FIXTURES.glob("*/good"), *FIXTURES.glob("*/bad")]}
    expected = {f"{stack}/{variant}" for stack in STACKS for variant in ("good", "bad")}
    assert present == expected, "every fixture app needs an expectation table here (and vice versa)"
    assert set(BAD_TWINS) == set(STACKS)
    for stack in STACKS:
        for variant in ("good", "bad"):
            root = FIXTURES / stack / variant
            assert (root / "README.md").is_file()
            assert any(root.glob(".github/workflows/*.yml")) or (root / ".gitlab-ci.yml").is_file()


@pytest.mark.parametrize("stack", STACKS)
def test_good_app(stack: str, runs: dict[str, Run]) -> None:
    root, code, report = report_of(runs[f"{stack}/good"])
    checks = assert_common(root, stack, report)
    wrong = {cid: (checks[cid]["status"], checks[cid]["summary"][:160])
             for cid, allowed in GOOD[stack].items() if checks[cid]["status"] not in allowed}
    assert not wrong, f"{stack}/good: {wrong}"
    high = [(f["check"], f["rule"], f["path"]) for c in report["checks"] for f in c["findings"]
            if f["severity"] in ("high", "critical")]
    assert not high, high
    assert code == 0


@pytest.mark.parametrize("stack", STACKS)
def test_bad_twin(stack: str, runs: dict[str, Run]) -> None:
    root, code, report = report_of(runs[f"{stack}/bad"])
    checks = assert_common(root, stack, report)
    problems = []
    for cid, (allowed, rules) in BAD_TWINS[stack].items():
        check = checks[cid]
        if check["status"] not in allowed:
            problems.append(f"{cid}: status {check['status']} not in {sorted(allowed)} ({check['summary'][:120]})")
        found = {(f["rule"], f["path"]) for f in check["findings"]}
        for rule, path in sorted(rules, key=str):
            if not any(r == rule and (path is None or p == path) for r, p in found):
                where = f" at {path}" if path else ""
                problems.append(f"{cid}: no {rule} finding{where} (found {sorted(found, key=str)})")
    assert not problems, f"{stack}/bad:\n" + "\n".join(problems)
    assert code == 1, "a bad twin has high findings, so `handrail check` must exit 1"
