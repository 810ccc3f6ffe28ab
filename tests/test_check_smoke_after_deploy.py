"""smoke-after-deploy on real workflow files in real git repositories."""

from __future__ import annotations

from handrail.checks import all_rules
from handrail.checks.smoke_after_deploy import CHECK
from handrail.core.finding import Severity, Status

W = ".github/workflows/"

DJ_PEARSON_STYLE = """\
name: Deploy Edge Functions
on:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: deno test -A
  deploy-production:
    runs-on: ubuntu-latest
    needs: [test]
    environment:
      name: production
      url: https://edge.example.com
    steps:
      - name: Deploy to production server
        uses: appleboy/ssh-action@v1.0.0
        with:
          host: ${{ secrets.PRODUCTION_HOST }}
          script: |
            cd /opt/edge-functions
            docker-compose pull
            docker-compose up -d
      - name: Verify deployment
        run: |
          sleep 30
          curl -f ${{ secrets.PRODUCTION_URL }}/_health || exit 1
      - name: Notify on success
        run: echo "deployed"
"""

CHECKLY_STATUS = """\
name: Checkly
on: [deployment_status]
jobs:
  test-e2e:
    if: github.event.deployment_status.state == 'success'
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm ci
      - name: Run checks
        run: npx checkly test --record
        env:
          ENVIRONMENT_URL: ${{ github.event.deployment_status.environment_url }}
"""

FLY_DEPLOY = """\
name: Fly Deploy
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: superfly/flyctl-actions/setup-flyctl@master
      - run: flyctl deploy --remote-only
"""

FLY_TOML = """\
app = "demo"

[http_service]
  internal_port = 8080

  [[http_service.checks]]
    interval = "10s"
    path = "/up"
"""


def _check(project_of, files):
    return CHECK.run(project_of(files))


def test_rule_ids_unique_and_declared():
    rules = all_rules()
    for rule in CHECK.rules:
        assert rules[rule.id][0].id == CHECK.id
    assert {r.id for r in CHECK.rules} >= {"no-smoke-test", "health-gate-only"}


def test_curl_health_after_deploy_in_same_job_passes(project_of):
    result = _check(project_of, {W + "edge.yml": DJ_PEARSON_STYLE})
    assert result.status is Status.PASS, result.summary
    lines = {(loc.path, loc.line) for loc in result.evidence}
    assert (W + "edge.yml", 17) in lines  # the ssh deploy action step
    assert (W + "edge.yml", 28) in lines  # curl -f .../_health


def test_deploy_without_anything_after_fails(project_of):
    result = _check(project_of, {W + "fly.yml": FLY_DEPLOY})
    assert result.status is Status.FAIL
    [finding] = result.findings
    assert (finding.rule, finding.path, finding.line) == ("no-smoke-test", W + "fly.yml", 11)
    assert finding.severity is Severity.MEDIUM
    assert "flyctl" in finding.message


def test_echo_after_deploy_is_not_a_smoke_test(project_of):
    probe = "          curl -f ${{ secrets.PRODUCTION_URL }}/_health || exit 1\n"
    wf = DJ_PEARSON_STYLE.replace(probe, "          echo 'curl -f ${{ secrets.PRODUCTION_URL }}/_health'\n")
    assert _check(project_of, {W + "edge.yml": wf}).status is Status.FAIL


def test_smokeshow_is_not_a_smoke_test(project_of):
    wf = FLY_DEPLOY + "      - name: Smokeshow\n        run: smokeshow upload htmlcov\n"
    assert _check(project_of, {W + "fly.yml": wf}).status is Status.FAIL


def test_curl_post_deploy_hook_after_deploy_is_not_smoke(project_of):
    wf = FLY_DEPLOY + "      - run: curl -X POST ${{ secrets.RENDER_DEPLOY_HOOK }}\n"
    result = _check(project_of, {W + "fly.yml": wf})
    assert result.status is Status.FAIL
    assert len(result.findings) == 1  # the hook is a second step of the same deploy path, not a smoke


def test_curl_health_before_deploy_does_not_count(project_of):
    wf = FLY_DEPLOY.replace("      - run: flyctl deploy --remote-only\n",
                            "      - run: curl -f https://demo.fly.dev/up\n      - run: flyctl deploy --remote-only\n")
    assert _check(project_of, {W + "fly.yml": wf}).status is Status.FAIL


def test_smoke_job_that_needs_deploy_passes(project_of):
    wf = FLY_DEPLOY + """\
  e2e:
    needs: deploy
    runs-on: ubuntu-latest
    steps:
      - run: npx playwright test
        env:
          PLAYWRIGHT_BASE_URL: https://demo.fly.dev
"""
    result = _check(project_of, {W + "fly.yml": wf})
    assert result.status is Status.PASS
    assert any(loc.line == 16 for loc in result.evidence)


def test_deployment_status_checkly_with_git_platform_passes(project_of):
    result = _check(project_of, {"vercel.json": "{}", W + "checkly.yml": CHECKLY_STATUS})
    assert result.status is Status.PASS
    assert any(loc.path == W + "checkly.yml" and loc.line == 11 for loc in result.evidence)
    assert any("deployment_status" in loc.note for loc in result.evidence)


def test_deployment_status_smoke_covers_ci_deploy_with_environment(project_of):
    deploy = FLY_DEPLOY.replace("    runs-on: ubuntu-latest\n    steps:",
                                "    environment: production\n    runs-on: ubuntu-latest\n    steps:")
    result = _check(project_of, {W + "fly.yml": deploy, W + "checkly.yml": CHECKLY_STATUS})
    assert result.status is Status.PASS


def test_health_gate_only_warns_and_names_it(project_of):
    result = _check(project_of, {W + "fly.yml": FLY_DEPLOY, "fly.toml": FLY_TOML})
    assert result.status is Status.WARN
    [finding] = result.findings
    assert finding.rule == "health-gate-only" and finding.severity is Severity.LOW
    assert "fly.toml" in finding.message and "fly.toml" in result.summary
    assert any(loc.path == "fly.toml" for loc in result.evidence)


def test_dockerfile_healthcheck_without_known_deploy_is_unknown(project_of):
    dockerfile = "FROM ruby:3.3\nHEALTHCHECK CMD curl -f http://localhost:3000/up || exit 1\nCMD bin/rails s\n"
    result = _check(project_of, {"Dockerfile": dockerfile})
    assert result.status is Status.UNKNOWN  # a HEALTHCHECK alone also serves local runs: no deploy is known
    assert any(loc.path == "Dockerfile" and loc.line == 2 for loc in result.evidence)
    with_platform = _check(project_of, {"Dockerfile": dockerfile, "fly.toml": 'app = "demo"\n'})
    assert with_platform.status is Status.WARN


def test_no_deploy_no_gate_is_unknown(project_of):
    ci = "name: CI\non: [push]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest\n"
    result = _check(project_of, {W + "ci.yml": ci})
    assert result.status is Status.UNKNOWN
    assert "would decide" in result.summary


def test_partial_smoke_fails_for_the_unsmoked_path(project_of):
    wf = DJ_PEARSON_STYLE + """\
  deploy-docs:
    needs: [test]
    runs-on: ubuntu-latest
    steps:
      - run: npx wrangler pages deploy docs
"""
    result = _check(project_of, {W + "edge.yml": wf})
    assert result.status is Status.FAIL
    assert [f.line for f in result.findings] == [35]


def test_workflow_run_smoke_after_deploy_workflow_passes(project_of):
    smoke = """\
name: Smoke
on:
  workflow_run:
    workflows: [Fly Deploy]
    types: [completed]
jobs:
  probe:
    runs-on: ubuntu-latest
    steps:
      - run: curl --fail --retry 5 https://demo.fly.dev/up
"""
    result = _check(project_of, {W + "fly.yml": FLY_DEPLOY, W + "smoke.yml": smoke})
    assert result.status is Status.PASS
    assert any(loc.path == W + "smoke.yml" and loc.line == 10 for loc in result.evidence)


def test_invalid_workflow_never_silent(project_of):
    result = _check(project_of, {W + "edge.yml": DJ_PEARSON_STYLE, W + "broken.yml": "on: [push\n"})
    # tests-before-deploy reports the file (invalid-workflow); this check names it and refuses to pass
    assert result.status is Status.UNKNOWN and result.evidence
    assert result.findings == []
    assert "1 CI file(s) cannot be parsed and were not judged: " + W + "broken.yml" in result.summary


def test_database_healthchecks_are_not_deploy_gates(project_of):
    compose = "services:\n  db:\n    image: postgres:16\n    healthcheck:\n      test: [\"CMD\", \"pg_isready\"]\n"
    result = _check(project_of, {W + "fly.yml": FLY_DEPLOY, "docker-compose.yml": compose})
    assert result.status is Status.FAIL  # a database healthcheck says nothing about the deployed app
    assert [f.rule for f in result.findings] == ["no-smoke-test"]


def test_dotenv_wrapped_checkly_on_deployment_status_passes(project_of):
    wf = CHECKLY_STATUS.replace("npx checkly test --record", "npx dotenv -c production -- npx checkly test --record")
    assert _check(project_of, {"vercel.json": "{}", W + "checkly.yml": wf}).status is Status.PASS


def test_disabled_smoke_job_does_not_count(project_of):
    wf = CHECKLY_STATUS.replace("    if: github.event.deployment_status.state == 'success'\n", "    if: false\n")
    result = _check(project_of, {"vercel.json": "{}", W + "checkly.yml": wf})
    assert result.status is Status.FAIL  # Vercel deploys the app and nothing else checks a release
    assert [(f.rule, f.path) for f in result.findings] == [("no-smoke-test", "vercel.json")]


def test_probe_that_runs_only_on_failure_does_not_count(project_of):
    wf = FLY_DEPLOY + "      - if: failure()\n        run: curl -f https://demo.fly.dev/up\n"
    assert _check(project_of, {W + "fly.yml": wf}).status is Status.FAIL
    ok = FLY_DEPLOY + "      - if: success()\n        run: curl -f https://demo.fly.dev/up\n"
    assert _check(project_of, {W + "fly.yml": ok}).status is Status.PASS


def test_gitlab_verify_stage_after_deploy_passes(project_of):
    ci = """\
stages: [test, deploy, verify]
test:
  stage: test
  script:
    - pytest -q
deploy:
  stage: deploy
  script:
    - ssh deploy@example.com "cd app && git pull && docker compose up -d"
verify:
  stage: verify
  script:
    - curl --fail https://example.com/health
"""
    result = _check(project_of, {".gitlab-ci.yml": ci})
    assert result.status is Status.PASS
    assert {(loc.path, loc.line) for loc in result.evidence} >= {(".gitlab-ci.yml", 9), (".gitlab-ci.yml", 13)}


def test_git_platform_with_only_smokeshow_fails(project_of):
    ci = ("name: CI\non: [push]\njobs:\n  smoke:\n    name: Smoke\n    runs-on: ubuntu-latest\n    steps:\n"
          "      - run: pip install smokeshow\n      - run: smokeshow upload htmlcov\n")
    result = _check(project_of, {"vercel.json": "{}", W + "ci.yml": ci})
    assert result.status is Status.FAIL
    assert result.findings[0].rule == "no-smoke-test"
    assert "vercel" in result.summary


def test_deploy_inside_local_composite_action_then_curl_passes(project_of):
    action = ("name: Deploy to Fly\nruns:\n  using: composite\n  steps:\n"
              "    - uses: superfly/flyctl-actions/setup-flyctl@master\n"
              "    - run: flyctl deploy --remote-only\n      shell: bash\n")
    wf = ("name: Deploy\non: [push]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
          "      - uses: actions/checkout@v4\n      - uses: ./.github/actions/fly-deploy\n"
          "      - run: curl -fsS --retry 5 https://corpus-service.fly.dev/health\n")
    result = _check(project_of, {".github/actions/fly-deploy/action.yml": action, W + "deploy.yml": wf})
    assert result.status is Status.PASS
    assert {loc.line for loc in result.evidence} >= {8, 9}


def test_gitlab_smoke_that_only_prints_the_status_fails(project_of):
    ci = """\
stages: [deploy, verify]
deploy:
  stage: deploy
  script:
    - flyctl deploy --remote-only
smoke:
  stage: verify
  script:
    - curl -s -o /dev/null -w "%{http_code}\\n" https://corpus-service.fly.dev/health
"""
    result = _check(project_of, {".gitlab-ci.yml": ci})
    assert result.status is Status.FAIL
    fixed = ci.replace('-s -o /dev/null -w "%{http_code}\\n"', "--fail --silent --show-error --retry 5")
    assert _check(project_of, {".gitlab-ci.yml": fixed}).status is Status.PASS


def test_bare_procfile_is_not_proof_of_a_deploy(project_of):
    result = _check(project_of, {"Procfile": "web: bin/start\nworker: bin/jobs\n"})
    assert result.status is Status.UNKNOWN
    assert "Procfile" in result.summary
    heroku = _check(project_of, {"Procfile": "web: bin/start\n", "app.json": "{}"})
    assert heroku.status is Status.FAIL


def test_smoke_job_after_reusable_deploy_call_passes(project_of):
    called = ("name: deploy\non: workflow_call\njobs:\n  ship:\n    runs-on: ubuntu-latest\n    steps:\n"
              "      - run: railway up --service web\n")
    caller = """\
name: CI
on: [push]
jobs:
  deploy:
    uses: ./.github/workflows/deploy.yml
    secrets: inherit
  smoke:
    needs: deploy
    runs-on: ubuntu-latest
    steps:
      - run: curl -fsS https://web.up.railway.app/health
"""
    result = _check(project_of, {W + "deploy.yml": called, W + "ci.yml": caller})
    assert result.status is Status.PASS
    assert any(loc.path == W + "ci.yml" and loc.line == 11 for loc in result.evidence)


FASTAPI_CLOUD = """\
name: Deploy
on:
  push:
    branches: [master]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Deploy to FastAPI Cloud
        run: uv run fastapi deploy
"""
COMPOSE_DEPLOY = """\
name: Deploy with Docker Compose
on: workflow_dispatch
jobs:
  deploy:
    runs-on: self-hosted
    steps:
      - uses: actions/checkout@v4
      - run: docker compose -f compose.yml -f compose.deploy.yml up -d
"""
APP_COMPOSE = """\
services:
  backend:
    image: backend:latest
    build: .
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:8000/health"]
"""


def test_compose_healthcheck_only_gates_the_compose_deploy(project_of):
    files = {".github/workflows/deploy.yml": FASTAPI_CLOUD, "compose.yml": APP_COMPOSE}
    result = _check(project_of, files)
    assert result.status is Status.FAIL
    [finding] = result.findings
    assert (finding.rule, finding.path) == ("no-smoke-test", ".github/workflows/deploy.yml")
    both = _check(project_of, {**files, ".github/workflows/compose.yml": COMPOSE_DEPLOY,
                               "compose.deploy.yml": "services:\n  backend:\n    restart: always\n"})
    rules = {f.path: f.rule for f in both.findings}
    assert rules == {".github/workflows/deploy.yml": "no-smoke-test",
                     ".github/workflows/compose.yml": "health-gate-only"}
    gate = next(f for f in both.findings if f.rule == "health-gate-only")
    assert [(loc.path, loc.line) for loc in gate.related] == [("compose.yml", 5)]


def test_development_compose_files_are_not_production_health_gates(project_of):
    render = "services:\n  - type: web\n    name: app\n    healthCheckPath: /api/health\n"
    dev = "services:\n  app:\n    build: .\n    healthcheck:\n      test: curl -f http://localhost:3000\n"
    files = {"render.yaml": render, "docker/development/compose.yml": dev, "compose.override.yml": dev,
             "docker-compose.dev.yml": dev}
    result = _check(project_of, files)
    assert result.status is Status.WARN
    assert {loc.path for loc in result.evidence} == {"render.yaml"}
    assert "development" not in result.summary
