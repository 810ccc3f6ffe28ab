"""Redaction before hashing: the journal's own fast patterns cover every documented token format the secrets
engine knows (replayed from the rules' own examples), secret-named keys are masked, long text is cut with its
length and sha256, and the agent hook's import path stays free of the secrets engine and other heavy modules."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from handrail.journal.redact import MASK, redact_payload, redact_text, secret_key
from handrail.secrets.rules import RULES, match_line

# Formats that only their file or a line above identifies; the secrets scanner sees those files, the journal
# sees commands and tool output, where a bare 32-hex string is as likely a hash as a key.
CONTEXT_ONLY = {"rails-master-key", "named-above-secret"}


@pytest.mark.parametrize("rule", [r for r in RULES if r.must_match and r.id not in CONTEXT_ONLY], ids=lambda r: r.id)
def test_every_secret_rule_example_is_cut(rule) -> None:  # type: ignore[no-untyped-def]
    for example in rule.must_match:
        if rule.multiline_end:  # the key body: every long line between the header and the end marker
            values = [ln.strip() for ln in example.splitlines()[1:] if len(ln.strip()) >= 16 and "-----" not in ln
                      and not ln.startswith(("PuTTY", "Private-MAC", "Encryption", "Comment"))]
        else:
            values = match_line(rule, example)
        out = redact_text(example)
        for value in values:
            if value:
                assert value not in out, (rule.id, out)


@pytest.mark.parametrize(("text", "kept", "gone"), [
    ("psql postgresql://app:Pg-s3cr3t-9XkQ@db:5432/app -c 'select 1'", "postgresql://app:***@db:5432/app",
     "Pg-s3cr3t"),
    ("curl -H 'Authorization: Bearer Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg' https://api.x.io",
     "Authorization: Bearer", "Zm9vYmFyYmF6cXV4MTIzNDU2"),
    ("export OPENAI_API_KEY=sk-proj-Zk3d9QmX7vLr2TpW8nYbC4fHs6JgA1eU5oKiN0xRqPlMzVtBwD", "OPENAI_API_KEY=",
     "Zk3d9QmX7vLr2TpW8nYbC4fHs6JgA1eU5oKiN0xRqPl"),
    ("mysql -u root -pS3cretRootPw app < dump.sql", "mysql -u root -p***", "S3cretRootPw"),
    ("DB_PASSWORD=correcthorse npm run migrate", "DB_PASSWORD=***", "correcthorse"),
    ("tool --api-key 9f8e7d6c5b4a39281706f5e4d3c2b1a0 --verbose", "--api-key", "9f8e7d6c5b4a3928"),
    ("git push https://x-access-token:ghs_16C7e42F292c6912E7710c838347Ae178B4a@github.com/o/r", "github.com/o/r",
     "ghs_16C7e42F292c6912E7710c838347Ae178B4a"),
    ("random blob aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5 here", "random blob", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"),
])
def test_redact_text_cases(text: str, kept: str, gone: str) -> None:
    out = redact_text(text)
    assert kept in out and gone not in out, out


@pytest.mark.parametrize("text", [
    "rm -rf node_modules && npm test",
    "git log --oneline -5 -- src/handrail/journal/store.py",
    "cat /work/main/src/handrail/journal/redact_helpers_for_tests_and_more.py",
    "git show 6a002ed1c9f0c0b4a8d2f1e6b3a7c9d8e0f1a2b3",
    "password = settings.db_password",
    "token = request.headers.get('X-Token')",
    "DATABASE_URL=$DATABASE_URL ./manage.py migrate",
])
def test_ordinary_commands_stay_readable(text: str) -> None:
    assert redact_text(text) == text


def test_pem_cut_even_when_truncated() -> None:
    pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
    assert "b3BlbnNzaC1rZXkt" not in redact_text("cat ~/.ssh/id_ed25519\n" + pem)


def test_secret_named_keys() -> None:
    assert all(secret_key(k) for k in ("password", "DB_PASSWORD", "apiKey", "x-api-key", "Authorization",
                                        "client_secret", "aws_secret_access_key", "auth", "cookie", "token"))
    assert not any(secret_key(k) for k in ("max_tokens", "input_tokens", "author", "tool_use_id", "token_usage_id",
                                            "keyboard", "url_env", "description"))
    out = redact_payload({"password": "x", "headers": {"Authorization": "Basic dXNlcjpwYXNz"}, "n": 3,
                          "nested": [{"token": 12345}], "ok": True, "nan": float("nan"), 7: b"bytes"})
    assert out == {"password": MASK, "headers": {"Authorization": MASK}, "n": 3, "nested": [{"token": MASK}],
                   "ok": True, "nan": "nan", "7": "bytes"}


def test_long_strings_cut_with_length_and_sha256() -> None:
    text = "line\n" * 1000
    out = redact_payload({"output": text})["output"]
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert out.startswith("line\n") and out.endswith(f"[truncated: 5000 chars, sha256 {digest}]")
    assert len(out) < 2200
    many = redact_payload({"xs": list(range(1000))})["xs"]
    assert len(many) == 201 and many[-1] == "… 800 more items"


def test_hook_path_imports_stay_light(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom pathlib import Path\nfrom handrail.journal import Event, open_journal\n"
        f"j = open_journal(Path({str(tmp_path)!r}))\n"
        "j.append(Event(kind='tool_call', summary='Bash: ls', payload={'input': {'command': 'ls'}}))\n"
        "heavy = [m for m in ('handrail.secrets.engine', 'handrail.secrets.rules', 'cryptography', 'psycopg',"
        " 'pydantic', 'click', 'rich', 'hashlib', 'tomllib') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"


def test_builtin_hmac_matches_the_standard_library() -> None:
    import hmac
    import os

    from handrail.journal.chain import hmac_sha256

    for n in (0, 1, 32, 63, 64, 65, 200):
        key, msg = os.urandom(n), os.urandom(77)
        assert hmac_sha256(key, msg) == hmac.new(key, msg, hashlib.sha256).hexdigest()


def test_merkle_roots_match_rfc6962_split() -> None:
    from handrail.journal.chain import merkle_root, merkle_roots_at

    def mth(leaves: list[bytes]) -> bytes:  # RFC 6962 section 2.1, literally
        if not leaves:
            return hashlib.sha256(b"").digest()
        if len(leaves) == 1:
            return hashlib.sha256(b"\x00" + leaves[0]).digest()
        k = 1
        while k * 2 < len(leaves):
            k *= 2
        return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()

    hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(37)]
    roots = merkle_roots_at(hashes, set(range(38)))
    for n in range(38):
        expected = mth([bytes.fromhex(h) for h in hashes[:n]])
        assert roots[n] == expected == merkle_root(hashes[:n]), n
