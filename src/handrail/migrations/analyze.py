"""What each migration does to the schema, and which of those operations deserve a finding.

Parsers: PostgreSQL SQL with pglast (libpg_query, the server's own grammar), MySQL/SQLite SQL with sqlglot,
Django and Alembic with `ast`. Laravel PHP, Rails Ruby and knex JavaScript/TypeScript are parsed with
tree-sitter (migrations/lang, imported lazily): comments, heredocs and template literals are never mistaken
for code, and helper methods `up` calls are followed; values computed at run time (a table name from config,
interpolated SQL) are reported as written or skipped, never guessed.

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
    else:  # Laravel PHP, Rails Ruby, knex JS/TS: tree-sitter, imported only when such a file is analysed
        from handrail.migrations.lang import analyze_code

        analyze_code(analysis, text)
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
                # how long a lock lasts depends on table size the repository cannot show; a NOT NULL column
                # without a default fails outright on any table with rows
                severity=Severity.MEDIUM if op.kind == "add_column_not_null" else Severity.LOW,
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


# --- comment stripping (PHP, Ruby and JavaScript are parsed with tree-sitter in migrations/lang) ----------------
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

