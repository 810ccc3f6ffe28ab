"""Laravel migrations read with tree-sitter-php.

The reader follows what Laravel runs: `up()` of the class extending Migration (named or `return new class`),
the methods `up()` calls on `$this`, every `Schema::...` call (also through `Schema::connection(...)`), the
Blueprint closure passed to `Schema::create/table` (ops are bound to the closure's own `$table` parameter, so
a second closure or a helper variable never borrows the wrong table), and raw SQL in `DB::statement` /
`DB::unprepared` (single/double-quoted, heredoc, nowdoc, `.`-concatenated literals). Interpolated strings are
dynamic: their SQL is not guessed at.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handrail.migrations.analyze import Operation, sql_operations
from handrail.migrations.lang.treesitter import Source, field, is_same, join_parts, short, unescape, walk

if TYPE_CHECKING:
    from tree_sitter import Node

    from handrail.migrations.analyze import MigrationAnalysis

_CALLS = ("member_call_expression", "nullsafe_member_call_expression")
_OBJECT_OF = (*_CALLS, "member_access_expression", "nullsafe_member_access_expression")
_FUNCS = ("anonymous_function", "arrow_function")
# Blueprint methods that add a column; NOT NULL unless a modifier says otherwise.
_COLUMN_TYPES = frozenset({
    "string", "integer", "bigInteger", "smallInteger", "tinyInteger", "mediumInteger", "unsignedBigInteger",
    "unsignedInteger", "unsignedSmallInteger", "unsignedTinyInteger", "unsignedMediumInteger", "boolean", "text",
    "tinyText", "longText", "mediumText", "json", "jsonb", "date", "dateTime", "dateTimeTz", "timestamp",
    "timestampTz", "time", "timeTz", "decimal", "unsignedDecimal", "float", "double", "uuid", "ulid", "enum", "set",
    "char", "foreignId", "foreignUuid", "foreignUlid", "foreignIdFor", "binary", "year", "ipAddress", "macAddress",
    "geometry", "geography", "point", "morphs", "uuidMorphs", "ulidMorphs"})
_NULL_OK = frozenset({"nullable", "default", "useCurrent", "storedAs", "virtualAs", "generatedAs", "autoIncrement"})
_INDEXES = frozenset({"index", "unique", "fullText", "spatialIndex"})
_IMPLIED_DROPS = {"dropTimestamps": ("created_at", "updated_at"), "dropTimestampsTz": ("created_at", "updated_at"),
                  "dropSoftDeletes": ("deleted_at",), "dropSoftDeletesTz": ("deleted_at",),
                  "dropRememberToken": ("remember_token",)}
_PLAIN = ("string_content", "escape_sequence")


def analyze(analysis: MigrationAnalysis, text: str) -> None:
    src = Source("php", text)
    analysis.error = src.first_error("PHP")
    cls = _migration_class(src.root)
    # A syntax error can break the class apart: the methods that did parse are still read.
    container = cls if cls is not None else src.root if src.root.has_error else None
    if container is None:  # no class at all: not a migration this reader can judge
        return
    methods: dict[str, Node] = {}
    for m in walk(container):
        if m.type == "method_declaration":
            methods.setdefault(src.text(field(m, "name")), m)
    down = methods.get("down")
    if cls is None or (down is None and analysis.error):  # a missing down() may be the parser's loss
        pass
    elif down is None:
        anchor = cls.parent if cls.type == "anonymous_class" and cls.parent is not None else cls
        analysis.irreversible = (Source.line(field(cls, "name") or anchor), "no down() method")
    else:
        stmts = [s for s in (field(down, "body") or down).named_children if s.type != "comment"]
        where = Source.line(field(down, "name") or down)
        if not stmts:
            analysis.irreversible = (where, "down() is empty")
        elif all(_is_throw(s) for s in stmts):
            analysis.irreversible = (where, "down() only throws")
    if "up" in methods:
        _Reader(analysis, src, methods).method(methods["up"])


def _migration_class(root: Node) -> Node | None:
    """The class extending Migration (a named class or `return new class extends Migration`)."""
    classes = [n for n in walk(root) if n.type in ("class_declaration", "anonymous_class")]
    for cls in classes:
        base = next((c for c in cls.named_children if c.type == "base_clause"), None)
        if base is not None and Source.text(base).rstrip().endswith("Migration"):
            return cls
    return classes[0] if classes else None


def _is_throw(stmt: Node) -> bool:
    return stmt.type == "throw_expression" or (stmt.type == "expression_statement" and bool(stmt.named_children)
                                               and stmt.named_children[0].type == "throw_expression")


def _value(arg: Node) -> Node:
    """An `argument` node's value (named arguments `column: 'x'` carry the name first)."""
    return arg.named_children[-1] if arg.type == "argument" and arg.named_children else arg


def _args(args: Node | None) -> list[Node]:
    return [_value(a) for a in (args.named_children if args is not None else []) if a.type == "argument"]


class _Reader:
    def __init__(self, analysis: MigrationAnalysis, src: Source, methods: dict[str, Node]) -> None:
        self.a, self.src, self.methods = analysis, src, methods
        self.seen: set[int] = set()
        self.blueprints: dict[tuple[int, int], tuple[str, str | None]] = {}  # closure -> ($var, table)

    def op(self, kind: str, node: Node, top: Node, table: str | None, column: str | None = None) -> None:
        line = Source.line(node)
        self.a.operations.append(Operation(kind, line, table, column, self.src.excerpt(top, line)))

    # --- literals -------------------------------------------------------------------------------------------------
    def literal(self, node: Node | None) -> tuple[str, int] | None:
        """A string literal's value and 0-based first row; None when dynamic (interpolation, variables)."""
        parts = self._parts(node)
        return join_parts(parts) if parts else None

    def _parts(self, node: Node | None) -> list[tuple[str, int, int]] | None:
        if node is None:
            return None
        data = self.src.data
        if node.type == "string" and node.child_count >= 2:
            raw = data[node.children[0].end_byte: node.children[-1].start_byte].decode("utf-8", "replace")
            text = raw.replace("\\\\", "\x00").replace("\\'", "'").replace("\x00", "\\")
            return [(text, node.start_point.row, node.end_point.row)]
        if node.type == "encapsed_string" and node.child_count >= 2:
            if any(c.type not in _PLAIN for c in node.named_children):
                return None
            raw = data[node.children[0].end_byte: node.children[-1].start_byte].decode("utf-8", "replace")
            return [(unescape(raw), node.start_point.row, node.end_point.row)]
        if node.type in ("heredoc", "nowdoc"):
            start, end, body = field(node, "identifier"), field(node, "end_tag"), field(node, "value")
            if start is None or end is None:
                return None
            if node.type == "heredoc" and body is not None and any(c.type not in _PLAIN for c in body.named_children):
                return None
            raw = data[start.end_byte: end.start_byte].decode("utf-8", "replace")
            raw = raw.split("\n", 1)[1] if "\n" in raw else ""  # drop the rest of the `<<<SQL` line (a quote)
            return [(unescape(raw) if node.type == "heredoc" else raw, start.start_point.row + 1,
                     end.start_point.row)]
        if node.type == "binary_expression" and Source.text(field(node, "operator")) == ".":
            left, right = self._parts(field(node, "left")), self._parts(field(node, "right"))
            return left + right if left and right else None
        if node.type == "parenthesized_expression" and node.named_children:
            return self._parts(node.named_children[0])
        return None

    def name(self, node: Node | None) -> str | None:
        """An identifier argument: the literal lower-cased, or the expression itself when dynamic."""
        if node is None:
            return None
        lit = self.literal(node)
        return lit[0].strip().lower() if lit else short(Source.text(node))

    def names(self, nodes: list[Node]) -> list[str]:
        out: list[str] = []
        for n in nodes:
            if n.type == "array_creation_expression":
                out.extend(filter(None, (self.name(e.named_children[-1]) for e in n.named_children
                                         if e.type == "array_element_initializer" and e.named_children)))
            elif (nm := self.name(n)) is not None:
                out.append(nm)
        return out

    # --- traversal ------------------------------------------------------------------------------------------------
    def method(self, method: Node) -> None:
        if method.start_byte in self.seen:
            return
        self.seen.add(method.start_byte)
        body = field(method, "body")
        if body is None:
            return
        for node in walk(body, skip=("method_declaration", "function_definition")):
            if node.type in (*_CALLS, "scoped_call_expression") and self._top(node):
                self.chain(node)

    @staticmethod
    def _top(node: Node) -> bool:
        parent = node.parent
        return not (parent is not None and parent.type in _OBJECT_OF and is_same(field(parent, "object"), node))

    def chain(self, top: Node) -> None:
        calls: list[tuple[str, Node, Node | None]] = []  # (method, name node, arguments)
        node: Node | None = top
        while node is not None and node.type in _CALLS:
            calls.append((Source.text(field(node, "name")), field(node, "name") or node, field(node, "arguments")))
            node = field(node, "object")
        if node is None:
            return
        base = ""
        if node.type == "scoped_call_expression":
            calls.append((Source.text(field(node, "name")), field(node, "name") or node, field(node, "arguments")))
            base = Source.text(field(node, "scope")).rsplit("\\", 1)[-1]
        elif node.type == "variable_name":
            base = Source.text(node)
        calls.reverse()
        if not calls:
            return
        if base == "Schema":
            self.schema(top, [c for c in calls if c[0] != "connection"])
        elif base == "DB":
            self.db(top, [c for c in calls if c[0] != "connection"])
        elif base == "$this" and len(calls) == 1 and calls[0][0] in self.methods:
            self.method(self.methods[calls[0][0]])
        elif base.startswith("$"):
            bound = self._blueprint(top, base)
            if bound is not None:
                self.blueprint(top, calls, bound[0])

    def _blueprint(self, node: Node, var: str) -> tuple[str | None] | None:
        """(table,) when a Schema closure enclosing `node` binds `var` as its Blueprint, else None."""
        parent = node.parent
        while parent is not None and parent.type != "method_declaration":
            if parent.type in _FUNCS:
                hit = self.blueprints.get((parent.start_byte, parent.end_byte))
                if hit is not None and hit[0] == var:
                    return (hit[1],)
            parent = parent.parent
        return None

    def schema(self, top: Node, calls: list[tuple[str, Node, Node | None]]) -> None:
        if not calls:
            return
        verb, at, args_node = calls[0]
        args = _args(args_node)
        table = self.name(args[0]) if args else None
        if verb in ("create", "table"):
            if verb == "create":
                self.op("create_table", at, top, table)
            closure = next((a for a in args[1:] if a.type in _FUNCS), None)
            params = [p for p in (field(closure, "parameters").named_children if closure is not None
                                  and field(closure, "parameters") is not None else [])
                      if p.type in ("simple_parameter", "variadic_parameter")]
            if closure is not None and params:
                self.blueprints[(closure.start_byte, closure.end_byte)] = (Source.text(field(params[0], "name")),
                                                                           table)
        elif verb in ("drop", "dropIfExists"):
            self.op("drop_table", at, top, table)
        elif verb == "rename":
            self.op("rename_table", at, top, table, self.name(args[1]) if len(args) > 1 else None)
        elif verb == "dropColumns" and len(args) > 1:
            for col in self.names(args[1:]):
                self.op("drop_column", at, top, table, col)

    def db(self, top: Node, calls: list[tuple[str, Node, Node | None]]) -> None:
        verb, at, args_node = calls[0]
        args = _args(args_node)
        if verb in ("statement", "unprepared") and args:
            lit = self.literal(args[0])
            if lit is not None:
                ops, err = sql_operations(lit[0], self.a.migration.dialect, lit[1])
                self.a.operations.extend(ops)
                self.a.error = self.a.error or err
        elif verb == "table" and args and any(c[0] == "truncate" for c in calls[1:]):
            self.op("truncate", at, top, self.name(args[0]))

    def blueprint(self, top: Node, calls: list[tuple[str, Node, Node | None]], table: str | None) -> None:
        first, at, args_node = calls[0]
        args = _args(args_node)
        mods = {name: a for name, _, a in calls[1:]}
        col = self.names(args[:1])[0] if args and self.names(args[:1]) else None
        if first in ("dropColumn", "dropColumns"):
            for c in self.names(args):
                self.op("drop_column", at, top, table, c)
        elif first in _IMPLIED_DROPS:
            for c in _IMPLIED_DROPS[first]:
                self.op("drop_column", at, top, table, c)
        elif first == "dropMorphs" and col:
            for c in (f"{col}_type", f"{col}_id"):
                self.op("drop_column", at, top, table, c)
        elif first == "dropConstrainedForeignId":
            self.op("drop_column", at, top, table, col)
        elif first == "renameColumn":
            self.op("rename_column", at, top, table, col)
        elif "change" in mods:
            self.op("alter_type", at, top, table, col)
        elif first in _INDEXES:
            self.op("create_index", at, top, table, col)
        elif first == "foreign":
            self.op("add_foreign_key", at, top, table, col)
        elif first in _COLUMN_TYPES:
            if first.startswith("foreign") and "constrained" in mods:
                self.op("add_foreign_key", at, top, table, col)
            if mods.keys() & {"unique", "index"}:
                self.op("create_index", at, top, table, col)
            if not any(m in _NULL_OK and not (m == "nullable" and self._false_arg(mods[m])) for m in mods):
                self.op("add_column_not_null", at, top, table, col)

    def _false_arg(self, args: Node | None) -> bool:
        """`->nullable(false)` keeps the column NOT NULL."""
        values = _args(args)
        return bool(values) and Source.text(values[0]).strip().lower() == "false"

