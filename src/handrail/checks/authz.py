"""authz: do private routes check authentication and ownership (and does the database enforce it)?

This release answers the data-layer half: Supabase Row Level Security replayed from the migrations, and Firebase
security rules. The route half (each route's authentication and ownership) is not analysed yet, so the check never
passes: a clean data layer leaves it `unknown`, naming what was read.
"""

from __future__ import annotations

from handrail.checks.base import Check, Rule, add_note, list_text
from handrail.core.finding import CheckResult, Finding, Location, Severity, Status
from handrail.core.project import Project

_C, _H, _M, _L, _I = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO


class Authz(Check):
    id = "authz"
    question = "Do private routes check authentication and ownership (and does the database enforce it)?"
    why = ("AI-generated handlers often fetch a record by id without checking it belongs to the caller, and "
           "Supabase tables ship without Row Level Security: any user can read any other user's data.")
    fix = "Require authentication on every non-public route and scope every query by the current user."
    good_example = ("ALTER TABLE orders ENABLE ROW LEVEL SECURITY;\n"
                    "CREATE POLICY own_orders ON orders FOR SELECT USING (auth.uid() = user_id);")
    bad_example = "CREATE TABLE orders (...);  -- in public, no RLS: the anon key reads every row"
    rules = (
        Rule("rls-disabled", _C, "Table exposed through the Supabase API without Row Level Security"),
        Rule("rls-rls-disabled-later", _C, "Row Level Security switched off by a later migration"),
        Rule("rls-permissive-policy", _H, "Policy that lets anyone (or any signed-in user) read or write every row"),
        Rule("rls-self-escalation", _H, "\"Update your own row\" on a table with a role, admin or balance column "
             "that nothing protects: each user can promote themselves"),
        Rule("rls-policy-no-owner-check", _M, "Policy on a table with an owner column that never checks the owner"),
        Rule("rls-security-definer-exposed", _M, "SECURITY DEFINER function or view callable by anon/authenticated"),
        Rule("rls-no-policy", _I, "Row Level Security on but no policy: every request is denied"),
        Rule("firebase-open-rules", _C, "Firebase rules that allow anyone to read or write"),
        Rule("firebase-any-signed-in", _H, "Firebase rules that allow any signed-in user everything"),
        Rule("firebase-test-mode", _H, "Firebase rules still in test mode (open until a date)"),
        Rule("datalayer-unparsed", _M, "A migration the SQL parser rejects: its tables and policies are unknown"),
        Rule("rls-bypassed-in-client", _C, "The Supabase service_role key or a client built with it is in browser "
             "code: it bypasses every Row Level Security policy",
             "Use the anon key in the browser; keep service_role in server routes or edge functions."),
    )

    def run(self, project: Project) -> CheckResult:
        from handrail.datalayer import build_model, firebase_findings, rls_findings
        from handrail.datalayer.firebase import rules_files

        model = build_model(project)
        findings = rls_findings(model) + firebase_findings(project)
        for bad in model.unparsed:
            findings.append(self.finding("datalayer-unparsed", f"{bad.path} cannot be parsed: {bad.message}; its "
                                         "tables and policies are not in the model", bad.path, bad.line,
                                         key=f"unparsed:{bad.path}"))
        findings = _group(findings, "rls-security-definer-exposed")
        findings.extend(self._bypass(project))
        read: list[str] = []
        if model.supabase:
            read.append(f"{len(model.tables)} table(s) from the Supabase migrations")
        rules = rules_files(project)
        if rules:
            read.append(f"{len(rules)} Firebase rules file(s)")
        evidence = [Location(path, None, "Firebase security rules") for path in rules]
        if model.supabase:
            evidence.extend(Location(t.where.path, t.where.line, f"table {t.qname}" + (", RLS on" if t.rls else
                                                                                       ", RLS off"))
                            for t in list(model.tables.values())[:20])
        routes = "route authentication and ownership are not analysed yet"
        problems = [f for f in findings if f.severity.rank > Severity.INFO.rank]
        if problems:
            worst = max(f.severity.rank for f in problems)
            status = Status.FAIL if worst >= Severity.HIGH.rank else Status.WARN
            summary = (f"data layer: {len(problems)} problem(s) ({list_text(sorted({f.rule for f in problems}))}); "
                       f"{routes}")
            return self.result(status, summary, findings, evidence)
        if read:
            summary = add_note(f"data layer: no problem in {' and '.join(read)}", f"; {routes}")
            return self.unknown(summary, evidence, findings)
        return self.unknown(f"no Supabase migrations or Firebase rules to read; {routes}", evidence, findings)

    def _bypass(self, project: Project) -> list[Finding]:
        """service_role in browser code, as least-privilege found it: whatever the policies say, that key reads
        and writes every row, so it belongs to the ownership answer too."""
        from handrail.checks.least_privilege import client_exposure

        _, found = client_exposure(project)
        return [self.finding("rls-bypassed-in-client", f"{f.message} The service_role key ignores Row Level "
                             "Security, so every policy is bypassed for whoever holds it.", f.path, f.line,
                             key=f"bypass:{f.key}", evidence=f.evidence, severity=f.severity,
                             confidence=f.confidence)
                for f in found if f.rule == "service-role-in-client"]


def _group(findings: list[Finding], rule: str, limit: int = 5) -> list[Finding]:
    """AI-built Supabase apps define SECURITY DEFINER functions by the hundred: one finding per severity, naming
    the first few and listing every place, keeps the report readable without hiding any."""
    keep = [f for f in findings if f.rule != rule]
    by_sev: dict[Severity, list[Finding]] = {}
    for f in findings:
        if f.rule == rule:
            by_sev.setdefault(f.severity, []).append(f)
    for sev, group in by_sev.items():
        if len(group) <= limit:
            keep.extend(group)
            continue
        first = group[0]
        names = "; ".join(f.message.split(":")[0][:80] for f in group[:3])
        related = [Location(f.path, f.line, f.message[:120]) for f in group[1:101]]
        keep.append(Finding(check=first.check, rule=rule, severity=sev, path=first.path, line=first.line,
                            message=f"{len(group)} SECURITY DEFINER functions or views callable through the API "
                                    f"({sev.value}): {names} ...",
                            evidence=first.evidence, fix=first.fix, key=f"group:{rule}:{sev.value}",
                            confidence=first.confidence, related=related))
    return keep


CHECK = Authz()
