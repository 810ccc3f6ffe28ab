"""GitLab CI parser: real .gitlab-ci.yml files (and local includes) in real git repositories."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from handrail.core.project import Project
from handrail.pipeline import gitlab
from handrail.pipeline.model import InvalidFile, Job, SecretUse, Step, Workflow

CI = ".gitlab-ci.yml"
ProjectOf = Callable[..., Project]


def parse_one(project_of: ProjectOf, text: str, extra: dict[str, str | bytes] | None = None) -> Workflow:
    workflows, invalid = gitlab.parse(project_of({CI: text, **(extra or {})}))
    assert invalid == [], invalid
    assert len(workflows) == 1
    return workflows[0]


def invalid_one(project_of: ProjectOf, text: str | bytes, extra: dict[str, str | bytes] | None = None) -> InvalidFile:
    workflows, invalid = gitlab.parse(project_of({CI: text, **(extra or {})}))
    assert workflows == []
    assert len(invalid) == 1
    return invalid[0]


def runs(job: Job) -> list[tuple[str | None, int, int, str | None]]:
    return [(s.run, s.line, s.run_line, s.path) for s in job.steps]


def uses(secrets: list[SecretUse]) -> list[tuple[str, int, str, str | None]]:
    return [(s.name, s.line, s.context, s.path) for s in secrets]


# --- jobs, stages, needs ----------------------------------------------------------------------

PIPELINE = """\
stages:
  - build
  - test
  - deploy
variables:
  NODE_ENV: production
  DATABASE_URL:
    value: postgres://localhost/app
    description: local db
.hidden:
  script: echo template only
build:
  stage: build
  script: npm run build
lint:
  stage: build
  script: [npm run lint]
unit:
  script:
    - npm test
e2e:
  stage: test
  needs: []
  script: npx playwright test
deploy:
  stage: deploy
  needs:
    - build
    - job: unit
      optional: true
    - pipeline: other
      job: x
  script: ./deploy.sh
pages:
  stage: deploy
  script: mkdir public
"""


def test_jobs_stages_and_hidden_templates(project_of: ProjectOf) -> None:
    wf = parse_one(project_of, PIPELINE)
    assert (wf.provider, wf.path, wf.line) == ("gitlab", CI, 1)
    assert wf.stages == [".pre", "build", "test", "deploy", ".post"]
    assert list(wf.jobs) == ["build", "lint", "unit", "e2e", "deploy", "pages"]  # no .hidden, no reserved keys
    assert {j: wf.jobs[j].line for j in wf.jobs} == {
        "build": 12, "lint": 15, "unit": 18, "e2e": 21, "deploy": 25, "pages": 34}
    assert wf.jobs["unit"].stage == "test"  # GitLab's default stage
    assert wf.env == {"NODE_ENV": "production", "DATABASE_URL": "postgres://localhost/app"}
    assert all(j.workflow_path == CI for j in wf.jobs.values())


def test_needs_explicit_empty_and_implicit_stage_order(project_of: ProjectOf) -> None:
    wf = parse_one(project_of, PIPELINE)
    assert wf.jobs["build"].needs == []  # first stage
    assert wf.jobs["unit"].needs == ["build", "lint"]  # no `needs:`: every job of earlier stages
    assert wf.jobs["e2e"].needs == []  # `needs: []` starts at once
    assert wf.jobs["deploy"].needs == ["build", "unit"]  # cross-pipeline need dropped
    assert wf.jobs["pages"].needs == ["build", "lint", "unit", "e2e"]
    assert wf.upstream("deploy") == {"build", "lint", "unit"}
    assert wf.upstream("pages") == {"build", "lint", "unit", "e2e"}
    assert "deploy" in wf.downstream("unit")


def test_default_stages_when_none_declared(project_of: ProjectOf) -> None:
    wf = parse_one(project_of, "ship:\n  stage: deploy\n  script: ./ship\ncheck:\n  script: make test\n")
    assert wf.stages == [".pre", "build", "test", "deploy", ".post"]
    assert wf.jobs["ship"].needs == ["check"]
    assert wf.jobs["check"].needs == []


def test_script_steps_in_order_with_lines(project_of: ProjectOf) -> None:
    text = """\
default:
  image: node:20
  before_script:
    - npm ci
test:
  script:
    - npm run lint
    - |
      npm test
      npm run e2e
  after_script:
    - echo done
"""
    job = parse_one(project_of, text).jobs["test"]
    assert runs(job) == [
        ("npm ci", 4, 4, None),
        ("npm run lint", 7, 7, None),
        ("npm test\nnpm run e2e\n", 8, 9, None),  # `- |`: the script text starts on the next line
        ("echo done", 12, 12, None),
    ]
    assert [s.index for s in job.steps] == [0, 1, 2, 3]
    assert all(s.name is None and s.uses is None for s in job.steps)
    assert job.steps[2].line_in_run(1) == 10
    assert job.raw["image"] == "node:20"  # default applied


# --- extends, default, anchors, !reference ------------------------------------------------------

EXTENDS = """\
variables:
  GLOBAL: "1"
default:
  before_script:
    - echo default-before
.base:
  image: ruby:3
  variables:
    A: base
    B: base
  script:
    - bundle exec rspec
.db:
  extends: .base
  variables:
    B: db
  services: [postgres]
rspec:
  extends: .db
  variables:
    C: job
multi:
  extends: [.base, .other]
  before_script: []
.other:
  script: echo other
no-default:
  inherit:
    default: false
    variables: false
  script: echo plain
loop-a:
  extends: loop-b
  script: echo a
loop-b:
  extends: loop-a
  script: echo b
"""


def test_extends_deep_merge_child_wins(project_of: ProjectOf) -> None:
    wf = parse_one(project_of, EXTENDS)
    rspec = wf.jobs["rspec"]
    assert rspec.extends == [".db"]
    assert rspec.raw["variables"] == {"A": "base", "B": "db", "C": "job"}
    assert rspec.raw["image"] == "ruby:3" and rspec.raw["services"] == ["postgres"]
    assert runs(rspec) == [("echo default-before", 5, 5, None), ("bundle exec rspec", 12, 12, None)]
    assert rspec.steps[0].env == {"GLOBAL": "1", "A": "base", "B": "db", "C": "job"}
    multi = wf.jobs["multi"]
    assert multi.extends == [".base", ".other"]
    assert runs(multi) == [("echo other", 26, 26, None)]  # later template wins; `before_script: []` clears default
    plain = wf.jobs["no-default"]
    assert runs(plain) == [("echo plain", 31, 31, None)]
    assert plain.steps[0].env == {}
    # a cycle stops at the cap instead of recursing forever; the jobs keep their own script
    assert runs(wf.jobs["loop-a"])[-1][0] == "echo a"
    assert runs(wf.jobs["loop-b"])[-1][0] == "echo b"
    assert [s.index for s in wf.jobs["loop-a"].steps] == list(range(len(wf.jobs["loop-a"].steps)))


def test_anchors_and_reference_are_flattened(project_of: ProjectOf) -> None:
    text = """\
.setup: &setup
  - echo setup-1
  - echo setup-2
.tools:
  script:
    - echo tool
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
      when: manual
build:
  script:
    - *setup
    - !reference [.tools, script]
    - npm run build
    - !reference [.missing, script]
  rules:
    - !reference [.tools, rules]
    - when: never
"""
    job = parse_one(project_of, text).jobs["build"]
    assert runs(job) == [
        ("echo setup-1", 2, 2, None),
        ("echo setup-2", 3, 3, None),
        ("echo tool", 6, 6, None),
        ("npm run build", 14, 14, None),
        ("!reference [.missing, script]", 15, 15, None),  # unresolvable: kept as-is, never as a command
    ]
    assert job.condition == 'rules: if $CI_COMMIT_BRANCH == "main" (when: manual); always (when: never)'
    assert job.when == "manual"


def test_top_level_reference_script(project_of: ProjectOf) -> None:
    text = ".common:\n  script:\n    - make deploy\ndeploy:\n  script: !reference [.common, script]\n"
    assert runs(parse_one(project_of, text).jobs["deploy"]) == [("make deploy", 3, 3, None)]


def test_merge_keys_and_job_names_with_colons(project_of: ProjectOf) -> None:
    """Matrix-by-anchor jobs (paraphrased from a real repository): `<<: *smoke` and `node:20` ids."""
    text = """\
build:
  stage: build
  script: npm test
.smoke: &smoke
  stage: test
  variables: { GIT_STRATEGY: none }
  needs: [build]
  script:
    - |
      ./index.js > out.log 2>&1 & APP_PID="$!";
      if ! ps -p "$APP_PID"; then
        CODE="$(wait "$APP_PID"; echo "$?")"; echo "exit $CODE $ALERT_WEBHOOK";
      fi;
node:20:
  <<: *smoke
  image: node:20
node:22:
  <<: *smoke
  image: node:22
"""
    wf = parse_one(project_of, text)
    assert list(wf.jobs) == ["build", "node:20", "node:22"]
    node20 = wf.jobs["node:20"]
    assert (node20.line, node20.stage, node20.needs, node20.raw["image"]) == (14, "test", ["build"], "node:20")
    assert [(s.line, s.run_line) for s in node20.steps] == [(9, 10)]
    # APP_PID and CODE are assigned by the script itself; only the outside value is reported
    assert uses(node20.secrets) == [("ALERT_WEBHOOK", 12, "run", None)]


# --- includes ----------------------------------------------------------------------------------

def test_local_includes_merge_and_keep_their_files(project_of: ProjectOf) -> None:
    main = """\
include:
  - local: ci/templates.yml
  - '/ci/jobs/*.yml'
  - template: Auto-DevOps.gitlab-ci.yml
  - remote: https://example.com/ci.yml
  - project: group/ci
    file: [deploy.yml]
stages: [build, test, deploy]
unit:
  extends: .node
  script:
    - npm test
"""
    templates = """\
include: ci/extra.yml
.node:
  image: node:20
  before_script:
    - npm ci --token $NPM_TOKEN
"""
    jobs = "deploy:\n  stage: deploy\n  variables:\n    TARGET: prod\n  script:\n    - ./ship $TARGET $SHIP_KEY\n"
    extra = "lint:\n  stage: build\n  script: npm run lint\n"
    wf = parse_one(project_of, main, {"ci/templates.yml": templates, "ci/jobs/deploy.yml": jobs,
                                      "ci/extra.yml": extra, "ci/jobs/sub/ignored.yml": "x:\n  script: y\n"})
    assert set(wf.jobs) == {"unit", "deploy", "lint"}
    unit, deploy, lint = wf.jobs["unit"], wf.jobs["deploy"], wf.jobs["lint"]
    assert (unit.workflow_path, unit.line) == (CI, 9)
    assert runs(unit) == [("npm ci --token $NPM_TOKEN", 5, 5, "ci/templates.yml"), ("npm test", 12, 12, None)]
    assert uses(unit.secrets) == [("NPM_TOKEN", 5, "run", "ci/templates.yml")]
    assert (deploy.workflow_path, deploy.line) == ("ci/jobs/deploy.yml", 1)
    assert runs(deploy) == [("./ship $TARGET $SHIP_KEY", 6, 6, None)]
    assert uses(deploy.secrets) == [("SHIP_KEY", 6, "run", None)]  # TARGET is a job variable
    assert (lint.workflow_path, lint.line) == ("ci/extra.yml", 1)
    assert wf.env["__auto_devops__"] == "true"
    assert wf.env["__includes_not_followed__"] == [
        "template: Auto-DevOps.gitlab-ci.yml", "remote: https://example.com/ci.yml", "project: group/ci deploy.yml"]
    assert wf.upstream("deploy") == {"unit", "lint"}


def test_missing_local_include_is_reported_but_pipeline_kept(project_of: ProjectOf) -> None:
    workflows, invalid = gitlab.parse(project_of({CI: "include:\n  local: ci/gone.yml\ntest:\n  script: make\n"}))
    assert [w.jobs.keys() for w in workflows] == [{"test": None}.keys()]
    assert [(i.path, i.line) for i in invalid] == [(CI, 2)]
    assert "ci/gone.yml" in invalid[0].message


def test_broken_included_file_is_its_own_invalid_file(project_of: ProjectOf) -> None:
    workflows, invalid = gitlab.parse(project_of({
        CI: "include: ci/bad.yml\ntest:\n  script: make\n", "ci/bad.yml": "job: [unclosed\n"}))
    assert list(workflows[0].jobs) == ["test"]
    assert [(i.path, i.message.startswith("invalid YAML")) for i in invalid] == [("ci/bad.yml", True)]


def test_juice_shop_shaped_template_only_pipeline(project_of: ProjectOf) -> None:
    text = "before_script:\n  - apt-get install -y python3\ninclude:\n  - template: Dependency-Scanning.gitlab-ci.yml\n"
    wf = parse_one(project_of, text)
    assert wf.jobs == {}
    assert wf.env["__includes_not_followed__"] == ["template: Dependency-Scanning.gitlab-ci.yml"]
    assert "__auto_devops__" not in wf.env


# --- conditions, when, environment, triggers ------------------------------------------------------

CONDITIONS = """\
workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH
deploy:
  stage: deploy
  environment:
    name: production
    url: https://app.example.com
    action: start
  rules:
    - if: $CI_COMMIT_TAG
      when: manual
    - if: $CI_PIPELINE_SOURCE == "schedule"
      when: never
  script: ./deploy
staging:
  stage: deploy
  environment: staging
  only:
    - main
    - schedules
  except:
    variables:
      - $SKIP
  when: delayed
  start_in: 5 minutes
  allow_failure: true
  script: ./deploy staging
manual:
  when: manual
  script: ./x
strict-manual:
  when: manual
  allow_failure: false
  script: ./x
codes:
  allow_failure:
    exit_codes: [137]
  script: ./x
"""


def test_conditions_when_allow_failure_environment(project_of: ProjectOf) -> None:
    wf = parse_one(project_of, CONDITIONS)
    deploy, staging = wf.jobs["deploy"], wf.jobs["staging"]
    assert deploy.condition == ('rules: if $CI_COMMIT_TAG (when: manual); '
                                'if $CI_PIPELINE_SOURCE == "schedule" (when: never)')
    assert (deploy.when, deploy.allow_failure) == ("manual", False)  # manual by rules: blocking
    assert (deploy.environment, deploy.environment_url, deploy.environment_line) == (
        "production", "https://app.example.com", 7)
    assert deploy.raw["environment"]["action"] == "start"
    assert staging.condition == "only: main, schedules | except: variables: $SKIP"
    assert (staging.when, staging.allow_failure) == ("delayed", True)
    assert (staging.environment, staging.environment_url, staging.environment_line) == ("staging", None, 19)
    assert (wf.jobs["manual"].when, wf.jobs["manual"].allow_failure) == ("manual", True)  # GitLab's default
    assert wf.jobs["strict-manual"].allow_failure is False
    assert wf.jobs["codes"].allow_failure is True
    assert (wf.jobs["codes"].when, wf.jobs["codes"].condition) == ("on_success", None)


def test_triggers_from_rules_and_only(project_of: ProjectOf) -> None:
    wf = parse_one(project_of, CONDITIONS)
    assert [(t.event, t.line) for t in wf.triggers] == [
        ("push", 1), ("merge_request_event", 3), ("schedule", 17), ("tag", 12)]
    plain = parse_one(project_of, "test:\n  script: make test\n")
    assert [(t.event, t.line) for t in plain.triggers] == [("push", 1)]
    mr_only = parse_one(project_of, "test:\n  only: [merge_requests, tags]\n  script: make\n")
    assert [t.event for t in mr_only.triggers] == ["push", "merge_request_event", "tag"]


# --- variables and secrets -------------------------------------------------------------------------

SECRETS = """\
variables:
  REGISTRY: registry.example.com
deploy:
  variables:
    APP_NAME: shop
    DB_URL: postgres://app:$DB_PASSWORD@db/app
  secrets:
    VAULT_DB:
      vault: production/db/password@ops
  script:
    - docker login -u gitlab-ci-token -p $CI_JOB_TOKEN $CI_REGISTRY
    - docker push $REGISTRY/$APP_NAME:$CI_COMMIT_SHA
    - |
      for f in $(ls); do echo $f; done
      export BUILT=1
      echo "$BUILT $HOME ${PATH}"
      curl -H "Authorization: Bearer ${DEPLOY_TOKEN}" "$HOOK_URL?x=${DEPLOY_TOKEN:-none}"
      echo $$ESCAPED $lowercase
"""


def test_secret_uses_from_scripts_and_keyword(project_of: ProjectOf) -> None:
    job = parse_one(project_of, SECRETS).jobs["deploy"]
    assert uses(job.secrets) == [
        ("CI_JOB_TOKEN", 11, "run", None),  # a credential, recorded like GITHUB_TOKEN
        ("DEPLOY_TOKEN", 17, "run", None),
        ("HOOK_URL", 17, "run", None),
        ("DB_PASSWORD", 6, "variables", None),
        ("VAULT_DB", 8, "secrets", None),
    ]
    assert job.steps[0].env == {"REGISTRY": "registry.example.com", "APP_NAME": "shop",
                                "DB_URL": "postgres://app:$DB_PASSWORD@db/app"}


# --- invalid and hostile input ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "line", "words"), [
    ("- job\n", 1, "must be a mapping at the top level"),
    ("test:\n  script: [a\n", 3, "invalid YAML"),
    ("stages: [test]\ntest:\n  stage: test\n  image: node\n", 2, "job `test`: missing `script`"),
    ("test: echo hi\n", 1, "a job must be a mapping"),
    ("stages: [build]\ntest:\n  stage: deploy\n  script: x\n", 2, "stage `deploy` is not in `stages`"),
    ("stages: [build]\nvariables:\n  A: b\n.tpl:\n  script: x\n", 1, "no visible job"),
    ("", None, "empty GitLab CI file"),
    (b"\x00\x01binary\x00", None, "binary or unreadable file"),
])
def test_invalid_pipelines(project_of: ProjectOf, text: str | bytes, line: int | None, words: str) -> None:
    bad = invalid_one(project_of, text)
    assert bad.path == CI
    assert words in bad.message
    assert bad.line == line
    assert line is None or f"(line {line})" in bad.message


def test_trigger_and_unresolved_extends_need_no_script(project_of: ProjectOf) -> None:
    text = """\
include:
  - template: Jobs/Deploy.gitlab-ci.yml
downstream:
  trigger:
    include: ci/child.yml
custom:
  extends: .auto-deploy
"""
    wf = parse_one(project_of, text)
    assert wf.jobs["downstream"].steps == [] and wf.jobs["custom"].steps == []


def test_missing_script_in_included_file_points_at_it(project_of: ProjectOf) -> None:
    bad = invalid_one(project_of, "include: ci/jobs.yml\nok:\n  script: x\n",
                      {"ci/jobs.yml": "# jobs\nbroken:\n  stage: test\n"})
    assert (bad.path, bad.line) == ("ci/jobs.yml", 2)


def test_oversized_and_non_utf8(project_of: ProjectOf) -> None:
    big = "test:\n  script:\n" + "    - echo padding-padding-padding\n" * 150_000
    bad = invalid_one(project_of, big)
    assert bad.message.startswith("not parsed:") and "size limit" in bad.message
    latin1 = "# d\xe9ploiement\ntest:\n  script: echo caf\xe9\n".encode("latin-1")
    workflows, invalid = gitlab.parse(project_of({CI: latin1}))
    assert invalid == []
    assert workflows[0].jobs["test"].steps[0].run == "echo caf\ufffd"


def test_no_gitlab_file_means_nothing(project_of: ProjectOf) -> None:
    assert gitlab.parse(project_of({"README.md": "hi\n", "ci/x.gitlab-ci.yml": "test:\n  script: x\n"})) == ([], [])


def test_alias_bomb_in_script_is_bounded(project_of: ProjectOf) -> None:
    def bomb(levels: int) -> str:
        text = ".a1: &a1 [echo lol, echo lol, echo lol]\n"
        for i in range(2, levels + 1):
            text += f".a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 3) + "]\n"
        return text + f"test:\n  script: *a{levels}\n"

    job = parse_one(project_of, bomb(10)).jobs["test"]  # 3**10 commands in 10 levels: GitLab's nesting limit
    assert len(job.steps) == gitlab.MAX_STEPS
    assert isinstance(job.steps[0], Step) and job.steps[0].run == "echo lol"
    bad = invalid_one(project_of, bomb(11))
    assert "nested more than 10 levels" in bad.message


def test_auto_devops_records_include_and_disabled_job_lines(project_of):
    text = ('include:\n  - template: Auto-DevOps.gitlab-ci.yml\n\nvariables:\n  SAST_EXCLUDED_PATHS: "x/**"\n'
            '  TEST_DISABLED: "true"\n  DAST_DISABLED: "true"\n')
    wf = parse_one(project_of, text)
    assert wf.env["TEST_DISABLED"] == "true"
    assert wf.env["__auto_devops_lines__"] == {"__include__": f"{CI}:2", "TEST_DISABLED": f"{CI}:6",
                                               "DAST_DISABLED": f"{CI}:7"}
