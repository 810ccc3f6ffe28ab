"""The SQLite journal: append/read, redaction before hashing, and tamper evidence against a real database edited
with a raw sqlite3 connection (triggers dropped) and the sqlite3 CLI, plus several writer processes at once."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git

from handrail.journal import Event, JournalError, find_journal, journal_path, open_journal, record
from handrail.journal import keys as jkeys

PLANTED = {
    "github": "ghp_R4nd0mT0kenV4lu3ABCDEFGHIJKLMNOPQRs9",
    "stripe": "sk_live_51HqLyjWDarjtT1zdp7dcXYZabcd1234EFGH",
    "openai": "sk-proj-Zk3d9QmX7vLr2TpW8nYbC4fHs6JgA1eU5oKiN0xRqPlMzVtBwD",
    "aws": "AKIAQ7XRMZ3KVBNW2PLC",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIiwicm9sZSI6ImFkbWluIn0.dGhpc2lzbm90YXJlYWxzaWduYXR1cmUxMjM",
    "dbpw": "Pg-s3cr3t-9XkQ",
    "bearer": "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg",
    "password": "hunter2-correct-horse",
}
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
PEM = f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\nMIIEvQIBADANBgkqhkiG9w0\n-----END PRIVATE KEY-----\n"


pytestmark = pytest.mark.usefixtures("keys_home")


@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo({"README.md": "x\n"})


def _fill(root: Path, n: int, **kw: object) -> None:
    with open_journal(root, **kw) as j:  # type: ignore[arg-type]
        for i in range(1, n + 1):
            j.append(Event(kind="tool_call", summary=f"Bash: echo {i}", agent="claude", session="s1", tool="Bash",
                           tool_use_id=f"t{i}", payload={"input": {"command": f"echo {i}"}, "phase": "pre"}))


def _raw(root: Path) -> sqlite3.Connection:
    """A raw connection with the append-only triggers dropped: what an attacker (or a careless hand) can do."""
    conn = sqlite3.connect(journal_path(root), isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    return conn


def _verify(root: Path):  # type: ignore[no-untyped-def]
    jkeys._reset_cache()
    with open_journal(root, create=False) as j:
        return j.verify()


# ------------------------------------------------------------------ basics
def test_append_and_read_back(repo: Path) -> None:
    with open_journal(repo) as j:
        first = j.append(Event(kind="note", summary="chose Stripe Checkout", payload={"text": "because"}))
        second = j.append(Event(kind="decision", summary="ship it", agent=None))
        assert (first.seq, second.seq) == (1, 2)
        assert second.prev_hash == first.hash and first.prev_hash == "0" * 64
        assert first.user and first.ts.endswith("Z") and first.mac and first.key_id
        assert [e.seq for e in j.entries()] == [1, 2]
        assert [e.seq for e in j.entries(reverse=True, limit=1)] == [2]
        assert [e.kind for e in j.entries(kinds=["decision"])] == ["decision"]
        assert j.head() == second and j.get(1) == first
        assert j.count() == 2
        assert j.verify().ok
    assert find_journal(repo) == journal_path(repo)


def test_permissions_and_symlink_refused(repo: Path, tmp_path: Path) -> None:
    _fill(repo, 1)
    assert stat.S_IMODE((repo / ".handrail").stat().st_mode) == 0o700
    assert stat.S_IMODE(journal_path(repo).stat().st_mode) == 0o600
    cfg = tmp_path / "xdg" / "handrail"
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in cfg.iterdir())
    assert not any(p.name.endswith(".key") for p in repo.rglob("*"))
    other = tmp_path / "other"
    other.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (other / ".handrail").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(JournalError, match="symlink"):
        open_journal(other)
    assert find_journal(other) is None


def test_missing_journal_not_created_for_reading(repo: Path) -> None:
    with pytest.raises(JournalError, match="no journal"):
        open_journal(repo, create=False)
    assert not (repo / ".handrail").exists()


def test_record_never_raises(repo: Path, tmp_path: Path) -> None:
    record(repo, "backup", "backup 20261206T1500Z-abc", {"backup_id": "20261206T1500Z-abc"}, exit_code=0)
    record(tmp_path / "no-such-dir", "backup", "x")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / ".handrail").write_text("a file, not a folder")
    record(tmp_path / "bad", "check", "x")
    with open_journal(repo) as j:
        (e,) = list(j.entries())
    assert (e.kind, e.exit_code, e.payload) == ("backup", 0, {"backup_id": "20261206T1500Z-abc"})


def test_checkpoint_every_n_and_anchor(repo: Path) -> None:
    (repo / "handrail.toml").write_text("[journal]\ncheckpoint_every = 4\n")
    _fill(repo, 10)
    with open_journal(repo) as j:
        assert [c.size for c in j.checkpoints()] == [4, 8]
        cp = j.checkpoint("session end")
        assert cp is not None and cp.size == 10
        assert j.checkpoint("again").id == cp.id  # type: ignore[union-attr]
        report = j.verify()
    assert report.ok and report.checkpoints == 3 and report.anchors == 3, report
    log = git(repo, "log", "--format=%s", "refs/handrail/journal").split("\n")
    assert log[:3] == [f"handrail journal checkpoint {n}" for n in (10, 8, 4)]
    note = git(repo, "show", "refs/handrail/journal:checkpoint")
    assert note.startswith("handrail/journal/") and note.splitlines()[1] == "10"
    assert "\n\n\u2014 handrail-" in note


def test_bad_config_is_one_line(repo: Path) -> None:
    (repo / "handrail.toml").write_text('[journal]\nurl = "postgresql://u:pw@h/db"\n')
    with pytest.raises(JournalError, match="must not contain a password"):
        open_journal(repo)
    (repo / "handrail.toml").write_text('[journal]\nurl_env = "postgres://x"\n')
    with pytest.raises(JournalError, match="name of an environment variable"):
        open_journal(repo)
    (repo / "handrail.toml").write_text("[journal]\ncheckpoint_evry = 3\n")
    with pytest.raises(JournalError, match="unknown key"):
        open_journal(repo)


# ------------------------------------------------------------------ redaction
def _secret_text() -> str:
    p = PLANTED
    return (f"export GITHUB_TOKEN={p['github']} && curl -H 'Authorization: Bearer {p['bearer']}' "
            f"postgresql://app:{p['dbpw']}@db.internal:5432/app && STRIPE={p['stripe']} OPENAI={p['openai']} "
            f"AWS={p['aws']} JWT={p['jwt']} --password {p['password']}\n{PEM}")


def test_planted_secrets_never_reach_the_db_file_or_exports(repo: Path) -> None:
    (repo / "handrail.toml").write_text("[journal]\ncheckpoint_every = 2\n")
    text = _secret_text()
    with open_journal(repo) as j:
        j.append(Event(kind="tool_call", summary=f"Bash: {text}", tool="Bash",
                       payload={"input": {"command": text}, "env": {"DB_PASSWORD": "short1", "apiKey": "k-9x"},
                                "output": "x" * 5000 + PLANTED["github"]}))
        j.append(Event(kind="prompt", summary="p", payload={"prompt": text * 3}))
        j.checkpoint("end")
        assert j.verify().ok
    from handrail.journal import export as ex

    with open_journal(repo) as j:
        exported = "".join(ex.to_jsonl(j.entries())) + json.dumps(ex.to_otel(j.entries()))
        exported += "".join(ex.to_checkpoints(j.checkpoints()))
    blobs = b"".join(p.read_bytes() for p in (repo / ".handrail").iterdir())
    for value in [*PLANTED.values(), PEM_BODY, "short1", "k-9x"]:
        assert value.encode() not in blobs, value
        assert value not in exported, value
    with open_journal(repo) as j:
        e = j.get(1)
    assert e is not None
    assert e.payload["env"] == {"DB_PASSWORD": "[redacted]", "apiKey": "[redacted]"}
    assert "truncated: 5040 chars, sha256 " in e.payload["output"]
    assert "postgresql://app:***@db.internal" in e.payload["input"]["command"]
    assert "Bash: export GITHUB_TOKEN=" in e.summary


# ------------------------------------------------------------------ tampering
@pytest.fixture
def sealed(repo: Path) -> Path:
    """Ten entries with a checkpoint (anchored) at 6, and four more after it."""
    _fill(repo, 6)
    with open_journal(repo) as j:
        assert j.checkpoint("test") is not None
    _fill(repo, 4)
    assert _verify(repo).ok
    return repo


def test_edit_a_row_with_the_sqlite3_cli(sealed: Path) -> None:
    db = str(journal_path(sealed))
    refused = subprocess.run(["sqlite3", db, "UPDATE handrail_entries SET summary = 'x' WHERE seq = 3"],
                             capture_output=True, text=True)
    assert refused.returncode != 0 and "append-only" in refused.stderr
    subprocess.run(["sqlite3", db, "DROP TRIGGER handrail_entries_no_update; "
                    "UPDATE handrail_entries SET summary = 'Bash: echo harmless' WHERE seq = 3"], check=True)
    r = _verify(sealed)
    assert not r.ok and r.first_bad_seq == 3 and "edited" in r.problem


def test_edit_payload(sealed: Path) -> None:
    _raw(sealed).execute("UPDATE handrail_entries SET payload = '{\"input\":{\"command\":\"ls\"}}' WHERE seq = 2")
    r = _verify(sealed)
    assert (r.ok, r.first_bad_seq) == (False, 2) and "payload edited" in r.problem


def test_delete_a_row(sealed: Path) -> None:
    _raw(sealed).execute("DELETE FROM handrail_entries WHERE seq = 4")
    r = _verify(sealed)
    assert (r.ok, r.first_bad_seq) == (False, 4) and "missing (deleted)" in r.problem


def test_reorder_rows(sealed: Path) -> None:
    conn = _raw(sealed)
    conn.execute("UPDATE handrail_entries SET seq = 100 WHERE seq = 8")
    conn.execute("UPDATE handrail_entries SET seq = 8 WHERE seq = 9")
    conn.execute("UPDATE handrail_entries SET seq = 9 WHERE seq = 100")
    r = _verify(sealed)
    assert (r.ok, r.first_bad_seq) == (False, 8) and "reordered" in r.problem


def test_truncate_the_tail_covered_by_a_checkpoint(sealed: Path) -> None:
    _raw(sealed).execute("DELETE FROM handrail_entries WHERE seq >= 5")
    r = _verify(sealed)
    assert (r.ok, r.first_bad_seq) == (False, 5) and "truncated" in r.problem


def _rechain(conn: sqlite3.Connection, start: int, summary: str) -> None:
    """Rewrite entries from `start` on and recompute every hash so the chain itself is intact (no MAC key)."""
    from handrail.journal import chain
    from handrail.journal.store import COLS, _row_to_entry

    rows = [_row_to_entry(r) for r in conn.execute(f"SELECT {', '.join(COLS)} FROM handrail_entries ORDER BY seq")]
    prev = rows[start - 2].hash if start > 1 else chain.GENESIS
    for e in rows[start - 1:]:
        e2 = e.replace(summary=summary, prev_hash=prev)
        h = chain.entry_hash(e2)
        conn.execute("UPDATE handrail_entries SET summary = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                     (summary, prev, h, e.seq))
        prev = h


def test_rewrite_after_the_last_checkpoint_is_caught_by_the_mac(sealed: Path) -> None:
    _rechain(_raw(sealed), 8, "Bash: nothing to see")
    r = _verify(sealed)
    assert (r.ok, r.first_bad_seq) == (False, 8) and "MAC does not match" in r.problem


def test_rewrite_of_the_whole_chain_is_caught_by_the_checkpoint(sealed: Path) -> None:
    conn = _raw(sealed)
    _rechain(conn, 2, "Bash: rewritten")
    # even with the MACs recomputed (an attacker holding the key), the signed checkpoint root disagrees
    key, _ = jkeys.hmac_key()
    from handrail.journal import chain

    for seq, h in conn.execute("SELECT seq, hash FROM handrail_entries").fetchall():
        conn.execute("UPDATE handrail_entries SET mac = ? WHERE seq = ?", (chain.entry_mac(key, h), seq))
    r = _verify(sealed)
    assert not r.ok and r.first_bad_seq == 1 and "Merkle root differs" in r.problem


def test_replacing_the_whole_database_is_caught_by_the_anchor(sealed: Path) -> None:
    for p in (sealed / ".handrail").iterdir():
        p.unlink()
    _fill(sealed, 12)  # a brand-new, internally consistent journal
    r = _verify(sealed)
    assert not r.ok and r.first_bad_seq == 1 and "database was replaced" in r.problem


def test_replacing_the_database_and_copying_its_id_is_caught_by_the_anchor(sealed: Path, tmp_path: Path) -> None:
    origin = sqlite3.connect(journal_path(sealed)).execute("SELECT v FROM handrail_meta").fetchone()[0]
    for p in (sealed / ".handrail").iterdir():
        p.unlink()
    _fill(sealed, 3)
    _raw(sealed).execute("UPDATE handrail_meta SET v = ?", (origin,))
    r = _verify(sealed)
    assert not r.ok and r.first_bad_seq == 4 and "truncated" in r.problem


def test_fork_is_caught(repo: Path, tmp_path: Path) -> None:
    _fill(repo, 5)
    copy = tmp_path / "journal-at-5.db"
    shutil.copy(journal_path(repo), copy)
    _fill(repo, 5)
    with open_journal(repo) as j:
        j.checkpoint("anchored at 10")
    # someone restores the copy taken at 5 and writes a different history from there (same keys: valid MACs)
    for p in (repo / ".handrail").iterdir():
        p.unlink()
    shutil.copy(copy, journal_path(repo))
    with open_journal(repo) as j:
        for i in range(5):
            j.append(Event(kind="note", summary=f"other branch {i}"))
        assert j.checkpoints() == []
    r = _verify(repo)
    assert not r.ok and "forked" in r.problem and r.first_bad_seq == 1


def test_tampered_checkpoint_signature(sealed: Path) -> None:
    conn = _raw(sealed)
    note = conn.execute("SELECT note FROM handrail_checkpoints").fetchone()[0]
    conn.execute("UPDATE handrail_checkpoints SET note = ?", (note.replace("\n6\n", "\n5\n", 1),))
    r = _verify(sealed)
    assert not r.ok and "bad signature" in r.problem


def test_foreign_mac_key_is_reported_not_failed(sealed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "teammate"))
    r = _verify(sealed)
    assert r.ok and r.macs_checked == 0
    assert any("not on this machine" in w for w in r.warnings)


# ------------------------------------------------------------------ concurrency
_WRITER = r"""
import sys
from pathlib import Path
from handrail.journal import Event, open_journal
root, name, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for i in range(n):
    with open_journal(root) as j:
        j.append(Event(kind="tool_call", summary=f"{name} {i}", session=name))
"""


def test_concurrent_writer_processes_never_fork_the_chain(repo: Path) -> None:
    (repo / "handrail.toml").write_text("[journal]\ncheckpoint_every = 64\n")
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(repo), f"w{k}", "50"], env=os.environ.copy())
             for k in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    with open_journal(repo) as j:
        seqs = [e.seq for e in j.entries()]
        sizes = [c.size for c in j.checkpoints()]
        per_writer = {f"w{k}": len(list(j.entries(session=f"w{k}"))) for k in range(4)}
        r = j.verify()
    assert seqs == list(range(1, 201))
    assert sizes == [64, 128, 192]
    assert per_writer == {"w0": 50, "w1": 50, "w2": 50, "w3": 50}
    assert r.ok and r.anchors == 3, r
