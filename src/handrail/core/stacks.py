"""Stack detection: frameworks, database engines, CI providers, deploy platforms.

Each detection names the file (and line when there is one) it rests on, so the report
can say *why* it thinks an app is Laravel or deploys to Fly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handrail.core.dotenv import env_assignments
from handrail.core.finding import Location
from handrail.core.lazyre import lazy_re

if TYPE_CHECKING:
    from handrail.core.project import Project


@dataclass
class Stacks:
    frameworks: dict[str, Location] = field(default_factory=dict)
    databases: dict[str, Location] = field(default_factory=dict)
    ci: dict[str, Location] = field(default_factory=dict)
    deploy: dict[str, Location] = field(default_factory=dict)

    def names(self) -> list[str]:
        return [*self.frameworks, *self.databases, *self.ci, *self.deploy]

    def has(self, name: str) -> bool:
        return name in self.frameworks or name in self.databases or name in self.ci or name in self.deploy


# package manifests: dependency name -> framework / database
_NPM_FRAMEWORKS = {"next": "nextjs", "express": "express", "@supabase/supabase-js": "supabase",
                   "@supabase/ssr": "supabase", "prisma": "prisma", "@prisma/client": "prisma",
                   "firebase": "firebase", "firebase-admin": "firebase", "drizzle-orm": "drizzle"}
_NPM_DATABASES = {"pg": "postgresql", "postgres": "postgresql", "@neondatabase/serverless": "postgresql",
                  "mysql2": "mysql", "mysql": "mysql", "better-sqlite3": "sqlite", "sqlite3": "sqlite",
                  "mongodb": "mongodb", "mongoose": "mongodb"}
_PY_FRAMEWORKS = {"django": "django", "flask": "flask", "fastapi": "fastapi"}
_PY_DATABASES = {"psycopg": "postgresql", "psycopg2": "postgresql", "psycopg2-binary": "postgresql",
                 "asyncpg": "postgresql", "mysqlclient": "mysql", "pymysql": "mysql", "aiosqlite": "sqlite"}
_GEM_FRAMEWORKS = {"rails": "rails"}
_GEM_DATABASES = {"pg": "postgresql", "mysql2": "mysql", "sqlite3": "sqlite", "trilogy": "mysql"}


# Manifests in these folders describe test fixtures or samples, not the app being checked.
_NOT_APP_DIRS = frozenset({"tests", "test", "spec", "fixtures", "fixture", "examples", "example", "docs", "samples",
                           "testdata", "__fixtures__", "e2e", "corpus", "bench", "benchmarks"})


def _app(paths: Iterable[str]) -> list[str]:
    return [p for p in paths if not _NOT_APP_DIRS.intersection(p.split("/")[:-1])]


def detect_stacks(project: Project) -> Stacks:
    st = Stacks()
    files = project.files
    _detect_node(project, st)
    _detect_python(project, st)
    _detect_php(project, st)
    _detect_ruby(project, st)

    if any(p.startswith("supabase/") for p in files.paths()) and "supabase" not in st.frameworks:
        hit = files.glob("supabase/config.toml", "supabase/migrations/*")
        if hit:
            st.frameworks["supabase"] = Location(hit[0], None, "supabase/ folder")
    for name in ("firebase.json", "firestore.rules", ".firebaserc"):
        if name in files and "firebase" not in st.frameworks:
            st.frameworks["firebase"] = Location(name, None, name)
    for schema in _app(files.glob("**/schema.prisma")):
        st.frameworks.setdefault("prisma", Location(schema, None, "Prisma schema"))
        m = _search(project, schema, r'provider\s*=\s*"(postgresql|mysql|sqlite|sqlserver|mongodb|cockroachdb)"')
        if m:
            engine = {"cockroachdb": "postgresql"}.get(m[0], m[0])
            st.databases.setdefault(engine, Location(schema, m[1], f"datasource provider {m[0]}"))

    for env_file in _app(files.named(".env.example", ".env", ".env.production", ".env.local")):
        for no, name, value in env_assignments(project.lines(env_file)):
            low = value.lower()
            if name == "DB_CONNECTION" and low in ("pgsql", "mysql", "mariadb", "sqlite"):
                engine = {"pgsql": "postgresql", "mariadb": "mysql"}.get(low, low)
                st.databases.setdefault(engine, Location(env_file, no, f"DB_CONNECTION={low}"))
            m = re.match(r"(postgres(?:ql)?|mysql|sqlite|file):", low) if name == "DATABASE_URL" else None
            if m:
                engine = {"postgres": "postgresql", "file": "sqlite"}.get(m[1], m[1])
                st.databases.setdefault(engine, Location(env_file, no, "DATABASE_URL scheme"))
    if "supabase" in st.frameworks:
        st.databases.setdefault("postgresql", Location(st.frameworks["supabase"].path, None, "Supabase is Postgres"))

    if files.glob(".github/workflows/*.yml", ".github/workflows/*.yaml"):
        first = files.glob(".github/workflows/*.yml", ".github/workflows/*.yaml")[0]
        st.ci["github-actions"] = Location(first, None, "workflow")
    if ".gitlab-ci.yml" in files:
        st.ci["gitlab-ci"] = Location(".gitlab-ci.yml", None, "GitLab CI")
    for name, path in _OTHER_CI:
        if path in files:
            st.ci.setdefault(name, Location(path, None, name))

    _detect_deploy(project, st)
    return st


def _search(project: Project, path: str, pattern: str) -> tuple[str, int] | None:
    rx = re.compile(pattern, re.M | re.I)
    for no, line in enumerate(project.lines(path), 1):
        m = rx.search(line)
        if m:
            return (m.group(1) if m.groups() else m.group(0)), no
    return None


def _detect_node(project: Project, st: Stacks) -> None:
    for pkg in _app(project.files.named("package.json")):
        deps = npm_dependencies(project, pkg)
        for dep, fw in _NPM_FRAMEWORKS.items():
            if dep in deps:
                st.frameworks.setdefault(fw, Location(pkg, project.find_line(pkg, f'"{dep}"'), f"depends on {dep}"))
        for dep, db in _NPM_DATABASES.items():
            if dep in deps:
                st.databases.setdefault(db, Location(pkg, project.find_line(pkg, f'"{dep}"'), f"depends on {dep}"))


def npm_dependencies(project: Project, path: str) -> dict[str, Any]:
    """dependencies and devDependencies of one package.json, merged; {} when it is malformed or has none."""
    from handrail.core.project import ParseError

    try:
        data = project.json(path)
    except ParseError:
        return {}
    deps: dict[str, Any] = {}
    for key in ("dependencies", "devDependencies"):
        if isinstance(data, dict) and isinstance(data.get(key), dict):
            deps.update(data[key])
    return deps


def _py_dep(dep: str, low: str) -> bool:
    """`dep` as a requirement on this manifest line; `django-environ` is not `django`."""
    name = re.escape(dep)
    return bool(re.match(rf'^["\']?{name}(?![\w.-])', low)
                or re.search(rf'["\']{name}(\[[^\]]*\])?\s*([<>=~!;"\']|$)', low))


_PY_MANIFESTS = ("requirements*.txt", "**/requirements*.txt", "requirements/*.txt", "**/requirements/*.txt",
                 "requirements*.in", "**/pyproject.toml", "pyproject.toml", "**/Pipfile", "Pipfile", "setup.py",
                 "setup.cfg")
# Source fallback for apps without a manifest (a lone app.py): the import is the evidence.
_PY_IMPORTS = (("fastapi", lazy_re(r"^\s*(from\s+fastapi\s+import|import\s+fastapi)\b")),
               ("flask", lazy_re(r"^\s*(from\s+flask\s+import|import\s+flask)\b")),
               ("django", lazy_re(r"^\s*(from\s+django[.\s]|import\s+django)\b")))
_PY_SOURCE_SCAN_LIMIT = 300


def _detect_python(project: Project, st: Stacks) -> None:
    files = project.files
    for path in _app(files.glob(*_PY_MANIFESTS)):
        for no, line in enumerate(project.lines(path), 1):
            low = line.strip().lower()
            if low.startswith("#"):
                continue
            for dep, fw in _PY_FRAMEWORKS.items():
                if _py_dep(dep, low):
                    st.frameworks.setdefault(fw, Location(path, no, f"depends on {dep}"))
            for dep, db in _PY_DATABASES.items():
                if _py_dep(dep, low):
                    st.databases.setdefault(db, Location(path, no, f"depends on {dep}"))
    if not any(fw in st.frameworks for fw in _PY_FRAMEWORKS.values()):
        sources = sorted(_app(p for p in files.paths() if p.endswith(".py")), key=lambda p: (p.count("/"), p))
        for path in sources[:_PY_SOURCE_SCAN_LIMIT]:
            for no, line in enumerate(project.lines(path)[:200], 1):
                for fw, rx in _PY_IMPORTS:
                    if fw not in st.frameworks and rx.match(line):
                        st.frameworks[fw] = Location(path, no, f"imports {fw}")
    for manage in _app(files.named("manage.py")):
        if "django" in (project.text(manage) or "").lower():
            st.frameworks.setdefault("django", Location(manage, None, "Django manage.py"))
    for settings in _app(files.glob("**/settings.py", "**/settings/*.py")):
        m = _search(project, settings, r"django\.db\.backends\.(postgresql|mysql|sqlite3)")
        if m:
            st.databases.setdefault(m[0].replace("sqlite3", "sqlite"), Location(settings, m[1], "DATABASES ENGINE"))


def _detect_php(project: Project, st: Stacks) -> None:
    from handrail.core.project import ParseError

    if "composer.json" in project.files:
        try:
            data = project.json("composer.json")
        except ParseError:
            data = None
        req = data.get("require", {}) if isinstance(data, dict) else {}
        if isinstance(req, dict) and "laravel/framework" in req:
            st.frameworks["laravel"] = Location("composer.json", project.find_line("composer.json",
                                                                                   '"laravel/framework"'),
                                                "depends on laravel/framework")
    if "artisan" in project.files and "laravel" not in st.frameworks:
        # Any script can be called artisan; Laravel's boots Illuminate.
        line = project.find_line("artisan", "Illuminate") or project.find_line("artisan", "laravel")
        if line:
            st.frameworks["laravel"] = Location("artisan", line, "Laravel artisan console")
    for cfg in project.files.glob("config/database.php"):
        m = _search(project, cfg, r"'default'\s*=>\s*env\('DB_CONNECTION',\s*'(\w+)'")
        if m:
            engine = {"pgsql": "postgresql", "mariadb": "mysql"}.get(m[0], m[0])
            st.databases.setdefault(engine, Location(cfg, m[1], "default DB_CONNECTION"))


_RAILS_ADAPTERS = {"postgis": "postgresql", "mysql2": "mysql", "trilogy": "mysql", "sqlite3": "sqlite"}


def _detect_ruby(project: Project, st: Stacks) -> None:
    files = project.files
    if "Gemfile" in files:
        for no, line in enumerate(project.lines("Gemfile"), 1):
            m = re.match(r"""\s*gem\s*\(?\s*["']([\w-]+)["']""", line)
            if not m:
                continue
            gem = m.group(1)
            if gem in _GEM_FRAMEWORKS:
                st.frameworks.setdefault(_GEM_FRAMEWORKS[gem], Location("Gemfile", no, f"gem {gem}"))
            if gem in _GEM_DATABASES:
                st.databases.setdefault(_GEM_DATABASES[gem], Location("Gemfile", no, f"gem {gem}"))
    if "rails" not in st.frameworks and "config/application.rb" in files:
        line = project.find_line("config/application.rb", "Rails::Application")
        if line:
            st.frameworks["rails"] = Location("config/application.rb", line, "Rails::Application")
    if "config/database.yml" in files:
        m = _search(project, "config/database.yml", r"^\s*adapter:\s*[\"']?(postgresql|postgis|mysql2|trilogy|sqlite3)")
        if m:
            engine = _RAILS_ADAPTERS.get(m[0], m[0])
            st.databases.setdefault(engine, Location("config/database.yml", m[1], f"adapter {m[0]}"))


_OTHER_CI = (("circleci", ".circleci/config.yml"), ("bitbucket-pipelines", "bitbucket-pipelines.yml"),
             ("azure-pipelines", "azure-pipelines.yml"), ("jenkins", "Jenkinsfile"), ("travis", ".travis.yml"))

_DEPLOY_FILES = (
    ("vercel", ("vercel.json", ".vercel/project.json")),
    ("fly", ("fly.toml",)),
    ("render", ("render.yaml", "render.yml")),
    ("heroku", ("heroku.yml", "Procfile", "app.json")),
    ("railway", ("railway.toml", "railway.json")),
    ("kamal", ("config/deploy.yml", ".kamal/secrets")),
    ("deployer", ("deploy.php", "deploy.yaml", "deploy.yml")),
    ("capistrano", ("Capfile", "config/deploy.rb")),
    ("docker-compose", ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")),
    ("envoy", ("Envoy.blade.php",)),
    ("netlify", ("netlify.toml",)),
)
# Generic names that only count when their content says which tool they belong to.
_DEPLOY_CONTENT = {
    ("kamal", "config/deploy.yml"): lazy_re(r"^service:", re.M),
    ("heroku", "app.json"): lazy_re(r'"(buildpacks|formation|addons|stack)"\s*:|heroku', re.I),
    ("deployer", "deploy.php"): lazy_re(r"namespace\s+Deployer|Deployer\\|recipe/"),
    ("deployer", "deploy.yaml"): lazy_re(r"^\s*-?\s*recipe/|^import:", re.M),
    ("deployer", "deploy.yml"): lazy_re(r"^\s*-?\s*recipe/|^import:", re.M),
    ("capistrano", "config/deploy.rb"): lazy_re(r"^\s*lock\s+[\"']|capistrano", re.M | re.I),
}
_FORGE_RX = lazy_re(r"/home/forge/|\$FORGE_|FORGE_SITE_PATH|envoyer", re.I)
_COMPOSE_DB_RX = lazy_re(r"^\s*image:\s*[\"']?(?:[\w./-]*/)?(postgres|postgis|mysql|mariadb|mongo)\b", re.M)


def _detect_deploy(project: Project, st: Stacks) -> None:
    files = project.files
    for name, candidates in _DEPLOY_FILES:
        for cand in candidates:
            if cand not in files:
                continue
            rx = _DEPLOY_CONTENT.get((name, cand))
            line = None
            if rx is not None:
                m = rx.search(project.text(cand) or "")
                if not m:
                    continue
                line = (project.text(cand) or "").count("\n", 0, m.start()) + 1
            st.deploy.setdefault(name, Location(cand, line, cand))
            break
    for cand in files.glob("docker-compose.*.yml", "docker-compose.*.yaml", "compose.*.yml", "compose.*.yaml"):
        st.deploy.setdefault("docker-compose", Location(cand, None, cand))
    for cand in files.glob("fly.*.toml"):
        st.deploy.setdefault("fly", Location(cand, None, cand))
    for cand in files.glob("deploy.sh", "scripts/deploy.sh", "bin/deploy", "scripts/deploy*.sh", ".forge/*",
                           "forge-deploy.sh", ".envoyer/*"):
        text = project.text(cand) or ""
        m = _FORGE_RX.search(text)
        if m or cand.startswith((".forge/", ".envoyer/", "forge-")):
            line = text.count("\n", 0, m.start()) + 1 if m else None
            st.deploy.setdefault("forge", Location(cand, line, "Forge/Envoyer-style deploy script"))
        st.deploy.setdefault("deploy-script", Location(cand, None, "deploy script"))
    for manifest in files.glob("k8s/*.yaml", "k8s/*.yml", "kubernetes/*.yaml", "kubernetes/*.yml",
                               "deploy/*.yaml", "deploy/*.yml", "manifests/*.yaml", "manifests/*.yml",
                               "charts/*/Chart.yaml", "helm/*/Chart.yaml", "**/kustomization.yaml",
                               "**/kustomization.yml"):
        text = project.text(manifest) or ""
        kind = re.search(r"^kind:\s*\w+", text, re.M)
        if (re.search(r"^apiVersion:", text, re.M) and kind) or manifest.endswith(
                ("Chart.yaml", "kustomization.yaml", "kustomization.yml")):
            line = text.count("\n", 0, kind.start()) + 1 if kind else None
            st.deploy.setdefault("kubernetes", Location(manifest, line, "Kubernetes manifest"))
            break
    compose = st.deploy.get("docker-compose")
    for path in files.glob("docker-compose*.y*ml", "compose*.y*ml") if compose else []:
        for m in _COMPOSE_DB_RX.finditer(project.text(path) or ""):
            engine = {"postgis": "postgresql", "postgres": "postgresql", "mariadb": "mysql",
                      "mongo": "mongodb"}.get(m.group(1), m.group(1))
            line = (project.text(path) or "").count("\n", 0, m.start()) + 1
            st.databases.setdefault(engine, Location(path, line, f"compose service image {m.group(1)}"))
