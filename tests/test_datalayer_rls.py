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


@pytest.mark.parametrize("case", RLS_CASES)
def test_labelled_cases(case: str, findings_of: Callable[[str], list[Finding]]) -> None:
    expected, allowed = _labels(case)
    reported = {(f.rule, f.path or "", f.line or 0) for f in findings_of(case)}
    assert reported - allowed == expected


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
    assert by_line[9].severity == Severity.HIGH and "every signed-in user" in by_line[9].message
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
create function public.is_admin() returns boolean language sql security definer
  as $$ select true $$;
""")], supabase=True)
    severities = {f.key: f.severity for f in rls_findings(model)}
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
