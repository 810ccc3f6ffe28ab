"""What each migration does to the schema, and which of those operations deserve a finding.

Parsers: PostgreSQL SQL with pglast (libpg_query, the server's own grammar), MySQL/SQLite SQL with sqlglot,
Django and Alembic with `ast`. Laravel PHP, Rails Ruby and knex JavaScript are scanned with regexes over
comment-stripped text and brace/indent matching, because tree-sitter is not available here: that reads the
conventional shapes (`Schema::table(...)`, `remove_column :t, :c`, `knex.schema.dropTable(...)`) correctly but
can miss operations built dynamically (loops, helper methods), and says nothing about code it cannot see.

Noise control (squawk reports 1,924 findings on documenso): operations on tables created in the same
migration are never destructive or locking, locking rules apply only to PostgreSQL, and findings collapse to
one per migration + rule + object.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from handrail.core.finding import Confidence, Finding, Severity
from handrail.migrations.discover import Migration

if TYPE_CHECKING:
    from handrail.core.project import Project

CHECK = "rollback"
DATA_LOSS = frozenset({"drop_table", "drop_column", "truncate"})
SHAPE_CHANGE = frozenset({"alter_type", "rename_column", "rename_table"})
LOCKING = frozenset({"create_index", "add_foreign_key", "add_check", "set_not_null", "add_column_not_null",
                     "alter_type"})


@dataclass(frozen=True)
class Operation:
    """One schema operation. `safe` marks the non-blocking or non-destructive variant (CONCURRENTLY,
    NOT VALID, a default, a table rebuild); `new_table` marks operations on a table this migration created."""

    kind: str
    line: int
    table: str | None = None
    column: str | None = None
    text: str = ""
    safe: bool = False
    new_table: bool = False


@dataclass
class MigrationAnalysis:
    migration: Migration
    operations: list[Operation] = field(default_factory=list)
    irreversible: tuple[int, str] | None = None  # (line, why) when the framework's way back is missing
    error: tuple[int | None, str] | None = None  # (line, message) when a parser rejected (part of) the file

    @property
    def destructive(self) -> list[Operation]:
        return [op for op in self.operations
                if op.kind in DATA_LOSS | SHAPE_CHANGE and not op.new_table and not op.safe]


# --- entry points --------------------------------------------------------------------------------------------------
def analyze_migration(project: Project, migration: Migration) -> MigrationAnalysis:
    """Analyse one migration, cached per run through the project's parse cache."""
    fmt = f"migration:{migration.framework}:{migration.dialect}"
    result = project.parsed(migration.path, fmt, lambda text: _analyze_text(migration, text, project))
    return result if result is not None else MigrationAnalysis(migration, error=(None, "file could not be read"))


def analyze_migrations(project: Project, migrations: Iterable[Migration]) -> list[MigrationAnalysis]:
    return [analyze_migration(project, m) for m in migrations]


def has_destructive(project: Project, migrations: Iterable[Migration]) -> list[MigrationAnalysis]:
    """Migrations that drop, truncate, retype or rename existing data: the ones a backup must precede."""
    return [a for a in analyze_migrations(project, migrations) if a.destructive]


def migration_findings(analyses: Iterable[MigrationAnalysis]) -> list[Finding]:
    out: list[Finding] = []
    for analysis in analyses:
        out.extend(_findings(analysis))
    return out


def _analyze_text(migration: Migration, text: str, project: Project) -> MigrationAnalysis:
    analysis = MigrationAnalysis(migration)
    lang = migration.language
    if lang == "sql":
        body, has_down = _sql_up_part(text)
        analysis.operations, analysis.error = sql_operations(body, migration.dialect)
        if migration.framework == "sql" and not (has_down or migration.down_path):
            pass  # plain SQL folders have no down convention of their own; not a finding
    elif migration.framework == "django":
        _django(analysis, text)
    elif migration.framework == "alembic":
        _alembic(analysis, text)
    elif lang == "php":
        _laravel(analysis, text)
    elif lang == "ruby":
        _rails(analysis, text)
    else:
        _knex(analysis, text)
    analysis.operations = _mark_new_tables(analysis.operations)
    return analysis


def _mark_new_tables(ops: list[Operation]) -> list[Operation]:
    """Tables created here are empty and unused: nothing to lock or lose. A SQLite-style rebuild (create
    new_t, copy, drop t, rename new_t to t) is a rebuild, not a drop."""
    created = {op.table for op in ops if op.kind == "create_table" and op.table}
    rebuilt = {op.column for op in ops if op.kind == "rename_table" and op.table in created and op.column}
    out = []
    for op in ops:
        if op.kind != "create_table" and op.table in created:
            op = replace(op, new_table=True)
        elif op.kind == "drop_table" and op.table in rebuilt:
            op = replace(op, safe=True)
        out.append(op)
    return out


# --- findings ------------------------------------------------------------------------------------------------------
_FIX_DESTRUCTIVE = ("Take a backup right before this migration runs (handrail migrate -- ...), and split it into "
                    "expand/contract steps so the running code no longer uses the object when it disappears.")
_FIX_IRREVERSIBLE = "Write the way back (down/downgrade/reverse_code), or document why none exists and back up first."
_FIX_LOCKING = {
    "create_index": "Use CREATE INDEX CONCURRENTLY (outside a transaction) on tables that already hold data.",
    "add_foreign_key": "Add the constraint NOT VALID, then VALIDATE CONSTRAINT in a separate migration.",
    "add_check": "Add the constraint NOT VALID, then VALIDATE CONSTRAINT in a separate migration.",
    "set_not_null": "Add a CHECK (col IS NOT NULL) NOT VALID, validate it, then SET NOT NULL.",
    "add_column_not_null": "Add the column nullable or with a default, backfill, then enforce NOT NULL.",
    "alter_type": "Add a new column, backfill it, and switch over instead of rewriting the table in place.",
}
_LOCK_WHY = {
    "create_index": "builds an index without CONCURRENTLY, blocking writes to the table while it builds",
    "add_foreign_key": "adds a foreign key without NOT VALID, locking both tables while it scans",
    "add_check": "adds a CHECK constraint without NOT VALID, locking the table while it scans",
    "set_not_null": "sets NOT NULL, scanning the whole table under an exclusive lock",
    "add_column_not_null": "adds a NOT NULL column without a default, which fails on a table that has rows",
    "alter_type": "changes a column type, rewriting the table under an exclusive lock",
}


def _obj(op: Operation) -> str:
    return ".".join(p for p in (op.table, op.column) if p) or "(unnamed)"


def _findings(analysis: MigrationAnalysis) -> list[Finding]:
    mig = analysis.migration
    found: dict[str, Finding] = {}

    def add(rule: str, key: str, **kw: object) -> None:
        full = f"{rule}:{key}"
        if full not in found:
            found[full] = Finding(check=CHECK, rule=rule, path=mig.path, key=full, **kw)  # type: ignore[arg-type]

    if analysis.error:
        line, msg = analysis.error
        add("migration-unparsed", "file", severity=Severity.MEDIUM, line=line,
            message=f"{mig.framework} migration could not be parsed ({msg}); it was not analysed fully",
            evidence=msg, fix="Fix the syntax: the database will reject what its parser rejects.")
    if analysis.irreversible and mig.has_down_convention:
        line, why = analysis.irreversible
        add("migration-irreversible", "down", severity=Severity.MEDIUM, line=line,
            message=f"{mig.framework} migration cannot be rolled back: {why}", evidence=why, fix=_FIX_IRREVERSIBLE)
    for op in analysis.operations:
        if op.new_table:
            continue
        if op.kind in DATA_LOSS | SHAPE_CHANGE and not op.safe:
            loss = op.kind in DATA_LOSS
            verb = op.kind.replace("_", " ")
            add("migration-destructive", f"{op.kind}:{_obj(op)}", line=op.line,
                severity=Severity.HIGH if loss else Severity.MEDIUM,
                message=f"{verb} {_obj(op)}: " + ("deletes data that only a backup can bring back" if loss else
                                                    "breaks code still using the old shape and may lose data"),
                evidence=op.text[:200], fix=_FIX_DESTRUCTIVE,
                confidence=Confidence.HIGH if mig.language in ("sql", "python") else Confidence.MEDIUM)
        if op.kind in LOCKING and not op.safe and mig.dialect == "postgresql":
            add("migration-locking", f"{op.kind}:{_obj(op)}", line=op.line,
                severity=Severity.LOW if op.kind in ("create_index", "alter_type") else Severity.MEDIUM,
                message=f"{_obj(op)}: {_LOCK_WHY[op.kind]}", evidence=op.text[:200], fix=_FIX_LOCKING[op.kind],
                confidence=Confidence.MEDIUM)
    return list(found.values())


# --- SQL -----------------------------------------------------------------------------------------------------------
_DOWN_MARKER = re.compile(r"^\s*--\s*(?:migrate:down|\+goose\s+down)\b", re.M | re.I)


def _sql_up_part(text: str) -> tuple[str, bool]:
    """dbmate/goose files hold up and down in one file: analyse the up half only."""
    m = _DOWN_MARKER.search(text)
    return (text[: m.start()], True) if m else (text, False)


def split_sql(text: str) -> list[tuple[int, str]]:
    """Statements with their start offsets, respecting quotes, dollar quotes and comments; per-statement
    parsing lets one bad statement cost one finding instead of the whole file."""
    out: list[tuple[int, str]] = []
    i, start, n = 0, 0, len(text)
    while i < n:
        c = text[i]
        if c == "-" and text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif c == "/" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c in "'\"`":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" and c != '"' else 1
            i = j + 1
        elif c == "$":
            m = re.match(r"\$(\w*)\$", text[i:])
            if m:
                j = text.find(m.group(0), i + len(m.group(0)))
                i = n if j < 0 else j + len(m.group(0))
            else:
                i += 1
        elif c == ";":
            out.append((start, text[start:i]))
            i += 1
            start = i
        else:
            i += 1
    out.append((start, text[start:]))
    return [(off, s) for off, s in out if _strip_sql_comments(s).strip()]


def _strip_sql_comments(s: str) -> str:
    return re.sub(r"--[^\n]*|/\*.*?\*/", "", s, flags=re.S)


def _first_line(text: str, off: int, stmt: str) -> tuple[int, str]:
    """1-based line of the statement's first token, plus a one-line excerpt for evidence."""
    lead = len(stmt) - len(stmt.lstrip())
    body = stmt.lstrip()
    while body.startswith(("--", "/*")):
        end = body.find("\n") + 1 if body.startswith("--") else body.find("*/") + 2
        if end <= 0:
            break
        rest = body[end:]
        lead += len(body) - len(rest.lstrip())
        body = rest.lstrip()
    line = text.count("\n", 0, off + lead) + 1
    return line, " ".join(body.split())[:200]


def sql_operations(text: str, dialect: str,
                   line_offset: int = 0) -> tuple[list[Operation], tuple[int | None, str] | None]:
    """Operations in a SQL script; the first parse error is returned, the other statements still analysed."""
    ops: list[Operation] = []
    error: tuple[int | None, str] | None = None
    for off, stmt in split_sql(text):
        line, excerpt = _first_line(text, off, stmt)
        line += line_offset
        try:
            ops.extend(_pg_ops(stmt, line, excerpt) if dialect in ("postgresql", "unknown")
                       else _glot_ops(stmt, line, excerpt, dialect))
        except _SqlError as exc:
            if dialect == "unknown":  # an unknown engine may be MySQL: only report what no grammar accepts
                try:
                    ops.extend(_glot_ops(stmt, line, excerpt, "mysql"))
                    continue
                except _SqlError:
                    pass
            if error is None:
                at = text.count("\n", 0, off + exc.pos) + 1 + line_offset if exc.pos else line
                error = (at, exc.message)
    return ops, error


class _SqlError(Exception):
    """`pos` is the character offset of the error inside the statement, when the parser says."""

    def __init__(self, message: str, pos: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


def _name(node: object) -> str | None:
    rel = getattr(node, "relname", None)
    return rel.lower() if isinstance(rel, str) else None


def _pg_ops(stmt: str, line: int, excerpt: str) -> list[Operation]:
    import pglast
    from pglast import ast as pg
    from pglast.enums import AlterTableType as AT
    from pglast.enums import ConstrType as CT
    from pglast.enums import ObjectType as OT

    try:
        raw = pglast.parse_sql(stmt)
    except pglast.parser.ParseError as exc:
        pos = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        raise _SqlError(str(exc.args[0]), len(stmt.encode()[:pos].decode(errors="ignore"))) from None
    ops: list[Operation] = []
    for rs in raw:
        s = rs.stmt

        def op(kind: str, table: str | None, column: str | None = None, safe: bool = False) -> None:
            ops.append(Operation(kind, line, table, column.lower() if column else None, excerpt, safe))

        if isinstance(s, (pg.CreateStmt, pg.CreateTableAsStmt)):
            rel = s.relation if isinstance(s, pg.CreateStmt) else s.into.rel
            op("create_table", _name(rel))
        elif isinstance(s, pg.DropStmt) and s.removeType == OT.OBJECT_TABLE:
            for obj in s.objects or ():
                op("drop_table", str(obj[-1].sval).lower())
        elif isinstance(s, pg.TruncateStmt):
            for rel in s.relations or ():
                op("truncate", _name(rel))
        elif isinstance(s, pg.IndexStmt):
            op("create_index", _name(s.relation), safe=bool(s.concurrent))
        elif isinstance(s, pg.RenameStmt) and s.renameType in (OT.OBJECT_COLUMN, OT.OBJECT_TABLE):
            if s.renameType == OT.OBJECT_COLUMN:
                op("rename_column", _name(s.relation), s.subname)
            else:
                op("rename_table", _name(s.relation), s.newname)
        elif isinstance(s, pg.AlterTableStmt):
            table = _name(s.relation)
            for cmd in s.cmds or ():
                sub, d = cmd.subtype, cmd.def_
                if sub == AT.AT_DropColumn:
                    op("drop_column", table, cmd.name)
                elif sub == AT.AT_AlterColumnType:
                    op("alter_type", table, cmd.name)
                elif sub == AT.AT_SetNotNull:
                    op("set_not_null", table, cmd.name)
                elif sub == AT.AT_AddColumn and isinstance(d, pg.ColumnDef):
                    kinds = {c.contype for c in d.constraints or ()}
                    if (d.is_not_null or CT.CONSTR_NOTNULL in kinds) and not kinds & {
                            CT.CONSTR_DEFAULT, CT.CONSTR_IDENTITY, CT.CONSTR_GENERATED}:
                        op("add_column_not_null", table, d.colname)
                    if CT.CONSTR_FOREIGN in kinds:
                        op("add_foreign_key", table, d.colname)
                elif sub == AT.AT_AddConstraint and isinstance(d, pg.Constraint):
                    if d.contype == CT.CONSTR_FOREIGN:
                        op("add_foreign_key", table, d.conname, safe=bool(d.skip_validation))
                    elif d.contype == CT.CONSTR_CHECK:
                        op("add_check", table, d.conname, safe=bool(d.skip_validation))
    return ops


logging.getLogger("sqlglot").setLevel(logging.ERROR)


def _glot_ops(stmt: str, line: int, excerpt: str, dialect: str) -> list[Operation]:
    import sqlglot
    from sqlglot import exp

    try:
        trees = sqlglot.parse(stmt, read="mysql" if dialect == "mysql" else "sqlite")
    except sqlglot.errors.SqlglotError as exc:
        raise _SqlError(str(exc).splitlines()[0]) from None
    ops: list[Operation] = []

    def op(kind: str, table: str | None, column: str | None = None) -> None:
        ops.append(Operation(kind, line, table.lower() if table else None, column.lower() if column else None,
                             excerpt))

    for e in trees:
        if e is None:
            continue
        tbl = e.find(exp.Table)
        table = tbl.name if tbl is not None else None
        kind = str(e.args.get("kind") or "").upper()
        if isinstance(e, exp.Create) and kind == "TABLE":
            op("create_table", table)
        elif isinstance(e, exp.Drop) and kind == "TABLE":
            for t in e.find_all(exp.Table):
                op("drop_table", t.name)
        elif isinstance(e, exp.TruncateTable):
            op("truncate", table)
        elif isinstance(e, exp.Alter):
            for a in e.args.get("actions") or ():
                if isinstance(a, exp.Drop) and str(a.args.get("kind") or "").upper() == "COLUMN":
                    op("drop_column", table, a.find(exp.Column).name if a.find(exp.Column) else None)
                elif isinstance(a, exp.RenameColumn):
                    op("rename_column", table, a.this.name)
                elif isinstance(a, exp.AlterRename):
                    op("rename_table", table, a.this.name)
                elif isinstance(a, (exp.ModifyColumn, exp.AlterColumn)):
                    if isinstance(a, exp.AlterColumn) and a.args.get("dtype") is None:
                        continue
                    col = a.args.get("rename_from") or a.this
                    op("rename_column" if a.args.get("rename_from") else "alter_type", table,
                       getattr(col, "name", None))
        elif isinstance(e, exp.Command) and str(e.this).upper() == "RENAME":
            m = re.match(r"\s*TABLE\s+`?(\w+)`?\s+TO\s+`?(\w+)", e.expression.name if e.expression else "", re.I)
            if m:
                op("rename_table", m[1], m[2])
    return ops


# --- Python: Django and Alembic ------------------------------------------------------------------------------------
def _parse_py(analysis: MigrationAnalysis, text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except SyntaxError as exc:
        analysis.error = (exc.lineno, f"Python syntax error: {exc.msg}")
        return None


def _const(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Call) and node.args:  # sa.text("..."), migrations.RunSQL(sql=...)
        return _const(node.args[0])
    return None


def _arg(call: ast.Call, pos: int, kw: str) -> ast.AST | None:
    for k in call.keywords:
        if k.arg == kw:
            return k.value
    return call.args[pos] if len(call.args) > pos else None


def _fname(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _embedded_sql(analysis: MigrationAnalysis, node: ast.AST | None) -> None:
    sql = _const(node)
    if sql and node is not None:
        ops, err = sql_operations(sql, analysis.migration.dialect, line_offset=node.lineno - 1)
        analysis.operations.extend(ops)
        analysis.error = analysis.error or err


def _django(analysis: MigrationAnalysis, text: str) -> None:
    tree = _parse_py(analysis, text)
    if tree is None:
        return
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and isinstance(node.value, (ast.List, ast.Tuple))
                and any(isinstance(t, ast.Name) and t.id == "operations" for t in node.targets)):
            _django_ops(analysis, node.value.elts)


def _django_ops(analysis: MigrationAnalysis, elts: list[ast.expr]) -> None:
    ops = analysis.operations
    for call in elts:
        if not isinstance(call, ast.Call):
            continue
        name, line = _fname(call), call.lineno
        model = _const(_arg(call, 0, "model_name"))
        model = model.lower() if model else None
        excerpt = ast.unparse(call).split("\n")[0][:200]
        if name == "CreateModel":
            ops.append(Operation("create_table", line, (_const(_arg(call, 0, "name")) or "").lower(), text=excerpt))
        elif name == "DeleteModel":
            ops.append(Operation("drop_table", line, (_const(_arg(call, 0, "name")) or "").lower(), text=excerpt))
        elif name == "RemoveField":
            ops.append(Operation("drop_column", line, model, _const(_arg(call, 1, "name")), excerpt))
        elif name == "RenameField":
            ops.append(Operation("rename_column", line, model, _const(_arg(call, 1, "old_name")), excerpt))
        elif name == "RenameModel":
            ops.append(Operation("rename_table", line, (_const(_arg(call, 0, "old_name")) or "").lower(),
                                 text=excerpt))
        elif name == "AlterField":  # may only change help_text; recorded, never a finding on its own
            ops.append(Operation("alter_field", line, model, _const(_arg(call, 1, "name")), excerpt))
        elif name in ("AddIndex", "AddIndexConcurrently"):
            ops.append(Operation("create_index", line, model, text=excerpt, safe=name == "AddIndexConcurrently"))
        elif name in ("RunPython", "RunSQL"):
            reverse = _arg(call, 1, "reverse_code" if name == "RunPython" else "reverse_sql")
            if reverse is None or (isinstance(reverse, ast.Constant) and reverse.value is None):
                analysis.irreversible = analysis.irreversible or (line, f"{name} without a reverse")
            if name == "RunSQL":
                _embedded_sql(analysis, _arg(call, 0, "sql"))
        elif name == "SeparateDatabaseAndState":
            db_ops = _arg(call, 0, "database_operations")
            if isinstance(db_ops, (ast.List, ast.Tuple)):
                _django_ops(analysis, db_ops.elts)


def _alembic(analysis: MigrationAnalysis, text: str) -> None:
    tree = _parse_py(analysis, text)
    if tree is None:
        return
    funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    up, down = funcs.get("upgrade"), funcs.get("downgrade")
    if down is None:
        analysis.irreversible = ((up.lineno if up else 1), "no downgrade() function")
    elif _empty_body(down.body):
        analysis.irreversible = (down.lineno, "downgrade() does nothing or raises")
    if up is None:
        return
    batch: dict[str, str] = {}  # `with op.batch_alter_table("t") as b:` -> b is bound to table t
    for node in ast.walk(up):
        if isinstance(node, ast.With):
            for item in node.items:
                ce = item.context_expr
                if isinstance(ce, ast.Call) and _fname(ce) == "batch_alter_table" and isinstance(
                        item.optional_vars, ast.Name):
                    batch[item.optional_vars.id] = (_const(_arg(ce, 0, "table_name")) or "").lower()
    for node in ast.walk(up):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)):
            continue
        target = node.func.value.id
        if target != "op" and target not in batch:
            continue
        _alembic_call(analysis, node, batch.get(target))


def _empty_body(body: list[ast.stmt]) -> bool:
    for stmt in body:
        if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            continue
        return isinstance(stmt, ast.Raise)
    return True


def _alembic_call(analysis: MigrationAnalysis, call: ast.Call, batch_table: str | None) -> None:
    name, line = call.func.attr, call.lineno  # type: ignore[union-attr]
    shift = 0 if batch_table is None else -1  # batch operations drop the table argument

    def a(pos: int, kw: str) -> str | None:
        if batch_table is not None and kw == "table_name":
            return batch_table
        value = _const(_arg(call, pos + shift, kw)) if pos + shift >= 0 else None
        return value.lower() if value and kw in ("table_name", "source_table", "old_table_name") else value

    excerpt = ast.unparse(call).split("\n")[0][:200]
    ops = analysis.operations
    kws = {k.arg: k.value for k in call.keywords}
    if name == "create_table":
        ops.append(Operation("create_table", line, a(0, "table_name"), text=excerpt))
    elif name == "drop_table":
        ops.append(Operation("drop_table", line, a(0, "table_name"), text=excerpt))
    elif name == "drop_column":
        ops.append(Operation("drop_column", line, a(0, "table_name"), a(1, "column_name"), excerpt))
    elif name == "rename_table":
        ops.append(Operation("rename_table", line, a(0, "old_table_name"), a(1, "new_table_name"), excerpt))
    elif name == "alter_column":
        table, col = a(0, "table_name"), a(1, "column_name")
        if "type_" in kws:
            ops.append(Operation("alter_type", line, table, col, excerpt))
        if "new_column_name" in kws:
            ops.append(Operation("rename_column", line, table, col, excerpt))
        nullable = kws.get("nullable")
        if isinstance(nullable, ast.Constant) and nullable.value is False:
            ops.append(Operation("set_not_null", line, table, col, excerpt))
    elif name == "create_index":
        conc = kws.get("postgresql_concurrently")
        safe = isinstance(conc, ast.Constant) and conc.value is True
        ops.append(Operation("create_index", line, a(1, "table_name"), text=excerpt, safe=safe))
    elif name == "create_foreign_key":
        ops.append(Operation("add_foreign_key", line, a(1, "source_table"), a(0, "constraint_name"), excerpt))
    elif name == "create_check_constraint":
        ops.append(Operation("add_check", line, a(1, "table_name"), a(0, "constraint_name"), excerpt))
    elif name == "add_column":
        col = _arg(call, 1 + shift, "column")
        if isinstance(col, ast.Call):
            ckw = {k.arg: k.value for k in col.keywords}
            nn = ckw.get("nullable")
            if (isinstance(nn, ast.Constant) and nn.value is False and "server_default" not in ckw
                    and not any(isinstance(x, ast.Constant) and x.value is True for x in [ckw.get("primary_key")])):
                ops.append(Operation("add_column_not_null", line, a(0, "table_name"), _const(col), excerpt))
    elif name == "execute":
        _embedded_sql(analysis, _arg(call, 0, "sqltext"))


# --- source scanning for PHP, Ruby and JavaScript (no tree-sitter here) -----------------------------------------
def _after_string(text: str, start: int) -> int:
    """The index just past the string literal opening at `start` (backslash escapes honoured)."""
    quote, j, n = text[start], start + 1, len(text)
    while j < n and text[j] != quote:
        j += 2 if text[j] == "\\" else 1
    return j + 1


def strip_comments(text: str, line_comment: tuple[str, ...], quotes: str = "'\"") -> str:
    """Blank out comments (keeping newlines and offsets) without touching strings, so regexes neither
    match commented-out code nor lose line numbers."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in quotes:
            i = _after_string(text, i)
            continue
        if text.startswith("/*", i) and "//" in line_comment:
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif any(text.startswith(lc, i) for lc in line_comment):
            j = text.find("\n", i)
            j = n if j < 0 else j
        else:
            i += 1
            continue
        for k in range(i, j):
            if out[k] != "\n":
                out[k] = " "
        i = j
    return "".join(out)


def _block(text: str, open_pos: int, quotes: str = "'\"") -> str:
    """Text between the brace at `open_pos` and its match, skipping braces inside strings."""
    depth, i, n = 0, open_pos, len(text)
    while i < n:
        c = text[i]
        if c in quotes:
            i = _after_string(text, i)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return text[open_pos + 1: i]
        i += 1
    return text[open_pos + 1:]


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _excerpt(text: str, pos: int) -> str:
    end = text.find("\n", pos)
    return text[pos: end if end >= 0 else None].strip()[:200]


_PHP_FUNC = re.compile(r"function\s+(up|down)\s*\([^)]*\)\s*(?::\s*\w+\s*)?\{")
_PHP_CLASS = re.compile(r"class\s+\w+\s+extends\s+Migration|return\s+new\s+class")
_LV_SCHEMA = re.compile(r"Schema::(?:connection\([^)]*\)->)?(create|drop|dropIfExists|rename|table)\(\s*['\"](\w+)['\"]"
                        r"(?:\s*,\s*['\"](\w+)['\"])?")
_LV_COLTYPES = ("string|integer|bigInteger|smallInteger|tinyInteger|unsignedBigInteger|unsignedInteger|boolean|text|"
                "longText|mediumText|json|jsonb|date|dateTime|timestamp|time|decimal|float|double|uuid|enum|char|"
                "foreignId|foreignUuid|binary|year|ipAddress")
_LV_STMT = re.compile(r"\$\w+->(\w+)\(\s*(?:\[\s*)?['\"]?(\w*)['\"]?([^;]*);")


def _laravel(analysis: MigrationAnalysis, raw: str) -> None:
    text = strip_comments(raw, ("//", "#"))
    bodies = {m[1]: (m.end() - 1, m.start()) for m in _PHP_FUNC.finditer(text)}
    cls = _PHP_CLASS.search(text)
    if "down" not in bodies:
        analysis.irreversible = (_line(text, cls.start()) if cls else 1, "no down() method")
    elif not _block(text, bodies["down"][0]).strip():
        analysis.irreversible = (_line(text, bodies["down"][1]), "down() is empty")
    if "up" not in bodies:
        return
    start = bodies["up"][0]
    up = _block(text, start)
    ops = analysis.operations
    for m in _LV_SCHEMA.finditer(up):
        pos = start + 1 + m.start()
        line, ex, verb, table = _line(text, pos), _excerpt(text, pos), m[1], m[2].lower()
        if verb == "create":
            ops.append(Operation("create_table", line, table, text=ex))
        elif verb in ("drop", "dropIfExists"):
            ops.append(Operation("drop_table", line, table, text=ex))
        elif verb == "rename":
            ops.append(Operation("rename_table", line, table, (m[3] or "").lower() or None, ex))
        elif verb == "table":
            brace = up.find("{", m.end())
            if brace >= 0:
                _laravel_table(analysis, text, start + 1 + brace, table)
    for m in re.finditer(r"DB::(?:statement|unprepared)\(\s*(['\"])(.*?)(?<!\\)\1", up, re.S):
        ops_sql, err = sql_operations(m[2], analysis.migration.dialect, _line(text, start + 1 + m.start(2)) - 1)
        ops.extend(ops_sql)
        analysis.error = analysis.error or err


def _laravel_table(analysis: MigrationAnalysis, text: str, brace: int, table: str) -> None:
    body = _block(text, brace)
    for m in _LV_STMT.finditer(body):
        pos = brace + 1 + m.start()
        method, col, rest = m[1], m[2] or None, m[3]
        line, ex = _line(text, pos), _excerpt(text, pos)
        op = None
        if method == "dropColumn" or method == "dropColumns":
            for name in re.findall(r"['\"](\w+)['\"]", m.group(0)):
                analysis.operations.append(Operation("drop_column", line, table, name.lower(), ex))
        elif method == "renameColumn":
            op = Operation("rename_column", line, table, col, ex)
        elif "->change()" in rest:
            op = Operation("alter_type", line, table, col, ex)
        elif method in ("index", "unique"):
            op = Operation("create_index", line, table, col, ex)
        elif method == "foreign" or (method == "foreignId" and "->constrained(" in rest):
            op = Operation("add_foreign_key", line, table, col, ex)
            if method == "foreignId" and not re.search(r"->(nullable|default)\(", rest):
                analysis.operations.append(Operation("add_column_not_null", line, table, col, ex))
        elif re.fullmatch(_LV_COLTYPES, method) and not re.search(r"->(nullable|default|useCurrent)\(", rest):
            op = Operation("add_column_not_null", line, table, col, ex)
        if op:
            analysis.operations.append(replace(op, column=op.column.lower() if op.column else None))


_RB_DEF = re.compile(r"^(\s*)def\s+(?:self\.)?(change|up|down)\b", re.M)
_RB_SYM = r"""[:"']?(\w+)["']?"""
_RB_OPS = [
    ("create_table", re.compile(rf"^\s*create_table\s*\(?\s*{_RB_SYM}")),
    ("drop_table", re.compile(rf"^\s*drop_table\s*\(?\s*{_RB_SYM}")),
    ("drop_column", re.compile(rf"^\s*remove_columns?\s*\(?\s*{_RB_SYM}\s*,\s*{_RB_SYM}")),
    ("rename_column", re.compile(rf"^\s*rename_column\s*\(?\s*{_RB_SYM}\s*,\s*{_RB_SYM}")),
    ("rename_table", re.compile(rf"^\s*rename_table\s*\(?\s*{_RB_SYM}\s*,\s*{_RB_SYM}")),
    ("alter_type", re.compile(rf"^\s*change_column\s*\(?\s*{_RB_SYM}\s*,\s*{_RB_SYM}")),
    ("set_not_null", re.compile(rf"^\s*change_column_null\s*\(?\s*{_RB_SYM}\s*,\s*{_RB_SYM}\s*,\s*false")),
    ("create_index", re.compile(rf"^\s*add_index\s*\(?\s*{_RB_SYM}")),
    ("add_foreign_key", re.compile(rf"^\s*add_foreign_key\s*\(?\s*{_RB_SYM}")),
    ("add_check", re.compile(rf"^\s*add_check_constraint\s*\(?\s*{_RB_SYM}")),
    ("add_column_not_null", re.compile(rf"^\s*add_column\s*\(?\s*{_RB_SYM}\s*,\s*{_RB_SYM}.*\bnull:\s*false")),
]
_RB_TBL_OPS = {"remove": "drop_column", "rename": "rename_column", "change": "alter_type"}


def _rb_blocks(lines: list[str]) -> dict[str, tuple[int, int]]:
    """def change/up/down -> (first, last) 0-based line range, ended by `end` at the def's indent."""
    out: dict[str, tuple[int, int]] = {}
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*)def\s+(?:self\.)?(change|up|down)\b", line)
        if m:
            end = next((j for j in range(i + 1, len(lines)) if re.match(rf"^{m[1]}end\b", lines[j])), len(lines))
            out[m[2]] = (i, end)
    return out


def _rails(analysis: MigrationAnalysis, raw: str) -> None:
    text = strip_comments(raw, ("#",))
    text = re.sub(r"^=begin.*?^=end", lambda m: re.sub(r"[^\n]", " ", m[0]), text, flags=re.M | re.S)
    lines = text.split("\n")
    blocks = _rb_blocks(lines)
    if "up" in blocks and "down" not in blocks:
        analysis.irreversible = (blocks["up"][0] + 1, "up without down")
    if "down" in blocks:
        a, b = blocks["down"]
        for i in range(a, b):
            if "IrreversibleMigration" in lines[i]:
                analysis.irreversible = (i + 1, "down raises ActiveRecord::IrreversibleMigration")
                break
    section = "change" if "change" in blocks else "up" if "up" in blocks else None
    if section is None:
        return
    a, b = blocks[section]
    in_change = section == "change"
    covered = in_change and bool(re.search(r"\breversible\s+do\b|\bup_only\b", "\n".join(lines[a:b])))
    tbl_ctx: list[tuple[str, str, str]] = []  # (indent, block variable, table) of open change_table blocks
    for i in range(a + 1, b):
        line = lines[i]
        if tbl_ctx and re.match(rf"^{tbl_ctx[-1][0]}end\b", line):
            tbl_ctx.pop()
            continue
        m = re.match(rf"^(\s*)change_table\s*\(?\s*{_RB_SYM}.*\bdo\s*\|(\w+)\|", line)
        if m:
            tbl_ctx.append((m[1], m[3], m[2].lower()))
            continue
        ex = line.strip()[:200]
        for kind, rx in _RB_OPS:
            m = rx.match(line)
            if not m:
                continue
            col = m[2].lower() if m.lastindex and m.lastindex >= 2 else None
            safe = ((kind == "create_index" and "algorithm: :concurrently" in line)
                    or (kind in ("add_foreign_key", "add_check") and "validate: false" in line)
                    or (kind == "add_column_not_null" and "default:" in line))
            analysis.operations.append(Operation(kind, i + 1, m[1].lower(), col, ex, safe))
            if in_change and _rb_irreversible_in_change(kind, line):
                analysis.irreversible = analysis.irreversible or (i + 1, f"`{ex.split()[0]}` cannot be reversed "
                                                                         "inside change")
            break
        if tbl_ctx:
            m = re.match(rf"^\s*{tbl_ctx[-1][1]}\.(remove|rename|change)\s*\(?\s*{_RB_SYM}", line)
            if m:
                kind = _RB_TBL_OPS[m[1]]
                analysis.operations.append(Operation(kind, i + 1, tbl_ctx[-1][2], m[2].lower(), ex))
                if in_change and (m[1] == "change" or (m[1] == "remove" and "type:" not in line
                                                      and line.count(",") < 1)):
                    analysis.irreversible = analysis.irreversible or (i + 1, f"`{ex}` cannot be reversed inside change")
        if in_change and not covered and re.match(r"^\s*execute\b", line):
            analysis.irreversible = analysis.irreversible or (i + 1, "raw execute inside change has no reverse")


def _rb_irreversible_in_change(kind: str, line: str) -> bool:
    if kind == "alter_type":
        return True
    if kind == "drop_table":
        return not re.search(r"\bdo\b|\{", line)
    if kind == "drop_column":
        return "type:" not in line if "remove_columns" in line else line.count(",") < 2
    return False


_JS_FUNC = re.compile(r"(?:exports\.(up|down)\s*=|export\s+(?:async\s+)?function\s+(up|down)\b|"
                      r"export\s+const\s+(up|down)\s*=)")
_JS_CTX = re.compile(r"\.(createTable|createTableIfNotExists|table|alterTable)\(\s*['\"`](\w+)")
_JS_OPS = re.compile(r"\.(dropTable|dropTableIfExists|renameTable)\(\s*['\"`](\w+)['\"`](?:\s*,\s*['\"`](\w+))?"
                     r"|\.(dropColumns?|renameColumn|index|unique|foreign)\(\s*(?:\[\s*)?['\"`](\w+)"
                     r"|\.(\w+)\(\s*['\"`](\w+)['\"`][^;\n]*?\.alter\(\)"
                     r"|\.raw\(\s*(['\"`])(.*?)(?<!\\)\8", re.S)


def _js_body(text: str, pos: int) -> tuple[str, int]:
    """Body of the function starting at `pos`: a braced block, or an arrow's expression up to `;`."""
    m = re.compile(r"\s*(?:async\s+)?(?:function\s*\w*\s*)?(?:\([^)]*\)|\w+)\s*(?:=>)?\s*").match(text, pos)
    start = m.end() if m else pos
    if start < len(text) and text[start] == "{":
        return _block(text, start, "'\"`"), start + 1
    end = text.find(";", start)
    return text[start: end if end >= 0 else None], start


def _knex(analysis: MigrationAnalysis, raw: str) -> None:
    text = strip_comments(raw, ("//",), "'\"`")
    funcs = {next(g for g in m.groups() if g): m for m in _JS_FUNC.finditer(text)}
    if "down" not in funcs:
        up_m = funcs.get("up")
        analysis.irreversible = (_line(text, up_m.start()) if up_m else 1, "no down migration exported")
    else:
        body, _ = _js_body(text, funcs["down"].end())
        if not re.sub(r"[\s{}();]|return|Promise\.resolve|async", "", body):
            analysis.irreversible = (_line(text, funcs["down"].start()), "down() does nothing")
    if "up" not in funcs:
        return
    body, off = _js_body(text, funcs["up"].end())
    ctx = [(m.start(), m[1], m[2].lower()) for m in _JS_CTX.finditer(body)]
    ops = analysis.operations
    for m in _JS_CTX.finditer(body):
        if m[1].startswith("createTable"):
            ops.append(Operation("create_table", _line(text, off + m.start()), m[2].lower(),
                                 text=_excerpt(text, off + m.start())))
    for m in _JS_OPS.finditer(body):
        pos = off + m.start()
        line, ex = _line(text, pos), _excerpt(text, pos)
        here = [c for c in ctx if c[0] < m.start()]
        table = here[-1][2] if here else None
        if m[1]:
            kind = {"dropTable": "drop_table", "dropTableIfExists": "drop_table", "renameTable": "rename_table"}[m[1]]
            ops.append(Operation(kind, line, m[2].lower(), (m[3] or "").lower() or None, ex))
        elif m[4]:
            kind = {"dropColumn": "drop_column", "dropColumns": "drop_column", "renameColumn": "rename_column",
                    "index": "create_index", "unique": "create_index", "foreign": "add_foreign_key"}[m[4]]
            ops.append(Operation(kind, line, table, m[5].lower(), ex))
        elif m[6]:
            ops.append(Operation("alter_type", line, table, m[7].lower(), ex))
        elif m[8] is not None:
            sql_ops, err = sql_operations(m[9], analysis.migration.dialect, _line(text, off + m.start(9)) - 1)
            ops.extend(sql_ops)
            analysis.error = analysis.error or err
