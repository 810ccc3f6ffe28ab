"""The bundled example app (examples/vibe-shop): what the README's first command shows.

The example is a Next.js + Supabase shop in the shape Lovable/Bolt-style generators
produce, with the problems such apps ship with. These tests run `handrail check` on it
in place, exactly as the README's quick start does (inside this repository's checkout,
or outside git in an exported tree), and on a committed copy of its own, where the
committed .env.local really is in git, and pin the headline answers.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import init_repo

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "vibe-shop"

HEADLINE: dict[str, tuple[frozenset[str], set[tuple[str, str | None]]]] = {
    # deploy.yml ships every push to Vercel production: no tests, no smoke test, no permissions block;
    # the agent's ci.yml, which was meant to run the tests, is not valid YAML and never runs
    "tests-before-deploy": (frozenset({"fail"}), {("ungated-deploy", ".github/workflows/deploy.yml"),
                                                  ("invalid-workflow", ".github/workflows/ci.yml")}),
    "smoke-after-deploy": (frozenset({"fail"}), {("no-smoke-test", ".github/workflows/deploy.yml")}),
    # the Supabase service_role key under a NEXT_PUBLIC_ name, used by lib/supabase.ts (imported by
    # the "use client" AdminPanel), and the workflow token with the default permissions
    "least-privilege": (frozenset({"fail"}), {("service-role-in-client", "lib/supabase.ts"),
                                              ("service-role-in-client", ".env.local"),
                                              ("no-permissions-block", ".github/workflows/deploy.yml")}),
    # a committed .env.local with a Stripe secret and the hosted database password
    "environments": (frozenset({"fail"}), {("committed-env-file", ".env.local"),
                                           ("prod-db-in-source", ".env.local")}),
    # CLAUDE.md and .claude/settings.json, but no hook records what the agent runs
    "agent-log": (frozenset({"fail"}), {("agent-log-not-logged", None)}),
    # the agent's README says how to start the app, never how to test it
    "handoff": (frozenset({"warn", "fail"}), {("handoff-no-tests", "README.md")}),
    # the committed .env.local: the service_role key, the hosted database password, a Stripe test key
    "secrets": (frozenset({"fail"}), {("supabase-service-role-key", ".env.local"),
                                      ("database-url-password", ".env.local")}),
    # not analysed in this release
    "backups": (frozenset({"unknown"}), set()),
    # tables created in public without Row Level Security (the anon key reads them all)
    "authz": (frozenset({"fail"}), {("rls-disabled", None)}),
}
# Only true where .env.local is tracked: the committed copy (a CI checkout without .git is not).
NEEDS_GIT = {("committed-env-file", ".env.local")}


def handrail(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "handrail", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=180, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture(scope="module")
def in_place() -> tuple[int, dict[str, Any]]:
    proc = handrail("check", "examples/vibe-shop", "--format", "json")
    return proc.returncode, json.loads(proc.stdout)


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, dict[str, Any]]:
    root = init_repo(Path(shutil.copytree(EXAMPLE, tmp_path_factory.mktemp("ex") / "vibe-shop", symlinks=True)))
    proc = handrail("check", str(root), "--format", "json")
    return root, proc.returncode, json.loads(proc.stdout)


def _assert_headline(report: dict[str, Any], committed: bool) -> None:
    checks = {c["id"]: c for c in report["checks"]}
    problems = []
    for cid, (allowed, rules) in HEADLINE.items():
        if checks[cid]["status"] not in allowed:
            problems.append(f"{cid}: {checks[cid]['status']} not in {sorted(allowed)}: {checks[cid]['summary'][:120]}")
        found = {(f["rule"], f["path"]) for f in checks[cid]["findings"]}
        for rule, path in sorted(rules if committed else rules - NEEDS_GIT, key=str):
            if not any(r == rule and (path is None or p == path) for r, p in found):
                problems.append(f"{cid}: no {rule} at {path or 'any path'} (found {sorted(found, key=str)})")
    assert not problems, "\n".join(problems)


def test_example_in_place_like_the_readme(in_place: tuple[int, dict[str, Any]]) -> None:
    code, report = in_place
    assert code == 1, "the example has high findings: `handrail check` exits 1 on it (the README says so)"
    assert {"nextjs", "supabase", "github-actions", "vercel"} <= set(report["stacks"])
    _assert_headline(report, committed=False)


def test_example_as_its_own_repository(committed: tuple[Path, int, dict[str, Any]]) -> None:
    root, code, report = committed
    assert code == 1
    _assert_headline(report, committed=True)
    for check in report["checks"]:
        if check["status"] == "unknown":
            continue
        places = [loc for loc in check["evidence"] + check["findings"] if loc["path"]]
        assert places, f"{check['id']} is {check['status']} without naming a file"
        for loc in places:
            # "." is the scanned root itself: the evidence of a whole-repository scan (secrets)
            assert (root / loc["path"]).is_file() or (loc["path"] == "." and root.is_dir()), loc


def test_text_report_names_every_check() -> None:
    proc = handrail("check", "examples/vibe-shop", "--no-color")
    assert proc.returncode == 1
    for cid in HEADLINE:
        assert cid in proc.stdout


def test_example_keys_are_fake() -> None:
    """Every JWT in the example carries a signature that says FAKE: nothing real is bundled."""
    text = (EXAMPLE / ".env.local").read_text("utf-8")
    jwts = re.findall(r"eyJ[\w-]+\.eyJ[\w-]+\.([\w-]+)", text)
    assert len(jwts) == 2
    for sig in jwts:
        assert base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)).startswith(b"FAKE")
    roles = {json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))["role"]
             for p in re.findall(r"eyJ[\w-]+\.(eyJ[\w-]+)\.", text)}
    assert roles == {"anon", "service_role"}


def test_readme_quick_start_runs_the_example() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    assert "handrail check examples/vibe-shop" in readme
    assert "pip install -e '.[test]' && pytest" in readme


def test_readme_config_examples_are_valid(tmp_path: Path) -> None:
    """Every handrail.toml shown in the README loads as it is written, custom secret rules included."""
    from handrail.core.config import load_config
    from handrail.secrets.custom import rules_from_config

    readme = (REPO / "README.md").read_text("utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", readme, re.S)
    assert len(blocks) == 3
    secrets_block = next(b for b in blocks if "[secrets]" in b)
    guard_block = next(b for b in blocks if "[guard]" in b)
    main_block = next(b for b in blocks if "fail_on" in b)
    (tmp_path / "handrail.toml").write_text(secrets_block, "utf-8")
    config = load_config(tmp_path)
    assert config.secrets.exclude == ["tests/fixtures"]
    rules = rules_from_config(config.secrets.rules)  # validates the rule's own must_match example
    assert [r.id for r in rules] == ["acme-api-key"]
    (tmp_path / "handrail.toml").write_text(main_block, "utf-8")
    config = load_config(tmp_path)
    assert config.fail_on == "medium"
    assert config.enabled("authz") is False
    assert config.environments["production"].database_url_env == "DATABASE_URL"
    # the guard example loads both ways: the pydantic model (check) and the hook's own reader (policy)
    (tmp_path / "handrail.toml").write_text(guard_block, "utf-8")
    config = load_config(tmp_path)
    assert config.journal.url_env == "HANDRAIL_JOURNAL_URL"
    assert [r.id for r in config.guard.rules] == ["no-stripe-live"]
    from handrail.policy.engine import decide, load_policy
    from handrail.policy.model import Action

    decision = decide(Action(tool="shell", tool_name="Bash", command="stripe charges create --live",
                             cwd=str(tmp_path), root=str(tmp_path)), load_policy(tmp_path))
    assert (decision.verdict, decision.rule_id) == ("block", "no-stripe-live")


def test_readme_inline_ignore_and_baseline_on_the_example(tmp_path: Path) -> None:
    """The README's adoption flow, on a committed copy of the example."""
    root = init_repo(Path(shutil.copytree(EXAMPLE, tmp_path / "vibe-shop", symlinks=True)))
    workflow = root / ".github/workflows/deploy.yml"
    text = workflow.read_text("utf-8")
    deploy = "run: npx vercel --prod --yes --token=${{ secrets.VERCEL_TOKEN }}"
    assert deploy in text
    workflow.write_text(text.replace(deploy, deploy + "  # handrail:ignore[ungated-deploy] reviewed"), "utf-8")

    proc = handrail("check", str(root), "--format", "json", "--check", "tests-before-deploy")
    check = json.loads(proc.stdout)["checks"][0]
    assert "ungated-deploy" not in {f["rule"] for f in check["findings"]}
    assert check["suppressed"] == 1

    assert handrail("baseline", str(root)).returncode == 0
    assert (root / ".handrail/baseline.json").is_file()
    after = handrail("check", str(root), "--baseline", "--format", "json")
    assert after.returncode == 0, "every finding is in the baseline, so nothing new fails the run"
    assert all(not c["findings"] for c in json.loads(after.stdout)["checks"])
