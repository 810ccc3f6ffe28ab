"""Row Level Security findings from the replayed migration model (check `authz`, rules `rls-*`).

The question is "can one user read or change another user's rows with the key shipped to the browser?". In a
Supabase app every table in an exposed schema is an HTTP endpoint for `anon` and `authenticated`, so the rules
look at exposure first and ownership second, and stay quiet where the answer is "no" or "by design":
- a public catalogue readable by everyone (SELECT true on a table with no owner, personal-data or privilege
  column) is not reported; the same read of user data is;
- policies for service_role or other non-API roles, or gated on `auth.role() = 'service_role'`, and "deny"
  policies (`using (false)`) are not reported (the API never passes them);
- writes open to everyone are high whatever the table (anyone can wipe or deface it); writes open to any signed-in
  user are high on user data or privilege tables (roles, balances) and medium elsewhere; a table's open
  insert/update/delete policies for the same callers are one finding (AI tools write all four on every table);
- "update your own row" on a table with a role/admin/balance column is self-escalation unless WITH CHECK, a
  column grant or a BEFORE UPDATE trigger keeps that column;
- SECURITY DEFINER trigger functions and pure helpers that read no table are not reported;
- a table whose grants to anon/authenticated were revoked is not reachable and is not reported.
"""

from __future__ import annotations

from handrail.core.finding import Confidence, Finding, Location, Severity
from handrail.datalayer.pgmodel import (
    API_ROLES,
    OWNER_NAMES,
    PRIVILEGE_NAMES,
    USER_TABLES,
    Column,
    Expr,
    PgModel,
    Policy,
    Table,
    Where,
)

CHECK = "authz"
_WRITE = ("insert", "update", "delete", "all")
# Words in a table name that say "published content": with an author column but no personal data, reading every
# row is what the site is for (blog_posts.author_id, products.created_by).
_CONTENT_WORDS = frozenset({"post", "posts", "article", "articles", "news", "product", "products", "category",
                            "categories", "tag", "tags", "listing", "listings", "event", "events", "course",
                            "courses", "lesson", "lessons", "recipe", "recipes", "page", "pages", "faq", "faqs",
                            "testimonial", "testimonials", "review", "reviews", "announcement", "announcements",
                            "gallery", "galleries", "portfolio", "menu", "catalog", "catalogue", "blog", "items"})


def _public_content(table: Table) -> bool:
    """A content table whose only tie to a user is an author/owner id (no email, phone, address...)."""
    return not table.pii_columns and table.name not in USER_TABLES and bool(
        set(table.name.split("_")) & _CONTENT_WORDS)


def _finding(rule: str, severity: Severity, confidence: Confidence, message: str, where: Where, key: str,
             fix: str, evidence: str = "", related: list[Location] | None = None) -> Finding:
    return Finding(check=CHECK, rule=rule, severity=severity, message=message, path=where.path, line=where.line,
                   evidence=evidence[:300], fix=fix, key=key, confidence=confidence, related=related or [])


def _confidence_for(table: Table) -> Confidence:
    """Supabase migrations prove the default grants; SQL from other tools only suggests a Supabase database."""
    return Confidence.HIGH if "supabase/migrations/" in table.where.path or table.explicit_grant else \
        Confidence.MEDIUM


def rls_findings(model: PgModel) -> list[Finding]:
    """Findings for every exposed table, policy, view and function; empty when the SQL is not Supabase-shaped
    (without PostgREST and the anon role, RLS is defence in depth, not the access control)."""
    if not model.supabase:
        return []
    out: list[Finding] = []
    exposed = set(model.exposed_schemas)
    for table in model.tables.values():
        if table.schema in exposed:
            out += _table_findings(model, table)
    phantoms: dict[tuple[str, str], Table] = {}
    open_writes: dict[tuple[str, bool], list[tuple[Policy, Finding]]] = {}
    for policy in model.policies:
        table = model.tables.get((policy.schema, policy.table))
        found: list[Finding] = []
        if table is None and policy.schema in exposed:
            table = phantoms.get((policy.schema, policy.table)) or _phantom(model, policy)
            phantoms[(table.schema, table.name)] = table
            found = [_as_unsure(f) for f in _policy_findings(policy, table)]
        elif table is not None and table.schema in exposed and table.rls:
            found = _policy_findings(policy, table) or _self_escalation(model, policy, table)
        group = _open_write(policy) if table is not None and len(found) == 1 else None
        if group is not None:
            open_writes.setdefault((table.qname, group), []).append((policy, found[0]))  # type: ignore[union-attr]
        else:
            out += found
    out += [_merge(items) for items in open_writes.values()]
    out += _definer_findings(model, exposed)
    out.sort(key=lambda f: (f.path or "", f.line or 0, f.rule))
    return out


def _open_write(policy: Policy) -> bool | None:
    """For a policy that opens writes: True when anyone may write, False when any signed-in user may; None
    otherwise. AI tools emit one open policy per command ("Allow public insert/update/delete access") on every
    table, so these are reported once per table and audience, not four times."""
    if policy.command == "select":
        return None
    for _, expr in _effective(policy):
        if expr.always_true or expr.signed_in_only:
            return expr.always_true and bool(policy.api_roles & {"anon", "public"})
    return None


def _merge(items: list[tuple[Policy, Finding]]) -> Finding:
    """One finding for a table's open write policies: the worst one, naming the others as related places."""
    items = sorted(items, key=lambda pf: (-pf[1].severity.rank, pf[1].path or "", pf[1].line or 0))
    (_, head), rest = items[0], items[1:]
    if rest:
        verbs = sorted({p.command.upper() for p, _ in rest})
        head.message += (f"; the same callers are also let through by {len(rest)} more open "
                         f"polic{'y' if len(rest) == 1 else 'ies'} ({', '.join(verbs)})")
        head.related = [*head.related, *(Location(f.path, f.line, f"policy \"{p.name}\" ({p.command.upper()})")
                                         for p, f in rest)]
    return head


def _phantom(model: PgModel, policy: Policy) -> Table:
    """A table the policies talk about but no migration creates (made in the dashboard: schema drift).

    Policies only matter with RLS on, so it is assumed on; owner columns are the owner-named columns its
    policies mention. Findings on it are lowered to low confidence."""
    key = (policy.schema, policy.table)
    table = Table(policy.schema, policy.table, policy.where, rls=True)
    for p in model.policies:
        if (p.schema, p.table) == key:
            for e in p.exprs():
                for col in e.columns & OWNER_NAMES:
                    table.columns[col] = Column(col, "uuid", p.where)
    return table


def _as_unsure(finding: Finding) -> Finding:
    finding.confidence = Confidence.LOW
    finding.message += " (the table is not created by these migrations)"
    return finding


def _table_findings(model: PgModel, table: Table) -> list[Finding]:
    privs = table.api_privileges()
    policies = model.policies_for(table)
    if table.rls:
        if policies:
            return []
        return [_finding(
            "rls-no-policy", Severity.INFO, Confidence.HIGH,
            f"Table {table.qname} has RLS enabled and no policy: the API denies every row (fine for server-only "
            "tables; add policies if the app reads it with the anon key)",
            table.rls_where or table.where, f"table {table.qname}",
            "Add a policy such as `using ((select auth.uid()) = user_id)` if clients need the table.")]
    if not privs:
        return []
    owners = table.owner_columns
    what = "read and written" if privs & {"insert", "update", "delete"} else "read"
    severity = Severity.CRITICAL if owners else Severity.HIGH
    data = f"user data (owner column {owners[0].name})" if owners else "its rows"
    unused = f"; its {len(policies)} policies are not enforced" if policies else ""
    how = "an explicit GRANT" if table.explicit_grant else "Supabase's default grants"
    fix = (f"`alter table {table.qname} enable row level security;` and add owner policies, or revoke "
           "anon/authenticated if only the server uses it.")
    if table.disabled_where is not None:
        related = [Location(table.rls_where.path, table.rls_where.line, "RLS enabled here")] if table.rls_where \
            else []
        return [_finding(
            "rls-rls-disabled-later", severity, Confidence.HIGH,
            f"Row level security on {table.qname} is disabled by a later migration: anyone with the anon key can "
            f"have {data} {what} through the API{unused}", table.disabled_where, f"table {table.qname}", fix,
            f"alter table {table.qname} disable row level security", related)]
    return [_finding(
        "rls-disabled", severity, _confidence_for(table),
        f"Table {table.qname} has no row level security and is reachable by anon/authenticated through {how}: "
        f"anyone with the anon key can have {data} {what}{unused}", table.where, f"table {table.qname}", fix,
        f"create table {table.qname}")]


def _effective(policy: Policy) -> list[tuple[str, Expr]]:
    """(clause, Expr) pairs that gate the command: USING for reads/changes, WITH CHECK (or USING) for writes."""
    pairs: list[tuple[str, Expr]] = []
    if policy.command != "insert" and policy.using is not None:
        pairs.append(("USING", policy.using))
    if policy.command in ("insert", "update", "all"):
        check = policy.check or (policy.using if policy.command != "insert" else None)
        if check is not None and check is not policy.using:
            pairs.append(("WITH CHECK", check))
    return pairs


def _policy_findings(policy: Policy, table: Table) -> list[Finding]:
    roles = policy.api_roles
    if not roles or not policy.permissive:
        return []  # service_role-only policies; restrictive policies only narrow access
    effective = _effective(policy)
    if not effective or all(e.always_false or e.service_only for _, e in effective):
        return []  # "deny anon" or "service role only" policies: the API roles never pass them
    owners = table.owner_columns
    personal, privilege = table.user_data, table.privilege
    label = f"Policy \"{policy.name}\" on {table.qname} ({policy.command.upper()} to {', '.join(policy.roles)})"
    where, key = policy.where, f"policy {policy.name} on {table.qname}"
    exprs = [e for _, e in effective]
    opened = [(clause, e) for clause, e in effective if e.always_true or e.signed_in_only]
    if opened:
        clause, expr = opened[0]
        anyone = expr.always_true and bool(roles & {"anon", "public"})
        who = "anyone, signed in or not" if anyone else "every signed-in user"
        if policy.command == "select":
            if not personal:
                return []  # a public catalogue; splinter skips SELECT-true for the same reason
            severity = Severity.HIGH if anyone else Severity.MEDIUM
            conf = Confidence.MEDIUM
            if _public_content(table):  # blog posts with an author id: public by design, say it quietly
                severity, conf = Severity.LOW, Confidence.LOW
                personal += ", but it looks like published content"
            fix = (f"Use `using ((select auth.uid()) = {owners[0].name})` unless the rows are meant to be public."
                   if owners else "Expose only the public columns through a view, or scope rows to their owner.")
            return [_finding(
                "rls-permissive-policy", severity, conf,
                f"{label} lets {who} read every row of user data ({personal}), not only their own", where, key,
                fix, f"{clause} ({expr.sql})")]
        severity, conf = _write_severity(policy.command, anyone, personal, privilege, bool(owners))
        verb = {"insert": "insert rows", "update": "change every row", "delete": "delete every row",
                "all": "read, change and delete every row"}[policy.command]
        if clause == "WITH CHECK" and policy.command != "insert":
            verb = "write rows with any content, other users' ids included"
        why = f"; it holds {privilege}" if privilege and policy.command != "delete" else (
            f"; it holds user data ({personal})" if personal else "")
        return [_finding(
            "rls-permissive-policy", severity, conf, f"{label} lets {who} {verb} ({clause} {expr.sql}){why}",
            where, key, "Compare the owner column with `(select auth.uid())` in USING and WITH CHECK.",
            f"{clause} ({expr.sql})")]
    if not owners or any(e.identity_check or e.delegated for e in exprs):
        return []
    writes = policy.command in _WRITE
    effect = "any caller it admits can change other users' rows" if writes else "rows of every user match it"
    return [_finding(
        "rls-policy-no-owner-check", Severity.HIGH if writes else Severity.INFO,
        Confidence.MEDIUM if writes else Confidence.LOW,
        f"{label} never compares {owners[0].name} with auth.uid(): "
        f"{effect}",
        where, key, f"Add `(select auth.uid()) = {owners[0].name}` to the policy.",
        "; ".join(e.sql for e in exprs))]


def _self_escalation(model: PgModel, policy: Policy, table: Table) -> list[Finding]:
    """"Users update their own profile" on a table with a role/admin/balance column lets each user write that
    column on their own row: self-promotion to admin, free credits. Guarded when the policy's WITH CHECK mentions
    the column, a column-level GRANT limits what the API may update, or a BEFORE UPDATE trigger inspects it."""
    if policy.command not in ("update", "all") or not policy.api_roles or not policy.permissive:
        return []
    if table.column_grants or "update" not in table.api_privileges():
        return []
    columns = sorted(c for c in table.columns if c in PRIVILEGE_NAMES)
    exprs = [e for _, e in _effective(policy)]
    if not columns or not exprs or not all(e.identity_check and e.columns and not e.delegated for e in exprs):
        return []
    if any(set(columns) & e.columns for e in exprs):
        return []
    for name in table.update_triggers:
        fn = model.functions.get(tuple(name.split(".", 1)) if "." in name else ("public", name))  # type: ignore
        if fn is None or set(columns) & fn.row_columns:
            return []  # a trigger we cannot read, or one that looks at the column: assume it guards it
    label = f"Policy \"{policy.name}\" on {table.qname} ({policy.command.upper()} to {', '.join(policy.roles)})"
    return [_finding(
        "rls-self-escalation", Severity.HIGH, Confidence.MEDIUM,
        f"{label} lets each user rewrite their own row, column {columns[0]} included: a user can give themselves "
        f"{'a higher role' if 'role' in columns[0] or 'admin' in columns[0] else 'any ' + columns[0]}; nothing "
        "(WITH CHECK, a column grant or a trigger) keeps that column unchanged",
        policy.where, f"policy {policy.name} on {table.qname}",
        f"`revoke update on {table.qname} from authenticated; grant update (<editable columns>) on {table.qname} "
        f"to authenticated;` or a BEFORE UPDATE trigger that rejects changes to {columns[0]}.",
        "; ".join(e.sql for e in exprs))]


def _write_severity(command: str, anyone: bool, personal: str, privilege: str,
                    owned: bool) -> tuple[Severity, Confidence]:
    """How bad an open write is. Inserting into a table is often the point (a contact form); changing or deleting
    every row never is when anyone can do it; a role or balance column turns any open write into escalation."""
    if command == "insert":
        if privilege:
            return Severity.HIGH, Confidence.MEDIUM  # insert your own admin role / credits row
        return (Severity.MEDIUM, Confidence.HIGH) if owned else (Severity.LOW, Confidence.MEDIUM)
    if anyone or personal or privilege:
        return Severity.HIGH, Confidence.HIGH if (personal or privilege) else Confidence.MEDIUM
    return Severity.MEDIUM, Confidence.MEDIUM


def _definer_findings(model: PgModel, exposed: set[str]) -> list[Finding]:
    out: list[Finding] = []
    for fn in model.functions.values():
        if fn.schema not in exposed or not fn.security_definer or fn.returns in ("trigger", "event_trigger"):
            continue
        callers = fn.execute & API_ROLES
        if not callers or not fn.touches_tables:
            continue  # a pure helper (crypt(), a constant) reads nothing RLS protects
        anon = bool(callers & {"anon", "public"})
        risky = fn.writes or fn.returns_rows  # a boolean helper for policies leaks little; data or writes do
        severity = Severity.MEDIUM if anon and risky and not (fn.checks_caller or fn.secret_param) else Severity.LOW
        checked = "; its body checks the caller" if fn.checks_caller else ", and its body never checks who calls"
        if fn.secret_param and not fn.checks_caller:
            checked += " (it takes a token/code, so the caller must know a secret: brute force is the risk)"
        if fn.changes_rows and fn.user_params and not (fn.checks_caller or fn.secret_param or fn.log_only):
            severity = Severity.HIGH  # change any user's data by passing their id: wallet top-ups, unlocks
            checked += f" while it changes data for the user passed in {fn.user_params[0]}"
        out.append(_finding(
            "rls-security-definer-exposed", severity, Confidence.MEDIUM,
            f"SECURITY DEFINER function {fn.qname}() runs with its owner's rights (bypassing RLS) and "
            f"{'anyone with the anon key' if anon else 'every signed-in user'} can call it through /rpc{checked}",
            fn.where, f"function {fn.qname}",
            f"Make it SECURITY INVOKER, move it out of an exposed schema, or `revoke execute on function "
            f"{fn.qname} from public, anon{'' if anon else ', authenticated'};`"))
    for view in model.views.values():
        if view.schema not in exposed or view.security_invoker:
            continue
        if {"anon", "authenticated"} <= view.revoked:
            continue
        protected = [t for t in (model.table(s) for s in view.sources) if t is not None and t.rls]
        auth_users = "auth.users" in view.sources
        kind = "materialized view" if view.materialized else "view"
        if protected or auth_users:
            names = ", ".join(["auth.users"] * auth_users + [t.qname for t in protected])
            severity, conf = Severity.HIGH, Confidence.HIGH
            why = f"reads {names} as its owner, so their row level security does not apply"
            if view.filters_caller:
                severity, conf = Severity.MEDIUM, Confidence.MEDIUM
                why += " (it filters on auth.uid() itself, so the leak depends on that filter being complete)"
        else:
            severity, conf = Severity.LOW, Confidence.MEDIUM
            why = "runs as its owner rather than the caller"
        fix = ("Create it `with (security_invoker = true)`." if not view.materialized
               else "Move it out of the exposed schema or revoke select from anon, authenticated.")
        out.append(_finding("rls-security-definer-exposed", severity, conf,
                            f"{kind.capitalize()} {view.qname} {why}; anon/authenticated can select from it",
                            view.where, f"view {view.qname}", fix))
    return out
