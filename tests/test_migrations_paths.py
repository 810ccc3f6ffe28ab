"""migration_paths on real repositories built in tmp_path: which places run migrations against a deployed
database, and which backup runs before each."""

from __future__ import annotations

from handrail.migrations.paths import MigrationPath, migration_paths

HEAD = "name: Deploy\non:\n  push:\n    branches: [main]\njobs:\n"


def _where(paths: list[MigrationPath]) -> list[tuple[str, str | None, int | None, tuple | None]]:
    return [(p.kind, p.location.path, p.location.line,
             (p.backup.path, p.backup.line) if p.backup else None) for p in paths]


def test_cached_per_project(project_of):
    project = project_of({"Procfile": "release: python manage.py migrate\n"})
    first = migration_paths(project)
    assert migration_paths(project) is first
    assert _where(first) == [("release", "Procfile", 1, None)]
    assert first[0].environment == "heroku"
    assert first[0].command == "python manage.py migrate"


def test_backup_in_earlier_step_upstream_job_but_not_parallel_job(project_of):
    wf = HEAD + """\
  backup:
    runs-on: ubuntu-latest
    steps:
      - run: heroku pg:backups:capture --app shop
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: pg_dump "$DATABASE_URL" > x.sql
  migrate:
    needs: [backup]
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: heroku run php artisan migrate --force --app shop
  other:
    needs: [lint]
    runs-on: ubuntu-latest
    environment: staging
    steps:
      - run: php artisan migrate --force
  parallel:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: php artisan migrate --force
"""
    paths = migration_paths(project_of({".github/workflows/deploy.yml": wf}))
    assert _where(paths) == [
        ("ci", ".github/workflows/deploy.yml", 19, (".github/workflows/deploy.yml", 9)),
        ("ci", ".github/workflows/deploy.yml", 25, (".github/workflows/deploy.yml", 13)),
        ("ci", ".github/workflows/deploy.yml", 30, None),
    ]
    assert [p.environment for p in paths] == ["production", "staging", "production"]


def test_failed_or_optional_backups_do_not_count(project_of):
    wf = HEAD + """\
  deploy:
    runs-on: ubuntu-latest
    env:
      DATABASE_URL: ${{ secrets.DATABASE_URL }}
    steps:
      - run: pg_dump "$DATABASE_URL" > a.sql
        continue-on-error: true
      - if: failure()
        run: pg_dump "$DATABASE_URL" > b.sql
      - run: |
          pg_dump "$DATABASE_URL" > c.sql || true
          npx prisma migrate deploy
  off:
    if: false
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: npx prisma migrate deploy
"""
    paths = migration_paths(project_of({".github/workflows/deploy.yml": wf}))
    assert _where(paths) == [("ci", ".github/workflows/deploy.yml", 17, None)]


def test_handrail_migrate_is_its_own_backup(project_of):
    wf = HEAD + """\
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: handrail migrate --yes -- bundle exec rails db:migrate
"""
    (p,) = migration_paths(project_of({".github/workflows/deploy.yml": wf}))
    assert _where([p]) == [("ci", ".github/workflows/deploy.yml", 10, (".github/workflows/deploy.yml", 10))]
    assert "handrail migrate" in p.backup.note


def test_test_jobs_migrate_throwaway_databases(project_of):
    gha = """name: CI
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    services:
      db:
        image: mysql:8
    steps:
      - run: php artisan migrate --force
      - run: php artisan test
  sqlite:
    runs-on: ubuntu-latest
    env:
      DATABASE_URL: sqlite:///tmp/test.db
    steps:
      - run: python manage.py migrate
  unit:
    runs-on: ubuntu-latest
    steps:
      - run: python manage.py migrate && pytest
"""
    gitlab = """test:
  services: [postgres:16]
  script:
    - bundle exec rails db:migrate
    - bundle exec rspec
"""
    assert migration_paths(project_of({".github/workflows/ci.yml": gha, ".gitlab-ci.yml": gitlab})) == []


def test_ci_running_a_deploy_script_is_judged_once_with_the_jobs_backup(project_of):
    script = "#!/bin/sh\nset -e\nssh app@host 'cd /srv/app && php artisan migrate --force'\n"
    wf = HEAD + """\
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: mysqldump -h "$DB_HOST" shop > pre.sql
      - run: ./scripts/deploy.sh
"""
    paths = migration_paths(project_of({".github/workflows/deploy.yml": wf, "scripts/deploy.sh": script}))
    assert _where(paths) == [("deploy-script", "scripts/deploy.sh", 3, (".github/workflows/deploy.yml", 9))]


def test_standalone_deploy_script_and_npm_alias(project_of):
    script = "#!/bin/bash\nset -e\nrsync -a ./ app@host:/srv/api\nssh app@host 'cd /srv/api && npm run migrate'\n"
    pkg = '{"scripts": {"migrate": "node-pg-migrate up", "start": "node server.js"}}\n'
    (p,) = migration_paths(project_of({"deploy.sh": script, "package.json": pkg}))
    assert (p.kind, p.location.path, p.location.line, p.backup) == ("deploy-script", "deploy.sh", 4, None)
    assert "node-pg-migrate up" in p.command


def test_release_command_following_a_repository_script(project_of):
    fly = 'app = "opencal"\n\n[deploy]\n  release_command = "bin/release"\n'
    release = "#!/usr/bin/env bash\nset -e\nbin/backup-now\nbundle exec rails db:migrate\n"
    paths = migration_paths(project_of({"fly.toml": fly, "bin/release": release}))
    assert _where(paths) == [("release", "bin/release", 4, ("bin/release", 3))]
    assert paths[0].environment == "fly"


def test_rails_docker_entrypoint_migrates_on_boot(project_of):
    dockerfile = ('FROM ruby:3.3-slim\nWORKDIR /rails\nCOPY . .\nENTRYPOINT ["/rails/bin/docker-entrypoint"]\n'
                  'CMD ["./bin/thrust", "./bin/rails", "server"]\n')
    entry = ('#!/bin/bash -e\nif [ "${@: -2:1}" == "./bin/rails" ] && [ "${@: -1:1}" == "server" ]; then\n'
             '  ./bin/rails db:prepare\nfi\n\nexec "${@}"\n')
    paths = migration_paths(project_of({"Dockerfile": dockerfile, "bin/docker-entrypoint": entry,
                                        "Dockerfile.dev": 'FROM ruby:3.3\nCMD ["bin/rails", "db:migrate"]\n'}))
    assert _where(paths) == [("container", "bin/docker-entrypoint", 3, None)]


def test_app_json_predeploy_counts_postdeploy_does_not(project_of):
    app = ('{\n  "name": "shop",\n  "scripts": {\n    "postdeploy": "bin/rails db:schema:load db:seed",\n'
           '    "predeploy": "bin/rails db:migrate"\n  },\n  "addons": ["heroku-postgresql"]\n}\n')
    assert _where(migration_paths(project_of({"app.json": app}))) == [("release", "app.json", 5, None)]


def test_compose_deploy_file_command(project_of):
    prod = """services:
  web:
    build: .
    command: sh -c "python manage.py migrate && gunicorn app.wsgi"
  db:
    image: postgres:16.3
"""
    dev = "services:\n  web:\n    build: .\n    command: python manage.py migrate\n"
    paths = migration_paths(project_of({"docker-compose.prod.yml": prod, "docker-compose.dev.yml": dev}))
    assert _where(paths) == [("container", "docker-compose.prod.yml", 4, None)]
    assert paths[0].environment == "compose: web"


DEPLOYER = """<?php
namespace Deployer;

require 'recipe/{recipe}.php';

host('example.com')->set('deploy_path', '/var/www/app');
{extra}
"""


def test_deployer_variants(project_of):
    def paths(recipe: str, extra: str) -> list:
        return _where(migration_paths(project_of({"deploy.php": DEPLOYER.format(recipe=recipe, extra=extra)})))

    assert paths("laravel", "") == [("deployer", "deploy.php", 4, None)]
    # the recipe's migration switched off, or a deploy task without it: nothing migrates
    assert paths("laravel", "task('artisan:migrate')->disable();") == []
    assert paths("laravel", "task('deploy', ['deploy:prepare', 'deploy:vendors', 'deploy:publish']);") == []
    # a generic recipe migrating through a hook, after a backup hooked earlier in the flow
    assert paths("common", "task('db:snapshot', function () {\n    run('pg_dump app > /tmp/pre.sql');\n});\n"
                           "after('deploy:update_code', 'db:snapshot');\n"
                           "after('deploy:vendors', 'artisan:migrate');\n") == [
        ("deployer", "deploy.php", 11, ("deploy.php", 8))]
    # artisan:migrate overridden to go through handrail
    override = ("task('artisan:migrate', function () {\n"
                "    run('cd {{release_path}} && handrail migrate -- {{bin/php}} artisan migrate --force');\n});\n")
    assert paths("laravel", override) == [("deployer", "deploy.php", 8, ("deploy.php", 8))]


def test_package_lifecycle_scripts_only(project_of):
    pkg = ('{\n  "scripts": {\n    "db:deploy": "prisma migrate deploy",\n'
           '    "vercel-build": "npm run db:deploy && next build",\n    "migrate:dev": "prisma migrate dev"\n  }\n}\n')
    paths = migration_paths(project_of({"package.json": pkg}))
    assert _where(paths) == [("package-script", "package.json", 4, None)]
    assert paths[0].command == "npm run db:deploy"


def test_dockerfile_cmd_runs_a_script_the_image_copied(project_of):
    dockerfile = ("FROM node:22 AS build\nWORKDIR /app\nCOPY . .\n\nFROM node:22-slim\nWORKDIR /app/apps/web\n"
                  "COPY --from=build /app /app\nCOPY ./docker/start.sh ./start.sh\nCMD [\"sh\", \"start.sh\"]\n")
    start = "#!/bin/sh\nset -e\nnpx prisma migrate deploy --schema ../../prisma/schema.prisma\nnode server.js\n"
    paths = migration_paths(project_of({"docker/Dockerfile": dockerfile, "docker/start.sh": start}))
    assert _where(paths) == [("container", "docker/start.sh", 3, None)]


def test_npm_run_all_and_node_scripts_are_followed(project_of):
    pkg = ('{\n  "scripts": {\n    "build": "next build",\n    "start-docker": "npm-run-all check-db start-server",\n'
           '    "check-db": "node scripts/check-db.js",\n    "start-server": "node server.js"\n  }\n}\n')
    check = ("const { execSync } = require('child_process');\n\nif (!process.env.SKIP_DB_MIGRATION) {\n"
             "  console.log(execSync('prisma migrate deploy').toString());\n}\n")
    dockerfile = 'FROM node:22-slim\nWORKDIR /app\nCOPY . .\nCMD ["pnpm", "start-docker"]\n'
    (p,) = migration_paths(project_of({"package.json": pkg, "scripts/check-db.js": check, "Dockerfile": dockerfile}))
    assert (p.kind, p.location.path, p.location.line) == ("container", "Dockerfile", 4)
    assert p.command == "pnpm start-docker -> npm run check-db -> prisma migrate deploy"


def test_a_deploy_job_preparing_its_test_database_is_not_a_path(project_of):
    wf = HEAD + """\
  build-test-deploy:
    runs-on: ubuntu-latest
    steps:
      - run: php artisan migrate --force
      - run: php artisan test
      - run: ssh deploy@host 'cd /srv/app && git pull && php artisan migrate --force'
  other:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: RAILS_ENV=test bin/rails db:migrate
"""
    paths = migration_paths(project_of({".github/workflows/deploy.yml": wf}))
    assert _where(paths) == [("ci", ".github/workflows/deploy.yml", 11, None)]
