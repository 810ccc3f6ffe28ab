"""The project model: one read and one parse per (file, format), errors cached with lines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from handrail.core.config import Config
from handrail.core.project import ParseError, Project, ProjectError


def test_each_format_parsed_once(project_of: Callable[..., Project]) -> None:
    p = project_of({"a.yml": "on: push\nx: [1, 2]\n", "p.json": '{"a": 1}', "c.toml": "a = 1\n"})
    for _ in range(3):  # several analysers asking
        assert p.yaml("a.yml")["on"] == "push"
        assert p.json("p.json") == {"a": 1}
        assert p.toml("c.toml") == {"a": 1}
        assert p.lines("a.yml")[0] == "on: push"
    assert p.parse_counts == {("a.yml", "yaml"): 1, ("p.json", "json"): 1, ("c.toml", "toml"): 1,
                              ("a.yml", "lines"): 1}
    assert p.yaml("a.yml") is p.yaml("a.yml")


@pytest.mark.parametrize(("name", "content", "line", "method"), [
    ("bad.yml", "a: 1\nb: [1, 2\nc: 3\n", 3, "yaml"),
    ("bad.json", '{\n  "a": 1,\n  "b": ,\n}\n', 3, "json"),
    ("bad.toml", 'a = 1\nb = "x"\nc = = 2\n', 3, "toml"),
    ("dup.toml", "a = 1\n\n\na = 2\n", 4, "toml"),
])
def test_parse_errors_cached_with_line(project_of: Callable[..., Project], name: str, content: str,
                                       line: int, method: str) -> None:
    p = project_of({name: content})
    with pytest.raises(ParseError) as first:
        getattr(p, method)(name)
    assert first.value.path == name and first.value.line == line
    assert first.value.message and "\n" not in first.value.message
    with pytest.raises(ParseError) as second:
        getattr(p, method)(name)
    assert second.value is first.value
    assert p.parse_counts[(name, method)] == 1


def test_deeply_nested_json_is_a_parse_error(project_of: Callable[..., Project]) -> None:
    p = project_of({"deep.json": "[" * 100_000 + "]" * 100_000})
    with pytest.raises(ParseError):
        p.json("deep.json")


def test_text_none_for_missing_binary_oversized(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"bin.dat": b"abc\x00def", "big.txt": "y" * 3000, "ok.txt": "fine",
                      "latin.txt": b"caf\xe9\n"})
    p = Project(root)
    p.files.max_bytes = 2000
    assert p.text("missing.txt") is None and p.lines("missing.txt") == []
    assert p.text("bin.dat") is None
    assert p.text("big.txt") is None
    assert p.json("bin.dat") is None and p.yaml("big.txt") is None
    assert p.text("ok.txt") == "fine"
    assert p.text("latin.txt") == "caf\ufffd\n"
    assert p.exists("ok.txt") and not p.exists("missing.txt")


def test_bom_does_not_break_json(project_of: Callable[..., Project]) -> None:
    p = project_of({"package.json": b'\xef\xbb\xbf{"name": "x"}'})
    assert p.json("package.json") == {"name": "x"}


def test_find_line(project_of: Callable[..., Project]) -> None:
    p = project_of({"f.txt": "a\nneedle 1\nb\nneedle 2\n"})
    assert p.find_line("f.txt", "needle") == 2
    assert p.find_line("f.txt", "needle", start=3) == 4
    assert p.find_line("f.txt", "nothing") is None


def test_inline_ignore(project_of: Callable[..., Project]) -> None:
    p = project_of({"w.yml": "a: 1  # handrail:ignore\n"
                             "# handrail:ignore[secrets-key, rollback]\n"
                             "b: 2\n"
                             "c: 3  # handrail:ignore[other-rule]\n"
                             "d: 4\n"})
    assert p.ignored_on_line("w.yml", 1, "any", "any")
    assert p.ignored_on_line("w.yml", 3, "secrets-key", "secrets")  # comment on the line above
    assert p.ignored_on_line("w.yml", 3, "x", "rollback")  # by check id
    assert not p.ignored_on_line("w.yml", 3, "x", "secrets")
    assert not p.ignored_on_line("w.yml", 4, "x", "y")
    assert not p.ignored_on_line("w.yml", 5, "x", "y")  # line 4's ignore names another rule
    assert not p.ignored_on_line("w.yml", None, "x", "y")
    assert not p.ignored_on_line("w.yml", 99, "x", "y")


def test_project_errors(tmp_path: Path) -> None:
    with pytest.raises(ProjectError):
        Project(tmp_path / "nope")
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(ProjectError):
        Project(f)


def test_config_excludes_apply(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"a.py": "1", "legacy/b.py": "2"})
    p = Project(root, Config(exclude=["legacy"]))
    assert p.files.paths() == ["a.py"]
    assert p.git_facts.is_repo


def test_outside_git_uses_walk(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"a.py": "1", ".gitignore": "*.pyc\n", "a.pyc": "x"}, git_init=False)
    p = Project(root)
    assert p.files.paths() == [".gitignore", "a.py"]
    assert p.git_facts.is_repo is False


def test_real_analysers_share_one_parse(project_of: Callable[..., Project]) -> None:
    """Stack detection and the handoff check both read package.json: one parse between them."""
    from handrail.checks.handoff import CHECK as HANDOFF

    p = project_of({"package.json": '{"scripts": {"test": "jest"}, "dependencies": {"express": "4"}}',
                    "README.md": "## Setup\n\n`npm install`\n\n## Tests\n\n`npm test`\n", "a.js": "1\n"})
    assert p.stacks.has("express")
    HANDOFF.run(p)
    HANDOFF.run(p)
    assert p.parse_counts[("package.json", "json")] == 1
    assert all(n == 1 for n in p.parse_counts.values())


def test_local_text_reads_ignored_files_once_and_refuses_symlinks(make_repo: Callable[..., Path],
                                                                 tmp_path: Path) -> None:
    root = make_repo({".gitignore": "local.json\nlink.json\n", "a.txt": "tracked\n"})
    (root / "local.json").write_bytes(b'\xef\xbb\xbf{"a": [1,\n}')
    outside = tmp_path / "outside.json"
    outside.write_text('{"secret": 1}')
    (root / "link.json").symlink_to(outside)
    p = Project(root)
    assert "local.json" not in p.files  # git-ignored: the index leaves it out
    assert p.local_text("local.json") == '{"a": [1,\n}'  # BOM stripped like any file
    with pytest.raises(ParseError) as err:
        p.json("local.json")
    assert err.value.line == 2
    with pytest.raises(ParseError):
        p.json("local.json")
    assert p.parse_counts[("local.json", "json")] == 1
    assert p.local_text("link.json") is None and p.local_text("missing.json") is None
    assert p.local_text("a.txt") == "tracked\n"
