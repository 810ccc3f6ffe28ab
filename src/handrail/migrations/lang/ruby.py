"""Rails migrations read with tree-sitter-ruby.

Reads `change`, `up` (and `self.up`), the helper methods they call, `change_table`/`create_table` blocks (ops
bound to the block's own variable), `reversible do |dir| dir.up { ... } end` and `up_only { ... }` (explicitly
one-way, so not irreversible), `revert do ... end` (a reverted create_table is a drop), and raw SQL in
`execute` from strings, `%q()`, chained literals and heredocs (`<<~SQL`, also via a local variable).
Reversibility follows ActiveRecord's own rules for `change`: what its CommandRecorder refuses to invert.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handrail.migrations.analyze import Operation, sql_operations
from handrail.migrations.lang.treesitter import Source, field, join_parts, short, unescape, walk

if TYPE_CHECKING:
    from tree_sitter import Node

    from handrail.migrations.analyze import MigrationAnalysis

_OPTION_NODES = ("pair", "hash", "hash_splat_argument", "block_argument")
_COLUMN_TYPES = frozenset({
    "string", "text", "integer", "bigint", "float", "decimal", "numeric", "datetime", "time", "date", "binary",
    "boolean", "json", "jsonb", "uuid", "citext", "inet", "cidr", "macaddr", "hstore", "ltree", "interval", "money",
    "xml", "tsvector", "timestamp", "timestamptz", "virtual", "enum", "column"})
_STRING_METHODS = frozenset({"squish", "strip", "chomp", "freeze", "dup", "strip_heredoc", "lstrip", "rstrip"})


def analyze(analysis: MigrationAnalysis, text: str) -> None:
    src = Source("ruby", text)
    analysis.error = src.first_error("Ruby")
    cls = _migration_class(src.root)
    if cls is None:
        return
    methods = _methods(cls)
    if "up" in methods and "down" not in methods and "change" not in methods and not analysis.error:
        analysis.irreversible = (Source.line(methods["up"]), "up without down")
    if "down" in methods:
        for node in walk(methods["down"]):
            if (node.type == "call" and src.text(field(node, "method")) in ("raise", "fail")
                    and "IrreversibleMigration" in src.text(field(node, "arguments"))):
                analysis.irreversible = (Source.line(node), "down raises ActiveRecord::IrreversibleMigration")
                break
    reader = _Reader(analysis, src, methods)
    for name in ("change", "up"):
        if name in methods:
            reader.method(methods[name], in_change=name == "change")


def _migration_class(root: Node) -> Node | None:
    """The class inheriting from a Migration; when a syntax error broke the class apart, the ERROR node that
    holds its `class` keyword, so the methods that did parse are still read."""
    classes = [n for n in walk(root) if n.type == "class" or (
        n.type == "ERROR" and any(c.type == "class" and not c.is_named for c in n.children))]
    for cls in classes:
        sup = field(cls, "superclass") or next((c for c in cls.children if c.type == "superclass"), None)
        if "Migration" in Source.text(sup):
            return cls
    return classes[0] if classes else None


def _methods(cls: Node) -> dict[str, Node]:
    """def name -> node (the first definition wins), also from a class a syntax error left flat."""
    out: dict[str, Node] = {}
    for n in walk(cls):
        if n.type in ("method", "singleton_method"):
            out.setdefault(Source.text(field(n, "name")), n)
    return out


def _key(node: Node | None) -> str:
    return Source.text(node).lstrip(":").strip("\"'") if node is not None else ""


class _Call:
    """One call's parts: method, receiver, positional arguments, keyword options and block."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.method = Source.text(field(node, "method"))
        self.receiver = field(node, "receiver")
        args = field(node, "arguments")
        values = args.named_children if args is not None else []
        self.pos = [a for a in values if a.type not in (*_OPTION_NODES, "comment")]
        pairs = [a for a in values if a.type == "pair"]
        for h in (a for a in values if a.type == "hash"):
            pairs.extend(p for p in h.named_children if p.type == "pair")
        self.opts = {_key(field(p, "key")): field(p, "value") for p in pairs}
        self.n_args = len([a for a in values if a.type != "comment"])
        self.block = field(node, "block")

    def opt(self, name: str) -> str | None:
        value = self.opts.get(name)
        return Source.text(value).strip() if value is not None else None


class _Reader:
    def __init__(self, analysis: MigrationAnalysis, src: Source, methods: dict[str, Node]) -> None:
        self.a, self.src, self.methods = analysis, src, methods
        self.seen: set[int] = set()
        self.locals: dict[str, Node] = {}
        begins = [n for n in walk(src.root) if n.type == "heredoc_beginning"]
        bodies = [n for n in walk(src.root) if n.type == "heredoc_body"]
        self.heredocs = {b.start_byte: (b, body) for b, body in zip(begins, bodies, strict=False)}

    # --- recording ------------------------------------------------------------------------------------------------
    def op(self, kind: str, call: _Call, table: str | None, column: str | None = None, safe: bool = False) -> None:
        line = Source.line(call.node)
        self.a.operations.append(Operation(kind, line, table, column, self.src.excerpt(call.node, line), safe))

    def irreversible(self, call: _Call, in_change: bool, why: str) -> None:
        if in_change and self.a.irreversible is None:
            self.a.irreversible = (Source.line(call.node), why)

    # --- literals -------------------------------------------------------------------------------------------------
    def literal(self, node: Node | None) -> tuple[str, int] | None:
        parts = self._parts(node)
        return join_parts(parts) if parts else None

    def _parts(self, node: Node | None) -> list[tuple[str, int, int]] | None:
        if node is None:
            return None
        data = self.src.data
        if node.type == "string" and node.child_count >= 2:
            if any(c.type == "interpolation" for c in node.named_children):
                return None
            opener = Source.text(node.children[0])
            raw = data[node.children[0].end_byte: node.children[-1].start_byte].decode("utf-8", "replace")
            text = raw.replace("\\\\", "\\").replace("\\'", "'") if opener in ("'", "%q(") or opener.startswith(
                "%q") else unescape(raw)
            return [(text, node.start_point.row, node.end_point.row)]
        if node.type == "chained_string":
            parts: list[tuple[str, int, int]] = []
            for child in node.named_children:
                sub = self._parts(child)
                if sub is None:
                    return None
                parts.extend(sub)
            return parts
        if node.type == "heredoc_beginning":
            hit = self.heredocs.get(node.start_byte)
            if hit is None or any(c.type == "interpolation" for c in hit[1].named_children):
                return None
            body = hit[1]
            end = next((c for c in body.named_children if c.type == "heredoc_end"), None)
            raw = data[body.start_byte: end.start_byte if end is not None else body.end_byte].decode("utf-8", "replace")
            quoted = "'" in Source.text(node)
            return [(raw if quoted else unescape(raw), body.start_point.row, body.end_point.row)]
        if node.type == "call" and Source.text(field(node, "method")) in _STRING_METHODS:
            return self._parts(field(node, "receiver"))
        if node.type == "parenthesized_statements" and node.named_children:
            return self._parts(node.named_children[-1])
        if node.type == "binary" and Source.text(field(node, "operator")) == "+":
            left, right = self._parts(field(node, "left")), self._parts(field(node, "right"))
            return left + right if left and right else None
        if node.type == "identifier" and Source.text(node) in self.locals:
            return self._parts(self.locals[Source.text(node)])
        return None

    def name(self, node: Node | None) -> str | None:
        if node is None:
            return None
        if node.type == "simple_symbol":
            return Source.text(node)[1:].lower()
        if node.type in ("array", "symbol_array", "string_array"):  # [:a, :b], %i[a b], %w[a b]: the first
            return self.name(node.named_children[0]) if node.named_children else None
        if node.type in ("bare_symbol", "bare_string"):
            return Source.text(node).lower()
        if node.type in ("delimited_symbol", "string"):
            lit = self.literal(node) if node.type == "string" else (Source.text(node)[2:-1], 0)
            if lit is not None:
                return lit[0].lower()
        return short(Source.text(node))

    # --- traversal ------------------------------------------------------------------------------------------------
    def method(self, node: Node, in_change: bool) -> None:
        if node.start_byte in self.seen:
            return
        self.seen.add(node.start_byte)
        for n in walk(node):
            if n.type == "assignment" and field(n, "left") is not None and field(n, "left").type == "identifier":
                self.locals[Source.text(field(n, "left"))] = field(n, "right")  # type: ignore[assignment]
        body = field(node, "body")
        if body is not None:
            self.visit(body, in_change, {})

    def visit(self, node: Node, in_change: bool, tables: dict[str, str | None]) -> None:
        for child in node.named_children:
            if child.type in ("method", "singleton_method"):  # a def nested by error recovery is its own method
                continue
            if child.type == "call" and self.call(_Call(child), in_change, tables):
                continue
            if child.type == "identifier" and Source.text(child) in self.methods:  # bare helper call
                self.helper(Source.text(child), in_change)
            self.visit(child, in_change, tables)

    def helper(self, name: str, in_change: bool) -> None:
        if name not in ("change", "up", "down"):
            self.method(self.methods[name], in_change)

    def _block_var(self, block: Node | None) -> str | None:
        params = field(block, "parameters")
        names = [p for p in (params.named_children if params is not None else []) if p.type == "identifier"]
        return Source.text(names[0]) if names else None

    def call(self, c: _Call, in_change: bool, tables: dict[str, str | None]) -> bool:
        """Handle one call; True when its block and arguments need no further generic traversal."""
        m, recv = c.method, c.receiver
        if recv is None:
            if m == "reversible" and c.block is not None:
                self.reversible(c.block, tables)
                return True
            if m == "up_only" and c.block is not None:
                self.visit(c.block, False, tables)
                return True
            if m == "revert" and c.block is not None:
                self.revert(c.block)
                return True
            if m in ("create_table", "change_table") and c.pos:
                table = self.name(c.pos[0])
                if m == "create_table":
                    self.op("create_table", c, table)
                var = self._block_var(c.block)
                if c.block is not None:
                    self.visit(c.block, in_change, {**tables, var: table} if var else tables)
                return True
            if m in ("execute", "exec_query", "exec_update", "exec_delete"):
                self.execute(c, in_change)
                return True
            if self.schema_op(c, in_change):
                return True
            if m in self.methods:
                self.helper(m, in_change)
            return False
        if recv.type == "identifier" and Source.text(recv) in tables:
            self.table_op(c, tables[Source.text(recv)], in_change)
            return True
        if m in ("execute", "exec_query") and Source.text(recv).endswith("connection"):
            self.execute(c, in_change)
            return True
        return False

    def reversible(self, block: Node, tables: dict[str, str | None]) -> None:
        var = self._block_var(block)
        body = field(block, "body")
        for child in body.named_children if body is not None else []:
            if (child.type == "call" and var and Source.text(field(child, "receiver")) == var
                    and Source.text(field(child, "method")) in ("up", "down")):
                if Source.text(field(child, "method")) == "up" and field(child, "block") is not None:
                    self.visit(field(child, "block"), False, tables)  # type: ignore[arg-type]
                continue
            if child.type == "call" and self.call(_Call(child), False, tables):
                continue
            self.visit(child, False, tables)

    def revert(self, block: Node) -> None:
        """`revert do create_table ... end` drops what the block would create."""
        for n in walk(block):
            if n.type != "call" or field(n, "receiver") is not None:
                continue
            c = _Call(n)
            if c.method == "create_table" and c.pos:
                self.op("drop_table", c, self.name(c.pos[0]))
            elif c.method == "add_column" and len(c.pos) > 1:
                self.op("drop_column", c, self.name(c.pos[0]), self.name(c.pos[1]))
            elif c.method in ("add_reference", "add_belongs_to") and len(c.pos) > 1:
                self.op("drop_column", c, self.name(c.pos[0]), f"{self.name(c.pos[1])}_id")

    def execute(self, c: _Call, in_change: bool) -> None:
        self.irreversible(c, in_change, "raw execute inside change has no reverse")
        lit = self.literal(c.pos[0]) if c.pos else None
        if lit is not None:
            ops, err = sql_operations(lit[0], self.a.migration.dialect, lit[1])
            self.a.operations.extend(ops)
            self.a.error = self.a.error or err

    # --- migration methods ----------------------------------------------------------------------------------------
    def schema_op(self, c: _Call, in_change: bool) -> bool:
        m, pos = c.method, c.pos
        table = self.name(pos[0]) if pos else None
        second = self.name(pos[1]) if len(pos) > 1 else None
        cannot = f"`{m}` cannot be reversed inside change"
        if m == "drop_table":
            for t in pos:
                self.op("drop_table", c, self.name(t))
            if c.block is None and c.n_args <= 1:
                self.irreversible(c, in_change, cannot)
        elif m == "remove_column" and second:
            self.op("drop_column", c, table, second)
            if c.n_args <= 2:
                self.irreversible(c, in_change, cannot)
        elif m == "remove_columns":
            for col in pos[1:]:
                self.op("drop_column", c, table, self.name(col))
            if "type" not in c.opts:
                self.irreversible(c, in_change, cannot)
        elif m in ("remove_reference", "remove_belongs_to", "remove_references") and second:
            self.op("drop_column", c, table, f"{second}_id")
            if c.opt("polymorphic") == "true":
                self.op("drop_column", c, table, f"{second}_type")
        elif m == "remove_timestamps":
            for col in ("created_at", "updated_at"):
                self.op("drop_column", c, table, col)
        elif m == "rename_column" and second:
            self.op("rename_column", c, table, second)
        elif m == "rename_table":
            self.op("rename_table", c, table, second)
        elif m == "change_column" and second:
            self.op("alter_type", c, table, second)
            self.irreversible(c, in_change, cannot)
        elif m == "change_column_null" and len(pos) > 2:
            if Source.text(pos[2]).strip() == "false":
                self.op("set_not_null", c, table, second)
        elif m == "change_column_default":
            if not {"from", "to"} & c.opts.keys():
                self.irreversible(c, in_change, cannot)
        elif m == "add_index" and pos:
            self.op("create_index", c, table, self.name(pos[1]) if len(pos) > 1 else None,
                    safe=c.opt("algorithm") == ":concurrently")
        elif m == "add_foreign_key" and pos:
            self.op("add_foreign_key", c, table, self.name(c.opts.get("column")), safe=c.opt("validate") == "false")
        elif m == "add_check_constraint" and pos:
            self.op("add_check", c, table, self.name(c.opts.get("name")), safe=c.opt("validate") == "false")
        elif m == "add_column" and second:
            self.not_null(c, table, second)
        elif m in ("add_reference", "add_belongs_to", "add_references") and second:
            self.reference(c, table, second)
        elif m == "add_timestamps":
            if c.opt("null") != "true" and c.opt("default") in (None, "nil"):
                self.op("add_column_not_null", c, table, "created_at")
        else:
            return False
        return True

    def not_null(self, c: _Call, table: str | None, column: str | None) -> None:
        if c.opt("null") == "false" and c.opt("default") in (None, "nil"):
            self.op("add_column_not_null", c, table, column)

    def reference(self, c: _Call, table: str | None, ref: str | None) -> None:
        """add_reference / t.references: an index by default, a foreign key and NOT NULL when asked."""
        index = c.opt("index")
        if index != "false" and not (index and ":concurrently" in index):
            self.op("create_index", c, table, f"{ref}_id")
        fk = c.opt("foreign_key")
        if fk not in (None, "false", "nil"):
            self.op("add_foreign_key", c, table, f"{ref}_id", safe="validate: false" in (fk or ""))
        self.not_null(c, table, f"{ref}_id")

    def table_op(self, c: _Call, table: str | None, in_change: bool) -> None:
        """A `t.` call inside change_table/create_table."""
        m, pos = c.method, c.pos
        first = self.name(pos[0]) if pos else None
        cannot = f"`{self.src.excerpt(c.node)}` cannot be reversed inside change"
        if m == "remove":
            for col in pos:
                self.op("drop_column", c, table, self.name(col))
            if "type" not in c.opts:
                self.irreversible(c, in_change, cannot)
        elif m in ("remove_references", "remove_belongs_to", "remove_reference") and first:
            self.op("drop_column", c, table, f"{first}_id")
        elif m == "remove_timestamps":
            for col in ("created_at", "updated_at"):
                self.op("drop_column", c, table, col)
        elif m == "rename" and first:
            self.op("rename_column", c, table, first)
        elif m == "change" and first:
            self.op("alter_type", c, table, first)
            self.irreversible(c, in_change, cannot)
        elif m == "change_default":
            if not {"from", "to"} & c.opts.keys():
                self.irreversible(c, in_change, cannot)
        elif m == "index":
            self.op("create_index", c, table, first, safe=c.opt("algorithm") == ":concurrently")
        elif m in ("references", "belongs_to") and first:
            for ref in pos:
                self.reference(c, table, self.name(ref))
        elif m == "foreign_key":
            self.op("add_foreign_key", c, table, self.name(c.opts.get("column")), safe=c.opt("validate") == "false")
        elif m == "check_constraint":
            self.op("add_check", c, table, self.name(c.opts.get("name")), safe=c.opt("validate") == "false")
        elif m == "timestamps":
            if c.opt("null") != "true" and c.opt("default") in (None, "nil"):
                self.op("add_column_not_null", c, table, "created_at")
        elif m in _COLUMN_TYPES:
            for col in pos[:1] if m == "column" else pos:
                self.not_null(c, table, self.name(col))
