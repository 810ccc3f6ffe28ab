"""Build a held-out labelled secrets corpus: a synthetic multi-stack git history with planted secrets and decoys.

Why: bench/secrets_corpus.py was used while tuning Handrail's rules, so its figure is optimistic. This corpus was
written blind (without reading that corpus or any scanner's rules): token shapes follow providers' documented
formats, the places follow how real apps leak keys (Terraform, Helm, workflows, notebooks, mobile configs, docs).
Every value comes from a seeded RNG and every date is fixed, so the repo and its commit ids are reproducible.

Labels are not hand-maintained: after the history is written, every commit is diffed against each parent and a
secret location is recorded wherever a planted value sits on a line added by that commit (for merges: added
against every parent; renamed files without edits add nothing). Decoys are recorded at the first commit that
adds their anchor. Schema matches bench/secrets_accuracy.py.

Usage: python bench/secrets_holdout.py [--out DIR] [--seed N]
       python bench/secrets_accuracy.py --corpus bench/.work/secrets-holdout
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import shutil
import string
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DEFAULT_OUT = BENCH / ".work" / "secrets-holdout"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
BASE_EPOCH = 1735732800  # 2025-01-01T12:00:00Z, fixed so commit ids never change

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64URL = ALNUM + "-_"
HEX = "0123456789abcdef"
UPNUM = string.ascii_uppercase + string.digits
B32 = string.ascii_uppercase + "234567"
BECH32 = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"
BANNED = re.compile(r"test|fake|example|dummy|sample", re.I)


class Gen:
    """Seeded value factory; never yields a value with a word that would mark it as a placeholder."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def s(self, alpha: str, n: int) -> str:
        while True:
            v = "".join(self.rng.choice(alpha) for _ in range(n))
            if not BANNED.search(v):
                return v

    def hex(self, n: int) -> str:
        return self.s(HEX, n)

    def digits(self, n: int) -> str:
        return str(self.rng.randint(1, 9)) + self.s(string.digits, n - 1)

    def bytes(self, n: int) -> bytes:
        while True:
            b = bytes(self.rng.getrandbits(8) for _ in range(n))
            if not BANNED.search(base64.b64encode(b).decode()):
                return b

    def b64(self, n: int) -> str:
        return base64.b64encode(self.bytes(n)).decode()

    def b64url(self, n: int) -> str:
        return base64.urlsafe_b64encode(self.bytes(n)).decode().rstrip("=")

    def uuid(self) -> str:
        h = self.hex(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{self.rng.choice('89ab')}{h[17:20]}-{h[20:]}"

    def checksummed(self, prefix: str) -> str:
        """GitHub/npm token shape: 30 random base62 chars + base62 CRC32 of them (6 chars)."""
        body = self.s(ALNUM, 30)
        crc, enc = zlib.crc32(body.encode()), ""
        while crc:
            crc, rem = divmod(crc, 62)
            enc = B62[rem] + enc
        return prefix + body + enc.rjust(6, "0")

    def jwt(self, payload: dict) -> str:
        def part(obj: dict) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(payload)}.{self.b64url(32)}"

    def mapbox(self, scope: str) -> str:
        """Mapbox token: `pk`/`sk` header, base64url JSON payload (user + token id), base64url signature."""
        payload = {"u": "tidepool-" + self.s(string.ascii_lowercase, 6), "a": self.s(string.ascii_lowercase
                                                                                      + string.digits, 25)}
        body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{scope}.{body}.{self.s(B64URL, 22)}"

    def pem(self, label: str, der_head: bytes, size: int, width: int = 64) -> list[str]:
        body = base64.b64encode(der_head + self.bytes(size)).decode()
        return [f"-----BEGIN {label}-----", *[body[i:i + width] for i in range(0, len(body), width)],
                f"-----END {label}-----"]


class Builder:
    """Writes files and commits with fixed identities and dates; records planted secrets and decoy anchors."""

    def __init__(self, repo: Path, g: Gen) -> None:
        self.repo, self.g, self.n = repo, g, 0
        self.secrets: dict[str, dict] = {}
        self.decoys: list[dict] = []
        self.env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
                    "GIT_AUTHOR_NAME": "Tidepool Dev", "GIT_AUTHOR_EMAIL": "dev@tidepool.invalid",
                    "GIT_COMMITTER_NAME": "Tidepool Dev", "GIT_COMMITTER_EMAIL": "dev@tidepool.invalid"}
        repo.mkdir(parents=True)
        self.git("init", "-q", "-b", "main")
        self.branch_name = "main"

    def git(self, *args: str) -> str:
        p = subprocess.run(["git", "-C", str(self.repo), "-c", "commit.gpgsign=false", *args], env=self.env,
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)}: {p.stderr.strip()}")
        return p.stdout

    # --- registries -------------------------------------------------------------------------------------------
    def secret(self, sid: str, kind: str, value: str, how: str, decoded: str | None = None) -> str:
        if sid in self.secrets:
            raise ValueError(f"duplicate secret id {sid}")
        entry = {"id": sid, "kind": kind, "value": value, "how": how, "tags": [how.split()[0]]}
        if decoded:
            entry["decoded"] = decoded
        self.secrets[sid] = entry
        return value

    def decoy(self, kind: str, anchor: str) -> str:
        self.decoys.append({"kind": kind, "anchor": anchor})
        return anchor

    # --- working tree --------------------------------------------------------------------------------------------
    def write(self, path: str, text: str) -> None:
        p = self.repo / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text if text.endswith("\n") else text + "\n")

    def append(self, path: str, text: str) -> None:
        p = self.repo / path
        old = p.read_text() if p.exists() else ""
        self.write(path, old + text)

    def delete(self, path: str) -> None:
        self.git("rm", "-q", path)

    def move(self, src: str, dst: str) -> None:
        (self.repo / dst).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", src, dst)

    def _dates(self) -> None:
        self.n += 1
        stamp = f"@{BASE_EPOCH + self.n * 5400} +0000"
        self.env["GIT_AUTHOR_DATE"] = self.env["GIT_COMMITTER_DATE"] = stamp

    def commit(self, msg: str) -> None:
        self._dates()
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", msg)

    def branch(self, name: str) -> None:
        self.git("checkout", "-q", "-b", name)
        self.branch_name = name

    def checkout(self, name: str) -> None:
        self.git("checkout", "-q", name)
        self.branch_name = name

    def merge(self, name: str, msg: str, edit: Callable[[], None] | None = None) -> None:
        """--no-ff merge; `edit` changes the tree before the merge commit (an 'evil merge')."""
        self._dates()
        self.git("merge", "-q", "--no-ff", "--no-commit", name)
        if edit:
            edit()
        self.git("add", "-A")
        self.git("commit", "-q", "-m", msg)

    # --- filler ---------------------------------------------------------------------------------------------
    def filler(self, count: int, area: str) -> None:
        """Ordinary commits (handlers, components, changelog) so secrets are sparse, as in real history."""
        g = self.g
        for _ in range(count):
            k = g.rng.randrange(5)
            if k in (2, 4) and self.branch_name != "main":  # appends on two branches would conflict at merge
                k = 3
            word = g.rng.choice(["orders", "invoices", "tides", "stations", "alerts", "reports", "buoys", "users"])
            num = g.rng.randrange(1000)
            if k == 0:
                self.write(f"services/api/internal/handlers/{word}_{num}.go",
                           f"package handlers\n\nimport \"net/http\"\n\n// List{word.title()}{num} serves the "
                           f"{word} listing.\nfunc List{word.title()}{num}(w http.ResponseWriter, r *http.Request) "
                           f"{{\n\tw.Header().Set(\"Content-Type\", \"application/json\")\n"
                           "\tw.Write([]byte(\"[]\"))\n}\n")
            elif k == 1:
                self.write(f"web/src/lib/components/{word.title()}Card{num}.svelte",
                           f"<script lang=\"ts\">\n  export let title: string;\n  export let count = {num};\n"
                           f"</script>\n\n<article class=\"card\">\n  <h3>{{title}}</h3>\n  <p>{{count}} {word}</p>\n"
                           "</article>\n")
            elif k == 2:
                self.append("CHANGELOG.md", f"- {area}: tidy up {word} pagination (#{num})\n")
            elif k == 3:
                self.write(f"admin/app/views/{word}_{num}.py",
                           f"from flask import Blueprint, render_template\n\nbp = Blueprint(\"{word}_{num}\", "
                           f"__name__)\n\n\n@bp.route(\"/{word}\")\ndef index():\n    return render_template("
                           f"\"{word}.html\", page={num % 7})\n")
            else:
                self.append("docs/notes.md", f"\n## {word.title()} ({num})\n\nThe {area} team moved {word} "
                                             f"behind the gateway; latency budget is {num % 300} ms.\n")
            self.commit(g.rng.choice(["chore", "feat", "fix", "refactor"]) + f"({area}): {word} {num}")


def build(b: Builder) -> None:
    """One linear story of a repository: each block is a part of the app, its leaks and their clean-ups."""
    g = b.g
    S, D = b.secret, b.decoy

    # ---------- bootstrap ----------
    b.write("README.md", "# Tidepool\n\nOcean-sensor dashboard: SvelteKit web, Go API, Rust ingest worker, Flask "
                         "admin, Symfony billing.\n")
    b.write(".gitignore", "node_modules/\ntarget/\n__pycache__/\n")
    b.write("CHANGELOG.md", "# Changelog\n\n")
    b.commit("initial commit")
    b.filler(3, "repo")

    # ---------- SvelteKit web ----------
    fb_key = D("firebase_web_api_key", "AIza" + g.s(B64URL, 35))
    pk_live = D("stripe_publishable_key", "pk_live_51" + g.s(ALNUM, 96))
    anon = D("supabase_anon_jwt", g.jwt({"iss": "supabase", "ref": g.s(string.ascii_lowercase, 20),
                                         "role": "anon", "iat": 1735000000, "exp": 2050576000}))
    sentry_dsn = D("sentry_dsn", f"https://{g.hex(32)}@o{g.digits(6)}.ingest.sentry.io/{g.digits(16)}")
    ga = D("google_analytics_id", "G-" + g.s(UPNUM, 10))
    b.write("web/package.json", json.dumps({"name": "tidepool-web", "private": True, "version": "0.1.0",
                                            "scripts": {"dev": "vite dev", "build": "vite build"},
                                            "devDependencies": {"@sveltejs/kit": "^2.5.0", "svelte": "^4.2.0"}},
                                           indent=2))
    b.write("web/src/lib/firebase.ts",
            "import { initializeApp } from 'firebase/app';\n\nconst firebaseConfig = {\n"
            f"  apiKey: '{fb_key}',\n  authDomain: 'tidepool-app.firebaseapp.com',\n  projectId: 'tidepool-app',\n"
            f"  appId: '1:{g.digits(12)}:web:{g.hex(22)}',\n  measurementId: '{ga}'\n}};\n\n"
            "export const app = initializeApp(firebaseConfig);\n")
    b.write("web/.env.public", f"PUBLIC_STRIPE_KEY={pk_live}\nPUBLIC_SUPABASE_URL=https://tidepool.supabase.co\n"
                               f"PUBLIC_SUPABASE_ANON_KEY={anon}\nPUBLIC_SENTRY_DSN={sentry_dsn}\n")
    b.commit("web: scaffold SvelteKit app with firebase + stripe")
    b.filler(2, "web")

    service_jwt = S("supabase_service_role", "supabase_service_role_jwt",
                    g.jwt({"iss": "supabase", "ref": g.s(string.ascii_lowercase, 20), "role": "service_role",
                           "iat": 1735000000, "exp": 2050576000}), "env service_role JWT in committed .env")
    auth_secret = S("authjs_secret", "generic_auth_secret", g.b64(32), "env AUTH_SECRET for Auth.js")
    whsec = S("stripe_whsec", "stripe_webhook_secret", "whsec_" + g.s(ALNUM, 32), "env Stripe webhook secret")
    b.write("web/.env", f"SUPABASE_SERVICE_ROLE_KEY={service_jwt}\nAUTH_SECRET=\"{auth_secret}\"\n"
                        f"STRIPE_WEBHOOK_SECRET={whsec}\nPUBLIC_SUPABASE_ANON_KEY={anon}\n")
    b.commit("web: local env for server routes")
    b.filler(2, "web")
    b.delete("web/.env")
    b.append(".gitignore", "web/.env\n")
    b.commit("web: stop tracking .env")

    resend = S("resend_key", "resend_api_key", f"re_{g.s(ALNUM, 8)}_{g.s(ALNUM, 24)}",
               "code Resend key in a SvelteKit server module")
    replicate = S("replicate_token", "replicate_api_token", "r8_" + g.s(ALNUM, 37),
                  "code Replicate token in a server module")
    anth = S("anthropic_key", "anthropic_api_key", "sk-ant-api03-" + g.s(B64URL, 93) + "AA",
             "code Anthropic key passed to the SDK constructor")
    b.write("web/src/lib/server/ai.ts",
            "import Anthropic from '@anthropic-ai/sdk';\nimport Replicate from 'replicate';\n\n"
            f"export const claude = new Anthropic({{ apiKey: '{anth}' }});\n"
            f"export const replicate = new Replicate({{ auth: \"{replicate}\" }});\n")
    b.write("web/src/lib/server/mail.ts",
            f"import {{ Resend }} from 'resend';\n\nconst resend = new Resend('{resend}');\n\n"
            "export async function notify(to: string, html: string) {\n"
            "  return resend.emails.send({ from: 'alerts@tidepool.app', to, subject: 'Tide alert', html });\n}\n")
    b.commit("web: AI summaries + email alerts")
    b.filler(2, "web")
    env_ref = D("env_reference", "process.env.RESEND_API_KEY")
    b.write("web/src/lib/server/mail.ts",
            f"import {{ Resend }} from 'resend';\n\nconst resend = new Resend({env_ref});\n\n"
            "export async function notify(to: string, html: string) {\n"
            "  return resend.emails.send({ from: 'alerts@tidepool.app', to, subject: 'Tide alert', html });\n}\n")
    b.commit("web: read Resend key from env")

    algolia_app = g.s(UPNUM, 10)
    algolia_search = D("algolia_search_only_key", g.hex(32))
    mapbox_pk = D("mapbox_public_token", g.mapbox("pk"))
    recaptcha = D("recaptcha_site_key", "6L" + g.s(B64URL, 38))
    posthog = D("posthog_project_key", "phc_" + g.s(ALNUM, 43))
    turnstile = D("turnstile_site_key", "0x4AAAAAAA" + g.s(ALNUM + "-_", 14))
    b.write("web/src/lib/config.ts",
            f"export const ALGOLIA_APP_ID = '{algolia_app}';\n"
            f"export const ALGOLIA_SEARCH_ONLY_KEY = '{algolia_search}'; // search-only, safe in browser\n"
            f"export const MAPBOX_TOKEN = '{mapbox_pk}';\nexport const RECAPTCHA_SITE_KEY = '{recaptcha}';\n"
            f"export const POSTHOG_KEY = '{posthog}';\nexport const TURNSTILE_SITEKEY = '{turnstile}';\n")
    integrity = D("sri_hash", "sha384-" + g.b64(48))
    b.write("web/src/app.html",
            "<!doctype html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\" />\n"
            f"  <script src=\"https://cdn.jsdelivr.net/npm/chart.js@4.4.0\" integrity=\"{integrity}\" "
            "crossorigin=\"anonymous\"></script>\n  %sveltekit.head%\n</head>\n"
            "<body>%sveltekit.body%</body>\n</html>\n")
    lock_int = D("npm_integrity_hash", "sha512-" + g.b64(64))
    b.write("web/package-lock.json", json.dumps({"name": "tidepool-web", "lockfileVersion": 3, "packages": {
        "node_modules/chart.js": {"version": "4.4.0", "resolved": "https://registry.npmjs.org/chart.js/-/chart.js-"
                                  "4.4.0.tgz", "integrity": lock_int}}}, indent=2))
    b.commit("web: search, maps, analytics")
    b.filler(3, "web")

    # ---------- Go API ----------
    glpat = S("gitlab_pat", "gitlab_pat", "glpat-" + g.s(B64URL, 20), "code GitLab token as a Go const")
    pg_pw = g.s(ALNUM, 24)
    pg_url = S("go_pg_url", "postgres_url_password",
               f"postgres://tidepool:{pg_pw}@db-prod.c7x{g.s(string.ascii_lowercase + string.digits, 9)}"
               ".eu-west-1.rds.amazonaws.com:5432/tidepool?sslmode=require",
               "code production Postgres URL default in config.go")
    jwt_hex = S("go_jwt_secret", "generic_jwt_secret", g.hex(64), "code JWT signing secret in config.go")
    local_pg = D("local_dev_db_url", "postgres://postgres:postgres@localhost:5432/tidepool_dev")
    b.write("services/api/go.mod", "module github.com/tidepool/api\n\ngo 1.22\n\nrequire github.com/jackc/pgx/v5 "
                                   "v5.5.5\n")
    gosum = D("go_sum_hash", "h1:" + g.b64(32))
    b.write("services/api/go.sum", f"github.com/jackc/pgx/v5 v5.5.5 {gosum}\n")
    b.write("services/api/internal/config/config.go",
            "package config\n\nimport \"os\"\n\nconst (\n"
            f"\tgitlabToken   = \"{glpat}\"\n\tjwtSigningKey = \"{jwt_hex}\"\n)\n\n"
            "// Load reads settings; defaults keep `go run` working on a laptop.\nfunc Load() Config {\n"
            f"\treturn Config{{\n\t\tDatabaseURL: getenv(\"DATABASE_URL\", \"{pg_url}\"),\n"
            f"\t\tDevDatabaseURL: \"{local_pg}\",\n\t\tJWTKey: jwtSigningKey,\n\t}}\n}}\n\n"
            "func getenv(k, d string) string {\n\tif v := os.Getenv(k); v != \"\" {\n\t\treturn v\n\t}\n"
            "\treturn d\n}\n")
    b.commit("api: config loader")
    b.filler(3, "api")
    b.write("services/api/internal/config/config.go",
            "package config\n\nimport \"os\"\n\n// Load reads settings from the environment only.\n"
            "func Load() Config {\n\treturn Config{\n\t\tDatabaseURL: os.Getenv(\"DATABASE_URL\"),\n"
            f"\t\tDevDatabaseURL: \"{local_pg}\",\n\t\tJWTKey: os.Getenv(\"JWT_SIGNING_KEY\"),\n\t}}\n}}\n")
    b.commit("api: secrets from env (security review)")
    digest = D("docker_image_digest", "sha256:" + g.hex(64))
    doppler = S("doppler_token", "doppler_service_token", "dp.st.prd." + g.s(ALNUM, 40),
                "dockerfile ARG default holds a Doppler service token")
    b.write("services/api/Dockerfile",
            f"FROM golang:1.22-alpine@{digest} AS build\nWORKDIR /src\nCOPY . .\n"
            "RUN go build -o /out/api ./cmd/api\n\nFROM alpine:3.20\n"
            f"ARG DOPPLER_TOKEN={doppler}\nENV DOPPLER_TOKEN=$DOPPLER_TOKEN\nENV PORT=8080\n"
            "COPY --from=build /out/api /usr/local/bin/api\nCMD [\"doppler\", \"run\", \"--\", \"api\"]\n")
    b.commit("api: Dockerfile")
    b.filler(2, "api")

    # ---------- feature branch: payments (Symfony billing) with merge ----------
    b.branch("feature/billing")
    app_secret = S("symfony_app_secret", "framework_secret_key", g.hex(32), "env Symfony APP_SECRET in .env")
    rk_live = S("stripe_rk", "stripe_restricted_key", "rk_live_51" + g.s(ALNUM, 96), "env Stripe restricted key")
    sg_key = S("sendgrid_key", "sendgrid_api_key", f"SG.{g.s(B64URL, 22)}.{g.s(B64URL, 43)}",
               "env SendGrid key inside MAILER_DSN")
    b.write("billing/.env", "APP_ENV=prod\n"
                            f"APP_SECRET={app_secret}\nSTRIPE_RESTRICTED_KEY={rk_live}\n"
                            f"MAILER_DSN=sendgrid+api://{sg_key}@default\n")
    sym_ref = D("env_reference", "'%env(APP_SECRET)%'")
    b.write("billing/config/packages/framework.yaml", f"framework:\n    secret: {sym_ref}\n    http_method_override: "
                                                      "false\n")
    b.commit("billing: Symfony skeleton")
    b.filler(2, "billing")
    square = S("square_token", "square_access_token", "EAAA" + g.s(B64URL, 60),
               "code Square production token in a PHP service")
    shopify = S("shopify_token", "shopify_access_token", "shpat_" + g.hex(32), "code Shopify Admin token in PHP")
    b.write("billing/src/Service/PaymentGateway.php",
            "<?php\n\nnamespace App\\Service;\n\nfinal class PaymentGateway\n{\n"
            f"    private const SQUARE_ACCESS_TOKEN = '{square}';\n"
            f"    private const SHOPIFY_ADMIN_TOKEN = \"{shopify}\";\n\n"
            "    public function client(): \\Square\\SquareClient\n    {\n"
            "        return new \\Square\\SquareClient(['accessToken' => self::SQUARE_ACCESS_TOKEN, "
            "'environment' => 'production']);\n    }\n}\n")
    b.commit("billing: square + shopify gateway")
    algolia_admin = S("algolia_admin", "algolia_admin_key", g.hex(32), "yaml Algolia admin key (not search-only)")
    b.write("billing/config/packages/algolia.yaml",
            f"algolia_search:\n    app_id: '{algolia_app}'\n    api_key: '{algolia_admin}' # admin key, indexes "
            "products\n    prefix: '%kernel.environment%_'\n")
    b.commit("billing: index products in algolia")
    b.filler(2, "billing")
    b.checkout("main")
    b.filler(2, "api")
    b.merge("feature/billing", "Merge branch 'feature/billing'")

    # ---------- Flask admin ----------
    flask_key = S("flask_secret", "framework_secret_key", g.b64url(32), "code Flask SECRET_KEY literal")
    stripe_sk = S("stripe_sk_flask", "stripe_secret_key", "sk_live_51" + g.s(ALNUM, 96),
                  "code Stripe secret key in Flask config")
    mailchimp = S("mailchimp_key", "mailchimp_api_key", g.hex(32) + "-us21", "code Mailchimp key in Flask config")
    gemini = S("google_api_key_backend", "google_api_key", "AIza" + g.s(B64URL, 35),
               "code Gemini (Google) key in backend config")
    b.write("admin/app/config.py",
            "import os\n\n\nclass Config:\n"
            f"    SECRET_KEY = \"{flask_key}\"\n    STRIPE_SECRET_KEY = \"{stripe_sk}\"\n"
            f"    MAILCHIMP_API_KEY = '{mailchimp}'\n    GEMINI_API_KEY = \"{gemini}\"\n"
            "    SQLALCHEMY_DATABASE_URI = os.environ.get(\"DATABASE_URL\")\n")
    b.commit("admin: Flask config")
    b.filler(3, "admin")
    getenv = D("env_reference", "os.getenv(\"SECRET_KEY\")")
    b.write("admin/app/config.py",
            "import os\n\n\nclass Config:\n"
            f"    SECRET_KEY = {getenv}\n    STRIPE_SECRET_KEY = os.environ[\"STRIPE_SECRET_KEY\"]\n"
            "    MAILCHIMP_API_KEY = os.environ.get(\"MAILCHIMP_API_KEY\", \"\")\n"
            "    GEMINI_API_KEY = os.environ.get(\"GEMINI_API_KEY\")\n"
            "    SQLALCHEMY_DATABASE_URI = os.environ.get(\"DATABASE_URL\")\n")
    b.commit("admin: config from env")
    # SQL seed: OAuth client secret + decoys (bcrypt, uuids)
    gocspx = S("google_oauth_secret", "google_oauth_client_secret", "GOCSPX-" + g.s(B64URL, 28),
               "sql OAuth client secret in a seed file")
    client_id = D("google_oauth_client_id", f"{g.digits(12)}-{g.s(string.ascii_lowercase + string.digits, 32)}"
                                            ".apps.googleusercontent.com")
    bcrypt = D("password_hash", "$2b$12$" + g.s(ALNUM + "./", 53))
    uid = D("uuid_id", g.uuid())
    b.write("admin/migrations/seed.sql",
            "-- seed data for a fresh admin database\n"
            f"INSERT INTO users (id, email, password_hash, role) VALUES ('{uid}', 'ops@tidepool.app', "
            f"'{bcrypt}', 'admin');\n"
            "INSERT INTO oauth_providers (name, client_id, client_secret) VALUES\n"
            f"  ('google', '{client_id}', '{gocspx}');\n")
    b.commit("admin: seed data")
    b.filler(2, "admin")

    # ---------- Jupyter notebook ----------
    openai = S("openai_proj", "openai_api_key", "sk-proj-" + g.s(B64URL, 74) + "T3BlbkFJ" + g.s(B64URL, 74),
               "notebook OpenAI key set in os.environ in a cell")
    hf = S("hf_token", "huggingface_token", "hf_" + g.s(string.ascii_letters, 34), "notebook HF token in login()")
    groq = S("groq_key", "groq_api_key", "gsk_" + g.s(ALNUM, 52), "notebook Groq key in client constructor")
    png = D("base64_image_output", "iVBORw0KGgoAAAANSUhEUgAA" + g.b64(300))

    def notebook(cells: list[tuple[str, list[str]]], output_png: bool = False) -> str:
        out = []
        for kind, src in cells:
            cell: dict = {"cell_type": kind, "metadata": {}, "source": [s + "\n" for s in src[:-1]] + src[-1:]}
            if kind == "code":
                cell.update({"execution_count": 1, "outputs": []})
                if output_png:
                    cell["outputs"] = [{"output_type": "display_data", "metadata": {},
                                        "data": {"image/png": png, "text/plain": ["<Figure>"]}}]
            out.append(cell)
        return json.dumps({"cells": out, "metadata": {"kernelspec": {"name": "python3", "language": "python",
                                                                      "display_name": "Python 3"}},
                           "nbformat": 4, "nbformat_minor": 5}, indent=1)

    b.write("analysis/tide_forecast.ipynb", notebook([
        ("markdown", ["# Tide forecast experiments"]),
        ("code", ["import os", f"os.environ[\"OPENAI_API_KEY\"] = \"{openai}\"", "from openai import OpenAI",
                  "client = OpenAI()"]),
        ("code", ["from huggingface_hub import login", f"login(token=\"{hf}\")"]),
        ("code", ["from groq import Groq", f"groq = Groq(api_key=\"{groq}\")"]),
        ("code", ["import matplotlib.pyplot as plt", "plt.plot([1, 2, 3])"]),
    ], output_png=True))
    b.commit("analysis: forecasting notebook")
    b.filler(2, "analysis")
    D("env_reference", "os.environ[\\\"OPENAI_API_KEY\\\"]")
    b.write("analysis/tide_forecast.ipynb", notebook([
        ("markdown", ["# Tide forecast experiments"]),
        ("code", ["import os", "from openai import OpenAI", "client = OpenAI(api_key=os.environ[\"OPENAI_API_KEY\"])"]),
        ("code", ["import matplotlib.pyplot as plt", "plt.plot([1, 2, 3])"]),
    ], output_png=True))
    b.commit("analysis: clear keys from notebook")

    # ---------- Rust ingest worker ----------
    cio = S("cargo_registry_token", "cargo_registry_token", "cio" + g.s(ALNUM, 32),
            "toml private registry token in .cargo/config.toml")
    b.write("services/ingest/Cargo.toml", "[package]\nname = \"ingest\"\nversion = \"0.3.0\"\nedition = \"2021\"\n\n"
                                          "[dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\n")
    b.write("services/ingest/.cargo/config.toml",
            "[registries.tidepool]\nindex = \"sparse+https://cargo.tidepool.app/index/\"\n"
            f"token = \"{cio}\"\n\n[net]\ngit-fetch-with-cli = true\n")
    cargo_sum = D("cargo_lock_checksum", g.hex(64))
    b.write("services/ingest/Cargo.lock", "version = 3\n\n[[package]]\nname = \"tokio\"\nversion = \"1.37.0\"\n"
                                          "source = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
                                          f"checksum = \"{cargo_sum}\"\n")
    b.commit("ingest: cargo setup")
    b.filler(2, "ingest")
    mongo = S("mongo_url", "mongodb_url_password",
              f"mongodb+srv://ingest:{g.s(ALNUM, 20)}@cluster0.{g.s(string.ascii_lowercase + string.digits, 5)}"
              ".mongodb.net/tides?retryWrites=true&w=majority", "env MongoDB Atlas URL in Rust .env")
    discord_id = g.digits(18)
    discord = S("discord_bot", "discord_bot_token", base64.b64encode(discord_id.encode()).decode().rstrip("=")
                + "." + g.s(B64URL, 6) + "." + g.s(B64URL, 38), "env Discord bot token")
    b.write("services/ingest/.env", f"MONGODB_URI={mongo}\nDISCORD_BOT_TOKEN={discord}\nRUST_LOG=info\n")
    b.commit("ingest: env for local runs")
    b.filler(2, "ingest")
    b.move("services/ingest/.env", "services/ingest/.env.local")
    b.commit("ingest: rename env file")
    b.filler(1, "ingest")

    # ---------- feature branch: infra (Terraform) ----------
    b.branch("infra/terraform")
    akid = S("aws_akid_tfvars", "aws_access_key_id", "AKIA" + g.s(B32, 16), "tfvars AWS access key id")
    aws_sec = S("aws_secret_tfvars", "aws_secret_access_key", g.s(ALNUM + "/+", 40), "tfvars AWS secret key")
    cf = S("cloudflare_token", "cloudflare_api_token", g.s(B64URL, 40), "tfvars Cloudflare API token")
    b.write("infra/terraform.tfvars", f"region         = \"eu-west-1\"\naws_access_key = \"{akid}\"\n"
                                      f"aws_secret_key = \"{aws_sec}\"\ncloudflare_api_token = \"{cf}\"\n")
    cf_ref = D("terraform_var_reference", "var.cloudflare_api_token")
    b.write("infra/providers.tf", "provider \"aws\" {\n  region     = var.region\n  access_key = var.aws_access_key\n"
                                  "  secret_key = var.aws_secret_key\n}\n\nprovider \"cloudflare\" {\n"
                                  f"  api_token = {cf_ref}\n}}\n")
    tflock = D("terraform_lock_hash", "h1:" + g.b64(32))
    b.write("infra/.terraform.lock.hcl", "provider \"registry.terraform.io/hashicorp/aws\" {\n  version = \"5.46.0\"\n"
                                         f"  hashes = [\n    \"{tflock}\",\n    \"zh:{g.hex(64)}\",\n  ]\n}}\n")
    b.commit("infra: terraform providers")
    b.filler(2, "infra")
    do_tok = S("do_token", "digitalocean_token", "dop_v1_" + g.hex(64), "terraform DO token in provider block")
    db_pw = S("tf_db_password", "generic_password", g.s(ALNUM + "!#%", 22), "terraform variable default password")
    ssh_pub = D("ssh_public_key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + g.s(ALNUM + "+/", 43))
    sm_ref = D("terraform_secret_reference", "data.aws_secretsmanager_secret_version.db.secret_string")
    b.write("infra/droplets.tf", "provider \"digitalocean\" {\n"
                                 f"  token = \"{do_tok}\"\n}}\n\nresource \"digitalocean_ssh_key\" \"ops\" {{\n"
                                 f"  name       = \"ops\"\n  public_key = \"{ssh_pub} ops@tidepool\"\n}}\n\n"
                                 "variable \"db_password\" {\n  type    = string\n"
                                 f"  default = \"{db_pw}\"\n}}\n\nlocals {{\n  replica_password = {sm_ref}\n}}\n")
    b.commit("infra: droplets + db")
    tfc = S("tfc_token", "terraform_cloud_token", g.s(ALNUM, 14) + ".atlasv1." + g.s(ALNUM, 67),
            "hcl Terraform Cloud token in .terraformrc")
    b.write("infra/.terraformrc", "credentials \"app.terraform.io\" {\n" f"  token = \"{tfc}\"\n}}\n")
    b.commit("infra: terraform cloud credentials")
    b.filler(2, "infra")
    b.delete("infra/.terraformrc")
    b.commit("infra: remove terraformrc")
    b.checkout("main")
    b.filler(2, "web")
    b.merge("infra/terraform", "Merge branch 'infra/terraform'")

    # ---------- Kubernetes + Helm ----------
    sk_k8s_plain = "sk_live_51" + g.s(ALNUM, 96)
    sk_k8s = S("stripe_k8s_b64", "stripe_secret_key", base64.b64encode(sk_k8s_plain.encode()).decode(),
               "k8s Secret data holds a base64 Stripe key", decoded=sk_k8s_plain)
    vault = S("vault_token", "vault_token", "hvs." + g.s(B64URL, 90), "k8s Vault token as a plain env value")
    b.write("deploy/k8s/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: billing\ntype: Opaque\n"
                                      f"data:\n  STRIPE_SECRET_KEY: {sk_k8s}\n")
    secret_ref = D("k8s_secret_reference", "secretKeyRef:")
    b.write("deploy/k8s/api.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n"
                                   "  template:\n    spec:\n      containers:\n        - name: api\n"
                                   f"          image: ghcr.io/tidepool/api@{digest}\n          env:\n"
                                   "            - name: VAULT_TOKEN\n"
                                   f"              value: \"{vault}\"\n            - name: STRIPE_SECRET_KEY\n"
                                   f"              valueFrom:\n                {secret_ref}\n"
                                   "                  name: billing\n                  key: STRIPE_SECRET_KEY\n")
    b.commit("deploy: k8s manifests")
    b.filler(2, "deploy")
    sealed = D("sealed_secret_ciphertext", "AgB" + g.b64(300))
    b.write("deploy/k8s/secret.yaml", "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n"
                                      f"  name: billing\nspec:\n  encryptedData:\n    STRIPE_SECRET_KEY: {sealed}\n")
    b.commit("deploy: sealed secrets")
    slack_bot = S("slack_bot", "slack_bot_token", f"xoxb-{g.digits(11)}-{g.digits(13)}-{g.s(ALNUM, 24)}",
                  "helm Slack bot token in values.yaml")
    dd_api = S("datadog_api", "datadog_api_key", g.hex(32), "helm Datadog API key in values.yaml")
    dd_app = S("datadog_app", "datadog_app_key", g.hex(40), "helm Datadog application key")
    b.write("deploy/helm/tidepool/values.yaml",
            "replicaCount: 2\nimage:\n  repository: ghcr.io/tidepool/api\n  tag: \"0.4.1\"\n\nslack:\n"
            f"  botToken: \"{slack_bot}\"\n  channel: {D('slack_channel_id', 'C0' + g.s(UPNUM, 9))}\n\n"
            f"datadog:\n  apiKey: {dd_api}\n"
            f"  appKey: {dd_app}\n  site: datadoghq.eu\n")
    helm_ref = D("helm_values_reference", "{{ .Values.datadog.apiKey | b64enc }}")
    b.write("deploy/helm/tidepool/templates/secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ include \"tidepool.fullname\" . }}\ndata:\n"
            f"  DD_API_KEY: {helm_ref}\n")
    b.commit("deploy: helm chart")
    b.filler(3, "deploy")
    sops = D("sops_encrypted_value", f"ENC[AES256_GCM,data:{g.b64(30)},iv:{g.b64(32)},tag:{g.b64(16)},type:str]")
    age_key = S("age_key", "age_secret_key", "AGE-SECRET-KEY-1" + g.s(BECH32, 58), "keyfile sops age private key")
    b.write("deploy/helm/tidepool/secrets.prod.yaml", f"slack:\n  botToken: {sops}\n")
    age_pub = D("age_public_key", "age1" + g.s("qpzry9x8gf2tvdw0s3jn54khce6mua7l", 58))
    b.write("deploy/sops/keys.txt", f"# created: 2025-02-11T09:12:44Z\n# public key: {age_pub}\n{age_key}\n")
    b.commit("deploy: sops for helm secrets")

    # ---------- GitHub Actions ----------
    b.filler(2, "ci")
    gh_classic = S("gh_pat_workflow", "github_pat", g.checksummed("ghp_"), "workflow GitHub PAT in env")
    akid2 = S("aws_akid_workflow", "aws_access_key_id", "AKIA" + g.s(B32, 16), "workflow AWS key id in env")
    aws_sec2 = S("aws_secret_workflow", "aws_secret_access_key", g.s(ALNUM + "/+", 40), "workflow AWS secret")
    slack_hook = S("slack_webhook", "slack_webhook_url",
                   f"https://hooks.slack.com/services/T{g.s(UPNUM, 8)}/B{g.s(UPNUM, 10)}/{g.s(ALNUM, 24)}",
                   "workflow Slack webhook in curl step")
    gha_ref = D("github_actions_secret_reference", "${{ secrets.STRIPE_SECRET_KEY }}")
    b.write(".github/workflows/release.yml",
            "name: release\non:\n  push:\n    tags: ['v*']\njobs:\n  release:\n    runs-on: ubuntu-latest\n"
            f"    env:\n      GITHUB_TOKEN: {gh_classic}\n      AWS_ACCESS_KEY_ID: {akid2}\n"
            f"      AWS_SECRET_ACCESS_KEY: {aws_sec2}\n      STRIPE_SECRET_KEY: {gha_ref}\n    steps:\n"
            "      - uses: actions/checkout@v4\n      - run: make release\n      - name: notify\n"
            f"        run: curl -X POST -d '{{\"text\":\"released\"}}' {slack_hook}\n")
    b.commit("ci: release workflow")
    b.filler(2, "ci")
    heroku = S("heroku_key", "heroku_api_key", g.uuid(), "workflow Heroku API key (UUID) under HEROKU_API_KEY")
    linear = S("linear_key", "linear_api_key", "lin_api_" + g.s(ALNUM, 40), "workflow Linear key in env")
    dckr = S("dockerhub_pat", "dockerhub_token", "dckr_pat_" + g.s(B64URL, 27), "workflow Docker Hub PAT in login")
    b.write(".github/workflows/deploy.yml",
            "name: deploy\non: [workflow_dispatch]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    env:\n"
            f"      HEROKU_API_KEY: {heroku}\n      LINEAR_API_KEY: \"{linear}\"\n    steps:\n"
            "      - uses: actions/checkout@v4\n"
            f"      - run: echo \"{dckr}\" | docker login -u tidepoolbot --password-stdin\n"
            "      - run: git push https://heroku:$HEROKU_API_KEY@git.heroku.com/tidepool.git HEAD:main\n")
    b.commit("ci: deploy workflow")
    b.filler(2, "ci")
    b.write(".github/workflows/release.yml",
            "name: release\non:\n  push:\n    tags: ['v*']\njobs:\n  release:\n    runs-on: ubuntu-latest\n"
            "    env:\n      GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n"
            "      AWS_ACCESS_KEY_ID: ${{ secrets.AWS_ACCESS_KEY_ID }}\n"
            "      AWS_SECRET_ACCESS_KEY: ${{ secrets.AWS_SECRET_ACCESS_KEY }}\n"
            f"      STRIPE_SECRET_KEY: {gha_ref}\n    steps:\n"
            "      - uses: actions/checkout@v4\n      - run: make release\n")
    b.commit("ci: use repository secrets")

    # ---------- docker-compose + shell ----------
    mailgun = S("mailgun_key", "mailgun_api_key", "key-" + g.hex(32), "compose Mailgun key in environment")
    redis_pw = g.s(ALNUM, 32)
    redis = S("redis_url", "redis_url_password", f"redis://default:{redis_pw}@redis-1{g.digits(4)}.c1.eu-west-1-2."
              "ec2.redns.redis-cloud.com:16379", "compose Redis Cloud URL with password")
    changeme = D("placeholder_password", "POSTGRES_PASSWORD: changeme")
    compose_ref = D("env_reference", "AWS_SECRET_ACCESS_KEY: ${AWS_SECRET_ACCESS_KEY}")
    b.write("docker-compose.yml",
            "services:\n  db:\n    image: postgres:16\n    environment:\n"
            f"      {changeme}\n  api:\n    build: services/api\n    environment:\n"
            f"      MAILGUN_API_KEY: {mailgun}\n      REDIS_URL: \"{redis}\"\n      {compose_ref}\n"
            "    depends_on: [db]\n")
    b.commit("compose: local stack")
    b.filler(2, "ops")
    gh_fine = S("gh_fine_grained", "github_fine_grained_pat",
                "github_pat_11" + g.s(UPNUM, 20) + "_" + g.s(ALNUM, 59), "shell export of fine-grained PAT")
    telegram = S("telegram_bot", "telegram_bot_token", f"{g.digits(10)}:AA{g.s(B64URL, 33)}",
                 "shell Telegram bot token in export")
    atlassian = S("atlassian_token", "atlassian_api_token",
                  "ATATT3xFfGF0" + g.s(B64URL, 171) + "=" + g.s("0123456789ABCDEF", 8),
                  "shell Jira API token in curl -u")
    gh_cmd = D("shell_command_substitution", "export GH_TOKEN=\"$(gh auth token)\"")
    b.write("scripts/sync-issues.sh",
            "#!/usr/bin/env bash\nset -euo pipefail\n\n"
            f"export GH_TOKEN={gh_fine}\nexport TELEGRAM_BOT_TOKEN='{telegram}'\n\n"
            f"curl -s -u ops@tidepool.app:{atlassian} \\\n"
            "  https://tidepool.atlassian.net/rest/api/3/search?jql=project=TP | jq '.issues[].key'\n")
    b.commit("scripts: issue sync")
    b.filler(2, "ops")
    b.write("scripts/sync-issues.sh",
            "#!/usr/bin/env bash\nset -euo pipefail\n\n"
            f"{gh_cmd}\n: \"${{TELEGRAM_BOT_TOKEN:?set it}}\"\n\n"
            "curl -s -u \"ops@tidepool.app:${JIRA_TOKEN}\" \\\n"
            "  https://tidepool.atlassian.net/rest/api/3/search?jql=project=TP | jq '.issues[].key'\n")
    b.commit("scripts: tokens from environment")
    sha_check = D("sha256_checksum", g.hex(64))
    b.write("scripts/install-tools.sh", "#!/bin/sh\nset -e\ncurl -sSLo /tmp/sops https://github.com/getsops/sops/"
                                        f"releases/download/v3.8.1/sops-v3.8.1.linux.amd64\necho \"{sha_check}  "
                                        "/tmp/sops\" | sha256sum -c -\n")
    b.commit("scripts: pinned tool install")

    # ---------- registries ----------
    npm_tok = S("npm_token", "npm_token", g.checksummed("npm_"), "npmrc npm automation token")
    b.write(".npmrc", f"//registry.npmjs.org/:_authToken={npm_tok}\n@tidepool:registry=https://registry.npmjs.org/\n")
    pypi = S("pypi_token", "pypi_token", "pypi-AgEIcHlwaS5vcmcCJ" + g.s(B64URL, 150), "pypirc upload token")
    b.write("admin/.pypirc", f"[pypi]\nusername = __token__\npassword = {pypi}\n")
    b.commit("packaging: publish configs")
    b.filler(2, "packaging")
    npmrc_ref = D("env_reference", "_authToken=${NPM_TOKEN}")
    b.write(".npmrc", f"//registry.npmjs.org/:{npmrc_ref}\n@tidepool:registry=https://registry.npmjs.org/\n")
    b.delete("admin/.pypirc")
    b.commit("packaging: tokens via env")

    # ---------- feature branch: mobile, with an evil merge ----------
    b.branch("feature/mobile")
    gh_gradle = S("gh_pat_gradle", "github_pat", g.checksummed("ghp_"), "gradle GitHub Packages token")
    store_pw = S("android_store_pw", "generic_password", g.s(ALNUM, 20), "gradle release keystore password")
    fcm = S("fcm_server_key", "fcm_server_key", "AAAA" + g.s(B64URL, 7) + ":APA91b" + g.s(B64URL, 134),
            "gradle FCM legacy server key")
    b.write("mobile/android/gradle.properties",
            "org.gradle.jvmargs=-Xmx2048m\nandroid.useAndroidX=true\n"
            f"gpr.user=tidepool-bot\ngpr.key={gh_gradle}\nRELEASE_STORE_PASSWORD={store_pw}\n"
            f"FCM_SERVER_KEY={fcm}\n")
    gs_key = D("google_services_api_key", "AIza" + g.s(B64URL, 35))
    b.write("mobile/android/app/google-services.json", json.dumps({
        "project_info": {"project_number": g.digits(12), "project_id": "tidepool-app"},
        "client": [{"client_info": {"mobilesdk_app_id": f"1:{g.digits(12)}:android:{g.hex(16)}"},
                    "api_key": [{"current_key": gs_key}]}]}, indent=2))
    b.commit("mobile: android project")
    b.filler(2, "mobile")
    rc_key = D("revenuecat_public_key", "appl_" + g.s(ALNUM, 27))
    ios_secret = S("ios_backend_secret", "generic_api_secret", g.b64(48), "plist backend API secret")
    mapbox_sk = S("mapbox_secret", "mapbox_secret_token", g.mapbox("sk"),
                  "netrc Mapbox downloads token")
    b.write("mobile/ios/Tidepool/Info.plist",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
            "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n<dict>\n"
            "\t<key>CFBundleName</key>\n\t<string>Tidepool</string>\n\t<key>RevenueCatAPIKey</key>\n"
            f"\t<string>{rc_key}</string>\n\t<key>BackendAPISecret</key>\n\t<string>{ios_secret}</string>\n"
            "</dict>\n</plist>\n")
    b.write("mobile/ios/.netrc", f"machine api.mapbox.com\n  login mapbox\n  password {mapbox_sk}\n")
    b.commit("mobile: iOS app")
    ec_key = "\n".join(g.pem("EC PRIVATE KEY", bytes.fromhex("307702010104"), 115))
    S("ios_apns_ec_key", "ec_private_key", ec_key, "pem APNs signing key committed to the app")
    b.write("mobile/ios/AuthKey_push.pem", ec_key)
    b.commit("mobile: push key")
    b.filler(2, "mobile")
    b.checkout("main")
    b.filler(2, "api")
    evil = S("evil_merge_internal", "generic_api_token", g.s(ALNUM, 40),
             "merge INTERNAL_SERVICE_TOKEN added only in the merge commit")
    b.merge("feature/mobile", "Merge branch 'feature/mobile'",
            edit=lambda: b.append("mobile/android/gradle.properties", f"INTERNAL_SERVICE_TOKEN={evil}\n"))

    # ---------- Spring + .NET services ----------
    twilio_sid = D("twilio_account_sid", "AC" + g.hex(32))
    twilio_tok = S("twilio_auth", "twilio_auth_token", g.hex(32), "spring Twilio auth token in application.yml")
    braintree = S("braintree_token", "braintree_access_token",
                  f"access_token$production${g.s(string.ascii_lowercase + string.digits, 16)}${g.hex(32)}",
                  "spring Braintree production access token")
    spring_jwt = S("spring_jwt", "generic_jwt_secret", g.b64(48), "spring jwt.secret base64 in application.yml")
    spring_ref = D("env_reference", "${TWILIO_AUTH_TOKEN}")
    b.write("services/notify/src/main/resources/application.yml",
            "spring:\n  application:\n    name: notify\ntwilio:\n"
            f"  account-sid: {twilio_sid}\n  auth-token: {twilio_tok}\nbraintree:\n"
            f"  access-token: \"{braintree}\"\njwt:\n  secret: {spring_jwt}\n")
    mysql_pw = S("spring_mysql_pw", "generic_password", g.s(ALNUM + "@#", 18),
                 "properties spring.datasource.password")
    b.write("services/notify/src/main/resources/application.properties",
            "spring.datasource.url=jdbc:mysql://notify-db.internal:3306/notify\n"
            f"spring.datasource.username=notify\nspring.datasource.password={mysql_pw}\nserver.port=8081\n")
    b.write("services/notify/src/main/resources/application-dev.yml",
            f"twilio:\n  account-sid: {twilio_sid}\n  auth-token: {spring_ref}\n")
    b.commit("notify: Spring service")
    b.filler(3, "notify")
    azure_conn = S("azure_storage", "azure_storage_connection_string",
                   f"DefaultEndpointsProtocol=https;AccountName=tidepoolprod;AccountKey={g.b64(64)};"
                   "EndpointSuffix=core.windows.net", "appsettings Azure storage connection string")
    aad = S("azure_ad_secret", "azure_ad_client_secret", g.s(ALNUM, 3) + "8Q~" + g.s(ALNUM + "_.~-", 31),
            "appsettings Azure AD client secret")
    postmark = S("postmark_token", "postmark_server_token", g.uuid(), "appsettings Postmark server token (UUID)")
    twilio_sk_sid = S("twilio_api_key", "twilio_api_key", "SK" + g.hex(32), "appsettings Twilio API key SID + secret")
    twilio_sk_sec = S("twilio_api_secret", "twilio_api_secret", g.s(ALNUM, 32), "appsettings Twilio API secret")
    b.write("services/reports/appsettings.json", json.dumps({
        "Logging": {"LogLevel": {"Default": "Information"}},
        "ConnectionStrings": {"Blob": azure_conn},
        "AzureAd": {"Instance": "https://login.microsoftonline.com/", "TenantId": D("azure_tenant_id", g.uuid()),
                    "ClientId": D("azure_client_id", g.uuid()),
                    "ClientSecret": aad},
        "Postmark": {"ServerToken": postmark},
        "Twilio": {"ApiKeySid": twilio_sk_sid, "ApiKeySecret": twilio_sk_sec}}, indent=2))
    kv = D("placeholder", "<from-key-vault>")
    b.write("services/reports/appsettings.Development.json", json.dumps({
        "AzureAd": {"ClientSecret": kv}, "Postmark": {"ServerToken": ""}}, indent=2))
    b.commit("reports: .NET service")
    b.filler(3, "reports")

    # ---------- private keys ----------
    rsa = "\n".join(g.pem("RSA PRIVATE KEY", bytes.fromhex("308204a40201000282010100"), 1180))
    S("deploy_rsa", "rsa_private_key", rsa, "pem deploy key file")
    b.write("deploy/keys/deploy_rsa", rsa)
    D("public_certificate", "-----BEGIN CERTIFICATE-----")
    cert_body = g.pem("CERTIFICATE", bytes.fromhex("308203"), 700)
    b.write("deploy/keys/ca.crt", "\n".join(cert_body))
    b.commit("deploy: ssh deploy key + CA cert")
    b.filler(2, "deploy")
    b.move("deploy/keys/deploy_rsa", "ops/ansible/files/deploy_rsa")
    b.commit("ops: move deploy key to ansible")
    b.filler(1, "ops")
    b.delete("ops/ansible/files/deploy_rsa")
    b.commit("ops: remove deploy key")
    ossh_b64 = base64.b64encode(b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none" + g.bytes(380)).decode()
    ossh = "\n".join(["-----BEGIN OPENSSH PRIVATE KEY-----",
                      *[ossh_b64[i:i + 70] for i in range(0, len(ossh_b64), 70)], "-----END OPENSSH PRIVATE KEY-----"])
    ossh_yaml = ossh.replace("\n", "\n  ")  # as it sits in the YAML block scalar (indented continuation lines)
    S("ansible_openssh", "openssh_private_key", ossh_yaml, "yaml OpenSSH key in ansible vars (block scalar)")
    b.write("ops/ansible/group_vars/all.yml", "ansible_user: deploy\nbackup_ssh_key: |\n  " + ossh_yaml)
    b.commit("ops: backup host key")
    gcp_body = g.pem("PRIVATE KEY", bytes.fromhex("308204bd020100300d06092a864886f70d0101010500048204a7"), 1180)
    gcp_pk = "\\n".join(gcp_body) + "\\n"
    S("gcp_sa_key", "gcp_service_account_key", gcp_pk, "json GCP service account private_key (escaped newlines)")
    b.write("infra/gcp/tidepool-sa.json", json.dumps({
        "type": "service_account", "project_id": "tidepool-app", "private_key_id": D("gcp_private_key_id", g.hex(40)),
        "private_key": "@@PK@@", "client_email": "ingest@tidepool-app.iam.gserviceaccount.com",
        "client_id": g.digits(21), "token_uri": "https://oauth2.googleapis.com/token"}, indent=2)
        .replace("@@PK@@", gcp_pk))
    b.commit("infra: gcp service account for ingest")
    b.filler(2, "infra")

    # ---------- Postman + misc secrets ----------
    pmak = S("postman_key", "postman_api_key", f"PMAK-{g.hex(24)}-{g.hex(34)}", "postman env holds Postman API key")
    bearer = S("postman_bearer", "generic_api_token", g.s(ALNUM, 48), "postman collection bearer token value")
    pm_ref = D("postman_variable", "{{bearerToken}}")
    b.write("docs/postman/tidepool.postman_collection.json", json.dumps({
        "info": {"name": "Tidepool API", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/"
                 "collection.json"},
        "auth": {"type": "bearer", "bearer": [{"key": "token", "value": bearer, "type": "string"}]},
        "item": [{"name": "List tides", "request": {"method": "GET", "url": "{{baseUrl}}/v1/tides",
                                                    "header": [{"key": "Authorization",
                                                                "value": f"Bearer {pm_ref}"}]}}],
    }, indent=2))
    b.write("docs/postman/prod.postman_environment.json", json.dumps({
        "name": "prod", "values": [{"key": "baseUrl", "value": "https://api.tidepool.app", "enabled": True},
                                   {"key": "postmanApiKey", "value": pmak, "enabled": True}]}, indent=2))
    b.commit("docs: postman collection")
    b.filler(2, "docs")
    sentry_tok = S("sentry_token", "sentry_auth_token", "sntryu_" + g.hex(64), "ini .sentryclirc auth token")
    b.write("web/.sentryclirc", f"[auth]\ntoken={sentry_tok}\n\n[defaults]\norg=tidepool\nproject=web\n")
    vapid_pub = D("vapid_public_key", "B" + g.b64url(64))
    vapid_priv = S("vapid_private", "generic_private_key", g.b64url(32), "env VAPID_PRIVATE_KEY for web push")
    enc_key = S("encryption_key", "generic_encryption_key", g.b64(32), "env ENCRYPTION_KEY base64 32 bytes")
    b.write("services/push/.env.production", f"VAPID_PUBLIC_KEY={vapid_pub}\nVAPID_PRIVATE_KEY={vapid_priv}\n"
                                             f"ENCRYPTION_KEY={enc_key}\n")
    b.commit("push: web push service config")
    b.filler(3, "push")
    legacy_openai = S("openai_legacy", "openai_api_key", "sk-" + g.s(ALNUM, 20) + "T3BlbkFJ" + g.s(ALNUM, 20),
                      "python legacy OpenAI key assigned to openai.api_key")
    b.write("analysis/summarize.py", "import openai\n\n"
            f"openai.api_key = \"{legacy_openai}\"\n\n\ndef summarize(text: str) -> str:\n"
            "    return openai.ChatCompletion.create(model=\"gpt-3.5-turbo\", messages=[{\"role\": \"user\", "
            "\"content\": text}])\n")
    b.commit("analysis: summarizer script")
    b.filler(2, "analysis")
    pip_pw = g.s(ALNUM, 26)
    pipconf = S("pip_basic_auth", "basic_auth_url", f"https://deploy:{pip_pw}@pypi.tidepool.app/simple/",
                "ini pip.conf index-url with credentials")
    b.write("admin/pip.conf", f"[global]\nindex-url = {pipconf}\ntimeout = 30\n")
    b.commit("admin: private package index")
    webhook_sig = S("webhook_signing", "generic_webhook_secret", g.hex(40), "go const webhook signing secret")
    b.write("services/api/internal/webhooks/verify.go",
            "package webhooks\n\nimport (\n\t\"crypto/hmac\"\n\t\"crypto/sha256\"\n)\n\n"
            f"var signingSecret = []byte(\"{webhook_sig}\")\n\n"
            "func Valid(body, sig []byte) bool {\n\tm := hmac.New(sha256.New, signingSecret)\n\tm.Write(body)\n"
            "\treturn hmac.Equal(m.Sum(nil), sig)\n}\n")
    b.commit("api: verify partner webhooks")
    b.filler(2, "api")

    # ---------- docs with real-looking leaks and decoys ----------
    doc_sk = S("readme_stripe_curl", "stripe_secret_key", "sk_live_51" + g.s(ALNUM, 96),
               "docs curl example pasted with a live Stripe key")
    tok_ref = D("docs_env_reference", "Authorization: Bearer $TOKEN")
    aws_doc = D("docs_aws_example_key", "AKIAIOSFODNN7EXAMPLE")
    aws_doc2 = D("docs_aws_example_secret", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    ph = D("placeholder", "<your-api-key>")
    xx = D("placeholder", "sk_live_" + "x" * 24)
    jwtio = D("docs_example_jwt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6Ikpva"
                                  "G4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
    commit_sha = D("git_commit_sha", g.hex(40))
    b.write("docs/api.md",
            "# Tidepool API\n\nAuthenticate every request with a bearer token:\n\n```bash\n"
            f"curl https://api.tidepool.app/v1/tides -H \"{tok_ref}\"\n```\n\n"
            f"Your key looks like `{ph}`; Stripe keys look like `{xx}`.\n\n"
            "## Payments (internal)\n\n```bash\n"
            f"curl https://api.stripe.com/v1/charges -u {doc_sk}: -d amount=2000 -d currency=eur\n```\n\n"
            "## AWS\n\n```ini\n[default]\n"
            f"aws_access_key_id = {aws_doc}\naws_secret_access_key = {aws_doc2}\n```\n\n"
            f"A decoded session looks like `{jwtio}`.\n\nFixed in {commit_sha}.\n")
    b.commit("docs: API guide")
    b.filler(3, "docs")
    price = D("stripe_price_id", "price_1" + g.s(ALNUM, 23))
    b.write("billing/config/prices.yaml", f"plans:\n  pro:\n    price: {price}\n    seats: 5\n")
    mixpanel = D("mixpanel_project_token", g.hex(32))
    clerk_pk = D("clerk_publishable_key", "pk_live_" + base64.b64encode(b"clerk.tidepool.app$").decode())
    b.write("web/src/lib/analytics.ts", f"export const MIXPANEL_TOKEN = '{mixpanel}'; // project token, public\n"
                                        f"export const CLERK_PUBLISHABLE_KEY = '{clerk_pk}';\n")
    assets = D("asset_content_hash", f"app.{g.hex(8)}.js")
    b.write("web/static/manifest.json", json.dumps({"entry": assets, "css": f"app.{g.hex(8)}.css"}, indent=2))
    b.commit("web: analytics + asset manifest")
    b.filler(2, "web")

    # ---------- late branch: hotfix re-adds a secret; renames ----------
    b.branch("hotfix/admin-login")
    b.write("admin/app/config.py",
            "import os\n\n\nclass Config:\n"
            f"    SECRET_KEY = os.getenv(\"SECRET_KEY\") or \"{flask_key}\"\n"
            "    STRIPE_SECRET_KEY = os.environ[\"STRIPE_SECRET_KEY\"]\n"
            "    SQLALCHEMY_DATABASE_URI = os.environ.get(\"DATABASE_URL\")\n")
    b.commit("admin: fall back to old secret key (hotfix)")
    b.filler(2, "admin")
    b.checkout("main")
    b.filler(2, "web")
    b.merge("hotfix/admin-login", "Merge branch 'hotfix/admin-login'")
    b.move("services/notify", "services/notifications")
    b.commit("notify: rename service directory")
    b.filler(4, "misc")
    b.write("services/api/internal/config/config.go",
            "package config\n\nimport \"os\"\n\n// Load reads settings from the environment only.\n"
            "func Load() Config {\n\treturn Config{\n\t\tDatabaseURL: os.Getenv(\"DATABASE_URL\"),\n"
            f"\t\tDevDatabaseURL: \"{local_pg}\",\n\t\tJWTKey: os.Getenv(\"JWT_SIGNING_KEY\"),\n"
            f"\t\tGitLabToken: \"{glpat}\", // TODO move to vault\n\t}}\n}}\n")
    b.commit("api: mirror to gitlab (temporary token)")
    b.filler(max(0, TARGET_COMMITS - 1 - b.n), "tail")  # top the history up to about TARGET_COMMITS


# --- labelling -------------------------------------------------------------------------------------------
HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def added_lines(b: Builder, parent: str, commit: str) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    path = None
    for line in b.git("diff", "-U0", "-M", "--no-color", "--no-ext-diff", parent, commit).split("\n"):
        if line.startswith("+++ "):
            path = None if line == "+++ /dev/null" else line[6:]
            if path is not None:
                out.setdefault(path, set())
        elif path is not None and (m := HUNK.match(line)):
            start, count = int(m.group(1)), int(m.group(2) or "1")
            out[path].update(range(start, start + count))
    return out


def label(b: Builder) -> dict:
    commits = b.git("rev-list", "--all", "--topo-order", "--reverse", "--parents").split("\n")
    secrets = {sid: {**s, "locations": []} for sid, s in b.secrets.items()}
    decoys: dict[int, dict] = {}
    count = 0
    for row in filter(None, commits):
        count += 1
        commit, *parents = row.split()
        diffs = [added_lines(b, p, commit) for p in (parents or [EMPTY_TREE])]
        for path in set.intersection(*(set(d) for d in diffs)):
            new = set.intersection(*(d[path] for d in diffs))
            if not new:
                continue
            text = b.git("show", f"{commit}:{path}")
            for s in secrets.values():
                start = text.find(s["value"])
                while start != -1:
                    first = text.count("\n", 0, start) + 1
                    last = first + s["value"].count("\n")
                    if new & set(range(first, last + 1)):
                        s["locations"].append({"commit": commit, "path": path, "line": first, "end_line": last})
                    start = text.find(s["value"], start + 1)
            for i, d in enumerate(b.decoys):
                start = text.find(d["anchor"])
                while start != -1:
                    line = text.count("\n", 0, start) + 1
                    if line in new and (i not in decoys):
                        decoys[i] = {"kind": d["kind"], "path": path, "commit": commit, "line": line,
                                     "anchor": d["anchor"]}
                    start = text.find(d["anchor"], start + 1)
    missing = [sid for sid, s in secrets.items() if not s["locations"]] + \
              [b.decoys[i]["kind"] for i in range(len(b.decoys)) if i not in decoys]
    if missing:
        raise RuntimeError(f"unlabelled (never added?): {', '.join(missing)}")
    return {"commits": count, "secrets": list(secrets.values()),
            "decoys": [decoys[i] for i in sorted(decoys)]}


TARGET_COMMITS = 200


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build the held-out secrets corpus (repo + labels.json).")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    ap.add_argument("--seed", type=int, default=20251125)
    args = ap.parse_args(argv)
    if shutil.which("git") is None:
        print("error: git is not on PATH", file=sys.stderr)
        return 2
    out: Path = args.out.resolve()
    try:
        if out.exists():  # only ever replace a previous corpus, never an arbitrary directory
            if any(out.iterdir()) and not (out / "labels.json").exists() and not (out / "repo").exists():
                print(f"error: {out} exists and is not a held-out corpus; pick another --out", file=sys.stderr)
                return 2
            shutil.rmtree(out)
        b = Builder(out / "repo", Gen(args.seed))
        build(b)
        labels = {"seed": args.seed, **label(b)}
        (out / "labels.json").write_text(json.dumps(labels, indent=1))
    except (OSError, RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    kinds = {s["kind"] for s in labels["secrets"]}
    print(f"held-out corpus: {out} — {labels['commits']} commits, {len(labels['secrets'])} secrets "
          f"({len(kinds)} kinds, {sum(len(s['locations']) for s in labels['secrets'])} locations), "
          f"{len(labels['decoys'])} decoys")
    return 0


if __name__ == "__main__":
    sys.exit(main())
