"""The backups check on real repositories: the labelled twins in tests/data/backups, copied into git repos, plus
edge cases built in tmp_path (unknowns, unparsed CI, a pipeline reader crash)."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from conftest import init_repo

from handrail.checks import all_rules
from handrail.checks.backups import CHECK
from handrail.core.finding import Confidence, Severity, Status
from handrail.core.project import Project

DATA = Path(__file__).parent / "data" / "backups"
CASES = tomllib.loads((DATA / "cases.toml").read_text())
TWINS = [(name, twin) for name in sorted(CASES) for twin in ("good", "bad")]


def _copy(tmp_path: Path, name: str, twin: str) -> Project:
    dst = tmp_path / f"{name}-{twin}"
    shutil.copytree(DATA / name / twin, dst, symlinks=True)
    return Project(init_repo(dst))


def test_check_metadata_and_rules_are_unique():
    assert CHECK.id == "backups"
    for attr in ("question", "why", "fix", "good_example", "bad_example"):
        assert getattr(CHECK, attr)
    assert "handrail migrate --" in CHECK.fix
    rules = all_rules()
    assert all(rules[r.id][0].id == "backups" for r in CHECK.rules)


@pytest.mark.parametrize(("name", "twin"), TWINS)
def test_labelled_twins(tmp_path: Path, name: str, twin: str):
    want = CASES[name][twin]
    result = CHECK.run(_copy(tmp_path, name, twin))
    assert result.status is Status(want["status"]), result.summary
    got = sorted(f"{f.path}:{f.line}" for f in result.findings)
    assert got == sorted(want["flagged"])
    assert all(f.rule == "migrate-without-backup" for f in result.findings)
    if want.get("severity"):
        assert {f.severity for f in result.findings} == {Severity(want["severity"])}
    elif result.findings:
        assert {f.severity for f in result.findings} == {Severity.MEDIUM}
    if result.status is Status.PASS:
        assert result.evidence and all(loc.path for loc in result.evidence)


def test_pass_names_each_backup(tmp_path: Path):
    result = CHECK.run(_copy(tmp_path, "gha-pgdump", "good"))
    assert [(loc.path, loc.line) for loc in result.evidence] == [(".github/workflows/deploy.yml", 15)]
    result = CHECK.run(_copy(tmp_path, "procfile", "good"))
    assert [(loc.path, loc.line) for loc in result.evidence] == [("bin/backup-db", 3)]


def test_destructive_migration_makes_it_high_and_names_it(tmp_path: Path):
    result = CHECK.run(_copy(tmp_path, "procfile", "bad"))
    (f,) = result.findings
    assert f.severity is Severity.HIGH
    assert "drop column" in f.message and "2024_03_01_000000_drop_legacy_note.php" in f.message
    assert "handrail migrate -- php artisan migrate --force" in f.fix


def test_container_and_package_paths_are_medium_confidence(tmp_path: Path):
    for name in ("dockerfile", "package-build"):
        (f,) = CHECK.run(_copy(tmp_path, name, "bad")).findings
        assert f.confidence is Confidence.MEDIUM
    (f,) = CHECK.run(_copy(tmp_path, "fly", "bad")).findings
    assert f.confidence is Confidence.HIGH


def test_deployer_fix_overrides_the_task(tmp_path: Path):
    (f,) = CHECK.run(_copy(tmp_path, "deployer", "bad")).findings
    assert "task('artisan:migrate'" in f.fix and "handrail migrate --" in f.fix


def test_migrations_run_by_hand_are_unknown(project_of):
    result = CHECK.run(project_of({
        "supabase/migrations/20240101000000_init.sql": "create table notes (id bigint primary key);\n",
        "package.json": '{"scripts": {"build": "next build"}}\n',
    }))
    assert result.status is Status.UNKNOWN
    assert "nothing in the repository runs them" in result.summary
    assert [loc.path for loc in result.evidence] == ["supabase/migrations"]
    assert result.findings == []


def test_no_migrations_and_no_database_is_unknown(project_of):
    result = CHECK.run(project_of({"README.md": "# static site\n", "index.html": "<h1>hi</h1>\n"}))
    assert result.status is Status.UNKNOWN
    assert "No migrations found and no database detected" in result.summary


def test_unparsed_ci_never_passes(tmp_path: Path):
    project = _copy(tmp_path, "fly", "good")
    (project.root / ".github" / "workflows").mkdir(parents=True)
    (project.root / ".github" / "workflows" / "broken.yml").write_text("jobs:\n  deploy: [\n")
    result = CHECK.run(Project(project.root))
    assert result.status is Status.UNKNOWN
    assert "broken.yml" in result.summary


def test_pipeline_crash_is_a_finding_not_a_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    project = _copy(tmp_path, "fly", "good")

    def boom(_project: Project) -> None:
        raise RuntimeError("reader bug")

    monkeypatch.setattr("handrail.pipeline.build_pipeline_model", boom)
    result = CHECK.run(project)
    assert result.status is Status.UNKNOWN
    assert [f.rule for f in result.findings] == ["backups-ci-unreadable"]
