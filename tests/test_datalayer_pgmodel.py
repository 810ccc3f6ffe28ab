"""The pglast replay: what the model holds after a project's migrations, and that nothing stops it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import init_repo

from handrail.core.project import Project
from handrail.datalayer.pgmodel import build_model, migration_files, replay

DATA = Path(__file__).parent / "data" / "datalayer"


@pytest.fixture
def case(tmp_path: Path) -> Callable[[str], Project]:
    """A committed git repository copied from tests/data/datalayer/<name>."""

    def _case(name: str) -> Project:
        dst = tmp_path / name
        shutil.copytree(DATA / name, dst)
        return Project(init_repo(dst))

    return _case


def test_supabase_files_replay_in_timestamp_order(project_of: Callable[..., Project]) -> None:
    project = project_of({
        "supabase/migrations/20240302000000_b.sql": "alter table public.t enable row level security;",
        "supabase/migrations/20240301000000_a.sql": "create table public.t (id int, user_id uuid);",
        "supabase/config.toml": "[api]\nschemas = ['public', 'api']\n",
    })
    assert migration_files(project) == ["supabase/migrations/20240301000000_a.sql",
                                        "supabase/migrations/20240302000000_b.sql"]
    model = build_model(project)
    assert model.supabase and model.exposed_schemas == ("public", "api")
    assert model.tables[("public", "t")].rls  # enabling in the later file found the table of the earlier one


def test_prisma_folders_and_plain_postgres(case: Callable[[str], Project]) -> None:
    model = build_model(case("prisma-plain"))
    assert [p.rsplit("/", 2)[1] for p in model.files] == ["20240101000000_init", "20240201000000_posts"]
    assert not model.supabase  # no auth.uid(), no anon role: not a Supabase database
    post = model.tables[("public", "post")]
    assert post.columns["authorid"].references == "public.user"
    assert post.grants == {}


def test_drizzle_statement_breakpoints(case: Callable[[str], Project]) -> None:
    model = build_model(case("drizzle-supabase"))
    assert model.files == ["drizzle/0000_init.sql", "drizzle/0001_rls.sql"]
    assert model.supabase  # guessed from auth.uid() and `to authenticated`
    assert set(model.tables) == {("public", "chats"), ("public", "chat_messages")}
    assert model.tables[("public", "chats")].rls and not model.tables[("public", "chat_messages")].rls
    (policy,) = model.policies
    assert (policy.table, policy.command, policy.roles) == ("chats", "all", ("authenticated",))
    assert policy.where.line == 2 and policy.using is not None and policy.using.identity_check
    assert model.tables[("public", "chat_messages")].where.line == 7


def test_unparseable_migration_is_recorded_and_the_replay_goes_on(case: Callable[[str], Project]) -> None:
    model = build_model(case("supabase-unparsed"))
    (bad,) = model.unparsed
    assert bad.path.endswith("20241002090000_report.sql") and bad.line == 3
    assert bad.message.startswith("syntax error") and "\n" not in bad.message
    assert ("public", "rooms") in model.tables  # the statement after the broken one is salvaged
    assert ("public", "booking_report") not in model.views
    assert model.tables[("public", "bookings")].rls  # the file after the broken one still applies
    assert [n.kind for n in model.notes] == ["do-block"]
    assert model.notes[0].where.line == 5


def test_good_app_model(case: Callable[[str], Project]) -> None:
    model = build_model(case("supabase-good"))
    todos = model.tables[("public", "todos")]
    assert todos.where == todos.where.__class__("supabase/migrations/20240302100000_todos.sql", 1)
    assert [c.name for c in todos.owner_columns] == ["user_id"]
    assert todos.columns["user_id"].type == "uuid" and todos.columns["user_id"].references == "auth.users"
    assert model.tables[("public", "profiles")].owner_columns[0].name == "id"  # id references auth.users
    assert todos.rls and todos.rls_where is not None and todos.rls_where.line == 9
    assert todos.api_privileges() == {"select", "insert", "update", "delete"}  # Supabase default grants
    assert model.tables[("public", "stripe_events")].api_privileges() == set()
    commands = sorted(p.command for p in model.policies_for(todos))
    assert commands == ["all", "delete", "insert", "select", "update"]
    service = next(p for p in model.policies_for(todos) if p.command == "all")
    assert service.roles == ("service_role",) and service.using is not None and service.using.always_true
    assert model.views[("public", "my_todo_counts")].security_invoker
    assert model.views[("public", "my_todo_counts")].sources == ("public.todos",)
    trigger = model.functions[("public", "handle_new_user")]
    assert trigger.security_definer and trigger.returns == "trigger" and trigger.language == "plpgsql"
    assert model.functions[("public", "purge_old_todos")].execute == set()
    team_policy = next(p for p in model.policies if p.table == "teams")
    assert team_policy.using is not None and team_policy.using.delegated and not team_policy.using.identity_check


def test_renames_drops_and_policy_changes_follow_the_table() -> None:
    model = replay([("m/1.sql", """
create table public.notes (id int, user_id uuid references auth.users, body text);
alter table public.notes enable row level security;
create policy own on public.notes for select to authenticated using (auth.uid() = user_id);
create policy tmp on public.notes for delete to authenticated using (true);
"""), ("m/2.sql", """
alter table public.notes rename to memos;
alter table public.memos rename column body to text_body;
alter policy own on public.memos rename to mine;
drop policy if exists tmp on public.memos;
alter policy mine on public.memos using (true);
create table public.scratch (id int);
drop table public.scratch;
""")])
    assert set(model.tables) == {("public", "memos")}
    memos = model.tables[("public", "memos")]
    assert "text_body" in memos.columns and "body" not in memos.columns
    (policy,) = model.policies
    assert (policy.name, policy.table) == ("mine", "memos")
    assert policy.using is not None and policy.using.always_true and policy.where == policy.where.__class__(
        "m/2.sql", 6)
    kinds = [e.kind for e in model.events]
    assert kinds == ["rename-table", "rename-column", "rename-policy", "drop-policy", "drop-table"]
    assert model.events[3].where.line == 5


def test_grants_revokes_and_default_privileges() -> None:
    model = replay([("m.sql", """
create table public.a (id int);
revoke all on public.a from anon, authenticated;
grant select on public.a to anon;
alter default privileges in schema public revoke all on tables from anon, authenticated;
create table public.b (id int);
create table public.c (id int);
grant insert, update on all tables in schema public to authenticated;
create function public.f() returns setof public.a language sql security definer as $$ select * from public.a $$;
revoke execute on function public.f from public, anon;
""")], supabase=True)
    assert model.tables[("public", "a")].grants == {"anon": {"select"}, "authenticated": {"insert", "update"}}
    assert model.tables[("public", "a")].explicit_grant is not None
    assert model.tables[("public", "b")].grants == {"authenticated": {"insert", "update"}}
    assert not model.tables[("public", "b")].default_granted
    fn = model.functions[("public", "f")]
    assert fn.execute == {"authenticated"} and fn.returns_rows and not fn.writes


@pytest.mark.parametrize(("sql", "true", "signed_in", "identity"), [
    ("true", True, False, False),
    ("1 = 1", True, False, False),
    ("'t'::boolean", True, False, False),
    ("auth.uid() is not null", False, True, False),
    ("auth.role() = 'authenticated'", False, True, False),
    ("(select auth.uid()) = user_id", False, False, True),
    ("auth.uid() = user_id or is_public", False, False, True),
    ("status = 'draft'", False, False, False),
])
def test_policy_expression_facts(sql: str, true: bool, signed_in: bool, identity: bool) -> None:
    model = replay([("m.sql", f"create policy p on t for select using ({sql});")], supabase=True)
    expr = model.policies[0].using
    assert expr is not None
    assert (expr.always_true, expr.signed_in_only, expr.identity_check) == (true, signed_in, identity)
    assert expr.sql  # the deparsed text is kept for messages


def test_lines_count_characters_not_bytes_and_skip_leading_comments() -> None:
    sql = "-- Überschrift: schéma\n/* multi\nline */\n\ncreate table public.x (id int);\n"
    model = replay([("m.sql", sql)], supabase=True)
    assert model.tables[("public", "x")].where.line == 5


def test_garbage_file_does_not_raise() -> None:
    model = replay([("a.sql", "this is not sql at all (("), ("b.sql", "create table t (id int);")], supabase=True)
    assert [u.path for u in model.unparsed] == ["a.sql"] and model.unparsed[0].line == 1
    assert ("public", "t") in model.tables


def test_hand_numbered_files_replay_in_numeric_order(project_of: Callable[..., Project]) -> None:
    project = project_of({
        "supabase/migrations/phase10_off.sql": "alter table public.t disable row level security;",
        "supabase/migrations/phase2_on.sql": "alter table public.t enable row level security;",
        "supabase/migrations/phase1_t.sql": "create table public.t (id int, user_id uuid);",
    })
    assert migration_files(project) == ["supabase/migrations/phase1_t.sql", "supabase/migrations/phase2_on.sql",
                                        "supabase/migrations/phase10_off.sql"]
    table = build_model(project).tables[("public", "t")]
    assert not table.rls and table.disabled_where is not None  # as text, phase10 would run before phase1


@pytest.mark.parametrize(("sql", "false", "service"), [
    ("false", True, False),
    ("1 = 0", True, False),
    ("false and auth.uid() = user_id", True, False),
    ("auth.role() = 'service_role'", False, True),
    ("(auth.jwt() ->> 'role') = 'service_role'", False, True),
    ("current_setting('request.jwt.claim.role', true) = 'service_role'", False, True),
    ("auth.role() = 'service_role' or auth.uid() = user_id", False, False),
    ("auth.role() = 'authenticated'", False, False),
    ("true", False, False),
])
def test_deny_and_service_role_expressions(sql: str, false: bool, service: bool) -> None:
    model = replay([("m.sql", f"create policy p on t for all using ({sql});")], supabase=True)
    expr = model.policies[0].using
    assert expr is not None and (expr.always_false, expr.service_only) == (false, service)


def test_do_block_ddl_is_replayed() -> None:
    model = replay([("m.sql", """create table public.t (id int, user_id uuid);
create policy "open" on public.t for select using (true);
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_policies WHERE policyname = 'open') THEN
    DROP POLICY "open" ON public.t;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE policyname = 'own') THEN
    CREATE POLICY "own" ON public.t FOR SELECT USING (auth.uid() = user_id);
  END IF;
  ALTER TABLE public.t ENABLE ROW LEVEL SECURITY;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
DO $$ BEGIN CREATE POLICY "own" ON public.t FOR SELECT USING (auth.uid() = user_id);
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN EXECUTE 'alter table public.t disable row level security'; END $$;
""")], supabase=True)
    assert [(p.name, p.where.line) for p in model.policies] == [("own", 9)]  # guarded twice, created once
    assert model.tables[("public", "t")].rls
    assert [n.where.line for n in model.notes if n.kind == "do-block"] == [16]  # dynamic SQL stays unknown


def test_view_security_invoker_set_later_and_reset_by_replace() -> None:
    model = replay([("m.sql", """create table public.t (id int);
create view public.a as select id from public.t;
alter view public.a set (security_invoker = on);
create view public.b with (security_invoker = true) as select id from public.t;
create or replace view public.b as select id from public.t;
create view public.c with (security_invoker = true) as select id from public.t;
alter view public.c reset (security_invoker);
create view public.d as select id from public.t where id = (select auth.uid())::int;
""")], supabase=True)
    invoker = {k[1]: v.security_invoker for k, v in model.views.items()}
    assert invoker == {"a": True, "b": False, "c": False, "d": False}
    assert model.views[("public", "d")].filters_caller and not model.views[("public", "a")].filters_caller


def test_function_facts_for_definer_tuning() -> None:
    model = replay([("m.sql", """create type public.app_role as enum ('admin', 'user');
create function public.hash(pw text) returns text language sql security definer as $$ select crypt(pw, 'x') $$;
create function public.role_of(_user_id uuid) returns app_role language sql security definer
  as $$ select role from user_roles where user_id = _user_id $$;
create function public.topup(p_user_id uuid, amount int) returns void language sql security definer
  as $$ update profiles set credits = credits + amount where id = p_user_id $$;
create function public.log_it(target_user_id uuid) returns void language sql security definer
  as $$ insert into audit_log (user_id) values (target_user_id) $$;
create function public.redeem(_code text, _user_id uuid) returns table (ok boolean) language sql security definer
  as $$ update invites set user_id = _user_id where code = _code returning true $$;
create function public.guard() returns trigger language plpgsql as $$ begin
  if new.role <> old.role then raise exception 'no'; end if; return new; end $$;
""")], supabase=True)
    fn = {k[1]: f for k, f in model.functions.items()}
    assert not fn["hash"].touches_tables and fn["role_of"].touches_tables
    assert not fn["role_of"].returns_rows  # an enum is a scalar
    assert fn["topup"].user_params == ("p_user_id",) and fn["topup"].changes_rows and not fn["topup"].log_only
    assert fn["log_it"].log_only and not fn["log_it"].changes_rows
    assert fn["redeem"].secret_param and fn["redeem"].returns_rows
    assert fn["guard"].row_columns == {"role"}


def test_update_triggers_and_column_grants() -> None:
    model = replay([("m.sql", """create table public.p (id uuid, role text, name text);
create trigger g before update on public.p for each row execute function public.guard();
create trigger a after update on public.p for each row execute function public.audit();
create table public.w (id uuid, balance int, name text);
revoke update on public.w from authenticated;
grant update (name) on public.w to authenticated;
""")], supabase=True)
    assert model.tables[("public", "p")].update_triggers == ["public.guard"]
    w = model.tables[("public", "w")]
    assert w.column_grants and "update" not in w.grants["authenticated"]
