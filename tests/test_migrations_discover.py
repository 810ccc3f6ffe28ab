"""Discovery of migration files per framework, on real git repositories built from the fixtures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from handrail.core.project import Project
from handrail.migrations import discover_migrations

DATA = Path(__file__).parent / "data" / "migrations"


def fixture_files(name: str) -> dict[str, str | bytes]:
    root = DATA / name
    return {p.relative_to(root).as_posix(): p.read_text("utf-8") for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(("framework", "dialect", "count"), [
    ("laravel", "postgresql", 2), ("django", "postgresql", 2), ("alembic", "postgresql", 1),
    ("prisma", "postgresql", 2), ("drizzle", "sqlite", 2), ("supabase", "postgresql", 1),
    ("rails", "postgresql", 1), ("knex", "postgresql", 1), ("sql", "mysql", 1),
])
def test_finds_each_framework_with_dialect(make_repo: Callable[..., Path], framework: str, dialect: str,
                                           count: int) -> None:
    migs = discover_migrations(Project(make_repo(fixture_files(f"{framework}/good"))))
    assert [m.framework for m in migs] == [framework] * count
    assert {m.dialect for m in migs} == {dialect}
    assert all(m.evidence.path for m in migs)


def test_order_follows_apply_order(make_repo: Callable[..., Path]) -> None:
    migs = discover_migrations(Project(make_repo(fixture_files("django/good"))))
    assert [m.order for m in migs] == ["shop/0001", "shop/0002"]


def test_paired_down_file_is_linked_not_listed(make_repo: Callable[..., Path]) -> None:
    (mig,) = discover_migrations(Project(make_repo(fixture_files("sql/good"))))
    assert mig.path == "migrations/001_create_items.up.sql"
    assert mig.down_path == "migrations/001_create_items.down.sql"


def test_drizzle_out_dir_comes_from_config(make_repo: Callable[..., Path]) -> None:
    migs = discover_migrations(Project(make_repo(fixture_files("drizzle/bad"))))
    assert [m.path for m in migs] == ["migrations/0002_drop.sql"]
    assert migs[0].evidence.path == "drizzle.config.ts"


def test_migrations_in_test_folders_are_not_the_app(make_repo: Callable[..., Path]) -> None:
    files = {f"tests/fixtures/{k}": v for k, v in fixture_files("laravel/bad").items()}
    assert discover_migrations(Project(make_repo(files))) == []


def test_dialect_unknown_when_stack_names_several_engines(make_repo: Callable[..., Path]) -> None:
    files = fixture_files("rails/bad") | {"package.json": '{"dependencies": {"mysql2": "1"}}'}
    migs = discover_migrations(Project(make_repo(files)))
    assert migs and {m.dialect for m in migs} == {"unknown"}


def test_knex_migrations_without_a_knexfile_are_found_by_their_schema_calls(project_of) -> None:
    up = ("exports.up = function (knex) {\n  return knex.schema.createTable('monitor', (t) => { t.increments() })\n};\n"
          "exports.down = (knex) => knex.schema.dropTable('monitor');\n")
    project = project_of({"package.json": '{"dependencies": {"knex": "3"}}',
                          "db/migrations/2023_10_01_init.js": up,
                          "db/migrations/README.js": "module.exports = {}\n",
                          "src/routes/migrations/index.js": "export const up = 1\n"})
    from handrail.migrations import discover_migrations

    found = [(m.framework, m.path) for m in discover_migrations(project)]
    assert found == [("knex", "db/migrations/2023_10_01_init.js")]
