"""The `authz` check's data-layer half: statuses from the Supabase/Firebase fixtures, never a pass while routes
are unanalysed, and SECURITY DEFINER findings grouped so a large app is not buried."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import init_repo

from handrail.checks.authz import CHECK
from handrail.core.finding import Status
from handrail.core.project import Project

DATA = Path(__file__).parent / "data" / "datalayer"


def project_for(case: str, tmp_path: Path) -> Project:
    root = tmp_path / case
    shutil.copytree(DATA / case, root)
    init_repo(root)
    return Project(root)


def test_tables_without_rls_fail_with_file_and_line(tmp_path: Path) -> None:
    result = CHECK.run(project_for("supabase-no-rls", tmp_path))
    assert result.status is Status.FAIL
    hits = [f for f in result.findings if f.rule == "rls-disabled"]
    assert hits and all(f.path and f.path.startswith("supabase/migrations/") and f.line for f in hits)
    assert "not analysed yet" in result.summary


def test_a_clean_data_layer_is_unknown_not_pass_and_names_what_it_read(tmp_path: Path) -> None:
    result = CHECK.run(project_for("supabase-good", tmp_path))
    assert result.status is Status.UNKNOWN
    assert "table(s) from the Supabase migrations" in result.summary and "route authentication" in result.summary
    assert any(loc.path and loc.path.endswith(".sql") for loc in result.evidence)


def test_open_firebase_rules_fail(tmp_path: Path) -> None:
    result = CHECK.run(project_for("firebase-open", tmp_path))
    assert result.status is Status.FAIL
    assert {f.rule for f in result.findings} >= {"firebase-open-rules"}


def test_nothing_to_read_is_unknown(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "app.py").write_text("print('hi')\n")
    init_repo(root)
    result = CHECK.run(Project(root))
    assert result.status is Status.UNKNOWN and "no Supabase migrations" in result.summary


def test_many_security_definer_functions_become_one_finding_per_severity(tmp_path: Path) -> None:
    root = tmp_path / "many"
    (root / "supabase" / "migrations").mkdir(parents=True)
    (root / "supabase" / "config.toml").write_text('project_id = "many"\n')
    sql = ["CREATE TABLE public.notes (id uuid PRIMARY KEY, user_id uuid REFERENCES auth.users, body text);",
           "ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;",
           "CREATE POLICY own ON public.notes FOR ALL USING (auth.uid() = user_id);"]
    for i in range(12):
        sql.append(f"CREATE FUNCTION public.wipe_{i}() RETURNS void LANGUAGE sql SECURITY DEFINER AS "
                   f"$$ DELETE FROM public.notes $$;")
        sql.append(f"GRANT EXECUTE ON FUNCTION public.wipe_{i}() TO anon;")
    (root / "supabase" / "migrations" / "20250101000000_init.sql").write_text("\n".join(sql) + "\n")
    init_repo(root)
    result = CHECK.run(Project(root))
    definers = [f for f in result.findings if f.rule == "rls-security-definer-exposed"]
    assert len({f.severity for f in definers}) == len(definers)  # one per severity
    assert sum(1 + len(f.related) for f in definers) == 12
    assert any("12 SECURITY DEFINER" in f.message for f in definers)


def test_service_role_in_browser_code_bypasses_rls_and_is_found_once_per_run(project_of) -> None:
    files = {"package.json": '{"dependencies": {"vite": "5", "@supabase/supabase-js": "2"}}',
             "src/lib/admin.ts": "import { createClient } from '@supabase/supabase-js'\n"
                                 "export const admin = createClient(url,\n"
                                 "  import.meta.env.VITE_SUPABASE_SERVICE_ROLE_KEY)\n",
             "supabase/functions/purge/index.ts": "const k = Deno.env.get('SUPABASE_SERVICE_ROLE_KEY')\n"}
    project = project_of(files)
    result = CHECK.run(project)
    assert result.status is Status.FAIL
    assert [(f.rule, f.path, f.line) for f in result.findings] == [("rls-bypassed-in-client", "src/lib/admin.ts", 3)]
    assert "ignores Row Level Security" in result.findings[0].message
    from handrail.checks.least_privilege import CHECK as LP

    lp = LP.run(project)  # least-privilege reads the same memoised scan: one pass over the browser code
    assert [(f.path, f.line) for f in lp.findings if f.rule == "service-role-in-client"] == [("src/lib/admin.ts", 3)]
    assert "client-exposure" in project._memo
