"""Migration analysis against the labelled fixtures (`expect: migration-<rule>` on the line to flag)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from handrail.core.finding import Severity
from handrail.core.project import Project
from handrail.migrations import (
    analyze_migrations,
    discover_migrations,
    has_destructive,
    migration_findings,
)
from handrail.migrations.analyze import sql_operations, strip_comments

DATA = Path(__file__).parent / "data" / "migrations"
FRAMEWORKS = sorted(p.name for p in DATA.iterdir() if p.is_dir())


def fixture_files(name: str) -> dict[str, str | bytes]:
    root = DATA / name
    return {p.relative_to(root).as_posix(): p.read_text("utf-8") for p in root.rglob("*") if p.is_file()}


def labels(files: dict[str, str | bytes]) -> set[tuple[str, int, str]]:
    out = set()
    for path, text in files.items():
        for no, line in enumerate(str(text).splitlines(), 1):
            m = re.search(r"expect:((?:\s+migration-[\w-]+)+)", line)
            if m:
                out.update((path, no, rule) for rule in m[1].split())
    return out


def run(make_repo: Callable[..., Path], files: dict[str, str | bytes]) -> tuple[Project, list]:
    project = Project(make_repo(files))
    return project, migration_findings(analyze_migrations(project, discover_migrations(project)))


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_bad_fixture_findings_match_labels(make_repo: Callable[..., Path], framework: str) -> None:
    files = fixture_files(f"{framework}/bad")
    _, findings = run(make_repo, files)
    assert labels(files), "every bad fixture plants at least one problem"
    assert {(f.path, f.line, f.rule) for f in findings} == labels(files)
    assert all(f.check == "rollback" and f.rule.startswith("migration-") for f in findings)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_good_fixture_is_clean(make_repo: Callable[..., Path], framework: str) -> None:
    project, findings = run(make_repo, fixture_files(f"{framework}/good"))
    assert [f"{f.path}:{f.line} {f.rule}" for f in findings] == []
    assert has_destructive(project, discover_migrations(project)) == []


def test_has_destructive_names_the_migrations(make_repo: Callable[..., Path]) -> None:
    project = Project(make_repo(fixture_files("alembic/bad")))
    (hit,) = has_destructive(project, discover_migrations(project))
    assert {op.kind for op in hit.destructive} >= {"drop_table", "drop_column", "alter_type"}


def test_severity_tiers(make_repo: Callable[..., Path]) -> None:
    _, findings = run(make_repo, fixture_files("supabase/bad"))
    by = {(f.rule, f.evidence.split()[0].lower()): f.severity for f in findings}
    assert by[("migration-destructive", "truncate")] is Severity.HIGH
    assert by[("migration-destructive", "alter")] in (Severity.MEDIUM, Severity.HIGH)
    assert {f.severity for f in findings if f.rule == "migration-locking"} <= {Severity.LOW, Severity.MEDIUM}


def test_unparsed_statement_costs_one_finding_rest_analysed() -> None:
    ops, error = sql_operations("CREATE TABLE a (id int);\nSELECT * FROM t AS current_user;\nDROP TABLE b;\n",
                                "postgresql")
    assert error is not None and error[0] == 2
    assert [(op.kind, op.table) for op in ops] == [("create_table", "a"), ("drop_table", "b")]


def test_locking_is_postgresql_only() -> None:
    sql = "CREATE INDEX i ON t (a);\nALTER TABLE t ADD COLUMN x int NOT NULL;\n"
    pg, _ = sql_operations(sql, "postgresql")
    my, _ = sql_operations(sql, "mysql")
    assert [op.kind for op in pg] == ["create_index", "add_column_not_null"]
    assert [op.kind for op in my] == []  # sqlglot path: not recorded for MySQL, no locking rules there


def test_one_finding_per_migration_rule_object(make_repo: Callable[..., Path]) -> None:
    sql = "ALTER TABLE t DROP COLUMN a;\nALTER TABLE t DROP COLUMN IF EXISTS a;\nDROP TABLE t2;\n"
    _, findings = run(make_repo, {"supabase/migrations/1_x.sql": sql})
    assert sorted((f.line, f.rule) for f in findings) == [(1, "migration-destructive"), (3, "migration-destructive")]


def test_comment_stripping_keeps_strings_and_lines() -> None:
    src = "a('#x'); // drop('y')\n/* dropColumn('z')\n*/ b();\n"
    out = strip_comments(src, ("//", "#"))
    assert out.count("\n") == src.count("\n") and "'#x'" in out
    assert "drop" not in out and "b();" in out
