"""GitHub Actions parser: real workflow files in real git repositories, exact lines."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from handrail.core.project import Project
from handrail.core.yamlload import LMap
from handrail.pipeline import github
from handrail.pipeline.model import InvalidFile, Permissions, SecretUse, Workflow

WF = ".github/workflows"

ProjectOf = Callable[..., Project]


def parse_one(project_of: ProjectOf, text: str | bytes, name: str = "ci.yml") -> Workflow:
    workflows, invalid = github.parse(project_of({f"{WF}/{name}": text}))
    assert invalid == [], invalid
    assert len(workflows) == 1
    return workflows[0]


def invalid_one(project_of: ProjectOf, text: str | bytes, name: str = "ci.yml") -> InvalidFile:
    workflows, invalid = github.parse(project_of({f"{WF}/{name}": text}))
    assert workflows == []
    assert len(invalid) == 1
    assert invalid[0].path == f"{WF}/{name}"
    return invalid[0]


def uses(job_secrets: list[SecretUse]) -> list[tuple[str, int, str]]:
    return [(s.name, s.line, s.context) for s in job_secrets]


# --- workflow level -------------------------------------------------------------------------

FULL = """\
# comment first
name: Deploy app
on:
  push:
    branches: [main, 'release/**']
    branches-ignore: [wip]
    tags: ['v*']
  pull_request:
    types: [opened, synchronize]
  workflow_run:
    workflows: ["CI"]
    types: [completed]
  schedule:
    - cron: '0 3 * * *'
  workflow_dispatch:
env:
  NODE_ENV: production
  API_KEY: ${{ secrets.API_KEY }}
permissions:
  contents: read
  id-token: write
jobs:
  build:
    name: Build it
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
  deploy:
    needs: build
    if: github.ref == 'refs/heads/main'
    runs-on: [self-hosted, linux]
    environment:
      name: production
      url: https://app.example.com
    permissions: write-all
    steps:
      - run: ./deploy.sh
"""


def test_workflow_fields_triggers_and_lines(project_of: ProjectOf) -> None:
    wf = parse_one(project_of, FULL)
    assert (wf.provider, wf.path, wf.name, wf.line) == ("github", f"{WF}/ci.yml", "Deploy app", 2)
    assert wf.env == {"NODE_ENV": "production", "API_KEY": "${{ secrets.API_KEY }}"}
    assert wf.permissions == Permissions("map", {"contents": "read", "id-token": "write"}, 19)
    assert wf.permissions.writes() == ["id-token"]
    assert [(t.event, t.line) for t in wf.triggers] == [
        ("push", 4), ("pull_request", 8), ("workflow_run", 10), ("schedule", 13), ("workflow_dispatch", 15)]
    push = wf.trigger("push")
    assert push is not None
    assert push.branches == ["main", "release/**", "!wip"]
    assert push.tags == ["v*"]
    assert wf.trigger("pull_request").types == ["opened", "synchronize"]  # type: ignore[union-attr]
    run = wf.trigger("workflow_run")
    assert run is not None and run.workflows == ["CI"] and run.types == ["completed"]


def test_jobs_fields(project_of: ProjectOf) -> None:
    wf = parse_one(project_of, FULL)
    build, deploy = wf.jobs["build"], wf.jobs["deploy"]
    assert (build.id, build.name, build.line, build.runs_on, build.needs) == (
        "build", "Build it", 23, "ubuntu-latest", [])
    assert build.permissions is None  # undeclared: inherits the workflow's
    assert deploy.needs == ["build"]
    assert deploy.condition == "github.ref == 'refs/heads/main'"
    assert deploy.runs_on == "self-hosted, linux"
    assert (deploy.environment, deploy.environment_url, deploy.environment_line) == (
        "production", "https://app.example.com", 32)
    assert deploy.permissions == Permissions("write-all", {}, 35)
    assert deploy.permissions.writes() == ["*"]
    assert deploy.raw["runs-on"] == ["self-hosted", "linux"]
    assert wf.upstream("deploy") == {"build"}
    assert wf.downstream("build") == {"deploy"}
    # workflow-level env secrets are exposed to every job
    assert uses(build.secrets) == [("API_KEY", 18, "workflow env")]


def test_on_key_stays_a_string_in_every_form(project_of: ProjectOf) -> None:
    project = project_of({
        f"{WF}/a.yml": "on: push\njobs:\n  j:\n    runs-on: x\n    steps: [{run: echo}]\n",
        f"{WF}/b.yaml": "on: [push, pull_request]\njobs:\n  j:\n    runs-on: x\n    steps: [{run: echo}]\n",
        f"{WF}/c.yml": "'on':\n  release:\n    types: [published]\njobs:\n  j:\n    runs-on: x\n    steps:\n"
                       "      - run: echo\n",
    })
    workflows, invalid = github.parse(project)
    assert invalid == []
    by_path = {w.path: w for w in workflows}
    assert [(t.event, t.line) for t in by_path[f"{WF}/a.yml"].triggers] == [("push", 1)]
    assert [t.event for t in by_path[f"{WF}/b.yaml"].triggers] == ["push", "pull_request"]
    assert [(t.event, t.types) for t in by_path[f"{WF}/c.yml"].triggers] == [("release", ["published"])]
    raw = project.yaml(f"{WF}/a.yml")
    assert "on" in raw and True not in raw


@pytest.mark.parametrize(("block", "expected"), [
    ("permissions: read-all\n", Permissions("read-all", {}, 2)),
    ("permissions: write-all\n", Permissions("write-all", {}, 2)),
    ("permissions: {}\n", Permissions("none", {}, 2)),
    ("permissions:\n  contents: write\n  pull-requests: none\n",
     Permissions("map", {"contents": "write", "pull-requests": "none"}, 2)),
    ("", None),
])
def test_permission_forms(project_of: ProjectOf, block: str, expected: Permissions | None) -> None:
    wf = parse_one(project_of, "on: push\n" + block + "jobs:\n  j:\n    runs-on: x\n    steps:\n      - run: echo\n")
    assert wf.permissions == expected


def test_bad_permission_value_is_invalid(project_of: ProjectOf) -> None:
    bad = invalid_one(project_of, "on: push\npermissions:\n  contents: admin\njobs:\n  j:\n    runs-on: x\n"
                                  "    steps:\n      - run: echo\n")
    assert bad.line == 3 and "contents" in bad.message


# --- steps ---------------------------------------------------------------------------------

STEPS = """\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - name: Checkout
        uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - name: Block
        run: |
          npm ci
          npm test
        env:
          CI: "true"
        if: success()
        continue-on-error: true
      - run: npm run lint
        continue-on-error: ${{ matrix.experimental }}
      - name: Folded
        run: >
          echo one
          two
        continue-on-error: "true"
      - run: "echo quoted"
      - run:
          echo next-line plain
"""


def test_steps_fields_and_run_lines(project_of: ProjectOf) -> None:
    steps = parse_one(project_of, STEPS).jobs["test"].steps
    assert [(s.index, s.line) for s in steps] == [(0, 6), (1, 10), (2, 18), (3, 20), (4, 25), (5, 26)]
    checkout, block, lint, folded, quoted, plain = steps
    assert (checkout.name, checkout.uses, checkout.run, checkout.with_) == (
        "Checkout", "actions/checkout@v4", None, {"fetch-depth": 0})
    assert block.run == "npm ci\nnpm test\n"
    assert block.run_line == 12  # `run: |` on 11: the script starts on the next line
    assert block.line_in_run(1) == 13  # npm test
    assert block.env == {"CI": "true"}
    assert block.condition == "success()"
    assert block.continue_on_error is True
    assert (lint.run, lint.run_line, lint.continue_on_error) == ("npm run lint", 18, False)  # expression: not literal
    assert (folded.run_line, folded.continue_on_error) == (22, True)
    assert (quoted.run, quoted.run_line) == ("echo quoted", 25)
    assert (plain.run, plain.run_line) == ("echo next-line plain", 27)
    assert lint.label == "npm run lint" and checkout.label == "Checkout"
    assert isinstance(checkout.with_, LMap) and checkout.with_.line_of("fetch-depth") == 9  # lines kept


def test_job_continue_on_error_means_allowed_to_fail(project_of: ProjectOf) -> None:
    text = ("on: push\njobs:\n  flaky:\n    runs-on: x\n    continue-on-error: true\n    steps: [{run: make}]\n"
            "  matrix:\n    runs-on: x\n    continue-on-error: ${{ matrix.experimental }}\n    steps: [{run: make}]\n")
    wf = parse_one(project_of, text)
    assert (wf.jobs["flaky"].allow_failure, wf.jobs["matrix"].allow_failure) == (True, False)


# --- secrets -------------------------------------------------------------------------------

SECRETS = """\
name: Deploy
on: push
env:
  GLOBAL: ${{ secrets.GLOBAL_KEY }}
jobs:
  deploy:
    runs-on: ubuntu-latest
    if: ${{ secrets.DEPLOY_ENABLED == 'yes' }}
    env:
      JOB_LEVEL: ${{ secrets.JOB_SECRET }}
    steps:
      - uses: actions/checkout@v4
        with:
          token: ${{ secrets.GH_PAT }}
      - name: Deploy
        if: secrets.HOOK != ''
        env:
          GH_TOKEN: ${{ github.token }}
        run: |
          echo "deploying"

          curl -X POST "${{ secrets.HOOK }}" \\
            -H "Authorization: Bearer ${{ secrets['API_TOKEN'] }}" -d "${{ secrets["OTHER"] }}"
          # the same secret twice
          echo ${{ secrets.HOOK }}
      - run: echo ${{ toJSON(secrets) }} && echo ${{ secrets.GITHUB_TOKEN }}
      - run: echo "${{ inputs.secrets.NOT_A_SECRET }} secrets.PLAIN_TEXT"
"""


def test_secret_uses_have_exact_lines_and_contexts(project_of: ProjectOf) -> None:
    job = parse_one(project_of, SECRETS).jobs["deploy"]
    assert uses(job.secrets) == [
        ("DEPLOY_ENABLED", 8, "if"),
        ("JOB_SECRET", 10, "env"),
        ("GH_PAT", 14, "with"),
        ("HOOK", 16, "if"),
        ("GITHUB_TOKEN", 18, "env"),
        ("HOOK", 22, "run"),
        ("API_TOKEN", 23, "run"),
        ("OTHER", 23, "run"),
        ("HOOK", 25, "run"),
        ("*", 26, "run"),
        ("GITHUB_TOKEN", 26, "run"),
        ("GLOBAL_KEY", 4, "workflow env"),
    ]
    deploy = job.steps[1]
    # the run-block lines agree with the step's own offset arithmetic
    assert deploy.line_in_run(deploy.run.splitlines().index('echo ${{ secrets.HOOK }}')) == 25  # type: ignore[union-attr]


def test_reusable_workflow_jobs(project_of: ProjectOf) -> None:
    text = """\
on:
  push:
    tags: ['*']
jobs:
  version:
    runs-on: ubuntu-latest
    outputs:
      v: ${{ steps.v.outputs.v }}
    steps:
      - id: v
        run: echo "v=1" >> "$GITHUB_OUTPUT"
  image:
    needs: version
    uses: ./.github/workflows/release-image.yml
    with:
      tag: ${{ needs.version.outputs.v }}
    secrets:
      REGISTRY_TOKEN: ${{ secrets.REGISTRY_TOKEN }}
      SSH_KEY: ${{ secrets.SSH_PRIVATE_KEY }}
  helm:
    needs: [version, image]
    uses: acme/infra/.github/workflows/helm.yml@v2
    secrets: inherit
"""
    wf = parse_one(project_of, text)
    image, helm = wf.jobs["image"], wf.jobs["helm"]
    assert (image.uses, image.steps, image.secrets_inherit) == ("./.github/workflows/release-image.yml", [], False)
    assert uses(image.secrets) == [("REGISTRY_TOKEN", 18, "secrets"), ("SSH_PRIVATE_KEY", 19, "secrets")]
    assert image.runs_on is None
    assert (helm.uses, helm.secrets_inherit, helm.needs) == ("acme/infra/.github/workflows/helm.yml@v2", True,
                                                             ["version", "image"])
    assert wf.upstream("helm") == {"version", "image"}


def test_laravel_io_shaped_deploy_step(project_of: ProjectOf) -> None:
    """Tests and a deploy-hook curl in one job (paraphrased from a real repository)."""
    text = """\
name: Tests

on: [push, pull_request]

jobs:
  tests:
    runs-on: ubuntu-latest

    services:
      mysql:
        image: mysql:5.7
        env:
          MYSQL_ALLOW_EMPTY_PASSWORD: yes
        options: --health-cmd="mysqladmin ping"

    steps:
      - uses: actions/checkout@v4
      - name: Run tests
        run: vendor/bin/pest -p
      - name: Deploy
        if: github.ref_name == 'main'
        run: curl ${{ secrets.DEPLOY_HOOK }}?sha=${{ github.sha }}
"""
    wf = parse_one(project_of, text, "tests.yml")
    job = wf.jobs["tests"]
    assert [t.event for t in wf.triggers] == ["push", "pull_request"]
    assert job.raw["services"]["mysql"]["env"]["MYSQL_ALLOW_EMPTY_PASSWORD"] == "yes"  # YAML 1.2: not a bool
    deploy = job.steps[2]
    assert (deploy.name, deploy.line, deploy.run_line) == ("Deploy", 20, 22)
    assert deploy.condition == "github.ref_name == 'main'"
    assert uses(job.secrets) == [("DEPLOY_HOOK", 22, "run")]


# --- invalid and hostile input --------------------------------------------------------------

MARKDOWN_IN_BLOCK = """\
name: Summary
on: push
jobs:
  report:
    runs-on: ubuntu-latest
    steps:
      - run: |
          cat <<EOF >> $GITHUB_STEP_SUMMARY
          ## Result
**Status**: done
          EOF
"""


def test_markdown_bold_at_column_one_is_invalid_yaml(project_of: ProjectOf) -> None:
    bad = invalid_one(project_of, MARKDOWN_IN_BLOCK)
    assert bad.message.startswith("invalid YAML")
    assert bad.line == 10


@pytest.mark.parametrize(("text", "line", "words"), [
    ("- on: push\n", 1, "mapping at the top level"),
    ("name: x\njobs:\n  j:\n    runs-on: x\n    steps: [{run: echo}]\n", 1, "missing `on:`"),
    ("on: push\nname: x\n", 1, "missing `jobs:`"),
    ("on: push\njobs: []\n", 2, "`jobs:` must be a non-empty mapping"),
    ("on: push\njobs:\n  build:\n    runs-on: x\n", 3, "jobs.build: a job needs `steps` or `uses`"),
    ("on: push\njobs:\n  build:\n    runs-on: x\n    steps: echo\n", 5, "`steps` must be a list"),
    ("on: push\njobs:\n  build:\n    steps:\n      - run: echo\n", 3, "missing `runs-on`"),
    ("on: push\njobs:\n  build: hello\n", 3, "a job must be a mapping"),
    ("on: push\njobs:\n  1build:\n    runs-on: x\n    steps: [{run: echo}]\n", 3, "job ids"),
    ("on: push\njobs:\n  b:\n    uses: ./x.yml\n    steps: [{run: echo}]\n", 3, "not both"),
    ("on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n      - run: a\n      - uses: actions/checkout@v4\n"
     "        run: echo both\n", 7, "jobs.b.steps[1]: a step needs exactly one of `uses` or `run`"),
    ("on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n      - name: nothing\n", 6, "exactly one of"),
    ("on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n      - echo hi\n", 6, "a step must be a mapping"),
    ("on: {}\njobs:\n  b:\n    runs-on: x\n    steps: [{run: echo}]\n", 1, "names no event"),
])
def test_structurally_invalid_workflows(project_of: ProjectOf, text: str, line: int, words: str) -> None:
    bad = invalid_one(project_of, text)
    assert words in bad.message
    assert bad.line == line
    assert f"(line {line})" in bad.message


def test_invalid_file_does_not_hide_valid_ones(project_of: ProjectOf) -> None:
    project = project_of({
        f"{WF}/good.yml": "on: push\njobs:\n  j:\n    runs-on: x\n    steps: [{run: echo}]\n",
        f"{WF}/bad.yml": MARKDOWN_IN_BLOCK,
        f"{WF}/actions/setup/action.yml": "name: composite\nruns:\n  using: composite\n",  # not a workflow
        f"{WF}/README.md": "# workflows\n",
    })
    workflows, invalid = github.parse(project)
    assert [w.path for w in workflows] == [f"{WF}/good.yml"]
    assert [i.path for i in invalid] == [f"{WF}/bad.yml"]


def test_empty_binary_and_non_utf8_files(project_of: ProjectOf) -> None:
    latin1 = "name: D\xe9ploiement\non: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: echo caf\xe9\n"
    project = project_of({
        f"{WF}/empty.yml": "",
        f"{WF}/comments.yml": "# nothing here yet\n",
        f"{WF}/binary.yml": b"\x00\x01\x02on: push\x00" * 10,
        f"{WF}/latin1.yml": latin1.encode("latin-1"),
    })
    workflows, invalid = github.parse(project)
    messages = {i.path.rsplit("/", 1)[1]: i.message for i in invalid}
    assert messages == {"empty.yml": "empty workflow file", "comments.yml": "empty workflow file",
                        "binary.yml": "binary or unreadable file, not a workflow"}
    (wf,) = workflows
    assert wf.name == "D\ufffdploiement"  # undecodable bytes are replaced, the workflow still parses
    assert wf.jobs["j"].steps[0].run == "echo caf\ufffd"


def test_oversized_workflow_is_reported_not_parsed(project_of: ProjectOf) -> None:
    big = "on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n" + "      - run: echo padding-padding\n" * 160_000
    assert len(big) > 5_000_000
    project = project_of({f"{WF}/huge.yml": big})
    workflows, invalid = github.parse(project)
    assert workflows == []
    (bad,) = invalid
    assert bad.message.startswith("not parsed:") and "size limit" in bad.message
    assert bad.line is None
    assert project.parse_counts == {}  # never handed to the YAML parser


def test_alias_bomb_is_bounded(project_of: ProjectOf) -> None:
    text = "on: push\nx: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    prev = "a"
    for i in range(8):
        name = f"a{i}"
        text += f"x{i}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    text += f"jobs:\n  j:\n    runs-on: x\n    env:\n      BOMB: *{prev}\n    steps:\n      - run: echo\n"
    wf = parse_one(project_of, text)
    assert wf.jobs["j"].secrets == []
