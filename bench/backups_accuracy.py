"""Precision/recall of the backups check on labelled good/bad twins.

Two corpora: the twins in tests/data/backups (cases.toml says what each must flag; the tests assert them
exactly) and a held-out set generated here into a temporary directory, written from how each platform behaves
and labelled before the check ran on it, covering variations the tests do not (railway, heroku.yml, Envoy,
make aliases, kamal, supabase, Procfile web, ssh + docker compose). Unit = one migration path flagged as
`migrate-without-backup`, keyed by file:line: a labelled one reported is a TP, a labelled one missed a FN,
anything else reported a FP. A status that differs from the label is listed too.

Usage: python bench/backups_accuracy.py [--verbose]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from handrail.checks.backups import CHECK
from handrail.core.project import Project

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "backups"

GHA = "name: Deploy\non:\n  push:\n    branches: [main]\njobs:\n"
PRISMA = {"prisma/migrations/20240101000000_init/migration.sql": "CREATE TABLE t (id int primary key);\n",
          "prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n'}
DJANGO = {"app/migrations/0001_initial.py": "from django.db import migrations\n\n\nclass Migration("
                                            "migrations.Migration):\n    operations = []\n",
          "app/migrations/__init__.py": ""}
LARAVEL = {"database/migrations/2024_01_01_000000_create_t.php": "<?php\nreturn new class extends Migration {\n"
                                                                 "    public function up() {}\n};\n"}
RAILS = {"db/migrate/20240101000000_create_t.rb": "class CreateT < ActiveRecord::Migration[7.1]\n  def change\n"
                                                  "  end\nend\n"}

# name -> (files, expected status, flagged "file:line" list)
Case = tuple[dict[str, str], str, list[str]]
HELD_OUT: dict[str, Case] = {
    "railway-bad": ({**PRISMA, "railway.json": '{\n  "deploy": {\n    "preDeployCommand": "npx prisma migrate deploy"'
                                                 '\n  }\n}\n'}, "fail", ["railway.json:3"]),
    "railway-good": ({**PRISMA, "railway.json": '{\n  "deploy": {\n    "preDeployCommand": "handrail migrate -- npx '
                                                  'prisma migrate deploy"\n  }\n}\n'}, "pass", []),
    "heroku-yml-bad": ({**RAILS, "heroku.yml": "build:\n  docker:\n    web: Dockerfile\nrelease:\n  command:\n"
                                               "    - bundle exec rails db:migrate\n  image: web\n"},
                       "fail", ["heroku.yml:4"]),
    "envoy-bad": ({**LARAVEL, "Envoy.blade.php": "@servers(['web' => 'deploy@1.2.3.4'])\n\n@task('deploy')\n"
                                                 "    cd /var/www/app\n    git pull origin main\n"
                                                 "    php artisan migrate --force\n@endtask\n"},
                  "fail", ["Envoy.blade.php:6"]),
    "envoy-good": ({**LARAVEL, "Envoy.blade.php": "@servers(['web' => 'deploy@1.2.3.4'])\n\n@task('deploy')\n"
                                                  "    cd /var/www/app\n    git pull origin main\n"
                                                  "    php artisan backup:run --only-db\n"
                                                  "    php artisan migrate --force\n@endtask\n"}, "pass", []),
    "make-alias-bad": ({**DJANGO, "Makefile": "migrate:\n\tpython manage.py migrate --noinput\n",
                        ".github/workflows/deploy.yml": GHA + "  deploy:\n    runs-on: ubuntu-latest\n"
                        "    environment: production\n    steps:\n      - run: make migrate\n"},
                       "fail", [".github/workflows/deploy.yml:10"]),
    "make-alias-good": ({**DJANGO, "Makefile": "backup:\n\tpg_dump $$DATABASE_URL > pre.sql\n"
                                               "migrate: backup\n\tpython manage.py migrate --noinput\n",
                         ".github/workflows/deploy.yml": GHA + "  deploy:\n    runs-on: ubuntu-latest\n"
                         "    environment: production\n    steps:\n      - run: make migrate\n"}, "pass", []),
    "supabase-ci-bad": ({"supabase/migrations/20240101000000_init.sql": "create table t (id int);\n",
                         ".github/workflows/deploy.yml": GHA + "  db:\n    runs-on: ubuntu-latest\n    env:\n"
                         "      SUPABASE_ACCESS_TOKEN: ${{ secrets.SUPABASE_ACCESS_TOKEN }}\n    steps:\n"
                         "      - uses: supabase/setup-cli@v1\n      - run: supabase link --project-ref abc\n"
                         "      - run: supabase db push\n"}, "fail", [".github/workflows/deploy.yml:13"]),
    "supabase-ci-good": ({"supabase/migrations/20240101000000_init.sql": "create table t (id int);\n",
                          ".github/workflows/deploy.yml": GHA + "  db:\n    runs-on: ubuntu-latest\n    env:\n"
                          "      SUPABASE_ACCESS_TOKEN: ${{ secrets.SUPABASE_ACCESS_TOKEN }}\n    steps:\n"
                          "      - uses: supabase/setup-cli@v1\n      - run: supabase link --project-ref abc\n"
                          "      - run: supabase db dump -f pre-push.sql\n      - run: supabase db push\n"},
                         "pass", []),
    "procfile-web-bad": ({**DJANGO, "Procfile": "web: python manage.py migrate && gunicorn app.wsgi\n"},
                         "fail", ["Procfile:1"]),
    "ssh-compose-bad": ({**DJANGO, ".github/workflows/deploy.yml": GHA + "  deploy:\n    runs-on: ubuntu-latest\n"
                         "    steps:\n      - run: |\n          ssh deploy@host \"cd /srv/app && docker compose pull "
                         "&& docker compose run --rm web python manage.py migrate && docker compose up -d\"\n"},
                        "fail", [".github/workflows/deploy.yml:10"]),
    "kamal-rails-bad": ({**RAILS, "config/deploy.yml": "service: app\nimage: acme/app\nservers:\n  - 1.2.3.4\n",
                         "Dockerfile": 'FROM ruby:3.3\nWORKDIR /rails\nENTRYPOINT ["/rails/bin/docker-entrypoint"]\n'
                                       'CMD ["./bin/rails", "server"]\n',
                         "bin/docker-entrypoint": '#!/bin/bash -e\nif [ "${1}" == "./bin/rails" ] && '
                                                  '[ "${2}" == "server" ]; then\n  ./bin/rails db:prepare\nfi\n'
                                                  'exec "${@}"\n'}, "fail", ["bin/docker-entrypoint:3"]),
    "kamal-exec-bad": ({**RAILS, ".github/workflows/deploy.yml": GHA + "  deploy:\n    runs-on: ubuntu-latest\n"
                        "    environment: production\n    steps:\n      - run: kamal deploy\n"
                        "      - run: kamal app exec 'bin/rails db:migrate'\n"},
                       "fail", [".github/workflows/deploy.yml:11"]),
    "test-only": ({**PRISMA, ".github/workflows/ci.yml": "name: CI\non: [push]\njobs:\n  test:\n"
                   "    runs-on: ubuntu-latest\n    services:\n      postgres:\n        image: postgres:16\n"
                   "    env:\n      DATABASE_URL: postgresql://postgres:postgres@localhost:5432/t\n    steps:\n"
                   "      - run: npx prisma migrate deploy\n      - run: npm test\n"}, "unknown", []),
    "dev-compose-only": ({**DJANGO, "docker-compose.yml": "services:\n  web:\n    build: .\n"
                          "    command: sh -c 'python manage.py migrate && python manage.py runserver 0.0.0.0:8000'\n"},
                         "unknown", []),
    "workflow-dispatch-good": ({**PRISMA, ".github/workflows/migrate.yml": "name: Migrate production\non:\n"
                                "  workflow_dispatch:\njobs:\n  migrate:\n    runs-on: ubuntu-latest\n    steps:\n"
                                "      - run: npx neonctl branches create --project-id $NEON_PROJECT --name pre-"
                                "migrate\n      - run: npx prisma migrate deploy\n        env:\n          DATABASE_URL:"
                                " ${{ secrets.DATABASE_URL }}\n"}, "pass", []),
}


def _git(root: Path) -> None:
    env = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@x",
           "HOME": str(root), "PATH": "/usr/bin:/bin"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "x", "--no-gpg-sign"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def _judge(root: Path, status: str, flagged: list[str], name: str, verbose: bool) -> tuple[int, int, int, bool]:
    result = CHECK.run(Project(root))
    got = {f"{f.path}:{f.line}" for f in result.findings if f.rule == "migrate-without-backup"}
    want = set(flagged)
    tp, fp, fn = len(got & want), len(got - want), len(want - got)
    ok = result.status.value == status
    if verbose or fp or fn or not ok:
        mark = "ok " if not (fp or fn) and ok else "ERR"
        print(f"  {mark} {name}: {result.status.value} (want {status}); FP {sorted(got - want)} "
              f"FN {sorted(want - got)}")
    return tp, fp, fn, ok


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--verbose", action="store_true")
    verbose = ap.parse_args().verbose
    cases = tomllib.loads((DATA / "cases.toml").read_text())
    totals: dict[str, list[int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        runs: list[tuple[str, str, Path, str, list[str]]] = []
        for name in sorted(cases):
            for twin in ("good", "bad"):
                dst = base / f"fixture-{name}-{twin}"
                shutil.copytree(DATA / name / twin, dst)
                _git(dst)
                runs.append(("fixtures", f"{name}/{twin}", dst, cases[name][twin]["status"],
                             cases[name][twin]["flagged"]))
        for name, (files, status, flagged) in HELD_OUT.items():
            dst = base / f"held-{name}"
            for rel, text in files.items():
                (dst / rel).parent.mkdir(parents=True, exist_ok=True)
                (dst / rel).write_text(text)
            _git(dst)
            runs.append(("held-out", name, dst, status, flagged))
        for corpus, name, root, status, flagged in runs:
            tp, fp, fn, ok = _judge(root, status, flagged, f"{corpus}:{name}", verbose)
            t = totals.setdefault(corpus, [0, 0, 0, 0, 0])
            t[0] += tp
            t[1] += fp
            t[2] += fn
            t[3] += int(ok)
            t[4] += 1
    for corpus, (tp, fp, fn, ok, n) in totals.items():
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        print(f"{corpus:9} twins {n:3}  paths TP {tp:3} FP {fp:2} FN {fn:2}  precision {p:.2f}  recall {r:.2f}  "
              f"status right {ok}/{n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
