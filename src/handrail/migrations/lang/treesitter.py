"""Shared tree-sitter loading and node helpers for the PHP, Ruby and JavaScript/TypeScript migration readers.

tree-sitter and its grammar wheels are imported on first use only: hooks import handrail.migrations and must
start fast, and most projects hold no PHP/Ruby/JS migrations at all. One Parser per grammar is built once per
process; each file is parsed once (analyze_migration caches the result through project.parsed).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

# grammar -> (module, function returning the language pointer)
GRAMMARS = {
    "php": ("tree_sitter_php", "language_php"),
    "ruby": ("tree_sitter_ruby", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
}
_PARSERS: dict[str, Parser] = {}


class GrammarMissing(Exception):
    """tree-sitter or a grammar wheel is not installed: the file cannot be read, which is one clear error."""


def parser(grammar: str) -> Parser:
    if grammar not in _PARSERS:
        module, func = GRAMMARS[grammar]
        try:
            from tree_sitter import Language, Parser

            lang = Language(getattr(importlib.import_module(module), func)())
        except (ImportError, AttributeError, ValueError) as exc:
            raise GrammarMissing(f"tree-sitter grammar for {grammar} is not available ({exc})") from None
        _PARSERS[grammar] = Parser(lang)
    return _PARSERS[grammar]


class Source:
    """One parsed file: the tree plus the text helpers every reader needs (lines are 1-based file lines)."""

    def __init__(self, grammar: str, text: str) -> None:
        self.data = text.encode("utf-8", "surrogatepass")
        self.lines = text.split("\n")
        self.root: Node = parser(grammar).parse(self.data).root_node

    @staticmethod
    def text(node: Node | None) -> str:
        return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""

    @staticmethod
    def line(node: Node) -> int:
        return node.start_point.row + 1

    def excerpt(self, node: Node, line: int | None = None) -> str:
        """The node's source when it fits on its line, else the file line it starts (or `line`) on."""
        line = line or self.line(node)
        if node.start_point.row == node.end_point.row == line - 1:
            return self.text(node).strip()[:200]
        if node.start_point.row == line - 1:
            return self.text(node).split("\n", 1)[0].strip()[:200]
        return self.lines[line - 1].strip()[:200] if 0 < line <= len(self.lines) else ""

    def first_error(self, language: str) -> tuple[int, str] | None:
        """The first ERROR or MISSING node in document order, as (line, one-line message)."""
        if not self.root.has_error:
            return None
        node = self.root
        while True:
            if node.is_error or node.is_missing:
                break
            nxt = next((c for c in node.children if c.has_error or c.is_missing), None)
            if nxt is None:
                break
            node = nxt
        if node.is_error:  # a MISSING token inside the region pinpoints the mistake better than its start
            node = next((n for n in _with_errors(node) if n.is_missing), node)
        if node.is_missing:
            return self.line(node), f"{language} syntax error: missing `{node.type}`"
        near = " ".join(self.text(node).split())[:40]
        return self.line(node), f"{language} syntax error near `{near}`" if near else f"{language} syntax error"


def _with_errors(node: Node) -> Iterator[Node]:
    """Descendants (all, not only named) on paths that contain an error, in document order."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed([c for c in n.children if c.has_error or c.is_missing]))


def walk(node: Node, skip: tuple[str, ...] = ()) -> Iterator[Node]:
    """Named descendants of `node` (itself included) in document order, not entering nodes of a `skip` type
    (a method that error recovery nested inside another is not part of it)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed([c for c in n.named_children if c.type not in skip]))


def field(node: Node | None, name: str) -> Node | None:
    return node.child_by_field_name(name) if node is not None else None


def is_same(a: Node | None, b: Node | None) -> bool:
    return a is not None and b is not None and a.start_byte == b.start_byte and a.end_byte == b.end_byte \
        and a.type == b.type


_ESCAPE = re.compile(r"\\(.)", re.S)


def unescape(raw: str) -> str:
    """Backslash escapes resolved well enough for SQL: `\\n`-style escapes become a space, never a newline, so
    line numbers computed inside the string stay those of the file."""
    return _ESCAPE.sub(lambda m: " " if m[1] in "nrtv0\n" else m[1], raw)


def join_parts(parts: list[tuple[str, int, int]]) -> tuple[str, int] | None:
    """Concatenate literal pieces (text, first row, last row) keeping each piece on its own file line, so SQL
    split across `'a' . 'b'` / `"a" + "b"` still reports exact lines. Returns (text, 0-based first row)."""
    if not parts:
        return None
    out, row = [], parts[0][1]
    for text, start, end in parts:
        out.append("\n" * max(0, start - row) + text)
        row = end
    return "".join(out), parts[0][1]


def short(text: str, limit: int = 60) -> str:
    """Collapsed source of a dynamic expression, used as the object name when no literal is available."""
    return " ".join(text.split())[:limit]

