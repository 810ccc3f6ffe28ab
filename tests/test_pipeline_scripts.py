"""Script aliases read from real manifests in real git repositories."""

from __future__ import annotations

import json

from handrail.pipeline.scripts import canonical, script_aliases


def _pkg(scripts: dict[str, str]) -> str:
    return json.dumps({"name": "app", "scripts": scripts})


def test_package_json_scripts_and_npm_test(project_of):
    project = project_of({"package.json": _pkg({"test": "vitest run", "build": "vite build"})})
    aliases = script_aliases(project)
    assert aliases["npm test"] == "vitest run"
    assert aliases["npm run test"] == "vitest run"
    assert aliases["npm run build"] == "vite build"


def test_nested_npm_aliases_are_expanded(project_of):
    project = project_of({"package.json": _pkg({"ci": "npm run lint && npm run unit", "lint": "eslint .",
                                                "unit": "pnpm run inner", "inner": "vitest run"})})
    ci = script_aliases(project)["npm run ci"]
    assert "eslint ." in ci and "vitest run" in ci
    assert "npm run" not in ci


def test_pre_and_post_scripts_wrap_their_script(project_of):
    project = project_of({"package.json": _pkg({"pretest": "tsc --noEmit", "test": "jest", "posttest": "echo ok"})})
    assert script_aliases(project)["npm test"] == "tsc --noEmit && jest && echo ok"


def test_alias_cycles_terminate(project_of):
    project = project_of({"package.json": _pkg({"a": "npm run b", "b": "npm run a"})})
    aliases = script_aliases(project)
    assert set(aliases) >= {"npm run a", "npm run b"}
    assert len(aliases["npm run a"]) < 200


def test_npm_builtins_are_not_treated_as_scripts(project_of):
    project = project_of({"package.json": _pkg({"ci": "echo nope", "check": "npm ci && npm run ci"})})
    check = script_aliases(project)["npm run check"]
    assert check.startswith("npm ci &&")  # `npm ci` installs; it is not the `ci` script
    assert "echo nope" in check


def test_composer_scripts_list_and_references(project_of):
    composer = {"scripts": {"test": ["@php artisan config:clear", "@php artisan test"], "ci": "@test"}}
    aliases = script_aliases(project_of({"composer.json": json.dumps(composer)}))
    assert aliases["composer test"] == "@php artisan config:clear && @php artisan test"
    assert "@php artisan test" in aliases["composer ci"]


def test_makefile_targets_recipes_and_prerequisites(project_of):
    makefile = "X := 1\n.PHONY: test lint\n\ntest: lint ## run tests\n\t@pytest -q\n\nlint:\n\t-ruff check .\n"
    aliases = script_aliases(project_of({"Makefile": makefile}))
    assert aliases["make lint"] == "ruff check ."
    assert "pytest -q" in aliases["make test"] and "ruff check ." in aliases["make test"]
    assert "make X" not in aliases and "make .PHONY" not in aliases


def test_justfile_recipes(project_of):
    justfile = 'set shell := ["bash", "-c"]\n\ntest *ARGS: build\n    cargo test {{ARGS}}\n\nbuild:\n    cargo build\n'
    aliases = script_aliases(project_of({"justfile": justfile}))
    assert aliases["just build"] == "cargo build"
    assert "cargo test" in aliases["just test"] and "cargo build" in aliases["just test"]
    assert "just set" not in aliases


def test_subfolder_package_json_keyed_by_folder(project_of):
    project = project_of({"package.json": _pkg({"test": "echo root"}), "web/package.json": _pkg({"test": "jest"})})
    aliases = script_aliases(project)
    assert aliases["npm test"] == "echo root"  # the root manifest wins the plain key
    assert aliases["web:npm test"] == "jest"


def test_subfolder_only_manifest_fills_plain_key(project_of):
    aliases = script_aliases(project_of({"frontend/package.json": _pkg({"test": "vitest run"})}))
    assert aliases["npm test"] == "vitest run"


def test_bad_manifests_give_no_aliases_and_no_error(project_of):
    project = project_of({"package.json": "{not json", "composer.json": json.dumps({"scripts": "nope"}),
                          "Makefile": b"\x00\x01binary\x00"})
    assert script_aliases(project) == {}


def test_manifest_parsed_once(project_of):
    project = project_of({"package.json": _pkg({"test": "jest"})})
    script_aliases(project)
    script_aliases(project)
    assert project.parse_counts[("package.json", "json")] == 1


def test_canonical_keys():
    assert canonical("yarn", "test") == "npm test"
    assert canonical("pnpm", "e2e") == "npm run e2e"
    assert canonical("make", "test") == "make test"
