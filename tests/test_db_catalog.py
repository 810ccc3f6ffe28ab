"""The backup catalog: where it lives, its permissions, the index, retention and the contract JSON."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import init_repo

from handrail.core.config import DefaultConfig, load_config
from handrail.db.catalog import BackupRecord, Catalog, default_backup_dir, new_backup_id
from handrail.db.engine import DatabaseError


def _record(catalog: Catalog, when: datetime, project: Path, command: str | None = None) -> BackupRecord:
    bid = new_backup_id(when)
    catalog.ensure()
    (catalog.folder / f"{bid}.sqlite3").write_bytes(b"dump")
    (catalog.folder / f"{bid}.snapshot.json").write_bytes(b"{}")
    return BackupRecord(id=bid, engine="sqlite", created=when.isoformat(), size=4, sha256="0" * 64,
                        source="sqlite:////srv/app.db", project=str(project), file=f"{bid}.sqlite3",
                        snapshot_file=f"{bid}.snapshot.json", snapshot_sha256="1" * 64, command=command)


def test_backup_dir_order(tmp_path: Path) -> None:
    (tmp_path / "handrail.toml").write_text('[backups]\ndir = "/srv/backups"\nkeep = 5\n')
    env = {"HANDRAIL_BACKUP_DIR": "/var/hb", "XDG_DATA_HOME": "/data", "HOME": "/home/u"}
    assert default_backup_dir(load_config(tmp_path), env, tmp_path) == Path("/srv/backups")
    assert default_backup_dir(DefaultConfig(), env, tmp_path) == Path("/var/hb")
    del env["HANDRAIL_BACKUP_DIR"]
    assert default_backup_dir(DefaultConfig(), env, tmp_path) == Path("/data/handrail/backups")
    env["XDG_DATA_HOME"] = "relative/ignored"
    assert default_backup_dir(DefaultConfig(), env, tmp_path) == Path("/home/u/.local/share/handrail/backups")


def test_folder_inside_work_tree_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    init_repo(repo)
    with pytest.raises(DatabaseError, match=r"inside the repository .*backups.dir") as err:
        Catalog.open(repo / "app", DefaultConfig(), {"HANDRAIL_BACKUP_DIR": str(repo / ".backups")})
    assert "\n" not in str(err.value)
    cat = Catalog.open(repo / "app", DefaultConfig(), {"HANDRAIL_BACKUP_DIR": str(tmp_path / "outside")})
    assert cat.folder == (tmp_path / "outside").resolve() and cat.project == (repo / "app").resolve()


def test_permissions_and_atomic_index(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "b" / "backups", project=tmp_path)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "backups").mkdir(mode=0o755)
    rec = cat.add(_record(cat, datetime.now(UTC), tmp_path, command="psql postgresql://u:hunter2hunter2@h/db"))
    assert stat.S_IMODE(cat.folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(cat.index_path.stat().st_mode) == 0o600
    assert sorted(p.name for p in cat.folder.iterdir() if p.name.endswith(".tmp")) == []
    text = cat.index_path.read_text()
    assert "hunter2" not in text and json.loads(text)["version"] == 1
    assert cat.get(rec.id).command == "psql postgresql://***@h/db"
    assert cat.set_command(rec.id, "php artisan migrate --force --database=mysql://r:toptoptop@x/y").command == (
        "php artisan migrate --force --database=mysql://***@x/y")


def test_get_by_prefix_list_order_and_remove(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c", project=tmp_path)
    t0 = datetime(2026, 11, 25, 17, 1, 2, tzinfo=UTC)
    a = cat.add(_record(cat, t0, tmp_path))
    b = cat.add(_record(cat, t0 + timedelta(hours=1), tmp_path))
    assert a.id.startswith("20261125T170102Z-") and len(a.id) == 23
    assert [r.id for r in cat.list()] == [b.id, a.id]
    assert cat.get(b.id[:18]).id == b.id  # the hour differs, so a short prefix is unique
    with pytest.raises(DatabaseError, match=r"ambiguous"):
        cat.get("20261125T")
    with pytest.raises(DatabaseError, match=r"no backup 'nope'"):
        cat.get("nope")
    with pytest.raises(DatabaseError, match=r"already in the index"):
        cat.add(a)
    cat.remove(a.id)
    assert [r.id for r in cat.list()] == [b.id]
    assert not a.path.exists() and not a.snapshot_path.exists() and b.path.exists()


def test_retention_keeps_newest_per_project(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c", project=tmp_path / "one")
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    mine = [cat.add(_record(cat, t0 + timedelta(minutes=i), tmp_path / "one")) for i in range(5)]
    theirs = [cat.add(_record(cat, t0 + timedelta(minutes=i), tmp_path / "two")) for i in range(3)]
    removed = cat.keep(2)
    assert sorted(r.id for r in removed) == sorted(r.id for r in mine[:3])
    assert [r.id for r in cat.list(tmp_path / "one")] == [mine[4].id, mine[3].id]
    assert len(cat.list(tmp_path / "two")) == len(theirs)
    assert all(not r.path.exists() for r in removed)
    with pytest.raises(DatabaseError, match=r"at least 1"):
        cat.keep(0)


def test_contract_shape(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c", project=tmp_path)
    assert cat.to_contract() == {"backups": []}
    rec = cat.add(_record(cat, datetime.now(UTC), tmp_path))
    doc = cat.to_contract()
    item = doc["backups"][0]
    assert {k: type(item[k]) for k in ("id", "engine", "created", "size", "sha256")} == {
        "id": str, "engine": str, "created": str, "size": int, "sha256": str}
    assert (item["id"], item["path"], item["verified"]) == (rec.id, str(rec.path), False)
    json.dumps(doc)


def test_damaged_index_is_one_line(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c")
    cat.ensure()
    cat.index_path.write_text('{"backups": [')
    with pytest.raises(DatabaseError, match=r"index .* is damaged \(JSONDecodeError\); move it aside"):
        cat.list()
