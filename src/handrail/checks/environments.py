"""environments: are local, staging and production separate and safely configured?

Reads the places where production configuration actually lives (framework settings,
committed env files, Dockerfile/Procfile/fly/render/railway start commands, CI deploy
jobs) for the classic ways a development setup leaks into production: debug mode, a
dev server, a hard-coded or default secret key, wildcard hosts, committed .env files,
production database hosts in source and deploy jobs that no environment guards.
Django settings and Flask apps are read with `ast`, so `DEBUG = env.bool("DEBUG")`
is told apart from `DEBUG = True`, and `app.run(debug=True)` under
`if __name__ == "__main__":` from one that runs on import.
"""

from __future__ import annotations

import ast
import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from handrail.checks.base import Check, Rule, list_text, unparsed_ci, unparsed_note
from handrail.checks.least_privilege import (
    deploy_secret_names,
    only_previews,
    public_by_value,
    public_prefix,
    secret_names,
)
from handrail.core.dotenv import env_assignments, is_env_file, is_env_template
from handrail.core.finding import CheckResult, Confidence, Finding, Location, Severity, Status
from handrail.core.lazyre import lazy_re
from handrail.core.project import ParseError
from handrail.core.redact import redact, redact_line, redact_url
from handrail.pipeline.classify import never_runs
from handrail.pipeline.model import PipelineModel, StepKind
from handrail.pipeline.scripts import manifest_scripts

if TYPE_CHECKING:
    from handrail.core.project import Project

_TRUTHY = frozenset({"true", "1", "yes", "on"})
_DEV_NAMES = lazy_re(r"(^|[._-])(local|dev|develop|development|test|tests|testing|ci|example|sample)([._-]|$)",
                        re.I)
_PROD_NAMES = lazy_re(r"(^|[._-])(prod|production|live)([._-]|$)", re.I)
_SECRETISH_KEY = lazy_re(r"KEY|SECRET|TOKEN|PASSWORD|PASSWD|PWD|CREDENTIAL|PRIVATE|AUTH|WEBHOOK|SALT", re.I)
_CRED_URL = lazy_re(r"[a-z][a-z0-9+.-]*://[^\s:/@]+:([^\s@/]+)@", re.I)
_PLACEHOLDER_WORDS = ("changeme", "change_me", "change-me", "changethis", "change_this", "change-this", "your_",
                      "your-", "yourkey", "example", "placeholder",
                      "xxxx", "dummy", "todo", "replace", "<", ">", "${", "{{", "...", "fake", "sample", "insert",
                      "redacted", "_here", "-here", "notasecret", "not-a-secret")
_PLACEHOLDER_VALUES = frozenset({"secret", "password", "null", "none", "undefined", "test", "testing", "local",
                                 "development", "production", "staging", "empty", "nil", "false", "true"})


# Live credentials with a provider's fixed shape: real-looking whatever words their random part happens to spell.
_KNOWN_SECRET = lazy_re(r"(?:sk|rk)_live_[A-Za-z0-9]{20,}|sk-(?:proj-|ant-api\d\d-)?[A-Za-z0-9_-]{32,}|"
                           r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_\w{40,}|AKIA[0-9A-Z]{16}|xox[abpr]-[A-Za-z0-9-]{20,}|"
                           r"SG\.[\w-]{16,}\.[\w-]{16,}|glpat-[\w-]{20,}|sb_secret_[\w-]{20,}")


def _known_secret(value: str) -> bool:
    v = value.strip().strip("'\"")
    if not _KNOWN_SECRET.fullmatch(v):
        return False
    filler = re.search(r"x{4,}|X{4,}|\.\.\.|your|here|changeme|(.)\1{7,}", v, re.I)
    return filler is None


def _secret_value(key: str, value: str) -> bool:
    """A real-looking secret: a secret-named key with a non-filler value, a provider-shaped live key, or a URL
    carrying a password."""
    if _known_secret(value):
        return True
    if placeholder(value) or public_by_value(value):
        return False
    if _SECRETISH_KEY.search(key):
        return True
    m = _CRED_URL.search(value)
    return bool(m and not placeholder(m.group(1)) and not re.search(r"\$\{?|\[|<|%s", m.group(1)))


def placeholder(value: str) -> bool:
    """Values nobody would mind seeing: empty, short flags and ports, obvious fillers, local hosts."""
    v = value.strip().strip("'\"")
    if len(v) < 6:
        return True
    low = v.lower()
    if low in _PLACEHOLDER_VALUES or any(w in low for w in _PLACEHOLDER_WORDS):
        return True
    if re.fullmatch(r"[a-z]+://[^@]*@?(localhost|127\.0\.0\.1|0\.0\.0\.0|db|postgres|mysql|redis|database)"
                    r"([:/].*)?", low):
        return True
    return bool(re.fullmatch(r"(.)\1{5,}", v))  # 000000, ******


# --- dev servers -----------------------------------------------------------------------------

@dataclass(frozen=True)
class DevServer:
    what: str
    severity: Severity
    confidence: Confidence = Confidence.HIGH


_DEV_SERVER_RX: tuple[tuple[re.Pattern[str], DevServer], ...] = (
    (lazy_re(r"\bnext\s+dev\b"), DevServer("next dev (development server)", Severity.HIGH)),
    (lazy_re(r"\bnux[ti]\s+dev\b"), DevServer("nuxt dev (development server)", Severity.HIGH)),
    (lazy_re(r"\b(?:astro|remix|svelte-kit)\s+dev\b|\bgatsby\s+develop\b"),
     DevServer("framework development server", Severity.HIGH)),
    (lazy_re(r"\bnodemon\b|\bts-node-dev\b|\btsx\s+watch\b|\bnode\s+--watch\b"),
     DevServer("file-watching restarter (nodemon/ts-node-dev/tsx watch)", Severity.MEDIUM)),
    (lazy_re(r"\bwebpack(?:-dev-server|\s+serve)\b|\breact-scripts\s+start\b|\bng\s+serve\b"),
     DevServer("bundler development server", Severity.HIGH)),
    (lazy_re(r"\b(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?dev\b"), DevServer("the `dev` script", Severity.HIGH)),
    (lazy_re(r"\bmanage\.py\s+runserver\b|\bdjango-admin\s+runserver\b"),
     DevServer("Django runserver (development server)", Severity.HIGH)),
    (lazy_re(r"\bflask\s+(?:--debug\s+run|run\b[^\n;&|]*--debug)"),
     DevServer("flask run --debug (Werkzeug debugger: remote code execution)", Severity.HIGH)),
    (lazy_re(r"\bflask\s+run\b"), DevServer("flask run (Werkzeug development server)", Severity.MEDIUM)),
    (lazy_re(r"\bphp\s+artisan\s+serve\b"), DevServer("php artisan serve (development server)", Severity.HIGH)),
    (lazy_re(r"\buvicorn\b[^\n;&|]*--reload\b"), DevServer("uvicorn --reload", Severity.MEDIUM)),
)
_RAILS_SERVER = lazy_re(r"\b(?:bin/)?rails\s+(?:s|server)\b([^\n;&|]*)")


def dev_server(command: str, env_text: str = "") -> DevServer | None:
    """The development server a command starts, if any (vite is parsed by hand: `vite build` is fine)."""
    for rx, ds in _DEV_SERVER_RX:
        if rx.search(command):
            return ds
    m = re.search(r"(?:^|[\s;&|/])vite(?:\s+(\S+))?", command)
    if m:
        nxt = m.group(1) or ""
        if nxt in ("", "dev", "serve") or nxt.startswith("-"):
            return DevServer("vite (development server)", Severity.HIGH)
        if nxt == "preview":
            return DevServer("vite preview (not meant for production)", Severity.MEDIUM)
    m = _RAILS_SERVER.search(command)
    production = re.compile(r"-e\s*prod|--environment[= ]prod|RAILS_ENV[\"']?\s*[=:]?\s*[\"']?prod")
    if m and not production.search(command) and not production.search(env_text):
        return DevServer("rails server without -e production (development unless RAILS_ENV is set)",
                         Severity.MEDIUM, Confidence.LOW)
    return None


# Development settings in a production configuration's environment.
_DEV_ENV = {
    "NODE_ENV": lambda v: v.lower() in ("development", "dev"),
    "RAILS_ENV": lambda v: v.lower() == "development",
    "RACK_ENV": lambda v: v.lower() == "development",
    "FLASK_ENV": lambda v: v.lower() == "development",
    "FLASK_DEBUG": lambda v: v.lower() in _TRUTHY,
    "APP_DEBUG": lambda v: v.lower() in _TRUTHY,
    "DJANGO_DEBUG": lambda v: v.lower() in _TRUTHY,
    "DEBUG": lambda v: v.lower() in ("true", "1"),
}


@dataclass
class Command:
    path: str
    line: int
    text: str
    source: str  # Procfile web, Dockerfile CMD, ...
    script: str = ""  # the package.json script it resolves to, when it is `npm start`
    env_text: str = ""  # the file's text, where environment settings for the command may be set


class Environments(Check):
    id = "environments"
    question = "Are local, staging and production separate and safely configured?"
    why = ("Debug pages print settings and stack traces (Laravel and Django show environment variables; the Werkzeug "
           "debugger runs code), dev servers are single-threaded and unhardened, and a committed .env or a "
           "production database URL in source means a local run or a leaked clone touches production data.")
    fix = ("Read debug flags, keys and database URLs from the environment with safe defaults (debug off), keep "
           ".env out of git with a .env.example beside it, start production with a production server, and give "
           "deploy jobs an `environment:`.")
    good_example = ("DEBUG = env.bool(\"DJANGO_DEBUG\", default=False)\nSECRET_KEY = env(\"DJANGO_SECRET_KEY\")\n"
                    "# Procfile\nweb: gunicorn app.wsgi")
    bad_example = "DEBUG = True\nSECRET_KEY = 'django-insecure-...'\n# Procfile\nweb: python manage.py runserver"
    rules = (
        Rule("debug-in-production", Severity.HIGH,
             "Debug mode (APP_DEBUG, DEBUG = True, Flask debug, consider_all_requests_local, NODE_ENV=development) "
             "is on in a configuration production uses.",
             "Turn debug off in production configuration and read it from the environment with a False default."),
        Rule("insecure-secret-key", Severity.HIGH,
             "The framework's secret key is hard-coded (or Django's generated django-insecure- key): anyone with the "
             "source can forge sessions and signed data.",
             "Generate a new key, store it in the platform's secrets, read it from the environment."),
        Rule("wildcard-allowed-hosts", Severity.MEDIUM,
             "Django ALLOWED_HOSTS accepts any Host header (or none at all with DEBUG off).",
             "List the production hostnames, e.g. from an env var."),
        Rule("committed-env-file", Severity.HIGH, "A real .env file (not a template) is tracked in git.",
             "`git rm --cached .env`, add it to .gitignore, rotate what it held, commit a .env.example instead."),
        Rule("missing-env-example", Severity.LOW,
             "The app reads environment variables but there is no .env.example documenting them.",
             "Commit a .env.example with every variable the app reads and dummy values."),
        Rule("prod-db-in-source", Severity.HIGH,
             "A hosted production database address (RDS, Supabase, Neon, PlanetScale, Render, Railway, ...) is "
             "written in tracked source or config.",
             "Read the database URL from the environment; rotate the password if it was committed."),
        Rule("deploy-without-environment", Severity.MEDIUM,
             "A CI job deploys without `environment:`, so no protection rules, environment secrets or deployment "
             "history apply and staging/production are not told apart.",
             "Add `environment: production` (or staging) to the deploy job; configure reviewers/branch rules."),
        Rule("tests-use-prod-database", Severity.HIGH,
             "A CI test job is given the production database URL: tests can write to or wipe production data.",
             "Give tests their own database (a service container or a test database secret)."),
        Rule("dev-server-in-production", Severity.HIGH,
             "A development server (next dev, vite, nodemon, runserver, artisan serve, flask run, ...) is the "
             "production start command.",
             "Start with the production server: next start, a static build, gunicorn/uvicorn, php-fpm, puma."),
        Rule("environments-unparsed", Severity.INFO, "A configuration file could not be parsed.",
             "Fix the file's syntax so it can be checked."),
    )

    def run(self, project: Project) -> CheckResult:
        return self.run_with_pipeline(project, self.evaluate, "environments-unparsed")

    def evaluate(self, project: Project, model: PipelineModel) -> CheckResult:
        findings: list[Finding] = []
        evidence: list[Location] = []
        tracked = project.git.tracked
        commands = self._production_commands(project, findings, model)
        findings.extend(self._env_files(project, tracked, evidence))
        findings.extend(self._django(project, evidence))
        findings.extend(self._flask(project, commands))
        findings.extend(self._rails(project, evidence))
        findings.extend(self._commands(commands, evidence))
        findings.extend(self._prod_db(project))
        findings.extend(self._pipeline(model, evidence))
        evidence.extend(self._separation_files(project))
        for name, env in project.config.environments.items():
            evidence.append(Location(project.config.source or "handrail.toml", None,
                                     f"environment {name} declared" + (f" ({env.url})" if env.url else "")))
        return self._status(findings, evidence, unparsed_ci(model))

    # --- env files --------------------------------------------------------------------------
    def _env_files(self, project: Project, tracked: frozenset[str] | None, evidence: list[Location]) -> list[Finding]:
        out: list[Finding] = []
        env_files = [p for p in project.files.paths() if is_env_file(p)]
        templates = [p for p in env_files if is_env_template(p)]
        templates += [p for p in project.files.paths() if p.rsplit("/", 1)[-1].lower() in (
            "env.example", "env.sample", "dotenv.example") and p not in templates]
        real = [p for p in env_files if p not in templates]
        for path in real:
            lines = project.lines(path)
            assigns = list(env_assignments(lines))
            out.extend(self._env_file_debug(path, assigns, template=False))
            name = path.rsplit("/", 1)[-1]
            secrets = [(no, k, v) for no, k, v in assigns if not public_prefix(k) and _secret_value(k, v)]
            private = [(no, k, v) for no, k, v in assigns if not public_prefix(k) and not placeholder(v)]
            is_tracked = tracked is not None and path in tracked
            if tracked is None:
                continue  # outside git nothing is committed
            testish = bool(re.search(r"\.(test|testing|ci|dusk|e2e)(\.|$)", name)
                           or re.search(r"(^|/)(tests?|spec|e2e|cypress|__tests__)/", path))
            if is_tracked and secrets:
                keys = ", ".join(k for _, k, _ in secrets[:5])
                out.append(self.finding(
                    "committed-env-file",
                    f"{path} is tracked in git and holds values for {keys}"
                    + (" (test settings: make sure none of them is a real credential)." if testish else
                       ": everyone with the repository (and its history) has them."),
                    path, secrets[0][0], key=path, evidence=", ".join(f"{k}={redact(v)}" for _, k, v in secrets[:3]),
                    severity=Severity.LOW if testish else Severity.HIGH,
                    confidence=Confidence.MEDIUM if testish else Confidence.HIGH))
            elif is_tracked and private:  # framework defaults files (.env.production in Next.js) are often fine
                out.append(self.finding(
                    "committed-env-file",
                    f"{path} is tracked in git; it holds only non-secret settings now, but .env files are where "
                    "secrets get added later.", path, private[0][0], key=path,
                    evidence=", ".join(k for _, k, _ in private[:5]), severity=Severity.INFO,
                    confidence=Confidence.MEDIUM))
            elif not is_tracked and secrets:
                out.append(self.finding(
                    "committed-env-file",
                    f"{path} holds secrets and is not ignored by .gitignore: one `git add -A` commits it.",
                    path, secrets[0][0], key=path, evidence=", ".join(k for _, k, _ in secrets[:5]),
                    severity=Severity.MEDIUM))
        for path in templates:
            out.extend(self._env_file_debug(path, list(env_assignments(project.lines(path))), template=True))
        if templates and not any(f.rule == "committed-env-file" and f.severity.rank >= Severity.MEDIUM.rank
                                 for f in out):
            evidence.append(Location(templates[0], None, "env template: real values live outside the repository"))
        if not env_files and not templates:
            read = self._env_read(project)
            if read is not None:
                out.append(self.finding(
                    "missing-env-example",
                    f"the app {read.note} (and maybe more) from the environment but there is no .env.example listing "
                    "them: a new environment (staging, a teammate, a restore) has to guess.",
                    read.path, read.line, key="env-example", evidence=read.note, confidence=Confidence.MEDIUM))
        return out

    _DEBUG_KEYS = {"APP_DEBUG": "Laravel's error page then shows environment variables and stack traces",
                   "FLASK_DEBUG": "the Werkzeug debugger lets anyone who triggers an error run code",
                   "DJANGO_DEBUG": "Django's error pages show settings, SQL and stack traces",
                   "DEBUG": "framework error pages show settings and stack traces"}
    _MODE_KEYS = ("APP_ENV", "FLASK_ENV", "DJANGO_ENV", "NODE_ENV", "RAILS_ENV", "ENVIRONMENT", "ENV")

    def _env_file_debug(self, path: str, assigns: list[tuple[int, str, str]], template: bool) -> list[Finding]:
        """Debug switched on in an env file that says (or is named) production."""
        values = {k: (no, v) for no, k, v in assigns}
        mode_key = next((k for k in self._MODE_KEYS if k in values), None)
        mode = values[mode_key][1].strip().lower() if mode_key else ""
        prod_file = bool(_PROD_NAMES.search(path.rsplit("/", 1)[-1]))
        if mode not in ("production", "prod") and not (prod_file and not mode):
            return []
        for key, effect in self._DEBUG_KEYS.items():
            hit = values.get(key)
            if hit is None or hit[1].strip().lower() not in _TRUTHY:
                continue
            said = f" with {mode_key}={values[mode_key][1]}" if mode_key else " in a production env file"
            return [self.finding(
                "debug-in-production",
                f"{path} sets {key}={hit[1]}{said}: {effect} to visitors."
                + (" It is a template, so every copy starts that way." if template else ""),
                path, hit[0], key=key, evidence=f"{key}={hit[1]}",
                severity=Severity.MEDIUM if template else Severity.HIGH)]
        return []

    _ENV_READ = lazy_re(
        r"(?:process\.env|import\.meta\.env)(?:\.|\[\s*['\"])(?P<a>[A-Z][A-Z0-9_]+)"
        r"|(?:os\.environ(?:\.get)?|os\.getenv|\benv(?:\.\w+)?|\bconfig|\bENV(?:\.fetch)?|\bgetenv|Deno\.env\.get)"
        r"\s*[(\[]\s*['\"](?P<b>[A-Z][A-Z0-9_]+)['\"]")
    # Variables every platform or toolchain sets: reading them says nothing about app configuration.
    _SYSTEM_VARS = lazy_re(r"^(NODE_ENV|PORT|HOST|HOSTNAME|CI|HOME|PATH|PWD|USER|TZ|LANG|DEBUG|RAILS_ENV|RACK_ENV|"
                              r"APP_ENV|BUNDLE_GEMFILE|RAILS_MAX_THREADS|RAILS_MIN_THREADS|WEB_CONCURRENCY|PIDFILE|"
                              r"DJANGO_SETTINGS_MODULE|PYTHONPATH|SHELL|TERM|ANALYZE|NEXT_RUNTIME|"
                              r"(VERCEL|GITHUB|RENDER|FLY|HEROKU|RAILWAY|NETLIFY|npm|npm_config|CODESPACE)_\w*)$")
    _TOOLING = lazy_re(r"(^|/)(tests?|spec|__tests__|e2e|cypress|scripts?|bin|docs?|examples?|migrations|"
                          r"node_modules|vendor|\.github)/|(^|/)config/[^/]+\.rb$|(^|/)config/environments/|"
                          r"\.config\.[mc]?[jt]s$|(^|/)(Gruntfile|gulpfile|Rakefile|conftest|setup|manage|wsgi|asgi|"
                          r"noxfile|tasks)\.\w+$")

    def _env_read(self, project: Project) -> Location | None:
        if not project.stacks.frameworks:
            return None  # a library or a folder of scripts, not an app with environments
        exts = (".py", ".js", ".ts", ".jsx", ".tsx", ".mjs", ".cjs", ".php", ".rb", ".vue", ".svelte")
        for path in project.files.paths()[:20000]:
            if not path.lower().endswith(exts) or self._TOOLING.search(path):
                continue
            text = project.text(path)
            if not text or ("env" not in text and "ENV" not in text):
                continue
            for m in self._ENV_READ.finditer(text):
                name = m.group("a") or m.group("b")
                if self._SYSTEM_VARS.match(name):
                    continue
                no = text.count("\n", 0, m.start()) + 1
                return Location(path, no, f"reads {name}")
        return None

    # --- Django ----------------------------------------------------------------------------------
    def _django(self, project: Project, evidence: list[Location]) -> list[Finding]:
        out: list[Finding] = []
        settings = project.files.glob("**/settings.py", "**/settings/*.py", "**/settings_*.py")
        modules: dict[str, dict[str, tuple[int, ast.expr]]] = {}
        parsed: dict[str, set[str]] = {}  # every name a settings module sets, also under if/try
        for path in settings:
            tree = self._py(project, path, out)
            if tree is None:
                continue
            assigns: dict[str, tuple[int, ast.expr]] = {}
            for node in tree.body:
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name) and target.id in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"):
                            assigns[target.id] = (node.lineno, node.value)
                elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
                    assigns[node.target.id] = (node.lineno, node.value)
            parsed[path] = _assigned_names(tree)
            text = project.text(path) or ""
            is_django = "django" in project.stacks.frameworks or "django" in text.lower() or "INSTALLED_APPS" in text
            if is_django and ("DEBUG" in assigns or "SECRET_KEY" in assigns or "INSTALLED_APPS" in text):
                modules[path] = assigns
        for path, assigns in modules.items():
            stem = path.rsplit("/", 1)[-1][:-3]
            if _DEV_NAMES.search(stem) and not _PROD_NAMES.search(stem):
                continue  # development/test settings may debug freely
            folder = path.rsplit("/", 1)[0] if "/" in path else ""
            # a production module beside this one that sets the same name wins in production
            overridden = {key for other, other_assigns in parsed.items()
                          if other != path and (other.rsplit("/", 1)[0] if "/" in other else "") == folder
                          and _PROD_NAMES.search(other.rsplit("/", 1)[-1]) for key in other_assigns}
            out.extend(self._django_debug(path, assigns, "DEBUG" in overridden, evidence))
            out.extend(self._django_secret(path, assigns, "SECRET_KEY" in overridden))
            out.extend(self._django_hosts(path, assigns, "ALLOWED_HOSTS" in overridden))
        return out

    def _django_debug(self, path: str, assigns: dict, overridden: bool, evidence: list[Location]) -> list[Finding]:
        if "DEBUG" not in assigns:
            return []
        line, value = assigns["DEBUG"]
        if isinstance(value, ast.Constant) and value.value is True:
            if overridden:
                return []
            return [self.finding(
                "debug-in-production",
                f"{path} sets `DEBUG = True`: on a server Django's error pages show settings, SQL and stack traces "
                "to anyone.", path, line, key="DEBUG", evidence="DEBUG = True")]
        if _reads_env(value):
            if _default_truthy(value):
                return [self.finding(
                    "debug-in-production",
                    f"{path} reads DEBUG from the environment but defaults to True: a production deploy that "
                    "forgets the variable runs in debug mode.", path, line, key="DEBUG",
                    evidence=ast.unparse(value)[:120], severity=Severity.MEDIUM)]
            evidence.append(Location(path, line, "DEBUG read from the environment (off by default)"))
        return []

    def _django_secret(self, path: str, assigns: dict, overridden: bool) -> list[Finding]:
        if "SECRET_KEY" not in assigns:
            return []
        line, value = assigns["SECRET_KEY"]
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            key = value.value
            if key.startswith("django-insecure-"):
                return [self.finding(
                    "insecure-secret-key",
                    f"{path} uses Django's generated `django-insecure-` SECRET_KEY: it is in the repository, so "
                    "sessions, password reset tokens and signed cookies can be forged.", path, line,
                    key="SECRET_KEY", evidence=f"SECRET_KEY = '{redact(key)}'",
                    severity=Severity.MEDIUM if overridden else Severity.HIGH)]
            if not placeholder(key) and not overridden:
                return [self.finding(
                    "insecure-secret-key",
                    f"{path} hard-codes SECRET_KEY: anyone with the source can forge sessions and signed data.",
                    path, line, key="SECRET_KEY", evidence=f"SECRET_KEY = '{redact(key)}'")]
            return []
        default = _string_default(value)
        if (default is not None and not placeholder(default)) or (default or "").startswith("django-insecure-"):
            return [self.finding(
                "insecure-secret-key",
                f"{path} falls back to a hard-coded SECRET_KEY when the environment variable is missing.",
                path, line, key="SECRET_KEY", evidence=f"default '{redact(default or '')}'",
                severity=Severity.MEDIUM)]
        return []

    def _django_hosts(self, path: str, assigns: dict, overridden: bool) -> list[Finding]:
        if "ALLOWED_HOSTS" not in assigns or overridden:
            return []
        line, value = assigns["ALLOWED_HOSTS"]
        if isinstance(value, ast.List | ast.Tuple):
            items = [e.value for e in value.elts if isinstance(e, ast.Constant)]
            if "*" in items:
                return [self.finding(
                    "wildcard-allowed-hosts",
                    f"{path} sets ALLOWED_HOSTS to accept any host: Host-header poisoning (password reset links, "
                    "cache) becomes possible.", path, line, key="ALLOWED_HOSTS", evidence=ast.unparse(value)[:80])]
            debug = assigns.get("DEBUG")
            debug_off = debug is not None and isinstance(debug[1], ast.Constant) and debug[1].value is False
            if not value.elts and debug_off:
                return [self.finding(
                    "wildcard-allowed-hosts",
                    f"{path} has DEBUG = False and an empty ALLOWED_HOSTS: Django answers every request with 400.",
                    path, line, key="ALLOWED_HOSTS", evidence="ALLOWED_HOSTS = []", severity=Severity.LOW)]
        elif _string_default(value) == "*":
            return [self.finding(
                "wildcard-allowed-hosts",
                f"{path} reads ALLOWED_HOSTS from the environment but defaults to '*'.", path, line,
                key="ALLOWED_HOSTS", evidence=ast.unparse(value)[:100], severity=Severity.LOW)]
        return []

    def _py(self, project: Project, path: str, out: list[Finding]) -> ast.Module | None:
        def parse(text: str) -> ast.Module:
            try:
                return ast.parse(text)
            except SyntaxError as exc:
                raise ParseError(path, f"invalid Python: {exc.msg}", exc.lineno) from exc
        try:
            return project.parsed(path, "python-ast", parse)
        except ParseError as err:
            out.append(self.parse_error_finding(err, "environments-unparsed"))
            return None

    # --- Flask -------------------------------------------------------------------------------
    def _flask(self, project: Project, commands: list[Command]) -> list[Finding]:
        out: list[Finding] = []
        run_directly = " ".join(c.text for c in commands)
        for path in project.files.paths():
            if not path.endswith(".py") or re.search(r"(^|/)(tests?|docs?|examples?)/|(^|/)test_", path):
                continue
            text = project.text(path)
            if not text or ("run(" not in text and ".debug" not in text and "DEBUG" not in text):
                continue  # the case-sensitive tests first: lowering every .py file is the costly part
            low = text.lower()
            if "debug" not in low or ("flask" not in low and "app.run" not in text):
                continue
            tree = self._py(project, path, [])
            if tree is None:
                continue
            for node, guarded in _walk_guarded(tree):
                hit = _flask_debug(node)
                if not hit:
                    continue
                module = path.rsplit("/", 1)[-1]
                started = bool(re.search(rf"\bpython[0-9.]*\s+(?:-\S+\s+)*\S*{re.escape(module)}\b", run_directly))
                if guarded and not started:
                    sev, note = Severity.LOW, (" It sits under `if __name__ == \"__main__\"`, so it only applies when "
                                               "the file is run directly; make sure production never does that.")
                else:
                    sev = Severity.HIGH
                    note = (" Production starts this file directly, so the guard does not help." if guarded else
                            " It runs on import, so any server that loads the app gets the debugger.")
                out.append(self.finding(
                    "debug-in-production",
                    f"{path} enables Flask debug mode ({hit}): the Werkzeug debugger lets anyone who can trigger "
                    f"an error run code on the server.{note}", path, node.lineno, key=f"flask:{hit}",
                    evidence=ast.unparse(node)[:120], severity=sev))
                break
        return out

    # --- Rails ---------------------------------------------------------------------------------
    def _rails(self, project: Project, evidence: list[Location]) -> list[Finding]:
        out: list[Finding] = []
        for path in project.files.glob("**/config/environments/production.rb"):
            for no, line in enumerate(project.lines(path), 1):
                if re.match(r"\s*config\.consider_all_requests_local\s*=\s*true\b", line):
                    out.append(self.finding(
                        "debug-in-production",
                        f"{path} sets consider_all_requests_local = true: every visitor gets full error reports with "
                        "source and parameters.", path, no, key="consider_all_requests_local",
                        evidence=line.strip()))
            if not out:
                evidence.append(Location(path, None, "Rails production environment configuration"))
        return out

    # --- production start commands and environments ------------------------------------------
    def _production_commands(self, project: Project, findings: list[Finding], model: PipelineModel) -> list[Command]:
        cmds: list[Command] = []
        files = project.files
        for path in files.glob("Procfile", "**/Procfile", "Procfile.*", "**/Procfile.*"):
            if _DEV_NAMES.search(path.rsplit("/", 1)[-1].replace("Procfile", "")):
                continue
            for no, line in enumerate(project.lines(path), 1):
                m = re.match(r"\s*(web|release|worker)\s*:\s*(.+)", line)
                if m and m.group(1) == "web":
                    cmds.append(Command(path, no, m.group(2).strip(), "Procfile web"))
                    self._inline_env(path, no, m.group(2), "Procfile", findings)
        for path in files.paths():
            name = path.rsplit("/", 1)[-1]
            if not (name == "Dockerfile" or name.startswith("Dockerfile.") or name.endswith(".Dockerfile")
                    or name.endswith(".dockerfile")):
                continue
            if _DEV_NAMES.search(name.replace("Dockerfile", "").replace("dockerfile", "")):
                continue
            cmds.extend(self._dockerfile(project, path, findings))
        for path in files.glob("fly.toml", "**/fly.toml", "fly.*.toml", "**/fly.*.toml"):
            cmds.extend(self._fly(project, path, findings))
        for path in files.paths():
            base = path.rsplit("/", 1)[-1].lower()
            if re.fullmatch(r"(docker-)?compose[._-](prod|production|live)\.ya?ml", base):
                cmds.extend(self._compose(project, path, findings))
        for path in files.glob("render.yaml", "render.yml"):
            cmds.extend(self._render(project, path, findings))
        for path in files.glob("railway.toml", "railway.json"):
            data = self._load(project, path, findings)
            deploy = data.get("deploy") if isinstance(data, dict) else None
            if isinstance(deploy, dict) and isinstance(deploy.get("startCommand"), str):
                cmds.append(Command(path, project.find_line(path, "startCommand") or 1, deploy["startCommand"],
                                    "railway startCommand"))
        if "app.json" in files:
            data = self._load(project, "app.json", findings)
            env = data.get("env") if isinstance(data, dict) else None
            if isinstance(env, dict):
                for key, val in env.items():
                    value = val.get("value") if isinstance(val, dict) else val
                    self._dev_env_finding("app.json", project.find_line("app.json", f'"{key}"') or 1, str(key),
                                          value, "Heroku app.json", findings)
        self._resolve_scripts(project, cmds)
        for loc in model.platforms.start_commands:
            if not loc.path or not loc.note or any(c.path == loc.path and c.line == loc.line for c in cmds):
                continue
            base = loc.path.rsplit("/", 1)[-1]
            if base == "package.json":
                continue  # a start script matters only when production runs it: resolved above
            if _DEV_NAMES.search(re.sub(r"(?i)dockerfile|procfile|docker-compose|compose", "", base)):
                continue  # Dockerfile.dev, Procfile.dev, compose.local.yml: development by name
            if any(loc.note.strip() in (c.script.strip(), c.text.strip()) for c in cmds):
                continue  # the same command we already resolved (npm start -> its script)
            cmds.append(Command(loc.path, loc.line or 1, loc.note, "platform start command",
                                env_text=project.text(loc.path) or ""))
        return cmds

    def _resolve_scripts(self, project: Project, cmds: list[Command]) -> None:
        scripts = _scripts(project, "package.json")
        for c in cmds:
            m = re.search(r"\b(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?(start|serve|prod|production)\b", c.text)
            folder = c.path.rsplit("/", 1)[0] + "/" if "/" in c.path else ""
            local = _scripts(project, folder + "package.json") if folder else scripts
            if m and m.group(1) in local:
                c.script = local[m.group(1)]
        has_explicit = any(c.source in ("Procfile web", "railway startCommand") for c in cmds)
        if not has_explicit and "start" in scripts and ("app.json" in project.files or
                                                        project.files.glob("railway.toml", "railway.json")):
            line = project.find_line("package.json", '"start"') or 1
            cmds.append(Command("package.json", line, "npm start", "platform default (npm start)", scripts["start"]))

    def _inline_env(self, path: str, line: int, command: str, source: str, findings: list[Finding]) -> None:
        for m in re.finditer(r"(?:^|\s)([A-Z_][A-Z0-9_]*)=(\S+)", command):
            self._dev_env_finding(path, line, m.group(1), m.group(2), source, findings)

    def _dev_env_finding(self, path: str, line: int, key: str, value: Any, source: str,
                         findings: list[Finding]) -> None:
        test = _DEV_ENV.get(key)
        if test is None or value is None:
            return
        text = str(value).strip().strip("'\"")
        if isinstance(value, bool):
            text = "true" if value else "false"
        if test(text):
            findings.append(self.finding(
                "debug-in-production",
                f"{path} ({source}) sets {key}={text} for production: development mode disables optimisations and "
                "turns on verbose errors.", path, line, key=f"{source}:{key}", evidence=f"{key}={text}",
                severity=Severity.MEDIUM if key in ("NODE_ENV", "RACK_ENV") else Severity.HIGH))

    def _dockerfile(self, project: Project, path: str, findings: list[Finding]) -> list[Command]:
        logical = _logical_lines(project.lines(path))
        stages = [i for i, (_, raw) in enumerate(logical) if re.match(r"\s*FROM\s", raw, re.I)]
        start = stages[-1] if stages else 0
        if stages and re.search(r"\bAS\s+(dev|development|local|test)\w*\s*$", logical[start][1], re.I):
            return []
        last: dict[str, Command] = {}  # only the last CMD / ENTRYPOINT counts
        text = project.text(path) or ""
        for no, raw in logical[start:]:
            m = re.match(r"\s*(CMD|ENTRYPOINT|ENV)\s+(.*)", raw, re.I)
            if not m:
                continue
            word, rest = m.group(1).upper(), m.group(2).strip()
            if word == "ENV":
                pairs = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|\S+)", rest)
                if not pairs:
                    parts = rest.split(None, 1)
                    pairs = [(parts[0], parts[1])] if len(parts) == 2 else []
                for key, value in pairs:
                    self._dev_env_finding(path, no, key, value, "Dockerfile ENV", findings)
                continue
            if rest.startswith("["):
                with contextlib.suppress(ValueError, TypeError):
                    rest = " ".join(str(x) for x in json.loads(rest))
            last[word] = Command(path, no, rest, f"Dockerfile {word}", env_text=text)
        return list(last.values())

    def _fly(self, project: Project, path: str, findings: list[Finding]) -> list[Command]:
        data = self._load(project, path, findings)
        if not isinstance(data, dict):
            return []
        out: list[Command] = []
        env = data.get("env")
        if isinstance(env, dict):
            for key, value in env.items():
                self._dev_env_finding(path, project.find_line(path, str(key)) or 1, str(key), value,
                                      "fly.toml [env]", findings)
        procs = data.get("processes")
        if isinstance(procs, dict):
            for name, cmd in procs.items():
                if isinstance(cmd, str) and name in ("app", "web"):
                    out.append(Command(path, project.find_line(path, cmd[:30]) or 1, cmd, f"fly process {name}"))
        exp = data.get("experimental")
        if isinstance(exp, dict) and exp.get("cmd"):
            cmd = exp["cmd"]
            text = " ".join(map(str, cmd)) if isinstance(cmd, list) else str(cmd)
            out.append(Command(path, project.find_line(path, "cmd") or 1, text, "fly experimental cmd"))
        return out

    def _render(self, project: Project, path: str, findings: list[Finding]) -> list[Command]:
        data = self._load(project, path, findings)
        services = data.get("services") if isinstance(data, dict) else None
        out: list[Command] = []
        if not isinstance(services, list):
            return out
        for svc in services:
            if not isinstance(svc, dict):
                continue
            for key in ("startCommand", "dockerCommand"):
                if isinstance(svc.get(key), str):
                    out.append(Command(path, _line(svc, key), svc[key], f"render {key}"))
            env_vars = svc.get("envVars")
            if isinstance(env_vars, list):
                for item in env_vars:
                    if isinstance(item, dict) and "key" in item and "value" in item:
                        self._dev_env_finding(path, _line(item, "value"), str(item["key"]), item["value"],
                                              "render envVars", findings)
        return out

    def _compose(self, project: Project, path: str, findings: list[Finding]) -> list[Command]:
        """docker-compose.prod.yml: each service's command and environment are production settings by name."""
        data = self._load(project, path, findings)
        services = data.get("services") if isinstance(data, dict) else None
        out: list[Command] = []
        if not isinstance(services, dict):
            return out
        for name, svc in services.items():
            if not isinstance(svc, dict):
                continue
            cmd = svc.get("command")
            if isinstance(cmd, list):
                cmd = " ".join(str(c) for c in cmd)
            if isinstance(cmd, str):
                out.append(Command(path, _line(svc, "command"), cmd, f"compose service {name}"))
            env = svc.get("environment")
            if isinstance(env, dict):
                for key, value in env.items():
                    self._dev_env_finding(path, _line(env, key), str(key), value, f"compose service {name}", findings)
            elif isinstance(env, list):
                for i, item in enumerate(env):
                    if isinstance(item, str) and "=" in item:
                        key, value = item.split("=", 1)
                        line = env.line_at(i) if hasattr(env, "line_at") else _line(svc, "environment")
                        self._dev_env_finding(path, line, key.strip(), value, f"compose service {name}", findings)
        return out

    def _load(self, project: Project, path: str, findings: list[Finding]) -> Any:
        try:
            if path.endswith(".toml"):
                return project.toml(path)
            if path.endswith(".json"):
                return project.json(path)
            return project.yaml(path)
        except ParseError as err:
            findings.append(self.parse_error_finding(err, "environments-unparsed"))
            return None

    def _commands(self, commands: list[Command], evidence: list[Location]) -> list[Finding]:
        out: list[Finding] = []
        seen: set[tuple[str, str]] = set()
        for c in commands:
            ds = dev_server(c.text, c.env_text) or (dev_server(c.script) if c.script else None)
            if ds is None:
                evidence.append(Location(c.path, c.line, f"{c.source}: {c.text[:80]}"))
                continue
            if (c.path, ds.what) in seen:
                continue
            seen.add((c.path, ds.what))
            via = f" (`{c.text}` runs `{c.script[:80]}`)" if c.script and not dev_server(c.text) else ""
            out.append(self.finding(
                "dev-server-in-production",
                f"{c.path} ({c.source}) starts production with {ds.what}{via}: development servers are slow, "
                "unhardened and often expose debug tooling.", c.path, c.line, key=f"{c.source}:{ds.what}",
                evidence=redact_line(c.text)[:160], severity=ds.severity, confidence=ds.confidence))
        return out

    # --- production databases in source ---------------------------------------------------------
    # Searched by suffix, then widened to the host: a leading `[\w.-]+` would be quadratic on long lines.
    _HOST_SUFFIX = lazy_re(r"\.rds\.amazonaws\.com|\.supabase\.co\b|pooler\.supabase\.com|\.neon\.tech|"
                              r"\.psdb\.cloud|\.render\.com|\.railway\.app|\.rlwy\.net|\.db\.elephantsql\.com|\.cockroachlabs\.cloud|"
                              r"\.postgres\.database\.azure\.com|\.mongodb\.net", re.I)
    _DB_HOST = lazy_re(
        r"[\w.-]+\.rds\.amazonaws\.com|db\.[a-z0-9]{12,}\.supabase\.co|[\w.-]*pooler\.supabase\.com|"
        r"[\w.-]+\.neon\.tech|[\w.-]+\.psdb\.cloud|dpg-[a-z0-9]+-a(?:\.[\w-]+)?\.render\.com|"
        r"containers-[\w-]+\.railway\.app|[\w.-]+\.proxy\.rlwy\.net|[\w.-]+\.db\.elephantsql\.com|"
        r"[\w.-]+\.cockroachlabs\.cloud|[\w.-]+\.postgres\.database\.azure\.com|[\w.-]+\.mongodb\.net", re.I)
    _DSN = lazy_re(r"(?P<scheme>postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?)://"
                      r"(?P<cred>[^@\s/'\"`]{1,200}@)?(?P<host>[^/\s'\":?`,;)]{1,253})", re.I)
    _SKIP_DB_FILES = lazy_re(r"(^|/)(package-lock\.json|yarn\.lock|pnpm-lock\.yaml|poetry\.lock|composer\.lock|"
                                r"Gemfile\.lock|uv\.lock|Cargo\.lock)$|\.(svg|map|lock)$|\.min\.js$")

    # The literal cores of _HOST_SUFFIX (".supabase.co" covers the Supabase pooler host), matched case-sensitively
    # on lowered text: rejects almost every file many times faster than the case-insensitive regex.
    # re.I also folds these four non-ASCII letters onto i/s/k, which str.lower() does not: text holding one of them
    # goes to the regex itself.
    _FOLDS_TO_ASCII = ("\u0130", "\u0131", "\u017f", "\u212a")
    _HOST_PREFILTER = lazy_re(r"\.(?:rds\.amazonaws\.com|supabase\.co|neon\.tech|psdb\.cloud|render\.com|"
                                 r"railway\.app|rlwy\.net|db\.elephantsql\.com|cockroachlabs\.cloud|"
                                 r"postgres\.database\.azure\.com|mongodb\.net)")

    def _may_name_db_host(self, text: str) -> bool:
        exact = text.isascii() or not any(c in text for c in self._FOLDS_TO_ASCII)
        if exact and not self._HOST_PREFILTER.search(text.lower()):
            return False
        return bool(self._HOST_SUFFIX.search(text))

    def _db_host(self, line: str) -> str | None:
        for m in self._HOST_SUFFIX.finditer(line):
            left = line[max(0, m.start() - 200):m.start()]
            k = len(left)
            while k > 0 and (left[k - 1].isalnum() or left[k - 1] in "._-"):
                k -= 1
            host = left[k:] + m.group(0)
            if self._DB_HOST.fullmatch(host):
                return host
        return None

    def _prod_db(self, project: Project) -> list[Finding]:
        out: list[Finding] = []
        for path in project.files.paths():
            if self._SKIP_DB_FILES.search(path):
                continue
            text = project.text(path)
            if not text or not self._may_name_db_host(text) or is_env_template(path):
                continue
            doc = path.lower().endswith((".md", ".mdx", ".rst", ".txt", ".adoc", ".html"))
            for no, line in enumerate(project.lines(path), 1):
                host = self._db_host(line) if len(line) < 20000 else None
                if not host:
                    continue
                if placeholder(host) or re.search(r"x{3,}|\[|<|your|example|project-?ref", host, re.I):
                    continue
                dsn = next((m for m in self._DSN.finditer(line) if host in m.group("host")), None)
                cred = dsn.group("cred") if dsn else None
                has_password = bool(cred and ":" in cred and not placeholder(cred.split(":", 1)[1].rstrip("@"))
                                    and not re.search(r"\$\{?|\[|<|%s|\{", cred))
                if doc and not has_password:
                    continue
                shown = redact_url(f"{dsn.group('scheme')}://{cred or ''}{host}") if dsn else host
                out.append(self.finding(
                    "prod-db-in-source",
                    f"{path} names a hosted database ({host})"
                    + (" with its password: anyone with the repository can connect; rotate it." if has_password else
                       ": code and config should get the database from an environment variable, so a local run or "
                       "a test cannot reach production by accident."),
                    path, no, key=host.lower(), evidence=shown,
                    severity=Severity.HIGH if has_password else Severity.MEDIUM,
                    confidence=Confidence.HIGH if has_password else Confidence.MEDIUM))
                break
        return out

    # --- CI ------------------------------------------------------------------------------------
    def _pipeline(self, model: PipelineModel, evidence: list[Location]) -> list[Finding]:
        out: list[Finding] = []
        for wf, job in model.deploy_jobs():
            if never_runs(job):
                continue  # `if: false`: a switched-off job is not judged
            if job.environment:
                evidence.append(Location(wf.path, job.environment_line or job.line,
                                         f"deploy job {job.id} runs in environment {job.environment}"))
                continue
            step = job.steps_of(StepKind.DEPLOY)[0]
            preview = only_previews(job)
            secrets = deploy_secret_names(job)
            # least-privilege leaves deploy jobs to this finding, so it names the secrets exposed as well.
            held = (f"its secrets ({list_text(secrets, 5)}) are repository-wide, readable by any branch or workflow "
                    "that can run it" if secrets else "its secrets are repository-wide")
            out.append(self.finding(
                "deploy-without-environment",
                f"job {job.id} in {wf.path} {'makes a preview deploy' if preview else 'deploys'} "
                f"({step.deploy_tool or step.label}) without `environment:`: no approval or branch rule can stop it, "
                f"{held}, and staging and production look the same to CI.",
                wf.path, job.line, key=f"{job.id}", evidence=redact_line(step.detail or step.label),
                severity=Severity.LOW if preview else Severity.MEDIUM,
                related=[Location(step.path or wf.path, step.detail_line or step.line, "deploy step")]))
        prod_db = re.compile(r"PROD\w*(?:DATABASE|DB)|(?:DATABASE|DB)\w*PROD", re.I)
        db_secret = re.compile(r"DATABASE_UR[LI]|DB_UR[LI]|POSTGRES(?:QL)?_URL|POSTGRES_PRISMA_URL|DIRECT_URL|"
                               r"MONGO\w*_UR[LI]|MYSQL_URL|SUPABASE_DB_URL", re.I)
        # Database secrets of deploy/migrate jobs outside environments: the same name resolves to the same value.
        deploy_db: dict[str, tuple[str, str, int]] = {}
        for wf, job in model.jobs():
            if (job.has(StepKind.DEPLOY) or job.has(StepKind.MIGRATE)) and not job.environment and not never_runs(job):
                for u in job.secrets:
                    if db_secret.search(u.name):
                        deploy_db.setdefault(u.name, (u.path or wf.path, job.id, u.line))
        for wf, job in model.jobs():
            if not job.has(StepKind.TEST) or job.has(StepKind.DEPLOY):
                continue
            names = {u.name: u.line for u in job.secrets}
            for n in secret_names(job.raw if isinstance(job.raw, dict) else {}):
                names.setdefault(n.upper(), job.line)
            hits = sorted(n for n in names if prod_db.search(n))
            if hits:
                out.append(self.finding(
                    "tests-use-prod-database",
                    f"test job {job.id} in {wf.path} is given {hits[0]}: a test run can write to or wipe the "
                    "production database.", wf.path, names[hits[0]] or job.line, key=f"{job.id}:{hits[0]}",
                    evidence=hits[0], confidence=Confidence.MEDIUM))
                continue
            if job.environment:
                continue  # an environment's secret of the same name is a different value
            shared = sorted(n for n in names if n in deploy_db and deploy_db[n][1] != job.id)
            if shared:
                path, other, line = deploy_db[shared[0]]
                out.append(self.finding(
                    "tests-use-prod-database",
                    f"test job {job.id} in {wf.path} reads {shared[0]}, the same repository secret the deploy/migrate "
                    f"job {other} uses: unless that secret points at a test database, tests run against production.",
                    wf.path, names[shared[0]] or job.line, key=f"{job.id}:{shared[0]}", evidence=shared[0],
                    confidence=Confidence.MEDIUM, related=[Location(path, line, f"{other} uses {shared[0]}")]))
        return out

    def _separation_files(self, project: Project) -> list[Location]:
        out: list[Location] = []
        for pattern, note in (
                (".env.staging", "staging env file"), ("**/.env.staging", "staging env file"),
                ("config/deploy.*.yml", "Kamal destination"), ("fly.*.toml", "per-environment fly config"),
                ("config/deploy/*.rb", "Capistrano stage"), ("docker-compose.*.yml", "per-environment compose file"),
                ("docker-compose.*.yaml", "per-environment compose file"), ("compose.*.yml", "per-environment "
                                                                                          "compose file"),
                ("**/settings/production.py", "Django production settings"),
                ("**/settings/prod.py", "Django production settings")):
            for path in project.files.glob(pattern):
                if not any(loc.path == path for loc in out):
                    out.append(Location(path, None, note))
        return out

    # --- status --------------------------------------------------------------------------------
    def _status(self, findings: list[Finding], evidence: list[Location], unparsed: list[str]) -> CheckResult:
        problems = [f for f in findings if f.severity.rank > Severity.INFO.rank]
        worst = max((f.severity for f in problems), key=lambda s: s.rank, default=None)
        note = unparsed_note(unparsed)
        if worst is not None:
            status = Status.FAIL if worst.at_least(Severity.HIGH) else Status.WARN
            return self.result(status, f"{len(problems)} finding(s); worst: {worst.value}{note}", findings, evidence)
        if unparsed:  # a pass must not rest on deploy jobs nobody could read
            return self.unknown(f"no unsafe environment configuration found in what could be read{note}", evidence,
                                findings)
        if evidence:
            shown = list_text([str(loc) for loc in evidence], 3, "; ")
            return self.result(Status.PASS, f"no unsafe environment configuration found; evidence: {shown}",
                               findings, evidence)
        return self.unknown("nothing to judge: no framework settings, env files, production start commands or deploy "
                            "jobs found; declare environments in handrail.toml or add `environment:` to deploy jobs",
                            [], findings)


# --- helpers -------------------------------------------------------------------------------------

def _logical_lines(lines: list[str]) -> list[tuple[int, str]]:
    """Dockerfile instructions with backslash continuations joined, each with its first line number."""
    out: list[tuple[int, str]] = []
    buf, first = "", 0
    for no, line in enumerate(lines, 1):
        if not buf:
            first = no
            if line.lstrip().startswith("#"):
                continue
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        out.append((first, buf + line))
        buf = ""
    if buf:
        out.append((first, buf))
    return out


def _scripts(project: Project, path: str) -> dict[str, str]:
    return {k: v for k, v in manifest_scripts(project, path).items() if isinstance(v, str)}


def _line(node: Any, key: str) -> int:
    from handrail.core.yamlload import line_of

    return line_of(node, key, 1) or 1


def _call_name(call: ast.Call) -> str:
    f = call.func
    if isinstance(f, ast.Attribute):
        return f.attr
    if isinstance(f, ast.Name):
        return f.id
    return ""


_ENV_CALLS = frozenset({"get", "getenv", "config", "env", "bool", "str", "int", "environ", "get_env", "getenv_bool",
                        "get_bool", "json"})


def _env_call(node: ast.AST) -> bool:
    """os.getenv, env.bool, config (decouple), envbool, get_env_setting, ... : calls that read a setting."""
    if not isinstance(node, ast.Call):
        return False
    name = _call_name(node)
    return name in _ENV_CALLS or "env" in name.lower() or "setting" in name.lower()


def _reads_env(value: ast.expr) -> bool:
    for node in ast.walk(value):
        if _env_call(node):
            return True
        if isinstance(node, ast.Subscript) and "environ" in ast.unparse(node.value):
            return True
    return False


def _defaults(value: ast.expr) -> Iterator[ast.expr]:
    for node in ast.walk(value):
        if not isinstance(node, ast.Call) or not _env_call(node):
            continue
        for kw in node.keywords:
            if kw.arg == "default":
                yield kw.value
        if len(node.args) >= 2:
            yield node.args[1]


def _default_truthy(value: ast.expr) -> bool:
    """env.bool("DEBUG", default=True), os.getenv("DEBUG", "True") == "True", config("DEBUG", True, cast=bool)."""
    cmp_to = None
    if isinstance(value, ast.Compare) and value.comparators and isinstance(value.comparators[0], ast.Constant):
        cmp_to = str(value.comparators[0].value).lower()
    for d in _defaults(value):
        if not isinstance(d, ast.Constant):
            continue
        v = d.value
        if v is True:
            return True
        if isinstance(v, str) and v.lower() in _TRUTHY:
            return cmp_to is None or v.lower() == cmp_to
    return False


def _string_default(value: ast.expr) -> str | None:
    for d in _defaults(value):
        if isinstance(d, ast.Constant) and isinstance(d.value, str):
            return d.value
    return None


def _assigned_names(tree: ast.Module) -> set[str]:
    """Names a module assigns at import time, including inside if/else and try (not in functions)."""
    out: set[str] = set()
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Assign):
            out.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
            out.add(node.target.id)
        elif isinstance(node, ast.If | ast.For | ast.While | ast.With):
            stack.extend(node.body + getattr(node, "orelse", []))
        elif isinstance(node, ast.Try):
            stack.extend(node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body])
    return out


def _walk_guarded(tree: ast.Module) -> Iterator[tuple[ast.AST, bool]]:
    """Every statement-level node with whether it sits under `if __name__ == "__main__":`."""
    def visit(nodes: list[ast.stmt], guarded: bool) -> Iterator[tuple[ast.AST, bool]]:
        for node in nodes:
            yield node, guarded
            if isinstance(node, ast.If):
                is_main = "__name__" in ast.unparse(node.test) and "__main__" in ast.unparse(node.test)
                yield from visit(node.body, guarded or is_main)
                yield from visit(node.orelse, guarded)
            elif isinstance(node, ast.With | ast.Try):
                yield from visit(node.body, guarded)
    yield from visit(tree.body, False)


def _flask_debug(node: ast.AST) -> str | None:
    """`app.run(debug=True)`, `app.debug = True`, `app.config["DEBUG"] = True` as a statement."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        call = node.value
        if _call_name(call) == "run":
            for kw in call.keywords:
                if kw.arg == "debug" and isinstance(kw.value, ast.Constant) and kw.value.value is True:
                    return "run(debug=True)"
    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value is True:
        for t in node.targets:
            if isinstance(t, ast.Attribute) and t.attr == "debug":
                return f"{ast.unparse(t)} = True"
            if (isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Constant) and t.slice.value == "DEBUG"
                    and "config" in ast.unparse(t.value)):
                return f"{ast.unparse(t)} = True"
    return None


CHECK = Environments()
