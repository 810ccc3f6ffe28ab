"""Step classification on model objects built directly (no parser involved)."""

from __future__ import annotations

import pytest

from handrail.pipeline.classify import (
    classify_model,
    classify_step,
    classify_text,
    deploy_paths,
    is_preview,
    logical_lines,
    split_commands,
)
from handrail.pipeline.model import Job, PipelineModel, Step, StepKind, Trigger, Workflow

K = StepKind


def kinds(text: str, aliases: dict[str, str] | None = None) -> set[StepKind]:
    return {h.kind for h in classify_text(text, aliases)}


def tool(text: str) -> str | None:
    return next((h.tool for h in classify_text(text) if h.kind is K.DEPLOY), None)


def uses(ref: str, with_: dict | None = None, name: str | None = None) -> Step:
    step = Step(index=0, line=10, name=name, uses=ref, with_=with_ or {})
    classify_step(step)
    return step


# --- shell plumbing -------------------------------------------------------------------
def test_logical_lines_join_continuations_and_drop_comments():
    script = "# build\nflyctl deploy \\\n  --remote-only \\\n  --ha=false\necho done\n"
    assert logical_lines(script) == [(1, "flyctl deploy --remote-only --ha=false"), (4, "echo done")]


def test_split_commands_respects_quotes_and_operators():
    parts = split_commands("cd app && curl -f 'https://x.io/a?b=1&c=2' || exit 1 # trailing")
    assert parts == [("cd app", "&&"), ("curl -f 'https://x.io/a?b=1&c=2'", "||"), ("exit 1", "")]
    assert split_commands("cmd > out.log 2>&1")[0][0] == "cmd > out.log 2>&1"


# --- TEST -----------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "vendor/bin/phpunit", "./vendor/bin/pest -p", "php artisan test --parallel", "pytest -q", "python -m pytest",
    "python3 manage.py test", "tox -e py311", "nox -s tests", "bundle exec rspec", "bin/rails test",
    "rails test:system",
    "npx jest --ci", "pnpm dlx vitest run", "yarn mocha", "npx ava", "npx playwright test", "go test ./...",
    "cargo test --all", "mvn -B verify", "./gradlew test", "sudo -E CI=1 npx vitest run", "poetry run pytest",
    "uv run --frozen pytest", "docker compose exec -T app php artisan test", "coverage run -m pytest",
    "docker-compose run --rm web python manage.py test", "npx cypress run", "bunx vitest", "deno test -A",
])
def test_test_commands(text):
    assert K.TEST in kinds(text)


@pytest.mark.parametrize("text", [
    "pip install pytest", "echo pytest", "npm ci", "composer install", "go build ./...", "cargo build",
    "mvn -DskipTests package", "pytest || true", "npx jest --listTests", "vitest bench", "npx playwright install",
    "# pytest", "python manage.py migrate",
])
def test_not_test_commands(text):
    assert K.TEST not in kinds(text)


def test_php_actions_phpunit_is_a_test():
    assert K.TEST in uses("php-actions/phpunit@v3").kinds


def test_alias_resolution_counts_real_runner():
    aliases = {"npm run ci": "( eslint . ) && vitest run"}
    hits = classify_text("npm run ci", aliases)
    assert [h.kind for h in hits] == [K.TEST]
    assert "vitest run" in hits[0].detail


def test_alias_that_only_echoes_is_not_a_test():
    aliases = {"npm test": 'echo "no tests" && exit 0', "npm run test": 'echo "no tests" && exit 0'}
    assert K.TEST not in kinds("npm test", aliases)
    assert K.TEST not in kinds("yarn test", aliases)
    assert K.TEST not in kinds("npm run test", aliases)


@pytest.mark.parametrize(("text", "aliases"), [
    ("composer test", {"composer test": "@php artisan test"}),
    ("make test", {"make test": "pytest -q"}),
    ("just test", {"just test": "cargo test"}),
    ("pnpm test", {"npm test": "jest"}),
    ("cd web && npm test", {"web:npm test": "vitest run", "npm test": "echo root"}),
])
def test_aliases_of_each_tool(text, aliases):
    assert K.TEST in kinds(text, aliases)


def test_unknown_script_judged_by_name():
    assert K.TEST in kinds("npm run test:unit")  # no manifest seen: the name says test
    assert K.TEST not in kinds("npm run lint")
    assert K.DEPLOY in kinds("npm run deploy")


# --- DEPLOY ---------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("npx vercel deploy --prebuilt --prod --token=$T", "vercel"),
    ("vercel --prod", "vercel"),
    ("flyctl deploy --remote-only", "flyctl"),
    ("FLY_REGISTRY_HOST=registry-iad.fly.io flyctl deploy --remote-only", "flyctl"),
    ("fly deploy", "flyctl"),
    ("git push https://heroku:$KEY@git.heroku.com/app.git HEAD:main", "heroku"),
    ("git push heroku main", "heroku"),
    ("heroku container:release web -a app", "heroku"),
    ("railway up --service web", "railway"),
    ("kamal deploy", "kamal"),
    ("kamal redeploy", "kamal"),
    ("vendor/bin/dep deploy production", "deployer"),
    ("bundle exec cap production deploy", "capistrano"),
    ("ssh -i key -o StrictHostKeyChecking=no deploy@example.com 'cd app && ./release.sh'", "ssh"),
    ("rsync -avz --delete dist/ deploy@host:/var/www/app", "rsync"),
    ("scp build.tar.gz user@host:/srv/", "scp"),
    ("DOCKER_HOST=ssh://deploy@host docker compose up -d", "docker"),
    ("kubectl apply -f k8s/", "kubectl"),
    ("kubectl set image deployment/web web=img:sha", "kubectl"),
    ("kubectl rollout restart deployment/web", "kubectl"),
    ("helm upgrade --install web ./chart", "helm"),
    ("npx serverless deploy --stage prod", "serverless"),
    ("sls deploy", "serverless"),
    ("supabase functions deploy hello", "supabase"),
    ("supabase db push", "supabase"),
    ("firebase deploy --only hosting", "firebase"),
    ("netlify deploy --prod --dir=dist", "netlify"),
    ("curl -X POST https://api.render.com/deploy/srv-123?key=abc", "render"),
    ("curl ${{ secrets.ENVOYER_HOOK }}?sha=${{ github.sha }}", "envoyer"),
    ('curl -s "$RENDER_DEPLOY_HOOK_URL"', "render"),
    ("curl -X POST ${{ secrets.DEPLOY_HOOK }}", "deploy-hook"),
    ("wget -q -O- https://forge.laravel.com/servers/1/sites/2/deploy/http?token=xyz", "forge"),
    ("aws ecs update-service --cluster c --service s --force-new-deployment", "aws-ecs"),
    ("aws s3 sync dist/ s3://www.example.com --delete", "aws-s3"),
    ("aws elasticbeanstalk update-environment --environment-name prod", "aws-elasticbeanstalk"),
    ("gcloud run deploy web --image gcr.io/p/web", "gcloud"),
    ("gcloud app deploy", "gcloud"),
    ("npx wrangler deploy", "wrangler"),
    ("wrangler pages deploy dist", "wrangler"),
    ("./deploy.sh production", "script"),
])
def test_deploy_commands(text, expected):
    assert tool(text) == expected


@pytest.mark.parametrize("text", [
    "vercel build --prod", "vercel pull --yes --environment=production", "fly version", "flyctl auth docker",
    "helm upgrade --install web ./chart --dry-run", "kubectl apply --dry-run=client -f k8s/", 'echo "deploy"',
    "# flyctl deploy", "docker build -t app .", "docker push ghcr.io/o/app:sha", "docker compose up -d",
    "ssh-keyscan github.com >> ~/.ssh/known_hosts", "aws s3 cp dump.sql s3://backups/", "netlify deploy --dir=dist",
    "git push origin main", "curl -f https://example.com/health", "npx prisma migrate deploy",
    "supabase db push --dry-run", "kamal rollback abc123", "echo 'kubectl apply -f x' > notes.txt",
])
def test_not_deploy_commands(text):
    assert K.DEPLOY not in kinds(text)


def test_docker_push_is_publish_and_remote_pull_is_deploy():
    assert kinds("docker push ghcr.io/o/app:sha") == {K.PUBLISH}
    assert K.DEPLOY in kinds("ssh deploy@host 'docker compose pull && docker compose up -d'")


def test_vercel_preview_is_flagged():
    step = Step(index=0, line=3, run="vercel deploy --prebuilt --token=$T", run_line=3)
    classify_step(step)
    assert K.DEPLOY in step.kinds and is_preview(step)
    prod = Step(index=0, line=3, run="vercel deploy --prebuilt --prod", run_line=3)
    classify_step(prod)
    assert not is_preview(prod)


@pytest.mark.parametrize(("ref", "with_", "expected"), [
    ("amondnet/vercel-action@v25", {"vercel-args": "--prod"}, "vercel"),
    ("superfly/flyctl-actions@1.5", {"args": "deploy --remote-only"}, "flyctl"),
    ("akhileshns/heroku-deploy@v3.13.15", {"heroku_app_name": "x"}, "heroku"),
    ("deployphp/action@v1", {"dep": "deploy production"}, "deployer"),
    ("appleboy/ssh-action@v1.0.0", {"script": "cd /app && docker compose pull && docker compose up -d"}, "ssh"),
    ("easingthemes/ssh-deploy@main", {}, "ssh"),
    ("FirebaseExtended/action-hosting-deploy@v0", {"channelId": "live"}, "firebase"),
    ("cloudflare/wrangler-action@v3", {}, "wrangler"),
    ("actions/deploy-pages@v4", {}, "github-pages"),
    ("peaceiris/actions-gh-pages@v3", {"publish_dir": "./public"}, "github-pages"),
])
def test_deploy_actions(ref, with_, expected):
    step = uses(ref, with_)
    assert K.DEPLOY in step.kinds
    assert step.deploy_tool == expected


@pytest.mark.parametrize(("ref", "with_"), [
    ("superfly/flyctl-actions/setup-flyctl@master", {}),
    ("superfly/flyctl-actions@1.5", {"args": "version"}),
    ("deployphp/action@v1", {"dep": "deploy --dry-run"}),
    ("actions/upload-artifact@v4", {}),
    ("docker/build-push-action@v5", {"push": True}),
    ("cloudflare/wrangler-action@v3", {"command": "whoami"}),
])
def test_not_deploy_actions(ref, with_):
    assert K.DEPLOY not in uses(ref, with_).kinds


def test_ssh_action_named_rollback_is_rollback():
    step = uses("appleboy/ssh-action@v1", {"script": "docker compose up -d"}, name="Rollback on failure")
    assert step.kinds == {K.ROLLBACK}


def test_firebase_preview_channel_is_preview():
    assert is_preview(uses("FirebaseExtended/action-hosting-deploy@v0", {}))


def test_kamal_rollback_is_rollback_not_deploy():
    assert kinds("kamal rollback abc123") == {K.ROLLBACK}


def test_remote_migration_inside_ssh():
    assert kinds("ssh deploy@host 'cd app && php artisan migrate --force'") == {K.DEPLOY, K.MIGRATE}


# --- MIGRATE / BACKUP / CHECKOUT / BUILD -------------------------------------------------
@pytest.mark.parametrize("text", [
    "php artisan migrate --force", "python manage.py migrate", "alembic upgrade head", "npx prisma migrate deploy",
    "bin/rails db:migrate", "npx knex migrate:latest", "supabase db push", "npx drizzle-kit migrate",
    "npx sequelize-cli db:migrate", "handrail migrate -- php artisan migrate",
])
def test_migrate_commands(text):
    assert K.MIGRATE in kinds(text)


@pytest.mark.parametrize("text", ["php artisan migrate:status", "python manage.py makemigrations --check",
                                  "npx prisma generate", "alembic history"])
def test_not_migrate(text):
    assert K.MIGRATE not in kinds(text)


@pytest.mark.parametrize("text", ["pg_dump -Fc $DATABASE_URL > db.dump", "mysqldump --single-transaction app",
                                  "handrail backup", "handrail migrate -- alembic upgrade head"])
def test_backup_commands(text):
    assert K.BACKUP in kinds(text)


def test_checkout_and_build():
    assert uses("actions/checkout@v4").kinds == {K.CHECKOUT}
    assert kinds("npm run build", {"npm run build": "vite build"}) == {K.BUILD}
    assert kinds("docker build -t app .") == {K.BUILD}


# --- SMOKE (needs the workflow around it) --------------------------------------------------
def _wf(jobs: dict[str, list[Step]], needs: dict[str, list[str]] | None = None,
        triggers: list[Trigger] | None = None, name: str = "CI", path: str = ".github/workflows/ci.yml",
        env: dict[str, dict] | None = None) -> Workflow:
    wf = Workflow("github", path, name=name, triggers=triggers or [Trigger("push")])
    for jid, steps in jobs.items():
        for i, s in enumerate(steps):
            s.index = i
        wf.jobs[jid] = Job(jid, path, 1, needs=(needs or {}).get(jid, []), steps=steps,
                           raw={"env": (env or {}).get(jid, {})})
    return wf


def _run(line: int, text: str, env: dict | None = None, name: str | None = None) -> Step:
    return Step(index=0, line=line, run=text, run_line=line, env=env or {}, name=name)


def _model(*wfs: Workflow, aliases: dict[str, str] | None = None) -> PipelineModel:
    model = PipelineModel(workflows=list(wfs), script_aliases=aliases or {})
    classify_model(model)
    return model


def test_curl_fail_after_deploy_in_same_job_is_smoke():
    wf = _wf({"deploy": [_run(5, "flyctl deploy"), _run(7, "sleep 10\ncurl -f ${{ secrets.PRODUCTION_URL }}/_health "
                                                              "|| exit 1")]})
    _model(wf)
    smoke = wf.jobs["deploy"].steps[1]
    assert K.SMOKE in smoke.kinds
    assert smoke.detail_line == 8


def test_curl_before_deploy_is_not_smoke():
    wf = _wf({"deploy": [_run(5, "curl -f https://example.com/up"), _run(7, "flyctl deploy")]})
    _model(wf)
    assert K.SMOKE not in wf.jobs["deploy"].steps[0].kinds


def test_curl_without_fail_flag_is_not_smoke_but_status_check_is():
    wf = _wf({"deploy": [_run(5, "flyctl deploy"), _run(6, "curl https://example.com/up"),
                         _run(7, 'test "$(curl -s -o /dev/null -w "%{http_code}" https://example.com/up)" = 200'),
                         _run(8, "curl -s https://example.com/api/health | jq -e '.status == \"ok\"'")]})
    _model(wf)
    steps = wf.jobs["deploy"].steps
    assert K.SMOKE not in steps[1].kinds
    assert K.SMOKE in steps[2].kinds  # the status code is captured and compared
    assert K.SMOKE in steps[3].kinds


def test_printing_the_status_code_is_not_a_check():
    wf = _wf({"deploy": [_run(5, "flyctl deploy"),
                         _run(6, 'curl -s -o /dev/null -w "%{http_code}\\n" https://app.fly.dev/health')]})
    _model(wf)
    assert K.SMOKE not in wf.jobs["deploy"].steps[1].kinds


@pytest.mark.parametrize(("text", "aliases"), [
    ("npm run smoke", {"npm run smoke": "node scripts/smoke.mjs https://corpus.netlify.app"}),
    ("npm run smoke", {}),
    ("./scripts/smoke-test.sh https://app.io", {}),
    ("make smoke", {"make smoke": "curl -fsS https://app.io/up"}),
])
def test_smoke_scripts_and_aliases(text, aliases):
    wf = _wf({"deploy": [_run(5, "netlify deploy --prod"), _run(6, text)]})
    _model(wf, aliases=aliases)
    assert K.SMOKE in wf.jobs["deploy"].steps[1].kinds


def test_smoke_alias_that_only_echoes_is_not_smoke():
    wf = _wf({"deploy": [_run(5, "netlify deploy --prod"), _run(6, "npm run smoke")]})
    _model(wf, aliases={"npm run smoke": "echo skipped"})
    assert K.SMOKE not in wf.jobs["deploy"].steps[1].kinds


def test_curl_post_deploy_hook_is_deploy_not_smoke():
    wf = _wf({"deploy": [_run(5, "curl -X POST ${{ secrets.RENDER_DEPLOY_HOOK_URL }}"),
                         _run(6, "curl -fsS ${{ vars.APP_URL }}/health")]})
    _model(wf)
    hook, health = wf.jobs["deploy"].steps
    assert hook.kinds == {K.DEPLOY}
    assert health.kinds == {K.SMOKE}


@pytest.mark.parametrize("text", [
    "smokeshow upload coverage-html",  # publishes coverage; the name is a trap
    "curl -fsSL https://get.pnpm.io/install.sh | sh -",
    "curl -f -X POST -d '{\"text\":\"deployed\"}' $SLACK_WEBHOOK",
    "curl -fsSL https://example.com/tool.tgz -o tool.tgz",
    "curl -f http://localhost:3000/health",
    'echo "curl -f https://example.com"',
])
def test_smoke_traps_after_deploy(text):
    wf = _wf({"deploy": [_run(5, "flyctl deploy"), _run(6, text)]})
    _model(wf)
    assert K.SMOKE not in wf.jobs["deploy"].steps[1].kinds


def test_smoke_in_job_that_needs_deploy():
    wf = _wf({"deploy": [_run(5, "kamal deploy")],
              "e2e": [_run(9, "npx playwright test", env={"BASE_URL": "${{ needs.deploy.outputs.url }}"})],
              "local": [_run(12, "npx playwright test")]},
             needs={"e2e": ["deploy"], "local": ["deploy"]})
    _model(wf)
    assert K.SMOKE in wf.jobs["e2e"].steps[0].kinds
    assert K.TEST in wf.jobs["e2e"].steps[0].kinds
    assert K.SMOKE not in wf.jobs["local"].steps[0].kinds  # no base URL: runs against a local server


def test_deployment_status_workflow_checks_are_smoke():
    url = "${{ github.event.deployment_status.target_url }}"
    wf = _wf({"checkly": [_run(20, "npx checkly test --record", env={"ENVIRONMENT_URL": url})]},
             triggers=[Trigger("deployment_status", line=3)], name="Checkly", path=".github/workflows/checkly.yml")
    _model(wf)
    assert K.SMOKE in wf.jobs["checkly"].steps[0].kinds


def test_workflow_run_of_deploy_workflow_is_after_deploy():
    deploy = _wf({"deploy": [_run(5, "flyctl deploy")]}, name="Deploy", path=".github/workflows/deploy.yml")
    smoke = _wf({"probe": [_run(9, "curl --fail https://app.fly.dev/up")]},
                triggers=[Trigger("workflow_run", workflows=["Deploy"])], name="Smoke",
                path=".github/workflows/smoke.yml")
    _model(deploy, smoke)
    assert K.SMOKE in smoke.jobs["probe"].steps[0].kinds


def test_upstream_curl_is_not_smoke():
    wf = _wf({"build": [_run(3, "curl -f https://example.com/up")], "deploy": [_run(8, "flyctl deploy")]},
             needs={"deploy": ["build"]})
    _model(wf)
    assert K.SMOKE not in wf.jobs["build"].steps[0].kinds


def test_health_probe_inside_ssh_action_after_remote_deploy():
    step = Step(index=0, line=4, uses="appleboy/ssh-action@v1",
                with_={"script": "docker compose up -d\ncurl -fsS http://localhost:8000/up"})
    wf = _wf({"deploy": [step]})
    _model(wf)
    assert {K.DEPLOY, K.SMOKE} <= step.kinds


def test_model_fills_detail_and_deploy_paths():
    wf = _wf({"tests": [_run(4, "pytest")], "deploy": [_run(9, "echo hi\ngit push heroku main")]},
             needs={"deploy": ["tests"]})
    model = _model(wf)
    step = wf.jobs["deploy"].steps[0]
    assert (step.deploy_tool, step.detail, step.detail_line) == ("heroku", "git push heroku main", 10)
    [dp] = deploy_paths(model)
    assert (dp.job.id, dp.line, dp.tool) == ("deploy", 10, "heroku")


def test_classify_is_idempotent():
    wf = _wf({"deploy": [_run(5, "flyctl deploy"), _run(6, "curl -f https://a.fly.dev/up")]})
    model = _model(wf)
    classify_model(model)
    assert [h.kind for h in wf.jobs["deploy"].steps[1].hits] == [K.SMOKE]


def test_garbage_scripts_do_not_raise():
    for text in ["'unbalanced \"quotes", "\\", "&& || ;;", "\x00\x01", "$(( ))", "a" * 5000]:
        assert classify_text(text) == [], text


# --- found on real repositories ---------------------------------------------------------
@pytest.mark.parametrize("text", ["bin/test", "./bin/test", "uv run bash scripts/tests-start.sh 'Coverage'",
                                  "bin/rails db:setup test", "./run-tests.sh"])
def test_project_test_scripts(text):
    assert K.TEST in kinds(text)


@pytest.mark.parametrize("text", ["test -f .env", "[ -d dist ]", "bash scripts/prestart.sh", "bin/setup",
                                  "python ./.github/workflows/deploy-prep.py", "./deploy-functions.sh"])
def test_not_test_or_deploy_scripts(text):
    assert kinds(text) & {K.TEST, K.DEPLOY} == set()


def test_fastapi_cloud_deploy():
    assert tool("uv run fastapi deploy") == "fastapi-cloud"


def test_dotenv_cli_wrapper_is_peeled():
    step = Step(index=0, line=5, run="npx dotenv -c production -- npx checkly test --record", run_line=5)
    wf = _wf({"e2e": [step]}, triggers=[Trigger("deployment_status")])
    _model(wf)
    assert K.SMOKE in step.kinds


def test_docker_action_args_are_classified():
    step = uses("docker://mcr.microsoft.com/playwright:v1.61.0", {"args": 'sh -c "HOME=/root npm run test:e2e"'})
    assert K.TEST in step.kinds


def test_compose_up_on_self_hosted_deploy_runner_is_deploy():
    step = _run(41, "docker compose -f compose.yml -f compose.deploy.yml up -d")
    wf = _wf({"deploy": [step]}, name="Deploy with Docker Compose")
    wf.jobs["deploy"].runs_on = "self-hosted"
    _model(wf)
    assert step.deploy_tool == "docker"
    ci_step = _run(12, "docker compose up -d db")
    ci = _wf({"test": [ci_step]}, name="Test")
    ci.jobs["test"].runs_on = "self-hosted"
    _model(ci)
    assert K.DEPLOY not in ci_step.kinds


def test_disabled_job_is_not_a_deploy_path():
    wf = _wf({"deploy": [_run(5, "flyctl deploy")]})
    wf.jobs["deploy"].condition = "false"
    assert deploy_paths(_model(wf)) == []


@pytest.mark.parametrize(("text", "kind"), [
    ("helm rollback web 3", K.ROLLBACK), ("kubectl rollout undo deployment/web", K.ROLLBACK),
    ("heroku releases:rollback v41 -a app", K.ROLLBACK), ("dep rollback production", K.ROLLBACK),
    ("npm publish --access public", K.PUBLISH), ("twine upload dist/*", K.PUBLISH),
    ("heroku container:push web -a app", K.PUBLISH),
])
def test_rollback_and_publish(text, kind):
    assert kind in kinds(text)
    assert K.DEPLOY not in kinds(text)


@pytest.mark.parametrize("text", ["pg_dump --version", "psql $DATABASE_URL -c 'select 1'", "echo pg_dump"])
def test_not_backup(text):
    assert K.BACKUP not in kinds(text)


@pytest.mark.parametrize("text", ["curl -f https://app.example.com/health", "wget -q --spider https://app.io/up",
                                  "http --check-status GET https://app.io/up", "npx checkly trigger",
                                  "k6 run smoke.js"])
def test_smoke_recognisers_after_deploy(text):
    wf = _wf({"deploy": [_run(5, "railway up"), _run(6, text)]})
    _model(wf)
    assert K.SMOKE in wf.jobs["deploy"].steps[1].kinds


def test_docker_run_command_is_classified():
    assert K.TEST in kinds("docker run --rm -v $PWD:/app -w /app img pytest -q")
    assert kinds("docker run -d -p 80:80 nginx") == set()


def test_exported_docker_host_makes_compose_up_remote():
    assert tool("export DOCKER_HOST=ssh://deploy@host\ndocker compose up -d") == "docker"
    assert tool("DOCKER_HOST=ssh://deploy@host true\ndocker compose up -d") is None  # inline: one command only


@pytest.mark.parametrize(("text", "expected"), [
    ("supabase storage upload website ./dist --recursive", "supabase-storage"),
    ("supabase storage cp -r build ss:///site", "supabase-storage"),
    ("supabase functions deploy hello", "supabase"),
    ("supabase db push", "supabase"),
    ("supabase storage cp avatar.png ss:///avatars/a.png", None),
    ("git push origin HEAD:production", "git-push"),
    ("git push --force origin nightly", None),  # only where the workflow/job/step says it deploys
    ("git push origin main", None),
])
def test_site_uploads_and_platform_branch_pushes(text, expected):
    assert tool(text) == expected


def test_branch_push_in_a_deploy_named_step_is_a_deploy():
    script = "git checkout -B nightly\ngit push --force origin nightly\n"
    step = Step(index=0, line=5, name="Deploy nightly", run=script, run_line=6)
    classify_step(step, deploy_named=True)
    assert step.deploy_tool == "git-push" and step.detail_line == 7
    pages = Step(index=0, line=5, name="Deploy docs", run="git push origin HEAD:gh-pages\n", run_line=5)
    classify_step(pages, deploy_named=True)
    assert pages.deploy_tool == "github-pages"
    plain = Step(index=0, line=5, run="git push --force origin nightly\n", run_line=5)
    classify_step(plain)
    assert StepKind.DEPLOY not in plain.kinds
