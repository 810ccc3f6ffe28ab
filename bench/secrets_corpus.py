"""Build a labelled git history with fake but format-valid secrets and look-alike decoys.

Why: a secret scanner's precision and recall can only be measured against ground truth, and
no public labelled corpus covers git *history* (deleted, renamed, merged, unmerged secrets).
This script writes one: a small "AI-built" product (Next.js + Supabase front end, Django API,
Laravel and Rails billing services, an Express worker) over a few hundred commits with
branches, merges (one evil merge), renames and deletions.

Everything is driven by one seeded RNG and fixed dates/authors, so a rebuild gives the same
shas and labels. Secret values follow the providers' documented shapes (prefixes, lengths,
alphabets, checksums where public) but are random; none is a real credential.

Labels use history semantics: a secret's locations are every commit that ADDS a line holding
it (line numbers as of that commit; multi-line values span line..end_line). They are derived
from the repository itself after the build (`git log -p -U0 -M` and, for merges, lines new
relative to every parent) and cross-checked against the commit each value was planted in.

Usage: python bench/secrets_corpus.py [--out DIR]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import re
import shutil
import string
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DEFAULT_OUT = BENCH / ".work" / "secrets-corpus"
SEED = 20251125

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64URL = ALNUM + "-_"
B64STD = ALNUM + "+/"
HEX = "0123456789abcdef"
FORBIDDEN = re.compile(r"fake|example|test|dummy|sample|xxxx", re.IGNORECASE)

AUTHORS = [
    ("Maya Chen", "maya@shopfront.dev"),
    ("Leo Park", "leo@shopfront.dev"),
    ("Cursor Agent", "cursoragent@cursor.com"),
    ("Priya Natarajan", "priya@shopfront.dev"),
]
NOUNS = ["cart", "order", "invoice", "profile", "coupon", "review", "wishlist", "shipment", "refund",
         "catalog", "inventory", "address", "report", "banner", "search", "newsletter", "payout",
         "ticket", "category", "vendor", "discount", "receipt", "bundle", "rating"]
# the HS256 token shown by the jwt.io debugger (public documentation, signed with "your-256-bit-secret")
JWT_IO_EXAMPLE = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0Ij"
                  "oxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
ADJS = ["Quick", "Admin", "Public", "Guest", "Bulk", "Saved", "Recent", "Featured", "Compact", "Mobile"]
VERBS = ["filter", "group", "sort", "merge", "format", "validate", "normalize", "summarize"]


@dataclass
class Planted:
    """A planted secret; `anchor` is a unique substring of one line, `before`/`after` widen it to the span."""

    id: str
    kind: str
    value: str
    how: str
    anchor: str
    before: int = 0
    after: int = 0
    planted_in: str = ""
    locations: list[dict] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@dataclass
class Decoy:
    kind: str
    anchor: str
    planted_in: str = ""
    location: dict | None = None


class Gen:
    """Provider-shaped random values; regenerated if a value happens to spell a fixture word."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def s(self, n: int, alphabet: str = ALNUM) -> str:
        while True:
            v = "".join(self.rng.choice(alphabet) for _ in range(n))
            if not FORBIDDEN.search(v):
                return v

    def hex(self, n: int) -> str:
        return self.s(n, HEX)

    def b64(self, nbytes: int, url: bool = False) -> str:
        while True:
            raw = self.rng.randbytes(nbytes)
            v = (base64.urlsafe_b64encode(raw).decode().rstrip("=") if url else base64.b64encode(raw).decode())
            if not FORBIDDEN.search(v):
                return v

    def checksummed(self, prefix: str) -> str:
        """GitHub-style token: 30 random base62 chars + base62 CRC32 (6 chars)."""
        body = self.s(30)
        crc = zlib.crc32(body.encode())
        out = ""
        while crc:
            crc, r = divmod(crc, 62)
            out = B62[r] + out
        return prefix + body + out.rjust(6, "0")

    def aws_id(self) -> str:
        return "AKIA" + self.s(16, string.ascii_uppercase + "234567")

    def aws_secret(self) -> str:
        return self.s(40, B64STD)

    def gh_fine(self) -> str:
        return "github_pat_" + self.s(22) + "_" + self.s(59)

    def glpat(self) -> str:
        return "glpat-" + self.s(20, B64URL)

    def stripe(self, prefix: str, legacy: bool = False) -> str:
        if legacy:
            return prefix + self.s(24)
        return prefix + "51" + self.s(14, string.ascii_uppercase + string.digits) + self.s(83)

    def openai(self) -> str:
        return "sk-proj-" + self.s(74, B64URL) + "T3BlbkFJ" + self.s(74, B64URL)

    def anthropic(self) -> str:
        return "sk-ant-api03-" + self.s(93, B64URL) + "AA"

    def hf(self) -> str:
        return "hf_" + self.s(34, string.ascii_letters)

    def slack_bot(self) -> str:
        return f"xoxb-{self.s(12, string.digits)}-{self.s(13, string.digits)}-{self.s(24)}"

    def slack_hook(self) -> str:
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.s(8, up)}/B{self.s(10, up)}/{self.s(24)}"

    def sendgrid(self) -> str:
        return "SG." + self.s(22, B64URL) + "." + self.s(43, B64URL)

    def mailgun(self, legacy: bool) -> str:
        return "key-" + self.hex(32) if legacy else f"{self.hex(32)}-{self.hex(8)}-{self.hex(8)}"

    def pypi(self) -> str:
        return "pypi-AgEIcHlwaS5vcmc" + "CJ" + self.b64(120, url=True)

    def rubygems(self) -> str:
        return "rubygems_" + self.hex(48)

    def google_key(self) -> str:
        return "AIza" + self.s(35, B64URL)

    def password(self, n: int = 20) -> str:
        return self.s(n)

    def django_key(self) -> str:
        return self.s(50, string.ascii_lowercase + string.digits + "!@#%^&*(-_=+)")

    def laravel_key(self) -> str:
        return "base64:" + self.b64(32)

    def azure(self) -> str:
        return ("DefaultEndpointsProtocol=https;AccountName=shopexports;AccountKey="
                + self.b64(64) + ";EndpointSuffix=core.windows.net")

    def jwt(self, payload: dict) -> str:
        def enc(obj: dict) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")

        while True:
            head = enc({"alg": "HS256", "typ": "JWT"})
            body = enc(payload)
            sig = hmac.new(self.rng.randbytes(32), f"{head}.{body}".encode(), hashlib.sha256).digest()
            tok = f"{head}.{body}.{base64.urlsafe_b64encode(sig).decode().rstrip('=')}"
            if not FORBIDDEN.search(tok):
                return tok
            payload = {**payload, "iat": payload["iat"] + 1}

    def supabase_jwt(self, ref: str, role: str) -> str:
        iat = 1_700_000_000 + self.rng.randint(0, 30_000_000)
        return self.jwt({"iss": "supabase", "ref": ref, "role": role, "iat": iat, "exp": iat + 315_360_000})

    def pem(self, label: str, der_prefix: bytes, nbytes: int, width: int = 64) -> str:
        while True:
            body = base64.b64encode(der_prefix + self.rng.randbytes(nbytes)).decode()
            if not FORBIDDEN.search(body):
                break
        lines = [body[i:i + width] for i in range(0, len(body), width)]
        return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"

    def rsa_pem(self) -> str:
        return self.pem("RSA PRIVATE KEY", bytes.fromhex("308204a30201000282010100"), 1179)

    def pkcs8_pem(self) -> str:
        prefix = bytes.fromhex("308204be020100300d06092a864886f70d0101010500048204a8308204a40201000282010100")
        return self.pem("PRIVATE KEY", prefix, 1180)

    def ec_pem(self) -> str:
        key = self.rng.randbytes(32)
        tail = bytes.fromhex("a00a06082a8648ce3d030107a144034200") + b"\x04" + self.rng.randbytes(64)
        return self.pem("EC PRIVATE KEY", bytes.fromhex("30770201010420") + key + tail, 0)

    def openssh_pem(self) -> str:
        def sstr(b: bytes) -> bytes:
            return len(b).to_bytes(4, "big") + b

        pub = self.rng.randbytes(32)
        pubblob = sstr(b"ssh-ed25519") + sstr(pub)
        check = self.rng.randbytes(4)
        priv = check + check + pubblob + sstr(self.rng.randbytes(32) + pub) + sstr(b"deploy@ci") + b"\x01\x02\x03"
        der = b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"") + (1).to_bytes(4, "big")
        der += sstr(pubblob) + sstr(priv)
        return self.pem("OPENSSH PRIVATE KEY", der, 0, width=70)


class Corpus:
    """Writes files, commits with fixed identities/dates, and records what was planted where."""

    def __init__(self, repo: Path, seed: int = SEED) -> None:
        self.repo = repo
        self.rng = random.Random(seed)
        self.g = Gen(self.rng)
        self.t = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
        self.secrets: list[Planted] = []
        self.decoys: list[Decoy] = []
        self._pending_s: list[Planted] = []
        self._pending_d: list[Decoy] = []
        self.commits: list[str] = []
        self.branch = "main"
        self.names: set[str] = set()
        self.appendable: list[str] = []
        self.env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
                    "LC_ALL": "C", "TZ": "UTC"}
        self.ref = self.g.s(20, string.ascii_lowercase)
        self.labels_extra: dict[str, dict] = {}  # value -> extra label fields (e.g. the decoded form)

    # -- git plumbing --------------------------------------------------------------------------
    def git(self, *args: str, check: bool = True) -> str:
        p = subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false",
                            "-c", "core.quotepath=off", *args], cwd=self.repo, env=self.env,
                           capture_output=True, text=True)
        if check and p.returncode:
            raise RuntimeError(f"git {' '.join(args[:3])} failed: {p.stderr.strip()[:300]}")
        return p.stdout

    def _identity(self) -> None:
        self.t += timedelta(minutes=self.rng.randint(9, 400))
        if self.t.hour >= 20:
            self.t = (self.t + timedelta(days=1)).replace(hour=9, minute=self.rng.randint(0, 50))
        name, email = AUTHORS[self.rng.randrange(len(AUTHORS))]
        stamp = self.t.strftime("%Y-%m-%dT%H:%M:%S+0000")
        self.env.update(GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME=name,
                        GIT_COMMITTER_EMAIL=email, GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)

    def _record(self) -> str:
        sha = self.git("rev-parse", "HEAD").strip()
        self.commits.append(sha)
        for s in self._pending_s:
            s.planted_in = sha
        for d in self._pending_d:
            d.planted_in = sha
        self._pending_s.clear()
        self._pending_d.clear()
        return sha

    def commit(self, msg: str) -> str:
        self._identity()
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", msg)
        return self._record()

    def checkout(self, branch: str, new_from: str | None = None) -> None:
        if new_from:
            self.git("checkout", "-q", "-b", branch, new_from)
        else:
            self.git("checkout", "-q", branch)
        self.branch = branch

    def merge(self, branch: str) -> str:
        self._identity()
        self.git("merge", "-q", "--no-ff", "-m", f"Merge branch '{branch}'", branch)
        return self._record()

    # -- files ---------------------------------------------------------------------------------
    def write(self, path: str, text: str) -> None:
        p = self.repo / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text if text.endswith("\n") else text + "\n")

    def read(self, path: str) -> str:
        return (self.repo / path).read_text()

    def append(self, path: str, text: str) -> None:
        self.write(path, self.read(path) + text)

    def replace(self, path: str, old: str, new: str) -> None:
        body = self.read(path)
        if old not in body:
            raise RuntimeError(f"corpus bug: {old[:20]!r} not in {path}")
        self.write(path, body.replace(old, new, 1))

    def rm(self, path: str) -> None:
        self.git("rm", "-q", path)

    def mv(self, src: str, dst: str) -> None:
        (self.repo / dst).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", src, dst)

    # -- labels --------------------------------------------------------------------------------
    def secret(self, kind: str, value: str, how: str, anchor: str | None = None, before: int = 0,
               after: int = 0) -> str:
        if anchor is None:
            lines = value.split("\n")
            k = len(lines) // 2
            anchor, before, after = lines[k].strip(), k, len(lines) - 1 - k
        s = Planted(f"s{len(self.secrets) + 1:03d}", kind, value, how, anchor, before, after)
        self.secrets.append(s)
        self._pending_s.append(s)
        return value

    def decoy(self, kind: str, value: str, anchor: str | None = None) -> str:
        d = Decoy(kind, anchor or value)
        self.decoys.append(d)
        self._pending_d.append(d)
        return value

    # -- filler: ordinary product work between the interesting commits --------------------------
    def _name(self, stem: str) -> str:
        n, i = stem, 2
        while n in self.names:
            n, i = f"{stem}{i}", i + 1
        self.names.add(n)
        return n

    def fill(self, n: int) -> None:
        """n ordinary commits; on side branches only new files, so merges never conflict."""
        for _ in range(n):
            noun, adj, verb = self.rng.choice(NOUNS), self.rng.choice(ADJS), self.rng.choice(VERBS)
            actions = ["tsx", "py", "php", "js", "spec"]
            if self.branch == "main":
                actions += ["append", "append", "append"] + (["edit"] if self.appendable else [])
            act = self.rng.choice(actions)
            if act == "tsx":
                name = self._name(f"{adj}{noun.capitalize()}")
                path = f"web/components/{name}.tsx"
                self.write(path, f"""import {{ useState }} from "react";

type Props = {{ items: {{ id: string; label: string }}[] }};

export function {name}({{ items }}: Props) {{
  const [open, setOpen] = useState(false);
  return (
    <section className="{noun}-panel">
      <button onClick={{() => setOpen(!open)}}>{adj} {noun}</button>
      {{open && items.map((i) => <p key={{i.id}}>{{i.label}}</p>)}}
    </section>
  );
}}
""")
                msg = self.rng.choice([f"Add {name} component", f"feat(web): {adj.lower()} {noun} panel",
                                       f"UI for {noun}s"])
            elif act == "py":
                name = self._name(f"{noun}_{verb}")
                path = f"api/app/{name}.py"
                self.write(path, f'''"""{verb.capitalize()} helpers for {noun} records."""


def {verb}_{noun}s(rows: list[dict]) -> list[dict]:
    """{verb.capitalize()} {noun} rows before they reach the serializer."""
    return [r for r in rows if r.get("{noun}_id") is not None]
''')
                msg = self.rng.choice([f"api: {verb} {noun}s", f"Add {noun} {verb} helper", f"{noun}: {verb} rows"])
            elif act == "php":
                name = self._name(f"{noun.capitalize()}Controller")
                path = f"svc/app/Http/Controllers/{name}.php"
                self.write(path, f"""<?php

namespace App\\Http\\Controllers;

use Illuminate\\Http\\Request;

class {name} extends Controller
{{
    public function index(Request $request)
    {{
        return response()->json(['{noun}s' => [], 'page' => $request->integer('page', 1)]);
    }}
}}
""")
                msg = self.rng.choice([f"billing: {noun} endpoints", f"Add {name}", f"svc: list {noun}s"])
            elif act == "js":
                name = self._name(f"{verb}{noun.capitalize()}Job")
                path = f"worker/src/jobs/{name}.js"
                self.write(path, f"""const {{ logger }} = require("../logger");

module.exports = async function {name}(payload) {{
  logger.info("{verb} {noun}", {{ id: payload.id }});
  return {{ ok: true, count: (payload.items || []).length }};
}};
""")
                msg = self.rng.choice([f"worker: {verb} {noun} job", f"Add {name}", f"Queue job to {verb} {noun}s"])
            elif act == "spec":
                name = self._name(f"{noun}-{verb}")
                path = f"web/__tests__/{name}.spec.ts"
                self.write(path, f"""import {{ describe, it, expect }} from "vitest";

describe("{noun} {verb}", () => {{
  it("keeps rows with an id", () => {{
    const rows = [{{ id: "1" }}, {{ id: "" }}];
    expect(rows.filter((r) => r.id).length).toBe(1);
  }});
}});
""")
                msg = self.rng.choice([f"test: {noun} {verb}", f"Add spec for {noun}s"])
            elif act == "append":
                path = self.rng.choice(["docs/NOTES.md", "web/styles/globals.css", "api/app/utils.py", "README.md"])
                if path.endswith(".md"):
                    self.append(path, f"- {adj} {noun}s: {verb} before display ({self.rng.randint(2, 99)} rows max)\n")
                elif path.endswith(".css"):
                    self.append(path, f".{noun}-{adj.lower()} {{ margin: {self.rng.randint(1, 9)}px; }}\n")
                else:
                    fn = self._name(f"{verb}_{noun}_ids")
                    self.append(path, f"\n\ndef {fn}(ids: list[int]) -> list[int]:\n    return sorted(set(ids))\n")
                msg = self.rng.choice([f"Update {Path(path).name}", f"docs: note on {noun}s", f"tweak {noun} styles",
                                       f"chore: {verb} {noun} ids"])
            else:
                path = self.rng.choice(self.appendable)
                self.append(path, f"// {verb} {noun}s lazily\n" if path.endswith((".ts", ".tsx", ".js"))
                            else f"# {verb} {noun}s lazily\n")
                msg = self.rng.choice([f"Refactor {Path(path).stem}", f"fix: {noun} edge case", "wip", "cleanup"])
            if act in ("tsx", "js") and self.branch == "main":
                self.appendable.append(path)
            self.commit(msg)


def build(out: Path) -> dict:
    """Create the repository and return the labels."""
    repo = out / "repo"
    if out.exists():
        shutil.rmtree(out)
    repo.mkdir(parents=True)
    c = Corpus(repo)
    g = c.g
    c.git("init", "-q", "-b", "main")
    F = c.fill  # short aliases keep the timeline readable
    R = c.rng.randint

    # --- scaffold -------------------------------------------------------------------------------
    c.write(".gitignore", "node_modules/\n.next/\n__pycache__/\nvendor/\n")
    c.write("README.md", "# Shopfront\n\nStorefront built with Next.js + Supabase, a Django API, billing services.\n\n")
    c.write("docs/NOTES.md", "# Notes\n\n")
    c.write("web/styles/globals.css", "body { font-family: system-ui; }\n")
    c.write("api/app/utils.py", '"""Small shared helpers."""\n')
    c.write("web/package.json", json.dumps({
        "name": "shopfront-web", "version": "0.1.0", "private": True,
        "scripts": {"dev": "next dev", "build": "next build", "start": "next start", "test": "vitest run"},
        "dependencies": {"next": "14.2.5", "react": "18.3.1", "@supabase/supabase-js": "2.45.0", "stripe": "16.2.0"},
    }, indent=2))
    c.write("web/app/page.tsx", 'export default function Home() {\n  return <main>Shopfront</main>;\n}\n')
    c.commit("Initial commit from Create Next App")
    lock = {"name": "shopfront-web", "lockfileVersion": 3, "requires": True, "packages": {}}
    for pkg in ["next", "react", "react-dom", "stripe", "@supabase/supabase-js", "scheduler", "postcss",
                "styled-jsx", "caniuse-lite", "@next/env", "busboy", "graceful-fs"]:
        integ = "sha512-" + c.g.b64(64)
        c.decoy("lockfile-integrity", integ)
        lock["packages"][f"node_modules/{pkg}"] = {
            "version": f"{R(1, 18)}.{R(0, 9)}.{R(0, 20)}",
            "resolved": f"https://registry.npmjs.org/{pkg}/-/{pkg.split('/')[-1]}-1.0.0.tgz", "integrity": integ}
    c.write("web/package-lock.json", json.dumps(lock, indent=2))
    c.commit("Add package-lock.json")
    F(R(4, 7))

    # --- Supabase: committed .env.local, deleted later ------------------------------------------
    anon = c.decoy("supabase-anon-jwt", g.supabase_jwt(c.ref, "anon"))
    svc1 = c.secret("supabase-service-role", g.supabase_jwt(c.ref, "service_role"),
                    "committed .env, file deleted later")
    c.write("web/.env.local", f"NEXT_PUBLIC_SUPABASE_URL=https://{c.ref}.supabase.co\n"
            f"NEXT_PUBLIC_SUPABASE_ANON_KEY={anon}\nSUPABASE_SERVICE_ROLE_KEY={svc1}\n")
    c.write("web/lib/supabase.ts", 'import { createClient } from "@supabase/supabase-js";\n\n'
            + c.decoy("env-reference", "export const supabase = createClient(process.env.NEXT_PUBLIC_SUPABASE_URL!,",
                      "process.env.NEXT_PUBLIC_SUPABASE_URL!") + "\n  process.env.NEXT_PUBLIC_SUPABASE_ANON_KEY!);\n")
    c.commit("Set up Supabase client")
    F(R(4, 7))

    # --- Stripe, hard-coded then moved to env ------------------------------------------------------
    sk1 = c.secret("stripe-secret", g.stripe("sk_live_"), "hard-coded in TS, replaced by env later")
    c.write("web/lib/stripe.ts", f'import Stripe from "stripe";\n\nexport const stripe = new Stripe("{sk1}", {{\n'
            '  apiVersion: "2024-06-20",\n});\n')
    pk = c.decoy("stripe-publishable", g.stripe("pk_live_"))
    c.write("web/components/CheckoutButton.tsx", f'import {{ loadStripe }} from "@stripe/stripe-js";\n\n'
            f'const stripePromise = loadStripe("{pk}");\n\nexport function CheckoutButton() {{\n'
            '  return <button onClick={() => stripePromise}>Checkout</button>;\n}\n')
    c.commit("Add Stripe checkout")
    c.appendable.append("web/components/CheckoutButton.tsx")
    F(R(3, 6))

    sk_old = c.secret("stripe-secret", g.stripe("sk_live_"), "committed .env.production, rotated later")
    oa1 = c.secret("openai", g.openai(), ".env.production, same value copied to api/.env later")
    pw = g.password()
    db1 = c.secret("database-url", f"postgresql://postgres:{pw}@db.{c.ref}.supabase.co:5432/postgres",
                   "committed .env.production")
    na = c.secret("generic-secret", g.b64(32), "NEXTAUTH_SECRET in .env.production")
    c.write("web/.env.production", f"STRIPE_SECRET_KEY={sk_old}\nOPENAI_API_KEY={oa1}\nDATABASE_URL={db1}\n"
            f"NEXTAUTH_SECRET={na}\nNEXTAUTH_URL=https://shopfront.app\n")
    c.commit("Add production env")
    F(R(3, 6))

    c.replace("web/lib/stripe.ts", f'"{sk1}"', c.decoy("env-reference", "process.env.STRIPE_SECRET_KEY!"))
    c.commit("Move Stripe key to env")
    c.write("web/.env.example", "\n".join([
        "NEXT_PUBLIC_SUPABASE_URL=https://<project-ref>.supabase.co",
        "NEXT_PUBLIC_SUPABASE_ANON_KEY=" + c.decoy("placeholder", "<anon-key>"),
        "SUPABASE_SERVICE_ROLE_KEY=" + c.decoy("placeholder", "your-service-role-key-here"),
        "STRIPE_SECRET_KEY=" + c.decoy("placeholder", "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx"),
        "OPENAI_API_KEY=" + c.decoy("placeholder", "your-api-key-here"),
        "DATABASE_URL=" + c.decoy("placeholder", "postgresql://postgres:<password>@localhost:5432/postgres"),
        "NEXTAUTH_SECRET=" + c.decoy("placeholder", "changeme"),
    ]))
    c.commit("Add .env.example")
    F(R(3, 6))
    c.rm("web/.env.local")
    c.append(".gitignore", ".env*.local\n")
    c.commit("Stop tracking .env.local")
    F(R(2, 4))

    # --- Django API ---------------------------------------------------------------------------------
    dj = c.secret("django-secret-key", g.django_key(), "settings.py literal, moved to env later")
    dbpw = g.password(24)
    db2 = c.secret("database-url", f"postgres://shop_api:{dbpw}@shop-prod.cluster-c9x2.eu-west-1.rds.amazonaws.com:5432/shop",
                   "Django settings.py")
    ak1, as1 = g.aws_id(), g.aws_secret()
    c.secret("aws-access-key-id", ak1, "Django settings (django-storages)")
    c.secret("aws-secret-access-key", as1, "Django settings (django-storages)")
    c.write("api/config/settings.py", f'''"""Django settings for the Shopfront API."""
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "{dj}"
DEBUG = False
ALLOWED_HOSTS = ["api.shopfront.app"]

DATABASES = {{"default": dj_database_url.parse("{db2}")}}

CACHE_TTL = 300
CACHES = {{"default": {{"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "TIMEOUT": CACHE_TTL}}}}

STORAGES = {{"default": {{"BACKEND": "storages.backends.s3.S3Storage"}}}}
AWS_ACCESS_KEY_ID = "{ak1}"
AWS_SECRET_ACCESS_KEY = "{as1}"
AWS_STORAGE_BUCKET_NAME = "shopfront-media"
''')
    c.write("api/requirements.txt", "django==5.0.7\ndj-database-url==2.2.0\ndjango-storages[s3]==1.14.4\n")
    c.write("api/app/__init__.py", "")
    c.write("api/app/views.py", "from django.http import JsonResponse\n\n\ndef health(request):\n"
            "    return JsonResponse({\"ok\": True})\n")
    c.commit("Scaffold Django API")
    F(R(3, 6))

    hf = c.secret("huggingface", g.hf(), "Python module constant")
    gk = c.secret("google-api-key", g.google_key(), "Gemini key in server-side Python")
    c.write("api/app/services/llm.py", f'''"""Summaries for product reviews."""
import os

from openai import OpenAI

HF_TOKEN = "{hf}"
GEMINI_API_KEY = "{gk}"
client = OpenAI(api_key={c.decoy("env-reference", 'os.environ["OPENAI_API_KEY"]')})


def summarize(text: str) -> str:
    out = client.responses.create(model="gpt-4o-mini", input=text)
    return out.output_text
''')
    c.commit("Add LLM summarisation service")
    F(R(3, 6))

    # side branch, merged: Slack + Twilio
    c.checkout("feat/notifications", "main")
    xb, hook = g.slack_bot(), g.slack_hook()
    c.secret("slack-bot-token", xb, "side branch, merged")
    c.secret("slack-webhook", hook, "side branch, merged")
    c.write("api/app/notifications/slack.py", f'''from slack_sdk import WebClient

SLACK_BOT_TOKEN = "{xb}"
ALERT_WEBHOOK = "{hook}"
client = WebClient(token=SLACK_BOT_TOKEN)
''')
    c.commit("Slack alerts for failed payments")
    F(1)
    tw_tok = c.secret("twilio-auth-token", g.hex(32), "side branch, merged")
    tw_sk = c.secret("twilio-api-key", "SK" + g.hex(32), "side branch, merged")
    tw_sec = c.secret("twilio-api-secret", g.s(32), "side branch, merged")
    c.write("api/app/notifications/sms.py", f'''from twilio.rest import Client

TWILIO_ACCOUNT_SID = "AC{g.hex(32)}"
TWILIO_AUTH_TOKEN = "{tw_tok}"

TWILIO_API_KEY = "{tw_sk}"
TWILIO_API_SECRET = "{tw_sec}"
client = Client(TWILIO_API_KEY, TWILIO_API_SECRET, TWILIO_ACCOUNT_SID)
''')
    c.commit("Twilio SMS for order updates")
    c.checkout("main")
    F(R(2, 4))
    c.merge("feat/notifications")
    F(R(2, 4))

    sg, mg, jw = g.sendgrid(), g.mailgun(legacy=False), g.s(64, ALNUM)
    c.secret("sendgrid", sg, "YAML config")
    c.secret("mailgun", mg, "YAML config")
    c.secret("jwt-secret", jw, "YAML config")
    db3 = c.secret("database-url", f"postgres://reporting:{g.password(18)}@replica.shopfront.internal:5432/shop",
                   "YAML config")
    c.write("api/config/production.yaml", f"""email:
  provider: sendgrid
  sendgrid_api_key: "{sg}"
  mailgun:
    domain: mg.shopfront.app
    api_key: {mg}
auth:
  jwt:
    algorithm: HS256
    secret: "{jw}"
    ttl_minutes: 60
reporting:
  database_url: {db3}
""")
    c.commit("Add production YAML config")
    F(R(3, 5))

    pk8 = g.pkcs8_pem()
    pk_json = pk8.replace("\n", "\\n") + "\\n"
    kid = g.hex(40)
    sa_lines = [
        "{", '  "type": "service_account",', '  "project_id": "shopfront-vision-4821",',
        f'  "private_key_id": "{kid}",', f'  "private_key": "{pk_json}",',
        '  "client_email": "vision-bot@shopfront-vision-4821.iam.gserviceaccount.com",',
        f'  "client_id": "{g.s(21, string.digits)}",', '  "auth_uri": "https://accounts.google.com/o/oauth2/auth",',
        '  "token_uri": "https://oauth2.googleapis.com/token",',
        '  "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",',
        '  "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/vision-bot%40shopfront-vision-4821.iam.gserviceaccount.com",',
        '  "universe_domain": "googleapis.com"', "}",
    ]
    c.secret("gcp-service-account", pk_json, "pretty-printed JSON file, renamed then deleted",
             anchor=pk_json[40:100], before=4, after=len(sa_lines) - 5)
    c.write("api/credentials/service-account.json", "\n".join(sa_lines))
    c.commit("Add GCP service account for Vision API")
    F(R(2, 4))
    c.mv("api/credentials/service-account.json", "api/secrets/gcp-vision.json")
    c.commit("Move credentials under secrets/")
    F(R(2, 4))
    c.rm("api/secrets/gcp-vision.json")
    c.commit("Remove service account from repo")

    pypi = c.secret("pypi", g.pypi(), ".pypirc")
    c.write(".pypirc", f"[distutils]\nindex-servers =\n    pypi\n\n[pypi]\nusername = __token__\npassword = {pypi}\n")
    c.commit("Add .pypirc for publishing the API client")
    F(R(3, 5))

    pws = c.secret("generic-secret", g.s(40), "PAYMENT_WEBHOOK_SECRET assignment in Python")
    c.write("api/app/payments/webhooks.py", f'''import hashlib
import hmac

PAYMENT_WEBHOOK_SECRET = "{pws}"


def verify(body: bytes, signature: str) -> bool:
    digest = hmac.new(PAYMENT_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(digest, signature)
''')
    c.commit("Payment webhooks")
    c.write("api/tests/test_webhooks.py", f'''from app.payments import webhooks

API_TOKEN = "{c.decoy("test-fixture", "test_token_123")}"
SIGNING_KEY = "{c.decoy("test-fixture", "abcdabcdabcdabcdabcdabcdabcdabcd")}"
password = "{c.decoy("test-fixture", "password123")}"
SESSION_ID = "{c.decoy("uuid", "5f0c6f1e-8b7a-4c2d-9e3f-1a2b3c4d5e6f")}"


def test_rejects_bad_signature(monkeypatch):
    monkeypatch.setattr(webhooks, "PAYMENT_WEBHOOK_SECRET", "{c.decoy("test-fixture", "0" * 40)}")
    assert not webhooks.verify(b"{{}}", "deadbeef")
''')
    c.commit("Tests for webhook verification")
    F(R(3, 6))
    c.replace("api/config/settings.py", f'SECRET_KEY = "{dj}"',
              "SECRET_KEY = " + c.decoy("env-reference", 'os.environ["DJANGO_SECRET_KEY"]'))
    c.commit("Read Django SECRET_KEY from env")

    # --- evil merge: the conflict resolution adds a secret neither parent has --------------------
    c.checkout("feat/celery", "main")
    c.replace("api/config/settings.py", "CACHE_TTL = 300", "CACHE_TTL = 600")
    c.write("api/app/tasks.py", "from celery import shared_task\n\n\n@shared_task\ndef refresh_catalog():\n"
            "    return 'ok'\n")
    c.commit("Add Celery worker and longer cache")
    c.checkout("main")
    c.replace("api/config/settings.py", "CACHE_TTL = 300", "CACHE_TTL = 120")
    c.commit("Shorter cache TTL for prices")
    c._identity()
    c.git("merge", "-q", "--no-ff", "feat/celery", check=False)
    whsec = c.secret("stripe-webhook-secret", "whsec_" + g.s(32), "evil merge: added by the conflict resolution")
    resolved = c.git("show", "HEAD:api/config/settings.py").replace(
        "CACHE_TTL = 120", f'CACHE_TTL = 600\nSTRIPE_WEBHOOK_SECRET = "{whsec}"')
    c.write("api/config/settings.py", resolved.rstrip("\n"))
    c.git("add", "-A")
    c.git("commit", "-q", "--no-edit", "-m", "Merge branch 'feat/celery'")
    c._record()
    F(R(3, 6))

    # --- Laravel billing service ------------------------------------------------------------------
    lk = c.secret("laravel-app-key", g.laravel_key(), "committed Laravel .env")
    lpw = c.secret("generic-secret", g.password(22), "DB_PASSWORD in Laravel .env")
    mg_old = c.secret("mailgun", g.mailgun(legacy=True), "committed Laravel .env")
    ak2, as2 = g.aws_id(), g.aws_secret()
    c.secret("aws-access-key-id", ak2, "committed Laravel .env")
    c.secret("aws-secret-access-key", as2, "committed Laravel .env")
    ljwt = c.secret("jwt-secret", g.s(64), "JWT_SECRET in Laravel .env")
    c.write("svc/.env", f"APP_NAME=Billing\nAPP_ENV=production\nAPP_KEY={lk}\nAPP_DEBUG=false\n\n"
            f"DB_CONNECTION=mysql\nDB_HOST=10.0.3.12\nDB_DATABASE=billing\nDB_USERNAME=billing\nDB_PASSWORD={lpw}\n\n"
            f"MAILGUN_DOMAIN=mg.shopfront.app\nMAILGUN_SECRET={mg_old}\n\nAWS_ACCESS_KEY_ID={ak2}\n"
            f"AWS_SECRET_ACCESS_KEY={as2}\nAWS_DEFAULT_REGION=eu-west-1\n\nJWT_SECRET={ljwt}\n")
    c.write("svc/.env.example", "APP_KEY=\nDB_PASSWORD=" + c.decoy("placeholder", "secret_password_here")
            + "\nMAILGUN_SECRET=" + c.decoy("placeholder", "key-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") + "\n")
    c.write("svc/config/app.php", "<?php\n\nreturn [\n    'name' => env('APP_NAME', 'Billing'),\n    'key' => "
            + c.decoy("env-reference", "env('APP_KEY')") + ",\n    'cipher' => 'AES-256-CBC',\n];\n")
    rk = c.secret("stripe-restricted", g.stripe("rk_live_"), "PHP config array, file renamed later")
    sign = c.secret("generic-secret", g.s(48), "signing_secret in PHP array, file renamed later")
    c.write("svc/config/services.php", f"""<?php

return [
    'mailgun' => [
        'domain' => env('MAILGUN_DOMAIN'),
        'secret' => {c.decoy("env-reference", "env('MAILGUN_SECRET')")},
    ],
    'stripe' => [
        'secret' => '{rk}',
        'webhook' => [
            'signing_secret' => '{sign}',
        ],
    ],
];
""")
    comp = {"packages": []}
    for name in ["laravel/framework", "guzzlehttp/guzzle", "stripe/stripe-php", "monolog/monolog"]:
        ref = g.hex(40)
        c.decoy("git-sha", ref)
        comp["packages"].append({"name": name, "version": f"v{R(1, 11)}.{R(0, 9)}.{R(0, 9)}",
                                 "source": {"type": "git", "url": f"https://github.com/{name}.git", "reference": ref}})
    c.write("svc/composer.lock", json.dumps(comp, indent=4))
    c.commit("Scaffold Laravel billing service")
    F(R(3, 5))
    c.mv("svc/config/services.php", "svc/config/third_party.php")
    c.commit("Rename services config")
    F(R(2, 4))

    # --- Rails legacy billing --------------------------------------------------------------------------
    mk = c.secret("rails-master-key", g.hex(32), "config/master.key, deleted later")
    skb = c.secret("rails-secret-key-base", g.hex(128), "secrets.yml")
    sk_rb = c.secret("stripe-secret", g.stripe("sk_live_", legacy=True), "Ruby initializer")
    rpw = c.secret("generic-secret", g.password(20), "database.yml password")
    enc = c.secret("generic-secret", g.b64(32), "ENCRYPTION_KEY constant in Ruby")
    c.write("billing/config/master.key", mk)
    c.write("billing/config/secrets.yml", f"production:\n  secret_key_base: {skb}\n")
    c.write("billing/config/initializers/stripe.rb", f'Stripe.api_key = "{sk_rb}"\n'
            f"Stripe.api_version = \"2024-06-20\"\n")
    c.write("billing/config/database.yml", f"production:\n  adapter: postgresql\n  database: billing\n"
            f"  username: billing\n  password: {rpw}\n  host: db.internal\n")
    c.write("billing/app/models/card_token.rb", f'class CardToken < ApplicationRecord\n  ENCRYPTION_KEY = "{enc}"\n'
            "  encrypts :fingerprint\nend\n")
    c.write("billing/config/initializers/mailer.rb", "ActionMailer::Base.smtp_settings = { password: "
            + c.decoy("env-reference", 'ENV.fetch("SMTP_PASSWORD")') + " }\n")
    c.commit("Import legacy Rails billing app")
    rg = c.secret("rubygems", g.rubygems(), ".gem/credentials")
    c.write("billing/.gem/credentials", f"---\n:rubygems_api_key: {rg}\n")
    c.commit("Publish billing-client gem")
    F(R(3, 5))
    c.rm("billing/config/master.key")
    c.append(".gitignore", "billing/config/master.key\n")
    c.commit("Remove master.key")

    # --- Express worker ---------------------------------------------------------------------------------
    wjwt = c.secret("jwt-secret", g.b64(48), "JS config")
    cluster = g.s(5, string.ascii_lowercase + string.digits)
    mongo = c.secret("database-url",
                     f"mongodb+srv://worker:{g.password(16)}@cluster0.{cluster}.mongodb.net/shop?retryWrites=true",
                     "JS config")
    rpass, rport = g.password(32), R(10000, 19999)
    redis = c.secret("database-url",
                     f"rediss://default:{rpass}@redis-{rport}.c1.eu-west-1-2.ec2.redns.redis-cloud.com:{rport}",
                     "JS config")
    itok = c.secret("generic-secret", g.s(40, HEX + "ABCDEF"), "INTERNAL_API_TOKEN const in JS")
    c.write("worker/src/config.js", f"""module.exports = {{
  port: {c.decoy("env-reference", "process.env.PORT || 8080")},
  jwtSecret: "{wjwt}",
  mongoUri: "{mongo}",
  redisUrl: "{redis}",
}};

const INTERNAL_API_TOKEN = '{itok}';
module.exports.internalToken = INTERNAL_API_TOKEN;
""")
    c.write("worker/src/logger.js", "module.exports.logger = console;\n")
    ylines = []
    for pkg in ["express", "body-parser", "debug", "ms", "qs", "bullmq"]:
        integ = "sha512-" + g.b64(64)
        c.decoy("lockfile-integrity", integ)
        sha1 = g.hex(40)
        c.decoy("lockfile-hash", sha1)
        ylines.append(f'{pkg}@^{R(1, 9)}.0.0:\n  version "{R(1, 9)}.{R(0, 9)}.{R(0, 9)}"\n'
                      f'  resolved "https://registry.yarnpkg.com/{pkg}/-/{pkg}-1.0.0.tgz#{sha1}"\n'
                      f"  integrity {integ}\n")
    c.write("worker/yarn.lock", "# yarn lockfile v1\n\n\n" + "\n".join(ylines))
    c.commit("Add Express worker")
    c.appendable.append("worker/src/logger.js")
    c.checkout("feat/github-sync", "main")
    ghf = c.secret("github-fine-grained", g.gh_fine(), "side branch, merged")
    c.write("worker/src/github.js", f"""const {{ Octokit }} = require("@octokit/rest");

const octokit = new Octokit({{ auth: "{ghf}" }});
module.exports = octokit;
""")
    c.commit("Sync issues from GitHub")
    gl = c.secret("gitlab-pat", g.glpat(), "token in a git remote URL, side branch, merged")
    c.write("worker/scripts/mirror.sh", "#!/bin/sh\nset -e\n"
            f"git remote add gl https://oauth2:{gl}@gitlab.com/shopfront/shop.git || true\n"
            "git push gl main\n")
    c.commit("Mirror to GitLab")
    c.checkout("main")
    F(R(2, 3))
    c.merge("feat/github-sync")
    npm, ghp1 = g.checksummed("npm_"), g.checksummed("ghp_")
    c.secret("npm", npm, ".npmrc _authToken")
    c.secret("github-classic", ghp1, ".npmrc _authToken for GitHub Packages")
    c.write("worker/.npmrc", f"//registry.npmjs.org/:_authToken={npm}\n@shopfront:registry=https://npm.pkg.github.com\n"
            f"//npm.pkg.github.com/:_authToken={ghp1}\n")
    c.commit("Add npm publish config")
    F(R(3, 5))

    # --- minified bundle and build artefacts ----------------------------------------------------------
    oa2, sg2 = g.openai(), g.sendgrid()
    c.secret("openai", oa2, "minified JS (one long line)")
    c.secret("sendgrid", sg2, "minified JS (one long line)")
    parts = [f'var t{i}=function(e){{return e&&e.__esModule?e:{{default:e}}}};' for i in range(60)]
    parts.insert(23, f'var cfg={{endpoint:"https://api.openai.com/v1",apiKey:"{oa2}",retries:3}};')
    parts.insert(47, 'function mail(e){return fetch("https://api.sendgrid.com/v3/mail/send",{method:"POST",'
                 f'headers:{{Authorization:"Bearer {sg2}"}},body:JSON.stringify(e)}})}}')
    c.write("web/public/js/assistant.min.js", "!function(){" + "".join(parts) + "}();")
    chunk_map = ",".join(f'{R(100, 999)}:"{c.decoy("webpack-chunk-hash", g.hex(16))}"' for _ in range(4))
    c.write("web/public/_next/static/chunks/webpack.js",
            f'!function(){{var e={{}};e.u=function(t){{return"static/chunks/"+t+"."+{{{chunk_map}}}[t]+".js"}}}}();')
    c.commit("Vendor the assistant widget bundle")
    an1 = c.secret("anthropic", g.anthropic(), "TS route handler")
    c.write("web/app/api/chat/route.ts", f"""import Anthropic from "@anthropic-ai/sdk";

const client = new Anthropic({{ apiKey: '{an1}' }});

export async function POST(req: Request) {{
  const {{ prompt }} = await req.json();
  const msg = await client.messages.create({{ model: "claude-sonnet-4-5", max_tokens: 512,
    messages: [{{ role: "user", content: prompt }}] }});
  return Response.json(msg);
}}
""")
    c.commit("Add AI chat route")
    F(R(3, 6))

    # --- deploy: AWS keys + RSA key committed then deleted -------------------------------------------------
    ak3, as3 = g.aws_id(), g.aws_secret()
    c.secret("aws-access-key-id", ak3, "shell script export")
    c.secret("aws-secret-access-key", as3, "shell script export")
    c.write("deploy/deploy.sh", f"#!/usr/bin/env bash\nset -euo pipefail\nexport AWS_ACCESS_KEY_ID={ak3}\n"
            f"export AWS_SECRET_ACCESS_KEY={as3}\nexport AWS_DEFAULT_REGION=eu-west-1\n"
            "aws s3 sync web/out s3://shopfront-web --delete\n")
    rsa = c.secret("private-key-rsa", g.rsa_pem(), "PEM file committed then deleted")
    c.write("deploy/id_rsa", rsa)
    c.commit("Add deploy script and key")
    F(1)
    c.rm("deploy/id_rsa")
    c.commit("Remove deploy key")
    F(R(2, 4))

    pgpw = c.secret("generic-secret", g.password(24), "POSTGRES_PASSWORD in docker-compose.yml")
    dbc = c.secret("database-url", f"postgres://shop:{g.password(20)}@db:5432/shop", "docker-compose.yml")
    amqp = c.secret("database-url", f"amqp://shop:{g.password(20)}@rabbitmq.internal:5672/shop", "docker-compose.yml")
    c.write("docker-compose.yml", f"""services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: shop
      POSTGRES_PASSWORD: {pgpw}
  api:
    build: ./api
    environment:
      DATABASE_URL: {dbc}
      CELERY_BROKER_URL: "{amqp}"
      OPENAI_API_KEY: {c.decoy("env-reference", "${OPENAI_API_KEY}")}
""")
    c.commit("Docker compose for a prod-like stack")
    az = c.secret("azure-storage", g.azure(), "connection string in Python")
    c.write("api/app/storage.py", f'from azure.storage.blob import BlobServiceClient\n\n'
            f'AZURE_STORAGE_CONNECTION_STRING = "{az}"\n'
            "blob = BlobServiceClient.from_connection_string(AZURE_STORAGE_CONNECTION_STRING)\n")
    c.commit("Azure blob storage for exports")
    an2 = c.secret("anthropic", g.anthropic(), "api/.env")
    gho = c.secret("github-oauth", g.checksummed("gho_"), "api/.env")
    c.write("api/.env", f"OPENAI_API_KEY={oa1}\nANTHROPIC_API_KEY={an2}\nGITHUB_OAUTH_TOKEN={gho}\n")
    c.commit("Copy env for the API")
    F(R(3, 5))

    svc2 = c.secret("supabase-service-role", g.supabase_jwt(c.ref, "service_role"), "Edge Function source")
    c.write("supabase/functions/send-receipt/index.ts", f"""\
import {{ createClient }} from "npm:@supabase/supabase-js@2";

const SUPABASE_SERVICE_ROLE_KEY = "{svc2}";
const supabase = createClient({c.decoy("env-reference", 'Deno.env.get("SUPABASE_URL")!')}, SUPABASE_SERVICE_ROLE_KEY);

Deno.serve(async (req) => new Response(JSON.stringify(await supabase.from("receipts").select())));
""")
    c.commit("Edge function for receipts")
    F(R(2, 4))

    c.checkout("feat/admin-dashboard", "main")
    svc3 = c.secret("supabase-service-role", g.supabase_jwt(c.ref, "service_role"), "side branch, merged")
    c.write("web/lib/supabaseAdmin.ts", f"""import {{ createClient }} from "@supabase/supabase-js";

// admin client for the dashboard (server only)
export const supabaseAdmin = createClient(
  "https://{c.ref}.supabase.co",
  "{svc3}",
);
""")
    c.commit("Admin dashboard: service client")
    F(2)
    c.checkout("main")
    F(R(1, 3))
    c.merge("feat/admin-dashboard")

    sk_new = c.secret("stripe-secret", g.stripe("sk_live_"), "rotated value in .env.production")
    c.replace("web/.env.production", sk_old, sk_new)
    c.commit("Rotate Stripe key")
    F(R(2, 4))

    # --- decoy-heavy commits ------------------------------------------------------------------------------
    c.write("docs/SETUP.md", f"""# Setup

Configure the AWS CLI (values below are the ones from the AWS documentation):

    aws_access_key_id = {c.decoy("documented-example", "AKIAIOSFODNN7EXAMPLE")}
    aws_secret_access_key = {c.decoy("documented-example", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")}

Create a GitHub token and export it:

    export GITHUB_TOKEN={c.decoy("placeholder", "<your-github-token>")}
    export GH_TOKEN={c.decoy("placeholder", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")}
    export ANTHROPIC_API_KEY={c.decoy("placeholder", "sk-ant-api03-...")}
    export STRIPE_SECRET_KEY={c.decoy("env-reference", "$(op read op://shop/stripe/secret)")}

Tokens look like `{c.decoy("placeholder", "<token>")}`; never commit them.
""")
    c.commit("docs: setup guide")
    c.write("web/locales/en.json", json.dumps({
        "auth.password_hint": c.decoy("i18n", "Use at least 12 characters, mixing letters and digits"),
        "auth.token_expired": c.decoy("i18n", "Your session token has expired, please sign in again"),
        "auth.api_key_label": c.decoy("i18n", "Paste your API key here"),
    }, indent=2))
    c.write("web/lib/keymap.json", json.dumps([
        {"key": c.decoy("keymap", "ctrl+shift+down"), "command": "cart.moveItemDown"},
        {"key": c.decoy("keymap", "ctrl+alt+k"), "command": "search.focus"},
        {"key": c.decoy("keymap", "cmd+shift+p"), "command": "palette.open"},
    ], indent=2))
    c.commit("i18n strings and keyboard shortcuts")
    fb = c.decoy("firebase-web-apikey", g.google_key())
    c.write("web/lib/firebase.ts", f"""import {{ initializeApp }} from "firebase/app";

const firebaseConfig = {{
  apiKey: "{fb}",
  authDomain: "shopfront-push.firebaseapp.com",
  projectId: "shopfront-push",
  messagingSenderId: "{c.decoy("firebase-web-config", g.s(12, string.digits))}",
  appId: "{c.decoy("firebase-web-config", "1:" + g.s(12, string.digits) + ":web:" + g.hex(22))}",
}};

export const app = initializeApp(firebaseConfig);
""")
    c.write("web/lib/publicEnv.ts", "export const publicEnv = {\n  supabaseAnonKey: \""
            + c.decoy("supabase-anon-jwt", g.supabase_jwt(c.ref, "anon")) + "\",\n  stripeKey: \""
            + c.decoy("stripe-publishable", g.stripe("pk_live_")) + "\",\n};\n")
    c.commit("Firebase push notifications")
    orders = [{"id": c.decoy("uuid", str(__import__("uuid").UUID(bytes=c.rng.randbytes(16), version=4))),
               "total_cents": R(500, 90000), "status": "paid"} for _ in range(5)]
    c.write("api/tests/fixtures/orders.json", json.dumps(orders, indent=2))
    c.write("web/__tests__/auth.spec.ts", f"""import {{ describe, it, expect }} from "vitest";

const accessToken = "{c.decoy("test-fixture", "test_access_token_abc123")}";
const apiKey = "{c.decoy("test-fixture", "sk_live_" + "a" * 24)}";
const jwtSecret = "{c.decoy("test-fixture", "1234567890" * 4)}";

describe("auth header", () => {{
  it("uses the bearer token", () => {{
    expect(`Bearer ${{accessToken}}`).toContain(accessToken);
    expect(apiKey.length + jwtSecret.length).toBeGreaterThan(0);
  }});
}});
""")
    c.commit("Seed fixtures for tests")
    shas = [c.decoy("git-sha", x) for x in (c.commits[5], c.commits[17], c.commits[40])]
    c.write("docs/CHANGELOG.md", "# Changelog\n\n" + "".join(
        f"- {msg} ({sha})\n"
        for msg, sha in zip(["Fix cart totals", "Faster search", "Webhook retries"], shas, strict=True)))
    c.commit("Changelog")
    logo = "data:image/png;base64," + g.b64(180)
    c.decoy("data-uri", logo[:60])
    sri = "sha384-" + g.b64(48)
    c.decoy("sri-hash", sri)
    c.append("web/styles/globals.css", f'.brand {{ background-image: url("{logo}"); }}\n')
    c.write("web/app/layout.tsx", f"""\
export default function RootLayout({{ children }}: {{ children: React.ReactNode }}) {{
  return (
    <html lang="en">
      <head>
        <script src="https://cdn.jsdelivr.net/npm/alpinejs@3.14.1/dist/cdn.min.js"
          integrity="{sri}" crossOrigin="anonymous" />
      </head>
      <body>{{children}}</body>
    </html>
  );
}}
""")
    c.commit("Brand logo and Alpine from CDN")
    F(R(2, 4))

    # --- harder placements: SQL, notebooks, YAML blocks, encoded values, PuTTY, UUID-shaped tokens -----
    svc4 = c.secret("supabase-service-role", g.supabase_jwt(c.ref, "service_role"),
                    "SQL migration (pg_cron + pg_net)")
    c.write("supabase/migrations/20250412093000_nightly_digest.sql", f"""create extension if not exists pg_cron;
create extension if not exists pg_net;

select cron.schedule('nightly-digest', '0 3 * * *', $$
  select net.http_post(
    url := 'https://{c.ref}.supabase.co/functions/v1/digest',
    headers := '{{"Content-Type": "application/json", "Authorization": "Bearer {svc4}"}}'::jsonb
  );
$$);
""")
    c.commit("Nightly digest via pg_cron")
    an4 = c.secret("anthropic", g.anthropic(), "Jupyter notebook cell (JSON-escaped source)")
    nb = {"cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [], "source": [
        "import os\n", f'os.environ["ANTHROPIC_API_KEY"] = "{an4}"\n', "from anthropic import Anthropic\n",
        "client = Anthropic()"]}], "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4, "nbformat_minor": 5}
    c.write("notebooks/review_eval.ipynb", json.dumps(nb, indent=1))
    c.commit("Notebook: evaluate review summaries")
    F(R(2, 4))
    tls = g.rsa_pem()
    c.secret("private-key-rsa", tls, "PEM in a YAML block scalar (k8s Secret)")
    sk_k8s = g.stripe("sk_live_")
    sk_b64 = base64.b64encode(sk_k8s.encode()).decode()
    c.secret("stripe-secret", sk_b64, "base64-encoded in a k8s Secret `data:` field")
    c.labels_extra[sk_b64] = {"decoded": sk_k8s}
    tls_yaml = "\n".join("    " + ln for ln in tls.split("\n"))
    c.write("deploy/k8s/secrets.yaml", f"""apiVersion: v1
kind: Secret
metadata:
  name: shop-tls
type: kubernetes.io/tls
stringData:
  tls.key: |
{tls_yaml}
---
apiVersion: v1
kind: Secret
metadata:
  name: shop-payments
data:
  STRIPE_SECRET_KEY: {sk_b64}
""")
    c.commit("k8s secrets for TLS and payments")
    pub = g.b64(51)
    ppk = "\n".join([
        "PuTTY-User-Key-File-3: ssh-ed25519", "Encryption: none", "Comment: eddsa-key-20250414",
        "Public-Lines: 2", pub[:64], pub[64:], "Private-Lines: 1", g.b64(36), f"Private-MAC: {g.hex(64)}"])
    c.secret("private-key-putty", ppk, "PuTTY .ppk file", anchor=ppk.split("\n")[7], before=7, after=1)
    c.write("deploy/keys/bastion.ppk", ppk)
    regpw = g.password(24)
    reg = c.secret("url-with-password", f"https://deploy:{regpw}@registry.shopfront.app/v2/", "basic auth in a URL")
    c.write("deploy/push_image.sh", f"#!/bin/sh\nset -e\ncurl -fsS {reg}_catalog\n"
            "docker push registry.shopfront.app/shop/api:latest\n")
    c.commit("Bastion key and image push script")
    F(R(2, 4))
    pm = c.secret("postmark-server-token", str(__import__("uuid").UUID(bytes=c.rng.randbytes(16), version=4)),
                  "UUID-shaped token assigned to POSTMARK_SERVER_TOKEN")
    adyen = c.secret("generic-secret", "AQE" + g.s(90, B64URL), "api_key in an INI section")
    c.write("api/config/payments.ini", f"[adyen]\nmerchant_account = ShopfrontECOM\napi_key = {adyen}\n"
            "environment = live\n\n[postmark]\nsender = receipts@shopfront.app\n")
    c.write("api/app/mail.py", f'from postmarker.core import PostmarkClient\n\nPOSTMARK_SERVER_TOKEN = "{pm}"\n'
            "postmark = PostmarkClient(server_token=POSTMARK_SERVER_TOKEN)\n")
    c.commit("Adyen and Postmark for receipts")
    F(R(2, 4))

    # decoys with secret-like names or secret-like shapes that are not secrets
    client_id = (g.s(12, string.digits) + "-" + g.s(32, string.ascii_lowercase + string.digits)
                 + ".apps.googleusercontent.com")
    c.write("web/lib/publicConfig.ts", f"""export const config = {{
  STRIPE_PRICE_ID: "{c.decoy("stripe-price-id", "price_1P" + g.s(22))}",
  GOOGLE_CLIENT_ID: "{c.decoy("oauth-client-id", client_id)}",
  NEXT_PUBLIC_POSTHOG_KEY: "{c.decoy("posthog-public-key", "phc_" + g.s(43))}",
  passwordSelector: "{c.decoy("secret-like-name", "input[name=password]")}",
  apiKey: "{c.decoy("placeholder", "YOUR_API_KEY")}",
}};
{c.decoy("secret-like-name", "export const TOKEN_EXPIRY_SECONDS = 3600;")}
{c.decoy("secret-like-name", "export const password_min_length = 12;")}
""")
    c.write("infra/.terraform.lock.hcl", "".join(
        f'provider "registry.terraform.io/hashicorp/{prov}" {{\n  version = "5.{R(1, 60)}.0"\n  hashes = [\n'
        f'    "{c.decoy("lockfile-hash", "h1:" + g.b64(32))}",\n'
        f'    "{c.decoy("lockfile-hash", "zh:" + g.hex(64))}",\n  ]\n}}\n'
        for prov in ("aws", "random")))
    c.write("api/Dockerfile", f"FROM python:3.12-slim\nARG UV_SHA256={c.decoy('checksum', g.hex(64))}\n"
            "COPY . /app\nCMD [\"gunicorn\", \"config.wsgi\"]\n")
    c.write("docs/API.md", f"""# API

    curl -H "Authorization: {c.decoy("placeholder", "Bearer <access-token>")}" https://api.shopfront.app/orders
    export OPENAI_API_KEY={c.decoy("placeholder", "sk-proj-...")}
    STRIPE_SECRET_KEY={c.decoy("redacted", "sk_live_" + "*" * 24)}
    AWS_ACCESS_KEY_ID={c.decoy("redacted", "AKIA" + "*" * 16)}

The token in the jwt.io debugger, for reference:
{c.decoy("documented-example", JWT_IO_EXAMPLE)}
""")
    c.commit("Public config, terraform lock, API docs")
    F(R(4, 7))

    # --- unmerged branches ----------------------------------------------------------------------------------
    c.checkout("wip/ci-deploy", "main")
    ghp2 = c.secret("github-classic", g.checksummed("ghp_"), "workflow file on an unmerged branch")
    c.write(".github/workflows/deploy.yml", f"""name: deploy
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: ./deploy/deploy.sh
        env:
          GH_TOKEN: {ghp2}
          AWS_ACCESS_KEY_ID: {c.decoy("env-reference", "${{ secrets.AWS_ACCESS_KEY_ID }}")}
""")
    ssh = c.secret("private-key-openssh", g.openssh_pem(), "OpenSSH key on an unmerged branch")
    c.write("deploy/keys/ci_ed25519", ssh)
    c.commit("WIP: deploy over SSH from CI")
    F(2)
    c.checkout("experiment/agent", "main")
    an3, oa3 = g.anthropic(), g.openai()
    c.secret("anthropic", an3, "unmerged branch")
    c.secret("openai", oa3, "unmerged branch")
    c.write("web/lib/agent.ts", f"""export const providers = {{
  anthropic: {{ apiKey: "{an3}" }},
  openai: {{ apiKey: "{oa3}" }},
}};
""")
    c.commit("Try an agent with two providers")
    ec = c.secret("private-key-ec", g.ec_pem(), "EC PEM on an unmerged branch")
    c.write("web/lib/keys/signing.pem", ec)
    c.write("web/lib/keys/README.md", "Signing key for agent receipts.\n")
    c.commit("Sign agent receipts")
    c.checkout("main")

    # pad ordinary history up to ~300 commits
    n_branch = 0
    while len(c.commits) < 300:
        if len(c.commits) % 37 == 0:
            n_branch += 1
            name = f"feat/{c.rng.choice(NOUNS)}-polish-{n_branch}"
            c.checkout(name, "main")
            F(R(2, 4))
            c.checkout("main")
            F(1)
            c.merge(name)
        F(1)
    hf2 = c.secret("huggingface", g.hf(), "added in the newest commits, still in the tree")
    c.write("api/app/services/embeddings.py", f'from huggingface_hub import InferenceClient\n\n'
            f'client = InferenceClient(token="{hf2}")\n')
    c.commit("Embeddings via HF inference")
    F(3)

    labels = derive_labels(c)
    return labels


# --- label derivation ------------------------------------------------------------------------------------
HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def parse_added(diff_text: str) -> dict[str, list[tuple[int, str]]]:
    """Added lines per post-image path from a `-U0` patch."""
    out: dict[str, list[tuple[int, str]]] = {}
    path: str | None = None
    header = False
    ln = 0
    for line in diff_text.split("\n"):
        if line.startswith("diff --git "):
            header, path = True, None
            continue
        if header:
            if line.startswith("+++ "):
                path = None if line[4:] == "/dev/null" else line[6:]
            elif line.startswith("@@"):
                header = False
            else:
                continue
        if line.startswith("@@"):
            m = HUNK.match(line)
            ln = int(m.group(1)) if m else 0
            continue
        if line.startswith("+") and path is not None:
            out.setdefault(path, []).append((ln, line[1:]))
            ln += 1
    return out


def added_by_commit(c: Corpus) -> dict[str, dict[str, list[tuple[int, str]]]]:
    """Lines each commit adds: non-merges from their patch, merges = lines new against every parent."""
    result: dict[str, dict[str, list[tuple[int, str]]]] = {}
    log = c.git("log", "--all", "--no-merges", "-p", "-U0", "-M", "--no-color", "--format=%x00%H")
    for chunk in log.split("\x00")[1:]:
        sha, _, patch = chunk.partition("\n")
        result[sha.strip()] = parse_added(patch)
    for line in c.git("rev-list", "--all", "--merges", "--parents").splitlines():
        merge, *parents = line.split()
        per_parent = [parse_added(c.git("diff", "-U0", "-M", "--no-color", p, merge)) for p in parents]
        common: dict[str, list[tuple[int, str]]] = {}
        for path, rows in per_parent[0].items():
            keep = set.intersection(*({n for n, _ in pp.get(path, [])} for pp in per_parent))
            kept = [r for r in rows if r[0] in keep]
            if kept:
                common[path] = kept
        result[merge] = common
    return result


def derive_labels(c: Corpus) -> dict:
    order = {sha: i for i, sha in enumerate(c.commits)}
    added = added_by_commit(c)
    commits = sorted(added, key=lambda s: order.get(s, 1 << 30))
    hits: dict[str, list[tuple[str, str, int]]] = {}
    needles = {s.anchor for s in c.secrets} | {d.anchor for d in c.decoys}
    for sha in commits:
        for path, rows in added[sha].items():
            for ln, text in rows:
                for n in needles:
                    if n in text:
                        hits.setdefault(n, []).append((sha, path, ln))
    problems = []
    for s in c.secrets:
        for sha, path, ln in hits.get(s.anchor, []):
            s.locations.append({"commit": sha, "path": path, "line": ln - s.before, "end_line": ln + s.after})
        if not any(loc["commit"] == s.planted_in for loc in s.locations):
            problems.append(f"{s.id} ({s.kind}) not found as added in the commit it was planted in")
    for d in c.decoys:
        found = hits.get(d.anchor, [])
        pick = next((h for h in found if h[0] == d.planted_in), found[0] if found else None)
        if pick is None:
            problems.append(f"decoy {d.kind} {d.anchor[:12]!r} not found")
            continue
        d.location = {"commit": pick[0], "path": pick[1], "line": pick[2]}
    if problems:
        raise RuntimeError("corpus labels inconsistent: " + "; ".join(problems[:5]))
    first_parent = set(c.git("rev-list", "--first-parent", "main").split())
    on_main = set(c.git("rev-list", "main").split())
    merges = set(c.git("rev-list", "--merges", "--all").split())
    tree = "\n".join(p.read_text(errors="replace") for p in c.repo.rglob("*") if p.is_file() and ".git" not in p.parts)
    for s in c.secrets:
        sha = s.planted_in
        s.tags = ["evil-merge" if sha in merges else "main" if sha in first_parent
                  else "side-branch-merged" if sha in on_main else "unmerged-branch"]
        if sha in on_main:
            s.tags.append("in-HEAD" if s.value in tree else "removed-before-HEAD")
        s.tags += [t for t, hit in (("renamed", "renamed" in s.how), ("minified", "minified" in s.how),
                                    ("multi-line", s.before + s.after > 0), ("several-places", len(s.locations) > 1))
                   if hit]
    return {
        "seed": SEED,
        "commits": len(c.commits),
        "secrets": [{"id": s.id, "kind": s.kind, "how": s.how, "tags": s.tags, "value": s.value,
                     "locations": s.locations, **c.labels_extra.get(s.value, {})}
                    for s in c.secrets],
        "decoys": [{"kind": d.kind, "anchor": d.anchor, **(d.location or {})} for d in c.decoys],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (repo/ and labels.json)")
    args = ap.parse_args(argv)
    if shutil.which("git") is None:
        print("error: git is not on PATH", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    try:
        labels = build(args.out)
    except (RuntimeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    (args.out / "labels.json").write_text(json.dumps(labels, indent=1))
    nloc = sum(len(s["locations"]) for s in labels["secrets"])
    print(f"corpus: {labels['commits']} commits, {len(labels['secrets'])} secrets ({nloc} added locations), "
          f"{len(labels['decoys'])} decoys in {time.perf_counter() - t0:.1f}s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
