"""handoff: setup/test instructions with evidence, verified against the repository."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from handrail.checks.handoff import CHECK
from handrail.core.finding import Status
from handrail.core.project import Project

PKG = json.dumps({"name": "app", "scripts": {"test": "vitest run", "dev": "next dev"}}, indent=2)
README_GOOD = """# App

Some words.

## Setup

```bash
npm install
cp .env.example .env
```

## Running the tests

```bash
npm test
```
"""


def rules(result) -> list[str]:
    return [f.rule for f in result.findings]


def test_pass_with_setup_and_test_lines(project_of: Callable[..., Project]) -> None:
    p = project_of({"README.md": README_GOOD, "package.json": PKG, "src/index.ts": "export {}\n",
                    "AGENTS.md": "Run `npm install`, then `npm test`.\n"})
    r = CHECK.run(p)
    assert r.status == Status.PASS, r.summary
    locs = {(e.path, e.line) for e in r.evidence}
    assert ("README.md", 8) in locs  # npm install
    assert ("README.md", 15) in locs  # npm test
    assert "handoff-test-command-missing" not in rules(r)
    assert "handoff-no-agent-file" not in rules(r)
    assert "README.md:8" in r.summary


def test_npm_placeholder_test_script_is_reported(project_of: Callable[..., Project]) -> None:
    pkg = json.dumps({"scripts": {"test": 'echo "Error: no test specified" && exit 1'}})
    p = project_of({"README.md": README_GOOD, "package.json": pkg, "index.js": "1\n"})
    r = CHECK.run(p)
    missing = [f for f in r.findings if f.rule == "handoff-test-command-missing"]
    assert missing and missing[0].line == 15 and "placeholder" in missing[0].message
    assert r.status == Status.WARN


def test_missing_make_target_and_script(project_of: Callable[..., Project]) -> None:
    readme = "# X\n\n## Install\n\n    pip install -e .\n\n## Tests\n\n```\nmake test\n```\n"
    p = project_of({"README.md": readme, "Makefile": "lint:\n\truff check .\n", "app.py": "x = 1\n"})
    r = CHECK.run(p)
    f = next(f for f in r.findings if f.rule == "handoff-test-command-missing")
    assert f.path == "README.md" and f.line == 10 and "`test` target" in f.message
    assert r.status == Status.WARN


def test_real_make_target_and_pytest_config(project_of: Callable[..., Project]) -> None:
    readme = "# X\n\n## Development\n\n`pip install -r requirements.txt`\n\n## Testing\n\n`make test` or `pytest`\n"
    p = project_of({"README.md": readme, "Makefile": "test: deps\n\tpytest\n", "requirements.txt": "flask\n",
                    "tests/test_app.py": "def test_x():\n    assert True\n", "app.py": "x = 1\n"})
    r = CHECK.run(p)
    assert r.status == Status.PASS, r.summary
    assert "handoff-test-command-missing" not in rules(r)


def test_only_setup_is_warn(project_of: Callable[..., Project]) -> None:
    readme = "# Site\n\n## Getting started\n\n```\ncomposer install\nphp artisan migrate\n```\n"
    p = project_of({"README.md": readme, "app/Models/User.php": "<?php\n"})
    r = CHECK.run(p)
    assert r.status == Status.WARN
    f = next(f for f in r.findings if f.rule == "handoff-no-tests")
    assert f.path == "README.md"


def test_only_tests_is_warn(project_of: Callable[..., Project]) -> None:
    readme = "# Site\n\nRun the suite with `php artisan test`.\n"
    p = project_of({"README.md": readme, "artisan": "#!/usr/bin/env php\n<?php // Laravel\n",
                    "tests/Feature/ExampleTest.php": "<?php\n", "app/x.php": "<?php\n"})
    r = CHECK.run(p)
    assert r.status == Status.WARN
    assert "handoff-no-setup" in rules(r)
    assert ("README.md", 3) in {(e.path, e.line) for e in r.evidence}


def test_no_docs_with_code_fails(project_of: Callable[..., Project]) -> None:
    p = project_of({"app.py": "print(1)\n"})
    r = CHECK.run(p)
    assert r.status == Status.FAIL
    assert "handoff-no-docs" in rules(r)


def test_readme_without_instructions_fails(project_of: Callable[..., Project]) -> None:
    p = project_of({"README.md": "# My app\n\nIt is an app that does things.\n", "main.go": "package main\n"})
    r = CHECK.run(p)
    assert r.status == Status.FAIL
    f = next(f for f in r.findings if f.rule == "handoff-no-instructions")
    assert f.path == "README.md"


def test_empty_repo_is_unknown(project_of: Callable[..., Project]) -> None:
    r = CHECK.run(project_of({}))
    assert r.status == Status.UNKNOWN
    assert "empty" in r.summary


def test_fixture_readmes_do_not_count(project_of: Callable[..., Project]) -> None:
    p = project_of({"tests/fixtures/app/README.md": README_GOOD, "src/a.py": "x = 1\n"})
    r = CHECK.run(p)
    assert r.status == Status.FAIL


def test_benchmark_readmes_do_not_count(project_of: Callable[..., Project]) -> None:
    """A benchmark's README quotes the commands it measures (`npm test` of a peer), not this repository's."""
    p = project_of({"README.md": README_GOOD, "package.json": PKG, "src/a.ts": "1\n",
                    "bench/README.md": "# Bench\n\n## Tests\n\n    make test\n"})
    r = CHECK.run(p)
    assert not [f for f in r.findings if f.rule == "handoff-test-command-missing"]
    assert "bench/README.md" not in r.summary


def test_agent_file_without_commands(project_of: Callable[..., Project]) -> None:
    p = project_of({"README.md": README_GOOD, "package.json": PKG, "src/a.ts": "1\n",
                    "CLAUDE.md": "Be careful and write good code.\n"})
    r = CHECK.run(p)
    f = next(f for f in r.findings if f.rule == "handoff-agent-file-no-commands")
    assert f.path == "CLAUDE.md"
    assert r.status == Status.PASS  # advice, not a failed safeguard


def test_no_agent_file_is_low_finding(project_of: Callable[..., Project]) -> None:
    p = project_of({"README.md": README_GOOD, "package.json": PKG, "src/a.ts": "1\n"})
    r = CHECK.run(p)
    f = next(f for f in r.findings if f.rule == "handoff-no-agent-file")
    assert f.severity.value == "low"


def test_journal_without_record_warns(make_repo: Callable[..., object]) -> None:
    root = make_repo({"README.md": README_GOOD, "package.json": PKG, "a.ts": "1\n", "AGENTS.md": "`npm test`\n",
                      ".gitignore": ".handrail/\n"})
    (root / ".handrail").mkdir()
    (root / ".handrail" / "journal.db").write_bytes(b"SQLite format 3\x00")
    r = CHECK.run(Project(root))
    f = next(f for f in r.findings if f.rule == "handoff-no-record")
    assert f.path == ".handrail/journal.db"
    assert r.status == Status.WARN


def test_handoff_record_is_evidence(project_of: Callable[..., Project]) -> None:
    p = project_of({"README.md": README_GOOD, "package.json": PKG, "a.ts": "1\n", "HANDOFF.md": "# Next steps\n"})
    r = CHECK.run(p)
    assert any(e.path == "HANDOFF.md" for e in r.evidence)
    assert "HANDOFF.md has no Handrail facts" in r.summary


def test_no_journal_and_no_record_is_said(project_of: Callable[..., Project]) -> None:
    p = project_of({"README.md": README_GOOD, "package.json": PKG, "a.ts": "1\n"})
    assert "no Handrail journal on this machine and no handoff record" in CHECK.run(p).summary


def test_uncommitted_work_is_info(make_repo: Callable[..., object]) -> None:
    root = make_repo({"README.md": README_GOOD, "package.json": PKG, "a.ts": "1\n"})
    (root / "b.ts").write_text("2\n")
    r = CHECK.run(Project(root))
    f = next(f for f in r.findings if f.rule == "handoff-uncommitted")
    assert "b.ts" in f.message and f.severity.value == "info"


def test_rst_headings_and_prompt_lines(project_of: Callable[..., Project]) -> None:
    readme = "Project\n=======\n\nInstallation\n------------\n\n$ pip install .\n\nTests\n-----\n\n$ tox\n"
    p = project_of({"README.rst": readme, "tox.ini": "[tox]\n", "pkg/x.py": "1\n"})
    r = CHECK.run(p)
    assert r.status == Status.PASS, r.summary
    assert ("README.rst", 7) in {(e.path, e.line) for e in r.evidence}
    assert ("README.rst", 12) in {(e.path, e.line) for e in r.evidence}


def test_binary_and_malformed_inputs_do_not_crash(project_of: Callable[..., Project]) -> None:
    p = project_of({"README.md": b"\x00\x01\x02binary", "package.json": "{not json",
                    "CONTRIBUTING.md": "## Tests\n\n`npm test`\n", "a.js": "1\n"})
    r = CHECK.run(p)
    f = next(f for f in r.findings if f.rule == "handoff-test-command-missing")
    assert "no package.json" in f.message


def test_outside_git(make_repo: Callable[..., object]) -> None:
    root = make_repo({"README.md": README_GOOD, "package.json": PKG, "a.ts": "1\n"}, git_init=False)
    r = CHECK.run(Project(root))
    assert r.status == Status.PASS
    assert "handoff-uncommitted" not in rules(r)


def test_framework_default_readme_is_not_instructions(project_of: Callable[..., Project]) -> None:
    readme = ("# Laravel\n\n## About Laravel\n\nLaravel is a web application framework.\n\n## Contributing\n\n"
              "Thank you for considering contributing! See the [contribution guide](https://laravel.com/docs).\n\n"
              "## Installation\n\nSee the documentation.\n")
    r = CHECK.run(project_of({"README.md": readme, "app/Http/Kernel.php": "<?php\n"}))
    assert r.status == Status.FAIL
    assert "handoff-no-instructions" in rules(r)


def test_next_default_readme_documents_setup_only(project_of: Callable[..., Project]) -> None:
    readme = ("## Getting Started\n\nFirst, run the development server:\n\n```bash\nnpm run dev\n# or\nyarn dev\n```\n"
              "\nOpen http://localhost:3000 with your browser.\n")
    pkg = json.dumps({"scripts": {"dev": "next dev"}, "dependencies": {"next": "14"}})
    r = CHECK.run(project_of({"README.md": readme, "package.json": pkg, "app/page.tsx": "x\n"}))
    assert r.status == Status.WARN
    assert "handoff-no-tests" in rules(r)
    assert ("README.md", 1) in {(e.path, e.line) for e in r.evidence}  # the heading, its section has a command
    assert ("README.md", 6) in {(e.path, e.line) for e in r.evidence}


def test_prose_in_testing_section(project_of: Callable[..., Project]) -> None:
    readme = "# X\n\n## Setup\n\n`uv sync`\n\n## Testing\n\nRun pytest from the repository root.\n"
    r = CHECK.run(project_of({"README.md": readme, "pyproject.toml": "[tool.pytest.ini_options]\n", "x.py": "1\n"}))
    assert r.status == Status.PASS, r.summary
    assert ("README.md", 9) in {(e.path, e.line) for e in r.evidence}


def test_claude_md_importing_agents_md(project_of: Callable[..., Project]) -> None:
    p = project_of({"README.md": README_GOOD, "package.json": PKG, "a.ts": "1\n",
                    "AGENTS.md": "## Commands\n\n- `npm install`\n- `npm test`\n", "CLAUDE.md": "@AGENTS.md\n",
                    "GEMINI.md": "Read the README.\n"})
    r = CHECK.run(p)
    flagged = [f.path for f in r.findings if f.rule == "handoff-agent-file-no-commands"]
    assert flagged == ["GEMINI.md"]
    assert any(e.path == "CLAUDE.md" and e.line == 1 and "AGENTS.md" in e.note for e in r.evidence)


# --- the continuation record, with a real journal ----------------------------------------------------------------
GOOD_APP = {"README.md": README_GOOD, "package.json": PKG, "a.ts": "1\n", "AGENTS.md": "`npm install`, `npm test`\n",
            ".gitignore": ".handrail/\n"}


def call(j, cmd: str, tid: str, *, post: bool = True) -> int:
    from handrail.journal import Event

    pre = j.append(Event(kind="tool_call", summary=f"Bash: {cmd}", agent="claude", session="s1", tool="Bash",
                         tool_use_id=tid, event="PreToolUse", decision="allow",
                         payload={"phase": "pre", "input": {"command": cmd}}))
    if post:
        j.append(Event(kind="tool_call", summary="Bash done", agent="claude", session="s1", tool="Bash",
                       tool_use_id=tid, event="PostToolUse", exit_code=0, payload={"phase": "post"}))
    return pre.seq


def stop(j) -> None:
    from handrail.journal import Event

    j.append(Event(kind="session", summary="stop", agent="claude", session="s1", event="Stop",
                   payload={"phase": "stop"}))


def test_fresh_record_passes(make_repo: Callable[..., Path], keys_home: None) -> None:
    from handrail.handoff import write
    from handrail.journal import open_journal

    root = make_repo(GOOD_APP)
    with open_journal(root) as j:
        call(j, "npm test", "t1")
        stop(j)
        write(root, j)
    r = CHECK.run(Project(root))
    assert r.status == Status.PASS, r.summary
    assert any(e.path == "HANDOFF.md" and e.line == 1 and "fresh" in e.note for e in r.evidence)
    assert "every tool call in the journal has a result" in r.summary


def test_stale_record_is_a_finding(make_repo: Callable[..., Path], keys_home: None) -> None:
    from handrail.handoff import write
    from handrail.journal import open_journal

    root = make_repo(GOOD_APP)
    with open_journal(root) as j:
        call(j, "npm test", "t1")
        write(root, j)
        seq = call(j, "npm run build", "t2")
    r = CHECK.run(Project(root))
    assert r.status == Status.WARN
    f = next(f for f in r.findings if f.rule == "handoff-stale")
    assert f.path == "HANDOFF.md" and f.line == 1
    assert f"#{seq + 1} tool_call" in f.message  # the newest entry after the record is named


def test_interrupted_call_is_a_finding_until_a_note_explains_it(make_repo: Callable[..., Path],
                                                                 keys_home: None) -> None:
    from handrail.handoff import write
    from handrail.journal import Event, open_journal

    root = make_repo(GOOD_APP)
    with open_journal(root) as j:
        seq = call(j, "npx prisma migrate deploy", "t1", post=False)
        stop(j)
        write(root, j)
    r = CHECK.run(Project(root))
    assert r.status == Status.WARN
    f = next(f for f in r.findings if f.rule == "handoff-interrupted")
    assert f.path == ".handrail/journal.db" and f"#{seq}" in f.message and "prisma migrate deploy" in f.message
    assert f"handrail note \"#{seq}:" in f.fix
    with open_journal(root) as j:
        j.append(Event(kind="note", summary=f"#{seq}: it finished; checked with migrate status",
                       payload={"text": f"#{seq}: it finished; checked with migrate status"}))
        write(root, j)
    r = CHECK.run(Project(root))
    assert r.status == Status.PASS, r.summary
    assert not [f for f in r.findings if f.rule in ("handoff-interrupted", "handoff-stale")]


def test_committed_record_without_journal_is_judged_against_head(make_repo: Callable[..., Path]) -> None:
    from conftest import commit_files, git

    from handrail.handoff import write

    root = make_repo(GOOD_APP)
    write(root)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "work with its handoff")
    r = CHECK.run(Project(root))
    assert r.status == Status.PASS, r.summary
    assert "journal not on this machine" in r.summary
    commit_files(root, {"b.ts": "2\n"}, "later work")
    r = CHECK.run(Project(root))
    f = next(f for f in r.findings if f.rule == "handoff-stale")
    assert "HEAD is now" in f.message and f.path == "HANDOFF.md"


def test_empty_journal_needs_no_record_yet(make_repo: Callable[..., Path], keys_home: None) -> None:
    from handrail.journal import open_journal

    root = make_repo(GOOD_APP)
    open_journal(root).close()
    r = CHECK.run(Project(root))
    assert r.status == Status.PASS, r.summary
    assert "is empty: nothing to hand off yet" in r.summary


AGENTS_WITH_COMMANDS = "# Agents\n\n## Setup\n`npm install`\n\n## Tests\n`npm test`\n"


def test_scoped_agent_files_are_not_flagged_one_by_one(project_of: Callable[..., Project]) -> None:
    p = project_of({"README.md": README_GOOD, "package.json": PKG, "src/index.ts": "export {}\n",
                    "AGENTS.md": AGENTS_WITH_COMMANDS,
                    "packages/ui/AGENTS.md": "# UI\nNo default exports.\n", "packages/ui/index.ts": "export {}\n",
                    ".cursor/rules/style.mdc": "---\nglobs: src/**\n---\nPrefer named exports.\n"})
    r = CHECK.run(p)
    assert "handoff-agent-file-no-commands" not in rules(r), r.findings
    # a root agent file without commands is still reported
    p = project_of({"README.md": README_GOOD, "package.json": PKG, "src/index.ts": "export {}\n",
                    "CLAUDE.md": "# Notes\nBe concise.\n"})
    assert [f.path for f in CHECK.run(p).findings if f.rule == "handoff-agent-file-no-commands"] == ["CLAUDE.md"]
    # only scoped rule files, none with a command: one finding, not one per file
    p = project_of({"README.md": README_GOOD, "package.json": PKG, "src/index.ts": "export {}\n",
                    ".cursor/rules/a.mdc": "Prefer named exports.\n", ".cursor/rules/b.mdc": "Never log tokens.\n"})
    assert rules(CHECK.run(p)).count("handoff-agent-file-no-commands") == 1


@pytest.mark.parametrize(("files", "readme"), [
    ({"Shop.sln": "x\n", "src/Shop/Shop.csproj": "<Project/>\n", "src/Shop/Program.cs": "x\n"},
     "## Getting started\n\n```\ndotnet restore\n```\n\n## Tests\n\n```\ndotnet test\n```\n"),
    ({"pom.xml": "<project/>\n", "src/main/java/App.java": "class App {}\n"},
     "## Build\n\n```\n./mvnw clean install\n```\n\n## Tests\n\n```\n./mvnw test\n```\n"),
    ({"build.gradle.kts": "plugins {}\n", "gradlew": "#!/bin/sh\n", "src/main/kotlin/App.kt": "fun main() {}\n"},
     "## Setup\n\n```\n./gradlew build\n```\n\n## Tests\n\n```\n./gradlew test\n```\n"),
])
def test_dotnet_maven_gradle_commands(project_of: Callable[..., Project], files: dict[str, str], readme: str) -> None:
    r = CHECK.run(project_of({**files, "README.md": "# App\n\n" + readme}))
    assert r.status == Status.PASS, r.summary
    assert "handoff-test-command-missing" not in rules(r)
    missing = {k: v for k, v in files.items() if not k.endswith(("pom.xml", ".sln", ".csproj", ".kts", "gradlew"))}
    r = CHECK.run(project_of({**missing, "README.md": "# App\n\n" + readme}))
    assert "handoff-test-command-missing" in rules(r)


def test_rule_pack_for_another_stack_is_not_a_stale_command(project_of: Callable[..., Project]) -> None:
    p = project_of({"README.md": README_GOOD, "package.json": PKG, "src/index.ts": "export {}\n",
                    "AGENTS.md": AGENTS_WITH_COMMANDS,
                    ".cursor/rules/golang-testing.md": "---\nglobs: [\"**/*.go\"]\n---\nRun `go test ./...`.\n",
                    ".cursor/rules/ts-testing.md": "Run `npm run test:unit`.\n"})
    r = CHECK.run(p)
    missing = [f for f in r.findings if f.rule == "handoff-test-command-missing"]
    # go.mod absent: the Go rule is about another stack; the npm script is a real stale command
    assert [f.path for f in missing] == [".cursor/rules/ts-testing.md"], missing
    # outside rule packs, a command with no toolchain at all is still reported
    p = project_of({"README.md": README_GOOD + "\nAlso `go test ./...`.\n", "package.json": PKG,
                    "src/index.ts": "export {}\n"})
    assert any("go.mod" in f.message for f in CHECK.run(p).findings if f.rule == "handoff-test-command-missing")
