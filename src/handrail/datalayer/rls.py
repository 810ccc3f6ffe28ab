"""Row Level Security findings from the replayed migration model (check `authz`, rules `rls-*`).

The question is "can one user read or change another user's rows with the key shipped to the browser?". In a
Supabase app every table in an exposed schema is an HTTP endpoint for `anon` and `authenticated`, so the rules
look at exposure first and ownership second, and stay quiet where the answer is "no" or "by design":
- a public catalogue readable by everyone (SELECT true on a table without an owner column) is not reported;
- policies for service_role or other non-API roles are not reported (the API never assumes them);
- SECURITY DEFINER trigger functions are not reported (PostgREST cannot call them);
- a table whose grants to anon/authenticated were revoked is not reachable and is not reported.
"""

from __future__ import annotations

from handrail.core.finding import Confidence, Finding, Location, Severity
from handrail.datalayer.pgmodel import API_ROLES, OWNER_NAMES, Column, Expr, PgModel, Policy, Table, Where

CHECK = "authz"
_WRITE = ("insert", "update", "delete", "all")


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
    for policy in model.policies:
        table = model.tables.get((policy.schema, policy.table))
        if table is None and policy.schema in exposed:
            table = phantoms.get((policy.schema, policy.table)) or _phantom(model, policy)
            phantoms[(table.schema, table.name)] = table
            out += [_as_unsure(f) for f in _policy_findings(policy, table)]
        elif table is not None and table.schema in exposed and table.rls:
            out += _policy_findings(policy, table)
    out += _definer_findings(model, exposed)
    out.sort(key=lambda f: (f.path or "", f.line or 0, f.rule))
    return out


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
    owners = table.owner_columns
    label = f"Policy \"{policy.name}\" on {table.qname} ({policy.command.upper()} to {', '.join(policy.roles)})"
    where, key = policy.where, f"policy {policy.name} on {table.qname}"
    exprs = [e for _, e in _effective(policy)]
    opened = [(clause, e) for clause, e in _effective(policy) if e.always_true or e.signed_in_only]
    if opened:
        clause, expr = opened[0]
        anyone = expr.always_true and bool(roles & {"anon", "public"})
        who = "anyone, signed in or not" if anyone else "every signed-in user"
        if policy.command == "select":
            if not owners:
                return []  # a public catalogue; splinter skips SELECT-true for the same reason
            severity = Severity.HIGH if anyone else Severity.MEDIUM
            return [_finding(
                "rls-permissive-policy", severity, Confidence.MEDIUM,
                f"{label} lets {who} read every row of user data (owner column {owners[0].name}), not only "
                "their own", where, key, f"Use `using ((select auth.uid()) = {owners[0].name})` unless the rows "
                "are meant to be public.", f"{clause} ({expr.sql})")]
        if owners:
            severity = Severity.MEDIUM if policy.command == "insert" else Severity.HIGH
            conf = Confidence.HIGH
        else:
            severity = Severity.LOW if policy.command == "insert" else Severity.MEDIUM
            conf = Confidence.MEDIUM
        verb = {"insert": "insert rows", "update": "change every row", "delete": "delete every row",
                "all": "read, change and delete every row"}[policy.command]
        if clause == "WITH CHECK" and policy.command != "insert":
            verb = "write rows with any content, other users' ids included"
        return [_finding(
            "rls-permissive-policy", severity, conf, f"{label} lets {who} {verb} ({clause} {expr.sql})",
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


def _definer_findings(model: PgModel, exposed: set[str]) -> list[Finding]:
    out: list[Finding] = []
    for fn in model.functions.values():
        if fn.schema not in exposed or not fn.security_definer or fn.returns in ("trigger", "event_trigger"):
            continue
        callers = fn.execute & API_ROLES
        if not callers:
            continue
        anon = bool(callers & {"anon", "public"})
        risky = fn.writes or fn.returns_rows  # a boolean helper for policies leaks little; data or writes do
        severity = Severity.MEDIUM if anon and risky and not fn.checks_caller else Severity.LOW
        checked = "; its body checks the caller" if fn.checks_caller else ", and its body never checks who calls"
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
        else:
            severity, conf = Severity.LOW, Confidence.MEDIUM
            why = "runs as its owner rather than the caller"
        fix = ("Create it `with (security_invoker = true)`." if not view.materialized
               else "Move it out of the exposed schema or revoke select from anon, authenticated.")
        out.append(_finding("rls-security-definer-exposed", severity, conf,
                            f"{kind.capitalize()} {view.qname} {why}; anon/authenticated can select from it",
                            view.where, f"view {view.qname}", fix))
    return out
