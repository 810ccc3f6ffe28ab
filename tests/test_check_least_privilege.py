"""least-privilege: real workflows, env files and client code in real git repositories."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

from handrail.checks.least_privilege import CHECK, secret_looking_public_name
from handrail.core.finding import CheckResult, Confidence, Severity, Status
from handrail.core.project import Project
from handrail.core.redact import redact
from handrail.pipeline.model import Job, Permissions, PipelineModel, SecretUse, Step, StepKind, Trigger, Workflow

ProjectOf = Callable[..., Project]
WF = ".github/workflows"


def run(project_of: ProjectOf, files: dict[str, str | bytes]) -> CheckResult:
    return CHECK.run(project_of(files))


def of(result: CheckResult, rule: str) -> list:
    return [f for f in result.findings if f.rule == rule]


def jwt(payload: dict) -> str:
    def b64(d: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")
    return f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(payload)}.c2lnbmF0dXJlc2lnbmF0dXJlc2ln"


SERVICE_JWT = jwt({"iss": "supabase", "ref": "abcdefghijklmnopqrst", "role": "service_role", "iat": 1700000000})
ANON_JWT = jwt({"iss": "supabase", "ref": "abcdefghijklmnopqrst", "role": "anon", "iat": 1700000000})

TEST_JOB = """\
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm ci && npm test
"""


# --- GITHUB_TOKEN permissions -----------------------------------------------------------------

def test_no_permissions_block_is_medium_and_names_the_jobs(project_of: ProjectOf) -> None:
    r = run(project_of, {f"{WF}/ci.yml": "on: push\njobs:\n" + TEST_JOB})
    [f] = of(r, "no-permissions-block")
    assert f.severity == Severity.MEDIUM and f.path == f"{WF}/ci.yml" and f.line == 1
    assert "test" in f.evidence and "default" in f.message
    assert r.status == Status.WARN


def test_job_level_blocks_everywhere_count_as_declared(project_of: ProjectOf) -> None:
    text = "on: push\njobs:\n" + TEST_JOB + "    permissions:\n      contents: read\n"
    r = run(project_of, {f"{WF}/ci.yml": text})
    assert of(r, "no-permissions-block") == []
    assert r.status == Status.PASS
    assert any(e.path == f"{WF}/ci.yml" and e.line == 8 and "contents: read" in e.note for e in r.evidence)


def test_reusable_workflow_without_block_is_not_flagged(project_of: ProjectOf) -> None:
    r = run(project_of, {f"{WF}/lib.yml": "on: workflow_call\njobs:\n" + TEST_JOB})
    assert of(r, "no-permissions-block") == []


def test_write_all_is_high_and_fails(project_of: ProjectOf) -> None:
    r = run(project_of, {f"{WF}/ci.yml": "on: push\npermissions: write-all\njobs:\n" + TEST_JOB})
    [f] = of(r, "write-all")
    assert f.severity == Severity.HIGH and f.line == 2
    assert r.status == Status.FAIL


def test_read_all_is_low(project_of: ProjectOf) -> None:
    r = run(project_of, {f"{WF}/ci.yml": "on: push\npermissions: read-all\njobs:\n" + TEST_JOB})
    [f] = of(r, "read-all")
    assert f.severity == Severity.LOW
    assert r.status == Status.WARN


RELEASE = """\
on:
  push:
    tags: ['v*']
permissions:
  contents: write
jobs:
{test}  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: softprops/action-gh-release@v2
"""


def test_top_level_write_needed_by_one_job_should_move(project_of: ProjectOf) -> None:
    r = run(project_of, {f"{WF}/release.yml": RELEASE.format(test=TEST_JOB)})
    [f] = of(r, "top-level-write")
    assert f.severity == Severity.MEDIUM and f.line == 4
    assert "release" in f.message and "test" in f.message
    assert f.related and f.related[0].line == 16  # the softprops step
    assert of(r, "unused-write-scope") == []


def test_top_level_write_needed_by_every_job_is_fine(project_of: ProjectOf) -> None:
    r = run(project_of, {f"{WF}/release.yml": RELEASE.format(test="")})
    assert of(r, "top-level-write") == [] and of(r, "unused-write-scope") == []
    assert r.status == Status.PASS


def test_top_level_write_nobody_needs_is_high_for_contents(project_of: ProjectOf) -> None:
    text = "on: push\npermissions:\n  contents: write\n  checks: write\njobs:\n" + TEST_JOB
    r = run(project_of, {f"{WF}/ci.yml": text})
    by_scope = {f.evidence: f for f in of(r, "unused-write-scope")}
    assert by_scope["contents: write"].severity == Severity.HIGH
    assert by_scope["contents: write"].confidence == Confidence.HIGH
    assert by_scope["checks: write"].severity == Severity.MEDIUM
    assert r.status == Status.FAIL


def test_unused_write_with_opaque_token_use_is_low_confidence(project_of: ProjectOf) -> None:
    text = """\
on: push
permissions:
  contents: write
jobs:
  label:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/github-script@v7
        with:
          script: github.rest.repos.get(context.repo)
"""
    r = run(project_of, {f"{WF}/ci.yml": text})
    [f] = of(r, "unused-write-scope")
    assert f.severity == Severity.LOW and f.confidence == Confidence.LOW
    assert f.related and f.related[0].line == 8


def test_git_push_and_oidc_are_recognised_needs(project_of: ProjectOf) -> None:
    text = """\
on: push
permissions:
  contents: write
  id-token: write
jobs:
  bump:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::123456789012:role/deploy
          aws-region: eu-west-1
      - run: |
          npm version patch
          git push --follow-tags
"""
    r = run(project_of, {f"{WF}/bump.yml": text})
    assert of(r, "unused-write-scope") == [] and of(r, "top-level-write") == []


def test_job_level_needed_grant_is_fine_unneeded_is_low(project_of: ProjectOf) -> None:
    text = """\
on: push
permissions: {}
jobs:
  comment:
    runs-on: ubuntu-latest
    permissions:
      pull-requests: write
    steps:
      - uses: marocchino/sticky-pull-request-comment@v2
        with:
          message: hi
  build:
    runs-on: ubuntu-latest
    permissions:
      packages: write
    steps:
      - run: make build
"""
    r = run(project_of, {f"{WF}/ci.yml": text})
    [f] = of(r, "unused-write-scope")
    assert f.severity == Severity.LOW and "build" in f.message and "packages" in f.message
    assert r.status == Status.WARN


def test_registry_password_from_github_token_counts_as_packages_need(project_of: ProjectOf) -> None:
    text = """\
on: push
permissions:
  contents: read
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    permissions:
      contents: read
      packages: write
    env:
      KAMAL_REGISTRY_PASSWORD: ${{ secrets.GITHUB_TOKEN }}
    steps:
      - run: kamal deploy
"""
    r = run(project_of, {f"{WF}/deploy.yml": text})
    assert of(r, "unused-write-scope") == []


# --- personal tokens ------------------------------------------------------------------------------

def test_pat_as_checkout_token_and_gh_token(project_of: ProjectOf) -> None:
    text = """\
on: push
permissions:
  contents: read
jobs:
  sync:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          token: ${{ secrets.BOT_TOKEN }}
      - run: gh release create v1
        env:
          GH_TOKEN: ${{ secrets.RELEASE_PAT }}
      - uses: codecov/codecov-action@v4
        with:
          token: ${{ secrets.CODECOV_TOKEN }}
"""
    r = run(project_of, {f"{WF}/sync.yml": text})
    found = {f.evidence: f for f in of(r, "pat-where-app-token")}
    assert set(found) == {"secrets.BOT_TOKEN", "secrets.RELEASE_PAT"}  # not the Codecov upload token
    assert found["secrets.BOT_TOKEN"].line == 10
    assert found["secrets.RELEASE_PAT"].line == 13
    assert all(f.confidence == Confidence.MEDIUM and f.severity == Severity.MEDIUM for f in found.values())
    assert "create-github-app-token" in found["secrets.BOT_TOKEN"].message


def test_app_token_and_github_token_are_fine(project_of: ProjectOf) -> None:
    text = """\
on: push
permissions:
  contents: read
jobs:
  sync:
    runs-on: ubuntu-latest
    steps:
      - id: app
        uses: actions/create-github-app-token@v1
        with:
          app-id: ${{ vars.APP_ID }}
          private-key: ${{ secrets.APP_PRIVATE_KEY }}
      - uses: actions/checkout@v4
        with:
          token: ${{ steps.app.outputs.token }}
      - run: gh pr list
        env:
          GH_TOKEN: ${{ github.token }}
"""
    r = run(project_of, {f"{WF}/sync.yml": text})
    assert of(r, "pat-where-app-token") == []


# --- secrets and environments --------------------------------------------------------------------

DEPLOY = """\
on:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  deploy:
    runs-on: ubuntu-latest
{env}    steps:
      - uses: actions/checkout@v4
      - run: npx vercel deploy --prod --token=${{{{ secrets.VERCEL_TOKEN }}}}
"""


def test_deploy_secrets_without_environment_are_left_to_environments(project_of: ProjectOf) -> None:
    r = run(project_of, {f"{WF}/deploy.yml": DEPLOY.format(env="")})
    assert of(r, "secrets-outside-env") == []
    assert r.status == Status.PASS and "deploy in .github/workflows/deploy.yml" in r.summary
    assert "environments check (deploy-without-environment)" in r.summary


def test_non_deploy_job_with_deploy_grade_credentials(project_of: ProjectOf) -> None:
    text = ("on: push\npermissions:\n  contents: read\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - run: ./build.sh\n        env:\n          VERCEL_TOKEN: ${{ secrets.VERCEL_TOKEN }}\n"
            "          SENTRY_AUTH: ${{ secrets.SENTRY_AUTH }}\n"
            "          VERCEL_BYPASS_TOKEN: ${{ secrets.VERCEL_BYPASS_TOKEN }}\n")  # preview bypass: not deploy-grade
    r = run(project_of, {f"{WF}/build.yml": text})
    [f] = of(r, "secrets-outside-env")
    assert (f.severity, f.line, f.evidence) == (Severity.MEDIUM, 10, "VERCEL_TOKEN")
    good = run(project_of, {f"{WF}/build.yml": text.replace("    steps:", "    environment: production\n    steps:")})
    assert of(good, "secrets-outside-env") == []
    call = ("on: push\npermissions:\n  contents: read\njobs:\n  prod:\n    uses: ./.github/workflows/d.yml\n"
            "    secrets:\n      VERCEL_TOKEN: ${{ secrets.VERCEL_TOKEN }}\n")  # `environment:` is not allowed here
    called = of(run(project_of, {f"{WF}/main.yml": call}), "secrets-outside-env")
    assert [f for f in called if f.severity != Severity.INFO] == []


def test_deploy_secrets_with_environment_pass(project_of: ProjectOf) -> None:
    r = run(project_of, {f"{WF}/deploy.yml": DEPLOY.format(env="    environment: production\n")})
    assert of(r, "secrets-outside-env") == []
    assert r.status == Status.PASS


def test_non_deploy_secret_use_is_info_only(project_of: ProjectOf) -> None:
    text = """\
on: push
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: npm test
        env:
          STRIPE_TEST_KEY: ${{ secrets.STRIPE_TEST_KEY }}
"""
    r = run(project_of, {f"{WF}/ci.yml": text})
    [f] = of(r, "secrets-outside-env")
    assert f.severity == Severity.INFO
    assert r.status == Status.PASS


def test_secrets_inherit_is_low(project_of: ProjectOf) -> None:
    text = ("on: push\npermissions:\n  contents: read\njobs:\n  call:\n    uses: org/repo/.github/workflows/x.yml@v1\n"
            "    secrets: inherit\n")
    r = run(project_of, {f"{WF}/ci.yml": text})
    [f] = of(r, "secrets-inherit")
    assert f.severity == Severity.LOW and f.line == 5


def test_gitlab_deploy_variables_without_environment(project_of: ProjectOf) -> None:
    text = """\
stages: [deploy]
deploy:
  stage: deploy
  script:
    - 'curl -X POST -H "Authorization: Bearer $RENDER_API_KEY" https://api.render.com/deploy/srv-123'
"""
    r = run(project_of, {".gitlab-ci.yml": text})
    assert of(r, "secrets-outside-env") == [] and r.status == Status.UNKNOWN
    assert "deploy in .gitlab-ci.yml" in r.summary and "deploy-without-environment" in r.summary
    good = run(project_of, {".gitlab-ci.yml": text + "  environment: production\n"})
    assert of(good, "secrets-outside-env") == []
    assert good.status == Status.PASS and "CI_JOB_TOKEN" in good.summary


# --- pull_request_target / workflow_run -------------------------------------------------------

PRT = """\
on: pull_request_target
permissions:
  contents: read
jobs:
  preview:
    runs-on: ubuntu-latest
{cond}    steps:
      - uses: actions/checkout@v4
{with_}      - run: npm ci && npm run build
"""
HEAD = "        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n"


def test_pull_request_target_running_the_head_is_critical(project_of: ProjectOf) -> None:
    r = run(project_of, {f"{WF}/preview.yml": PRT.format(cond="", with_=HEAD)})
    [f] = of(r, "untrusted-checkout")
    assert f.severity == Severity.CRITICAL and f.line == 8
    assert any(loc.line == 11 for loc in f.related)
    assert r.status == Status.FAIL


def test_pull_request_target_without_head_checkout_is_fine(project_of: ProjectOf) -> None:
    r = run(project_of, {f"{WF}/preview.yml": PRT.format(cond="", with_="")})
    assert of(r, "untrusted-checkout") == []


def test_label_gated_head_checkout_is_high(project_of: ProjectOf) -> None:
    cond = "    if: contains(github.event.pull_request.labels.*.name, 'safe to test')\n"
    r = run(project_of, {f"{WF}/preview.yml": PRT.format(cond=cond, with_=HEAD)})
    [f] = of(r, "untrusted-checkout")
    assert f.severity == Severity.HIGH and "gated" in f.message


def test_workflow_run_head_sha_checkout(project_of: ProjectOf) -> None:
    text = """\
on:
  workflow_run:
    workflows: [CI]
    types: [completed]
permissions:
  contents: read
jobs:
  report:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.workflow_run.head_sha }}
      - run: ./scripts/report.sh
"""
    r = run(project_of, {f"{WF}/report.yml": text})
    [f] = of(r, "untrusted-checkout")
    assert f.severity == Severity.CRITICAL


def test_plain_pull_request_head_checkout_is_fine(project_of: ProjectOf) -> None:
    text = PRT.format(cond="", with_=HEAD).replace("pull_request_target", "pull_request")
    r = run(project_of, {f"{WF}/ci.yml": text})
    assert of(r, "untrusted-checkout") == []


# --- client exposure ------------------------------------------------------------------------------

def test_public_prefixed_secret_names_in_env_and_source(project_of: ProjectOf) -> None:
    files = {
        ".env.local": ("NEXT_PUBLIC_STRIPE_SECRET_KEY=sk_live_abcdefghijklmnop\n"
                       "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY=pk_live_abcdefghijklmnop\n"
                       f"NEXT_PUBLIC_SUPABASE_ANON_KEY={ANON_JWT}\n"
                       "NEXT_PUBLIC_PASSWORD_MIN_LENGTH=12\n"
                       "VITE_ALGOLIA_SEARCH_KEY=abcdef123456\n"),
        "src/lib/auth.ts": "export const s = import.meta.env.VITE_JWT_SECRET;\n",
        "package.json": '{"dependencies": {"vite": "5"}}',
    }
    r = run(project_of, files)
    found = {(f.path, f.evidence) for f in of(r, "client-exposed-secret")}
    assert found == {(".env.local", "NEXT_PUBLIC_STRIPE_SECRET_KEY"), ("src/lib/auth.ts", "VITE_JWT_SECRET")}
    assert all(f.severity == Severity.HIGH for f in of(r, "client-exposed-secret"))
    assert r.status == Status.FAIL


def test_public_name_with_public_value_is_fine(project_of: ProjectOf) -> None:
    r = run(project_of, {".env.production": "NEXT_PUBLIC_STRIPE_SECRET=pk_test_abcdefghijklmnopqrs\n"})
    assert of(r, "client-exposed-secret") == []
    assert r.status == Status.PASS


def test_public_secret_name_in_workflow_env(project_of: ProjectOf) -> None:
    text = ("on: push\npermissions:\n  contents: read\njobs:\n  build:\n    runs-on: ubuntu-latest\n    env:\n"
            "      VITE_ADMIN_PASSWORD: ${{ secrets.ADMIN_PASSWORD }}\n    steps:\n      - run: npm run build\n")
    r = run(project_of, {f"{WF}/build.yml": text})
    [f] = of(r, "client-exposed-secret")
    assert f.line == 8 and f.evidence == "VITE_ADMIN_PASSWORD"


def test_name_classifier_edges() -> None:
    assert secret_looking_public_name("NEXT_PUBLIC_CLIENT_SECRET")
    assert secret_looking_public_name("EXPO_PUBLIC_FIREBASE_PRIVATE_KEY")
    assert not secret_looking_public_name("NEXT_PUBLIC_SECRET_PAGE_URL")
    assert not secret_looking_public_name("VITE_RECAPTCHA_SITE_KEY")
    assert not secret_looking_public_name("STRIPE_SECRET_KEY")  # server-only: not this rule's business


def test_service_role_jwt_in_public_env_is_critical_and_redacted(project_of: ProjectOf) -> None:
    r = run(project_of, {".env": f"VITE_SUPABASE_KEY={SERVICE_JWT}\nSUPABASE_SERVICE_ROLE_KEY={SERVICE_JWT}\n"})
    [f] = of(r, "service-role-in-client")
    assert f.severity == Severity.CRITICAL and f.line == 1
    assert SERVICE_JWT not in f.evidence and SERVICE_JWT not in f.message
    assert redact(SERVICE_JWT) in f.evidence


def test_service_role_in_client_component_vs_server_files(project_of: ProjectOf) -> None:
    admin = ("import { createClient } from '@supabase/supabase-js'\n"
             "export const admin = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_ROLE_KEY!)\n")
    files = {
        "package.json": '{"dependencies": {"next": "14", "@supabase/supabase-js": "2"}}',
        "components/AdminPanel.tsx": "'use client'\n" + admin,
        "app/api/admin/route.ts": admin,
        "pages/api/users.ts": admin,
        "lib/supabase-admin.ts": "import 'server-only'\n" + admin,
        "supabase/functions/purge/index.ts": admin,
    }
    r = run(project_of, files)
    found = of(r, "service-role-in-client")
    # the unprefixed name is undefined in the browser (Next.js inlines only NEXT_PUBLIC_): a low hint, not a leak
    assert [(f.path, f.line, f.severity) for f in found] == [("components/AdminPanel.tsx", 3, Severity.LOW)]


def test_unmarked_app_router_file_is_a_medium_hint(project_of: ProjectOf) -> None:
    files = {
        "package.json": '{"dependencies": {"next": "14"}}',
        "app/admin/page.tsx": "const key = process.env.SUPABASE_SERVICE_ROLE_KEY\nexport default function P() {}\n",
    }
    r = run(project_of, files)
    [f] = of(r, "service-role-in-client")
    assert f.severity == Severity.INFO and f.confidence == Confidence.LOW and "server-only" in f.message
    assert r.status == Status.UNKNOWN or r.status == Status.PASS


def test_literal_jwts_in_vite_source(project_of: ProjectOf) -> None:
    files = {
        "package.json": '{"dependencies": {"vite": "5", "@supabase/supabase-js": "2"}}',
        "src/lib/admin.ts": f"export const key = '{SERVICE_JWT}'\n",
        "src/lib/client.ts": f"export const key = '{ANON_JWT}'\n",
    }
    r = run(project_of, files)
    [f] = of(r, "service-role-in-client")
    assert f.path == "src/lib/admin.ts" and f.severity == Severity.CRITICAL
    assert SERVICE_JWT not in f.evidence


# --- status, bad input, hand-built models -----------------------------------------------------------

def test_unknown_without_ci_or_client_code(project_of: ProjectOf) -> None:
    r = run(project_of, {"README.md": "# hi\n", "main.go": "package main\n"})
    assert r.status == Status.UNKNOWN and "settings" in r.summary


def test_malformed_and_binary_inputs_do_not_crash(project_of: ProjectOf) -> None:
    files: dict[str, str | bytes] = {
        f"{WF}/broken.yml": "on: push\njobs:\n  x: [unclosed\n",
        ".env": b"\x00\x01\x02binary",
        "src/a.ts": b"const x = '\xff\xfe' + process.env.NEXT_PUBLIC_API_SECRET\n",
        "package.json": "{not json",
    }
    r = run(project_of, files)
    assert not any(f.path == f"{WF}/broken.yml" for f in r.findings)  # reported once, by tests-before-deploy
    assert f"not judged: {WF}/broken.yml" in r.summary
    assert [f.path for f in of(r, "client-exposed-secret")] == ["src/a.ts"]


def test_hand_built_model_gitlab_and_github(project_of: ProjectOf) -> None:
    """Workflow logic on model objects, independent of the YAML readers."""
    p = project_of({"README.md": "x\n"})
    deploy = Step(index=0, line=5, run="dep deploy", kinds={StepKind.DEPLOY})
    gl = Workflow("gitlab", ".gitlab-ci.yml", jobs={"deploy": Job(
        "deploy", ".gitlab-ci.yml", 3, steps=[deploy], secrets=[SecretUse("SSH_PRIVATE_KEY", 5), SecretUse("APP", 5)])})
    gh = Workflow("github", f"{WF}/x.yml", triggers=[Trigger("push", 1)], permissions=Permissions("none", line=2),
                  jobs={"t": Job("t", f"{WF}/x.yml", 4, steps=[Step(0, 6, run="make test")])})
    r = CHECK.evaluate(p, PipelineModel(workflows=[gl, gh]))
    assert of(r, "secrets-outside-env") == [] and "deploy in .gitlab-ci.yml" in r.summary
    assert any(e.line == 2 and "none" in e.note for e in r.evidence)


# --- refinements against false positives seen on real repositories -------------------------------

WORKFLOW_RUN = """\
on:
  workflow_run:
    workflows: [check]
    types: [completed]
permissions:
  contents: read
jobs:
  deploy:
    if: ${{{{ github.event.workflow_run.conclusion == 'success'{extra} }}}}
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{{{ github.event.workflow_run.head_sha }}}}
      - run: flyctl deploy --remote-only
"""


def check_workflow(on: str) -> str:
    return f"name: check\non: {on}\npermissions:\n  contents: read\njobs:\n" + TEST_JOB


def test_workflow_run_after_push_only_ci_is_trusted(project_of: ProjectOf) -> None:
    files = {f"{WF}/check.yml": check_workflow("[push]"), f"{WF}/deploy.yml": WORKFLOW_RUN.format(extra="")}
    assert of(run(project_of, files), "untrusted-checkout") == []


def test_workflow_run_after_pull_request_ci_names_the_upstream(project_of: ProjectOf) -> None:
    files = {f"{WF}/check.yml": check_workflow("[push, pull_request]"),
             f"{WF}/deploy.yml": WORKFLOW_RUN.format(extra="")}
    [f] = of(run(project_of, files), "untrusted-checkout")
    assert f.path == f"{WF}/deploy.yml" and f.line == 13
    assert f"{WF}/check.yml" in f.message and f.severity == Severity.HIGH  # gated by an environment
    trusted = {**files, f"{WF}/deploy.yml": WORKFLOW_RUN.format(extra=" && github.event.workflow_run.event == 'push'")}
    assert of(run(project_of, trusted), "untrusted-checkout") == []


def test_docker_login_with_github_token_needs_packages(project_of: ProjectOf) -> None:
    text = """\
on: push
env:
  REGISTRY: ghcr.io
permissions:
  contents: read
  packages: write
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/login-action@v3
        with:
          registry: ${{ env.REGISTRY }}
          username: ${{ github.actor }}
          password: ${{ secrets.GITHUB_TOKEN }}
"""
    r = run(project_of, {f"{WF}/image.yml": text})
    assert of(r, "unused-write-scope") == []


def test_vendor_personal_tokens_are_not_github_pats(project_of: ProjectOf) -> None:
    text = """\
on: push
permissions:
  contents: read
jobs:
  sync:
    runs-on: ubuntu-latest
    steps:
      - run: crowdin pull && ./notify.sh
        env:
          CROWDIN_PERSONAL_TOKEN: ${{ secrets.CROWDIN_PERSONAL_TOKEN }}
          TOKEN: ${{ secrets.GH_PAT }}
"""
    r = run(project_of, {f"{WF}/sync.yml": text})
    assert [f.evidence for f in of(r, "pat-where-app-token")] == ["secrets.GH_PAT"]


def test_top_level_write_for_remote_reusable_call_is_not_judged(project_of: ProjectOf) -> None:
    text = ("on: push\npermissions:\n  contents: write\njobs:\n  fix:\n"
            "    uses: laravel/.github/.github/workflows/coding-standards.yml@main\n")
    r = run(project_of, {f"{WF}/cs.yml": text})
    assert of(r, "unused-write-scope") == [] and of(r, "top-level-write") == []


def test_local_reusable_call_is_resolved(project_of: ProjectOf) -> None:
    caller = "on: push\npermissions:\n  contents: write\njobs:\n  call:\n    uses: ./.github/workflows/lib.yml\n"
    lib = "on: workflow_call\njobs:\n" + TEST_JOB
    r = run(project_of, {f"{WF}/ci.yml": caller, f"{WF}/lib.yml": lib})
    [f] = of(r, "unused-write-scope")
    assert f.path == f"{WF}/ci.yml" and f.severity == Severity.HIGH


def test_broken_ci_reader_keeps_the_client_half(project_of: ProjectOf, monkeypatch) -> None:
    import handrail.pipeline

    def boom(project: Project) -> PipelineModel:
        raise RuntimeError("reader bug")

    monkeypatch.setattr(handrail.pipeline, "build_pipeline_model", boom)
    r = run(project_of, {".env": "NEXT_PUBLIC_STRIPE_SECRET_KEY=sk_live_abcdefghijklmnop\n"})
    assert [f.rule for f in r.findings] == ["client-exposed-secret", "permissions-unparsed"]
    assert "reader bug" in r.findings[1].message and r.status == Status.FAIL


def test_evidence_lines_never_carry_a_whole_key(project_of: ProjectOf) -> None:
    key = "sb_secret_Zk29fjQ0pz8wLmN4vB7xC1qR"
    files = {"package.json": '{"dependencies": {"next": "14"}}',
             "components/Admin.tsx": f"'use client'\nconst serviceRoleKey = '{key}'\n"}
    [f] = of(run(project_of, files), "service-role-in-client")
    assert key not in f.evidence and "serviceRoleKey" in f.evidence and f.severity == Severity.CRITICAL


def test_unparsable_workflow_blocks_a_pass(project_of: ProjectOf) -> None:
    good = "on: push\npermissions:\n  contents: read\njobs:\n" + TEST_JOB
    r = run(project_of, {f"{WF}/ok.yml": good, f"{WF}/bad.yml": "on: push\njobs: [\n"})
    assert r.status == Status.UNKNOWN and f"{WF}/bad.yml" in r.summary


def test_unparsed_workflow_keeps_a_clean_repo_from_passing(project_of: ProjectOf) -> None:
    r = run(project_of, {f"{WF}/release.yml": RELEASE.format(test=""), f"{WF}/broken.yml": "on: [push\n"})
    assert r.status == Status.UNKNOWN and r.evidence
    assert not any(f.path == f"{WF}/broken.yml" for f in r.findings)  # invalid-workflow (tests-before-deploy) owns it
    assert r.summary.endswith(f"1 CI file(s) cannot be parsed and were not judged: {WF}/broken.yml")


# --- regressions from real public apps (2026-11-25) ----------------------------------------------

DISABLED_DEPLOY = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - run: make test
  deploy:
    needs: build
    runs-on: ubuntu-latest
    if: {cond}
    steps:
      - uses: actions/checkout@v4
      - run: git push https://heroku:$HEROKU_API_KEY@git.heroku.com/app.git HEAD:main
        env:
          HEROKU_API_KEY: ${{{{ secrets.HEROKU_API_KEY }}}}
"""


def test_job_that_can_never_run_is_not_judged(project_of: ProjectOf) -> None:
    for cond in ("false", "${{ false }}"):
        r = run(project_of, {f"{WF}/ci.yml": DISABLED_DEPLOY.format(cond=cond)})
        assert of(r, "secrets-outside-env") == [] and of(r, "no-permissions-block") == [], cond
        assert r.status == Status.PASS


def test_deploy_job_secrets_belong_to_environments_check(project_of: ProjectOf) -> None:
    """One finding per job: environments' deploy-without-environment owns deploy jobs; the summary points there."""
    r = run(project_of, {f"{WF}/ci.yml": DISABLED_DEPLOY.format(cond="github.ref == 'refs/heads/main'")})
    assert [f for f in of(r, "secrets-outside-env") if f.severity != Severity.INFO] == []
    assert "deploy-without-environment" in r.summary and "deploy" in r.summary
    text = ("stages: [deploy]\ndeploy:\n  stage: deploy\n  script:\n"
            "    - 'curl -H \"Authorization: Bearer $RENDER_API_KEY\" https://api.render.com/deploy/srv-1'\n")
    gl = run(project_of, {".gitlab-ci.yml": text})
    assert of(gl, "secrets-outside-env") == [] and "deploy-without-environment" in gl.summary


def test_unprefixed_env_read_in_vite_or_cra_code_is_not_a_leak(project_of: ProjectOf) -> None:
    for dep in ("vite", "react-scripts", "expo"):
        files = {
            "package.json": f'{{"dependencies": {{"{dep}": "5"}}}}',
            "src/lib/admin.ts": "import { createClient } from '@supabase/supabase-js'\n"
                                "export const admin = createClient(url, process.env.SUPABASE_SERVICE_ROLE_KEY!)\n",
            "src/tools/testers/edge-tester.ts": "const key = process.env.SUPABASE_SERVICE_ROLE_KEY\n",
        }
        assert of(run(project_of, files), "service-role-in-client") == [], dep


def test_prefixed_or_literal_service_role_in_bundled_code_still_critical(project_of: ProjectOf) -> None:
    files = {
        "package.json": '{"dependencies": {"vite": "5"}}',
        "src/lib/admin.ts": "export const admin = createClient(url, import.meta.env.VITE_SUPABASE_SERVICE_ROLE_KEY)\n",
        "src/lib/literal.ts": f"export const admin = createClient(url, '{SERVICE_JWT}')\n",
    }
    found = {f.path: f.severity for f in of(run(project_of, files), "service-role-in-client")}
    assert found == {"src/lib/admin.ts": Severity.CRITICAL, "src/lib/literal.ts": Severity.CRITICAL}


def test_tooling_folders_are_not_browser_code(project_of: ProjectOf) -> None:
    body = f"export const k = '{SERVICE_JWT}'\n"
    files = {"package.json": '{"dependencies": {"vite": "5"}}', "src/tools/seed.ts": body, "src/bin/admin.ts": body,
             "src/e2e/setup.ts": body, "src/lib/admin.test.ts": body, "src/scripts/x.ts": body}
    assert of(run(project_of, files), "service-role-in-client") == []


def test_unprefixed_read_in_next_use_client_is_low_not_critical(project_of: ProjectOf) -> None:
    files = {"package.json": '{"dependencies": {"next": "14"}}',
             "components/Admin.tsx": "'use client'\nconst k = process.env.SUPABASE_SERVICE_ROLE_KEY\n"}
    [f] = of(run(project_of, files), "service-role-in-client")
    assert f.severity == Severity.LOW and "NEXT_PUBLIC_" in f.message


def test_literal_service_role_in_workflow_has_its_own_rule(project_of: ProjectOf) -> None:
    text = ("on: push\npermissions:\n  contents: read\njobs:\n  fn:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - run: supabase functions deploy\n        env:\n"
            f"          SUPABASE_SERVICE_KEY: \"{SERVICE_JWT}\"\n")
    r = run(project_of, {f"{WF}/fn.yml": text})
    assert of(r, "service-role-in-client") == []
    [f] = of(r, "service-role-key-committed")
    assert f.severity == Severity.CRITICAL and f.line == 10 and "CI" in f.message and "committed" in f.message
    assert SERVICE_JWT not in f.evidence + f.message


def test_secret_provider_keys_under_public_prefix(project_of: ProjectOf) -> None:
    for name in ("VITE_OPENAI_API_KEY", "NEXT_PUBLIC_ANTHROPIC_API_KEY", "VITE_GROQ_API_KEY", "REACT_APP_MISTRAL_KEY",
                 "EXPO_PUBLIC_COHERE_API_KEY", "VITE_REPLICATE_API_TOKEN", "VITE_HF_TOKEN",
                 "NEXT_PUBLIC_HUGGINGFACE_API_KEY", "VITE_SENDGRID_API_KEY", "VITE_TWILIO_AUTH_TOKEN",
                 "NEXT_PUBLIC_RESEND_API_KEY", "VITE_AWS_SECRET_ACCESS_KEY", "NEXT_PUBLIC_DATABASE_URL",
                 "VITE_STRIPE_SECRET_KEY"):
        assert secret_looking_public_name(name), name
    for name in ("VITE_STRIPE_PUBLISHABLE_KEY", "VITE_SUPABASE_ANON_KEY", "NEXT_PUBLIC_FIREBASE_API_KEY",
                 "VITE_ALGOLIA_SEARCH_KEY", "NEXT_PUBLIC_MAPBOX_TOKEN", "VITE_SENTRY_DSN", "NEXT_PUBLIC_POSTHOG_KEY",
                 "NEXT_PUBLIC_GA_ID", "VITE_RECAPTCHA_SITE_KEY", "VITE_OPENAI_MODEL", "VITE_TWILIO_ACCOUNT_SID"):
        assert not secret_looking_public_name(name), name
    files = {"package.json": '{"dependencies": {"vite": "5"}}',
             "src/lib/ask.ts": "fetch(u, {headers: {Authorization: `Bearer ${import.meta.env.VITE_OPENAI_API_KEY}`}})"
                               "\n",
             "src/config.ts": "export const k = import.meta.env.VITE_STRIPE_PUBLISHABLE_KEY\n"}
    r = run(project_of, files)
    [f] = of(r, "client-exposed-secret")
    assert (f.path, f.evidence, f.severity) == ("src/lib/ask.ts", "VITE_OPENAI_API_KEY", Severity.HIGH)
    assert r.status == Status.FAIL
