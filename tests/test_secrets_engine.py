"""The scanner on buffers: files (`scan_blob`) and diffs (`scan_diff`), with both prefilter backends.

Secrets are fake but format-valid and built at run time; assertions compare hashed or redacted views, so a
failing test never prints a planted value whole.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
import string
import time
from functools import cache
from pathlib import Path

import pytest

from handrail.core.redact import redact
from handrail.secrets.engine import Hit, Scanner
from handrail.secrets.findings import build_findings
from handrail.secrets.rules import RULES, SecretRule, rule_applies
from handrail.secrets.scan import ScanOutcome

ALNUM = string.ascii_letters + string.digits
_BANNED = ("test", "example", "fake", "xxxx", "your", "sample", "demo", "placeholder", "redacted", "change")


def token(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    """Random characters that no placeholder filter would take for filler."""
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(n))
        if not any(w in value.lower() for w in _BANNED):
            return value


def tag(value: str) -> str:
    """A stand-in for a value in assertion output: equal values, equal tags; never the value itself."""
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def rule_id(hit: Hit) -> str:
    return RULES[hit.rule].id if hit.rule >= 0 else "secret-key-file"


def view(hits: list[Hit]) -> list[tuple]:
    return sorted((rule_id(h), tag(h.value), h.path, h.line, h.commit) for h in hits)


@cache
def scanner(backend: str) -> Scanner:
    return Scanner(RULES, backend=backend)


BACKENDS = ("python", "hyperscan")


def pem_key(rng: random.Random, kind: str = "RSA ") -> tuple[str, str]:
    """(PEM text, its base64 body as one string): a random DER-sized body in 64-character lines."""
    body = base64.b64encode(rng.randbytes(900)).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    text = f"-----BEGIN {kind}PRIVATE KEY-----\n" + "\n".join(lines) + f"\n-----END {kind}PRIVATE KEY-----\n"
    return text, body


def added_diff(path: str, text: str, start: int = 1, sha: str | None = None) -> bytes:
    """A `git log -p -U0`-shaped diff adding `text` to a new file (with a `%x00%H` commit opener)."""
    lines = text.splitlines()
    head = f"\x00{sha}\n\n" if sha else ""
    return (f"{head}diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1234567\n--- /dev/null\n"
            f"+++ b/{path}\n@@ -0,0 +{start},{len(lines)} @@\n" + "".join(f"+{ln}\n" for ln in lines)).encode()


# --- realistic content ------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_settings_file_lines_and_rules(backend: str) -> None:
    rng = random.Random(11)
    sk, gh = "sk_live_" + token(rng, 24), "ghp_" + token(rng, 36)
    aws = "AKIA" + token(rng, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    text = (
        "import os\n"
        "\n"
        "DEBUG = False\n"
        f"STRIPE_KEY = '{sk}'\n"
        "DATABASE_URL = os.environ['DATABASE_URL']\n"
        "# the deploy bot\n"
        f"GITHUB_TOKEN = \"{gh}\"  # pasted by the assistant\n"
        f"AWS = {{'id': '{aws}'}}\n"
        "API_KEY = os.getenv('API_KEY')\n"
    )
    got = view(scanner(backend).scan_blob(text.encode(), "app/settings.py"))
    assert got == sorted([
        ("stripe-secret-key-live", tag(sk), "app/settings.py", 4, None),
        ("github-token", tag(gh), "app/settings.py", 7, None),
        ("aws-access-key-id", tag(aws), "app/settings.py", 8, None),
    ])


@pytest.mark.parametrize("backend", BACKENDS)
def test_diff_only_added_lines_with_new_side_numbers(backend: str) -> None:
    rng = random.Random(12)
    old, new = "sk_live_" + token(rng, 24), "sk_live_" + token(rng, 24)
    sha = "c" * 40
    # `-U0`, as history and staged scans ask git for: no context lines.
    diff = (f"\x00{sha}\n\ndiff --git a/pay.js b/pay.js\nindex 1111111..2222222 100644\n--- a/pay.js\n+++ b/pay.js\n"
            f"@@ -3 +2,0 @@ import x\n"
            f"-  const key = '{old}';\n"
            f"@@ -11 +11,2 @@ function pay() {{\n"
            f"-  const key = '{old}';\n"
            f"+  // rotated\n"
            f"+  const key = '{new}';\n").encode()
    got = view(scanner(backend).scan_diff(diff))
    assert got == [("stripe-secret-key-live", tag(new), "pay.js", 12, sha)]


# --- private keys: one value wherever and however the key is written ---------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_pem_key_file_diff_and_json_escaped_are_one_value(backend: str) -> None:
    rng = random.Random(21)
    pem, body = pem_key(rng)
    sc = scanner(backend)
    in_file = sc.scan_blob(("# deploy key\n" + pem).encode(), "deploy/id.pem")
    in_diff = sc.scan_diff(added_diff("keys/server.key", "\n\n" + pem, sha="d" * 40))
    escaped = pem.replace("\n", "\\n")
    in_json = sc.scan_blob(('{\n  "name": "svc",\n  "key": "' + escaped + '"\n}\n').encode(), "svc.json")
    assert [(rule_id(h), h.path, h.line, h.commit) for h in in_file + in_diff + in_json] == [
        ("private-key", "deploy/id.pem", 2, None), ("private-key", "keys/server.key", 3, "d" * 40),
        ("private-key", "svc.json", 3, None)]
    # One value for the three spellings: the body's base64 (line-edge punctuation aside), not the marker.
    assert len({h.value for h in in_file + in_diff + in_json}) == 1
    value = in_file[0].value
    assert len(value) > len(body) - 2 * body.count("+") - 40 and set(value) <= set(body)
    findings = build_findings(ScanOutcome(rules=RULES, hits=in_file + in_diff + in_json, order={"d" * 40: 0}))
    assert len(findings) == 1
    f = findings[0]
    assert (f.rule, f.path, f.line) == ("private-key", "deploy/id.pem", 2)
    assert sorted((loc.path, loc.line, loc.commit) for loc in f.related) == [
        ("keys/server.key", 3, "d" * 40), ("svc.json", 3, None)]
    assert body not in f.evidence and body[:40] not in f.message


@pytest.mark.parametrize("backend", BACKENDS)
def test_openssh_key_and_crlf_pem_give_the_body(backend: str) -> None:
    rng = random.Random(22)
    pem, body = pem_key(rng, "OPENSSH ")
    crlf = pem.replace("\n", "\r\n")
    lf = scanner(backend).scan_blob(pem.encode(), "id_ed25519")
    assert view(scanner(backend).scan_blob(crlf.encode(), "id_ed25519")) == view(lf)
    assert [(rule_id(h), h.line) for h in lf] == [("private-key", 1)] and len(lf[0].value) > len(body) // 2


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("body", [
    "...",
    "MIIEpAIBAAKCAQEA...\n...\n",
    "<your private key here>\n",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
    "MIIEvQ==\n",  # too short to be a key
], ids=["dots", "truncated", "angle", "xes", "short"])
def test_placeholder_key_bodies_are_ignored(backend: str, body: str) -> None:
    text = f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"
    sc = scanner(backend)
    assert sc.scan_blob(text.encode(), "README.md") == []
    assert sc.scan_blob(('key = "' + text.replace("\n", "\\n") + '"\n').encode(), "cfg.toml") == []
    assert sc.scan_diff(added_diff("k.pem", text)) == []


# --- overlapping rules --------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_overlapping_rules_give_one_hit(backend: str) -> None:
    rng = random.Random(31)
    aiza = "AIza" + token(rng, 35, ALNUM + "_-")
    sk = "sk_live_" + token(rng, 24)
    sc = scanner(backend)
    gemini = sc.scan_blob(f'GEMINI_API_KEY="{aiza}"\n'.encode(), "server/ai.py")
    assert [(tag(h.value), h.line) for h in gemini] == [(tag(aiza), 1)]
    assert rule_id(gemini[0]) in {"google-ai-api-key", "google-api-key"}
    # A specific format inside a generic secret-named assignment.
    both = sc.scan_blob(f'stripe_secret_token = "{sk}"\n'.encode(), "billing.py")
    assert view(both) == [("stripe-secret-key-live", tag(sk), "billing.py", 1, None)]
    # Firebase web config is public: reported once, as the public rule, not also as a leak.
    fb = sc.scan_blob(f'const firebaseConfig = {{ apiKey: "{aiza}" }};\n'.encode(), "web/firebase.js")
    assert view(fb) == [("firebase-web-api-key", tag(aiza), "web/firebase.js", 1, None)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_gemini_key_in_the_js_sdk_shape_is_a_leak(backend: str) -> None:
    rng = random.Random(33)
    aiza = "AIza" + token(rng, 35, ALNUM + "_-")
    hits = scanner(backend).scan_blob(f'const ai = new GoogleGenAI({{ apiKey: "{aiza}" }});\n'.encode(), "lib/ai.ts")
    assert [(tag(h.value), RULES[h.rule].public) for h in hits] == [(tag(aiza), False)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_same_value_twice_on_a_line_is_one_hit_two_values_are_two(backend: str) -> None:
    rng = random.Random(32)
    a, b = "ghp_" + token(rng, 36), "ghp_" + token(rng, 36)
    sc = scanner(backend)
    assert len(sc.scan_blob(f"t = ['{a}', '{a}']\n".encode(), "x.py")) == 1
    assert sorted(tag(h.value) for h in sc.scan_blob(f"t = ['{a}', '{b}']\n".encode(), "x.py")) == sorted(
        [tag(a), tag(b)])


# --- inline allow markers ----------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("marker", "suppressed"), [
    ("# handrail:ignore", True),
    ("# handrail:ignore[secrets]", True),
    ("# handrail:ignore[stripe-secret-key-live]", True),
    ("# handrail:ignore[github-token]", False),
    ("# handrail:ignore[least-privilege, secrets]", True),
    ("# gitleaks:allow", True),
    ("# pragma: allowlist secret", True),
    ("# pragma:allowlist secret", True),
    ("# allow this secret please", False),
])
def test_inline_markers(backend: str, marker: str, suppressed: bool) -> None:
    rng = random.Random(41)
    sk = "sk_live_" + token(rng, 24)
    line = f"STRIPE = '{sk}'  {marker}\n"
    sc = scanner(backend)
    blob = sc.scan_blob(f"x = 1\n{line}".encode(), "pay.py")
    diff = sc.scan_diff(added_diff("pay.py", f"x = 1\n{line}"))
    expected = [] if suppressed else [(tag(sk), 2)]
    assert [(tag(h.value), h.line) for h in blob] == expected
    assert [(tag(h.value), h.line) for h in diff] == expected


@pytest.mark.parametrize("backend", BACKENDS)
def test_marker_accepts_only_its_own_line(backend: str) -> None:
    rng = random.Random(42)
    a, b = "sk_live_" + token(rng, 24), "sk_live_" + token(rng, 24)
    text = f"A = '{a}'  # gitleaks:allow\nB = '{b}'\n"
    assert [(tag(h.value), h.line) for h in scanner(backend).scan_blob(text.encode(), "k.py")] == [(tag(b), 2)]


# --- path-scoped rules ---------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_path_scoped_rules_only_in_their_paths(backend: str) -> None:
    rng = random.Random(51)
    pw = token(rng, 20)
    npm = token(rng, 32)
    master = token(rng, 32, "0123456789abcdef")
    sc = scanner(backend)
    env = f"# local\nDB_PASSWORD={pw}\nPORT=3000\n".encode()
    assert view(sc.scan_blob(env, ".env")) == [("dotenv-secret", tag(pw), ".env", 2, None)]
    assert view(sc.scan_blob(env, "apps/api/.env.production")) == [
        ("dotenv-secret", tag(pw), "apps/api/.env.production", 2, None)]
    for path in (".env.example", "apps/api/.env.sample", ".env.template", "env.txt", "docs/dotenv.md"):
        assert sc.scan_blob(env, path) == [], path
    npmrc = f"registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken={npm}\n".encode()
    assert view(sc.scan_blob(npmrc, ".npmrc")) == [("npmrc-auth-token", tag(npm), ".npmrc", 2, None)]
    assert view(sc.scan_blob(npmrc, "web/.npmrc")) == [("npmrc-auth-token", tag(npm), "web/.npmrc", 2, None)]
    assert sc.scan_blob(npmrc, "npmrc.txt") == []
    key = f"{master}\n".encode()
    assert view(sc.scan_blob(key, "config/master.key")) == [("rails-master-key", tag(master), "config/master.key", 1,
                                                             None)]
    assert view(sc.scan_blob(key, "config/credentials/production.key")) == [
        ("rails-master-key", tag(master), "config/credentials/production.key", 1, None)]
    for path in ("master.key", "lib/master.key.txt", "config/cache.txt", "config/checksum"):
        assert sc.scan_blob(key, path) == [], path
    # The same scoping holds for added lines of a diff.
    assert view(sc.scan_diff(added_diff("config/master.key", master))) == [
        ("rails-master-key", tag(master), "config/master.key", 1, None)]
    assert sc.scan_diff(added_diff("vendor/hash.txt", master)) == []
    assert view(sc.scan_diff(added_diff(".env", env.decode()))) == [("dotenv-secret", tag(pw), ".env", 2, None)]
    assert sc.scan_diff(added_diff(".env.example", env.decode())) == []


# --- binary key files ---------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_binary_p12_is_a_secret_by_nature(backend: str) -> None:
    rng = random.Random(61)
    p12 = b"\x30\x82\x0a\x1f\x02\x01\x03\x00" + rng.randbytes(2000)
    sc = scanner(backend)
    hits = sc.scan_blob(p12, "certs/deploy.p12")
    assert [(rule_id(h), h.path, h.line) for h in hits] == [("secret-key-file", "certs/deploy.p12", 1)]
    # The value is git's blob id of the bytes, so the file in the tree and in history is one value.
    blob = hashlib.sha1(b"blob %d\0" % len(p12) + p12, usedforsecurity=False).hexdigest()
    assert hits[0].value == "blob:" + blob
    assert sc.scan_blob(p12, "assets/logo.png") == []
    assert view(sc.scan_blob(b"", "keys/id_rsa")) == [("secret-key-file", tag("blob:" + hashlib.sha1(
        b"blob 0\0", usedforsecurity=False).hexdigest()), "keys/id_rsa", 1, None)]
    diff = (b"\x00" + b"e" * 40 + b"\n\ndiff --git a/certs/deploy.p12 b/certs/deploy.p12\nnew file mode 100644\n"
            b"index 0000000000000000000000000000000000000000.." + blob.encode() + b"\n"
            b"Binary files /dev/null and b/certs/deploy.p12 differ\n"
            b"diff --git a/logo.png b/logo.png\nnew file mode 100644\nindex 0000000..1234567\n"
            b"Binary files /dev/null and b/logo.png differ\n")
    got = sc.scan_diff(diff)
    assert [(rule_id(h), h.value, h.path, h.commit) for h in got] == [
        ("secret-key-file", "blob:" + blob, "certs/deploy.p12", "e" * 40)]


# --- bad input --------------------------------------------------------------------------------------
def _minified(rng: random.Random, size: int) -> bytes:
    # Minified JS noise: identifiers, punctuation, digits; no newline anywhere.
    words = ["function", "return", "var", "let", "const", "this", "null", "void", "0", "e", "t", "n", "r"]
    parts: list[str] = []
    total = 0
    while total < size:
        w = f"{rng.choice(words)}{rng.choice('(){};,.=+!&|')}{rng.randint(0, 99999)}"
        parts.append(w)
        total += len(w)
    return "".join(parts).encode()


@cache
def _big_bundle() -> tuple[bytes, bytes]:
    rng = random.Random(71)
    block = _minified(rng, 100_000)  # repeated: building 5 MB of random words would cost seconds
    return block * 25, _minified(rng, 100_000) * 25


@pytest.mark.parametrize("backend", BACKENDS)
def test_huge_single_line_file_key_in_the_middle(backend: str) -> None:
    rng = random.Random(72)
    sk = "sk_live_" + token(rng, 24)
    head, tail = _big_bundle()
    data = head + f';var stripe=Stripe("{sk}");'.encode() + tail
    assert len(data) > 5_000_000 and b"\n" not in data
    t0 = time.perf_counter()
    hits = scanner(backend).scan_blob(data, "dist/app.min.js")
    elapsed = time.perf_counter() - t0
    assert view(hits) == [("stripe-secret-key-live", tag(sk), "dist/app.min.js", 1, None)]
    assert elapsed < 10, f"{elapsed:.1f}s for one 5 MB line"
    print(f"{backend}: {elapsed:.2f}s for a 5 MB line")
    # The same line after 3 short ones: line numbers still count from the file start.
    hits = scanner(backend).scan_blob(b"/*!\n * bundle\n */\n" + data, "dist/app.min.js")
    assert [h.line for h in hits] == [4]


@pytest.mark.parametrize("backend", BACKENDS)
def test_google_key_deep_in_a_minified_line(backend: str) -> None:
    rng = random.Random(73)
    aiza = "AIza" + token(rng, 35, ALNUM + "_-")
    head, _ = _big_bundle()
    data = head[:200_000] + f';maps.load({{key:"{aiza}"}});'.encode() + head[200_000:400_000]
    assert [(tag(h.value), h.line) for h in scanner(backend).scan_blob(data, "dist/maps.min.js")] == [(tag(aiza), 1)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_invalid_utf8_around_a_key(backend: str) -> None:
    rng = random.Random(81)
    sk, gh = "sk_live_" + token(rng, 24), "ghp_" + token(rng, 36)
    data = (b"\xff\xfe\x00\x00garbage\x80\x81\n"
            b"\xc3\x28 key=" + sk.encode() + b" \xa0\xa1\xed\xa0\x80\n"
            b"\xe2\x82 token:\"" + gh.encode() + b"\"\xf0\x28\x8c\xbc\n")
    sc = scanner(backend)
    # NUL in the first bytes: scan_blob still reads it (the caller decides what is binary).
    got = view(sc.scan_blob(data[4:], "legacy/latin1.php"))
    assert got == sorted([("stripe-secret-key-live", tag(sk), "legacy/latin1.php", 2, None),
                          ("github-token", tag(gh), "legacy/latin1.php", 3, None)])
    diff = (b"diff --git a/l.php b/l.php\nindex 1111111..2222222 100644\n--- a/l.php\n+++ b/l.php\n@@ -7,0 +8,3 @@\n"
            + b"".join(b"+" + ln + b"\n" for ln in data[4:].split(b"\n")[:3]))
    assert [(tag(h.value), h.line) for h in sc.scan_diff(diff)] == [(tag(sk), 9), (tag(gh), 10)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_crlf_lines(backend: str) -> None:
    rng = random.Random(91)
    sk, pw = "sk_live_" + token(rng, 24), token(rng, 20)
    master = token(rng, 32, "0123456789abcdef")
    sc = scanner(backend)
    text = f"<?php\r\n\r\n$stripe = '{sk}';\r\nreturn 1;\r\n".encode()
    assert view(sc.scan_blob(text, "pay.php")) == [("stripe-secret-key-live", tag(sk), "pay.php", 3, None)]
    env = f"APP_NAME=shop\r\nDB_PASSWORD={pw}\r\n".encode()
    assert view(sc.scan_blob(env, ".env")) == [("dotenv-secret", tag(pw), ".env", 2, None)]
    assert view(sc.scan_blob(f"{master}\r\n".encode(), "config/master.key")) == [
        ("rails-master-key", tag(master), "config/master.key", 1, None)]
    diff = added_diff(".env", "APP_NAME=shop\r\nDB_PASSWORD=" + pw + "\r")
    assert [(tag(h.value), h.line) for h in sc.scan_diff(diff)] == [(tag(pw), 2)]


# --- prefilter backends agree ---------------------------------------------------------------------------
_SCOPED_PATHS = {
    "dotenv-secret": ".env",
    "config-secret-assignment": "config/app.yml",
    "npmrc-auth-token": ".npmrc",
    "pypirc-password": ".pypirc",
    "rails-master-key": "config/master.key",
    "named-above-secret": "infra/vars.tf",
}


def _path_for(rule: SecretRule) -> str:
    path = _SCOPED_PATHS.get(rule.id, "src/app.py")
    assert rule_applies(rule, path), rule.id
    return path


def _variants(line: str) -> list[str]:
    """The example as written and as real files bend it: indented, quoted, after code, with CRLF."""
    return [line, "  " + line, "\t" + line, line + "  # note", "x = 1; " + line, line + "\r"]


def _noise(rng: random.Random, n: int) -> list[str]:
    pieces = ["secret", "token", "key", "password", "AKIA", "sk_live_", "ghp_", "-----BEGIN", "eyJ", "https://",
              "=", ":", "'", '"', "api_key", "xoxb-", "AIza", "_authToken", "postgres://", "é", "\u4e2d", "hf_"]
    out = []
    for _ in range(n):
        parts = [rng.choice(pieces) if rng.random() < 0.4 else token(rng, rng.randint(1, 50), ALNUM + "+/=_-. ")
                 for _ in range(rng.randint(1, 8))]
        out.append("".join(parts))
    return out


def _sample(indented_master_key: bool = False) -> dict[str, bytes]:
    rng = random.Random(101)
    files: dict[str, list[str]] = {}
    for rule in RULES:
        lines = files.setdefault(_path_for(rule), [])
        for example in (*rule.must_match, *rule.must_not_match):
            for v in _variants(example.rstrip("\n")):
                if rule.id == "rails-master-key" and v[:1].isspace() and not indented_master_key:
                    continue  # see test_backends_agree_on_an_indented_master_key
                lines.append(v)
                lines.extend(_noise(rng, 1))
    # Everything in one file too: path-scoped rules must stay silent there, the others must agree.
    files["src/everything.js"] = [ln for lines in files.values() for ln in lines]
    return {p: "\n".join(lines).encode("utf-8", "surrogateescape") + b"\n" for p, lines in files.items()}


def test_backends_give_identical_hits_on_every_rule_example_and_noise() -> None:
    py, hs = scanner("python"), scanner("hyperscan")
    assert (py.prefilter.name, hs.prefilter.name) == ("python", "hyperscan")
    sample = _sample()
    total = 0
    for path, data in sample.items():
        a, b = view(py.scan_blob(data, path)), view(hs.scan_blob(data, path))
        assert a == b, path
        total += len(a)
        lines = data.decode("utf-8", "surrogateescape").splitlines()
        diff = added_diff(path, "\n".join(lines), start=1, sha="f" * 40)
        da, db = view(py.scan_diff(diff)), view(hs.scan_diff(diff))
        assert da == db, path
        # A file and the diff that adds it report the same values on the same lines (a BEGIN marker that noise
        # follows, with no END, takes a window of what follows, which differs in width: lines only there).
        assert sorted((r, ln) for r, _, _, ln, _ in da) == sorted((r, ln) for r, _, _, ln, _ in a), path
        assert [x[:2] + x[3:4] for x in da if x[0] != "private-key"] == [
            x[:2] + x[3:4] for x in a if x[0] != "private-key"], path
    assert total > 100


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
@pytest.mark.parametrize("backend", BACKENDS)
def test_every_must_match_example_is_found_in_a_file(backend: str, rule: SecretRule) -> None:
    """Each example, in its rule's kind of file, is found by the scanner (the prefilter does not lose it)."""
    path = _path_for(rule)
    sc = scanner(backend)
    if rule.multiline_end:
        pytest.skip("its examples are start markers without a body; the key tests above cover it")
    for example in rule.must_match:
        if rule.context and not re.search(rule.context, example):
            continue  # its name sits on the line above; test_value_named_on_the_line_above covers it
        data = ("first = 1\n" + example.rstrip("\n") + "\nlast = 2\n").encode()
        hits = sc.scan_blob(data, path)
        assert {h.line for h in hits} == {2}, (rule.id, redact(example))
        assert rule.id in {rule_id(h) for h in hits} or all(RULES[h.rule].severity.rank >= rule.severity.rank
                                                            for h in hits), rule.id


def test_backends_agree_on_an_indented_master_key() -> None:
    rng = random.Random(102)
    master = token(rng, 32, "0123456789abcdef")
    for data in (f"  {master}\n".encode(), f"\t{master}\r\n".encode()):
        a = view(scanner("python").scan_blob(data, "config/master.key"))
        b = view(scanner("hyperscan").scan_blob(data, "config/master.key"))
        assert a == b


def test_hyperscan_database_is_loaded_from_the_disk_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from handrail.secrets.prefilter.hyperscan import HyperscanPrefilter

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = HyperscanPrefilter(RULES)
    [db] = list((tmp_path / "handrail" / "hyperscan").glob("*.db"))
    before = db.stat().st_ino
    second = HyperscanPrefilter(RULES)
    data = b"k = 'sk_live_" + token(random.Random(3), 24).encode() + b"'\n"
    assert first.scan(data) == second.scan(data) != []
    assert db.stat().st_ino == before, "the cached database was compiled and written again"


@pytest.mark.parametrize("backend", BACKENDS)
def test_value_named_on_the_line_above(backend: str) -> None:
    """Terraform defaults and plist strings carry their name on the line above: reported only under a secret-like
    name, in a file and in a diff alike."""
    rng = random.Random(31)
    secret, region = token(rng, 20), token(rng, 20)
    tf = (f'variable "db_password" {{\n  type    = string\n  default = "{secret}"\n}}\n'
          f'variable "region_code" {{\n  default = "{region}"\n}}\n')
    sc = scanner(backend)
    assert [(rule_id(h), h.line, h.value == secret) for h in sc.scan_blob(tf.encode(), "infra/vars.tf")] == [
        ("named-above-secret", 3, True)]
    hits = sc.scan_diff(added_diff("infra/vars.tf", tf))
    assert [(rule_id(h), h.line) for h in hits] == [("named-above-secret", 3)]
    plist = f"<dict>\n\t<key>BackendAPISecret</key>\n\t<string>{secret}</string>\n</dict>\n"
    assert [rule_id(h) for h in sc.scan_blob(plist.encode(), "ios/Info.plist")] == ["named-above-secret"]
    # Not a path the rule reads, and no secret-like name above: nothing.
    assert sc.scan_blob(tf.encode(), "notes/vars.txt") == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_putty_keys_are_two_values(backend: str) -> None:
    """A PuTTY key's value is its key material, not its header line, so two keys are two findings."""
    rng = random.Random(41)

    def ppk() -> str:
        pub, priv = base64.b64encode(rng.randbytes(51)).decode(), base64.b64encode(rng.randbytes(48)).decode()
        return (f"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy\nPublic-Lines: 2\n"
                f"{pub[:64]}\n{pub[64:]}\nPrivate-Lines: 1\n{priv}\nPrivate-MAC: {rng.randbytes(32).hex()}\n")

    sc = scanner(backend)
    hits = sc.scan_blob(ppk().encode(), "keys/a.ppk") + sc.scan_blob(ppk().encode(), "keys/b.ppk")
    assert [rule_id(h) for h in hits] == ["putty-private-key", "putty-private-key"]
    assert hits[0].value != hits[1].value


@pytest.mark.parametrize("backend", BACKENDS)
def test_provider_named_by_a_parent_key(backend: str) -> None:
    """.NET appsettings and Helm values nest a provider's token under its name: found through the parent key,
    and the same token shape without the provider nearby is not a Postmark token."""
    rng = random.Random(43)
    uuid = "-".join(token(rng, n, "0123456789abcdef") for n in (8, 4, 4, 4, 12))
    hexkey = token(rng, 40, "0123456789abcdef")
    settings = f'{{\n  "Postmark": {{\n    "ServerToken": "{uuid}",\n    "From": "a@b.co"\n  }}\n}}\n'
    values = f"datadog:\n  site: datadoghq.eu\n  appKey: {hexkey}\n"
    other = f'{{\n  "Sessions": {{\n    "ServerToken": "{uuid}"\n  }}\n}}\n'
    sc = scanner(backend)
    assert [(rule_id(h), h.line) for h in sc.scan_blob(settings.encode(), "appsettings.json")] == [
        ("postmark-server-token", 3)]
    assert [(rule_id(h), h.line) for h in sc.scan_blob(values.encode(), "deploy/values.yaml")] == [
        ("datadog-key", 3)]
    assert [(rule_id(h), h.line) for h in sc.scan_diff(added_diff("deploy/values.yaml", values))] == [
        ("datadog-key", 3)]
    assert [rule_id(h) for h in sc.scan_blob(other.encode(), "appsettings.json")] == []
