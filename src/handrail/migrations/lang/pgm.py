"""node-pg-migrate migrations (JavaScript/TypeScript) read with tree-sitter.

Exports are found as for knex (migrations/lang/js.py); inside `up(pgm)` each `pgm.<operation>(...)` call is one
operation. node-pg-migrate writes the way back itself when a file exports no `down`, but only for operations it
can invert: `pgm.sql`, drops, truncates and column changes make such a file irreversible (the tool refuses to
roll it back at run time), and `exports.down = false` says so explicitly.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from handrail.migrations.analyze import sql_operations
from handrail.migrations.lang import js
from handrail.migrations.lang.treesitter import Source, field, walk

if TYPE_CHECKING:
    from tree_sitter import Node

    from handrail.migrations.analyze import MigrationAnalysis

# operations node-pg-migrate cannot invert on its own (its down inference throws for them)
_NOT_INVERTIBLE = frozenset({"sql", "dropTable", "dropColumns", "dropColumn", "truncate", "alterColumn",
                             "dropConstraint", "dropIndex", "dropType", "dropFunction", "dropView", "noTransaction"})


def analyze(analysis: MigrationAnalysis, text: str) -> None:
    path = analysis.migration.path
    grammar = "typescript" if path.endswith((".ts", ".mts", ".cts")) else "javascript"
    src = Source(grammar, text)
    analysis.error = src.first_error("TypeScript" if grammar != "javascript" else "JavaScript")
    decls = js._declarations(src.root)
    exports = js._exports(src.root, decls)
    up, down = exports.get("up"), exports.get("down")
    reader = _Reader(analysis, src, decls)
    if up is not None and up[0] is not None:
        reader.pgm = js._param(up[0]) or "pgm"
        reader.function(up[0])
    if down is not None and down[0] is None and "false" in Source.text(down[1]).split("=")[-1]:
        analysis.irreversible = (Source.line(down[1]), "`down = false`: marked irreversible")
    elif down is None and reader.not_invertible and not analysis.error:
        method, line = reader.not_invertible[0]
        analysis.irreversible = (line, f"no down exported and pgm.{method} cannot be reversed automatically")


class _Reader(js._Reader):
    def __init__(self, analysis: MigrationAnalysis, src: Source, decls: dict[str, Node]) -> None:
        super().__init__(analysis, src, decls)
        self.pgm = "pgm"
        self.not_invertible: list[tuple[str, int]] = []

    def function(self, fn: Node) -> None:
        body = field(fn, "body")
        for node in walk(body) if body is not None else []:
            if node.type == "call_expression":
                self.call(node)

    def call(self, node: Node) -> None:
        fn = js._unwrap(field(node, "function"))
        if fn is None or fn.type != "member_expression":
            return
        obj = js._unwrap(field(fn, "object"))
        if obj is None or obj.type != "identifier" or Source.text(obj) != self.pgm:
            return
        method = Source.text(field(fn, "property"))
        args_node = field(node, "arguments")
        args = [a for a in (args_node.named_children if args_node is not None else []) if a.type != "comment"]
        if method in _NOT_INVERTIBLE:
            self.not_invertible.append((method, Source.line(node)))
        table = self.name(args[0]) if args else None
        if method == "createTable":
            self.op("create_table", node, node, table)
        elif method == "dropTable":
            self.op("drop_table", node, node, table)
        elif method == "truncate":
            self.op("truncate", node, node, table)
        elif method == "renameTable" and len(args) > 1:
            self.op("rename_table", node, node, table, self.name(args[1]))
        elif method in ("dropColumns", "dropColumn") and len(args) > 1:
            for col in self.names(args[1:2]):
                self.op("drop_column", node, node, table, col)
        elif method == "renameColumn" and len(args) > 1:
            self.op("rename_column", node, node, table, self.name(args[1]))
        elif method in ("addColumns", "addColumn") and len(args) > 1:
            for col, opts in _pairs(args[1]):
                keys = dict(_pairs(opts)) if opts is not None and opts.type == "object" else {}
                if _true(keys.get("notNull")) and "default" not in keys:
                    self.op("add_column_not_null", node, node, table, col)
        elif method == "alterColumn" and len(args) > 2:
            col = self.name(args[1])
            keys = dict(_pairs(args[2]))
            if "type" in keys:
                self.op("alter_type", node, node, table, col)
            if _true(keys.get("notNull")):
                self.op("set_not_null", node, node, table, col)
        elif method == "createIndex":
            keys = dict(_pairs(args[2])) if len(args) > 2 else {}
            self.op("create_index", node, node, table, safe=_true(keys.get("concurrently")))
        elif method == "addConstraint" and len(args) > 2:
            self._constraint(node, table, args[2])
        elif method == "sql" and args:
            lit = self.literal(args[0])
            if lit is not None:
                ops, err = sql_operations(lit[0], self.a.migration.dialect, lit[1])
                self.a.operations.extend(ops)
                self.a.error = self.a.error or err

    def op(self, kind: str, at: Node, top: Node, table: str | None, column: str | None = None,
           safe: bool = False) -> None:
        super().op(kind, at, top, table, column)
        if safe:
            self.a.operations[-1] = replace(self.a.operations[-1], safe=True)

    def _constraint(self, node: Node, table: str | None, spec: Node) -> None:
        spec = js._unwrap(spec) or spec
        lit = self.literal(spec)
        if lit is not None:  # addConstraint('t', 'name', 'CHECK (...)' / 'FOREIGN KEY ...')
            text = lit[0].upper()
            safe = "NOT VALID" in text
            if "FOREIGN KEY" in text or "REFERENCES" in text:
                self.op("add_foreign_key", node, node, table, safe=safe)
            elif "CHECK" in text:
                self.op("add_check", node, node, table, safe=safe)
            return
        keys = dict(_pairs(spec))
        if "foreignKeys" in keys or "references" in keys:
            self.op("add_foreign_key", node, node, table)
        if "check" in keys:
            self.op("add_check", node, node, table)


def _pairs(obj: Node | None) -> list[tuple[str, Node | None]]:
    """(key, value) of an object literal's `key: value` pairs (string or identifier keys)."""
    obj = js._unwrap(obj)
    if obj is None or obj.type != "object":
        return []
    out: list[tuple[str, Node | None]] = []
    for pair in obj.named_children:
        if pair.type == "pair":
            key = field(pair, "key")
            name = Source.text(key).strip("'\"`") if key is not None else ""
            out.append((name, js._unwrap(field(pair, "value"))))
        elif pair.type == "shorthand_property_identifier":
            out.append((Source.text(pair), None))
    return out


def _true(node: Node | None) -> bool:
    return node is not None and Source.text(node) == "true"
