"""knex migrations (JavaScript and TypeScript) read with tree-sitter-javascript / tree-sitter-typescript.

`up`/`down` are found however the file exports them: `exports.up = ...`, `module.exports = { up, down }`
(shorthand, pairs or methods, resolved to top-level declarations), `export async function up`, `export const
up = ...`, `export default { up, down }`, `export { up, down }`. Inside `up` every call chain is read:
`knex.schema.createTable/table/alterTable(name, t => ...)` bind the callback's own parameter to the table, so
`t.dropColumn(...)` is attributed correctly even with several tables in one migration; schema calls chained
one after another (`.dropTable('a').dropTable('b')`) each count; helper functions `up` calls are followed.
Raw SQL (`knex.raw`, `knex.schema.raw`) is read from strings, template literals without substitutions and
`+`-concatenated literals, and only when it reads as a statement (not `knex.raw('now()')` in a default).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from handrail.migrations.analyze import Operation, sql_operations
from handrail.migrations.lang.treesitter import Source, field, is_same, join_parts, short, unescape, walk

if TYPE_CHECKING:
    from tree_sitter import Node

    from handrail.migrations.analyze import MigrationAnalysis

_FUNCS = ("function_expression", "function", "arrow_function", "generator_function", "method_definition",
          "function_declaration", "generator_function_declaration")
_WRAPPERS = ("parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression",
             "type_assertion")
_COLUMN_TYPES = frozenset({
    "integer", "bigInteger", "tinyint", "smallint", "mediumint", "bigint", "text", "string", "float", "double",
    "decimal", "boolean", "bool", "date", "datetime", "dateTime", "time", "timestamp", "binary", "enum", "enu",
    "json", "jsonb", "uuid", "specificType", "geometry", "geography", "point"})
_STATEMENT = re.compile(r"\s*(?:--|/\*|(?:create|alter|drop|truncate|insert|update|delete|rename|comment|grant|"
                        r"revoke|do|set|select|with|begin|commit|lock|vacuum|analyze|reindex|refresh|cluster|"
                        r"copy|call|pragma|replace|merge)\b)", re.I)


def analyze(analysis: MigrationAnalysis, text: str) -> None:
    path = analysis.migration.path
    grammar = "tsx" if path.endswith(".tsx") else "typescript" if path.endswith((".ts", ".mts", ".cts")) \
        else "javascript"
    src = Source(grammar, text)
    analysis.error = src.first_error("TypeScript" if grammar != "javascript" else "JavaScript")
    decls = _declarations(src.root)
    exports = _exports(src.root, decls)
    up, down = exports.get("up"), exports.get("down")
    if down is None and not analysis.error:  # with a syntax error, a missing down may be the parser's loss
        analysis.irreversible = (Source.line(up[1]) if up else 1, "no down migration exported")
    elif down[0] is not None:
        stmts = _statements(down[0])
        if stmts is not None and all(_does_nothing(s) for s in stmts):
            analysis.irreversible = (Source.line(down[1]), "down() does nothing")
        elif stmts and all(s.type == "throw_statement" for s in stmts):
            analysis.irreversible = (Source.line(down[1]), "down() only throws")
    if up is not None and up[0] is not None:
        _Reader(analysis, src, decls).function(up[0])


def _unwrap(node: Node | None) -> Node | None:
    while node is not None and node.type in _WRAPPERS and node.named_children:
        node = node.named_children[0]
    return node


def _declarations(root: Node) -> dict[str, Node]:
    """Top-level names -> the function, object or value they hold (`function up`, `const up = ...`)."""
    out: dict[str, Node] = {}
    for stmt in root.named_children:
        node = field(stmt, "declaration") if stmt.type == "export_statement" else stmt
        if node is None:
            continue
        if node.type in ("function_declaration", "generator_function_declaration"):
            out[Source.text(field(node, "name"))] = node
        elif node.type in ("lexical_declaration", "variable_declaration"):
            for d in node.named_children:
                if d.type == "variable_declarator" and field(d, "value") is not None:
                    out[Source.text(field(d, "name"))] = _unwrap(field(d, "value"))  # type: ignore[assignment]
    return out


def _exports(root: Node, decls: dict[str, Node]) -> dict[str, tuple[Node | None, Node]]:
    """up/down -> (function node or None when unresolvable, node whose line anchors a finding)."""
    out: dict[str, tuple[Node | None, Node]] = {}

    def resolve(value: Node | None) -> Node | None:
        value = _unwrap(value)
        if value is not None and value.type == "identifier":
            value = decls.get(Source.text(value))
        return value if value is not None and value.type in _FUNCS else None

    def members(obj: Node | None) -> None:
        obj = _unwrap(obj)
        if obj is not None and obj.type == "identifier":
            obj = decls.get(Source.text(obj))
        if obj is None or obj.type != "object":
            return
        for m in obj.named_children:
            if m.type == "pair":
                name = Source.text(field(m, "key")).strip("'\"`")
                out[name] = (resolve(field(m, "value")), m)
            elif m.type == "shorthand_property_identifier":
                target = decls.get(Source.text(m))
                out[Source.text(m)] = (resolve(target), target if target is not None else m)
            elif m.type == "method_definition":
                out[Source.text(field(m, "name"))] = (m, m)

    for stmt in root.named_children:
        if stmt.type == "expression_statement" and stmt.named_children:
            expr = stmt.named_children[0]
            if expr.type != "assignment_expression":
                continue
            left = "".join(Source.text(field(expr, "left")).split())
            if left in ("module.exports", "exports.default", "module.exports.default"):
                members(field(expr, "right"))
            elif left.startswith(("exports.", "module.exports.")):
                out[left.rsplit(".", 1)[1]] = (resolve(field(expr, "right")), stmt)
        elif stmt.type == "export_statement":
            decl = field(stmt, "declaration")
            if decl is not None and decl.type in ("function_declaration", "generator_function_declaration"):
                out[Source.text(field(decl, "name"))] = (decl, stmt)
            elif decl is not None:
                for d in decl.named_children:
                    if d.type == "variable_declarator":
                        out[Source.text(field(d, "name"))] = (resolve(field(d, "value")), stmt)
            elif field(stmt, "value") is not None:
                members(field(stmt, "value"))
            for clause in (c for c in stmt.named_children if c.type == "export_clause"):
                for spec in clause.named_children:
                    local = Source.text(field(spec, "name"))
                    alias = Source.text(field(spec, "alias")) or local
                    target = decls.get(local)
                    out[alias] = (resolve(target), target if target is not None else spec)
    return out


def _statements(fn: Node) -> list[Node] | None:
    """The statements of a function body; an arrow's expression body is one statement."""
    body = field(fn, "body")
    if body is None:
        return None
    if body.type != "statement_block":
        return [body]
    return [s for s in body.named_children if s.type not in ("comment", "empty_statement")]


def _does_nothing(stmt: Node) -> bool:
    """`return`, `return Promise.resolve()`, `return null` (or an arrow body that is just one of these)."""
    if stmt.type == "return_statement":
        stmt = stmt.named_children[0] if stmt.named_children else None  # type: ignore[assignment]
        if stmt is None:
            return True
    elif stmt.type == "expression_statement" and stmt.named_children:
        stmt = stmt.named_children[0]
    stmt = _unwrap(stmt)  # type: ignore[assignment]
    text = "".join(Source.text(stmt).split())
    return text in ("null", "undefined", "{}", "Promise.resolve()", "Promise.resolve(null)", "void0")


def _param(fn: Node | None) -> str | None:
    """The first parameter's name of a callback (`t => ...`, `(t) => ...`, `function (t: Knex.TableBuilder)`)."""
    if fn is None:
        return None
    single = field(fn, "parameter")
    if single is not None:
        return Source.text(single)
    params = field(fn, "parameters")
    for p in params.named_children if params is not None else []:
        if p.type == "identifier":
            return Source.text(p)
        if p.type in ("required_parameter", "optional_parameter"):
            pattern = field(p, "pattern")
            return Source.text(pattern) if pattern is not None and pattern.type == "identifier" else None
        return None
    return None


class _Reader:
    def __init__(self, analysis: MigrationAnalysis, src: Source, decls: dict[str, Node]) -> None:
        self.a, self.src, self.decls = analysis, src, decls
        self.seen: set[int] = set()
        self.tables: dict[tuple[int, int], tuple[str, str | None]] = {}  # callback -> (param, table)
        self.locals = {Source.text(field(d, "name")): field(d, "value") for d in walk(src.root)
                       if d.type == "variable_declarator" and field(d, "value") is not None}

    def op(self, kind: str, at: Node, top: Node, table: str | None, column: str | None = None) -> None:
        line = Source.line(at)
        self.a.operations.append(Operation(kind, line, table, column, self.src.excerpt(top, line)))

    # --- literals -------------------------------------------------------------------------------------------------
    def literal(self, node: Node | None) -> tuple[str, int] | None:
        parts = self._parts(node, 0)
        return join_parts(parts) if parts else None

    def _parts(self, node: Node | None, depth: int) -> list[tuple[str, int, int]] | None:
        node = _unwrap(node)
        if node is None or depth > 8:
            return None
        if node.type in ("string", "template_string") and node.child_count >= 2:
            if any(c.type == "template_substitution" for c in node.named_children):
                return None
            raw = self.src.data[node.children[0].end_byte: node.children[-1].start_byte].decode("utf-8", "replace")
            return [(unescape(raw), node.start_point.row, node.end_point.row)]
        if node.type == "binary_expression" and Source.text(field(node, "operator")) == "+":
            left, right = self._parts(field(node, "left"), depth + 1), self._parts(field(node, "right"), depth + 1)
            return left + right if left and right else None
        if node.type == "identifier" and Source.text(node) in self.locals:
            return self._parts(self.locals[Source.text(node)], depth + 1)
        return None

    def name(self, node: Node | None) -> str | None:
        node = _unwrap(node)
        if node is None:
            return None
        if node.type == "array":
            return self.name(node.named_children[0]) if node.named_children else None
        lit = self.literal(node)
        return lit[0].strip().lower() if lit else short(Source.text(node))

    def names(self, args: list[Node]) -> list[str]:
        out: list[str] = []
        for a in args:
            a = _unwrap(a) or a
            for item in a.named_children if a.type == "array" else [a]:
                if (n := self.name(item)) is not None:
                    out.append(n)
        return out

    # --- traversal ------------------------------------------------------------------------------------------------
    def function(self, fn: Node) -> None:
        if fn.start_byte in self.seen:
            return
        self.seen.add(fn.start_byte)
        body = field(fn, "body")
        if body is None:
            return
        for node in walk(body):
            if node.type == "call_expression" and self._top(node):
                self.chain(node)

    @staticmethod
    def _top(node: Node) -> bool:
        parent = node.parent
        return not (parent is not None and parent.type == "member_expression"
                    and is_same(field(parent, "object"), node))

    def chain(self, top: Node) -> None:
        calls: list[tuple[str, Node, list[Node] | None]] = []  # (method, name node, arguments or None)
        node: Node | None = top
        while node is not None:
            if node.type == "call_expression":
                fn = _unwrap(field(node, "function"))
                args_node = field(node, "arguments")
                args = [a for a in (args_node.named_children if args_node is not None else []) if a.type != "comment"]
                if fn is not None and fn.type == "member_expression":
                    prop = field(fn, "property")
                    calls.append((Source.text(prop), prop or fn, args))
                    node = field(fn, "object")
                    continue
                if fn is not None and fn.type == "identifier":
                    calls.append((Source.text(fn), fn, args))
                node = None
            elif node.type == "member_expression":
                prop = field(node, "property")
                calls.append((Source.text(prop), prop or node, None))
                node = field(node, "object")
            elif node.type in _WRAPPERS or node.type == "await_expression":
                node = node.named_children[0] if node.named_children else None
            else:
                break
        calls.reverse()
        base = Source.text(node) if node is not None and node.type == "identifier" else ""
        if not calls:
            return
        if base:
            bound = self._bound(top, base)
            if bound is not None:
                self.column(top, calls, bound[0])
                return
        elif calls[0][2] is not None and calls[0][0] in self.decls and len(calls) == 1:
            target = self.decls[calls[0][0]]
            if target.type in _FUNCS:
                self.function(target)
            return
        self.schema(top, calls, base)

    def _bound(self, node: Node, var: str) -> tuple[str | None] | None:
        parent = node.parent
        while parent is not None:
            if parent.type in _FUNCS:
                hit = self.tables.get((parent.start_byte, parent.end_byte))
                if hit is not None and hit[0] == var:
                    return (hit[1],)
            parent = parent.parent
        return None

    def schema(self, top: Node, calls: list[tuple[str, Node, list[Node] | None]], base: str) -> None:
        in_schema = base == "schema"
        for method, at, args in calls:
            if args is None:
                in_schema = in_schema or method == "schema"
                continue
            table = self.name(args[0]) if args else None
            if method in ("createTable", "createTableIfNotExists", "createTableLike", "table", "alterTable"):
                if method.startswith("create"):
                    self.op("create_table", at, top, table)
                elif not in_schema:
                    continue
                cb = next((_unwrap(a) for a in args[1:] if (_unwrap(a) or a).type in _FUNCS), None)
                var = _param(cb)
                if cb is not None and var:
                    self.tables[(cb.start_byte, cb.end_byte)] = (var, table)
            elif method in ("dropTable", "dropTableIfExists"):
                self.op("drop_table", at, top, table)
            elif method == "renameTable":
                self.op("rename_table", at, top, table, self.name(args[1]) if len(args) > 1 else None)
            elif method == "raw" and args:
                lit = self.literal(args[0])
                if lit is not None and _STATEMENT.match(lit[0]):
                    ops, err = sql_operations(lit[0], self.a.migration.dialect, lit[1])
                    self.a.operations.extend(ops)
                    self.a.error = self.a.error or err

    def column(self, top: Node, calls: list[tuple[str, Node, list[Node] | None]], table: str | None) -> None:
        first, at, args = calls[0]
        args = args or []
        mods = {name for name, _, _ in calls[1:]}
        col = self.name(args[0]) if args else None
        if first in ("dropColumn", "dropColumns"):
            for c in self.names(args):
                self.op("drop_column", at, top, table, c)
        elif first == "dropTimestamps":
            for c in ("created_at", "updated_at"):
                self.op("drop_column", at, top, table, c)
        elif first == "renameColumn":
            self.op("rename_column", at, top, table, col)
        elif "alter" in mods:
            self.op("alter_type", at, top, table, col)
        elif first in ("index", "unique"):
            self.op("create_index", at, top, table, col)
        elif first == "foreign":
            self.op("add_foreign_key", at, top, table, col)
        elif first == "dropNullable":
            self.op("set_not_null", at, top, table, col)
        elif first in _COLUMN_TYPES:
            if "references" in mods:
                self.op("add_foreign_key", at, top, table, col)
            if mods & {"unique", "index"}:
                self.op("create_index", at, top, table, col)
            if "notNullable" in mods and "defaultTo" not in mods:
                self.op("add_column_not_null", at, top, table, col)
