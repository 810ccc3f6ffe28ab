"""Stack detection: frameworks, databases, CI and deploy platforms, each with its evidence."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from handrail.core.project import Project
from handrail.core.stacks import Stacks, detect_stacks

ARTISAN = "#!/usr/bin/env php\n<?php\n\nuse Illuminate\\Foundation\\Application;\n"


def stacks(project_of: Callable[..., Project], files: dict[str, str | bytes]) -> Stacks:
    return detect_stacks(project_of(files))


@pytest.mark.parametrize(("files", "framework", "path", "line"), [
    ({"composer.json": json.dumps({"require": {"php": "^8.2", "laravel/framework": "^11"}}, indent=2)},
     "laravel", "composer.json", 4),
    ({"artisan": ARTISAN}, "laravel", "artisan", 4),
    ({"requirements.txt": "gunicorn\nDjango==5.0\n"}, "django", "requirements.txt", 2),
    ({"manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'x')\nfrom django.core import m\n"},
     "django", "manage.py", 3),
    ({"pyproject.toml": '[project]\nname = "api"\ndependencies = [\n  "flask>=3",\n]\n'}, "flask", "pyproject.toml", 4),
    ({"requirements/base.txt": "fastapi[all]==0.110\n"}, "fastapi", "requirements/base.txt", 1),
    ({"main.py": "import os\nfrom fastapi import FastAPI\napp = FastAPI()\n"}, "fastapi", "main.py", 2),
    ({"app.py": "from flask import Flask\n"}, "flask", "app.py", 1),
    ({"package.json": json.dumps({"dependencies": {"next": "14", "react": "18"}}, indent=2)}, "nextjs",
     "package.json", 3),
    ({"package.json": json.dumps({"dependencies": {"express": "^4"}}, indent=2)}, "express", "package.json", 3),
    ({"Gemfile": 'source "https://rubygems.org"\ngem "rails", "~> 7.1"\n'}, "rails", "Gemfile", 2),
    ({"config/application.rb": "module App\n  class Application < Rails::Application\n  end\nend\n"}, "rails",
     "config/application.rb", 2),
    ({"package.json": json.dumps({"dependencies": {"@supabase/supabase-js": "2"}}, indent=2)}, "supabase",
     "package.json", 3),
    ({"supabase/config.toml": "project_id = 'x'\n"}, "supabase", "supabase/config.toml", None),
    ({"prisma/schema.prisma": 'datasource db {\n  provider = "postgresql"\n}\n'}, "prisma", "prisma/schema.prisma",
     None),
    ({"firebase.json": "{}"}, "firebase", "firebase.json", None),
])
def test_framework_detection(project_of: Callable[..., Project], files: dict[str, str], framework: str,
                             path: str, line: int | None) -> None:
    st = stacks(project_of, files)
    assert framework in st.frameworks, st.frameworks
    loc = st.frameworks[framework]
    assert (loc.path, loc.line) == (path, line)
    assert st.has(framework) and framework in st.names()


@pytest.mark.parametrize("files", [
    {"artisan": "#!/bin/sh\necho 'my own artisan tool'\n"},
    {"requirements.txt": "django-environ\nflask-cors\npytest-django\n"},
    {"pyproject.toml": '[project]\nname = "x"\ndependencies = ["fastapi-utils"]\n'},
    {"requirements.txt": "# django\n"},
    {"tools/script.py": "print('flask is nice')\n"},
    {"tests/fixtures/app.py": "from flask import Flask\n", "package.json": "{}"},
    {"app.json": json.dumps({"expo": {"name": "mobile"}})},
    {"deploy.yml": "steps:\n  - run: echo\n"},
    {"config/deploy.rb": "# mina\nrequire 'mina/rails'\n"},
    {"k8s/notes.yaml": "title: not a manifest\n"},
])
def test_no_false_positives(project_of: Callable[..., Project], files: dict[str, str]) -> None:
    st = stacks(project_of, files)
    assert st.frameworks == {} and st.deploy == {}, st


@pytest.mark.parametrize(("files", "engine", "path", "line"), [
    ({".env.example": "APP_NAME=x\nDB_CONNECTION=pgsql\n"}, "postgresql", ".env.example", 2),
    ({".env.example": "DATABASE_URL=mysql://u@h/db\n"}, "mysql", ".env.example", 1),
    ({"prisma/schema.prisma": 'datasource db {\n  provider = "sqlite"\n}\n'}, "sqlite", "prisma/schema.prisma", 2),
    ({"config/database.php": "<?php\nreturn [\n  'default' => env('DB_CONNECTION', 'mysql'),\n];\n"}, "mysql",
     "config/database.php", 3),
    ({"app/settings.py": "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql'}}\n"}, "postgresql",
     "app/settings.py", 1),
    ({"requirements.txt": "psycopg2-binary==2.9\n"}, "postgresql", "requirements.txt", 1),
    ({"Gemfile": "gem 'pg'\n"}, "postgresql", "Gemfile", 1),
    ({"config/database.yml": "default: &default\n  adapter: mysql2\n"}, "mysql", "config/database.yml", 2),
    ({"package.json": json.dumps({"dependencies": {"mongoose": "8"}}, indent=2)}, "mongodb", "package.json", 3),
    ({"docker-compose.yml": "services:\n  db:\n    image: postgres:16\n"}, "postgresql", "docker-compose.yml", 3),
    ({"supabase/migrations/001.sql": "create table x();\n"}, "postgresql", "supabase/migrations/001.sql", None),
])
def test_database_detection(project_of: Callable[..., Project], files: dict[str, str], engine: str, path: str,
                            line: int | None) -> None:
    st = stacks(project_of, files)
    assert engine in st.databases, st.databases
    assert (st.databases[engine].path, st.databases[engine].line) == (path, line)


@pytest.mark.parametrize(("files", "ci", "path"), [
    ({".github/workflows/ci.yml": "on: push\n"}, "github-actions", ".github/workflows/ci.yml"),
    ({".gitlab-ci.yml": "test:\n  script: [x]\n"}, "gitlab-ci", ".gitlab-ci.yml"),
    ({".circleci/config.yml": "version: 2.1\n"}, "circleci", ".circleci/config.yml"),
    ({"bitbucket-pipelines.yml": "pipelines: {}\n"}, "bitbucket-pipelines", "bitbucket-pipelines.yml"),
    ({"Jenkinsfile": "pipeline {}\n"}, "jenkins", "Jenkinsfile"),
])
def test_ci_detection(project_of: Callable[..., Project], files: dict[str, str], ci: str, path: str) -> None:
    st = stacks(project_of, files)
    assert st.ci[ci].path == path


@pytest.mark.parametrize(("files", "platform", "path", "line"), [
    ({"vercel.json": "{}"}, "vercel", "vercel.json", None),
    ({"fly.toml": "app = 'x'\n"}, "fly", "fly.toml", None),
    ({"fly.staging.toml": "app = 'x'\n"}, "fly", "fly.staging.toml", None),
    ({"render.yaml": "services: []\n"}, "render", "render.yaml", None),
    ({"Procfile": "web: gunicorn app:app\n"}, "heroku", "Procfile", None),
    ({"app.json": '{\n  "name": "x",\n  "buildpacks": []\n}\n'}, "heroku", "app.json", 3),
    ({"railway.toml": "[build]\n"}, "railway", "railway.toml", None),
    ({"config/deploy.yml": "# kamal\nservice: app\nimage: me/app\n"}, "kamal", "config/deploy.yml", 2),
    ({"deploy.php": "<?php\nnamespace Deployer;\nrequire 'recipe/laravel.php';\n"}, "deployer", "deploy.php", 2),
    ({"Capfile": "require 'capistrano/setup'\n"}, "capistrano", "Capfile", None),
    ({"config/deploy.rb": "lock '~> 3.18'\nset :application, 'x'\n"}, "capistrano", "config/deploy.rb", 1),
    ({"docker-compose.yml": "services: {}\n"}, "docker-compose", "docker-compose.yml", None),
    ({"compose.prod.yaml": "services: {}\n"}, "docker-compose", "compose.prod.yaml", None),
    ({"Envoy.blade.php": "@servers(['web' => 'x'])\n"}, "envoy", "Envoy.blade.php", None),
    ({"deploy.sh": "#!/bin/sh\ncd /home/forge/example.com\ngit pull\n"}, "forge", "deploy.sh", 2),
    ({"deploy.sh": "#!/bin/sh\nrsync -a . server:/srv\n"}, "deploy-script", "deploy.sh", None),
    ({"k8s/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\n"}, "kubernetes", "k8s/deployment.yaml", 2),
    ({"charts/app/Chart.yaml": "name: app\n"}, "kubernetes", "charts/app/Chart.yaml", None),
    ({"netlify.toml": "[build]\n"}, "netlify", "netlify.toml", None),
])
def test_deploy_detection(project_of: Callable[..., Project], files: dict[str, str], platform: str, path: str,
                          line: int | None) -> None:
    st = stacks(project_of, files)
    assert platform in st.deploy, st.deploy
    assert (st.deploy[platform].path, st.deploy[platform].line) == (path, line)


def test_full_app_and_malformed_manifests(project_of: Callable[..., Project]) -> None:
    st = stacks(project_of, {
        "package.json": "{ not json", "composer.json": b"\x00binary", "Gemfile": "gem 'rails'\n",
        "fly.toml": "app = 'x'\n", ".github/workflows/deploy.yml": "on: push\n",
        "config/database.yml": "production:\n  adapter: postgresql\n",
    })
    assert set(st.names()) == {"rails", "postgresql", "github-actions", "fly"}


def test_project_caches_stacks(project_of: Callable[..., Project]) -> None:
    p = project_of({"requirements.txt": "django\n"})
    assert p.stacks is p.stacks
    assert p.parse_counts[("requirements.txt", "lines")] == 1


def test_fixture_and_example_manifests_are_not_the_app(project_of: Callable[..., Project]) -> None:
    st = stacks(project_of, {
        "pyproject.toml": '[project]\nname = "tool"\ndependencies = ["click"]\n',
        "tests/fixtures/laravel/composer.json": json.dumps({"require": {"laravel/framework": "11"}}),
        "tests/fixtures/next/package.json": json.dumps({"dependencies": {"next": "14"}}),
        "examples/shop/requirements.txt": "django\n", "tests/fixtures/dj/manage.py": "import django\n",
        "apps/web/package.json": json.dumps({"dependencies": {"express": "4"}}),
    })
    assert set(st.frameworks) == {"express"}
    assert st.frameworks["express"].path == "apps/web/package.json"
