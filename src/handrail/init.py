"""`handrail init`: a starter handrail.toml (and optionally a CI workflow) for the detected stack.

Never clobbers: an existing file is left alone and reported, unless --force, which keeps a
`.bak` copy first. Guesses (URLs, branches, deploy commands) are written as comments or
clearly marked placeholders, so the generated files never claim a safeguard that is not
really there; what is active (fail_on, public routes, the workflow's test -> deploy ->
smoke order) is true of the stack as detected.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from handrail.checks import CHECK_IDS
from handrail.core.files import display_path

if TYPE_CHECKING:
    from handrail.core.files import FileIndex
    from handrail.core.project import Project

WORKFLOW_PATH = ".github/workflows/handrail-ci.yml"


class InitError(Exception):
    """One line for the CLI: a file could not be written."""


@dataclass(frozen=True)
class StackProfile:
    """What the templates need to know about one framework."""

    name: str
    language: str  # python | php | node | ruby | unknown
    local_url: str
    health_path: str
    public_routes: tuple[str, ...]
    database_env: str = "DATABASE_URL"


PROFILES = {
    "laravel": StackProfile("laravel", "php", "http://localhost:8000", "/up",
                            ("/", "/login", "/register", "/forgot-password", "/reset-password/*", "/up"), "DB_URL"),
    "django": StackProfile("django", "python", "http://localhost:8000", "/health",
                           ("/", "/accounts/login/", "/accounts/password_reset/", "/health")),
    "flask": StackProfile("flask", "python", "http://localhost:5000", "/health", ("/", "/login", "/health")),
    "fastapi": StackProfile("fastapi", "python", "http://localhost:8000", "/health",
                            ("/", "/health", "/token", "/login")),
    "rails": StackProfile("rails", "ruby", "http://localhost:3000", "/up",
                          ("/", "/session/new", "/passwords/new", "/up")),
    "nextjs": StackProfile("nextjs", "node", "http://localhost:3000", "/api/health",
                           ("/", "/login", "/signup", "/api/health")),
    "express": StackProfile("express", "node", "http://localhost:3000", "/health", ("/", "/login", "/health")),
}
FALLBACK = StackProfile("unknown", "unknown", "http://localhost:8000", "/health", ("/", "/health"))
# Frameworks in order of preference when several are detected (a Next.js app with Prisma is "nextjs").
PREFERENCE = ("laravel", "rails", "django", "fastapi", "flask", "nextjs", "express")


def profile_for(project: Project) -> StackProfile:
    frameworks = project.stacks.frameworks
    for name in PREFERENCE:
        if name in frameworks:
            return PROFILES[name]
    if "supabase" in frameworks or "prisma" in frameworks:
        return PROFILES["nextjs"] if "package.json" in project.files else FALLBACK
    return FALLBACK


def run_init(project: Project, ci: str | None = None, force: bool = False) -> Iterator[str]:
    """Write the files; yield one line per file saying what happened."""
    try:
        project.stacks  # noqa: B018 - detect once up front; a failure falls back to generic templates
    except Exception as exc:
        from handrail.core.stacks import Stacks

        project.__dict__["stacks"] = Stacks()
        yield f"stack detection failed ({exc.__class__.__name__}); writing generic templates"
    profile = profile_for(project)
    yield _write(project.root, "handrail.toml", config_text(project, profile), force)
    if ci == "github":
        existing = [p for p in project.files.glob(".github/workflows/*.yml", ".github/workflows/*.yaml")
                    if p != WORKFLOW_PATH]
        yield _write(project.root, WORKFLOW_PATH, workflow_text(project, profile), force)
        if existing:
            more = f" (+{len(existing) - 3} more)" if len(existing) > 3 else ""
            shown = ", ".join(display_path(p) for p in existing[:3]) + more
            yield (f"note: this repository already has workflows ({shown}); if one of them deploys, keep a single "
                   f"deploy path: merge the test/smoke steps into it or delete one deploy job")
    elif ci is not None:
        raise InitError(f"--ci {ci}: unsupported CI provider (supported: github)")


def _write(root: Path, rel: str, content: str, force: bool) -> str:
    target = root / rel
    if target.exists() or target.is_symlink():
        if not force:
            return f"{rel}: exists, left unchanged (use --force to replace it; a .bak copy is kept)"
        if target.is_dir():
            raise InitError(f"{rel}: is a directory; not replacing it")
        backup = target.with_name(target.name + ".bak")
        try:
            shutil.copy2(target, backup, follow_symlinks=False)
        except OSError as exc:
            raise InitError(f"{rel}: cannot keep a backup copy: {exc.strerror or exc}") from exc
        verb = f"replaced (previous version kept as {rel}.bak)"
    else:
        verb = "written"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".handrail-tmp")
        tmp.write_text(content, "utf-8")
        if target.is_symlink():
            target.unlink()
        tmp.replace(target)
    except OSError as exc:
        raise InitError(f"{rel}: cannot write: {exc.strerror or exc}") from exc
    return f"{rel}: {verb}"


# --- handrail.toml ----------------------------------------------------------------------------
def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _detected(project: Project) -> str:
    st = project.stacks
    parts = []
    for label, found in (("frameworks", st.frameworks), ("databases", st.databases), ("deploy", st.deploy),
                         ("ci", st.ci)):
        if found:
            parts.append(f"{label}: " + ", ".join(f"{name} ({display_path(loc.path or '-')})"
                                                  for name, loc in found.items()))
    return "; ".join(parts) or "nothing recognised (generic defaults)"


def config_text(project: Project, profile: StackProfile) -> str:
    """A handrail.toml that loads as is; every commented `key = value` line is valid when uncommented."""
    branch = _default_branch(project)
    db_env = profile.database_env
    checks = "\n".join(f"# {cid} = true" for cid in CHECK_IDS)
    routes = ", ".join(_toml_str(r) for r in profile.public_routes)
    detected = re.sub(r"[\r\n]+", " ", _detected(project))
    return f"""\
# handrail.toml: settings for `handrail check` (written by `handrail init`).
# Detected: {detected}
# Secrets never go in this file: environments name the environment VARIABLE that holds a URL or
# credential (e.g. database_url_env = "DATABASE_URL"), never the value itself.

# `handrail check` exits 1 when a finding is at or above this severity: critical, high, medium, low.
fail_on = "high"

# Paths Handrail should not read: folder prefixes or glob patterns, relative to this file.
exclude = [
  # "legacy/",
  # "**/*.min.js",
]

# Every check runs by default; set one to false to turn it off (say why in a comment).
[checks]
{checks}

# Change the severity of one rule (see `handrail explain CHECK` for rule ids) or of a whole check.
[severity]
# "agent-log" = "low"

# Where the app runs. url is the public address; *_env are names of environment variables.
# [environments.local]
# url = "{profile.local_url}"
# database_url_env = "{db_env}"

# [environments.staging]
# url = "https://staging.example.com"
# database_url_env = "STAGING_{db_env}"
# branch = "staging"

# [environments.production]
# url = "https://example.com"
# database_url_env = "{db_env}"
# branch = "{branch}"
# protected = true

# Routes meant to be reachable without logging in ({profile.name} defaults); every other route is
# expected to require authentication. The health check is {profile.health_path}.
[routes]
public = [{routes}]

# Database backups taken by `handrail migrate` and `handrail backup`. They must live outside the repository:
# by default $XDG_DATA_HOME/handrail/backups (or HANDRAIL_BACKUP_DIR).
[backups]
# dir = "/var/backups/handrail"
# keep = 10

# `handrail migrations replay` (and `check --deep`) applies SQL migrations itself; for framework migrations it
# runs the framework's command against a scratch database. Set the command here to override it.
# [migrations]
# replay = "php artisan migrate --force"
"""


def _default_branch(project: Project) -> str:
    """The branch production deploys from: origin's default, else main/master, else the current branch."""
    candidates: list[str] = []
    try:
        if project.git.toplevel is not None:
            out = project.git.run("symbolic-ref", "--quiet", "refs/remotes/origin/HEAD", check=False)
            ref = out.decode("utf-8", "replace").strip()
            if ref.startswith("refs/remotes/origin/"):
                candidates.append(ref.removeprefix("refs/remotes/origin/"))
            heads = project.git.run("for-each-ref", "--format=%(refname:short)", "refs/heads", check=False)
            local = heads.decode("utf-8", "replace").split()
            candidates += [b for b in ("main", "master") if b in local]
            if project.git_facts.branch:
                candidates.append(project.git_facts.branch)
    except Exception:  # git facts are a nicety here; a broken repository still gets a config
        candidates = []
    for branch in candidates:
        if re.fullmatch(r"[A-Za-z0-9._/-]{1,100}", branch):
            return branch
    return "main"


# --- GitHub Actions workflow --------------------------------------------------------------------
def workflow_text(project: Project, profile: StackProfile) -> str:
    branch = _default_branch(project)
    test_job = _test_job(project, profile)
    deploy_steps = _deploy_steps(project)
    # Heroku refuses pushes from a shallow clone.
    depth = "\n          fetch-depth: 0" if "heroku" in _deploy_platform(project) else ""
    health = profile.health_path
    return f"""\
# Written by `handrail init --ci github`. Order: test -> deploy (only after tests pass, only from
# {branch}) -> smoke test the deployed app; handrail's checklist is uploaded to code scanning.
# Set the repository variable PRODUCTION_URL (Settings > Secrets and variables > Actions > Variables)
# and the deploy secrets named below, then edit the step marked EDIT ME.
name: handrail-ci

on:
  push:
    branches: [{branch}]
  pull_request:

# Least privilege: read-only by default; jobs ask for more only where they need it.
permissions:
  contents: read

concurrency:
  group: ${{{{ github.workflow }}}}-${{{{ github.ref }}}}
  cancel-in-progress: ${{{{ github.event_name == 'pull_request' }}}}

jobs:
{test_job}
  handrail:
    name: Handrail checklist
    runs-on: ubuntu-latest
    permissions:
      contents: read
      security-events: write  # upload the SARIF report to code scanning
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install handrail
        run: python -m pip install handrail
      - name: Run handrail
        run: handrail check . --format sarif --output handrail.sarif --fail-on critical
      - name: Upload SARIF
        if: ${{{{ !cancelled() && hashFiles('handrail.sarif') != '' }}}}
        uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: handrail.sarif
          category: handrail

  deploy:
    name: Deploy to production
    needs: [test]
    if: ${{{{ github.event_name == 'push' && github.ref == 'refs/heads/{branch}' }}}}
    runs-on: ubuntu-latest
    environment:
      name: production
      url: ${{{{ vars.PRODUCTION_URL }}}}
    concurrency:
      group: production
      cancel-in-progress: false
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false{depth}
{deploy_steps}
      - name: Smoke test after deploy
        env:
          APP_URL: ${{{{ vars.PRODUCTION_URL }}}}
        run: |
          test -n "$APP_URL" || {{ echo "Set the PRODUCTION_URL repository variable"; exit 1; }}
          curl --fail --silent --show-error --location --retry 10 --retry-delay 6 --retry-all-errors \\
            --max-time 10 "${{APP_URL%/}}{health}"
          curl --fail --silent --show-error --location --max-time 10 --output /dev/null "${{APP_URL%/}}/"
"""


def _test_job(project: Project, profile: StackProfile) -> str:
    files = project.files
    lang = profile.language
    if lang == "unknown":
        lang = ("node" if "package.json" in files else "python" if files.named("requirements.txt", "pyproject.toml")
                else "php" if "composer.json" in files else "ruby" if "Gemfile" in files else "unknown")
    services, env = _db_service(project, lang)
    if lang == "python":
        install = ("python -m pip install -r requirements.txt" if "requirements.txt" in files
                   else "python -m pip install -e '.[test]' || python -m pip install -e .")
        if profile.name == "django" and not _mentions(project, "pytest"):
            run = "python manage.py test"
        else:
            run = "python -m pytest"
        steps = f"""\
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
          cache: pip
      - name: Install dependencies
        run: |
          {install}
          python -m pip install pytest
      - name: Run tests
        run: {run}"""
    elif lang == "php":
        steps = """\
      - uses: shivammathur/setup-php@v2
        with:
          php-version: "8.3"
          coverage: none
      - name: Install dependencies
        run: composer install --no-interaction --prefer-dist --no-progress
      - name: Prepare environment
        run: |
          cp .env.example .env
          php artisan key:generate
      - name: Run tests
        run: php artisan test"""
    elif lang == "node":
        manager, install, test = _node_commands(files)
        setup_pm = "      - uses: pnpm/action-setup@v4\n" if manager == "pnpm" else ""
        steps = f"""\
{setup_pm}      - uses: actions/setup-node@v4
        with:
          node-version: "20"
          cache: {manager}
      - name: Install dependencies
        run: {install}
      - name: Run tests
        run: {test}"""
    elif lang == "ruby":
        steps = """\
      - uses: ruby/setup-ruby@v1
        with:
          bundler-cache: true
      - name: Prepare database
        env:
          RAILS_ENV: test
        run: bin/rails db:prepare
      - name: Run tests
        env:
          RAILS_ENV: test
        run: bin/rails test"""
    else:
        steps = """\
      - name: Run tests
        # EDIT ME: no test runner was detected; replace with the command that runs your tests.
        run: |
          echo "No test command configured: edit .github/workflows/handrail-ci.yml" >&2
          exit 1"""
    job = "  test:\n    name: Tests\n    runs-on: ubuntu-latest\n"
    if services:
        job += services
    if env:
        job += env
    job += "    steps:\n      - uses: actions/checkout@v4\n        with:\n          persist-credentials: false\n"
    return job + steps + "\n"


def _mentions(project: Project, word: str) -> bool:
    for name in ("requirements.txt", "requirements-dev.txt", "pyproject.toml", "setup.cfg", "Pipfile"):
        if name in project.files and word in (project.text(name) or "").lower():
            return True
    return False


def _node_commands(files: FileIndex) -> tuple[str, str, str]:
    names = set(files.paths())
    if "pnpm-lock.yaml" in names:
        return "pnpm", "pnpm install --frozen-lockfile", "pnpm test"
    if "yarn.lock" in names:
        return "yarn", "yarn install --frozen-lockfile", "yarn test"
    if "package-lock.json" in names:
        return "npm", "npm ci", "npm test"
    return "npm", "npm install", "npm test"


def _db_service(project: Project, lang: str) -> tuple[str, str]:
    """A throwaway database for the test job; passwordless so no credential is written into the repository."""
    dbs = project.stacks.databases
    if "postgresql" in dbs and "supabase" not in project.stacks.frameworks:
        services = """\
    services:
      postgres:
        image: postgres:16
        env:
          POSTGRES_DB: app_test
          POSTGRES_HOST_AUTH_METHOD: trust
        ports: ["5432:5432"]
        options: >-
          --health-cmd "pg_isready -U postgres" --health-interval 5s --health-timeout 5s --health-retries 10
"""
        if lang == "php":
            env = ("    env:\n      DB_CONNECTION: pgsql\n      DB_HOST: 127.0.0.1\n      DB_PORT: 5432\n"
                   "      DB_DATABASE: app_test\n      DB_USERNAME: postgres\n")
        else:
            env = "    env:\n      DATABASE_URL: postgres://postgres@localhost:5432/app_test\n"
        return services, env
    if lang == "php":
        return "", "    env:\n      DB_CONNECTION: sqlite\n      DB_DATABASE: \":memory:\"\n"
    return "", ""


_DEPLOY = {
    "fly": ("FLY_API_TOKEN", """\
      - uses: superfly/flyctl-actions/setup-flyctl@master
      - name: Deploy to production
        env:
          FLY_API_TOKEN: ${{ secrets.FLY_API_TOKEN }}
        run: flyctl deploy --remote-only"""),
    "vercel": ("VERCEL_TOKEN", """\
      - name: Deploy to production
        env:
          VERCEL_TOKEN: ${{ secrets.VERCEL_TOKEN }}
          VERCEL_ORG_ID: ${{ vars.VERCEL_ORG_ID }}
          VERCEL_PROJECT_ID: ${{ vars.VERCEL_PROJECT_ID }}
        run: npx --yes vercel@latest deploy --prod --token "$VERCEL_TOKEN\""""),
    "render": ("RENDER_DEPLOY_HOOK_URL", """\
      - name: Deploy to production
        env:
          RENDER_DEPLOY_HOOK_URL: ${{ secrets.RENDER_DEPLOY_HOOK_URL }}
        run: curl --fail --silent --show-error -X POST "$RENDER_DEPLOY_HOOK_URL\""""),
    "railway": ("RAILWAY_TOKEN", """\
      - name: Deploy to production
        env:
          RAILWAY_TOKEN: ${{ secrets.RAILWAY_TOKEN }}
        run: npx --yes @railway/cli up --ci"""),
    "netlify": ("NETLIFY_AUTH_TOKEN", """\
      - name: Deploy to production
        env:
          NETLIFY_AUTH_TOKEN: ${{ secrets.NETLIFY_AUTH_TOKEN }}
          NETLIFY_SITE_ID: ${{ vars.NETLIFY_SITE_ID }}
        run: npx --yes netlify-cli deploy --prod"""),
    "heroku": ("HEROKU_API_KEY", """\
      - name: Deploy to production
        env:
          HEROKU_API_KEY: ${{ secrets.HEROKU_API_KEY }}
          HEROKU_APP: ${{ vars.HEROKU_APP }}
        run: git push "https://heroku:${HEROKU_API_KEY}@git.heroku.com/${HEROKU_APP}.git" HEAD:main"""),
    "kamal": ("KAMAL_SSH_KEY", """\
      - uses: ruby/setup-ruby@v1
        with:
          bundler-cache: true
      - uses: webfactory/ssh-agent@v0.9.0
        with:
          ssh-private-key: ${{ secrets.KAMAL_SSH_KEY }}
      - name: Deploy to production
        env:
          KAMAL_REGISTRY_PASSWORD: ${{ secrets.KAMAL_REGISTRY_PASSWORD }}
        run: bundle exec kamal deploy"""),
    "capistrano": ("DEPLOY_SSH_KEY", """\
      - uses: ruby/setup-ruby@v1
        with:
          bundler-cache: true
      - uses: webfactory/ssh-agent@v0.9.0
        with:
          ssh-private-key: ${{ secrets.DEPLOY_SSH_KEY }}
      - name: Deploy to production
        run: bundle exec cap production deploy"""),
    "deployer": ("DEPLOY_SSH_KEY", """\
      - uses: shivammathur/setup-php@v2
        with:
          php-version: "8.3"
      - run: composer install --no-interaction --prefer-dist --no-progress
      - uses: webfactory/ssh-agent@v0.9.0
        with:
          ssh-private-key: ${{ secrets.DEPLOY_SSH_KEY }}
      - name: Deploy to production
        run: vendor/bin/dep deploy production"""),
}


def _deploy_platform(project: Project) -> str:
    return next((p for p in project.stacks.deploy if p in _DEPLOY), "")


def _deploy_steps(project: Project) -> str:
    platform = _deploy_platform(project)
    if platform:
        secret, steps = _DEPLOY[platform]
        source = re.sub(r"[\r\n]+", " ", display_path(project.stacks.deploy[platform].path or platform))
        note = (f"      # EDIT ME: deploy for {platform} (detected from {source}); "
                f"set the {secret} secret on the production environment.\n")
        return note + steps
    return """\
      # EDIT ME: no deploy platform was detected. Replace this step with your deploy command
      # (e.g. `flyctl deploy`, a Render/Forge deploy hook, `kamal deploy`). It fails until you do,
      # so nothing is reported as deployed by accident.
      - name: Deploy to production
        run: |
          echo "Deploy step not configured: edit .github/workflows/handrail-ci.yml" >&2
          exit 1"""
