"""tests-before-deploy on real workflow files in real git repositories."""

from __future__ import annotations

import json

from handrail.checks import all_rules
from handrail.checks.tests_before_deploy import CHECK
from handrail.core.finding import Severity, Status

W = ".github/workflows/"

LARAVEL_IO_STYLE = """\
name: Tests
on: [push, pull_request]
jobs:
  tests:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: composer install --prefer-dist --no-interaction
      - name: Execute tests
        run: vendor/bin/pest -p
  deploy:
    needs: tests
    if: github.ref_name == 'main'
    runs-on: ubuntu-latest
    steps:
      - name: Deploy
        run: curl ${{ secrets.ENVOYER_HOOK }}?sha=${{ github.sha }}
"""

HACKSOFT_STYLE = """\
name: Django application
on: [push]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Run migrations
        run: python manage.py migrate
      - name: Run tests
        run: py.test
  deploy_to_heroku:
    runs-on: ubuntu-latest
    needs: build
    if: github.ref == 'refs/heads/master'
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - name: Deploy to Heroku
        env:
          HEROKU_API_KEY: ${{ secrets.HEROKU_API_KEY }}
        run: |
          git remote add heroku https://heroku:$HEROKU_API_KEY@git.heroku.com/${{ secrets.HEROKU_APP }}.git
          git push heroku HEAD:master -f
"""

OPENCAL_CHECK = """\
name: check
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v3
      - run: bin/rails test
"""

OPENCAL_DEPLOY = """\
name: deploy
on:
  workflow_run:
    workflows: [check]
    branches: [main]
    types: [completed]
jobs:
  deploy:
    {condition}runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v3
      - uses: superfly/flyctl-actions/setup-flyctl@master
      - name: Deploy
        run: FLY_REGISTRY_HOST=registry-iad.fly.io flyctl deploy --remote-only
"""

GITLAB_STAGES = """\
stages: [test, deploy]
test:
  stage: test
  script:
    - pip install -r requirements.txt
    - pytest -q
deploy:
  stage: deploy
  {needs}script:
    - ssh deploy@example.com "cd app && git pull && docker compose up -d"
  environment:
    name: production
"""

UNGATED = """\
name: Deploy
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: flyctl deploy --remote-only
"""


def _check(project_of, files):
    return CHECK.run(project_of(files))


def test_rule_ids_unique_and_declared():
    rules = all_rules()
    for rule in CHECK.rules:
        assert rules[rule.id][0].id == CHECK.id
    assert {r.id for r in CHECK.rules} >= {"ungated-deploy", "deploy-after-failed-ci", "invalid-workflow"}


def test_deploy_needs_tests_passes_with_evidence(project_of):
    result = _check(project_of, {W + "tests.yml": LARAVEL_IO_STYLE})
    assert result.status is Status.PASS
    assert not result.findings
    lines = {(loc.path, loc.line) for loc in result.evidence}
    assert (W + "tests.yml", 17) in lines  # the deploy hook curl
    assert (W + "tests.yml", 10) in lines  # the pest run


def test_tests_earlier_in_same_job_pass(project_of):
    wf = LARAVEL_IO_STYLE.replace("  deploy:\n    needs: tests\n    if: github.ref_name == 'main'\n"
                                  "    runs-on: ubuntu-latest\n    steps:\n", "")
    result = _check(project_of, {W + "tests.yml": wf})
    assert result.status is Status.PASS
    assert {loc.line for loc in result.evidence} >= {10, 12}


def test_heroku_after_pytest_passes(project_of):
    result = _check(project_of, {W + "django.yml": HACKSOFT_STYLE})
    assert result.status is Status.PASS
    assert "heroku" in result.summary
    assert any(loc.line == 25 for loc in result.evidence)  # git push heroku


def test_workflow_run_with_success_condition_passes(project_of):
    deploy = OPENCAL_DEPLOY.format(condition="if: ${{ github.event.workflow_run.conclusion == 'success' }}\n    ")
    result = _check(project_of, {W + "check.yml": OPENCAL_CHECK, W + "deploy.yml": deploy})
    assert result.status is Status.PASS
    assert any(loc.path == W + "check.yml" and loc.line == 8 for loc in result.evidence)


def test_workflow_run_without_success_condition_fails(project_of):
    result = _check(project_of, {W + "check.yml": OPENCAL_CHECK, W + "deploy.yml": OPENCAL_DEPLOY.format(condition="")})
    assert result.status is Status.FAIL
    [finding] = result.findings
    assert finding.rule == "deploy-after-failed-ci"
    assert (finding.path, finding.line) == (W + "deploy.yml", 14)
    assert "conclusion" in finding.message


def test_workflow_run_of_ci_without_tests_fails(project_of):
    no_tests = OPENCAL_CHECK.replace("bin/rails test", "bin/rubocop")
    deploy = OPENCAL_DEPLOY.format(condition="if: github.event.workflow_run.conclusion == 'success'\n    ")
    result = _check(project_of, {W + "check.yml": no_tests, W + "deploy.yml": deploy})
    assert result.status is Status.FAIL
    assert result.findings[0].rule == "ungated-deploy"


def test_gitlab_stage_order_passes(project_of):
    result = _check(project_of, {".gitlab-ci.yml": GITLAB_STAGES.format(needs="")})
    assert result.status is Status.PASS
    assert {loc.line for loc in result.evidence} >= {6, 10}


def test_gitlab_needs_empty_fails(project_of):
    result = _check(project_of, {".gitlab-ci.yml": GITLAB_STAGES.format(needs="needs: []\n  ")})
    assert result.status is Status.FAIL
    [finding] = result.findings
    assert finding.rule == "ungated-deploy" and finding.line == 11
    assert "needs: []" in finding.message


def test_ungated_push_deploy_fails_high_at_deploy_line(project_of):
    result = _check(project_of, {W + "deploy.yml": UNGATED})
    assert result.status is Status.FAIL
    [finding] = result.findings
    assert (finding.path, finding.line, finding.severity) == (W + "deploy.yml", 10, Severity.HIGH)
    assert "flyctl" in finding.message and "Deploy / deploy" in finding.message


def test_manual_only_deploy_is_medium(project_of):
    wf = UNGATED.replace("  push:\n    branches: [main]\n", "  workflow_dispatch:\n")
    result = _check(project_of, {W + "deploy.yml": wf})
    assert result.status is Status.FAIL
    assert result.findings[0].severity is Severity.MEDIUM


def test_parallel_test_job_does_not_gate(project_of):
    wf = LARAVEL_IO_STYLE.replace("    needs: tests\n", "")
    result = _check(project_of, {W + "tests.yml": wf})
    assert result.status is Status.FAIL
    assert "both run at once" in result.findings[0].message


def test_always_condition_defeats_needs(project_of):
    wf = LARAVEL_IO_STYLE.replace("if: github.ref_name == 'main'", "if: always()")
    result = _check(project_of, {W + "tests.yml": wf})
    assert result.status is Status.FAIL


def test_continue_on_error_test_job_does_not_gate(project_of):
    wf = LARAVEL_IO_STYLE.replace("  tests:\n    runs-on", "  tests:\n    continue-on-error: true\n    runs-on")
    assert _check(project_of, {W + "tests.yml": wf}).status is Status.FAIL


def test_npm_test_alias_that_only_echoes_is_not_a_gate(project_of):
    wf = LARAVEL_IO_STYLE.replace("vendor/bin/pest -p", "npm test")
    pkg = json.dumps({"scripts": {"test": 'echo "no tests" && exit 0'}})
    assert _check(project_of, {W + "tests.yml": wf, "package.json": pkg}).status is Status.FAIL
    real = json.dumps({"scripts": {"test": "vitest run"}})
    assert _check(project_of, {W + "tests.yml": wf, "package.json": real}).status is Status.PASS


def test_no_deploy_with_platform_file_is_unknown_and_names_it(project_of):
    ci = "name: CI\non: [push]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npx vitest run\n"
    result = _check(project_of, {"vercel.json": "{}", W + "ci.yml": ci})
    assert result.status is Status.UNKNOWN
    assert "vercel.json" in result.summary and "branch protection" in result.summary
    assert any(loc.path == "vercel.json" for loc in result.evidence)
    assert any(loc.path == W + "ci.yml" and loc.line == 7 for loc in result.evidence)


def test_nothing_at_all_is_unknown(project_of):
    result = _check(project_of, {"README.md": "hi"})
    assert result.status is Status.UNKNOWN
    assert "no deploy found" in result.summary


def test_invalid_workflow_is_reported_not_skipped(project_of):
    bad = "name: x\non: push\njobs:\n  a:\n    steps:\n      - run: |\n**bold**\n"
    result = _check(project_of, {W + "broken.yml": bad})
    assert result.status is Status.UNKNOWN
    assert [f.rule for f in result.findings] == ["invalid-workflow"]
    assert result.findings[0].path == W + "broken.yml"
    assert W + "broken.yml" in result.summary


def test_gated_deploy_plus_invalid_workflow_warns(project_of):
    result = _check(project_of, {W + "tests.yml": LARAVEL_IO_STYLE, W + "broken.yml": "on: [push\n"})
    assert result.status is Status.WARN
    assert [f.rule for f in result.findings] == ["invalid-workflow"]


def test_reusable_deploy_workflow_gated_by_caller(project_of):
    caller = """\
name: CI
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: pytest
  deploy:
    needs: test
    uses: ./.github/workflows/deploy.yml
    secrets: inherit
"""
    called = """\
name: deploy
on: workflow_call
jobs:
  ship:
    runs-on: ubuntu-latest
    steps:
      - run: railway up --service web
"""
    result = _check(project_of, {W + "ci.yml": caller, W + "deploy.yml": called})
    assert result.status is Status.PASS
    unguarded = caller.replace("    needs: test\n", "")
    assert _check(project_of, {W + "ci.yml": unguarded, W + "deploy.yml": called}).status is Status.FAIL


def test_non_utf8_and_binary_workflows_do_not_crash(project_of):
    result = _check(project_of, {W + "a.yml": b"\xff\xfe name: \x00\x00", W + "b.yml": "on: push\njobs: 3\n"})
    assert result.status in (Status.UNKNOWN, Status.FAIL, Status.WARN)


def test_gitlab_allow_failure_tests_do_not_gate(project_of):
    ci = GITLAB_STAGES.format(needs="").replace("  stage: test\n", "  stage: test\n  allow_failure: true\n")
    assert _check(project_of, {".gitlab-ci.yml": ci}).status is Status.FAIL


def test_gitlab_when_always_deploy_runs_after_failed_tests(project_of):
    ci = GITLAB_STAGES.format(needs="when: always\n  ")
    result = _check(project_of, {".gitlab-ci.yml": ci})
    assert result.status is Status.FAIL
    assert "even when tests fail" in result.findings[0].message


def test_condition_line_is_evidence_for_workflow_run(project_of):
    deploy = OPENCAL_DEPLOY.format(condition="if: github.event.workflow_run.conclusion == 'success'\n    ")
    result = _check(project_of, {W + "check.yml": OPENCAL_CHECK, W + "deploy.yml": deploy})
    assert any(loc.path == W + "deploy.yml" and loc.line == 9 and "conclusion" in loc.note for loc in result.evidence)


def test_disabled_test_job_does_not_gate(project_of):
    wf = LARAVEL_IO_STYLE.replace("  tests:\n    runs-on", "  tests:\n    if: false\n    runs-on")
    assert _check(project_of, {W + "tests.yml": wf}).status is Status.FAIL


def test_push_deploy_with_pull_request_tests_names_branch_protection(project_of):
    ci = "name: CI\non: [pull_request]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest\n"
    result = _check(project_of, {W + "ci.yml": ci, W + "deploy.yml": UNGATED})
    # the only gate is branch protection, which is not in the repository: a warning, not an evidenced failure
    assert result.status is Status.WARN
    assert "branch protection" in result.summary
    [finding] = result.findings
    assert "branch protection" in finding.message
    assert (finding.severity, finding.confidence.value) == (Severity.MEDIUM, "low")
    assert any(loc.path == W + "ci.yml" and loc.line == 7 for loc in finding.related)


def test_push_deploy_racing_tests_in_the_same_workflow_still_fails(project_of):
    ci = "name: CI\non: [pull_request]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest\n"
    racing = UNGATED + "  tests:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest\n"
    result = _check(project_of, {W + "ci.yml": ci, W + "deploy.yml": racing})
    assert result.status is Status.FAIL
    assert result.findings[0].severity is Severity.HIGH


KONVERTER_STYLE = """\
name: Deploy to bucket
on:
  push:
    branches: [main]
jobs:
  build-and-deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm ci && npm run build
      - name: Upload site
        run: |
          supabase link --project-ref abcdefghijklmnopqrst
          supabase storage upload site ./dist --recursive
"""


def test_supabase_storage_upload_of_the_build_is_an_ungated_deploy(project_of):
    result = _check(project_of, {W + "deploy.yml": KONVERTER_STYLE})
    assert result.status is Status.FAIL
    [finding] = result.findings
    assert (finding.rule, finding.line) == ("ungated-deploy", 14)
    assert "supabase-storage" in finding.message


AUTO_DEVOPS = """\
include:
  - template: Auto-DevOps.gitlab-ci.yml

variables:
  SAST_EXCLUDED_PATHS: "vendor/**"
{disabled}"""


def test_auto_devops_with_tests_disabled_deploys_untested(project_of):
    ci = AUTO_DEVOPS.format(disabled='  TEST_DISABLED: "true"\n')
    result = _check(project_of, {".gitlab-ci.yml": ci})
    assert result.status is Status.FAIL
    [finding] = result.findings
    assert (finding.rule, finding.path, finding.line) == ("ungated-deploy", ".gitlab-ci.yml", 6)
    assert "Auto DevOps" in finding.message and finding.confidence.value == "medium"
    assert any(loc.line == 2 for loc in finding.related)


def test_auto_devops_with_its_test_job_is_gated(project_of):
    result = _check(project_of, {".gitlab-ci.yml": AUTO_DEVOPS.format(disabled="")})
    assert result.status is Status.PASS
    assert any(loc.path == ".gitlab-ci.yml" and loc.line == 2 for loc in result.evidence)


def test_auto_devops_tests_disabled_fails_next_to_a_gated_github_deploy(project_of):
    ci = AUTO_DEVOPS.format(disabled='  TEST_DISABLED: "true"\n')
    result = _check(project_of, {".gitlab-ci.yml": ci, W + "tests.yml": LARAVEL_IO_STYLE})
    assert result.status is Status.FAIL
    assert [f.path for f in result.findings] == [".gitlab-ci.yml"]


BAKERY_NIGHTLY = """\
name: Deploy nightly build
on:
  push:
    branches: [main]
jobs:
  deploy-nightly:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: sed -i s/NIGHTLY=0/NIGHTLY=1/ heroku.yml
      - name: Push to the nightly branch
        run: |
          git checkout -B nightly
          git commit -am "deploy"
          git push --force origin nightly
"""


def test_push_to_the_branch_a_platform_deploys_from_is_a_deploy(project_of):
    ci = "name: CI\non: [pull_request]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest\n"
    heroku = "build:\n  docker:\n    web: Dockerfile\n"
    files = {W + "nightly.yml": BAKERY_NIGHTLY, W + "ci.yml": ci, "heroku.yml": heroku}
    result = _check(project_of, files)
    assert result.status is Status.WARN
    [finding] = result.findings
    assert (finding.path, finding.line) == (W + "nightly.yml", 15)
    assert "git-push" in finding.message
    # the same push in a workflow that does not say it deploys is just a branch update
    quiet = BAKERY_NIGHTLY.replace("Deploy nightly build", "Nightly branch").replace("deploy-nightly", "nightly")
    quiet = quiet.replace('"deploy"', '"nightly"')
    assert _check(project_of, {W + "nightly.yml": quiet}).status is Status.UNKNOWN


def test_bare_procfile_is_local_process_management_not_heroku(project_of):
    procfile = "web: bundle exec thrust bin/start-app\nworkers: bundle exec resque-pool\n"
    result = _check(project_of, {"Procfile": procfile})
    assert result.status is Status.UNKNOWN
    assert "heroku" not in result.summary.lower()
    released = _check(project_of, {"Procfile": procfile + "release: bin/rails db:migrate\n"})
    assert "heroku deploy from git" in released.summary


CI_RB = """\
CI.run do
  step "Setup", "bin/setup --skip-server"
  step "Style: Ruby", "bin/rubocop"
  step "Tests: Rails", "bin/rails test"
  step "Tests: System", "bin/rails test:system"

  if success?
    step "Signoff: ready for merge and deploy", "gh signoff"
  end
end
"""


def test_rails_local_ci_with_signoff_is_test_evidence(project_of):
    result = _check(project_of, {"config/ci.rb": CI_RB, "Procfile": "web: bin/start\n"})
    assert result.status is Status.UNKNOWN
    assert "local CI (config/ci.rb)" in result.summary and "gh signoff" in result.summary
    lines = {loc.line for loc in result.evidence if loc.path == "config/ci.rb"}
    assert lines == {4, 5, 8}


INVALID_DEPLOY = """\
name: Deploy
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: npx vercel deploy --prod --token "$VERCEL_TOKEN"
      - name: Summary
        run: |
          cat >> "$GITHUB_STEP_SUMMARY" <<'EOF'
**Deployed** by ${{ github.actor }}
          EOF
"""


def test_invalid_deploy_workflow_warns_with_the_invalid_file(project_of):
    result = _check(project_of, {W + "deploy.yml": INVALID_DEPLOY})
    assert result.status is Status.WARN
    assert [f.rule for f in result.findings] == ["invalid-workflow"]
    # an unparseable workflow that deploys nothing (a bundle-size report) decides nothing
    other = INVALID_DEPLOY.replace("name: Deploy", "name: Bundle size").replace(
        'npx vercel deploy --prod --token "$VERCEL_TOKEN"', "npx size-limit")
    result = _check(project_of, {W + "size.yml": other})
    assert result.status is Status.UNKNOWN
    assert [f.rule for f in result.findings] == ["invalid-workflow"]


def test_gitlab_manual_deploy_without_needs_is_medium(project_of):
    ci = GITLAB_STAGES.format(needs="needs: []\n  when: manual\n  ")
    result = _check(project_of, {".gitlab-ci.yml": ci})
    assert result.status is Status.FAIL
    assert result.findings[0].severity is Severity.MEDIUM
    assert "(manual)" in result.findings[0].message


def test_condition_variants_on_the_deploy_job(project_of):
    def status(cond):
        wf = LARAVEL_IO_STYLE.replace("if: github.ref_name == 'main'", f"if: {cond}")
        return _check(project_of, {W + "tests.yml": wf}).status

    assert status("success() || failure()") is Status.FAIL
    assert status("${{ !cancelled() && needs.tests.result == 'success' }}") is Status.PASS
    assert status("success() && github.ref == 'refs/heads/main'") is Status.PASS


def test_gitlab_environment_job_is_a_deploy_even_with_unknown_script(project_of):
    ci = """\
stages: [build, release]
build:
  stage: build
  script:
    - make dist
ship:
  stage: release
  script:
    - ./scripts/release.sh
  environment:
    name: production
stop:
  stage: release
  script:
    - ./scripts/teardown.sh
  environment:
    name: review
    action: stop
"""
    result = _check(project_of, {".gitlab-ci.yml": ci})
    assert result.status is Status.FAIL
    [finding] = result.findings
    assert (finding.line, "gitlab-environment" in finding.message) == (9, True)


def test_workstation_deploy_tool_and_published_images_are_named(project_of):
    kamal = "service: app\nimage: me/app\nservers:\n  - 192.0.2.10\n"
    publish = ("name: Docker\non: [push]\njobs:\n  image:\n    runs-on: ubuntu-latest\n    steps:\n"
               "      - run: docker build -t ghcr.io/me/app:${{ github.sha }} .\n"
               "      - run: docker push ghcr.io/me/app:${{ github.sha }}\n")
    result = _check(project_of, {"config/deploy.yml": kamal, W + "docker.yml": publish})
    assert result.status is Status.UNKNOWN
    assert "kamal" in result.summary and "config/deploy.yml" in result.summary
    assert "publishes" in result.summary
    assert any(loc.path == W + "docker.yml" and loc.line == 8 for loc in result.evidence)


def test_deploy_inside_local_composite_action_is_judged(project_of):
    action = ("name: Deploy\nruns:\n  using: composite\n  steps:\n    - run: flyctl deploy --remote-only\n"
              "      shell: bash\n")
    wf = ("name: Deploy\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
          "      - run: pytest -q\n  deploy:\n    {needs}runs-on: ubuntu-latest\n    steps:\n"
          "      - uses: ./.github/actions/fly-deploy\n")
    files = {".github/actions/fly-deploy/action.yml": action}
    bad = _check(project_of, {**files, W + "deploy.yml": wf.format(needs="")})
    assert bad.status is Status.FAIL and bad.findings[0].line == 11
    good = _check(project_of, {**files, W + "deploy.yml": wf.format(needs="needs: test\n    ")})
    assert good.status is Status.PASS
