"""Replay PostgreSQL migrations with pglast into a model of what the database enforces.

Why a replay and not a live catalog: `handrail check` must work without a database, and the migrations are
the only record of how RLS, policies and grants evolved (a later `DISABLE ROW LEVEL SECURITY` matters even if
nobody looks at the schema again). The replay is static: DDL is applied to an in-memory model, the static SQL
inside DO blocks is applied too (AI tools wrap `drop policy`/`create policy` in `IF EXISTS` guards), dynamic
EXECUTE strings and function bodies are noted but never executed, and a file pglast cannot parse is recorded and
skipped statement by statement so one broken migration does not hide the other ninety-nine.

Supabase specifics are modelled because they decide exposure: PostgREST serves the `public` schema (or the
schemas in supabase/config.toml) and Supabase's default privileges grant every new table and function in it to
`anon` and `authenticated`, so "no RLS" there means "readable with the anon key in the browser".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pglast
from pglast import ast
from pglast.enums import AlterTableType, ConstrType, FunctionParameterMode, ObjectType, RoleSpecType
from pglast.stream import RawStream

if TYPE_CHECKING:
    from handrail.core.project import Project

API_ROLES = frozenset({"anon", "authenticated", "public"})
TABLE_PRIVS = frozenset({"select", "insert", "update", "delete"})
OWNER_NAMES = frozenset({"user_id", "owner_id", "author_id", "created_by", "creator_id", "profile_id",
                         "owner", "user_uuid", "uid", "auth_id", "auth_user_id", "account_id", "member_id"})
# Columns that make a row personal data even without an owner column: everyone reading them is a leak.
PII_NAMES = frozenset({"email", "email_address", "phone", "phone_number", "mobile", "telefone", "celular", "whatsapp",
                       "address", "street", "street_address", "home_address", "endereco", "first_name", "last_name",
                       "full_name", "date_of_birth", "dob", "birth_date", "birthday", "ssn", "cpf", "tax_id",
                       "national_id", "passport_number", "iban", "card_number", "password", "password_hash",
                       "ip_address", "medical_notes", "diagnosis", "salary"})
# Tables that are user records by name (a profiles table keyed by id is still user data).
USER_TABLES = frozenset({"users", "profiles", "user_profiles", "app_users", "customers", "patients", "employees",
                         "members", "accounts"})
# Columns whose value is a privilege or money: whoever writes them freely can make themselves admin or rich.
PRIVILEGE_NAMES = frozenset({"role", "roles", "user_role", "app_role", "is_admin", "admin", "is_super_admin",
                             "is_superadmin", "is_staff", "is_moderator", "permissions", "access_level",
                             "balance", "wallet_balance", "credits", "credit_balance", "plan", "subscription_tier",
                             "subscription_status", "is_premium", "is_verified"})
PRIVILEGE_TABLES = frozenset({"user_roles", "roles", "permissions", "user_permissions", "admins", "admin_users",
                              "role_assignments", "user_role_assignments"})
AUTH_FUNCS = frozenset({"uid", "jwt", "email", "role"})
# Calls that cannot carry an identity check; any other function in a policy may delegate one (is_member(...)).
_BUILTIN_FUNCS = frozenset({"now", "coalesce", "lower", "upper", "length", "current_date", "current_timestamp",
                            "nullif", "greatest", "least", "trim", "btrim", "char_length", "array_length",
                            "jsonb_typeof", "to_jsonb", "date_trunc", "extract", "cardinality"})
_SUPABASE_HINT = re.compile(r"\bauth\s*\.\s*(uid|jwt)\s*\(|\b(to|from)\s+(anon|authenticated)\b", re.I)
DEFAULT_EXPOSED = ("public", "graphql_public")
_CALLER_CHECK = re.compile(r"\bauth\s*\.\s*(uid|jwt|role)\s*\("
                           r"|\b(has|is|check)_\w*(role|member|owner|admin|access)\w*\s*\("
                           r"|\bcurrent_user_\w+\s*\(", re.I)
_TOUCHES = re.compile(r"\b(from|join|into|update)\s+[\w\".]+|\bexecute\s", re.I)
_USER_PARAM = re.compile(r"^_?(p_|in_|target_|the_)?(user|profile|member|customer|account|owner|auth_user)"
                         r"(_?id|_uuid)?$|^_?(p_|in_|target_)?(email|user_email|uid)$", re.I)
_SECRET_PARAM = re.compile(r"(token|code|otp|secret|password|passcode|pin|nonce|signature|hash)$", re.I)
_WRITE_TARGET = re.compile(r"\b(?:insert\s+into|update|delete\s+from)\s+(?:only\s+)?([\w\".]+)", re.I)
_LOG_TABLE = re.compile(r"(log|logs|audit\w*|events?|history|attempts?|analytics|metrics)\"?$", re.I)
_WRITES = re.compile(r"\b(insert\s+into|update\s+\w|delete\s+from|truncate|alter\s+table|drop\s|execute\s|http)", re.I)
_SCALAR = frozenset({"boolean", "integer", "bigint", "smallint", "numeric", "text", "uuid", "real", "float8",
                     "double precision", "date", "timestamptz", "void", "varchar"})


@dataclass(frozen=True)
class Where:
    """A file and 1-based line: every element of the model keeps one so findings point at the SQL."""

    path: str
    line: int


@dataclass
class Column:
    name: str
    type: str
    where: Where
    references: str | None = None  # "auth.users", "public.profiles"

    @property
    def is_owner(self) -> bool:
        """A column that says whose row this is: the thing a policy must compare with auth.uid()."""
        if self.references == "auth.users":
            return True
        return self.name.lower() in OWNER_NAMES and (self.type in ("uuid", "text", "varchar")
                                                     or self.references is not None)


@dataclass
class Table:
    schema: str
    name: str
    where: Where
    columns: dict[str, Column] = field(default_factory=dict)
    rls: bool = False
    rls_where: Where | None = None
    forced: bool = False
    disabled_where: Where | None = None  # the last DISABLE ROW LEVEL SECURITY after an ENABLE
    grants: dict[str, set[str]] = field(default_factory=dict)
    default_granted: bool = False  # reachable only through Supabase's default privileges, not an explicit GRANT
    explicit_grant: Where | None = None
    update_triggers: list[str] = field(default_factory=list)  # BEFORE UPDATE row triggers: functions that may veto
    column_grants: bool = False  # GRANT/REVOKE UPDATE (col, ...): the API can change only some columns

    @property
    def qname(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def owner_columns(self) -> list[Column]:
        return [c for c in self.columns.values() if c.is_owner]

    @property
    def pii_columns(self) -> list[Column]:
        return [c for c in self.columns.values() if c.name in PII_NAMES]

    @property
    def user_data(self) -> str:
        """Why rows of this table are personal ("owner column user_id", "column email", "a users table"), or ""
        for a catalogue: the line between "readable by everyone by design" and "a leak"."""
        if self.owner_columns:
            return f"owner column {self.owner_columns[0].name}"
        if self.pii_columns:
            return f"column {self.pii_columns[0].name}"
        if self.name in USER_TABLES:
            return f"a {self.name} table"
        return ""

    @property
    def privilege(self) -> str:
        """Why writing rows here grants power (a role, admin flag or balance column), or ""."""
        if self.name in PRIVILEGE_TABLES:
            return f"the {self.name} table"
        cols = [c for c in self.columns.values() if c.name in PRIVILEGE_NAMES]
        return f"column {cols[0].name}" if cols else ""

    def api_privileges(self) -> set[str]:
        """Table privileges anon/authenticated hold, directly or through PUBLIC."""
        return {p for role in API_ROLES for p in self.grants.get(role, set())}


@dataclass
class Expr:
    """A policy expression: SQL text plus the facts the rules need, computed once from the AST."""

    sql: str
    always_true: bool = False
    signed_in_only: bool = False  # auth.uid() IS NOT NULL, auth.role() = 'authenticated'
    always_false: bool = False  # `false`, `1 = 0`: a "deny" policy that admits nobody
    service_only: bool = False  # auth.role() = 'service_role': the API roles never pass it
    identity_check: bool = False  # auth.uid()/auth.jwt() compared with something
    delegated: bool = False  # calls a helper function or a subquery that may hold the check
    columns: frozenset[str] = frozenset()

    @property
    def refs_auth(self) -> bool:
        return self.identity_check or self.signed_in_only


@dataclass
class Policy:
    name: str
    schema: str
    table: str
    command: str  # all, select, insert, update, delete
    roles: tuple[str, ...]
    permissive: bool
    using: Expr | None
    check: Expr | None
    where: Where

    @property
    def api_roles(self) -> set[str]:
        return set(self.roles) & API_ROLES

    def exprs(self) -> list[Expr]:
        return [e for e in (self.using, self.check) if e is not None]


@dataclass
class View:
    schema: str
    name: str
    where: Where
    security_invoker: bool
    materialized: bool
    sources: tuple[str, ...] = ()
    revoked: set[str] = field(default_factory=set)
    filters_caller: bool = False  # the query itself compares rows with auth.uid(): a hand-made row filter

    @property
    def qname(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass
class Function:
    schema: str
    name: str
    where: Where
    security_definer: bool
    returns: str
    language: str
    execute: set[str] = field(default_factory=set)
    checks_caller: bool = False  # the body looks at auth.uid()/auth.jwt() or a has_role/is_member helper
    writes: bool = False  # the body changes data or calls out (DML, DDL, dynamic SQL, http)
    returns_rows: bool = True  # a set, a row type or json: it can hand out other users' data
    touches_tables: bool = True  # a pure helper (crypt(), a constant) gains nothing from SECURITY DEFINER
    user_params: tuple[str, ...] = ()  # parameters naming a user (p_user_id, _email): it acts on whoever is passed
    secret_param: bool = False  # takes a token/code/OTP/password: a flow gated on a secret, not on the caller
    log_only: bool = False  # every write goes to a log/audit/attempts table: forged entries, not changed data
    changes_rows: bool = False  # UPDATE or DELETE: it alters existing rows, not only adds new ones
    row_columns: frozenset[str] = frozenset()  # NEW.x / OLD.x in a trigger body: the columns it inspects

    @property
    def qname(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass
class Event:
    """Something a later reader must not miss: disable RLS, drop policy, renames and drops."""

    kind: str
    target: str
    where: Where
    detail: str = ""


@dataclass
class Unparsed:
    path: str
    line: int
    message: str


@dataclass
class PgModel:
    files: list[str] = field(default_factory=list)
    tables: dict[tuple[str, str], Table] = field(default_factory=dict)
    policies: list[Policy] = field(default_factory=list)
    views: dict[tuple[str, str], View] = field(default_factory=dict)
    functions: dict[tuple[str, str], Function] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    notes: list[Event] = field(default_factory=list)  # DO blocks and other statements not executed
    unparsed: list[Unparsed] = field(default_factory=list)
    supabase: bool = False
    exposed_schemas: tuple[str, ...] = DEFAULT_EXPOSED
    statements: int = 0
    # Supabase default privileges per schema: new tables/functions are granted to these roles.
    default_table_roles: dict[str, set[str]] = field(default_factory=dict)
    default_function_roles: dict[str, set[str]] = field(default_factory=dict)
    enums: set[str] = field(default_factory=set)  # user-defined enum types: scalar return values

    def policies_for(self, table: Table) -> list[Policy]:
        return [p for p in self.policies if (p.schema, p.table) == (table.schema, table.name)]

    def table(self, name: str) -> Table | None:
        schema, _, rel = name.rpartition(".")
        return self.tables.get((schema or "public", rel))


# --- discovery ------------------------------------------------------------------------------------------------


def migration_files(project: Project) -> list[str]:
    """Postgres migration files in apply order: Supabase by timestamp name, Prisma by folder, Drizzle by index.

    Families are kept apart (a repository rarely has two) and each is ordered by its own convention."""
    files = project.files
    supa = sorted((p for p in files.glob("**/supabase/migrations/*.sql") if p.count("/") <= 4), key=_natural)
    prisma = sorted(files.glob("**/prisma/migrations/*/migration.sql"),
                    key=lambda p: p.rsplit("/", 2)[-2])
    drizzle: list[str] = []
    for journal in files.glob("**/meta/_journal.json"):
        folder = journal.rsplit("/meta/", 1)[0]
        drizzle += sorted(p for p in files.glob(f"{folder}/*.sql") if p.count("/") == folder.count("/") + 1)
    return list(dict.fromkeys(supa + prisma + drizzle))


def _natural(path: str) -> list[Any]:
    """phase2 before phase10: hand-named migrations are numbered without padding; timestamps sort the same."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.lower())]


def build_model(project: Project) -> PgModel:
    """The model of a project's Postgres migrations (empty when it has none)."""
    paths = migration_files(project)
    sources = [(p, project.text(p) or "") for p in paths]
    supabase = bool(project.files.glob("**/supabase/config.toml")) or any("supabase/" in p for p in paths)
    exposed = DEFAULT_EXPOSED
    for cfg in project.files.glob("**/supabase/config.toml"):
        try:
            data = project.toml(cfg) or {}
        except Exception:  # a broken config.toml is another check's finding; keep the defaults
            continue
        schemas = (data.get("api") or {}).get("schemas")
        if isinstance(schemas, list) and all(isinstance(s, str) for s in schemas):
            exposed = tuple(schemas)
    return replay(sources, supabase=supabase or None, exposed_schemas=exposed)


# --- replay ---------------------------------------------------------------------------------------------------


def replay(sources: Iterable[tuple[str, str]], supabase: bool | None = None,
           exposed_schemas: tuple[str, ...] = DEFAULT_EXPOSED) -> PgModel:
    """Apply (path, sql) pairs in order. `supabase=None` guesses from the SQL (auth.uid(), anon roles)."""
    sources = list(sources)
    if supabase is None:
        supabase = any(_SUPABASE_HINT.search(sql) for _, sql in sources)
    model = PgModel(supabase=supabase, exposed_schemas=exposed_schemas)
    if supabase:  # Supabase's `ALTER DEFAULT PRIVILEGES ... IN SCHEMA public GRANT ALL ... TO anon, authenticated`
        model.default_table_roles["public"] = {"anon", "authenticated"}
        model.default_function_roles["public"] = {"anon", "authenticated"}
    replayer = _Replayer(model)
    for path, sql in sources:
        model.files.append(path)
        replayer.run_file(path, sql)
    return model


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, max(offset, 0)) + 1


def _first_code_offset(sql: str, start: int) -> int:
    """pglast's statement location includes leading comments and blanks; point at the statement itself."""
    i, n = start, len(sql)
    while i < n:
        if sql[i].isspace():
            i += 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
        else:
            break
    return i


def _one_line(exc: BaseException) -> str:
    text = str(exc.args[0] if exc.args else exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


def _deparse(node: Any) -> str:
    try:
        return RawStream()(node)
    except Exception:  # deparse gaps must not lose the statement; the flags come from the AST anyway
        return "<expression>"


def _walk(node: Any) -> Iterator[ast.Node]:
    if isinstance(node, (tuple, list)):
        for item in node:
            yield from _walk(item)
    elif isinstance(node, ast.Node):
        yield node
        for attr in type(node).__slots__:
            yield from _walk(getattr(node, attr, None))


def _names(items: Any) -> list[str]:
    return [i.sval for i in items or () if isinstance(i, ast.String)]


def _func_name(call: ast.FuncCall) -> tuple[str, str]:
    parts = _names(call.funcname)
    return ("" if len(parts) < 2 else parts[-2], parts[-1] if parts else "")


def _type_name(tn: ast.TypeName | None) -> str:
    if tn is None:
        return ""
    parts = [p for p in _names(tn.names) if p != "pg_catalog"]
    name = ".".join(parts)
    return {"int4": "integer", "int8": "bigint", "bool": "boolean", "varchar": "varchar"}.get(name, name)


def _role_names(roles: Any) -> tuple[str, ...]:
    out: list[str] = []
    for r in roles or ():
        if isinstance(r, ast.RoleSpec):
            if r.roletype == RoleSpecType.ROLESPEC_PUBLIC:
                out.append("public")
            elif r.rolename:
                out.append(r.rolename.lower())
            else:
                out.append(str(RoleSpecType(r.roletype).name).removeprefix("ROLESPEC_").lower())
    return tuple(out)


def _is_auth_call(node: Any, names: frozenset[str] = AUTH_FUNCS) -> bool:
    """auth.uid(), or `(select auth.uid())` which Supabase recommends for caching."""
    if isinstance(node, ast.TypeCast):
        return _is_auth_call(node.arg, names)
    if isinstance(node, ast.FuncCall):
        schema, name = _func_name(node)
        return schema == "auth" and name in names
    if isinstance(node, ast.SubLink) and isinstance(node.subselect, ast.SelectStmt):
        sel = node.subselect
        if sel.fromClause is None and sel.targetList and len(sel.targetList) == 1:
            return _is_auth_call(sel.targetList[0].val, names)
    return False


def _const_value(node: Any) -> Any:
    if isinstance(node, ast.TypeCast):
        return _const_value(node.arg)
    if isinstance(node, ast.A_Const) and not node.isnull:
        val = node.val
        for attr in ("boolval", "ival", "sval", "fval"):
            if hasattr(val, attr):
                return getattr(val, attr)
    return None


def _always_true(node: Any) -> bool:
    """`true`, `'t'::boolean`, `1 = 1`: constant expressions that let every row through."""
    val = _const_value(node)
    if val is not None:
        return val is True or (isinstance(val, str) and val.lower() in ("t", "true"))
    if isinstance(node, ast.A_Expr) and _names(node.name) == ["="]:
        left, right = _const_value(node.lexpr), _const_value(node.rexpr)
        return left is not None and left == right
    if isinstance(node, ast.BoolExpr):
        kind = int(node.boolop)  # 0 AND, 1 OR, 2 NOT
        args = list(node.args or ())
        if kind == 1:
            return any(_always_true(a) for a in args)
        if kind == 0:
            return all(_always_true(a) for a in args)
    return False


def _always_false(node: Any) -> bool:
    """`false`, `1 = 0`, `false AND ...`: the "deny everything" policies AI tools add to block anonymous users."""
    val = _const_value(node)
    if val is not None:
        return val is False or (isinstance(val, str) and val.lower() in ("f", "false"))
    if isinstance(node, ast.A_Expr) and _names(node.name) in (["="], ["<>"], ["!="]):
        left, right = _const_value(node.lexpr), _const_value(node.rexpr)
        if left is None or right is None:
            return False
        return (left != right) if _names(node.name) == ["="] else left == right
    if isinstance(node, ast.BoolExpr):
        kind = int(node.boolop)
        args = list(node.args or ())
        if kind == 0:
            return any(_always_false(a) for a in args)
        if kind == 1:
            return all(_always_false(a) for a in args)
        if kind == 2 and args:
            return _always_true(args[0])
    return False


def _role_value(node: Any) -> bool:
    """auth.role(), auth.jwt() ->> 'role', current_user, current_setting('role'): expressions naming the caller's
    database role."""
    if _is_auth_call(node, frozenset({"role"})):
        return True
    if isinstance(node, ast.A_Expr) and _names(node.name) in (["->>"], ["->"]):
        return _is_auth_call(node.lexpr, frozenset({"jwt"})) and _const_value(node.rexpr) == "role"
    if isinstance(node, ast.SQLValueFunction):
        return True  # current_user, session_user, current_role
    if isinstance(node, ast.FuncCall):
        return _func_name(node)[1] == "current_setting" and any(
            str(_const_value(a) or "").endswith("role") for a in node.args or ())
    return isinstance(node, ast.TypeCast) and _role_value(node.arg)


def _service_only(node: Any) -> bool:
    """Admits only service_role, which bypasses RLS anyway: a policy the API roles can never pass."""
    if isinstance(node, ast.A_Expr) and _names(node.name) == ["="]:
        sides = (node.lexpr, node.rexpr)
        return any(_role_value(x) for x in sides) and any(
            str(_const_value(x) or "") in ("service_role", "postgres", "supabase_admin") for x in sides)
    if isinstance(node, ast.BoolExpr):
        kind = int(node.boolop)
        args = list(node.args or ())
        if kind == 0:
            return any(_service_only(a) for a in args)
        if kind == 1:
            return bool(args) and all(_service_only(a) for a in args)
    return False


def _signed_in_only(node: Any) -> bool:
    """Checks that only say "someone is logged in": true for every authenticated user."""
    if isinstance(node, ast.NullTest) and int(node.nulltesttype) == 1:  # IS NOT NULL
        return _is_auth_call(node.arg, frozenset({"uid", "jwt", "email"}))
    if isinstance(node, ast.A_Expr) and _names(node.name) in (["="], ["<>"], ["!="]):
        sides = (node.lexpr, node.rexpr)
        if any(_is_auth_call(s, frozenset({"role"})) for s in sides):
            return any(_const_value(s) == "authenticated" for s in sides) and _names(node.name) == ["="]
        if any(isinstance(s, ast.A_Expr) and any(_is_auth_call(x, frozenset({"jwt"}))
                                                for x in (s.lexpr, s.rexpr)) for s in sides):
            return any(_const_value(s) == "authenticated" for s in sides)
    if isinstance(node, ast.BoolExpr) and int(node.boolop) == 0:
        return any(_signed_in_only(a) for a in node.args or ()) and all(
            _signed_in_only(a) or _always_true(a) for a in node.args or ())
    return False


def _expr(node: Any) -> Expr | None:
    if node is None:
        return None
    identity = False
    delegated = False
    columns: set[str] = set()
    trivial: set[int] = set()
    for n in _walk(node):
        if id(n) in trivial:
            continue
        if _signed_in_only(n):
            trivial.update(id(x) for x in _walk(n))
            continue
        if isinstance(n, ast.FuncCall):
            schema, name = _func_name(n)
            if schema == "auth" and name in ("uid", "jwt", "email"):
                identity = True
            elif schema != "auth" and name.lower() not in _BUILTIN_FUNCS:
                delegated = True
        elif isinstance(n, ast.SubLink) and not _is_auth_call(n):
            delegated = True
        elif isinstance(n, ast.ColumnRef):
            names = _names(n.fields)
            if names:
                columns.add(names[-1].lower())
    return Expr(sql=_deparse(node), always_true=_always_true(node), signed_in_only=_signed_in_only(node),
                always_false=_always_false(node), service_only=_service_only(node),
                identity_check=identity, delegated=delegated, columns=frozenset(columns))


def _filters_caller(query: Any) -> bool:
    """A WHERE clause (anywhere in the view) that calls auth.uid()/auth.jwt()."""
    for n in _walk(query):
        if isinstance(n, ast.SelectStmt) and n.whereClause is not None and any(
                _is_auth_call(x, frozenset({"uid", "jwt"})) for x in _walk(n.whereClause)):
            return True
    return False


def _json_walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _json_walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _json_walk(v)


def _invoker_option(options: Any, reset: bool = False) -> bool | None:
    """The security_invoker value in a reloptions list (None when absent); for RESET, True when it is named."""
    for opt in options or ():
        if isinstance(opt, ast.DefElem) and opt.defname == "security_invoker":
            if reset or opt.arg is None:
                return True
            value = _const_value(opt.arg)
            text = str(value if value is not None else getattr(opt.arg, "sval", "")).lower()
            return text in ("true", "on", "1", "t", "yes")
    return None


class _Replayer:
    """Applies one statement at a time; unknown statements are ignored (they do not change exposure)."""

    def __init__(self, model: PgModel) -> None:
        self.m = model
        self.guarded = False  # inside a DO block: CREATE POLICY of an existing name is skipped, not duplicated

    # -- files ------------------------------------------------------------------------------------------------
    def run_file(self, path: str, sql: str) -> None:
        try:
            stmts = [(r.stmt, r.stmt_location) for r in pglast.parse_sql(sql)]
        except pglast.parser.ParseError as exc:
            offset = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
            self.m.unparsed.append(Unparsed(path, _line_at(sql, offset), _one_line(exc)))
            stmts = self._salvage(path, sql)
        for stmt, loc in stmts:
            self.m.statements += 1
            where = Where(path, _line_at(sql, _first_code_offset(sql, loc)))
            try:
                self.apply(stmt, where)
            except (AttributeError, TypeError, ValueError, KeyError) as exc:  # an AST shape we did not expect
                self.m.notes.append(Event("not-modelled", type(stmt).__name__, where, _one_line(exc)))

    def _salvage(self, path: str, sql: str) -> list[tuple[Any, int]]:
        """Statements of a broken file that parse on their own, so the rest of its DDL still counts."""
        out: list[tuple[Any, int]] = []
        try:
            slices = pglast.split(sql, with_parser=False, only_slices=True)
        except Exception:
            return out
        for sl in slices:
            try:
                parsed = pglast.parse_sql(sql[sl])
            except pglast.parser.ParseError:
                continue
            out += [(r.stmt, sl.start + r.stmt_location) for r in parsed]
        return out

    # -- dispatch ---------------------------------------------------------------------------------------------
    def apply(self, s: Any, w: Where) -> None:
        if isinstance(s, ast.CreateStmt):
            self.create_table(s, w)
        elif isinstance(s, ast.AlterTableStmt):
            self.alter_table(s, w)
        elif isinstance(s, ast.CreatePolicyStmt):
            self.create_policy(s, w)
        elif isinstance(s, ast.AlterPolicyStmt):
            self.alter_policy(s, w)
        elif isinstance(s, ast.GrantStmt):
            self.grant(s, w)
        elif isinstance(s, ast.AlterDefaultPrivilegesStmt):
            self.default_privileges(s)
        elif isinstance(s, ast.ViewStmt):
            self.create_view(s, w)
        elif isinstance(s, ast.CreateTableAsStmt) and int(s.objtype) == ObjectType.OBJECT_MATVIEW:
            self.create_matview(s, w)
        elif isinstance(s, ast.CreateFunctionStmt):
            self.create_function(s, w)
        elif isinstance(s, ast.RenameStmt):
            self.rename(s, w)
        elif isinstance(s, ast.DropStmt):
            self.drop(s, w)
        elif isinstance(s, ast.DoStmt):
            self.do_block(s, w)
        elif isinstance(s, ast.CreateTrigStmt):
            self.create_trigger(s)
        elif isinstance(s, ast.CreateEnumStmt):
            self.m.enums.add(".".join(n.lower() for n in _names(s.typeName)).removeprefix("public."))

    def do_block(self, s: ast.DoStmt, w: Where) -> None:
        """Apply the static SQL statements of a plpgsql DO block (AI tools wrap DDL in `IF NOT EXISTS (select from
        pg_policies ...) THEN create policy` or `EXCEPTION WHEN duplicate_object`). Both branches of an IF are
        applied: the guards test the state the replay already has, so the outcome is the same. Dynamic EXECUTE
        strings stay unknown and are noted."""
        body, lang = "", "plpgsql"
        for opt in s.args or ():
            if isinstance(opt, ast.DefElem) and opt.defname == "as":
                body = getattr(opt.arg, "sval", "")
            elif isinstance(opt, ast.DefElem) and opt.defname == "language":
                lang = getattr(opt.arg, "sval", "plpgsql").lower()
        queries: list[tuple[str, int]] = []
        dynamic = False
        if lang == "plpgsql" and body:
            try:
                tree = pglast.parse_plpgsql(f"create function _handrail_do() returns void language plpgsql as "
                                            f"$handrail${body}$handrail$")
            except Exception:  # a body pglast cannot read: say so, like before
                tree = None
            for node in _json_walk(tree):
                if "PLpgSQL_stmt_execsql" in node:
                    stmt = node["PLpgSQL_stmt_execsql"]
                    query = ((stmt.get("sqlstmt") or {}).get("PLpgSQL_expr") or {}).get("query", "")
                    queries.append((query, int(stmt.get("lineno") or 1)))
                elif "PLpgSQL_stmt_dynexecute" in node:
                    dynamic = True
        for query, lineno in queries:
            try:
                parsed = pglast.parse_sql(query)
            except pglast.parser.ParseError:
                continue
            for raw in parsed:
                if isinstance(raw.stmt, (ast.SelectStmt, ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt)):
                    continue
                self.guarded = True
                try:
                    self.apply(raw.stmt, Where(w.path, w.line + lineno - 1))
                finally:
                    self.guarded = False
        if dynamic or not queries:
            self.m.notes.append(Event("do-block", "DO", w, "dynamic SQL not executed: its DDL is not in the model"))

    # -- helpers ----------------------------------------------------------------------------------------------
    @staticmethod
    def _rel(rv: ast.RangeVar) -> tuple[str, str]:
        return ((rv.schemaname or "public").lower(), rv.relname.lower())

    def _table(self, rv: ast.RangeVar) -> Table | None:
        return self.m.tables.get(self._rel(rv))

    # -- tables -----------------------------------------------------------------------------------------------
    def create_table(self, s: ast.CreateStmt, w: Where) -> None:
        key = self._rel(s.relation)
        if key in self.m.tables and s.if_not_exists:
            return
        roles = self.m.default_table_roles.get(key[0], set())
        table = Table(key[0], key[1], w, grants={r: set(TABLE_PRIVS) for r in roles}, default_granted=bool(roles))
        for elt in s.tableElts or ():
            if isinstance(elt, ast.ColumnDef):
                self._add_column(table, elt, w)
            elif isinstance(elt, ast.Constraint) and elt.contype == ConstrType.CONSTR_FOREIGN and elt.pktable:
                for col in _names(elt.fk_attrs):
                    if col.lower() in table.columns:
                        table.columns[col.lower()].references = ".".join(self._rel(elt.pktable))
        self.m.tables[key] = table

    def _add_column(self, table: Table, col: ast.ColumnDef, w: Where) -> None:
        ref = None
        for con in col.constraints or ():
            if isinstance(con, ast.Constraint) and con.pktable is not None:
                ref = ".".join(self._rel(con.pktable))
        table.columns[col.colname.lower()] = Column(col.colname.lower(), _type_name(col.typeName), w, ref)

    def alter_table(self, s: ast.AlterTableStmt, w: Where) -> None:
        if s.relation is None:
            return
        view = self.m.views.get(self._rel(s.relation))
        if view is not None:  # ALTER VIEW v SET (security_invoker = true): the usual fix for a definer view
            for cmd in s.cmds or ():
                if int(cmd.subtype) in (AlterTableType.AT_SetRelOptions, AlterTableType.AT_ReplaceRelOptions):
                    invoker = _invoker_option(cmd.def_)
                    if invoker is not None:
                        view.security_invoker = invoker
                    elif int(cmd.subtype) == AlterTableType.AT_ReplaceRelOptions:
                        view.security_invoker = False
                elif int(cmd.subtype) == AlterTableType.AT_ResetRelOptions and _invoker_option(cmd.def_, True):
                    view.security_invoker = False
            return
        table = self._table(s.relation)
        for cmd in s.cmds or ():
            sub = int(cmd.subtype)
            if table is None:
                continue
            if sub == AlterTableType.AT_EnableRowSecurity:
                table.rls, table.rls_where = True, w
            elif sub == AlterTableType.AT_DisableRowSecurity:
                if table.rls:
                    table.disabled_where = w
                table.rls = False
                self.m.events.append(Event("disable-rls", table.qname, w))
            elif sub == AlterTableType.AT_ForceRowSecurity:
                table.forced = True
            elif sub == AlterTableType.AT_NoForceRowSecurity:
                table.forced = False
            elif sub == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
                self._add_column(table, cmd.def_, w)
            elif sub == AlterTableType.AT_DropColumn and cmd.name:
                table.columns.pop(cmd.name.lower(), None)
            elif sub == AlterTableType.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
                con = cmd.def_
                if con.pktable is not None:
                    for col in _names(con.fk_attrs):
                        if col.lower() in table.columns:
                            table.columns[col.lower()].references = ".".join(self._rel(con.pktable))

    def create_trigger(self, s: ast.CreateTrigStmt) -> None:
        """BEFORE UPDATE row triggers can veto a change to a column (the usual guard against `role = 'admin'`)."""
        table = self._table(s.relation) if s.relation is not None else None
        update_event = bool(int(s.events or 0) & 16)  # TRIGGER_TYPE_UPDATE
        before = int(s.timing or 0) & 2  # TRIGGER_TYPE_BEFORE
        if table is not None and update_event and before and s.row:
            table.update_triggers.append(".".join(n.lower() for n in _names(s.funcname)))

    # -- policies ---------------------------------------------------------------------------------------------
    def create_policy(self, s: ast.CreatePolicyStmt, w: Where) -> None:
        schema, table = self._rel(s.table)
        roles = _role_names(s.roles) or ("public",)
        if self.guarded and any((p.schema, p.table, p.name) == (schema, table, s.policy_name) for p in self.m.policies):
            return
        self.m.policies.append(Policy(s.policy_name, schema, table, (s.cmd_name or "all").lower(), roles,
                                      bool(s.permissive), _expr(s.qual), _expr(s.with_check), w))

    def alter_policy(self, s: ast.AlterPolicyStmt, w: Where) -> None:
        key = self._rel(s.table)
        for p in self.m.policies:
            if (p.schema, p.table) == key and p.name == s.policy_name:
                if s.roles:
                    p.roles = _role_names(s.roles)
                if s.qual is not None:
                    p.using = _expr(s.qual)
                if s.with_check is not None:
                    p.check = _expr(s.with_check)
                p.where = w

    # -- grants -----------------------------------------------------------------------------------------------
    def grant(self, s: ast.GrantStmt, w: Where) -> None:
        roles = set(_role_names(s.grantees))
        privs = {p.priv_name.lower() for p in s.privileges or () if p.priv_name} or {"all"}
        objtype = int(s.objtype)
        targets_all = int(s.targtype) == 1  # ALL TABLES/FUNCTIONS IN SCHEMA
        column_level = any(p.cols for p in s.privileges or ())
        if objtype == ObjectType.OBJECT_TABLE:
            tables: list[Any] = []
            views: list[View] = []
            if targets_all:
                schemas = {x.sval.lower() for x in s.objects or () if isinstance(x, ast.String)}
                tables = [t for t in self.m.tables.values() if t.schema in schemas]
                views = [v for v in self.m.views.values() if v.schema in schemas]
            else:
                for rv in s.objects or ():
                    key = self._rel(rv)
                    if key in self.m.tables:
                        tables.append(self.m.tables[key])
                    elif key in self.m.views:
                        views.append(self.m.views[key])
            expanded = set(TABLE_PRIVS) if "all" in privs else privs & TABLE_PRIVS
            if column_level:  # GRANT UPDATE (name) ...: narrows what can be written, never widens a table
                for t in tables:
                    t.column_grants = t.column_grants or bool(roles & API_ROLES)
                return
            for t in tables:
                for r in roles:
                    held = t.grants.setdefault(r, set())
                    if s.is_grant:
                        held |= expanded
                        if r in API_ROLES and expanded:
                            t.explicit_grant = w
                    else:
                        held -= expanded
            for v in views:
                if "select" in expanded:
                    (v.revoked.difference_update if s.is_grant else v.revoked.update)(roles)
        elif objtype in (ObjectType.OBJECT_FUNCTION, ObjectType.OBJECT_ROUTINE, ObjectType.OBJECT_PROCEDURE):
            if targets_all:
                schemas = {x.sval.lower() for x in s.objects or () if isinstance(x, ast.String)}
                funcs = [f for f in self.m.functions.values() if f.schema in schemas]
            else:
                funcs = []
                for obj in s.objects or ():
                    parts = [n.lower() for n in _names(getattr(obj, "objname", ()))]
                    key = (parts[0], parts[1]) if len(parts) > 1 else ("public", parts[0] if parts else "")
                    if key in self.m.functions:
                        funcs.append(self.m.functions[key])
            for f in funcs:
                (f.execute.update if s.is_grant else f.execute.difference_update)(roles)

    def default_privileges(self, s: ast.AlterDefaultPrivilegesStmt) -> None:
        act = s.action
        schemas: list[str] = []
        for opt in s.options or ():
            if isinstance(opt, ast.DefElem) and opt.defname == "schemas":
                schemas += [x.lower() for x in _names(opt.arg)]
        roles = set(_role_names(act.grantees))
        store = {ObjectType.OBJECT_TABLE: self.m.default_table_roles,
                 ObjectType.OBJECT_FUNCTION: self.m.default_function_roles}.get(int(act.objtype))
        if store is None:
            return
        for schema in schemas or ["public"]:
            held = store.setdefault(schema, set())
            (held.update if act.is_grant else held.difference_update)(roles & API_ROLES)

    # -- views and functions ----------------------------------------------------------------------------------
    def create_view(self, s: ast.ViewStmt, w: Where) -> None:
        key = self._rel(s.view)
        invoker = bool(_invoker_option(s.options))  # CREATE OR REPLACE without the option resets it, as in PG
        self.m.views[key] = View(key[0], key[1], w, invoker, False, self._sources(s.query),
                                 filters_caller=_filters_caller(s.query))

    def create_matview(self, s: ast.CreateTableAsStmt, w: Where) -> None:
        key = self._rel(s.into.rel)
        self.m.views[key] = View(key[0], key[1], w, False, True, self._sources(s.query),
                                 filters_caller=_filters_caller(s.query))

    def _sources(self, query: Any) -> tuple[str, ...]:
        out = []
        for n in _walk(query):
            if isinstance(n, ast.RangeVar):
                out.append(".".join(self._rel(n)))
        return tuple(dict.fromkeys(out))

    def create_function(self, s: ast.CreateFunctionStmt, w: Where) -> None:
        parts = [n.lower() for n in _names(s.funcname)]
        key = (parts[0], parts[1]) if len(parts) > 1 else ("public", parts[0])
        definer = False
        language = body = ""
        for opt in s.options or ():
            if not isinstance(opt, ast.DefElem):
                continue
            if opt.defname == "security":
                definer = bool(getattr(opt.arg, "boolval", False))
            elif opt.defname == "language":
                language = getattr(opt.arg, "sval", "").lower()
            elif opt.defname == "as":
                body = " ".join(_names(opt.arg))
        execute = {"public"} | self.m.default_function_roles.get(key[0], set())
        prior = self.m.functions.get(key)
        if prior is not None and s.replace:
            execute = prior.execute  # CREATE OR REPLACE keeps the existing ACL
        returns = _type_name(s.returnType)
        rows = bool(getattr(s.returnType, "setof", False)) or (returns not in _SCALAR and
                                                                returns.removeprefix("public.") not in self.m.enums)
        params = tuple(p.name for p in s.parameters or () if isinstance(p, ast.FunctionParameter) and p.name
                       and p.mode != FunctionParameterMode.FUNC_PARAM_OUT
                       and p.mode != FunctionParameterMode.FUNC_PARAM_TABLE and _USER_PARAM.match(p.name))
        if any(isinstance(p, ast.FunctionParameter) and p.mode == FunctionParameterMode.FUNC_PARAM_TABLE
               for p in s.parameters or ()):
            rows = True  # RETURNS TABLE (...)
        names = [p.name for p in s.parameters or () if isinstance(p, ast.FunctionParameter) and p.name]
        targets = _WRITE_TARGET.findall(body)
        self.m.functions[key] = Function(key[0], key[1], w, definer, returns, language, execute,
                                         bool(_CALLER_CHECK.search(body)), bool(_WRITES.search(body)), rows,
                                         bool(_TOUCHES.search(body)), params,
                                         any(_SECRET_PARAM.search(n) for n in names),
                                         bool(targets) and all(_LOG_TABLE.search(t) for t in targets),
                                         bool(re.search(r"\bupdate\s+[\w\".]+\s+set\b|\bdo\s+update\b|\bdelete\s+from",
                                                        body, re.I)),
                                         frozenset(m.lower() for m in re.findall(r"\b(?:new|old)\.(\w+)", body, re.I)))
        if language == "plpgsql":
            self.m.notes.append(Event("plpgsql-body", ".".join(key), w, "body not executed"))

    # -- renames and drops ------------------------------------------------------------------------------------
    def rename(self, s: ast.RenameStmt, w: Where) -> None:
        rtype = int(s.renameType)
        if rtype == ObjectType.OBJECT_TABLE and s.relation is not None:
            old = self._rel(s.relation)
            table = self.m.tables.pop(old, None)
            if table is None:
                return
            table.name = s.newname.lower()
            self.m.tables[(table.schema, table.name)] = table
            for p in self.m.policies:
                if (p.schema, p.table) == old:
                    p.table = table.name
            self.m.events.append(Event("rename-table", f"{old[0]}.{old[1]}", w, f"to {table.name}"))
        elif rtype == ObjectType.OBJECT_COLUMN and s.relation is not None:
            table = self._table(s.relation)
            if table is not None and s.subname and s.subname.lower() in table.columns:
                col = table.columns.pop(s.subname.lower())
                col.name = s.newname.lower()
                table.columns[col.name] = col
                self.m.events.append(Event("rename-column", f"{table.qname}.{s.subname}", w, f"to {col.name}"))
        elif rtype == ObjectType.OBJECT_POLICY and s.relation is not None:
            key = self._rel(s.relation)
            for p in self.m.policies:
                if (p.schema, p.table) == key and p.name == s.subname:
                    p.name = s.newname
            self.m.events.append(Event("rename-policy", f"{s.subname} on {key[0]}.{key[1]}", w, f"to {s.newname}"))

    def drop(self, s: ast.DropStmt, w: Where) -> None:
        rtype = int(s.removeType)
        for obj in s.objects or ():
            names = [n.lower() for n in _names(obj if isinstance(obj, (tuple, list)) else
                                               getattr(obj, "objname", ()))]
            if not names:
                continue
            if rtype == ObjectType.OBJECT_POLICY:
                *rel, policy = names
                key = (rel[-2], rel[-1]) if len(rel) > 1 else ("public", rel[0])
                before = len(self.m.policies)
                self.m.policies = [p for p in self.m.policies
                                   if not ((p.schema, p.table) == key and p.name.lower() == policy)]
                if len(self.m.policies) < before:
                    self.m.events.append(Event("drop-policy", f"{policy} on {key[0]}.{key[1]}", w))
                continue
            key = (names[-2], names[-1]) if len(names) > 1 else ("public", names[0])
            if rtype == ObjectType.OBJECT_TABLE and key in self.m.tables:
                del self.m.tables[key]
                self.m.policies = [p for p in self.m.policies if (p.schema, p.table) != key]
                self.m.events.append(Event("drop-table", ".".join(key), w))
            elif rtype in (ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW):
                self.m.views.pop(key, None)
            elif rtype in (ObjectType.OBJECT_FUNCTION, ObjectType.OBJECT_PROCEDURE, ObjectType.OBJECT_ROUTINE):
                self.m.functions.pop(key, None)
