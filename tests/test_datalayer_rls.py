"""RLS findings: the labelled Supabase twins plus the tuning that keeps real apps quiet."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import init_repo

from handrail.core.finding import Confidence, Finding, Severity
from handrail.core.project import Project
from handrail.datalayer import build_model, replay, rls_findings

DATA = Path(__file__).parent / "data" / "datalayer"
RLS_CASES = sorted(p.name for p in DATA.iterdir() if not p.name.startswith("firebase"))


def _labels(case: str) -> tuple[set[tuple[str, str, int]], set[tuple[str, str, int]]]:
    data = tomllib.loads((DATA / case / "labels.toml").read_text())
    keys = [{(i["rule"], i["path"], int(i["line"])) for i in data.get(k, [])} for k in ("expect", "allowed")]
    return keys[0], keys[1]


@pytest.fixture
def findings_of(tmp_path: Path) -> Callable[[str], list[Finding]]:
    def _run(name: str) -> list[Finding]:
        dst = tmp_path / name
        shutil.copytree(DATA / name, dst)
        return rls_findings(build_model(Project(init_repo(dst))))

    return _run


def _severity_bounds(case: str) -> list[tuple[tuple[str, str, int], str, str]]:
    data = tomllib.loads((DATA / case / "labels.toml").read_text())
    return [((i["rule"], i["path"], int(i["line"])), bound, i[bound])
            for kind, bound in (("expect", "min_severity"), ("allowed", "max_severity"))
            for i in data.get(kind, []) if bound in i]


@pytest.mark.parametrize("case", RLS_CASES)
def test_labelled_cases(case: str, findings_of: Callable[[str], list[Finding]]) -> None:
    expected, allowed = _labels(case)
    findings = findings_of(case)
    reported = {(f.rule, f.path or "", f.line or 0) for f in findings}
    assert reported - allowed == expected
    # a real leak reported as quietly as a catalogue, or a catalogue as loudly as a leak, is a miss too
    rank = {(f.rule, f.path or "", f.line or 0): f.severity.rank for f in findings}
    for key, bound, severity in _severity_bounds(case):
        if key in rank:
            limit = Severity(severity).rank
            assert rank[key] >= limit if bound == "min_severity" else rank[key] <= limit, (key, bound)


def test_finding_shape_and_severities(findings_of: Callable[[str], list[Finding]]) -> None:
    by_line = {f.line: f for f in findings_of("supabase-no-rls")}
    profiles, countries = by_line[2], by_line[18]
    assert profiles.check == "authz" and profiles.rule == "rls-disabled"
    assert profiles.severity == Severity.CRITICAL and profiles.confidence == Confidence.HIGH
    assert "public.profiles" in profiles.message and "owner column id" in profiles.message
    assert countries.severity == Severity.HIGH  # no owner column: exposed, but not user data
    assert "policies are not enforced" in by_line[21].message
    settings = next(f for f in by_line.values() if f.path and f.path.endswith("_settings.sql"))
    assert "explicit GRANT" in settings.message and "read and written" in settings.message


def test_permissive_policy_severity_depends_on_ownership(findings_of: Callable[[str], list[Finding]]) -> None:
    by_line = {f.line: f for f in findings_of("supabase-permissive")}
    assert by_line[8].severity == Severity.HIGH and '"Anyone can update"' in by_line[8].message
    # the open DELETE on the same table for the same callers is folded into the UPDATE finding
    assert 9 not in by_line and [r.line for r in by_line[8].related] == [9]
    assert "1 more open policy (DELETE)" in by_line[8].message
    assert by_line[17].severity == Severity.MEDIUM  # SELECT true on user data, authenticated only
    assert by_line[24].severity == Severity.HIGH  # SELECT 1 = 1 to public: anyone reads user data
    assert by_line[29].severity == Severity.LOW  # anonymous contact form insert: usually intended


def test_disabled_later_points_at_the_disable_and_the_enable(findings_of: Callable[[str], list[Finding]]) -> None:
    (finding,) = findings_of("supabase-disabled-later")
    assert finding.severity == Severity.CRITICAL and "public.documents" in finding.message
    assert [(r.path, r.line) for r in finding.related] == [("supabase/migrations/20240801090000_init.sql", 6)]


def test_definer_view_over_rls_table_is_high(findings_of: Callable[[str], list[Finding]]) -> None:
    by_line = {f.line: f for f in findings_of("supabase-definer")}
    assert by_line[10].severity == Severity.HIGH and "public.orders" in by_line[10].message
    assert "auth.users" in by_line[14].message
    assert by_line[17].severity == Severity.MEDIUM and "/rpc" in by_line[17].message


def test_no_policy_is_info(findings_of: Callable[[str], list[Finding]]) -> None:
    (finding,) = findings_of("supabase-no-policy")
    assert finding.severity == Severity.INFO and "public.audit_log" in finding.message


def test_not_supabase_reports_nothing() -> None:
    model = replay([("db/1.sql", "create table public.users (id uuid primary key, user_id uuid);")])
    assert not model.supabase and rls_findings(model) == []


def test_definer_function_that_checks_the_caller_is_low() -> None:
    model = replay([("supabase/migrations/1.sql", """
create function public.my_orders() returns setof int language sql security definer
  as $$ select id from orders where user_id = auth.uid() $$;
create function public.all_orders() returns setof int language sql security definer
  as $$ select id from orders $$;
create function public.is_admin(_uid uuid) returns boolean language sql security definer
  as $$ select exists (select 1 from admins where id = _uid) $$;
create function public.hash_pw(pw text) returns text language sql security definer
  as $$ select crypt(pw, gen_salt('bf')) $$;
""")], supabase=True)
    severities = {f.key: f.severity for f in rls_findings(model)}
    # hash_pw reads no table: SECURITY DEFINER gives it nothing to bypass, so it is not reported
    assert severities == {"function public.my_orders": Severity.LOW, "function public.all_orders": Severity.MEDIUM,
                          "function public.is_admin": Severity.LOW}


def test_policies_on_tables_made_outside_migrations_are_low_confidence() -> None:
    model = replay([("supabase/migrations/1.sql", """
create policy "own" on public.staff for update to authenticated using (auth.uid() = user_id);
create policy "everyone reads" on public.staff for select to authenticated using (true);
""")], supabase=True)
    (finding,) = rls_findings(model)
    assert finding.rule == "rls-permissive-policy" and finding.confidence == Confidence.LOW
    assert "not created by these migrations" in finding.message


def test_select_without_owner_check_is_only_info() -> None:
    model = replay([("supabase/migrations/1.sql", """
create table public.chats (id int, user_id uuid references auth.users, sharing text);
alter table public.chats enable row level security;
create policy "shared" on public.chats for select using (sharing <> 'private');
create policy "mine" on public.chats for all to authenticated using (user_id = auth.uid());
""")], supabase=True)
    (finding,) = rls_findings(model)
    assert finding.rule == "rls-policy-no-owner-check" and finding.severity == Severity.INFO


def _by_name(sql: str) -> dict[str, Finding]:
    """Findings of one Supabase migration keyed by the policy, function or view name they are about."""
    model = replay([("supabase/migrations/1.sql", sql)], supabase=True)
    return {f.key.split(" ")[1]: f for f in rls_findings(model)}


def test_deny_and_service_role_policies_are_quiet() -> None:
    found = _by_name("""
create table public.orders (id int, user_id uuid references auth.users, total int);
alter table public.orders enable row level security;
create policy "block anon" on public.orders for all to anon using (false);
create policy "no deletes" on public.orders for delete using (false);
create policy "no inserts" on public.orders for insert with check (false);
create policy "service" on public.orders for all using (auth.role() = 'service_role')
  with check (auth.role() = 'service_role');
create policy "service jwt" on public.orders for update using ((auth.jwt() ->> 'role') = 'service_role');
create policy "own" on public.orders for select using (auth.uid() = user_id);
""")
    assert found == {}


def test_user_data_without_an_owner_column() -> None:
    found = _by_name("""
create table public.profiles (id uuid primary key, full_name text, email text);
create table public.invitations (id uuid, email text, token text);
create table public.categories (id int, name text);
create table public.blog_posts (id int, author_id uuid references auth.users, title text);
create table public.accounts (id uuid, nickname text);
alter table public.profiles enable row level security;
alter table public.invitations enable row level security;
alter table public.categories enable row level security;
alter table public.blog_posts enable row level security;
alter table public.accounts enable row level security;
create policy "profiles" on public.profiles for select using (true);
create policy "invites" on public.invitations for select to authenticated using (true);
create policy "categories" on public.categories for select using (true);
create policy "posts" on public.blog_posts for select using (true);
create policy "accounts" on public.accounts for select using (true);
""")
    assert found["profiles"].severity == Severity.HIGH and "column full_name" in found["profiles"].message
    assert found["invites"].severity == Severity.MEDIUM  # signed-in users read every invitation token
    assert "categories" not in found  # a catalogue: public by design
    assert found["posts"].severity == Severity.LOW and "published content" in found["posts"].message
    assert found["accounts"].severity == Severity.HIGH and "accounts table" in found["accounts"].message


def test_open_writes_by_table_kind() -> None:
    found = _by_name("""
create table public.products (id int, name text);
create table public.user_roles (id int, user_id uuid, role text);
create table public.messages (id int, email text, body text);
create table public.tags (id int, name text);
alter table public.products enable row level security;
alter table public.user_roles enable row level security;
alter table public.messages enable row level security;
alter table public.tags enable row level security;
create policy "anon edits" on public.products for update to anon using (true);
create policy "anon deletes" on public.products for delete using (true);
create policy "grant myself" on public.user_roles for insert to authenticated with check (true);
create policy "contact" on public.messages for insert to anon with check (true);
create policy "signed-in tags" on public.tags for update to authenticated using (auth.uid() is not null);
""")
    assert found["anon"].severity == Severity.HIGH  # "anon edits": anyone rewrites the catalogue
    sev = {k: f.severity for k, f in found.items()}
    assert sev == {"anon": Severity.HIGH, "grant": Severity.HIGH, "contact": Severity.LOW,
                   "signed-in": Severity.MEDIUM}
    assert "user_roles table" in found["grant"].message


def test_self_escalation_through_update_own_row() -> None:
    found = _by_name("""
create table public.profiles (id uuid primary key references auth.users, role text, bio text);
alter table public.profiles enable row level security;
create policy "own" on public.profiles for update to authenticated using (auth.uid() = id);
create policy "checked" on public.profiles for update to authenticated
  using (auth.uid() = id) with check (auth.uid() = id and role = 'member');
create policy "founder" on public.profiles for all to authenticated
  using (auth.uid() = '5b3f8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b'::uuid);
""")
    assert set(found) == {"own"}
    assert found["own"].severity == Severity.HIGH and "column role" in found["own"].message
    assert found["own"].rule == "rls-self-escalation"


def test_definer_tuning_by_what_the_function_does() -> None:
    found = _by_name("""
create table public.profiles (id uuid primary key, credits int);
alter table public.profiles enable row level security;
create policy "own" on public.profiles for select to authenticated using (auth.uid() = id);
create function public.topup(p_user_id uuid, n int) returns void language sql security definer
  as $$ update public.profiles set credits = credits + n where id = p_user_id $$;
create function public.mine(p_user_id uuid) returns void language sql security definer
  as $$ update public.profiles set credits = 0 where id = p_user_id and p_user_id = auth.uid() $$;
create function public.note(p_user_id uuid) returns void language sql security definer
  as $$ insert into public.audit_log (user_id) values (p_user_id) $$;
create function public.claim(_token text, _user_id uuid) returns void language sql security definer
  as $$ update public.profiles set credits = 5 where id = _user_id and exists (select 1 from codes where t = _token) $$;
create function public.hash(pw text) returns text language sql security definer as $$ select md5(pw) $$;
create view public.board as select id, credits from public.profiles;
create view public.my_row as select id, credits from public.profiles where id = auth.uid();
""")
    sev = {k: f.severity for k, f in found.items() if f.rule == "rls-security-definer-exposed"}
    assert sev == {"public.topup": Severity.HIGH, "public.mine": Severity.LOW, "public.note": Severity.MEDIUM,
                   "public.claim": Severity.LOW, "public.board": Severity.HIGH, "public.my_row": Severity.MEDIUM}
    assert "p_user_id" in found["public.topup"].message


def test_open_write_policies_are_reported_once_per_table_and_audience() -> None:
    model = replay([("supabase/migrations/1.sql", """
create table public.stores (id int, name text);
alter table public.stores enable row level security;
create policy "Allow public insert access" on public.stores for insert with check (true);
create policy "Allow public update access" on public.stores for update using (true);
create policy "Allow public delete access" on public.stores for delete using (true);
create policy "Staff edit" on public.stores for update to authenticated using (auth.uid() is not null);
""")], supabase=True)
    anyone, staff = rls_findings(model)
    assert anyone.line == 5 and anyone.severity == Severity.HIGH  # the worst of the three, first on ties
    assert [r.line for r in anyone.related] == [6, 4] and "2 more open policies (DELETE, INSERT)" in anyone.message
    assert staff.line == 7 and staff.related == [] and "every signed-in user" in staff.message
