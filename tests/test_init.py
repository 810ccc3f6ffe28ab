"""`handrail init`: a starter config and CI workflow per stack, never clobbering existing files."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from handrail.checks import load_check
from handrail.checks.base import NotAnalysedYet
from handrail.core.config import Config, load_config
from handrail.core.project import Project
from handrail.init import WORKFLOW_PATH, run_init

STACKS: dict[str, tuple[dict[str, str], str, str, str]] = {
    # name: (files, test command, health path, a public route)
    "laravel": ({"composer.json": '{"require": {"laravel/framework": "^11.0"}}', "artisan": "#!/usr/bin/env php\n",
                 ".env.example": "DB_CONNECTION=pgsql\n", "fly.toml": 'app = "demo"\n'},
                "php artisan test", "/up", "/login"),
    "django": ({"requirements.txt": "django==5.0\npytest-django\n", "manage.py": "import django\n"},
               "python -m pytest", "/health", "/accounts/login/"),
    "flask": ({"requirements.txt": "flask\n", "app.py": "from flask import Flask\n"}, "python -m pytest", "/health",
              "/login"),
    "fastapi": ({"pyproject.toml": '[project]\nname = "api"\ndependencies = ["fastapi>=0.110"]\n'},
                "python -m pytest", "/health", "/token"),
    "rails": ({"Gemfile": 'source "https://rubygems.org"\ngem "rails", "~> 7.1"\ngem "pg"\n',
               "config/deploy.yml": "service: demo\nimage: demo\n"}, "bin/rails test", "/up", "/session/new"),
    "nextjs": ({"package.json": '{"dependencies": {"next": "14.0.0"}, "scripts": {"test": "vitest run"}}',
                "package-lock.json": "{}", "vercel.json": "{}"}, "npm test", "/api/health", "/signup"),
    "express": ({"package.json": '{"dependencies": {"express": "^4"}}', "yarn.lock": "",
                 "render.yaml": "services: []\n"}, "yarn test", "/health", "/login"),
    "unknown": ({"README.md": "# nothing recognisable\n"}, "exit 1", "/health", "/"),
}
DEPLOY_COMMAND = {"laravel": "flyctl deploy", "rails": "kamal deploy", "nextjs": "vercel",
                  "express": "RENDER_DEPLOY_HOOK"}
ENV = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "HANDRAIL_DEBUG", "CI")}


def _handrail(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "handrail", *args], capture_output=True, text=True, env=ENV,
                          timeout=120, check=False)


def _init(root: Path, ci: str | None = "github", force: bool = False) -> list[str]:
    return list(run_init(Project(root, Config()), ci=ci, force=force))


@pytest.mark.parametrize("stack", list(STACKS))
def test_config_loads_and_fits_the_stack(make_repo: Callable[..., Path], stack: str) -> None:
    files, _, health, route = STACKS[stack]
    root = make_repo(files)
    assert _init(root, ci=None) == ["handrail.toml: written"]
    text = (root / "handrail.toml").read_text("utf-8")
    cfg = load_config(root)
    assert route in cfg.routes.public and health in cfg.routes.public
    assert cfg.fail_on == "high" and cfg.environments == {}  # guesses stay commented out
    assert f"Detected: {'nothing recognised' if stack == 'unknown' else 'frameworks: ' + stack}" in text
    assert not (root / WORKFLOW_PATH).exists()


def test_every_commented_setting_is_valid_when_uncommented(make_repo: Callable[..., Path]) -> None:
    root = make_repo(STACKS["laravel"][0])
    _init(root, ci=None)
    text = (root / "handrail.toml").read_text("utf-8")
    uncommented = re.sub(r"(?m)^# ?((?:\[|\"|[a-z_-]+ = ).*)$", r"\1", text)
    uncommented = re.sub(r"(?m)^(\s+)# (\".*\",)$", r"\1\2", uncommented)
    assert uncommented.count("[environments.") == 3
    (root / "handrail.toml").write_text(uncommented, "utf-8")
    cfg = load_config(root)
    assert set(cfg.environments) == {"local", "staging", "production"}
    assert cfg.environments["production"].database_url_env == "DB_URL"
    assert cfg.severity_for("x", "agent-log") is not None and cfg.backups.keep == 10
    assert cfg.exclude == ["legacy/", "**/*.min.js"]


def _workflow(root: Path) -> dict:
    doc = yaml.safe_load((root / WORKFLOW_PATH).read_text("utf-8"))
    assert isinstance(doc, dict)
    return doc


@pytest.mark.parametrize("stack", list(STACKS))
def test_workflow_tests_then_deploys_then_smoke_tests(make_repo: Callable[..., Path], stack: str) -> None:
    files, test_cmd, health, _ = STACKS[stack]
    root = make_repo(files)
    assert _init(root) == ["handrail.toml: written", f"{WORKFLOW_PATH}: written"]
    wf = _workflow(root)
    assert wf["permissions"] == {"contents": "read"}
    jobs = wf["jobs"]
    assert set(jobs) == {"test", "handrail", "deploy"}
    test_runs = "\n".join(s.get("run", "") for s in jobs["test"]["steps"])
    assert test_cmd in test_runs
    deploy = jobs["deploy"]
    assert deploy["needs"] == ["test"] and deploy["environment"]["name"] == "production"
    assert "permissions" not in deploy  # nothing beyond contents: read
    names = [s.get("name", "") for s in deploy["steps"]]
    assert names.index("Deploy to production") < names.index("Smoke test after deploy")
    smoke = deploy["steps"][names.index("Smoke test after deploy")]["run"]
    assert "curl --fail" in smoke and "--retry" in smoke and f'"${{APP_URL%/}}{health}"' in smoke
    deploy_run = json.dumps(deploy["steps"])
    assert DEPLOY_COMMAND.get(stack, "EDIT ME") in deploy_run or DEPLOY_COMMAND.get(stack, "exit 1") in deploy_run
    hr = jobs["handrail"]
    assert hr["permissions"] == {"contents": "read", "security-events": "write"}
    runs = " ".join(s.get("run", "") for s in hr["steps"])
    assert "handrail check . --format sarif --output handrail.sarif" in runs
    upload = [s for s in hr["steps"] if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif")]
    assert upload and upload[0]["with"]["sarif_file"] == "handrail.sarif"
    text = (root / WORKFLOW_PATH).read_text("utf-8")
    assert "EDIT ME" in text
    assert not re.search(r"postgres://[^@\s]*:[^@\s]*@", text)  # no credential written into the repository


def test_unknown_deploy_platform_fails_until_edited(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"requirements.txt": "flask\n"})
    _init(root)
    deploy = _workflow(root)["jobs"]["deploy"]
    step = next(s for s in deploy["steps"] if s.get("name") == "Deploy to production")
    assert "exit 1" in step["run"]


def test_deploy_branch_follows_the_repository(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"requirements.txt": "flask\n"})  # conftest makes the branch "main"
    _init(root)
    wf = _workflow(root)
    assert wf[True]["push"]["branches"] == ["main"]  # PyYAML reads the `on` key as True
    assert "refs/heads/main" in wf["jobs"]["deploy"]["if"]


@pytest.mark.parametrize("cid", ["tests-before-deploy", "smoke-after-deploy", "least-privilege"])
def test_generated_workflow_passes_handrails_own_checks(make_repo: Callable[..., Path], cid: str) -> None:
    if isinstance(load_check(cid), NotAnalysedYet):
        pytest.skip(f"{cid} is not implemented yet")
    root = make_repo(STACKS["laravel"][0])
    _init(root)
    proc = _handrail("check", str(root), "--check", cid, "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    result = json.loads(proc.stdout)["checks"][0]
    problems = [f for f in result["findings"] if f["severity"] not in ("info", "low")]
    assert result["status"] == "pass" and not problems, result


def test_never_clobbers_and_force_keeps_a_backup(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"requirements.txt": "flask\n", "handrail.toml": "# mine\n",
                      ".github/workflows/handrail-ci.yml": "name: mine\n"})
    proc = _handrail("init", str(root), "--ci", "github")
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.count("exists, left unchanged") == 2
    assert (root / "handrail.toml").read_text("utf-8") == "# mine\n"
    assert (root / WORKFLOW_PATH).read_text("utf-8") == "name: mine\n"

    forced = _handrail("init", str(root), "--ci", "github", "--force")
    assert forced.returncode == 0 and "previous version kept as handrail.toml.bak" in forced.stdout
    assert (root / "handrail.toml.bak").read_text("utf-8") == "# mine\n"
    assert (root / (WORKFLOW_PATH + ".bak")).read_text("utf-8") == "name: mine\n"
    assert load_config(root).routes.public
    assert not list(root.rglob("*.handrail-tmp"))


def test_init_works_beside_a_broken_config_and_reports_bad_paths(make_repo: Callable[..., Path],
                                                                 tmp_path: Path) -> None:
    root = make_repo({"handrail.toml": "fail_on = [broken\n"})
    proc = _handrail("init", str(root), "--force")
    assert proc.returncode == 0, proc.stderr
    assert load_config(root).fail_on == "high"
    missing = _handrail("init", str(tmp_path / "nope"))
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    assert "Traceback" not in missing.stderr


def test_init_outside_git_uses_main(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"express": "^4"}}', "utf-8")
    lines = _init(tmp_path)
    assert lines[1].endswith("written")
    wf = _workflow(tmp_path)
    assert wf[True]["push"]["branches"] == ["main"]
    assert "npm test" in json.dumps(wf["jobs"]["test"]["steps"])


def test_existing_workflows_get_a_single_deploy_path_note(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"requirements.txt": "flask\n", ".github/workflows/deploy.yml": "name: deploy\n"})
    lines = _init(root)
    assert lines[1] == f"{WORKFLOW_PATH}: written"
    assert lines[2].startswith("note: this repository already has workflows (.github/workflows/deploy.yml)")
