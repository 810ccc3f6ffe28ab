"""YAML loading that keeps line numbers, so every finding can point at a line.

Mappings load as `LMap` (a dict with `.line` and `.key_lines`), sequences as `LList`
(a list with `.line` and `.item_lines`). Only `true`/`false` are booleans, as in YAML
1.2 and GitHub Actions: PyYAML's 1.1 rules would turn the `on:` key into True.
Unknown tags (GitLab's `!reference`) load as their plain value.
"""

from __future__ import annotations

from typing import Any

import yaml

from handrail.core.lazyre import lazy_re

try:  # the C parser is several times faster on big workflow trees
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class LMap(dict):
    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line) if hasattr(self, "key_lines") else self.line


class LList(list):
    line: int = 0
    item_lines: list[int]

    def line_at(self, index: int) -> int:
        lines = getattr(self, "item_lines", [])
        return lines[index] if index < len(lines) else self.line


class YamlError(ValueError):
    """Malformed YAML, with the 1-based line where the parser gave up."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


class _LineLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    pass


# Replace the YAML 1.1 bool resolver (yes/no/on/off) with the 1.2 one. Timestamps stay strings
# too (YAML 1.2 core has no timestamp type): `2024-13-45` must not fail a whole workflow file.
_DROPPED_TAGS = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"}
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED_TAGS]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_BOOL_RX = lazy_re(r"^(?:true|True|TRUE|false|False|FALSE)$")
for _first in "tTfF":
    _LineLoader.yaml_implicit_resolvers.setdefault(_first, []).insert(0, ("tag:yaml.org,2002:bool", _BOOL_RX))


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> LMap:
    loader.flatten_mapping(node)
    result = LMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            key = str(key)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode, deep: bool = False) -> LList:
    result = LList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_unknown(loader: _LineLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return _construct_mapping(loader, node)
    if isinstance(node, yaml.SequenceNode):
        return _construct_sequence(loader, node)
    return loader.construct_scalar(node)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
_LineLoader.add_multi_constructor("!", _construct_unknown)
_LineLoader.add_multi_constructor("tag:", _construct_unknown)


def load_yaml(text: str) -> Any:
    """Load the first document; raise YamlError with a line on malformed input."""
    docs = load_yaml_all(text)
    return docs[0] if docs else None


def load_yaml_all(text: str) -> list[Any]:
    try:
        return [doc for doc in yaml.load_all(text, Loader=_LineLoader) if doc is not None]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        return _raise(f"invalid YAML: {problem}" + (f" (line {line})" if line else ""), line)
    except yaml.reader.ReaderError as exc:  # bad character: has an offset, not a mark
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        return _raise(f"invalid YAML: {exc.reason} (line {line})", line)
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        return _raise(f"invalid YAML: {exc.__class__.__name__}: {exc}".splitlines()[0], None)


def _raise(message: str, line: int | None) -> Any:
    raise YamlError(message, line)


def line_of(node: Any, key: Any = None, default: int = 0) -> int:
    """Best line for `node[key]` (or the node itself) on loaded YAML values."""
    if isinstance(node, LMap):
        return node.line_of(key) if key is not None else node.line
    if isinstance(node, LList):
        if isinstance(key, int):
            return node.line_at(key)
        return node.line
    return default
