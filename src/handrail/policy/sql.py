"""Find destructive statements in SQL an agent sends to a database client.

A cheap keyword test runs first; only text that mentions DROP/TRUNCATE/DELETE/UPDATE/ALTER pays for a real
parser (pglast for PostgreSQL, sqlglot for MySQL/SQLite), imported on first use. A statement the parser
cannot read falls back to keyword rules, so unparseable SQL is never silently allowed.
"""

from __future__ import annotations

import re

from handrail.policy.rules.base import LazyRe

HINT = LazyRe(r"(?i)\b(drop|truncate|delete|update|alter|replace|rename)\b")
_COMMENT = LazyRe(r"--[^\n]*|/\*.*?\*/", re.S)
_META = LazyRe(r"(?m)^\s*\\.*$")  # psql meta-commands (\c, \dt, \i)
_FALLBACK = (
    (LazyRe(r"(?i)\bdrop\s+(table|database|schema|view|index|user|role|owned|materialized|column|type)\b"),
     "DROP"),
    (LazyRe(r"(?i)\btruncate\b"), "TRUNCATE"),
    (LazyRe(r"(?i)\bdelete\s+from\s+[\w.`\"\[\]]+\s*(;|$)"), "DELETE without WHERE"),
    (LazyRe(r"(?i)\bupdate\s+[\w.`\"\[\]]+\s+set\b(?![^;]*\bwhere\b)"), "UPDATE without WHERE"),
    (LazyRe(r"(?i)\balter\s+table\b[^;]*\bdrop\b"), "ALTER TABLE ... DROP"),
)


def destructive(sql: str, dialect: str = "postgres") -> list[str]:
    """Short descriptions of destructive statements ("DROP TABLE users", "DELETE FROM orders without WHERE")."""
    if not sql or not HINT.search(sql):
        return []
    text = _META.sub("", sql)
    try:
        found = _pg(text) if dialect == "postgres" else _glot(text, dialect)
    except Exception:
        found = None
    if found is None:
        clean = _COMMENT.sub(" ", text)
        found = [label for rx, label in _FALLBACK if rx.search(clean)]
    return found


def _pg(sql: str) -> list[str] | None:
    try:
        import pglast
        from pglast import ast
    except ImportError:
        return None
    try:
        stmts = pglast.parse_sql(sql)
    except pglast.parser.ParseError:
        return None
    out = []
    for raw in stmts:
        s = raw.stmt
        if isinstance(s, ast.DropStmt):
            kind = str(getattr(s.removeType, "name", s.removeType)).removeprefix("OBJECT_")
            out.append(f"DROP {kind}")
        elif isinstance(s, ast.DropdbStmt):
            out.append(f"DROP DATABASE {s.dbname}")
        elif isinstance(s, ast.TruncateStmt):
            out.append("TRUNCATE")
        elif isinstance(s, ast.DeleteStmt) and s.whereClause is None:
            out.append(f"DELETE FROM {getattr(s.relation, 'relname', '?')} without WHERE")
        elif isinstance(s, ast.UpdateStmt) and s.whereClause is None:
            out.append(f"UPDATE {getattr(s.relation, 'relname', '?')} without WHERE")
        elif isinstance(s, ast.AlterTableStmt):
            for c in s.cmds or ():
                sub = str(getattr(getattr(c, "subtype", None), "name", ""))
                if sub in ("AT_DropColumn", "AT_DropConstraint"):
                    out.append("ALTER TABLE ... DROP " + ("COLUMN" if sub == "AT_DropColumn" else "CONSTRAINT"))
    return out


def _glot(sql: str, dialect: str) -> list[str] | None:
    try:
        import logging

        import sqlglot
        from sqlglot import exp
    except ImportError:
        return None
    logging.getLogger("sqlglot").setLevel(logging.CRITICAL)  # its warnings on stderr would reach the agent
    try:
        stmts = sqlglot.parse(sql, read=dialect)
    except sqlglot.errors.SqlglotError:
        return None
    out = []
    for s in stmts:
        if s is None:
            continue
        if isinstance(s, exp.Command):
            return None  # sqlglot gave up on this statement: judge the text by keywords
        if isinstance(s, exp.Drop):
            out.append(f"DROP {s.args.get('kind') or ''}".strip())
        elif isinstance(s, exp.TruncateTable):
            out.append("TRUNCATE")
        elif isinstance(s, exp.Delete) and s.args.get("where") is None:
            out.append(f"DELETE FROM {_name(s)} without WHERE")
        elif isinstance(s, exp.Update) and s.args.get("where") is None:
            out.append(f"UPDATE {_name(s)} without WHERE")
        elif isinstance(s, exp.Alter) and any(isinstance(a, exp.Drop) for a in s.args.get("actions") or ()):
            out.append("ALTER TABLE ... DROP")
    return out


def _name(stmt: object) -> str:
    table = getattr(stmt, "this", None)
    return str(getattr(table, "name", "") or "?")


def keyword_destructive(text: str) -> list[str]:
    """Keyword-only test for SQL inside other code (python -c, node -e), where no SQL parser applies."""
    if not text or not HINT.search(text):
        return []
    clean = _COMMENT.sub(" ", text)
    return [label for rx, label in _FALLBACK if rx.search(clean)]
