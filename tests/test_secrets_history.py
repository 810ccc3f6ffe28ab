"""History and staged scans on real repositories built with git in tmp dirs.

Each test plants fake, format-valid secrets (made at run time) in known commits and lines, and checks the
commit (full sha), path and line a scan attributes them to. Values are compared by hash only.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import string
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from conftest import GIT_ENV, git

from handrail.core.project import Project
from handrail.secrets.engine import Hit, Scanner
from handrail.secrets.history import scan_history, scan_staged
from handrail.secrets.rules import RULES
from handrail.secrets.scan import scan_project

ALNUM = string.ascii_letters + string.digits
_BANNED = ("test", "example", "fake", "xxxx", "your", "sample", "demo", "placeholder", "redacted", "change")
_rng = random.Random(2026)


def token(n: int, alphabet: str = ALNUM) -> str:
    while True:
        value = "".join(_rng.choice(alphabet) for _ in range(n))
        if not any(w in value.lower() for w in _BANNED):
            return value


def stripe() -> str:
    return "sk_live_" + token(24)


def github() -> str:
    return "ghp_" + token(36)


def tag(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def view(hits: list[Hit]) -> list[tuple]:
    return sorted(((RULES[h.rule].id if h.rule >= 0 else "secret-key-file", tag(h.value), h.path, h.line, h.commit)
                   for h in hits), key=lambda x: (*x[:4], x[4] or ""))


@cache
def scanner() -> Scanner:
    return Scanner(RULES)


def commit(root: Path, files: dict[str, str | bytes | None], message: str = "change") -> str:
    """Write (or delete, for None) files, commit everything, return the full sha."""
    for rel, content in files.items():
        path = root / rel
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, "utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    return root


def handrail(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "HANDRAIL_DEBUG", "FORCE_COLOR", "CI")}
    return subprocess.run([sys.executable, "-m", "handrail", *args], capture_output=True, text=True, encoding="utf-8",
                          errors="replace", env=env, timeout=120, check=False)


# --- attribution ---------------------------------------------------------------------------------------
def test_added_then_deleted_keeps_the_adding_commit_and_its_line(repo: Path) -> None:
    sk = stripe()
    c1 = commit(repo, {"app.py": "import os\n"})
    c2 = commit(repo, {"app.py": "import os\n\n\ndef pay():\n    key = '" + sk + "'\n"})
    c3 = commit(repo, {"app.py": "# header\n# more\nimport os\n\n\ndef pay():\n    key = '" + sk + "'\n"})
    c4 = commit(repo, {"app.py": "import os\n\n\ndef pay():\n    key = os.environ['STRIPE']\n"})
    res = scan_history(repo, scanner(), workers=1)
    assert res.commits == 4 and res.skipped == [] and not res.shallow
    assert set(res.order) == {c1, c2, c3, c4}
    # Only the commit that added the line reports it; moving it down is no new secret.
    assert view(res.hits) == [("stripe-secret-key-live", tag(sk), "app.py", 5, c2)]
    assert len(c2) == 40


def test_renamed_file_is_one_occurrence_under_the_old_name(repo: Path) -> None:
    gh = github()
    c1 = commit(repo, {"src/util.js": "export const a = 1;\nexport const token = '" + gh + "';\n"})
    git(repo, "mv", "src/util.js", "src/helpers.js")
    commit(repo, {})
    commit(repo, {"src/helpers.js": "// helpers\nexport const a = 1;\nexport const token = '" + gh + "';\n"})
    hits = scan_history(repo, scanner(), workers=1).hits
    assert view(hits) == [("github-token", tag(gh), "src/util.js", 2, c1)]


def test_secret_only_on_an_unmerged_branch(repo: Path) -> None:
    gh = github()
    commit(repo, {"README.md": "# app\n"})
    git(repo, "checkout", "-q", "-b", "experiment")
    side = commit(repo, {"ci/deploy.sh": "#!/bin/sh\nexport GH_TOKEN=" + gh + "\n"})
    git(repo, "checkout", "-q", "main")
    assert not (repo / "ci").exists()
    assert view(scan_history(repo, scanner(), workers=1).hits) == [
        ("github-token", tag(gh), "ci/deploy.sh", 2, side)]


def test_secret_on_a_merged_side_branch_is_attributed_to_the_side_commit(repo: Path) -> None:
    sk = stripe()
    commit(repo, {"README.md": "# app\n"})
    git(repo, "checkout", "-q", "-b", "billing")
    side = commit(repo, {"billing.py": "\n".join(f"x{i} = {i}" for i in range(7)) + f"\nKEY = '{sk}'\n"})
    git(repo, "checkout", "-q", "main")
    commit(repo, {"other.txt": "unrelated\n"})
    git(repo, "merge", "-q", "--no-ff", "-m", "merge billing", "billing")
    assert view(scan_history(repo, scanner(), workers=1).hits) == [
        ("stripe-secret-key-live", tag(sk), "billing.py", 8, side)]


def test_evil_merge_resolution_adding_a_secret_is_the_merge_commit(repo: Path) -> None:
    gh = github()
    commit(repo, {"config.py": "HOST = 'a'\nPORT = 1\n"})
    git(repo, "checkout", "-q", "-b", "left")
    commit(repo, {"config.py": "HOST = 'left'\nPORT = 1\n"})
    git(repo, "checkout", "-q", "main")
    commit(repo, {"config.py": "HOST = 'right'\nPORT = 1\n"})
    proc = subprocess.run(["git", "merge", "-q", "left"], cwd=repo, capture_output=True,
                          env={**os.environ, **GIT_ENV}, check=False)
    assert proc.returncode != 0  # a real conflict
    merge = commit(repo, {"config.py": "HOST = 'both'\nPORT = 1\nTOKEN = '" + gh + "'\n"}, "merge left")
    assert len(git(repo, "rev-parse", "HEAD^@").split()) == 2
    assert view(scan_history(repo, scanner(), workers=1).hits) == [("github-token", tag(gh), "config.py", 3, merge)]


def test_several_files_and_hunks_in_one_commit(repo: Path) -> None:
    a, b, c, d = stripe(), github(), stripe(), "AKIA" + token(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    base = [f"line {i}" for i in range(1, 41)]
    commit(repo, {"one.py": "\n".join(base) + "\n", "two.py": "\n".join(base) + "\n"})
    one = list(base)
    one.insert(4, f"KEY = '{a}'")          # line 5
    one.insert(30, f"TOK = '{b}'")         # line 31
    one[35] = f"# replaced {d}"            # line 36 (a changed line)
    two = list(base)
    del two[0:3]
    two.insert(19, f"other = '{c}'")       # line 20 after deleting three above
    sha = commit(repo, {"one.py": "\n".join(one) + "\n", "two.py": "\n".join(two) + "\n",
                        "three.md": f"see {b}\n"})
    got = view(scan_history(repo, scanner(), workers=1).hits)
    assert got == sorted([
        ("stripe-secret-key-live", tag(a), "one.py", 5, sha),
        ("github-token", tag(b), "one.py", 31, sha),
        ("aws-access-key-id", tag(d), "one.py", 36, sha),
        ("stripe-secret-key-live", tag(c), "two.py", 20, sha),
        ("github-token", tag(b), "three.md", 1, sha),
    ])


def test_multi_line_key_added_in_history(repo: Path) -> None:
    import base64

    body = base64.b64encode(random.Random(5).randbytes(1200)).decode()
    pem = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64)) + \
        "\n-----END PRIVATE KEY-----\n"
    commit(repo, {"README.md": "# app\n"})
    sha = commit(repo, {"deploy/notes.txt": "server key:\n\n" + pem})
    commit(repo, {"deploy/notes.txt": "server key: in the vault\n"})
    tree_hits = scanner().scan_blob(("server key:\n\n" + pem).encode(), "deploy/notes.txt")
    hist = view(scan_history(repo, scanner(), workers=1).hits)
    assert [(r, p, ln, c) for r, _, p, ln, c in hist] == [("private-key", "deploy/notes.txt", 3, sha)]
    assert hist == [(*x[:4], sha) for x in view(tree_hits)]  # the same value as the file's


def _fast_import(root: Path, n: int) -> dict[str, tuple[str, str, int]]:
    """n commits on main (plus a side branch) through `git fast-import`; returns mark -> planted secret."""
    planted: dict[str, tuple[str, str, int]] = {}
    out: list[bytes] = []

    def data(text: str) -> None:
        raw = text.encode()
        out.append(b"data %d\n" % len(raw) + raw + b"\n")

    for i in range(1, n + 1):
        lines = [f"row {i} {j}" for j in range(6)]
        path = f"d{i % 13}/f{i}.txt"
        if i % 97 == 0:
            secret = stripe() if i % 2 else github()
            lines.insert(i % 5, f"key = '{secret}'")
            planted[str(i)] = (secret, path, i % 5 + 1)
        out.append(f"commit refs/heads/{'side' if i > n - 20 else 'main'}\nmark :{i}\n".encode())
        out.append(f"committer T <t@example.com> {1_700_000_000 + i} +0000\n".encode())
        data(f"c{i}")
        if i > 1:
            out.append(f"from :{i - 1 if i != n - 19 else n - 20}\n".encode())
        out.append(f"M 100644 inline {path}\n".encode())
        data("\n".join(lines) + "\n")
    out.append(b"done\n")
    subprocess.run(["git", "fast-import", "--quiet", "--done", "--export-marks=" + str(root / ".git" / "marks")],
                   cwd=root, input=b"".join(out), check=True, capture_output=True)
    return planted


def test_workers_give_the_same_hits_on_a_long_history(repo: Path) -> None:
    # At most one worker per 250 commits: 650 commits are enough for two.
    planted = _fast_import(repo, 650)
    marks = dict(ln.split() for ln in (repo / ".git" / "marks").read_text().splitlines())
    one = scan_history(repo, scanner(), workers=1)
    ticks: list[tuple[int, int]] = []
    two = scan_history(repo, scanner(), workers=2, progress=lambda d, t: ticks.append((d, t)))
    assert one.commits == two.commits == 650 and not one.skipped and not two.skipped
    assert view(one.hits) == view(two.hits)
    expected = sorted(("stripe-secret-key-live" if s.startswith("sk_") else "github-token", tag(s), p, line,
                       marks[":" + m]) for m, (s, p, line) in planted.items())
    assert view(two.hits) == expected and len(expected) == 650 // 97
    assert ticks[-1] == (650, 650)


# --- staged ------------------------------------------------------------------------------------------
def test_staged_secret_found_unstaged_not(repo: Path) -> None:
    staged, unstaged, old = stripe(), github(), stripe()
    commit(repo, {"app.py": "a = 1\n", "old.py": f"K = '{old}'\n"})
    (repo / "app.py").write_text(f"a = 1\nb = 2\nK = '{staged}'\n", "utf-8")
    git(repo, "add", "app.py")
    (repo / "app.py").write_text(f"a = 1\nb = 2\nK = '{staged}'\nT = '{unstaged}'\n", "utf-8")
    (repo / "new.py").write_text(f"T = '{unstaged}'\n", "utf-8")  # untracked
    assert view(scan_staged(repo, scanner())) == [("stripe-secret-key-live", tag(staged), "app.py", 3, None)]
    git(repo, "reset", "-q")
    assert scan_staged(repo, scanner()) == []


def test_staged_before_the_first_commit(repo: Path) -> None:
    sk = stripe()
    (repo / ".env").write_text(f"STRIPE_SECRET_KEY={sk}\n", "utf-8")
    git(repo, "add", ".env")
    got = view(scan_staged(repo, scanner()))
    assert [(r, t, p, ln) for r, t, p, ln, _ in got] == [("stripe-secret-key-live", tag(sk), ".env", 1)]


# --- incomplete repositories ---------------------------------------------------------------------------
def test_shallow_clone_gives_a_note(repo: Path, tmp_path: Path) -> None:
    sk = stripe()
    commit(repo, {"a.py": f"K = '{sk}'\n"})
    commit(repo, {"a.py": "K = None\n"})
    head = commit(repo, {"b.txt": "more\n"})
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)], check=True,
                   capture_output=True, env={**os.environ, **GIT_ENV})
    out = scan_project(Project(clone), tree=False, history=True, workers=1)
    assert out.commits == 1 and out.hits == []
    assert any(n.startswith("shallow clone") and "--unshallow" in n for n in out.notes), out.notes
    assert not out.incomplete
    full = scan_project(Project(repo), tree=False, history=True, workers=1)
    assert full.commits == 3 and not full.notes and head in full.order and len(full.hits) == 1


def test_missing_object_commit_is_skipped_and_named(repo: Path) -> None:
    early, late = stripe(), github()
    c1 = commit(repo, {"early.py": f"K = '{early}'\n"})
    c2 = commit(repo, {"data.txt": "a blob that goes missing\n"})
    c3 = commit(repo, {"late.py": f"T = '{late}'\n"})
    blob = git(repo, "rev-parse", f"{c2}:data.txt").strip()
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    res = scan_history(repo, scanner(), workers=1)
    assert view(res.hits) == sorted([("stripe-secret-key-live", tag(early), "early.py", 1, c1),
                                     ("github-token", tag(late), "late.py", 1, c3)])
    assert len(res.skipped) == 1 and res.skipped[0].startswith(f"commit {c2}:"), res.skipped
    out = scan_project(Project(repo), tree=False, history=True, workers=1)
    assert out.incomplete and any(c2 in n for n in out.notes)
    proc = handrail("secrets", str(repo), "--history", "--format", "json", "--workers", "1")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert c2 in proc.stderr and any(c2 in n for n in json.loads(proc.stdout)["notes"])
    assert json.loads(proc.stdout)["scanned"]["complete"] is False


# --- paths -----------------------------------------------------------------------------------------------
def test_non_utf8_and_quoted_file_names(repo: Path) -> None:
    a, b, c = stripe(), github(), stripe()
    latin = os.fsdecode(b"caf\xe9-\xff.py")
    odd = 'we"ird\tname.py'
    sha = commit(repo, {latin: f"K = '{a}'\n", "café/ü.js": f"const t = '{b}';\n", odd: f"\nK = '{c}'\n"})
    got = view(scan_history(repo, scanner(), workers=1).hits)
    assert got == sorted([("stripe-secret-key-live", tag(a), latin, 1, sha),
                          ("github-token", tag(b), "café/ü.js", 1, sha),
                          ("stripe-secret-key-live", tag(c), odd, 2, sha)])
    tree = scan_project(Project(repo), tree=True)
    assert view(tree.hits) == [(*x[:4], None) for x in got]


def test_subfolder_project_paths_are_relative_to_it(repo: Path) -> None:
    inside, outside, removed = stripe(), github(), stripe()
    c1 = commit(repo, {"app/config/settings.py": f"\nK = '{removed}'\n", "other/x.py": f"T = '{outside}'\n"})
    c2 = commit(repo, {"app/config/settings.py": "K = None\n", "app/main.py": f"x = 1\nK = '{inside}'\n"})
    project = Project(repo / "app")
    out = scan_project(project, tree=True, history=True, staged=True, workers=1)
    assert view(out.hits) == sorted([
        ("stripe-secret-key-live", tag(inside), "main.py", 2, None),
        ("stripe-secret-key-live", tag(inside), "main.py", 2, c2),
        ("stripe-secret-key-live", tag(removed), "config/settings.py", 2, c1),
    ], key=lambda x: (*x[:4], x[4] or ""))
    assert out.notes == [] and not out.incomplete


def test_not_a_repository_is_a_note_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "a.py").write_text(f"K = '{stripe()}'\n", "utf-8")
    out = scan_project(Project(tmp_path / "plain"), tree=True, history=True)
    assert out.incomplete and len(out.hits) == 1 and any("not a git repository" in n for n in out.notes)



def test_file_name_with_a_space(repo: Path) -> None:
    a, b = stripe(), github()
    sha = commit(repo, {"my file.py": f"K = '{a}'\n"})
    (repo / "other name.py").write_text(f"T = '{b}'\n", "utf-8")
    git(repo, "add", "other name.py")
    assert view(scan_history(repo, scanner(), workers=1).hits) == [("stripe-secret-key-live", tag(a), "my file.py", 1,
                                                                   sha)]
    assert [h.path for h in scan_staged(repo, scanner())] == ["other name.py"]


def test_history_output_larger_than_one_read_block(repo: Path) -> None:
    """`git log` output is read in 8 MB blocks cut at commit boundaries: secrets on both sides of a cut keep
    their commit and line."""
    early, late, tail = stripe(), github(), stripe()
    row = "r" * 60 + "\n"
    c1 = commit(repo, {"data/big.txt": row * 120_000 + f"K = '{early}'\n" + row * 30_000})  # ~9 MB added
    c2 = commit(repo, {"app.py": f"T = '{late}'\n"})
    c3 = commit(repo, {"data/big2.txt": row * 20_000 + f"K = '{tail}'\n"})
    res = scan_history(repo, scanner(), workers=1)
    assert view(res.hits) == sorted([("stripe-secret-key-live", tag(early), "data/big.txt", 120_001, c1),
                                     ("github-token", tag(late), "app.py", 1, c2),
                                     ("stripe-secret-key-live", tag(tail), "data/big2.txt", 20_001, c3)])


def test_binary_key_file_in_tree_and_history_is_one_finding(repo: Path) -> None:
    from handrail.secrets.findings import build_findings

    p12 = b"\x30\x82\x0a\x1f\x02\x01\x03\x00" + random.Random(9).randbytes(3000)
    sha = commit(repo, {"certs/deploy.p12": p12, "logo.png": b"\x89PNG\r\n\x1a\n\x00" + bytes(100)})
    out = scan_project(Project(repo), tree=True, history=True, workers=1)
    assert sorted((h.path, h.commit or "") for h in out.hits) == [("certs/deploy.p12", ""), ("certs/deploy.p12", sha)]
    [finding] = build_findings(out)
    assert (finding.rule, finding.path, finding.commit) == ("secret-key-file", "certs/deploy.p12", None)
    assert [(loc.path, loc.commit) for loc in finding.related] == [("certs/deploy.p12", sha)]
