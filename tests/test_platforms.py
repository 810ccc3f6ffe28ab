"""Platform readers on realistic files in real git repositories: facts, exact lines, bad input."""

from __future__ import annotations

from platform_samples import DEPLOY_PHP, KAMAL, OPENCAL_FLY

from handrail.core.finding import Location
from handrail.pipeline.platforms import read_platforms
from handrail.pipeline.platforms._util import image_tag_kind
from handrail.pipeline.platforms.deploy_scripts import analyse
from handrail.pipeline.platforms.docs import procedures


def _lines(locs: list[Location]) -> list[tuple[str | None, int | None]]:
    return [(loc.path, loc.line) for loc in locs]


def _notes(locs: list[Location]) -> str:
    return "\n".join(loc.note for loc in locs)


# --- fly ---------------------------------------------------------------------------------------
def test_fly_opencal_bluegreen_auto_rollback(project_of):
    facts = read_platforms(project_of({"fly.toml": OPENCAL_FLY}))
    assert facts.platforms["fly"] == Location("fly.toml", 1, "Fly app opencal (strategy bluegreen)")
    assert facts.sources["fly.toml"] == "fly"
    assert sorted(_lines(facts.rollback)) == [("fly.toml", 7), ("fly.toml", 11)]
    assert "bluegreen" in _notes(facts.rollback) and "auto_rollback = true" in _notes(facts.rollback)
    assert facts.implicit_rollback == []
    assert _lines(facts.release_commands) == [("fly.toml", 10)]
    assert facts.release_commands[0].note == "release_command: bin/release"
    assert _lines(facts.health_gates) == [("fly.toml", 25)]
    assert "/status" in facts.health_gates[0].note


def test_fly_default_strategy_is_only_an_implicit_rollback(project_of):
    text = ('app = "shop"\n\n[http_service]\n  internal_port = 8080\n\n  [[http_service.checks]]\n'
            '    path = "/up"\n\n[checks.db]\n  type = "tcp"\n  port = 5432\n\n'
            '[processes]\n  app = "bin/rails server"\n  worker = "bin/jobs"\n')
    facts = read_platforms(project_of({"fly.staging.toml": text}))
    assert facts.rollback == []
    assert _lines(facts.implicit_rollback) == [("fly.staging.toml", 1)]
    assert "fly deploy --image" in facts.implicit_rollback[0].note
    assert _lines(facts.health_gates) == [("fly.staging.toml", 6), ("fly.staging.toml", 9)]
    assert [(loc.line, loc.note) for loc in facts.start_commands] == [(14, "bin/rails server"), (15, "bin/jobs")]


def test_fly_bluegreen_without_checks_and_latest_image(project_of):
    text = 'app = "x"\n[build]\n  image = "flyio/hellofly:latest"\n[deploy]\n  strategy = "bluegreen"\n'
    facts = read_platforms(project_of({"fly.toml": text}))
    assert facts.rollback == []
    assert (facts.implicit_rollback[0].line, "without a health check" in facts.implicit_rollback[0].note) == (5, True)
    assert _lines(facts.mutable_tags) == [("fly.toml", 3)]


def test_fly_malformed_toml_is_invalid_with_line(project_of):
    facts = read_platforms(project_of({"fly.toml": 'app = "x"\n[deploy\nstrategy = "bluegreen"\n'}))
    assert "fly" not in facts.platforms
    assert [(i.path, i.line) for i in facts.invalid] == [("fly.toml", 2)]


# --- render ------------------------------------------------------------------------------------
RENDER = """\
services:
  - type: web
    name: documenso
    runtime: node
    autoDeploy: false
    healthCheckPath: /api/health
    preDeployCommand: npm run prisma:migrate-deploy
    startCommand: npm run start
  - type: web
    name: worker-image
    image:
      url: docker.io/acme/worker:latest
databases:
  - name: db
"""


def test_render_blueprint(project_of):
    facts = read_platforms(project_of({"render.yaml": RENDER}))
    assert facts.platforms["render"].line == 1
    assert "autoDeploy off for documenso" in facts.platforms["render"].note
    assert [(loc.line, loc.note) for loc in facts.health_gates] == [(6, "documenso: healthCheckPath /api/health")]
    assert _lines(facts.release_commands) == [("render.yaml", 7)]
    assert [(loc.line, loc.note) for loc in facts.start_commands] == [(8, "npm run start")]
    assert _lines(facts.mutable_tags) == [("render.yaml", 12)]
    assert "Render keeps recent builds" in facts.rollback[0].note


def test_render_malformed(project_of):
    facts = read_platforms(project_of({"render.yaml": "services:\n  - type: web\n   name: [oops\n"}))
    assert facts.invalid and facts.invalid[0].path == "render.yaml" and facts.invalid[0].line
    assert "render" not in facts.platforms


# --- Procfile / package.json / Heroku -------------------------------------------------------------
def test_procfile_release_is_not_a_smoke_test_and_web_is_a_start_command(project_of):
    facts = read_platforms(project_of({
        "Procfile": "# processes\nrelease: ./manage.py migrate --noinput\nweb: gunicorn app.wsgi --log-file -\n",
        "package.json": '{\n  "name": "x",\n  "scripts": {\n    "dev": "next dev",\n'
                        '    "start": "next start"\n  }\n}\n',
    }))
    assert facts.platforms["heroku"] == Location("Procfile", 2, "Procfile release phase (Heroku)")
    assert [(loc.path, loc.line) for loc in facts.release_commands] == [("Procfile", 2)]
    assert "not a smoke test" in facts.release_commands[0].note
    assert [(loc.path, loc.line, loc.note) for loc in facts.start_commands] == [
        ("Procfile", 3, "gunicorn app.wsgi --log-file -"), ("package.json", 5, "next start")]
    assert any("heroku rollback" in loc.note and loc.path == "Procfile" for loc in facts.rollback)


def test_procfile_without_release_phase_is_not_a_platform(project_of):
    facts = read_platforms(project_of({"Procfile": "web: bundle exec thrust bin/start-app\nworkers: bin/jobs\n"}))
    assert facts.platforms == {} and facts.rollback == []
    assert [(loc.line, loc.note) for loc in facts.start_commands] == [(1, "bundle exec thrust bin/start-app")]


def test_heroku_button_app_json_counts(project_of):
    facts = read_platforms(project_of({"app.json": '{"name": "kit", "repository": "https://x", "env": {}}'}))
    assert facts.platforms["heroku"].path == "app.json"
    assert "heroku rollback" in facts.rollback[0].note


def test_heroku_app_json_and_heroku_yml(project_of):
    app_json = ('{\n  "name": "saas",\n  "scripts": {\n    "postdeploy": "npx prisma migrate deploy"\n  },\n'
                '  "addons": ["heroku-postgresql"]\n}\n')
    heroku_yml = "build:\n  docker:\n    web: Dockerfile\nrelease:\n  image: web\n  command:\n    - ./release.sh\n" \
                 "run:\n  web: npm start\n"
    facts = read_platforms(project_of({"app.json": app_json, "heroku.yml": heroku_yml}))
    assert facts.platforms["heroku"].path == "app.json"
    assert [(loc.path, loc.line) for loc in facts.release_commands] == [("app.json", 4), ("heroku.yml", 4)]
    assert "not on every release" in facts.release_commands[0].note
    assert [(loc.path, loc.line, loc.note) for loc in facts.start_commands] == [("heroku.yml", 9, "npm start")]


def test_expo_app_json_and_broken_package_json(project_of):
    facts = read_platforms(project_of({"app.json": '{"expo": {"name": "mobile"}}', "package.json": '{"scripts": {'}))
    assert "heroku" not in facts.platforms
    assert [i.path for i in facts.invalid] == ["package.json"]


# --- Kamal -------------------------------------------------------------------------------------------


def test_kamal_explicit_healthcheck_and_default_retention(project_of):
    facts = read_platforms(project_of({"config/deploy.yml": KAMAL,
                                       "config/deploy.staging.yml": "servers:\n  web:\n    - 10.0.0.2\n"
                                                                    "retain_containers: 2\n"}))
    assert facts.platforms["kamal"] == Location("config/deploy.yml", 1,
                                                "Kamal service campfire (image basecamp/campfire)")
    assert [(loc.path, loc.line, loc.note) for loc in facts.health_gates] == [
        ("config/deploy.yml", 12, "Kamal proxy.healthcheck /up, interval 3s")]
    assert _lines(facts.rollback) == [("config/deploy.yml", 1), ("config/deploy.staging.yml", 4)]
    assert "kamal rollback VERSION" in facts.rollback[0].note and "5" in facts.rollback[0].note
    assert facts.sources["config/deploy.staging.yml"] == "kamal"


def test_kamal_default_up_and_no_retained_containers(project_of):
    facts = read_platforms(project_of({"config/deploy.yml": "service: app\nimage: me/app\nretain_containers: 0\n"
                                                            "servers:\n  - 1.2.3.4\n"}))
    assert [(loc.line, "default /up" in loc.note) for loc in facts.health_gates] == [(1, True)]
    assert _lines(facts.no_rollback) == [("config/deploy.yml", 3)]
    assert facts.rollback == []


def test_kamal_retain_one_still_keeps_the_previous_container(project_of):
    # kamal prune keeps `retain` stopped containers (tail -n +(retain+1)), so 1 means one step back
    facts = read_platforms(project_of({"config/deploy.yml": "service: app\nimage: me/app\nretain_containers: 1\n"}))
    assert [(loc.line, "one step back" in loc.note) for loc in facts.rollback] == [(3, True)]
    assert facts.no_rollback == []


def test_config_deploy_yml_without_kamal_keys_is_ignored(project_of):
    facts = read_platforms(project_of({"config/deploy.yml": "settings:\n  a: 1\n"}))
    assert "kamal" not in facts.platforms


# --- Deployer / Capistrano -------------------------------------------------------------------------------


def test_deployer_php_keep_releases_one_means_no_rollback(project_of):
    facts = read_platforms(project_of({"deploy.php": DEPLOY_PHP}))
    loc = facts.platforms["deployer"]
    assert (loc.path, loc.line) == ("deploy.php", 4)
    assert "recipe laravel" in loc.note and "prod.example.com" in loc.note
    assert _lines(facts.no_rollback) == [("deploy.php", 7)]
    assert "keep_releases 1" in facts.no_rollback[0].note
    assert facts.rollback == []


def test_deployer_default_and_yaml_keep_releases(project_of):
    facts = read_platforms(project_of({"deploy.php": DEPLOY_PHP.replace("set('keep_releases', 1);\n", ""),
                                       "deploy.yaml": "import:\n  - recipe/laravel.php\nconfig:\n"
                                                      "  keep_releases: -1\nhosts:\n  prod:\n    remote_user: x\n"}))
    assert [(loc.path, loc.line) for loc in facts.rollback] == [("deploy.php", 4), ("deploy.yaml", 4)]
    assert "keep_releases 10 (default)" in facts.rollback[0].note
    assert "all releases kept" in facts.rollback[1].note


def test_capistrano_keep_releases(project_of):
    rb = "set :application, 'shop'\nset :repo_url, 'git@x:y.git'\n# set :keep_releases, 1\nset :keep_releases, 3\n"
    facts = read_platforms(project_of({"config/deploy.rb": rb}))
    assert facts.platforms["capistrano"] == Location("config/deploy.rb", 1, "Capistrano application shop")
    assert [(loc.line, "deploy:rollback" in loc.note) for loc in facts.rollback] == [(4, True)]
    facts = read_platforms(project_of({"config/deploy.rb": "set :keep_releases, 1\n"}))
    assert _lines(facts.no_rollback) == [("config/deploy.rb", 1)]


# --- Dockerfile / compose -------------------------------------------------------------------------------------
DOCKERFILE = """\
FROM node:20 AS build
HEALTHCHECK NONE
CMD ["npm", "run", "dev"]

FROM node:20-slim
# runtime
HEALTHCHECK --interval=30s --timeout=3s \\
  CMD curl -f http://localhost:3000/health || exit 1
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node", "server.js"]
"""


def test_dockerfile_final_stage_healthcheck_and_start(project_of):
    facts = read_platforms(project_of({"Dockerfile": DOCKERFILE, "docker/Dockerfile.worker": "FROM x\n"
                                       "HEALTHCHECK NONE\nCMD bin/worker --queue default\n"}))
    assert [(loc.path, loc.line) for loc in facts.health_gates] == [("Dockerfile", 7)]
    assert "curl -f http://localhost:3000/health" in facts.health_gates[0].note
    assert [(loc.path, loc.line, loc.note) for loc in facts.start_commands] == [
        ("Dockerfile", 9, "docker-entrypoint.sh"), ("Dockerfile", 10, "node server.js"),
        ("docker/Dockerfile.worker", 3, "bin/worker --queue default")]


COMPOSE_PROD = """\
services:
  web:
    image: ghcr.io/acme/web:latest
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost/up"]
  worker:
    image: ghcr.io/acme/worker
    healthcheck:
      disable: true
  cache:
    image: redis:7.2.4
  api:
    image: ghcr.io/acme/api:${TAG}
"""


def test_compose_production_tags_and_healthchecks(project_of):
    facts = read_platforms(project_of({"docker-compose.prod.yml": COMPOSE_PROD,
                                       "dev/docker-compose.yml": "services:\n  db:\n    image: postgres:latest\n"
                                                                 "    healthcheck:\n      test: NONE\n"}))
    assert facts.platforms["docker-compose"].path == "docker-compose.prod.yml"
    assert "dev/docker-compose.yml" not in facts.sources
    assert _lines(facts.health_gates) == [("docker-compose.prod.yml", 4)]
    assert _lines(facts.mutable_tags) == [("docker-compose.prod.yml", 3), ("docker-compose.prod.yml", 7)]
    # a pinned redis does not make the `:latest` web image reversible
    assert facts.rollback == [] and facts.implicit_rollback == []


def test_compose_override_is_merged_with_its_base_file(project_of):
    base = "services:\n  db:\n    image: postgres:18\n  backend:\n    image: backend:latest\n"
    override = "services:\n  backend:\n    restart: always\n"
    facts = read_platforms(project_of({"compose.yml": base, "compose.deploy.yml": override}))
    assert facts.platforms["docker-compose"] == Location("compose.deploy.yml", 1, "Compose file used for deploys")
    assert facts.sources == {"compose.deploy.yml": "docker-compose", "compose.yml": "docker-compose"}
    assert _lines(facts.mutable_tags) == [("compose.yml", 5)]


def test_compose_pinned_and_variable_tags(project_of):
    pinned = "services:\n  web:\n    image: ghcr.io/acme/web:2.4.1\n  db:\n    image: postgres:16.2\n"
    facts = read_platforms(project_of({"deploy/compose.yml": pinned}))
    assert _lines(facts.rollback) == [("deploy/compose.yml", 3), ("deploy/compose.yml", 5)]
    variable = "services:\n  web:\n    image: ghcr.io/acme/web:${TAG}\n  db:\n    image: postgres:16.2\n"
    facts = read_platforms(project_of({"docker-compose.production.yml": variable}))
    assert facts.rollback == []
    assert _lines(facts.implicit_rollback) == [("docker-compose.production.yml", 3)]


# --- Vercel / Railway / Netlify -----------------------------------------------------------------------------------
def test_vercel_rollback_is_a_platform_feature(project_of):
    facts = read_platforms(project_of({"vercel.json": '{\n  "git": {\n    "deploymentEnabled": false\n  }\n}\n'}))
    assert facts.platforms["vercel"].line == 3
    assert "git deployments disabled" in facts.platforms["vercel"].note
    assert "platform feature" in facts.rollback[0].note and "Hobby plan" in facts.rollback[0].note


def test_railway_and_netlify(project_of):
    facts = read_platforms(project_of({
        "railway.toml": '[build]\nbuilder = "NIXPACKS"\n\n[deploy]\nstartCommand = "node dist/main.js"\n'
                        'healthcheckPath = "/health"\nrestartPolicyType = "ON_FAILURE"\n',
        "netlify.toml": '[build]\n  command = "npm run build"\n',
        "apps/api/railway.json": '{"deploy": {"healthcheckPath": "/ready"}}',
    }))
    assert [(loc.path, loc.line) for loc in facts.health_gates] == [("railway.toml", 6),
                                                                   ("apps/api/railway.json", 1)]
    assert "ON_FAILURE" in facts.platforms["railway"].note
    assert [(loc.path, loc.line) for loc in facts.start_commands] == [("railway.toml", 5)]
    assert "netlify" in facts.platforms


# --- Kubernetes ----------------------------------------------------------------------------------------------------
K8S = """\
apiVersion: v1
kind: Service
metadata:
  name: web
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  revisionHistoryLimit: 0
  template:
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:latest
          readinessProbe:
            httpGet:
              path: /ready
              port: 8080
"""


def test_kubernetes_deployment(project_of):
    facts = read_platforms(project_of({
        "k8s/web.yaml": K8S,
        "charts/web/templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nspec:\n"
                                            "  replicas: {{ .Values.n }}\n",
        "k8s/worker.yml": "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: w\nspec:\n  template:\n"
                          "    spec:\n      containers:\n        - name: w\n          image: acme/w:1.4.2\n",
    }))
    assert facts.platforms["kubernetes"] == Location("k8s/web.yaml", 7, "Deployment web")
    assert _lines(facts.no_rollback) == [("k8s/web.yaml", 11)]
    assert _lines(facts.mutable_tags) == [("k8s/web.yaml", 16)]
    assert _lines(facts.health_gates) == [("k8s/web.yaml", 17)]
    assert [(loc.path, loc.line) for loc in facts.rollback] == [("k8s/worker.yml", 2)]
    assert "charts/web/templates/deploy.yaml" not in facts.sources
    assert facts.invalid == []


def test_kubernetes_malformed_manifest(project_of):
    facts = read_platforms(project_of({"deploy/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nspec: [\n"}))
    assert [i.path for i in facts.invalid] == ["deploy/app.yaml"]


# --- deploy scripts -----------------------------------------------------------------------------------------------
RELEASE_SCRIPT = """\
#!/usr/bin/env bash
set -euo pipefail
RELEASE="/srv/app/releases/$(date +%Y%m%d%H%M%S)"
git clone --depth 1 git@github.com:acme/app.git "$RELEASE"
ln -sfn "$RELEASE" /srv/app/current.tmp
mv -T /srv/app/current.tmp /srv/app/current
"""


def test_release_directory_script_is_rollback_evidence(project_of):
    facts = read_platforms(project_of({"scripts/deploy-prod.sh": RELEASE_SCRIPT}))
    assert [(loc.path, loc.line) for loc in facts.deploy_scripts] == [("scripts/deploy-prod.sh", 2)]
    assert "release directories" in facts.deploy_scripts[0].note
    assert _lines(facts.rollback) == [("scripts/deploy-prod.sh", 5)]
    assert facts.no_rollback == []


def test_git_pull_script_and_forge_script_are_in_place(project_of):
    facts = read_platforms(project_of({
        "deploy.sh": "#!/bin/sh\n# git pull is what we do\nssh prod 'cd /var/www/app && git pull origin main'\n",
        ".forge/deploy": "cd /home/forge/app\ngit pull origin $FORGE_SITE_BRANCH\ncomposer install\n",
        "bin/deploy": "#!/bin/sh\nrsync -az --delete ./ deploy@web1:/var/www/app/\n",
    }))
    assert sorted(_lines(facts.no_rollback)) == [(".forge/deploy", 2), ("bin/deploy", 2), ("deploy.sh", 3)]
    assert facts.rollback == []


def test_script_notes_never_carry_a_whole_credential(project_of):
    token = "ghp_" + "A1b2C3d4" * 5
    script = f"cd /srv/app\ngit pull https://bot:{token}@github.com/a/b main\n"
    facts = read_platforms(project_of({"deploy.sh": script}))
    [loc] = facts.no_rollback
    assert loc.line == 2 and token not in loc.note and "git pull" in loc.note


def test_script_wrapping_a_platform_registers_it(project_of):
    facts = read_platforms(project_of({"deploy.sh": "#!/bin/sh\nnpm run build\nflyctl deploy --remote-only\n"}))
    assert facts.platforms["fly"] == Location("deploy.sh", 3, "deploy.sh runs the fly deploy")
    assert facts.sources["deploy.sh"] == "fly"


def test_analyse_image_tags():
    sf = analyse("docker build -t ghcr.io/a/b:${GITHUB_SHA} -t ghcr.io/a/b:latest .\ndocker push ghcr.io/a/b:latest\n"
                 "kubectl set image deploy/web web=ghcr.io/a/b:main\n")
    assert [ref for _, ref in sf.immutable] == ["ghcr.io/a/b:${GITHUB_SHA}"]
    assert [off for off, _ in sf.mutable] == [0, 1, 2]
    assert sf.tools == {"kubernetes": 2}
    # `ssh -t` is a terminal flag and copying one file is not replacing the app
    quiet = analyse("ssh -t deploy@web1 'sudo systemctl restart app'\nscp .env deploy@web1:/srv/app/shared/.env\n")
    assert (quiet.mutable, quiet.in_place) == ([], [])
    assert [off for off, _ in analyse("scp -r build/ deploy@web1:/var/www/html\n").in_place] == [0]


def test_image_tag_kind():
    assert image_tag_kind("app") == "mutable"
    assert image_tag_kind("ghcr.io/a/b:latest") == "mutable"
    assert image_tag_kind("registry:5000/a/b") == "mutable"
    assert image_tag_kind("a/b:v1.2.3") == "immutable"
    assert image_tag_kind("a/b@sha256:" + "0" * 64) == "immutable"
    assert image_tag_kind("a/b:${{ github.sha }}") == "immutable"
    assert image_tag_kind("a/b:${TAG:-latest}") == "mutable"
    assert image_tag_kind("a/b:${TAG}") == "unknown"


# --- docs ---------------------------------------------------------------------------------------------------------
def test_documented_rollback_procedures(project_of):
    readme = ("# Shop\n\n## Database\nWe wrap writes in a transaction and roll back on error: `db.rollback()`.\n\n"
              "## Rolling back a deploy\n\nFind the previous image:\n\n```sh\nfly releases --image\n"
              "fly deploy --image registry.fly.io/shop:deployment-01H\n```\n")
    facts = read_platforms(project_of({"README.md": readme,
                                       "docs/ops/RUNBOOK.md": "If a release breaks, roll back with `dep rollback`.\n",
                                       "CHANGELOG.md": "## Rollback\n`git revert HEAD` of the release\n"}))
    assert [(loc.path, loc.line) for loc in facts.rollback] == [("README.md", 6), ("docs/ops/RUNBOOK.md", 1)]
    assert facts.rollback[0].note == "documented procedure: fly deploy --image registry.fly.io/shop:deployment-01H"
    assert facts.rollback[1].note == "documented procedure: dep rollback"


def test_rollback_heading_without_a_command_is_not_a_procedure():
    assert procedures(["## Rollback", "", "Ask Bob, he knows how to roll back the release.", "## Next"]) == []
    # a migration rollback is the database half, not a way back for the deploy
    lines = ["## Rolling back", "Undo the last release's migrations:", "", "`php artisan migrate:rollback`"]
    assert procedures(lines) == []


# --- bad input ----------------------------------------------------------------------------------------------------
def test_binary_non_utf8_and_garbage_never_raise(project_of):
    facts = read_platforms(project_of({
        "fly.toml": b"\x00\x01binary",
        "Dockerfile": b"FROM x\nCMD [\"caf\xe9\"]\n",
        "render.yaml": "- just\n- a list\n",
        "vercel.json": "[1, 2]",
        "docker-compose.prod.yml": "services: 3\n",
        "config/deploy.yml": "service: [\n",
        "deploy.yaml": "hosts: [\n",
        "Procfile": "\n\n",
        "README.md": b"\xff\xfe## Rollback\n",
    }))
    assert "fly" not in facts.platforms and "vercel" not in facts.platforms
    assert {i.path for i in facts.invalid} == {"config/deploy.yml", "deploy.yaml"}
    assert [loc.path for loc in facts.start_commands] == ["Dockerfile"]


def test_empty_repository(project_of):
    facts = read_platforms(project_of({}))
    assert facts.platforms == {} and facts.invalid == [] and facts.rollback == []


def test_compose_marks_third_party_latest_images_next_to_a_built_app(project_of):
    base = "services:\n  adminer:\n    image: adminer\n  backend:\n    image: backend:latest\n    build: .\n" \
           "  proxy:\n    image: traefik:3.6\n"
    facts = read_platforms(project_of({"compose.yml": base, "compose.deploy.yml": "services: {}\n"}))
    notes = {loc.line: loc.note for loc in facts.mutable_tags}
    assert set(notes) == {3, 5}
    assert notes[3].endswith("(third-party image, not built in this repository)")
    assert "third-party" not in notes[5]
