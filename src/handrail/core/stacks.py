"""Stack detection: frameworks, database engines, CI providers, deploy platforms.

Each detection names the file (and line when there is one) it rests on, so the report
can say *why* it thinks an app is Laravel or deploys to Fly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from handrail.core.finding import Location

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
    for schema in files.glob("**/schema.prisma"):
        st.frameworks.setdefault("prisma", Location(schema, None, "Prisma schema"))
        m = _search(project, schema, r'provider\s*=\s*"(postgresql|mysql|sqlite|sqlserver|mongodb|cockroachdb)"')
        if m:
            engine = {"cockroachdb": "postgresql"}.get(m[0], m[0])
            st.databases.setdefault(engine, Location(schema, m[1], f"datasource provider {m[0]}"))

    for env_file in files.named(".env.example", ".env", ".env.production", ".env.local"):
        m = _search(project, env_file, r"^DB_CONNECTION=(pgsql|mysql|mariadb|sqlite)")
        if m:
            engine = {"pgsql": "postgresql", "mariadb": "mysql"}.get(m[0], m[0])
            st.databases.setdefault(engine, Location(env_file, m[1], f"DB_CONNECTION={m[0]}"))
        m = _search(project, env_file, r"^DATABASE_URL=[\"']?(postgres(?:ql)?|mysql|sqlite|file)")
        if m:
            engine = {"postgres": "postgresql", "file": "sqlite"}.get(m[0], m[0])
            st.databases.setdefault(engine, Location(env_file, m[1], "DATABASE_URL scheme"))
    if "supabase" in st.frameworks:
        st.databases.setdefault("postgresql", Location(st.frameworks["supabase"].path, None, "Supabase is Postgres"))

    if files.glob(".github/workflows/*.yml", ".github/workflows/*.yaml"):
        first = files.glob(".github/workflows/*.yml", ".github/workflows/*.yaml")[0]
        st.ci["github-actions"] = Location(first, None, "workflow")
    if ".gitlab-ci.yml" in files:
        st.ci["gitlab-ci"] = Location(".gitlab-ci.yml", None, "GitLab CI")

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
    from handrail.core.project import ParseError

    for pkg in project.files.named("package.json"):
        try:
            data = project.json(pkg)
        except ParseError:
            continue
        if not isinstance(data, dict):
            continue
        deps: dict = {}
        for key in ("dependencies", "devDependencies"):
            if isinstance(data.get(key), dict):
                deps.update(data[key])
        for dep, fw in _NPM_FRAMEWORKS.items():
            if dep in deps:
                st.frameworks.setdefault(fw, Location(pkg, project.find_line(pkg, f'"{dep}"'), f"depends on {dep}"))
        for dep, db in _NPM_DATABASES.items():
            if dep in deps:
                st.databases.setdefault(db, Location(pkg, project.find_line(pkg, f'"{dep}"'), f"depends on {dep}"))


def _detect_python(project: Project, st: Stacks) -> None:
    files = project.files
    for path in files.named("requirements.txt", "pyproject.toml", "Pipfile", "setup.py", "setup.cfg"):
        for no, line in enumerate(project.lines(path), 1):
            low = line.strip().lower()
            for dep, fw in _PY_FRAMEWORKS.items():
                if re.match(rf'^["\']?{re.escape(dep)}(\b|[<>=~!\[;"\' ])', low) or re.search(
                        rf'["\']{re.escape(dep)}(\[[^\]]*\])?\s*([<>=~!;"\']|$)', low):
                    st.frameworks.setdefault(fw, Location(path, no, f"depends on {dep}"))
            for dep, db in _PY_DATABASES.items():
                if re.match(rf'^["\']?{re.escape(dep)}(\b|[<>=~!\[;"\' ])', low):
                    st.databases.setdefault(db, Location(path, no, f"depends on {dep}"))
    for manage in files.named("manage.py"):
        if "django" in (project.text(manage) or "").lower():
            st.frameworks.setdefault("django", Location(manage, None, "Django manage.py"))
    for settings in files.glob("**/settings.py", "**/settings/*.py"):
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
    if "artisan" in project.files:
        st.frameworks.setdefault("laravel", Location("artisan", None, "artisan"))
    for cfg in project.files.glob("config/database.php"):
        m = _search(project, cfg, r"'default'\s*=>\s*env\('DB_CONNECTION',\s*'(\w+)'")
        if m:
            engine = {"pgsql": "postgresql", "mariadb": "mysql"}.get(m[0], m[0])
            st.databases.setdefault(engine, Location(cfg, m[1], "default DB_CONNECTION"))


def _detect_ruby(project: Project, st: Stacks) -> None:
    if "Gemfile" not in project.files:
        return
    for no, line in enumerate(project.lines("Gemfile"), 1):
        m = re.match(r"""\s*gem\s+["']([\w-]+)["']""", line)
        if not m:
            continue
        if m.group(1) in _GEM_FRAMEWORKS:
            st.frameworks.setdefault(_GEM_FRAMEWORKS[m.group(1)], Location("Gemfile", no, f"gem {m.group(1)}"))
        if m.group(1) in _GEM_DATABASES:
            st.databases.setdefault(_GEM_DATABASES[m.group(1)], Location("Gemfile", no, f"gem {m.group(1)}"))


_DEPLOY_FILES = (
    ("vercel", ("vercel.json", ".vercel/project.json")),
    ("fly", ("fly.toml",)),
    ("render", ("render.yaml", "render.yml")),
    ("heroku", ("Procfile", "app.json", "heroku.yml")),
    ("railway", ("railway.toml", "railway.json")),
    ("kamal", ("config/deploy.yml",)),
    ("deployer", ("deploy.php", "deploy.yaml")),
    ("capistrano", ("Capfile", "config/deploy.rb")),
    ("docker-compose", ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")),
    ("envoy", ("Envoy.blade.php",)),
    ("netlify", ("netlify.toml",)),
)


def _detect_deploy(project: Project, st: Stacks) -> None:
    files = project.files
    for name, candidates in _DEPLOY_FILES:
        for cand in candidates:
            if cand in files:
                if name == "kamal" and "service:" not in (project.text(cand) or ""):
                    continue
                st.deploy.setdefault(name, Location(cand, None, cand))
                break
    for cand in files.glob("fly.*.toml", "deploy.sh", "scripts/deploy.sh", ".forge/*", "forge-deploy.sh"):
        if cand.startswith("fly."):
            st.deploy.setdefault("fly", Location(cand, None, cand))
        else:
            st.deploy.setdefault("deploy-script", Location(cand, None, "deploy script"))
    for manifest in files.glob("k8s/*.yaml", "k8s/*.yml", "kubernetes/*.yaml", "kubernetes/*.yml",
                               "deploy/*.yaml", "deploy/*.yml", "manifests/*.yaml", "manifests/*.yml",
                               "charts/*/Chart.yaml", "helm/*/Chart.yaml", "**/kustomization.yaml"):
        text = project.text(manifest) or ""
        if ("apiVersion:" in text and "kind:" in text) or manifest.endswith(("Chart.yaml", "kustomization.yaml")):
            st.deploy.setdefault("kubernetes", Location(manifest, None, "Kubernetes manifest"))
            break
