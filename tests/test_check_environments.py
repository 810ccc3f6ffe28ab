"""environments: real settings, env files, start commands and workflows in real git repositories."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from handrail.checks.environments import CHECK, dev_server, placeholder
from handrail.core.config import Config, Environment
from handrail.core.finding import CheckResult, Confidence, Severity, Status
from handrail.core.project import Project

ProjectOf = Callable[..., Project]
WF = ".github/workflows"


def run(project_of: ProjectOf, files: dict[str, str | bytes], **kw: bool) -> CheckResult:
    return CHECK.run(project_of(files, **kw))


def of(result: CheckResult, rule: str) -> list:
    return [f for f in result.findings if f.rule == rule]


# --- Django ----------------------------------------------------------------------------------

DJANGO = """\
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = {secret}
DEBUG = {debug}
ALLOWED_HOSTS = {hosts}
INSTALLED_APPS = ["django.contrib.admin"]
"""
ENV_SECRET = 'os.environ["DJANGO_SECRET_KEY"]'
ENV_DEBUG = 'os.environ.get("DJANGO_DEBUG", "False") == "True"'
ENV_HOSTS = 'os.environ.get("ALLOWED_HOSTS", "").split(",")'


def django(secret: str = ENV_SECRET, debug: str = ENV_DEBUG, hosts: str = ENV_HOSTS) -> str:
    return DJANGO.format(secret=secret, debug=debug, hosts=hosts)


def test_django_literal_debug_insecure_key_wildcard_hosts(project_of: ProjectOf) -> None:
    key = "'django-insecure-abc123def456ghi789jkl012mno345pqr678'"
    r = run(project_of, {"shop/settings.py": django(secret=key, debug="True", hosts="['*']")})
    [debug] = of(r, "debug-in-production")
    [secret] = of(r, "insecure-secret-key")
    [hosts] = of(r, "wildcard-allowed-hosts")
    assert (debug.line, debug.severity) == (6, Severity.HIGH)
    assert (secret.line, secret.severity) == (5, Severity.HIGH)
    assert "abc123def456" not in secret.evidence and "r678" in secret.evidence
    assert (hosts.line, hosts.severity) == (7, Severity.MEDIUM)
    assert r.status == Status.FAIL


def test_django_settings_from_environment_pass(project_of: ProjectOf) -> None:
    r = run(project_of, {"shop/settings.py": django(), ".env.example": "DJANGO_SECRET_KEY=\n"})
    assert [f for f in r.findings if f.severity != Severity.INFO] == []
    assert r.status == Status.PASS
    assert any(e.path == "shop/settings.py" and e.line == 6 for e in r.evidence)


def test_django_debug_env_default_true_is_medium(project_of: ProjectOf) -> None:
    r = run(project_of, {"shop/settings.py": django(debug='env.bool("DEBUG", default=True)')})
    [f] = of(r, "debug-in-production")
    assert f.severity == Severity.MEDIUM and "defaults to True" in f.message
    r2 = run(project_of, {"shop/settings.py": django(debug='os.getenv("DEBUG", "1") == "1"')})
    assert [f.severity for f in of(r2, "debug-in-production")] == [Severity.MEDIUM]
    r3 = run(project_of, {"shop/settings.py": django(debug='envbool("DEBUG", "True")')})  # healthchecks' helper
    assert [f.severity for f in of(r3, "debug-in-production")] == [Severity.MEDIUM]


def test_django_hardcoded_secret_and_env_fallback(project_of: ProjectOf) -> None:
    r = run(project_of, {"shop/settings.py": django(secret="'k8#2mz!q9v@x7wl$3p0r&t5y'")})
    [f] = of(r, "insecure-secret-key")
    assert f.severity == Severity.HIGH and "k8#2mz!q9v@x7wl" not in f.evidence
    fallback = 'os.environ.get("SECRET_KEY", "django-insecure-fallbackfallbackfallback")'
    r2 = run(project_of, {"shop/settings.py": django(secret=fallback)})
    assert [f.severity for f in of(r2, "insecure-secret-key")] == [Severity.MEDIUM]


def test_django_dev_settings_may_debug_and_prod_override_wins(project_of: ProjectOf) -> None:
    files = {
        "config/settings/base.py": django(debug="True"),
        "config/settings/local.py": "from .base import *\nDEBUG = True\nALLOWED_HOSTS = ['*']\n",
        "config/settings/production.py": "from .base import *\nDEBUG = False\nALLOWED_HOSTS = ['shop.example.com']\n",
    }
    r = run(project_of, files)
    assert of(r, "debug-in-production") == [] and of(r, "wildcard-allowed-hosts") == []
    assert any(e.path == "config/settings/production.py" for e in r.evidence)


def test_django_empty_hosts_with_debug_off_is_low(project_of: ProjectOf) -> None:
    r = run(project_of, {"shop/settings.py": django(debug="False", hosts="[]")})
    [f] = of(r, "wildcard-allowed-hosts")
    assert f.severity == Severity.LOW


# --- Flask / Rails / Laravel ----------------------------------------------------------------------

FLASK_GUARDED = """\
from flask import Flask
app = Flask(__name__)

if __name__ == "__main__":
    app.run(debug=True)
"""


def test_flask_debug_guarded_is_low_unguarded_is_high(project_of: ProjectOf) -> None:
    r = run(project_of, {"app.py": FLASK_GUARDED, "Procfile": "web: gunicorn app:app\n"})
    [f] = of(r, "debug-in-production")
    assert f.severity == Severity.LOW and f.line == 5
    unguarded = FLASK_GUARDED.replace('if __name__ == "__main__":\n    ', "")
    r2 = run(project_of, {"app.py": unguarded})
    assert [(f.severity, f.line) for f in of(r2, "debug-in-production")] == [(Severity.HIGH, 4)]
    r3 = run(project_of, {"app.py": "from flask import Flask\napp = Flask(__name__)\napp.debug = True\n"})
    assert [f.severity for f in of(r3, "debug-in-production")] == [Severity.HIGH]


def test_flask_guard_does_not_help_when_production_runs_the_file(project_of: ProjectOf) -> None:
    r = run(project_of, {"app.py": FLASK_GUARDED, "Procfile": "web: python app.py\n"})
    [f] = of(r, "debug-in-production")
    assert f.severity == Severity.HIGH and "starts this file directly" in f.message


def test_rails_consider_all_requests_local(project_of: ProjectOf) -> None:
    prod = "Rails.application.configure do\n  config.consider_all_requests_local = {}\nend\n"
    r = run(project_of, {"config/environments/production.rb": prod.format("true")})
    [f] = of(r, "debug-in-production")
    assert f.line == 2 and f.severity == Severity.HIGH
    good = run(project_of, {"config/environments/production.rb": prod.format("false")})
    assert good.status == Status.PASS


def test_laravel_committed_env_with_debug_in_production(project_of: ProjectOf) -> None:
    env = ("APP_NAME=Shop\nAPP_ENV=production\nAPP_KEY=base64:Zm9vYmFyYmF6cXV4cXV1eGZvb2Jhcg==\nAPP_DEBUG=true\n"
           "DB_PASSWORD=s3cr3t-Pa55word\n")
    r = run(project_of, {".env": env, ".env.example": "APP_ENV=local\nAPP_DEBUG=true\nAPP_KEY=\n"})
    [debug] = of(r, "debug-in-production")
    [committed] = of(r, "committed-env-file")
    assert (debug.path, debug.line, debug.severity) == (".env", 4, Severity.HIGH)
    assert committed.severity == Severity.HIGH and "APP_KEY" in committed.message
    assert "s3cr3t-Pa55word" not in committed.evidence and "Zm9vYmFy" not in committed.evidence
    assert r.status == Status.FAIL


def test_env_templates_and_public_only_env_files_are_fine(project_of: ProjectOf) -> None:
    files = {
        ".env.example": "APP_KEY=\nDB_PASSWORD=changeme\nSTRIPE_SECRET_KEY=sk_test_your_key_here\n",
        ".env.sample": "DATABASE_URL=postgres://user:password@localhost:5432/app\n",
        ".env.production": "NEXT_PUBLIC_SITE_URL=https://shop.example.com\nNEXT_PUBLIC_SUPABASE_URL=https://x.supabase.co\n",
        ".env.test": "SECRET_KEY=test\nDATABASE_URL=postgres://postgres:postgres@localhost/test\n",
        "src/index.ts": "console.log(process.env.PORT)\n",
    }
    r = run(project_of, files)
    assert of(r, "committed-env-file") == [] and of(r, "missing-env-example") == []
    assert r.status == Status.PASS


def test_unignored_untracked_env_file_is_medium(project_of: ProjectOf) -> None:
    root = Path(project_of({".env.example": "X=\n"}).root)
    (root / ".env").write_text("STRIPE_SECRET_KEY=sk_live_abcdefghijklmnop1234\n")
    r = CHECK.run(Project(root))
    [f] = of(r, "committed-env-file")
    assert f.severity == Severity.MEDIUM and "not ignored" in f.message


def test_missing_env_example_is_low(project_of: ProjectOf) -> None:
    pkg = json.dumps({"dependencies": {"express": "4"}})
    src = "const port = process.env.PORT\nconst url = process.env.DATABASE_URL\n"
    r = run(project_of, {"server.js": src, "package.json": pkg, "scripts/seed.js": "process.env.SEED_TOKEN\n"})
    [f] = of(r, "missing-env-example")
    assert (f.path, f.line, f.severity, f.evidence) == ("server.js", 2, Severity.LOW, "reads DATABASE_URL")
    lib = run(project_of, {"tool.py": "import os\nTOKEN = os.environ['API_TOKEN']\n"})  # not an app: no framework
    assert of(lib, "missing-env-example") == []


# --- production start commands -------------------------------------------------------------------

def test_dev_servers_as_production_commands(project_of: ProjectOf) -> None:
    files = {
        "Procfile": "release: python manage.py migrate\nweb: python manage.py runserver 0.0.0.0:$PORT\n",
        "Procfile.dev": "web: bin/dev\n",
        "Dockerfile": "FROM node:20\nENV NODE_ENV=development\nCMD [\"npx\", \"next\", \"dev\"]\n",
        "Dockerfile.dev": "FROM node:20\nCMD npm run dev\n",
    }
    r = run(project_of, files)
    found = {(f.path, f.line, f.severity) for f in of(r, "dev-server-in-production")}
    assert found == {("Procfile", 2, Severity.HIGH), ("Dockerfile", 3, Severity.HIGH)}
    [env] = of(r, "debug-in-production")
    assert (env.path, env.line, env.evidence) == ("Dockerfile", 2, "NODE_ENV=development")


def test_npm_start_resolves_to_the_script(project_of: ProjectOf) -> None:
    pkg = json.dumps({"scripts": {"start": "vite --host", "build": "vite build"}})
    r = run(project_of, {"package.json": pkg, "Dockerfile": "FROM node:20\nRUN npm run build\nCMD npm start\n"})
    [f] = of(r, "dev-server-in-production")
    assert f.path == "Dockerfile" and f.line == 3 and "vite --host" in f.message
    ok = json.dumps({"scripts": {"start": "next start", "dev": "next dev"}})
    good = run(project_of, {"package.json": ok, "Dockerfile": "FROM node:20\nCMD npm start\n"})
    assert of(good, "dev-server-in-production") == []
    assert good.status == Status.PASS


def test_last_stage_and_healthcheck_continuations(project_of: ProjectOf) -> None:
    dockerfile = ("FROM python:3.12 AS dev\nCMD flask run --debug\n\nFROM python:3.12\nENV RAILS_ENV=production\n"
                  "HEALTHCHECK --interval=30s \\\n  CMD curl -f http://localhost/ || exit 1\n"
                  "CMD [\"gunicorn\", \"app:app\"]\n")
    r = run(project_of, {"Dockerfile": dockerfile})
    assert of(r, "dev-server-in-production") == [] and of(r, "debug-in-production") == []
    assert any(e.path == "Dockerfile" and e.line == 8 for e in r.evidence)


def test_fly_and_render_configs(project_of: ProjectOf) -> None:
    fly = "app = 'shop'\n[env]\n  NODE_ENV = 'development'\n[processes]\n  app = 'npm run dev'\n"
    render = ("services:\n  - type: web\n    name: api\n    startCommand: php artisan serve --host 0.0.0.0\n"
              "    envVars:\n      - key: APP_DEBUG\n        value: true\n")
    r = run(project_of, {"fly.toml": fly, "render.yaml": render})
    dev = {(f.path, f.line) for f in of(r, "dev-server-in-production")}
    assert dev == {("fly.toml", 5), ("render.yaml", 4)}
    debug = {(f.path, f.evidence) for f in of(r, "debug-in-production")}
    assert debug == {("fly.toml", "NODE_ENV=development"), ("render.yaml", "APP_DEBUG=true")}


def test_dev_server_classifier() -> None:
    assert dev_server("vite build") is None
    assert dev_server("vite") is not None
    assert dev_server("vite preview --port 80").severity == Severity.MEDIUM
    assert dev_server("next start") is None
    assert dev_server("gunicorn app:app") is None
    assert dev_server("bundle exec rails server -e production") is None
    assert dev_server("./bin/rails s").confidence == Confidence.LOW
    assert dev_server("./bin/rails s", 'ENV RAILS_ENV="production"') is None
    assert placeholder("your-secret-here") and placeholder("") and not placeholder("k8#2mz!q9v@x7wl")


# --- production databases in source --------------------------------------------------------------

def test_prod_db_dsn_with_password_is_high_and_redacted(project_of: ProjectOf) -> None:
    src = ('const db = new Pool({ connectionString: '  # handrail:ignore[prod-db-in-source] fake DSN
           '"postgresql://postgres:Sup3rS3cretPw@db.abcdefghijklmnopqrst.supabase.co:5432/postgres" })\n')
    r = run(project_of, {"src/db.ts": src, ".env.example": "DATABASE_URL=\n"})
    [f] = of(r, "prod-db-in-source")
    assert f.severity == Severity.HIGH and f.line == 1
    assert "Sup3rS3cretPw" not in f.evidence and "Sup3rS3cretPw" not in f.message
    assert f.evidence == "postgresql://***@db.abcdefghijklmnopqrst.supabase.co"


def test_prod_db_host_only_medium_placeholders_and_api_urls_ignored(project_of: ProjectOf) -> None:
    files = {
        "config/database.yml": "production:\n  host: mydb.c9akciq32.eu-west-1.rds.amazonaws.com\n",
        "README.md": "Set DATABASE_URL=postgres://postgres:[YOUR-PASSWORD]@db.abcdefghijklmnopqrst.supabase.co/db\n",
        ".env.example": "DATABASE_URL=postgres://u:p@ep-cool-name-123456.eu-central-1.aws.neon.tech/neondb\n",
        "src/supabase.ts": "export const url = 'https://abcdefghijklmnopqrst.supabase.co'\n",
    }
    r = run(project_of, files)
    assert [(f.path, f.severity) for f in of(r, "prod-db-in-source")] == [("config/database.yml", Severity.MEDIUM)]


# --- CI --------------------------------------------------------------------------------------------

DEPLOY = """\
on:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm ci && npm test
        env:
          DATABASE_URL: ${{{{ secrets.{db} }}}}
  deploy:
    needs: test
    runs-on: ubuntu-latest
{env}    steps:
      - uses: actions/checkout@v4
      - run: flyctl deploy --remote-only
        env:
          FLY_API_TOKEN: ${{{{ secrets.FLY_API_TOKEN }}}}
"""


def test_deploy_without_environment_and_tests_on_prod_db(project_of: ProjectOf) -> None:
    r = run(project_of, {f"{WF}/ci.yml": DEPLOY.format(db="PROD_DATABASE_URL", env="")})
    [dep] = of(r, "deploy-without-environment")
    assert (dep.line, dep.severity) == (14, Severity.MEDIUM)
    [tests] = of(r, "tests-use-prod-database")
    assert tests.severity == Severity.HIGH and tests.line == 13 and tests.evidence == "PROD_DATABASE_URL"
    assert r.status == Status.FAIL


def test_deploy_with_environment_is_evidence(project_of: ProjectOf) -> None:
    r = run(project_of, {f"{WF}/ci.yml": DEPLOY.format(db="TEST_DATABASE_URL", env="    environment: production\n")})
    assert r.findings == []
    assert r.status == Status.PASS
    assert any(e.line == 17 and "production" in e.note for e in r.evidence)


# --- evidence, status, bad input -----------------------------------------------------------------

def test_separation_files_and_config_environments_are_evidence(project_of: ProjectOf) -> None:
    root = Path(project_of({"config/deploy.staging.yml": "service: shop\n", "fly.production.toml": "app='x'\n"}).root)
    cfg = Config(environments={"staging": Environment(url="https://staging.example.com"),
                               "production": Environment(url="https://example.com")}, source="handrail.toml")
    r = CHECK.run(Project(root, cfg))
    assert r.status == Status.PASS
    notes = {(e.path, e.note) for e in r.evidence}
    assert ("config/deploy.staging.yml", "Kamal destination") in notes
    assert ("handrail.toml", "environment staging declared (https://staging.example.com)") in notes


def test_unknown_when_nothing_to_judge(project_of: ProjectOf) -> None:
    r = run(project_of, {"README.md": "# notes\n"})
    assert r.status == Status.UNKNOWN and "handrail.toml" in r.summary


def test_bad_input_gives_findings_not_tracebacks(project_of: ProjectOf) -> None:
    files: dict[str, str | bytes] = {
        "shop/settings.py": "DEBUG = (\n",
        "fly.toml": "app = [unclosed\n",
        "render.yaml": "services: [\n",
        "package.json": "{oops",
        ".env": b"\x00\x01binary\x02",
        "app.py": b"from flask import Flask\n# \xff\xfe debug\napp = Flask(__name__)\napp.run(debug=True)\n",
    }
    r = run(project_of, files)
    unparsed = {f.path for f in of(r, "environments-unparsed")}
    assert {"shop/settings.py", "fly.toml", "render.yaml"} <= unparsed
    assert [f.path for f in of(r, "debug-in-production")] == ["app.py"]


def test_outside_git_nothing_counts_as_committed(project_of: ProjectOf) -> None:
    r = run(project_of, {".env": "STRIPE_SECRET_KEY=sk_live_abcdefghijklmnop1234\n"}, git_init=False)
    assert of(r, "committed-env-file") == []


# --- refinements against false positives seen on real repositories -------------------------------

def test_env_file_with_only_settings_is_info_and_test_env_is_low(project_of: ProjectOf) -> None:
    files = {
        "scripts/docker/.env.production": "APP_NAME=Monica\nAPP_URL=https://monica.test\nDB_CONNECTION=mysql\n",
        "tests/.env.ci": "APP_KEY=base64:Zm9vYmFyYmF6cXV4cXV1eGZvb2Jhcg==\n",
        ".env.example": "APP_KEY=\n",
    }
    r = run(project_of, files)
    sev = {f.path: f.severity for f in of(r, "committed-env-file")}
    assert sev == {"scripts/docker/.env.production": Severity.INFO, "tests/.env.ci": Severity.LOW}
    assert r.status == Status.WARN


def test_dsn_with_password_in_env_value_counts_as_secret(project_of: ProjectOf) -> None:
    r = run(project_of, {".env.production": "DB=postgres://app:Xk29fjQ0pz8w@10.0.0.5:5432/app\n",
                         ".env.example": "DB=\n"})
    [f] = of(r, "committed-env-file")
    assert f.severity == Severity.HIGH and "Xk29fjQ0pz8w" not in f.evidence


def test_vite_spa_start_script_is_not_production_unless_a_platform_runs_it(project_of: ProjectOf) -> None:
    pkg = json.dumps({"scripts": {"start": "vite", "build": "vite build"}, "dependencies": {"vite": "5"}})
    spa = run(project_of, {"package.json": pkg, "netlify.toml": "[build]\ncommand = 'npm run build'\n"})
    assert of(spa, "dev-server-in-production") == []
    heroku = run(project_of, {"package.json": pkg, "app.json": '{"name": "x"}'})
    [f] = of(heroku, "dev-server-in-production")
    assert f.path == "package.json" and "npm start" in f.message


def test_long_minified_lines_are_fast(project_of: ProjectOf) -> None:
    import time

    blob = "a" * 200_000 + ".supabase.co " + "b." * 50_000
    p = project_of({"public/app.js": blob, "src/x.py": "x = 1\n"})
    t = time.perf_counter()
    CHECK.run(p)
    assert time.perf_counter() - t < 3


def test_tests_sharing_the_deploy_jobs_database_secret(project_of: ProjectOf) -> None:
    text = DEPLOY.format(db="DATABASE_URL", env="").replace(
        "FLY_API_TOKEN: ${{ secrets.FLY_API_TOKEN }}",
        "FLY_API_TOKEN: ${{ secrets.FLY_API_TOKEN }}\n          DATABASE_URL: ${{ secrets.DATABASE_URL }}")
    r = run(project_of, {f"{WF}/ci.yml": text})
    [f] = of(r, "tests-use-prod-database")
    assert f.line == 13 and f.confidence == Confidence.MEDIUM and "deploy" in f.message
    assert f.related and f.related[0].line == 22
    scoped_text = text.replace("    needs: test\n", "    needs: test\n    environment: production\n")
    scoped = run(project_of, {f"{WF}/ci.yml": scoped_text})
    assert of(scoped, "tests-use-prod-database") == []


def test_flask_debug_in_production_env_file(project_of: ProjectOf) -> None:
    r = run(project_of, {".env.production": "FLASK_DEBUG=1\n", ".env.example": "FLASK_DEBUG=0\n"})
    [f] = of(r, "debug-in-production")
    assert (f.path, f.line, f.evidence) == (".env.production", 1, "FLASK_DEBUG=1")
    dev = run(project_of, {".env.development": "FLASK_DEBUG=1\nFLASK_ENV=development\n", ".env.example": "X=\n"})
    assert of(dev, "debug-in-production") == []


def test_broken_ci_reader_keeps_the_file_half(project_of: ProjectOf, monkeypatch) -> None:
    import handrail.pipeline

    def boom(project: Project) -> None:
        raise RuntimeError("reader bug")

    monkeypatch.setattr(handrail.pipeline, "build_pipeline_model", boom)
    r = run(project_of, {"shop/settings.py": django(debug="True")})
    assert {f.rule for f in r.findings} == {"debug-in-production", "environments-unparsed"}


def test_non_django_settings_module_is_not_judged(project_of: ProjectOf) -> None:
    r = run(project_of, {"tool/settings.py": "DEBUG = True\nSECRET_KEY = 'k8#2mz!q9v@x7wl$3p0r&t5y'\n"})
    assert of(r, "debug-in-production") == [] and of(r, "insecure-secret-key") == []


def test_project_in_a_subfolder_of_the_repository(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"app/.env": "API_SECRET=Xk29fjQ0pz8wLm\n", "app/.env.example": "API_SECRET=\n",
                      "README.md": "monorepo\n"})
    r = CHECK.run(Project(root / "app"))
    [f] = of(r, "committed-env-file")
    assert f.path == ".env" and f.severity == Severity.HIGH


def test_prod_module_overrides_only_what_it_sets(project_of: ProjectOf) -> None:
    files = {
        "requirements.txt": "django==5.0\n",
        "config/settings/base.py": django(secret="'k8#2mz!q9v@x7wl$3p0r&t5y'", debug="True"),
        "config/settings/production.py": "from .base import *\nDEBUG = False\n",
    }
    r = run(project_of, files)
    assert of(r, "debug-in-production") == []
    [f] = of(r, "insecure-secret-key")
    assert f.path == "config/settings/base.py" and f.line == 5


def test_prod_override_inside_if_counts(project_of: ProjectOf) -> None:
    prod = ("import os\nfrom .base import *\nif 'DJANGO_SECRET_KEY' in os.environ:\n"
            "    SECRET_KEY = os.environ['DJANGO_SECRET_KEY']\nelse:\n    SECRET_KEY = os.urandom(32).hex()\n")
    files = {"requirements.txt": "django\n", "site/settings/base.py": django(secret="'k8#2mz!q9v@x7wl$3p0r&t5y'"),
             "site/settings/production.py": prod}
    assert of(run(project_of, files), "insecure-secret-key") == []


def test_production_compose_file_commands_and_environment(project_of: ProjectOf) -> None:
    prod = ("services:\n  web:\n    build: .\n    command: npm run dev\n    environment:\n"
            "      - NODE_ENV=development\n  worker:\n    command: node worker.js\n")
    local = "services:\n  web:\n    command: npm run dev\n"
    r = run(project_of, {"docker-compose.prod.yml": prod, "docker-compose.yml": local})
    assert [(f.path, f.line) for f in of(r, "dev-server-in-production")] == [("docker-compose.prod.yml", 4)]
    assert [(f.path, f.line) for f in of(r, "debug-in-production")] == [("docker-compose.prod.yml", 6)]


def test_unparsed_workflow_keeps_clean_settings_from_passing(project_of: ProjectOf) -> None:
    files = {"shop/settings.py": django(), ".env.example": "DJANGO_SECRET_KEY=\n",
             ".github/workflows/broken.yml": "on: [push\n"}
    r = run(project_of, files)
    assert r.status == Status.UNKNOWN and r.evidence
    assert not any(f.path == ".github/workflows/broken.yml" for f in r.findings)
    assert "cannot be parsed and were not judged: .github/workflows/broken.yml" in r.summary


# --- regressions from real public apps (2026-11-25) ----------------------------------------------

def test_deploy_job_that_can_never_run_is_not_judged(project_of: ProjectOf) -> None:
    for cond in ("false", "${{ false }}"):
        text = DEPLOY.format(db="TEST_DATABASE_URL", env=f"    if: {cond}\n")
        assert of(run(project_of, {f"{WF}/ci.yml": text}), "deploy-without-environment") == [], cond


def test_deploy_without_environment_names_the_secrets_it_exposes(project_of: ProjectOf) -> None:
    r = run(project_of, {f"{WF}/ci.yml": DEPLOY.format(db="TEST_DATABASE_URL", env="")})
    [dep] = of(r, "deploy-without-environment")
    assert "FLY_API_TOKEN" in dep.message and "secrets" in dep.message


def test_committed_production_env_with_real_looking_secrets_fails(project_of: ProjectOf) -> None:
    live = "sk_live_" + "corpusFAKEcorpusFAKE" + "corpusFAKE00"
    files = {".env.production": "VITE_API_URL=https://api.shop.example.com\n"
                                "DATABASE_URL=postgresql://shop:Shop-Fake-Pa55@db.abcdefghijklmnopqrst.supabase.co:5432/p\n"
                                f"STRIPE_SECRET_KEY={live}\n",
             ".env.example": "VITE_API_URL=\n"}
    r = run(project_of, files)
    [f] = of(r, "committed-env-file")
    assert f.severity == Severity.HIGH and f.path == ".env.production" and "STRIPE_SECRET_KEY" in f.message
    assert live not in f.evidence and live not in f.message
    assert r.status == Status.FAIL
    # obvious fillers stay quiet, even with a provider prefix
    quiet = run(project_of, {".env.production": "STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx\n"
                                                "OPENAI_API_KEY=sk-your-key-here\n", ".env.example": "A=\n"})
    assert [f.severity for f in of(quiet, "committed-env-file")] in ([], [Severity.INFO])
