"""The rollback check on real repositories built in tests (git, real workflow and platform files)."""

from __future__ import annotations

from platform_samples import DEPLOY_PHP, KAMAL, OPENCAL_FLY

from handrail.checks import all_rules
from handrail.checks.rollback import CHECK, MIGRATION_NOTE
from handrail.core.finding import Confidence, Location, Severity, Status
from handrail.core.project import Project
from handrail.pipeline.model import Job, PipelineModel, Step, StepKind, Trigger, Workflow
from handrail.pipeline.platforms import read_platforms


def _rules(result) -> list[str]:
    return sorted(f.rule for f in result.findings)


def _where(locs) -> set[tuple[str | None, int | None]]:
    return {(loc.path, loc.line) for loc in locs}


def test_check_metadata_and_rules_are_unique():
    assert CHECK.id == "rollback"
    for attr in ("question", "why", "fix", "good_example", "bad_example"):
        assert getattr(CHECK, attr) and getattr(CHECK, attr) != "TODO"
    ids = [r.id for r in CHECK.rules]
    assert len(ids) == len(set(ids))
    rules = all_rules()
    assert all(rules[i][0].id == "rollback" for i in ids)


def test_opencal_fly_bluegreen_auto_rollback_passes(project_of):
    result = CHECK.run(project_of({"fly.toml": OPENCAL_FLY}))
    assert result.status is Status.PASS
    assert {("fly.toml", 1), ("fly.toml", 7), ("fly.toml", 11)} <= _where(result.evidence)
    assert result.findings == []
    assert MIGRATION_NOTE in result.summary


def test_default_fly_warns_until_the_rollback_is_documented(project_of):
    fly = 'app = "shop"\n[http_service]\n  internal_port = 8080\n'
    result = CHECK.run(project_of({"fly.toml": fly}))
    assert result.status is Status.WARN
    assert [(f.rule, f.path, f.line) for f in result.findings] == [("rollback-undocumented", "fly.toml", 1)]

    runbook = ("# Runbook\n\n## Rollback\n\n```\nfly releases --image\n"
               "fly deploy --image registry.fly.io/shop:v41\n```\n")
    result = CHECK.run(project_of({"fly.toml": fly, "RUNBOOK.md": runbook}))
    assert result.status is Status.PASS
    assert ("RUNBOOK.md", 3) in _where(result.evidence)


def test_deployer_keep_releases_one_fails(project_of):
    result = CHECK.run(project_of({"deploy.php": DEPLOY_PHP}))
    assert result.status is Status.FAIL
    assert [(f.rule, f.path, f.line) for f in result.findings] == [("single-release-kept", "deploy.php", 7)]


def test_deployer_defaults_pass(project_of):
    result = CHECK.run(project_of({"deploy.php": DEPLOY_PHP.replace("set('keep_releases', 1);\n", "")}))
    assert result.status is Status.PASS
    assert any("dep rollback" in loc.note for loc in result.evidence)


SSH_GIT_PULL = """\
name: Deploy
on:
  push:
    branches: [main]
jobs:
  tests:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: php artisan test
  deploy:
    needs: tests
    runs-on: ubuntu-latest
    steps:
      - name: Deploy over ssh
        run: |
          echo "deploying"
          ssh deploy@example.com "cd /var/www/app && git pull origin main && php artisan migrate --force"
"""


def test_ssh_git_pull_deploy_fails_at_the_exact_line(project_of):
    result = CHECK.run(project_of({".github/workflows/deploy.yml": SSH_GIT_PULL}))
    assert result.status is Status.FAIL
    finding = next(f for f in result.findings if f.rule == "no-rollback-path")
    assert (finding.path, finding.line) == (".github/workflows/deploy.yml", 18)
    assert "git pull" in finding.message


def test_git_pull_on_the_runner_is_not_an_in_place_deploy_but_a_heredoc_is(project_of):
    runner = VERCEL_CI.replace("      - run: npx vercel",
                               "      - run: git pull --rebase origin main\n      - run: npx vercel")
    result = CHECK.run(project_of({".github/workflows/prod.yml": runner}))
    assert result.status is Status.PASS
    heredoc = SSH_GIT_PULL.replace(
        'ssh deploy@example.com "cd /var/www/app && git pull origin main && php artisan migrate --force"',
        "ssh deploy@example.com <<'EOF'\n            cd /var/www/app\n            git pull origin main\n"
        "          EOF")
    result = CHECK.run(project_of({".github/workflows/deploy.yml": heredoc}))
    assert result.status is Status.FAIL
    assert [(f.rule, f.line) for f in result.findings] == [("no-rollback-path", 20)]


def test_ci_job_running_a_release_directory_script_passes(project_of):
    wf = SSH_GIT_PULL.replace('ssh deploy@example.com "cd /var/www/app && git pull origin main && php artisan '
                              'migrate --force"', "ssh deploy@example.com 'bash -s' < scripts/deploy.sh")
    script = ("#!/bin/bash\nR=/srv/app/releases/$(date +%s)\ngit clone repo \"$R\"\n"
              "ln -sfn \"$R\" /srv/app/current\n")
    result = CHECK.run(project_of({".github/workflows/deploy.yml": wf, "scripts/deploy.sh": script}))
    assert result.status is Status.PASS, result.findings
    assert ("scripts/deploy.sh", 4) in _where(result.evidence)


def test_kamal_passes(project_of):
    result = CHECK.run(project_of({"config/deploy.yml": KAMAL, "Dockerfile": "FROM ruby\nCMD bin/thrust\n"}))
    assert result.status is Status.PASS
    assert any("kamal rollback" in loc.note for loc in result.evidence)


def test_no_deploy_path_is_unknown(project_of):
    result = CHECK.run(project_of({"README.md": "# lib\n", "Dockerfile": "FROM python\nCMD python app.py\n",
                                   "docker-compose.yml": "services:\n  db:\n    image: postgres:latest\n"}))
    assert result.status is Status.UNKNOWN
    assert "platform" in result.summary and result.findings == []


def test_script_wrapping_flyctl_without_fly_toml_warns(project_of):
    result = CHECK.run(project_of({"bin/deploy": "#!/bin/sh\nset -e\nfly deploy --remote-only\n"}))
    assert result.status is Status.WARN
    assert [(f.rule, f.path, f.line) for f in result.findings] == [("rollback-undocumented", "bin/deploy", 3)]


def test_procfile_for_foreman_is_not_a_deploy_path(project_of):
    result = CHECK.run(project_of({"Procfile": "web: bin/start-app\nredis: redis-server\n"}))
    assert result.status is Status.UNKNOWN


def test_malformed_platform_file_is_reported_not_raised(project_of):
    result = CHECK.run(project_of({"fly.toml": 'app = "x"\n[deploy\n'}))
    assert result.status is Status.UNKNOWN
    assert [(f.rule, f.path, f.line) for f in result.findings] == [("rollback-config-unreadable", "fly.toml", 2)]


def test_only_latest_images_in_a_production_compose_file_fail(project_of):
    compose = "services:\n  web:\n    image: ghcr.io/acme/web:latest\n"
    result = CHECK.run(project_of({"docker-compose.prod.yml": compose}))
    assert result.status is Status.FAIL
    assert [(f.rule, f.line, f.severity.value) for f in result.findings] == [("mutable-image-tag", 3, "high")]


def test_latest_somewhere_else_only_warns(project_of):
    result = CHECK.run(project_of({"vercel.json": "{}", "k8s/web.yaml":
                                   "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
                                   "  template:\n    spec:\n      containers:\n        - name: web\n"
                                   "          image: acme/web:latest\n",
                                   "README.md": "## Rolling back\nRun `kubectl rollout undo deployment/web`.\n"}))
    assert result.status is Status.WARN
    assert [(f.rule, f.path, f.line) for f in result.findings] == [("mutable-image-tag", "k8s/web.yaml", 10)]


def test_kubernetes_with_only_latest_images_fails(project_of):
    manifest = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
                "      containers:\n        - name: web\n          image: acme/web:latest\n")
    result = CHECK.run(project_of({"k8s/web.yaml": manifest}))
    assert result.status is Status.FAIL
    assert [(f.rule, f.line, f.severity.value) for f in result.findings] == [("mutable-image-tag", 10, "high")]


def test_revision_history_limit_zero_fails(project_of):
    manifest = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  revisionHistoryLimit: 0\n"
                "  template:\n    spec:\n      containers:\n        - name: web\n          image: acme/web:1.2.0\n")
    result = CHECK.run(project_of({"deploy/web.yaml": manifest}))
    assert result.status is Status.FAIL
    assert [(f.rule, f.line) for f in result.findings] == [("single-release-kept", 6)]


VERCEL_CI = """\
name: Production
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npx vercel deploy --prod --token ${{ secrets.VERCEL_TOKEN }}
"""


def test_vercel_ci_deploy_passes_on_the_platform_feature(project_of):
    result = CHECK.run(project_of({".github/workflows/prod.yml": VERCEL_CI}))
    assert result.status is Status.PASS
    loc = next(loc for loc in result.evidence if "Vercel" in loc.note)
    assert loc.path == ".github/workflows/prod.yml" and loc.line == 10 and "Hobby" in loc.note


HOOK_CI = VERCEL_CI.replace("npx vercel deploy --prod --token ${{ secrets.VERCEL_TOKEN }}",
                            'curl -X POST "${{ secrets.FORGE_DEPLOY_HOOK }}"')


def test_deploy_hook_with_nothing_else_warns_with_low_confidence(project_of):
    # a Forge hook hands the release to Forge, whose settings decide whether an earlier one can be restored
    result = CHECK.run(project_of({".github/workflows/prod.yml": HOOK_CI}))
    assert result.status is Status.WARN
    [finding] = result.findings
    assert (finding.rule, finding.line, finding.confidence) == ("no-rollback-path", 6, Confidence.LOW)
    assert finding.severity is Severity.MEDIUM and "forge" in finding.message


def test_plain_ssh_deploy_with_nothing_else_still_fails(project_of):
    ssh = VERCEL_CI.replace("npx vercel deploy --prod --token ${{ secrets.VERCEL_TOKEN }}",
                            "ssh deploy@app.example.com ./restart.sh")
    result = CHECK.run(project_of({".github/workflows/prod.yml": ssh}))
    assert result.status is Status.FAIL
    assert result.findings[0].severity is Severity.HIGH


FASTAPI_COMPOSE = """\
services:
  adminer:
    image: adminer
  backend:
    image: backend:latest
    build:
      context: .
"""


def test_third_party_latest_image_is_low_and_the_apps_own_image_decides(project_of):
    result = CHECK.run(project_of({"compose.yml": FASTAPI_COMPOSE, "compose.deploy.yml": "services: {}\n"}))
    assert result.status is Status.FAIL
    by_line = {f.line: f for f in result.findings if f.rule == "mutable-image-tag"}
    assert by_line[3].severity is Severity.LOW and "third-party" in by_line[3].message
    assert by_line[5].severity is Severity.HIGH
    # only the third-party image on :latest: the app image is pinned, so the path has a way back
    pinned = FASTAPI_COMPOSE.replace("backend:latest", "backend:1.4.2")
    result = CHECK.run(project_of({"compose.yml": pinned, "compose.deploy.yml": "services: {}\n"}))
    assert result.status is Status.PASS
    assert [(f.line, f.severity) for f in result.findings] == [(3, Severity.LOW)]


def test_image_pushed_by_ci_is_the_apps_own_even_without_build(project_of):
    compose = "services:\n  web:\n    image: ghcr.io/acme/web:latest\n  cache:\n    image: redis\n" \
              "  worker:\n    image: worker\n    build: .\n"
    push = ("name: Publish\non: push\njobs:\n  push:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - run: docker build -t ghcr.io/acme/web:latest . && docker push ghcr.io/acme/web:latest\n")
    result = CHECK.run(project_of({"docker-compose.prod.yml": compose, ".github/workflows/publish.yml": push}))
    web = next(f for f in result.findings if f.line == 3 and f.rule == "mutable-image-tag")
    redis = next(f for f in result.findings if f.line == 5)
    assert web.severity is Severity.HIGH and "third-party" not in web.message
    assert redis.severity is Severity.LOW


SCRIPT_CI = VERCEL_CI.replace("npx vercel deploy --prod --token ${{ secrets.VERCEL_TOKEN }}", "./scripts/deploy.sh")


def test_ci_job_running_a_vercel_deploy_script_gets_vercel_rollback(project_of):
    script = "#!/usr/bin/env bash\nset -e\nnpx vercel build --prod\nnpx vercel deploy --prebuilt --prod\n"
    result = CHECK.run(project_of({".github/workflows/prod.yml": SCRIPT_CI, "scripts/deploy.sh": script}))
    assert result.status is Status.PASS
    assert not result.findings
    assert any(loc.path == ".github/workflows/prod.yml" and "CI deploy job" in loc.note for loc in result.evidence)


def test_git_push_to_the_platform_branch_joins_the_platform(project_of):
    nightly = ("name: Deploy nightly\non:\n  push:\n    branches: [main]\njobs:\n  deploy:\n"
               "    runs-on: ubuntu-latest\n    steps:\n      - run: git push --force origin nightly\n")
    files = {".github/workflows/nightly.yml": nightly, "heroku.yml": "build:\n  docker:\n    web: Dockerfile\n"}
    result = CHECK.run(project_of(files))
    assert result.status is Status.PASS
    assert "heroku" in result.summary
    assert any(loc.path == ".github/workflows/nightly.yml" for loc in result.evidence)


def test_supabase_storage_site_upload_is_an_undocumented_redeploy(project_of):
    wf = VERCEL_CI.replace("npx vercel deploy --prod --token ${{ secrets.VERCEL_TOKEN }}",
                           "supabase storage upload website ./dist --recursive")
    result = CHECK.run(project_of({".github/workflows/prod.yml": wf}))
    assert result.status is Status.WARN
    assert [f.rule for f in result.findings] == ["rollback-undocumented"]


def test_manual_rollback_workflow_counts_as_evidence(project_of):
    rollback = ("name: Rollback\non:\n  workflow_dispatch:\n    inputs:\n      release:\n        required: true\n"
                "jobs:\n  rollback:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - run: curl -X POST \"$ROLLBACK_URL?release=${{ inputs.release }}\"\n")
    result = CHECK.run(project_of({".github/workflows/prod.yml": HOOK_CI,
                                   ".github/workflows/rollback.yml": rollback}))
    assert result.status is Status.PASS
    assert (".github/workflows/rollback.yml", 8) in _where(result.evidence)


def test_sha_tagged_images_are_rollback_evidence_for_image_deploys(project_of):
    wf = """\
name: Ship
on:
  push:
    branches: [main]
jobs:
  ship:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: |
          docker build -t ghcr.io/acme/web:${{ github.sha }} -t ghcr.io/acme/web:latest .
          docker push ghcr.io/acme/web:${{ github.sha }}
          docker push ghcr.io/acme/web:latest
      - run: kubectl set image deployment/web web=ghcr.io/acme/web:${{ github.sha }}
"""
    result = CHECK.run(project_of({".github/workflows/ship.yml": wf}))
    assert result.status is Status.PASS, [f.message for f in result.findings]
    assert any("immutable" in loc.note for loc in result.evidence)


def test_rollback_step_built_directly_in_the_model(project_of):
    """Until a provider parses a CI file, a model can be built by hand on a real repo."""
    project = project_of({"deploy.sh": "#!/bin/sh\nssh web1 ./remote-deploy\n"})
    deploy = Step(index=0, line=12, run="./deploy.sh", run_line=12, kinds={StepKind.DEPLOY}, deploy_tool="ssh")
    undo = Step(index=0, line=30, run="ssh web1 ./remote-rollback", kinds={StepKind.ROLLBACK}, deploy_tool="ssh",
                detail="ssh web1 ./remote-rollback", detail_line=30)
    wf = Workflow(provider="github", path=".github/workflows/deploy.yml", triggers=[Trigger("push", 3)],
                  jobs={"deploy": Job("deploy", ".github/workflows/deploy.yml", 8, steps=[deploy]),
                        "undo": Job("undo", ".github/workflows/deploy.yml", 25, steps=[undo])})
    model = PipelineModel(workflows=[wf], platforms=read_platforms(project))
    project.__dict__["pipeline"] = model  # replaces the cached property with this hand-built model
    result = CHECK.run(project)
    assert result.status is Status.PASS
    assert Location(".github/workflows/deploy.yml", 30, "rollback step in job undo: ssh web1 ./remote-rollback") \
        in result.evidence
    assert ("deploy.sh", 2) in _where(result.evidence)


def test_runs_through_the_real_pipeline_once(project_of):
    project: Project = project_of({"fly.toml": OPENCAL_FLY, ".github/workflows/deploy.yml": SSH_GIT_PULL})
    first = CHECK.run(project)
    CHECK.run(project)
    assert project.parse_counts[("fly.toml", "toml")] == 1
    assert first.status is Status.FAIL
    assert {f.rule for f in first.findings} == {"no-rollback-path"}


GITLAB_KAMAL = """\
stages: [test, deploy]

test:
  stage: test
  script:
    - bin/rails test

deploy:
  stage: deploy
  script:
    - gem install kamal
    - kamal deploy
  only:
    - main
"""


def test_gitlab_kamal_job_joins_the_kamal_config(project_of):
    result = CHECK.run(project_of({".gitlab-ci.yml": GITLAB_KAMAL, "config/deploy.yml": KAMAL}))
    assert result.status is Status.PASS
    where = _where(result.evidence)
    assert (".gitlab-ci.yml", 8) in where and ("config/deploy.yml", 1) in where
    assert "(1)" in result.summary  # the CI job joined the Kamal path instead of being a second one


def test_unparsed_workflow_keeps_rollback_from_passing(project_of):
    result = CHECK.run(project_of({"fly.toml": OPENCAL_FLY, ".github/workflows/broken.yml": "on: [push\n"}))
    assert result.status is Status.UNKNOWN and result.evidence
    assert not any(f.path == ".github/workflows/broken.yml" for f in result.findings)
    assert "not judged: .github/workflows/broken.yml" in result.summary
    assert ".;" not in result.summary and result.summary.endswith(MIGRATION_NOTE)


def test_unparsed_workflow_without_deploy_path_reads_cleanly(project_of):
    result = CHECK.run(project_of({"app.py": "x = 1\n", ".github/workflows/broken.yml": "on: [push\n"}))
    assert result.status is Status.UNKNOWN
    assert "rolled back; 1 CI file(s) cannot be parsed and were not judged: .github/workflows/broken.yml. " \
        in result.summary
    assert ".;" not in result.summary and result.summary.endswith(MIGRATION_NOTE)


# --- migration half ---------------------------------------------------------------------------
_FLY_OK = OPENCAL_FLY
_DROP = ("-- drop the legacy column\nALTER TABLE users DROP COLUMN legacy_token;\n")
_CREATE = "CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, legacy_token text);\n"
_MIGRATE_NO_BACKUP = """name: deploy
on: {push: {branches: [main]}}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npx prisma migrate deploy
      - run: flyctl deploy --remote-only
"""
_MIGRATE_WITH_BACKUP = _MIGRATE_NO_BACKUP.replace("      - run: npx prisma migrate deploy\n",
                                                  "      - run: handrail migrate --yes -- npx prisma migrate deploy\n")


def _mig_files(workflow: str) -> dict[str, str]:
    return {"fly.toml": _FLY_OK, ".github/workflows/deploy.yml": workflow,
            "prisma/schema.prisma": 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n',
            "prisma/migrations/20240101000000_init/migration.sql": _CREATE,
            "prisma/migrations/20240301000000_drop_token/migration.sql": _DROP}


def test_destructive_migration_without_a_backup_fails(project_of):
    result = CHECK.run(project_of(_mig_files(_MIGRATE_NO_BACKUP)))
    assert result.status is Status.FAIL
    drops = [f for f in result.findings if f.rule == "migration-destructive"]
    assert [(f.path, f.line, f.severity) for f in drops] == [
        ("prisma/migrations/20240301000000_drop_token/migration.sql", 2, Severity.HIGH)]
    assert "no backup runs before .github/workflows/deploy.yml:" in drops[0].message
    assert "1 destructive" in result.summary and "without a backup first" in result.summary
    assert "replay not run" in result.summary


def test_the_same_drop_behind_handrail_migrate_only_warns(project_of):
    result = CHECK.run(project_of(_mig_files(_MIGRATE_WITH_BACKUP)))
    assert result.status is Status.WARN
    drops = [f for f in result.findings if f.rule == "migration-destructive"]
    assert [(f.line, f.severity) for f in drops] == [(2, Severity.MEDIUM)]
    assert "backup is taken before every path" in drops[0].message
    assert ".github/workflows/deploy.yml" in {loc.path for loc in drops[0].related}
    assert "a backup precedes every path that runs them" in result.summary


def test_additive_migrations_keep_the_deploy_verdict(project_of):
    files = _mig_files(_MIGRATE_NO_BACKUP)
    files["prisma/migrations/20240301000000_drop_token/migration.sql"] = \
        "CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL);\n"
    result = CHECK.run(project_of(files))
    assert result.status is Status.PASS, result.findings
    assert "Migrations: 2 file(s) (prisma): 0 destructive" in result.summary
    assert ("prisma/migrations/20240101000000_init/migration.sql", 1) in _where(result.evidence)


def test_laravel_migration_without_down_warns_even_without_a_deploy_path(project_of):
    php = ("<?php\nuse Illuminate\\Database\\Migrations\\Migration;\nuse Illuminate\\Database\\Schema\\Blueprint;\n"
           "use Illuminate\\Support\\Facades\\Schema;\n\nreturn new class extends Migration {\n"
           "    public function up(): void\n    {\n        Schema::table('users', function (Blueprint $table) {\n"
           "            $table->string('plan')->nullable();\n        });\n    }\n};\n")
    result = CHECK.run(project_of({"artisan": "#!/usr/bin/env php\n", "composer.json": '{"require": {}}',
                                   "database/migrations/2024_01_01_000000_add_plan.php": php}))
    assert result.status is Status.WARN
    assert [(f.rule, f.path) for f in result.findings] == [
        ("migration-irreversible", "database/migrations/2024_01_01_000000_add_plan.php")]
    assert "No deploy path found" in result.summary and "1 without a way back" in result.summary


def test_migrations_added_long_before_head_are_history_listed_low(make_repo):
    import os

    from conftest import GIT_ENV, git

    files = _mig_files(_MIGRATE_NO_BACKUP)
    drop = files.pop("prisma/migrations/20240301000000_drop_token/migration.sql")
    root = make_repo(files)
    (root / "prisma/migrations/20240301000000_drop_token").mkdir(parents=True)
    (root / "prisma/migrations/20240301000000_drop_token/migration.sql").write_text(drop)
    old = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": "2024-03-01T12:00:00Z",
           "GIT_COMMITTER_DATE": "2024-03-01T12:00:00Z"}
    import subprocess

    subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=old)
    subprocess.run(["git", "commit", "-q", "-m", "drop token"], cwd=root, check=True, env=old)
    (root / "README.md").write_text("# shop\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "docs")  # HEAD is today: the drop is far behind it
    result = CHECK.run(Project(root))
    [drop_finding] = [f for f in result.findings if f.rule == "migration-destructive"]
    assert drop_finding.severity is Severity.LOW and "newest 2024-03-01" in drop_finding.message
    assert drop_finding.path == "prisma/migrations/20240301000000_drop_token/migration.sql" and drop_finding.line == 2
    assert result.status is Status.PASS
    assert "1 added more than 30 days before HEAD are treated as applied" in result.summary

    # the same file still uncommitted (edited) counts fully: it has not shipped in this form
    (root / "prisma/migrations/20240301000000_drop_token/migration.sql").write_text(drop + "-- again\n")
    result = CHECK.run(Project(root))
    assert result.status is Status.FAIL


def test_a_migration_git_pairs_as_a_rename_still_dates_from_its_own_add(make_repo):
    """saleor's 2017 "Fix migrations after rebase" renamed files: without --no-renames they looked never added,
    so 1,415 migrations from years ago counted as new."""
    import os
    import subprocess

    from conftest import GIT_ENV, git

    drop = "ALTER TABLE users DROP COLUMN legacy_token;\n-- " + "padding so git pairs the files\n" * 20
    files = _mig_files(_MIGRATE_NO_BACKUP)
    files["prisma/migrations/20240301000000_drop_token/migration.sql"] = drop
    old = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": "2024-03-01T12:00:00Z",
           "GIT_COMMITTER_DATE": "2024-03-01T12:00:00Z"}
    root = make_repo({})
    from conftest import write_tree

    write_tree(root, files)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=old)
    subprocess.run(["git", "commit", "-q", "-m", "init"], cwd=root, check=True, env=old)
    moved = root / "prisma/migrations/20240302000000_drop_token_fixed"
    moved.mkdir()
    (root / "prisma/migrations/20240301000000_drop_token/migration.sql").rename(moved / "migration.sql")
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=old)
    subprocess.run(["git", "commit", "-q", "-m", "fix migrations after rebase"], cwd=root, check=True, env=old)
    (root / "README.md").write_text("# shop\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "docs")
    result = CHECK.run(Project(root))
    assert [f.severity for f in result.findings if f.rule == "migration-destructive"] == [Severity.LOW]
    assert "2 added more than 30 days before HEAD" in result.summary
