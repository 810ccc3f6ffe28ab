"""YAML with line numbers and YAML 1.2 scalars, and clean errors on hostile input."""

from __future__ import annotations

import pytest

from handrail.core.yamlload import LList, LMap, YamlError, line_of, load_yaml, load_yaml_all

WORKFLOW = """\
name: ci
on:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm test
"""


def test_on_key_and_yes_no_stay_strings() -> None:
    doc = load_yaml(WORKFLOW + "flags:\n  a: yes\n  b: no\n  c: on\n  d: off\n  e: true\n  f: False\n  y: Y\n")
    assert "on" in doc and True not in doc
    assert doc["flags"] == {"a": "yes", "b": "no", "c": "on", "d": "off", "e": True, "f": False, "y": "Y"}


def test_dates_stay_strings() -> None:
    assert load_yaml("a: 2024-01-02\nb: 2024-13-45\n") == {"a": "2024-01-02", "b": "2024-13-45"}


def test_line_numbers_of_keys_and_items() -> None:
    doc = load_yaml(WORKFLOW)
    assert isinstance(doc, LMap) and doc.line == 1
    assert doc.line_of("jobs") == 5 and doc.line_of("on") == 2
    assert doc.line_of("missing") == 1
    steps = doc["jobs"]["test"]["steps"]
    assert isinstance(steps, LList) and steps.line == 9
    assert steps.line_at(0) == 9 and steps.line_at(1) == 10 and steps.line_at(5) == 9
    assert steps[1].line_of("run") == 10
    assert line_of(doc["jobs"], "test") == 6 and line_of(steps, 1) == 10 and line_of("scalar", None, 7) == 7


def test_anchors_and_merge_keys() -> None:
    text = ("base: &base\n  image: node:20\n  tags: [a]\n"
            "job:\n  <<: *base\n  script: [npm test]\n"
            "again: *base\n")
    doc = load_yaml(text)
    assert doc["job"] == {"image": "node:20", "tags": ["a"], "script": ["npm test"]}
    assert doc["job"].line_of("script") == 6
    assert doc["again"]["image"] == "node:20"


def test_unknown_tags_load_as_plain_values() -> None:
    doc = load_yaml("a: !reference [.setup, script]\nb: !Ref MyBucket\nc: !!python/object:os.system ls\n"
                    "d: !Sub\n  x: 1\n")
    assert doc["a"] == [".setup", "script"] and doc["b"] == "MyBucket" and doc["c"] == "ls"
    assert doc["d"] == {"x": 1}


def test_malformed_yaml_has_line() -> None:
    with pytest.raises(YamlError) as exc:
        load_yaml("a: 1\nb:\n  - x\n  y: 2\n")
    assert exc.value.line == 4 and "line 4" in str(exc.value)


def test_bad_character_has_line() -> None:
    with pytest.raises(YamlError) as exc:
        load_yaml("a: 1\nb: \x07\n")
    assert exc.value.line == 2


def test_recursive_alias_is_an_error() -> None:
    with pytest.raises(YamlError) as exc:
        load_yaml("a: &x\n  b: *x\n")
    assert exc.value.line == 1


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(YamlError):
        load_yaml("[" * 20_000 + "]" * 20_000)
    with pytest.raises(YamlError):
        load_yaml("".join("  " * i + "k:\n" for i in range(5000)))


def test_constructor_recursion_error_becomes_yaml_error() -> None:
    """Nesting under libyaml's depth limit still recurses in the Python constructor."""
    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(400)
    try:
        with pytest.raises(YamlError):
            load_yaml("a:\n" + "".join("  " * i + "k:\n" for i in range(1, 900)))
    finally:
        sys.setrecursionlimit(old)


def test_multi_document_and_empty() -> None:
    assert load_yaml("") is None
    assert load_yaml_all("---\na: 1\n---\n---\nb: 2\n") == [{"a": 1}, {"b": 2}]
    assert load_yaml("---\n---\nx: 1\n") == {"x": 1}


def test_unhashable_key_becomes_string() -> None:
    doc = load_yaml("? [a, b]\n: 1\n")
    assert list(doc.values()) == [1]
    assert isinstance(next(iter(doc)), str)
