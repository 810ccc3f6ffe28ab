"""Secret rules written from the providers' documented token formats.

Each rule carries a keyword prefilter (lowercase literals; a multi-pattern pass gates on them), an exact
`re` pattern whose `secret` group is the value, an optional entropy floor and its own examples, which the
test suite runs. `match_line` is the confirmation step a scanner applies to a candidate line.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from handrail.core.finding import Severity
from handrail.core.jwt import jwt_role


@dataclass(frozen=True)
class SecretRule:
    id: str
    description: str
    severity: Severity
    keywords: tuple[str, ...]
    pattern: str
    entropy: float | None = None
    public: bool = False
    must_match: tuple[str, ...] = ()
    must_not_match: tuple[str, ...] = ()
    # Extra confirmation the format alone cannot give (e.g. a JWT's role claim), and one that sees the whole
    # match (e.g. a URL's user and host next to its password).
    confirm: Callable[[str], bool] | None = field(default=None, compare=False)
    confirm_match: Callable[[re.Match[str]], bool] | None = field(default=None, compare=False)
    # Regex on the POSIX path: the rule applies only to matching files (config-file rules, .npmrc, .env).
    paths: str | None = None
    # A Hyperscan-compatible superset of `pattern` for the multi-pattern pass; None derives it from `pattern`,
    # and when that fails to compile the keywords are the prefilter.
    prefilter: str | None = None
    # Regexes on the value, and lowercase substrings of it, that mark a match as not a secret.
    allow: tuple[str, ...] = ()
    stopwords: tuple[str, ...] = ()
    # Where the rule comes from: "handrail", "config" (handrail.toml) or "gitleaks:<file>".
    origin: str = "handrail"
    # Private keys: the value runs from the match to this marker on a later line.
    multiline_end: str | None = None
    # A regex the line itself or one of the three lines above must match: some formats keep a value's name or
    # its provider on a line of its own (`variable "db_password" {` above `default = "..."`, `<key>ApiSecret</key>`
    # above `<string>`, `"Postmark": {` above `"ServerToken": "..."`). Checked by the engine, not by match_line.
    context: str | None = None


def shannon_entropy(s: str) -> float:
    """Bits per character; random tokens score high, words and repeated filler low."""
    if not s:
        return 0.0
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


# Values published in providers' own documentation (and the Azurite emulator key): never real leaks.
DOCUMENTED_EXAMPLES = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    }
)
_PLACEHOLDER_WORDS = frozenset(
    {
        "password", "passwd", "pass", "pwd", "changeme", "change_me", "change-me", "secret", "mysecret",
        "placeholder", "redacted", "todo", "none", "null", "undefined", "xxx", "***",
        # Documented defaults of local services (RabbitMQ guest/guest, the postgres/root superusers).
        "guest", "postgres", "root", "admin", "test", "testing", "dev", "demo", "sample",
    }
)
_PLACEHOLDER_RX = re.compile(
    r"\$\{|\{\{|<[^>]*>|%\(|^\$[A-Za-z_]|^%[A-Za-z_]+%$|your[_-]|changeme|change[_-]me|placeholder|redacted"
    r"|example|xxxx|\*\*\*|\.\.\.|^process\.env|^os\.environ|^env\(|%env\(|^\{[^{}]*\}$",
    re.IGNORECASE,
)


def is_placeholder(value: str) -> bool:
    """True for documented examples, template references and filler that no real credential looks like."""
    if value in DOCUMENTED_EXAMPLES or value.lower() in _PLACEHOLDER_WORDS:
        return True
    if _PLACEHOLDER_RX.search(value):
        return True
    # One character repeated over half the value ("sk_live_0000000000000000000000000").
    longest = max((len(m.group(0)) for m in re.finditer(r"(.)\1*", value)), default=0)
    return len(value) >= 8 and longest * 2 >= len(value)


_SEGMENTS = re.compile(r"[-_.:/@\[\]()]+")


def looks_like_identifier(value: str) -> bool:
    """`TWO_FACTOR_MISSING_SECRET`, `send-2fa-token-email`, `refreshAccessToken`: names, error codes and cookie
    keys made of words, which secret-named variables often hold. A random token has digits or case changes
    that no word has (`xjzHJJrfENrArfvCKs`)."""
    parts = [p for p in _SEGMENTS.split(value) if p]
    return bool(parts) and all(len(p) <= 3 or _WORDISH.fullmatch(p) for p in parts)


_WORDISH = re.compile(r"[a-z]+|[A-Z]+|[A-Z]?[a-z]+(?:[A-Z][a-z]+)*(?:[A-Z]{1,3})?")


_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "host.docker.internal"})


def _remote_credential(m: re.Match[str]) -> bool:
    """`postgres://shop:shop@localhost` is a development default, not a leak: the password repeats the user
    name, or the server is this machine."""
    user = (m.groupdict().get("user") or "").lower()
    host = (m.groupdict().get("host") or "").lower()
    return m.group("secret").lower() != user and host not in _LOCAL_HOSTS


def _not_identifier(value: str) -> bool:
    return not looks_like_identifier(value)


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    # ASCII classes (\w, \s, \b) as in RE2 and Hyperscan, so every backend agrees on what a match is.
    return re.compile(pattern, re.ASCII)


def rule_applies(rule: SecretRule, path: str | None) -> bool:
    return rule.paths is None or (path is not None and _compiled(rule.paths).search(path) is not None)


def match_line(rule: SecretRule, line: str) -> list[str]:
    """The secret values `rule` confirms on `line`: keyword gate, pattern, entropy floor, placeholder filter."""
    return [m.group("secret") for m in match_spans(rule, line)]


def match_spans(rule: SecretRule, line: str) -> list[re.Match[str]]:
    """As `match_line`, keeping the match objects (the engine needs where the value starts)."""
    if rule.keywords:
        lower = line.lower()
        if not any(k in lower for k in rule.keywords):
            return []
    found: list[re.Match[str]] = []
    for m in _compiled(rule.pattern).finditer(line):
        value = m.group("secret")
        # Keys and generated passwords are ASCII; `パスワードを入力してください` under a `password` key is a label.
        if not value or not value.isascii():
            continue
        if rule.entropy is not None and shannon_entropy(value) < rule.entropy:
            continue
        if is_placeholder(value) or (rule.confirm is not None and not rule.confirm(value)):
            continue
        if rule.confirm_match is not None and not rule.confirm_match(m):
            continue
        if rule.stopwords and any(w in value.lower() for w in rule.stopwords):
            continue
        if rule.allow and any(_compiled(a).search(value) for a in rule.allow):
            continue
        found.append(m)
    return found


_C, _H, _M, _I = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.INFO
_JWT = r"\b(?P<secret>eyJ[A-Za-z0-9_-]{8,2000}\.eyJ[A-Za-z0-9_-]{8,4000}\.[A-Za-z0-9_-]{8,1000})"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

# Fake tokens shared by examples (format-valid, FAKE filler, never real).
_SB_SERVICE = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJlZiI6ImZha2Vwcm9qZWN0cmVmMDAwMCIsInJvbGUi"
    "OiJzZXJ2aWNlX3JvbGUiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MjAwMDAwMDAwMH0.FAKEsiguPyXQEW88ad3DNBYjvsedonuSsddfrfifiUz"
)
_SB_ANON = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJlZiI6ImZha2Vwcm9qZWN0cmVmMDAwMCIsInJvbGUi"
    "OiJhbm9uIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjIwMDAwMDAwMDB9.FAKEsigiXnFAAoeelK9mqmALOR2HcSGKgVP8Kd0d3mS"
)
_SB_USER = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJlZiI6ImZha2Vwcm9qZWN0cmVmMDAwMCIsInJvbGUi"
    "OiJhdXRoZW50aWNhdGVkIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjIwMDAwMDAwMDB9.FAKEsig8gBlKv3azKgaS_m_x-SHuKBD-vok_nPTmZYl"
)
_GOOGLE_KEY = "AIzaFAKECkhvMdgaKjIg8xNbe3nNyjOq9wMxEhh"
_GOOGLE_KEY2 = "AIzaFake2FDEEtfjgVvVqE1SkHbn88HxjSI6bWH"
_AZ_KEY = "gNT11cUzYZAa3u2olZU6uqbgsYlVvsSKuvinX/zMqf9OgXluCZz8xBfZuXTptFyfePpX6N1NF2XV54wca/7E56=="
_HEX32 = "ee737443e210471948d33296c87009e8"
_HEX32B = "a7f770d9106fd287db7f1adbc60926f6"

RULES: tuple[SecretRule, ...] = (
    SecretRule(
        id="aws-access-key-id",
        description="AWS access key id (long-term AKIA, temporary ASIA)",
        severity=_H,
        keywords=("akia", "asia", "abia", "acca"),
        prefilter='(AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}',
        pattern=r"\b(?P<secret>(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b",
        must_match=("aws_access_key_id = AKIAFAKEP2EC6UK3GEQF", 'export AWS_ACCESS_KEY_ID="ASIAFAKENG274LOI25PH"'),
        must_not_match=(
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
            "AKIA1234 is too short and has a 1",
            "the AKIAFAKEP2EC6UK3GEQFX3 suffix is too long",
        ),
    ),
    SecretRule(
        id="aws-secret-access-key",
        description="AWS secret access key assigned to an aws_secret_access_key-like name",
        severity=_C,
        keywords=("aws_secret", "secret_access_key", "secretaccesskey", "aws-secret"),
        prefilter='(?i)(aws[_-]?secret([_-]?access)?[_-]?key|secret[_-]?access[_-]?key)',
        pattern=r"(?i)(?:aws[_-]?secret(?:[_-]?access)?[_-]?key|secret[_-]?access[_-]?key)[\"']?\s{0,5}(?:=|:|=>)"
        r"\s{0,5}[\"']?(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        entropy=3.5,
        must_match=(
            "aws_secret_access_key = LLJIVGHz4FxFEtKyPiYGFDm7ena8D5VfLDpgyyjV",
            'AWS_SECRET_ACCESS_KEY: "w5HanSBeVRsfAGeAbP0VxNjAe+9i0mYtluYI0KN1"',
        ),
        must_not_match=(
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}",
            "aws_secret_access_key = 0000000000000000000000000000000000000000",
        ),
    ),
    SecretRule(
        id="gcp-service-account-key",
        description="GCP service-account JSON key (type service_account with an inline private_key) on one line",
        severity=_C,
        keywords=("service_account",),
        prefilter='"private_key"\\s{0,5}:\\s{0,5}"-----BEGIN',
        pattern=r"^(?=.*\"type\"\s{0,5}:\s{0,5}\"service_account\").*?\"private_key\"\s{0,5}:"
        r"\s{0,5}\"(?P<secret>-----BEGIN (?:RSA )?PRIVATE KEY-----[^\"]{16,})\"",
        must_match=(
            '{"type": "service_account", "project_id": "fake-000", "private_key": '
            '"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANFAKEFAKEFAKE\\n-----END PRIVATE KEY-----\\n"}',
            '{"private_key_id":"ee737443","private_key":"-----BEGIN PRIVATE KEY-----\\nMIIEFAKEq/DfcgaTMnTC0\\n",'
            '"type":"service_account"}',
        ),
        must_not_match=(
            '{"type": "authorized_user", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEFAKEFAKE00\\n"}',
            '{"type": "service_account", "private_key": ""}',
        ),
    ),
    SecretRule(
        id="google-ai-api-key",
        description="Google AI Studio / Gemini API key (AIza... in a Gemini or generative-language context)",
        severity=_H,
        keywords=("gemini", "generativelanguage", "google_ai", "genai", "google_generative_ai"),
        prefilter='AIza[0-9A-Za-z_-]{35}',
        pattern=r"(?i)^(?=.*(?:gemini|generativelanguage|google_ai|genai|google_generative_ai)).*?\b"
        r"(?P<secret>AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])",
        must_match=(f"GEMINI_API_KEY={_GOOGLE_KEY}", f'genai.configure(api_key="{_GOOGLE_KEY2}")'),
        must_not_match=("GEMINI_API_KEY=${GEMINI_API_KEY}", f"MAPS_KEY={_GOOGLE_KEY}"),
    ),
    SecretRule(
        id="google-api-key",
        description="Google API key (AIza...) outside Firebase web config",
        severity=_H,
        keywords=("aiza",),
        prefilter='AIza[0-9A-Za-z_-]{35}',
        pattern=r"^(?!.*(?:\bapiKey\s{0,5}:|firebase|FIREBASE|Firebase|\"current_key\")).*?\b"
        r"(?P<secret>AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])",
        must_match=(f"GOOGLE_MAPS_KEY={_GOOGLE_KEY}", f'const key = "{_GOOGLE_KEY2}";'),
        must_not_match=(f'  apiKey: "{_GOOGLE_KEY}",', "GOOGLE_MAPS_KEY=AIzaTooShort"),
    ),
    SecretRule(
        id="firebase-web-api-key",
        description="Firebase web apiKey: public by design (protect data with security rules, not the key)",
        severity=_I,
        public=True,
        keywords=("aiza",),
        prefilter='AIza[0-9A-Za-z_-]{35}',
        pattern=r"^(?=.*(?:\bapiKey\s{0,5}:|firebase|FIREBASE|Firebase|\"current_key\")).*?\b"
        r"(?P<secret>AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])",
        must_match=(f'  apiKey: "{_GOOGLE_KEY}",', f"NEXT_PUBLIC_FIREBASE_API_KEY={_GOOGLE_KEY2}"),
        must_not_match=(f"GOOGLE_MAPS_KEY={_GOOGLE_KEY}", '  apiKey: "AIzaTooShort",'),
    ),
    SecretRule(
        id="azure-storage-connection-string",
        description="Azure storage account key in a connection string (AccountKey=)",
        severity=_C,
        keywords=("accountkey",),
        prefilter='(?i)accountkey\\s{0,3}=\\s{0,3}[A-Za-z0-9+/]{86}==',
        pattern=r"(?i)AccountKey\s{0,3}=\s{0,3}(?P<secret>[A-Za-z0-9+/]{86}==)",
        must_match=(
            f"DefaultEndpointsProtocol=https;AccountName=fakeacct;AccountKey={_AZ_KEY};EndpointSuffix=core.windows.net",
            f'AZURE_STORAGE="AccountName=fake;AccountKey={_AZ_KEY}"',
        ),
        must_not_match=(
            "AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq"
            "/K1SZFPTOtr/KBHBeksoGMGw==",
            "AccountKey=<your-account-key>",
        ),
    ),
    SecretRule(
        id="github-token",
        description="GitHub classic token: personal (ghp_), OAuth (gho_), user-to-server (ghu_), app (ghs_), refresh"
        " (ghr_)",
        severity=_C,
        keywords=("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        prefilter='gh[pousr]_[A-Za-z0-9]{36}',
        pattern=r"\b(?P<secret>gh[pousr]_[A-Za-z0-9]{36})\b",
        must_match=(
            "GITHUB_TOKEN=ghp_FAKEtP3fS2qHx6kwXoIIXGvOoNZYW2mZp0zV",
            'token: "ghs_FakeZomHFwUbbYrEqmSM9wCZ7Uw9xfogoEmv"',
        ),
        must_not_match=("GITHUB_TOKEN=ghp_000000000000000000000000000000000000", "ghp_tooshort123"),
    ),
    SecretRule(
        id="github-fine-grained-token",
        description="GitHub fine-grained personal access token (github_pat_)",
        severity=_C,
        keywords=("github_pat_",),
        prefilter='github_pat_[A-Za-z0-9]{22}_',
        pattern=r"\b(?P<secret>github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b",
        must_match=(
            "GH_PAT=github_pat_FAKEgLKOmxgJTeKdNnFRIB_FAKEq3hDavJA76rNicHTp8hkqdlm7tOtHWnsCGRlrwZbqcabUGJmGEp7CgQ",
            "token = 'github_pat_FakeXuDL7DxtpYlSXpfKtH_Fake0PBQFI14zGtSnovm14TUOizwd1iaeOV4qBkdfQ1y3GQsMpSscDlkrCa'",
        ),
        must_not_match=("GH_PAT=github_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxx", "github_pat_FAKE_short"),
    ),
    SecretRule(
        id="gitlab-token",
        description="GitLab personal/project/group access token (glpat-)",
        severity=_C,
        keywords=("glpat-",),
        prefilter='glpat-[A-Za-z0-9_.-]{20}',
        pattern=r"\b(?P<secret>glpat-[A-Za-z0-9_.-]{20,80})",
        must_match=("GITLAB_TOKEN=glpat-FAKEBd0Kh8oOOL8dKLzd", "private_token: glpat-FakeocJ2isAjIhKtJ0Rl"),
        must_not_match=("GITLAB_TOKEN=glpat-xxxxxxxxxxxxxxxxxxxx", "GITLAB_TOKEN=glpat-short"),
    ),
    SecretRule(
        id="stripe-secret-key-live",
        description="Stripe live secret key (sk_live_)",
        severity=_C,
        keywords=("sk_live_",),
        prefilter='sk_live_[A-Za-z0-9]{24}',
        pattern=r"\b(?P<secret>sk_live_[A-Za-z0-9]{24,247})\b",
        must_match=(
            "STRIPE_SECRET_KEY=sk_live_FAKEF4vUCsMehGAkWvj7FAc9",
            'stripe.api_key = "sk_live_FakeQeWJKY40uvSwMFLZDe1f"',
        ),
        must_not_match=("STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx", "sk_live_short"),
    ),
    SecretRule(
        id="stripe-secret-key-test",
        description="Stripe test-mode secret key (sk_test_): no money moves, but it reads and writes test data",
        severity=_M,
        keywords=("sk_test_",),
        prefilter='sk_test_[A-Za-z0-9]{24}',
        pattern=r"\b(?P<secret>sk_test_[A-Za-z0-9]{24,247})\b",
        must_match=("STRIPE_SECRET_KEY=sk_test_FAKEF4vUCsMehGAkWvj7FAc9", "key: sk_test_FakeQeWJKY40uvSwMFLZDe1f"),
        must_not_match=("STRIPE_SECRET_KEY=sk_test_000000000000000000000000", "sk_test_<your key>"),
    ),
    SecretRule(
        id="stripe-restricted-key",
        description="Stripe restricted key (rk_live_ / rk_test_)",
        severity=_H,
        keywords=("rk_live_", "rk_test_"),
        prefilter='rk_(live|test)_[A-Za-z0-9]{24}',
        pattern=r"\b(?P<secret>rk_(?:live|test)_[A-Za-z0-9]{24,247})\b",
        must_match=("STRIPE_RK=rk_live_FAKEF4vUCsMehGAkWvj7FAc9", "rk_test_FakeQeWJKY40uvSwMFLZDe1f"),
        must_not_match=("STRIPE_RK=rk_live_xxxxxxxxxxxxxxxxxxxxxxxx", "rk_live_short"),
    ),
    SecretRule(
        id="stripe-publishable-key",
        description="Stripe publishable key (pk_): public by design, shipped to browsers",
        severity=_I,
        public=True,
        keywords=("pk_live_", "pk_test_"),
        prefilter='pk_(live|test)_[A-Za-z0-9]{24}',
        pattern=r"\b(?P<secret>pk_(?:live|test)_[A-Za-z0-9]{24,247})\b",
        must_match=("NEXT_PUBLIC_STRIPE_KEY=pk_live_FAKEF4vUCsMehGAkWvj7FAc9", "pk_test_FakeQeWJKY40uvSwMFLZDe1f"),
        must_not_match=("NEXT_PUBLIC_STRIPE_KEY=pk_live_xxxxxxxxxxxxxxxxxxxxxxxx", "pk_test_short"),
    ),
    SecretRule(
        id="openai-project-key",
        description="OpenAI project, service-account or admin key (sk-proj-, sk-svcacct-, sk-admin-)",
        severity=_C,
        keywords=("sk-proj-", "sk-svcacct-", "sk-admin-"),
        prefilter='sk-(proj|svcacct|admin)-[A-Za-z0-9_-]{40}',
        pattern=r"\b(?P<secret>sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,300})",
        must_match=(
            "OPENAI_API_KEY=sk-proj-FAKEUPgHV7iB3m03nbqnsGpWLuqIA1id6Vw5DQL0T3BlbkFJFake5HA064GiIjHGb3CX",
            'openai.api_key = "sk-svcacct-Fake5HA064GiIjHGb3CXlMaXZjljENUhJduRHHJE"',
        ),
        must_not_match=("OPENAI_API_KEY=sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "sk-proj-short"),
    ),
    SecretRule(
        id="openai-legacy-key",
        description="OpenAI legacy user key (sk- with the T3BlbkFJ marker)",
        severity=_C,
        keywords=("t3blbkfj",),
        prefilter='T3BlbkFJ',
        pattern=r"\b(?P<secret>sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})\b",
        must_match=(
            "OPENAI_API_KEY=sk-FAKEBd0Kh8oOOL8dKLzdT3BlbkFJFakeocJ2isAjIhKtJ0Rl",
            "key = 'sk-FakeocJ2isAjIhKtJ0RlT3BlbkFJFAKEBd0Kh8oOOL8dKLzd'",
        ),
        must_not_match=("OPENAI_API_KEY=sk-FAKEBd0Kh8oOOL8dKLzdFakeocJ2isAjIhKtJ0Rl", "sk-shortT3BlbkFJshort"),
    ),
    SecretRule(
        id="anthropic-api-key",
        description="Anthropic API or admin key (sk-ant-api03-, sk-ant-admin01-)",
        severity=_C,
        keywords=("sk-ant-",),
        prefilter='sk-ant-(api03|admin01)-[A-Za-z0-9_-]{80}',
        pattern=r"\b(?P<secret>sk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{80,120})",
        must_match=(
            "ANTHROPIC_API_KEY=sk-ant-api03-FAKEezy3Lex7BWr2drgd1QsO7jprBGumXxY9B4bZWOz648JJnUfd7UACNWiP3sFd67Jik"
            "EAvstqVVPqzPptEJQzhkPAA",
            "key: sk-ant-admin01-FakeG5ZFJoC6vWCBiJmpflvJfupxqZKm4bV3AyAVHnyrvWdFrK9xiRGHOY32nfr5pyzPCB9t2039bicBTW"
            "5ZE9LFaeAA",
        ),
        must_not_match=("ANTHROPIC_API_KEY=sk-ant-api03-...", "ANTHROPIC_API_KEY=sk-ant-api03-" + "x" * 90),
    ),
    SecretRule(
        id="huggingface-token",
        description="Hugging Face user access token (hf_)",
        severity=_H,
        keywords=("hf_",),
        prefilter='hf_[A-Za-z0-9]{34}',
        pattern=r"\b(?P<secret>hf_(?=[A-Za-z0-9]{0,40}[A-Z])[A-Za-z0-9]{34,40})\b",
        must_match=("HF_TOKEN=hf_FAKEwR4y9ojfljoQoaF1LlqsajAIxNKu8i", 'token="hf_FakeS2G8NPRVdD53X83RZJzzzzgEOzdmen"'),
        must_not_match=("from huggingface_hub import hf_hub_download", "x = hf_transformerscachedirectoryforthemodel"),
    ),
    SecretRule(
        id="groq-api-key",
        description="Groq API key (gsk_)",
        severity=_H,
        keywords=("gsk_",),
        prefilter='gsk_[A-Za-z0-9]{52}',
        pattern=r"\b(?P<secret>gsk_[A-Za-z0-9]{52})\b",
        must_match=(
            "GROQ_API_KEY=gsk_FAKEi9DoV8gz4FkQ1okTBGzvAmwufUxbvJDCTbyvHNsG9eh6Yo4g",
            'api_key="gsk_Fakefqrc5XlrWi0B26R08qzjI6GKFSufrdZSlB5er8bOfZqfM2oe"',
        ),
        must_not_match=("GROQ_API_KEY=gsk_" + "x" * 52, "GROQ_API_KEY=gsk_short"),
    ),
    SecretRule(
        id="replicate-api-token",
        description="Replicate API token (r8_)",
        severity=_H,
        keywords=("r8_",),
        prefilter='r8_[A-Za-z0-9]{37}',
        pattern=r"\b(?P<secret>r8_[A-Za-z0-9]{37})\b",
        must_match=(
            "REPLICATE_API_TOKEN=r8_FAKEnEN5N1aE6PwZPf1Qh6yYTWmE4lBYOvfZ8",
            "r8_FakeUzDzV8fUkkibjL5DZPjN0MEQ7wjJJibaZ",
        ),
        must_not_match=("REPLICATE_API_TOKEN=r8_" + "0" * 37, "REPLICATE_API_TOKEN=r8_short"),
    ),
    SecretRule(
        id="slack-token",
        description="Slack bot, user, app, refresh or legacy token (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-)",
        severity=_H,
        keywords=("xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-"),
        prefilter='xox[baprs]-[0-9]{6}',
        pattern=r"\b(?P<secret>xox[baprs]-\d{6,15}-[0-9A-Za-z-]{8,200})",
        must_match=(
            "SLACK_BOT_TOKEN=xoxb-123456789012-1234567890123-FAKEBd0Kh8oOOL8dKLzd",
            "token: xoxp-123456789012-123456789012-1234567890123-ee737443e210471948d33296c87009e8",
        ),
        must_not_match=(
            "SLACK_BOT_TOKEN=xoxb-your-token",
            "SLACK_BOT_TOKEN=xoxb-000000000000-xxxxxxxxxxxxxxxxxxxxxxxxx",
        ),
    ),
    SecretRule(
        id="slack-webhook-url",
        description="Slack incoming webhook URL (anyone holding it can post to the channel)",
        severity=_M,
        keywords=("hooks.slack.com",),
        prefilter='hooks\\.slack\\.com/(services|workflows|triggers)/T',
        pattern=r"(?P<secret>https://hooks\.slack\.com/(?:services|workflows|triggers)/T[A-Z0-9]{6,12}/[A-Z0-9]{6,14}"
        r"/[A-Za-z0-9]{20,40})",
        must_match=(
            "SLACK_WEBHOOK=https://hooks.slack.com/services/TFAKE0001/BFAKE0002/FAKEBd0Kh8oOOL8dKLzd1234",
            'url = "https://hooks.slack.com/services/T0FAKE123/B0FAKE4567/FakeocJ2isAjIhKtJ0Rl"',
        ),
        must_not_match=(
            "SLACK_WEBHOOK=https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
            "see https://hooks.slack.com/services/ for docs",
        ),
    ),
    SecretRule(
        id="twilio-api-key",
        description="Twilio API key SID (SK + 32 hex); its secret is usually nearby",
        severity=_M,
        keywords=("sk",),
        prefilter='SK[0-9a-f]{32}',
        pattern=r"\b(?P<secret>SK[0-9a-f]{32})\b",
        entropy=3.0,
        must_match=(f"TWILIO_API_KEY=SK{_HEX32}", f'api_key_sid: "SK{_HEX32B}"'),
        must_not_match=("TWILIO_API_KEY=SK00000000000000000000000000000000", f"sk{_HEX32}"),
    ),
    SecretRule(
        id="twilio-auth-token",
        description="Twilio auth token (32 hex) next to an auth-token name and a Twilio or AC account-sid context",
        severity=_C,
        keywords=("auth_token", "authtoken", "auth-token"),
        prefilter='(?i)auth[_-]?token',
        pattern=r"(?i)^(?=.*(?:twilio|\bAC[0-9a-f]{32}\b)).*?auth[_-]?token[\"']?\s{0,5}(?:=|:|=>|,)"
        r"\s{0,5}[\"']?(?P<secret>[0-9a-f]{32})\b",
        entropy=3.0,
        must_match=(f"TWILIO_AUTH_TOKEN={_HEX32}", f'client = Client("AC{_HEX32B}", auth_token="{_HEX32}")'),
        must_not_match=(f"AUTH_TOKEN={_HEX32}", "TWILIO_AUTH_TOKEN=00000000000000000000000000000000"),
    ),
    SecretRule(
        id="sendgrid-api-key",
        description="SendGrid API key (SG.<id>.<secret>)",
        severity=_H,
        keywords=("sg.",),
        prefilter='SG\\.[A-Za-z0-9_-]{22}\\.',
        pattern=r"\b(?P<secret>SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])",
        must_match=(
            "SENDGRID_API_KEY=SG.FAKEgLKOmxgJTeKdNnFRIB.FAKEYXg4JdpmrcXgGCJbW56eCuNGMGmSrCGIZEG8pSH",
            "key = 'SG.FakeXuDL7DxtpYlSXpfKtH.Fake4487q7J58m1CiAhzCueQpBenQtYh5Xj8TPQxjq4'",
        ),
        must_not_match=("SENDGRID_API_KEY=SG.xxxxx.yyyyy", "SENDGRID_API_KEY=SG.<id>.<secret>"),
    ),
    SecretRule(
        id="mailgun-api-key",
        description="Mailgun private API key (key- + 32 hex)",
        severity=_H,
        keywords=("key-",),
        prefilter='key-[0-9a-f]{32}',
        pattern=r"\b(?P<secret>key-[0-9a-f]{32})\b",
        entropy=3.0,
        must_match=(f"MAILGUN_API_KEY=key-{_HEX32}", f'api_key: "key-{_HEX32B}"'),
        must_not_match=("MAILGUN_API_KEY=key-00000000000000000000000000000000", "primary-key-rotation"),
    ),
    SecretRule(
        id="postmark-server-token",
        description="Postmark server or account token (a UUID under a token name, with postmark on its line or a "
        "parent key above)",
        severity=_H,
        keywords=("token",),
        prefilter=r"(?i)token[\"']?\s{0,5}[:=]",
        pattern=r"(?i)token[\"']?\s{0,5}(?:=|:|=>)\s{0,5}[\"']?\b(?P<secret>" + _UUID + r")\b",
        context=r"(?i)postmark",
        entropy=3.0,
        must_match=(
            "POSTMARK_SERVER_TOKEN=1f2e3d4c-5b6a-4789-8abc-def012345678",
            "postmark: { token: '9a8b7c6d-5e4f-4321-9fed-cba987654321' }",
        ),
        must_not_match=(
            "POSTMARK_MESSAGE_ID=1f2e3d4c-5b6a-4789-8abc-def012345678",
            "POSTMARK_SERVER_TOKEN=00000000-0000-0000-0000-000000000000",
        ),
    ),
    SecretRule(
        id="mailgun-private-key",
        description="Mailgun private API key in the current format (32 hex - 8 hex - 8 hex) with mailgun on its line "
        "or a parent key above",
        severity=_H,
        keywords=(),
        prefilter=r"[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}",
        pattern=r"\b(?P<secret>[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8})\b",
        context=r"(?i)mailgun",
        entropy=3.0,
        must_match=("MAILGUN_API_KEY=57ad1c0e9f3b4a2d8e6f7a1b2c3d4e5f-f26b5c22-5c36988a",
                    "mailgun: {apiKey: '0f1e2d3c4b5a69788796a5b4c3d2e1f0-0a1b2c3d-4e5f6a7b'}"),
        must_not_match=("MAILGUN_API_KEY=00000000000000000000000000000000-00000000-00000000",
                        "trace 57ad1c0e9f3b4a2d8e6f7a1b2c3d4e5f-f26b5c2"),
    ),
    SecretRule(
        id="npm-token",
        description="npm access token (npm_)",
        severity=_C,
        keywords=("npm_",),
        prefilter='npm_[A-Za-z0-9]{36}',
        pattern=r"\b(?P<secret>npm_[A-Za-z0-9]{36})\b",
        must_match=(
            "//registry.npmjs.org/:_authToken=npm_FAKEtP3fS2qHx6kwXoIIXGvOoNZYW2mZp0zV",
            "NPM_TOKEN=npm_FakeZomHFwUbbYrEqmSM9wCZ7Uw9xfogoEmv",
        ),
        must_not_match=("NPM_TOKEN=npm_" + "x" * 36, "npm_config_registry=https://registry.npmjs.org"),
    ),
    SecretRule(
        id="pypi-token",
        description="PyPI or TestPyPI upload token (pypi-AgEIcHlwaS5vcmc..., a macaroon)",
        severity=_C,
        keywords=("pypi-ageichlwas5vcmc", "pypi-agendgvzdc5wexbplm9yzw"),
        prefilter='pypi-Ag(EIcHlwaS5vcmc|ENdGVzdC5weXBpLm9yZw)',
        pattern=r"\b(?P<secret>pypi-Ag(?:EIcHlwaS5vcmc|ENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,300})",
        must_match=(
            "password = pypi-AgEIcHlwaS5vcmcFAKEqx9vJupc94tnwlavyfErGPmpGXafq0fjzLczbttOofL9H2WjQ5TY4MyW",
            "TWINE_PASSWORD=pypi-AgENdGVzdC5weXBpLm9yZwFakeuUFjsUNPjc01T5GOBUSZGi6HWGK10Zb0RLZ5TR9SPofbciOx9gy1CJdO",
        ),
        must_not_match=("password = pypi-AgEIcHlwaS5vcmc...", "TWINE_PASSWORD=pypi-AgEIcHlwaS5vcmc" + "x" * 60),
    ),
    SecretRule(
        id="rubygems-api-key",
        description="RubyGems API key (rubygems_ + 48 hex)",
        severity=_C,
        keywords=("rubygems_",),
        prefilter='rubygems_[0-9a-f]{48}',
        pattern=r"\b(?P<secret>rubygems_[0-9a-f]{48})\b",
        entropy=3.0,
        must_match=(
            "GEM_HOST_API_KEY=rubygems_967e7893f57fd14c1604d115cea325a65e19cbae530282bd",
            ":rubygems_api_key: rubygems_967e7893f57fd14c1604d115cea325a65e19cbae530282bd",
        ),
        must_not_match=("GEM_HOST_API_KEY=rubygems_" + "0" * 48, "rubygems_version = 3.4"),
    ),
    SecretRule(
        id="database-url-password",
        description="Database or broker URL with an inline password",
        severity=_H,
        keywords=("postgres", "mysql", "mariadb", "mongodb", "redis", "amqp"),
        prefilter='(?i)(postgres|mysql|mariadb|mongodb|redis|amqp)[a-z0-9+_]{0,25}://[^:/@\\s"\']{0,100}:[^@/'
                  '\\s"\']{3,200}@',
        pattern=r"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?)(?:\+\w{1,20})?://"
        r"(?P<user>[^:/@\s\"']{0,100}):(?P<secret>[^@/\s\"']{3,200})@(?P<host>[\w.-]{1,253})",
        confirm_match=_remote_credential,
        must_match=(
            "DATABASE_URL=postgres://app:Fq7xK2pLm9Qz@db.internal:5432/app",
            'MONGO_URI="mongodb+srv://admin:FAKEu8jzPde0IgxL@cluster0.fake.mongodb.net/prod"',
        ),
        must_not_match=(
            "DATABASE_URL=postgres://user:password@localhost:5432/app",
            "DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/app",
            "REDIS_URL=redis://:<pass>@localhost:6379",
            "MYSQL_URL=mysql://root:xxx@localhost/db",
            "DATABASE_URL=postgres://localhost:5432/app",
            "DATABASE_URL=postgres://shop:shop@db.internal:5432/shop",
            "DATABASE_URL=postgres://app:Fq7xK2pLm9Qz@localhost:5432/app",
        ),
    ),
    SecretRule(
        id="private-key",
        description="PEM or OpenSSH private key (start marker; the engine reads the body that follows)",
        severity=_C,
        multiline_end="-----END",
        keywords=("private key-----",),
        prefilter='-----BEGIN [A-Z ]{0,20}PRIVATE KEY',
        pattern=r"(?P<secret>-----BEGIN (?:RSA |DSA |EC |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----)",
        must_match=("-----BEGIN RSA PRIVATE KEY-----", '"key": "-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1r"'),
        must_not_match=("-----BEGIN PUBLIC KEY-----", "-----BEGIN CERTIFICATE-----"),
    ),
    SecretRule(
        id="putty-private-key",
        description="PuTTY private key file (PuTTY-User-Key-File header)",
        severity=_C,
        multiline_end="Private-MAC",
        keywords=("putty-user-key-file",),
        prefilter='PuTTY-User-Key-File-[23]:',
        pattern=r"^\s{0,10}(?P<secret>PuTTY-User-Key-File-[23]:\s{0,5}[\w-]{3,40})",
        must_match=("PuTTY-User-Key-File-3: ssh-ed25519", "PuTTY-User-Key-File-2: ssh-rsa"),
        must_not_match=("see PuTTY-User-Key-File-3 in the docs", "PuTTY-User-Key-File-9: ssh-rsa"),
    ),
    SecretRule(
        id="jwt-signing-secret",
        description="JWT signing secret assigned a literal value",
        severity=_C,
        keywords=("jwt_secret", "jwtsecret", "jwt-secret", "jwt_signing", "jwtsigning", "jwt_key"),
        prefilter='(?i)jwt[_-]?(secret|signing[_-]?key|key)',
        pattern=r"(?i)jwt[_-]?(?:secret|signing[_-]?key|key)\w{0,20}[\"']?\s{0,5}(?:=|:|=>)\s{0,5}[\"'`]?"
        r"(?P<secret>[^\s\"'`,;]{16,512})",
        entropy=3.5,
        must_match=("JWT_SECRET=FAKE8rESQedUStPKR0CsTy4Qwb8DwkNh", 'jwtSecret: "FakeFdnXsiVpzz63FfkCzJr4i0B3JrTA",'),
        must_not_match=(
            "JWT_SECRET=${JWT_SECRET}",
            "JWT_SECRET=your-jwt-secret-here-change-it",
            "jwt_secret = os.environ['JWT_SECRET']",
            "JWT_SECRET=aaaaaaaaaaaaaaaaaaaa",
        ),
    ),
    SecretRule(
        id="laravel-app-key",
        description="Laravel APP_KEY (base64:, encrypts cookies and sessions)",
        severity=_C,
        keywords=("app_key",),
        prefilter='APP_KEY\\s{0,5}=\\s{0,5}["\']?base64:',
        pattern=r"\bAPP_KEY\s{0,5}=\s{0,5}[\"']?(?P<secret>base64:[A-Za-z0-9+/]{43}=)",
        must_match=(
            "APP_KEY=base64:q/DfcgaTMnTC0MrAU8urbFt5misIZHbhS4+FvafhdZx=",
            "APP_KEY='base64:Euhnbzs0z1wNiMg9aW37k5wCnHDepQHgI3HLBkbvHEz='",
        ),
        must_not_match=("APP_KEY=", "APP_KEY=base64:${APP_KEY}"),
    ),
    SecretRule(
        id="django-secret-key",
        description="Python SECRET_KEY (Django/Flask) set to a string literal",
        severity=_H,
        keywords=("secret_key",),
        prefilter='SECRET_KEY\\s{0,5}=\\s{0,5}[rbf]?["\'][^"\'\\s]{30}',
        pattern=r"\bSECRET_KEY\s{0,5}=\s{0,5}[rbf]?(?P<q>[\"'])(?P<secret>[^\"'\s]{30,200})(?P=q)",
        entropy=3.5,
        must_match=(
            "SECRET_KEY = 'django-insecure-FAKEYXg4JdpmrcXgGCJbW56eCuNGMGmSrCGIZEG8pSH'",
            'SECRET_KEY = "Fake4487q7J58m1CiAhzCueQpBenQtYh5Xj8TPQxjq4"',
        ),
        must_not_match=(
            "SECRET_KEY = os.environ['DJANGO_SECRET_KEY']",
            "SECRET_KEY = 'change-me-to-a-long-random-string-in-prod'",
            "SECRET_KEY = 'short'",
        ),
    ),
    SecretRule(
        id="rails-secret-key-base",
        description="Rails secret_key_base literal (signs and encrypts cookies)",
        severity=_C,
        keywords=("secret_key_base",),
        prefilter='(?i)secret_key_base["\']?\\s{0,5}(=|:|=>)\\s{0,5}["\']?[0-9a-f]{64}',
        pattern=r"(?i)\bsecret_key_base[\"']?\s{0,5}(?:=|:|=>)\s{0,5}[\"']?(?P<secret>[0-9a-f]{64,256})\b",
        entropy=3.0,
        must_match=(
            "  secret_key_base: 36cb9d21f6be6abf0d7c1c1e21862ab8a18a8902073fec8df4f50947aaeb26c5",
            "SECRET_KEY_BASE=36cb9d21f6be6abf0d7c1c1e21862ab8a18a8902073fec8df4f50947aaeb26c5a18a8902",
        ),
        must_not_match=(
            '  secret_key_base: <%= ENV["SECRET_KEY_BASE"] %>',
            "SECRET_KEY_BASE=" + "0" * 128,
        ),
    ),
    SecretRule(
        id="supabase-service-role-key",
        description="Supabase service_role JWT (bypasses row-level security; server-side only)",
        severity=_C,
        keywords=("eyj",),
        prefilter='eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8}',
        pattern=_JWT,
        confirm=lambda token: jwt_role(token) == "service_role",
        must_match=(f"SUPABASE_SERVICE_ROLE_KEY={_SB_SERVICE}", f'createClient(url, "{_SB_SERVICE}")'),
        must_not_match=(f"NEXT_PUBLIC_SUPABASE_ANON_KEY={_SB_ANON}", f"Authorization: Bearer {_SB_USER}"),
    ),
    SecretRule(
        id="supabase-anon-key",
        description="Supabase anon JWT: public by design (row-level security is what protects data)",
        severity=_I,
        public=True,
        keywords=("eyj",),
        prefilter='eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8}',
        pattern=_JWT,
        confirm=lambda token: jwt_role(token) == "anon",
        must_match=(f"NEXT_PUBLIC_SUPABASE_ANON_KEY={_SB_ANON}", f"const anon = '{_SB_ANON}';"),
        must_not_match=(f"SUPABASE_SERVICE_ROLE_KEY={_SB_SERVICE}", f"Authorization: Bearer {_SB_USER}"),
    ),
    SecretRule(
        id='resend-api-key',
        description='Resend API key (re_)',
        severity=_H,
        keywords=('re_',),
        prefilter='re_[A-Za-z0-9]{8}_[A-Za-z0-9]{24}',
        pattern='\\b(?P<secret>re_[A-Za-z0-9]{8}_[A-Za-z0-9]{24,32})\\b',
        entropy=3.0,
        must_match=(
            'RESEND_API_KEY=re_u8jzPde0_IgxLd6GncfBAepfJBd0Kh8oO',
            "new Resend('re_Q1w2E3r4_T5y6U7i8O9p0AaSsDdFfGgHh')",
        ),
        must_not_match=(
            'const m = re_compile_pattern_for_the_parser_x',
            'RESEND_API_KEY=re_xxxxxxxx_xxxxxxxxxxxxxxxxxxxxxxxx',
        ),
    ),
    SecretRule(
        id='doppler-token',
        description='Doppler service, service-account, CLI or personal token (dp.st. / dp.sa. / dp.ct. / dp.pt.)',
        severity=_C,
        keywords=('dp.st.', 'dp.sa.', 'dp.ct.', 'dp.pt.', 'dp.scim.', 'dp.audit.'),
        prefilter='dp\\.(st|sa|ct|pt|scim|audit)\\.',
        pattern='\\b(?P<secret>dp\\.(?:st|sa|ct|pt|scim|audit)\\.(?:[a-z0-9_-]{1,40}\\.)?[A-Za-z0-9]{40,44})\\b',
        entropy=3.5,
        must_match=(
            'DOPPLER_TOKEN=dp.st.prd.OL8dKLzdocJ2isAjIhKtJ0RlgLKOmxgJTeKdNnFR',
            'ARG DOPPLER_TOKEN=dp.pt.OL8dKLzdocJ2isAjIhKtJ0RlgLKOmxgJTeKdNnFR',
        ),
        must_not_match=('DOPPLER_TOKEN=dp.st.prd.xxxx', 'see dp.st. tokens in the docs'),
    ),
    SecretRule(
        id='vault-token',
        description='HashiCorp Vault service, batch or recovery token (hvs. / hvb. / hvr.)',
        severity=_C,
        keywords=('hvs.', 'hvb.', 'hvr.'),
        prefilter='hv[sbr]\\.[A-Za-z0-9_-]{24}',
        pattern='\\b(?P<secret>hv[sbr]\\.[A-Za-z0-9_-]{24,300})',
        entropy=3.5,
        must_match=(
            'VAULT_TOKEN=hvs.IBXuDL7DxtpYlSXpfKtHF4vU5Kjp1vRt_1fjORS-6ilI8ihN5KXSc7Tvo',
            'token: hvb.AAAAAQKx7pZ2yQm9Lw4Rt8VbN3cJ6sHd1fGkEoUa',
        ),
        must_not_match=('VAULT_TOKEN=hvs.xxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'hvs.short'),
    ),
    SecretRule(
        id='age-secret-key',
        description='age encryption secret key (AGE-SECRET-KEY-1)',
        severity=_C,
        keywords=('age-secret-key-1',),
        prefilter='AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}',
        pattern='\\b(?P<secret>AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\\b',
        entropy=3.0,
        must_match=(
            'AGE-SECRET-KEY-1F6H5GRAEEEEX7ERVYDU284RXQFXHPYDCFSKH788LA77N9FX4S72PDHFPN9',
            'SOPS_AGE_KEY=AGE-SECRET-KEY-10GH7YQ7SWV77EFWFCQY2ZNP37CMEUGHXZGLDSMN6CK6W4P325XD3J8Y779',
        ),
        must_not_match=(
            '# public key: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
            'AGE-SECRET-KEY-1TOOSHORT',
        ),
    ),
    SecretRule(
        id='docker-hub-token',
        description='Docker Hub personal or organisation access token (dckr_pat_ / dckr_oat_)',
        severity=_H,
        keywords=('dckr_pat_', 'dckr_oat_'),
        prefilter='dckr_(pat|oat)_[A-Za-z0-9_-]{27}',
        pattern='\\b(?P<secret>dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,40})(?![A-Za-z0-9_-])',
        entropy=3.0,
        must_match=(
            'DOCKERHUB_TOKEN=dckr_pat_HUvTCQCyEZDz-TddJ8HyS5SUkCn',
            'password: dckr_oat_Q1w2E3r4T5y6U7i8O9p0AaSsDdF',
        ),
        must_not_match=('DOCKERHUB_TOKEN=dckr_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxx', 'dckr_pat_short'),
    ),
    SecretRule(
        id='atlassian-api-token',
        description='Atlassian (Jira/Confluence) API token (ATATT3)',
        severity=_H,
        keywords=('atatt3',),
        prefilter='ATATT3[A-Za-z0-9_=-]{150}',
        pattern='\\b(?P<secret>ATATT3[A-Za-z0-9_=-]{150,250})',
        entropy=3.5,
        must_match=(
            'JIRA_TOKEN=ATATT3xFfGF0D8zRA9a9SkpXz9w3QlY7Zkuvqdt7s8Stqcbnr3yBdGBLEPH1qhT61qtc4xatws8ph'
            'P9nhFyJfm5di4PzJ59FHz5r1pY4OjE2jBMptUsGr7CmY_uCu3ZR1zTOlUcR64cXQLioDnkHIfxIq2HZt-PlJhx2j'
            'IclHkCiHp6bR1IqfEouHgxzNNAL=E58B0810',
            '-u me@corp.io:ATATT3xFfGF0Q1w2E3r4T5y6U7i8O9p0AaSsDdFfGgHhJjKkLlZzXxCcVvBbNnMmQ1w2E3r4T5'
            'y6U7i8O9p0AaSsDdFfGgHhJjKkLlZzXxCcVvBbNnMmQ1w2E3r4T5y6U7i8O9p0AaSsDdFfGgHhJjKkLlZzXx=A1B'
            '2C3D4',
        ),
        must_not_match=('JIRA_TOKEN=ATATT3xxxx', 'ATATT3 tokens replace passwords'),
    ),
    SecretRule(
        id='postman-api-key',
        description='Postman API key (PMAK-)',
        severity=_H,
        keywords=('pmak-',),
        prefilter='PMAK-[0-9a-f]{24}-[0-9a-f]{34}',
        pattern='\\b(?P<secret>PMAK-[0-9a-f]{24}-[0-9a-f]{34})\\b',
        entropy=3.0,
        must_match=(
            'POSTMAN_API_KEY=PMAK-06f7e3dfc967a64cb14028d5-12c9791e558e08baa7196b50ac2f867028',
            '"value": "PMAK-5fc324bdb2e1142a21c40236-4f9572b85a8e48f687ab165c58ac5831be"',
        ),
        must_not_match=(
            'POSTMAN_API_KEY=PMAK-xxxx',
            'PMAK-000000000000000000000000-0000000000000000000000000000000000',
        ),
    ),
    SecretRule(
        id='sentry-auth-token',
        description='Sentry user or organisation auth token (sntryu_ / sntrys_)',
        severity=_H,
        keywords=('sntryu_', 'sntrys_'),
        prefilter='sntry[us]_[A-Za-z0-9+/=_-]{60}',
        pattern='\\b(?P<secret>sntryu_[0-9a-f]{64}|sntrys_[A-Za-z0-9+/=_-]{60,300})',
        entropy=3.0,
        must_match=(
            'token=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',
            'SENTRY_AUTH_TOKEN=sntrys_eyJpYXQiOjE3MDAwMDAwMDAsInVybCI6Imh0dHBzOi8vc2VudHJ5LmlvIn0_Q1w'
            '2E3r4T5y6U7i8O9p0AaSsDdFf',
        ),
        must_not_match=('SENTRY_AUTH_TOKEN=sntryu_xxx', 'sntryu_ is the prefix'),
    ),
    SecretRule(
        id='mapbox-secret-token',
        description='Mapbox secret access token (sk.eyJ)',
        severity=_H,
        keywords=('sk.eyj',),
        prefilter='sk\\.eyJ[A-Za-z0-9_-]{20}',
        pattern='\\b(?P<secret>sk\\.eyJ[A-Za-z0-9_-]{20,1000}\\.[A-Za-z0-9_-]{20,100})',
        must_match=(
            'MAPBOX_DOWNLOADS_TOKEN=sk.eyJ1IjoiHLBkbvHEzuPyXQEW88ad3DNBYjvsedonuSsddfrf.ifiUziXnFAAoeelK9mqmAL',
            'password sk.eyJ1IjoiQ1w2E3r4T5y6U7i8O9p0AaSsDdFfGg.Hh7JjKkLlZzXxCcVvBbNnMm',
        ),
        must_not_match=(
            "mapboxgl.accessToken = 'pk.eyJ1IjoiOR2HcSGKgVP8Kd0d3mS8gBlKv3azKgaS.KBD-vok_nPTmZYl2dVAMH2'",
            'sk.eyJshort',
        ),
    ),
    SecretRule(
        id='mapbox-public-token',
        description='Mapbox public token (pk.eyJ): public by design, scope it with URL restrictions',
        severity=_I,
        public=True,
        keywords=('pk.eyj',),
        prefilter='pk\\.eyJ[A-Za-z0-9_-]{20}',
        pattern='\\b(?P<secret>pk\\.eyJ[A-Za-z0-9_-]{20,1000}\\.[A-Za-z0-9_-]{20,100})',
        must_match=(
            "mapboxgl.accessToken = 'pk.eyJ1IjoiOR2HcSGKgVP8Kd0d3mS8gBlKv3azKgaS.KBD-vok_nPTmZYl2dVAMH2'",
            'MAPBOX=pk.eyJ1IjoiQ1w2E3r4T5y6U7i8O9p0AaSsDdFfGg.Hh7JjKkLlZzXxCcVvBbNnMm',
        ),
        must_not_match=('sk.eyJ1IjoiHLBkbvHEzuPyXQEW88ad3DNBYjvsedonuSsddfrf.ifiUziXnFAAoeelK9mqmAL', 'pk.eyJshort'),
    ),
    SecretRule(
        id='google-oauth-client-secret',
        description='Google OAuth client secret (GOCSPX-)',
        severity=_H,
        keywords=('gocspx-',),
        prefilter='GOCSPX-[A-Za-z0-9_-]{28}',
        pattern='\\b(?P<secret>GOCSPX-[A-Za-z0-9_-]{28})(?![A-Za-z0-9_-])',
        entropy=3.0,
        must_match=(
            'GOOGLE_CLIENT_SECRET=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',
            '"client_secret": "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"',
        ),
        must_not_match=('GOOGLE_CLIENT_SECRET=GOCSPX-xxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'GOCSPX-short'),
    ),
    SecretRule(
        id='fcm-server-key',
        description='Firebase Cloud Messaging legacy server key (AAAA...:APA91b)',
        severity=_H,
        keywords=('apa91b',),
        prefilter='AAAA[A-Za-z0-9_-]{7}:APA91b',
        pattern='\\b(?P<secret>AAAA[A-Za-z0-9_-]{7}:APA91b[A-Za-z0-9_-]{100,200})',
        entropy=3.5,
        must_match=(
            'FCM_SERVER_KEY=AAAAUqJoUD-:APA91b_Ydua_5ZMs1SWOpQaPRYpzbLGViYXjU2JgJngKtFI3OyV2dZAkg05rK'
            '_gqv81RKMGHZEM9YpvujA-C5Q52ryFlwRlOEVHzc0X0AWIRh-JUqBlIFXZ53Ncqe28_ajY75FnCttn6',
            'fcm.serverKey=AAAAQ1w2E3r:APA91bQ1w2E3r4T5y6U7i8O9p0AaSsDdFfGgHhJjKkLlZzXxCcVvBbNnMmQ1w2'
            'E3r4T5y6U7i8O9p0AaSsDdFfGgHhJjKkLlZzXxCcVvBbNnMmQ1w2E3r4T5y6U7i8O9p0AaSsDdFfGg',
        ),
        must_not_match=('FCM_SERVER_KEY=AAAA:APA91b...', 'AAAAxxxxxxx:APA91bshort'),
    ),
    SecretRule(
        id='shopify-token',
        description='Shopify access, custom-app, partner or shared-secret token (shpat_ / shpca_ / shppa_ / shpss_)',
        severity=_C,
        keywords=('shpat_', 'shpca_', 'shppa_', 'shpss_'),
        prefilter='shp(at|ca|pa|ss)_[a-fA-F0-9]{32}',
        pattern='\\b(?P<secret>shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})\\b',
        entropy=3.0,
        must_match=(
            'SHOPIFY_ACCESS_TOKEN=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',
            "'X-Shopify-Access-Token': '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'",
        ),
        must_not_match=('SHOPIFY_ACCESS_TOKEN=shpat_00000000000000000000000000000000', 'shpat_short'),
    ),
    SecretRule(
        id='telegram-bot-token',
        description='Telegram bot token (<bot id>:AA...)',
        severity=_H,
        keywords=('telegram', ':aa'),
        prefilter=':AA[A-Za-z0-9_-]{33}',
        pattern='\\b(?P<secret>\\d{8,10}:AA[A-Za-z0-9_-]{33})(?![A-Za-z0-9_-])',
        entropy=3.5,
        must_match=(
            'TELEGRAM_BOT_TOKEN=6037614365:AAD-eR1UYzaLiA-zNyD7CHLn-xC_1hsYgBd',
            "bot = Bot('5123456789:AAQ1w2E3r4T5y6U7i8O9p0AaSsDdFfGgHhJ')",
        ),
        must_not_match=('TELEGRAM_BOT_TOKEN=123:AAshort', 'time 12345678:AA'),
    ),
    SecretRule(
        id='digitalocean-token',
        description='DigitalOcean personal, OAuth or refresh token (dop_v1_ / doo_v1_ / dor_v1_)',
        severity=_C,
        keywords=('dop_v1_', 'doo_v1_', 'dor_v1_'),
        prefilter='do[por]_v1_[a-f0-9]{64}',
        pattern='\\b(?P<secret>do[por]_v1_[a-f0-9]{64})\\b',
        entropy=3.0,
        must_match=(
            'DIGITALOCEAN_TOKEN=dop_v1_4d115cea325a65e19cbae530282bd36cb9d21f6be6abf0d7c1c1e21862ab8a18',
            'token = "doo_v1_5fc324bdb2e1142a21c402364f9572b85a8e48f687ab165c58ac5831be38cb8c"',
        ),
        must_not_match=(
            'DIGITALOCEAN_TOKEN=dop_v1_0000000000000000000000000000000000000000000000000000000000000000',
            'dop_v1_short',
        ),
    ),
    SecretRule(
        id='linear-api-key',
        description='Linear API key (lin_api_)',
        severity=_H,
        keywords=('lin_api_',),
        prefilter='lin_api_[A-Za-z0-9]{40}',
        pattern='\\b(?P<secret>lin_api_[A-Za-z0-9]{40})\\b',
        entropy=3.0,
        must_match=(
            'LINEAR_API_KEY=lin_api_VTSu7rtaUWM6ZO88eb0ogET9D9XyYq6B0Fi7FlaZ',
            "apiKey: 'lin_api_Q1w2E3r4T5y6U7i8O9p0AaSsDdFfGgHhJjKkLlZz'",
        ),
        must_not_match=('LINEAR_API_KEY=lin_api_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'lin_api_short'),
    ),
    SecretRule(
        id='supabase-secret-key',
        description='Supabase secret API key (sb_secret_): bypasses row-level security',
        severity=_C,
        keywords=('sb_secret_',),
        prefilter='sb_secret_[A-Za-z0-9_-]{20}',
        pattern='\\b(?P<secret>sb_secret_[A-Za-z0-9_-]{20,80})',
        entropy=3.0,
        must_match=(
            'SUPABASE_SECRET_KEY=sb_secret_MtEPO6UkzYuF0ie9Pu2njHkAm1-5wDr1',
            "createClient(url, 'sb_secret_Q1w2E3r4T5y6U7i8O9p0AaSsDd')",
        ),
        must_not_match=('SUPABASE_SECRET_KEY=sb_secret_xxxxxxxxxxxxxxxxxxxxxxxx', 'sb_secret_short'),
    ),
    SecretRule(
        id='supabase-access-token',
        description='Supabase personal access token (sbp_): manages every project of the account',
        severity=_C,
        keywords=('sbp_',),
        prefilter='sbp_[a-f0-9]{40}',
        pattern='\\b(?P<secret>sbp_[a-f0-9]{40})\\b',
        entropy=3.0,
        must_match=(
            'SUPABASE_ACCESS_TOKEN=sbp_e739988b886e7577496a2c8773e130f7eb197316',
            'supabase login --token sbp_5fc324bdb2e1142a21c402364f9572b85a8e48f6',
        ),
        must_not_match=('SUPABASE_ACCESS_TOKEN=sbp_0000000000000000000000000000000000000000', 'sbp_short'),
    ),
    SecretRule(
        id='ai-provider-key',
        description='AI provider key with a documented prefix: OpenRouter (sk-or-v1-), Perplexity (pplx-), xAI (xai-)',
        severity=_H,
        keywords=('sk-or-v1-', 'pplx-', 'xai-'),
        prefilter='(sk-or-v1-[a-f0-9]{64}|pplx-[A-Za-z0-9]{48}|xai-[A-Za-z0-9]{80})',
        pattern='\\b(?P<secret>sk-or-v1-[a-f0-9]{64}|pplx-[A-Za-z0-9]{48}|xai-[A-Za-z0-9]{80})\\b',
        entropy=3.0,
        must_match=(
            'OPENROUTER_API_KEY=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',
            'PERPLEXITY_API_KEY=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',
            'XAI_API_KEY=xai-f5TNS05kOY2oNzN2m1ElKncz8HkywhjpU05mc4J1WRcQ1uhyMDJ2OXtPAtLpByQxCGClbaNFDpCWNX0D',
        ),
        must_not_match=('OPENROUTER_API_KEY=sk-or-v1-xxx', 'pplx-short'),
    ),
    SecretRule(
        id='brevo-api-key',
        description='Brevo (Sendinblue) API key (xkeysib-)',
        severity=_H,
        keywords=('xkeysib-',),
        prefilter='xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}',
        pattern='\\b(?P<secret>xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16})\\b',
        entropy=3.0,
        must_match=(
            'BREVO_API_KEY=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',
            "'api-key': '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'",
        ),
        must_not_match=('BREVO_API_KEY=xkeysib-xxx', 'xkeysib-short'),
    ),
    SecretRule(
        id='grafana-token',
        description='Grafana service-account or Cloud token (glsa_ / glc_)',
        severity=_H,
        keywords=('glsa_', 'glc_'),
        prefilter='(glsa_[A-Za-z0-9]{32}_[a-f0-9]{8}|glc_[A-Za-z0-9+/=]{32})',
        pattern='\\b(?P<secret>glsa_[A-Za-z0-9]{32}_[a-f0-9]{8}|glc_[A-Za-z0-9+/]{32,400}={0,2})',
        entropy=3.0,
        must_match=(
            'GRAFANA_TOKEN=glsa_HqtO93L7Q5uUaVcojsNOBAGx5diFoNPc_010b93b7',
            'GRAFANA_CLOUD_TOKEN=glc_eyJvIjoiMTIzNDU2IiwibiI6InN0YWNrLTEyMzQ1Ni1obS1yZWFkIiwiayI6IlEx'
            'dzJFM3I0VDV5NlU3aTgifQ==',
        ),
        must_not_match=('GRAFANA_TOKEN=glsa_xxxx', 'glc_short'),
    ),
    SecretRule(
        id='newrelic-user-key',
        description='New Relic user API key (NRAK-)',
        severity=_H,
        keywords=('nrak-',),
        prefilter='NRAK-[A-Z0-9]{27}',
        pattern='\\b(?P<secret>NRAK-[A-Z0-9]{27})\\b',
        entropy=3.0,
        must_match=('NEW_RELIC_API_KEY=NRAK-0TINX4KIAPJ2GEJRZQAD9W275PK', "apiKey: 'NRAK-Q1W2E3R4T5Y6U7I8O9P0ASDFGHJ'"),
        must_not_match=('NEW_RELIC_API_KEY=NRAK-XXXXXXXXXXXXXXXXXXXXXXXXXXX', 'NRAK-SHORT'),
    ),
    SecretRule(
        id='pulumi-access-token',
        description='Pulumi access token (pul-)',
        severity=_H,
        keywords=('pul-',),
        prefilter='pul-[a-f0-9]{40}',
        pattern='\\b(?P<secret>pul-[a-f0-9]{40})\\b',
        entropy=3.0,
        must_match=(
            'PULUMI_ACCESS_TOKEN=pul-0110c57513064d6d59291f0cde2e5738713a818d',
            'token: pul-5fc324bdb2e1142a21c402364f9572b85a8e48f6',
        ),
        must_not_match=('PULUMI_ACCESS_TOKEN=pul-0000000000000000000000000000000000000000', 'pul-short'),
    ),
    SecretRule(
        id='discord-webhook-url',
        description='Discord webhook URL (anyone holding it can post to the channel)',
        severity=_M,
        keywords=('discord',),
        prefilter='discord(app)?\\.com/api/webhooks/[0-9]{17}',
        pattern='(?P<secret>https://(?:ptb\\.|canary\\.)?discord(?:app)?\\.com/api/webhooks/\\d{17,20}/[A-Za-'
                'z0-9_-]{60,80})',
        entropy=3.5,
        must_match=(
            'DISCORD_WEBHOOK=https://discord.com/api/webhooks/882637289905958278/Pv74GDqQ7EyIMttFPSuE'
            'PyHnvnzXtsMM3JznnJAX7ebZ3CL7csGZaF31DDxp63OHm1FZ',
            'url: https://discordapp.com/api/webhooks/123456789012345678/Q1w2E3r4T5y6U7i8O9p0AaSsDdFf'
            'GgHhJjKkLlZzXxCcVvBbNnMmQ1w2E3r4T5y6U7i8',
        ),
        must_not_match=(
            'see https://discord.com/api/webhooks/<id>/<token>',
            'DISCORD_WEBHOOK=https://discord.com/api/webhooks/123/abc',
        ),
    ),
    SecretRule(
        id='azure-ad-client-secret',
        description='Microsoft Entra ID (Azure AD) client secret (the Q~ format)',
        severity=_H,
        keywords=('q~',),
        prefilter='[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31}',
        pattern='(?<![A-Za-z0-9_~.-])(?P<secret>[A-Za-z0-9_~.]{3}\\dQ~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])',
        entropy=3.5,
        must_match=(
            'AZURE_CLIENT_SECRET=TTO8Q~uG296c0xPbX_neGBuzSm6A8-cVR06AxY-p',
            '"clientSecret": "abc7Q~Q1w2E3r4T5y6U7i8O9p0AaSsDdFfGgHh"',
        ),
        must_not_match=('AZURE_CLIENT_SECRET=<secret>', 'path/to/Q~file'),
    ),
    SecretRule(
        id='figma-token',
        description='Figma personal access token (figd_)',
        severity=_H,
        keywords=('figd_',),
        prefilter='figd_[A-Za-z0-9_-]{40}',
        pattern='\\b(?P<secret>figd_[A-Za-z0-9_-]{40,43})(?![A-Za-z0-9_-])',
        entropy=3.0,
        must_match=(
            'FIGMA_TOKEN=figd_tAZvlMz-Bk4opH1Dr8-h97s_F-vauP7-L7V21jxU',
            "'X-Figma-Token': 'figd_Q1w2E3r4T5y6U7i8O9p0AaSsDdFfGgHhJjKkLlZz'",
        ),
        must_not_match=('FIGMA_TOKEN=figd_xxxx', 'figd_short'),
    ),
    SecretRule(
        id='planetscale-token',
        description='PlanetScale service token or database password (pscale_tkn_ / pscale_pw_)',
        severity=_C,
        keywords=('pscale_tkn_', 'pscale_pw_', 'pscale_oauth_'),
        prefilter='pscale_(tkn|pw|oauth)_[A-Za-z0-9_=.-]{32}',
        pattern='\\b(?P<secret>pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_=.-]{32,64})',
        entropy=3.0,
        must_match=(
            'PLANETSCALE_SERVICE_TOKEN=pscale_tkn_OPbbNcRV7vZ_gGEFW5jcnTAOivg3QxvEXHJX6nsBvBq',
            'DATABASE_PASSWORD=pscale_pw_Q1w2E3r4T5y6U7i8O9p0AaSsDdFfGgHhJj',
        ),
        must_not_match=('PLANETSCALE_SERVICE_TOKEN=pscale_tkn_xxxx', 'pscale_pw_short'),
    ),
    SecretRule(
        id='mailchimp-api-key',
        description='Mailchimp API key (32 hex + datacenter suffix) next to mailchimp',
        severity=_H,
        keywords=('mailchimp', '-us'),
        prefilter='[0-9a-f]{32}-us[0-9]{1,2}',
        pattern='\\b(?P<secret>[0-9a-f]{32}-us\\d{1,2})\\b',
        entropy=3.0,
        must_match=(
            'MAILCHIMP_API_KEY=5f08b79affd2b49c12a4b0062983475e-us12',
            "apiKey: '4d115cea325a65e19cbae530282bd36c-us6'",
        ),
        must_not_match=('MAILCHIMP_API_KEY=00000000000000000000000000000000-us1', 'region-us1'),
    ),
    SecretRule(
        id="datadog-key",
        description="Datadog API key (32 hex) or application key (40 hex) under a Datadog name, on its line or a "
        "parent key above (Helm values, nested config)",
        severity=_H,
        keywords=("api_key", "apikey", "api-key", "app_key", "appkey", "app-key", "application_key",
                  "applicationkey"),
        prefilter=r"(?i)(api|app(lication)?)[_-]?key",
        pattern=r"(?i)(?:api|app(?:lication)?)[_-]?key[\"']?\s{0,5}(?:=|:|=>)\s{0,5}[\"']?"
        r"(?P<secret>[0-9a-f]{40}|[0-9a-f]{32})\b",
        context=r"(?i)datadog|\bdd[_-]",
        entropy=3.0,
        must_match=(
            "DD_API_KEY=4d115cea325a65e19cbae530282bd36c",
            "datadog_app_key: b188cc102ddb8379c7ce65426f74bde94fb78c8d",
        ),
        must_not_match=("DD_API_KEY=${DD_API_KEY}", "DD_SITE=datadoghq.eu", "DD_API_KEY=" + "0" * 32),
    ),
    SecretRule(
        id="revenuecat-public-key",
        description="RevenueCat public SDK key (appl_ / goog_ / amzn_): public by design, ships in the app",
        severity=_I,
        public=True,
        keywords=("appl_", "goog_", "amzn_"),
        prefilter=r"(appl|goog|amzn)_[A-Za-z0-9]{20}",
        pattern=r"\b(?P<secret>(?:appl|goog|amzn)_[A-Za-z0-9]{20,40})\b",
        must_match=('Purchases.configure(withAPIKey: "appl_Qm7vX2kLp9RtZ4nB8cJ1wEaZ")',
                    "REVENUECAT_ANDROID_KEY=goog_Zq8vL2pR7mW4xTe1Hy6uQmPs"),
        must_not_match=("appl_short", "def goog_helper_function_name(): pass"),
    ),
    SecretRule(
        id="dotenv-secret",
        description="Secret-named variable with a literal value in a committed .env file",
        severity=_H,
        keywords=("secret", "token", "pass", "pwd", "key", "auth", "credential"),
        paths=r"(?:^|/)\.env(?:\.(?!example$|sample$|template$|dist$|defaults$|schema$)[\w.-]+)?$",
        prefilter=r"(?i)(secret|token|pass|pwd|key|auth|credential)[A-Za-z0-9_]{0,40}\s{0,5}=\s{0,5}[^\s#]{8}",
        pattern=r"(?i)^\s*(?:export\s+)?(?!(?:NEXT_PUBLIC|VITE|REACT_APP|EXPO_PUBLIC|NUXT_PUBLIC)_)(?![\w.]*public)"
        r"[A-Za-z0-9_.]{0,60}(?:secret|token|passw(?:or)?d|pass|pwd|api_?key|private_?key|access_?key|auth"
        r"|credentials?|_key)[A-Za-z0-9_]{0,40}\s{0,5}=\s{0,5}(?P<q>[\"']?)(?!https?://|/|\./|\$)"
        r"(?P<secret>[^\s\"'#]{8,512})(?P=q)\s*(?:#.*)?$",
        confirm=_not_identifier,
        entropy=3.0,
        must_match=("STRIPE_WEBHOOK_SECRET=whsec_Qm7vX2kLp9RtZ4nB8cJ1", 'DB_PASSWORD="Zq8vL2pR7mW4xTe1"'),
        must_not_match=(
            "DB_PASSWORD=", "API_KEY=${API_KEY}", "NEXT_PUBLIC_MAPS_KEY=Qm7vX2kLp9RtZ4nB8cJ1",
            "AUTH_URL=https://example.com/auth", "KEY_PATH=/etc/ssl/private/app.key", "SECRET_KEY=changeme",
        ),
    ),
    SecretRule(
        id="config-secret-assignment",
        description="High-entropy unquoted value of a secret-named key in a YAML/INI/properties/TOML config file",
        severity=_M,
        keywords=("secret", "token", "passw", "pwd", "api_key", "apikey", "api-key", "access_key", "accesskey",
                  "private_key", "privatekey", "auth_key", "credential"),
        paths=r"\.(?:ya?ml|ini|cfg|conf|properties|toml)$",
        prefilter=r"(?i)(secret|token|passw|pwd|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?key"
        r"|credential)[\w.-]{0,30}\s{0,3}(=|:)\s{0,3}[^\s\"'`#{}\[\]$<>]{12}",
        pattern=r"(?i)^\s*-?\s*[\w.-]{0,40}(?:secret|token|passw(?:or)?d|pwd|api[_-]?key|access[_-]?key"
        r"|private[_-]?key|auth[_-]?key|credential)s?[\w.-]{0,30}"
        r"(?<!id)(?<!name)(?<!url)(?<!uri)(?<!path)(?<!type)(?<!file)(?<!length)(?<!header)(?<!field)"
        r"(?<!param)(?<!prefix)(?<!label)(?<!selector)\s{0,3}(?:=|:)\s{0,3}"
        r"(?=\S*[A-Za-z])(?=\S*\d|\S*[a-z]\S*[A-Z]|\S*[A-Z]\S*[a-z])(?P<secret>[^\s\"'`#{}\[\]$<>]{12,512})\s*(?:#.*)?$",
        confirm=_not_identifier,
        entropy=3.5,
        must_match=("  client_secret: Qm7vX2kLp9RtZ4nB8cJ1wE", "api.token = Zq8vL2pR7mW4xTe1Hy6u"),
        must_not_match=(
            "  token: ${{ secrets.DEPLOY_TOKEN }}", "password: ${DB_PASSWORD}", "token_url: https://x.io/oauth",
            "secret_name: my-app-database-credentials",
        ),
    ),
    SecretRule(
        id="npmrc-auth-token",
        description="Registry auth token in a committed .npmrc",
        severity=_C,
        keywords=("_auth",),
        paths=r"(?:^|/)\.npmrc$",
        prefilter=r"(?i)_auth(token)?\s{0,3}=",
        pattern=r"(?i)_auth(?:Token)?\s{0,3}=\s{0,3}[\"']?(?P<secret>[^\s\"'$]{8,512})",
        entropy=3.0,
        must_match=("//registry.npmjs.org/:_authToken=Qm7vX2kLp9RtZ4nB8cJ1wE", "_auth = dXNlcjpaOHZMMnBSN213NHhU"),
        must_not_match=("//registry.npmjs.org/:_authToken=${NPM_TOKEN}", "always-auth=true"),
    ),
    SecretRule(
        id="pypirc-password",
        description="Upload password or token in a committed .pypirc",
        severity=_C,
        keywords=("password",),
        paths=r"(?:^|/)\.pypirc$",
        prefilter=r"(?i)password\s{0,3}[=:]",
        pattern=r"(?i)^\s*password\s{0,3}[=:]\s{0,3}(?P<secret>[^\s$%]\S{5,511})",
        entropy=2.5,
        must_match=("password = Zq8vL2pR7mW4xTe1", "password: pypi-Zq8vL2pR7mW4xTe1Hy6u"),
        must_not_match=("password = %(PYPI_PASSWORD)s", "password ="),
    ),
    SecretRule(
        id="rails-master-key",
        description="Rails master key (decrypts config/credentials.yml.enc)",
        severity=_C,
        keywords=(),
        paths=r"(?:^|/)config/(?:master|credentials/[\w-]+)\.key$",
        prefilter=r"^\+?\s*[0-9a-f]{32}\s*$",
        pattern=r"^\s*(?P<secret>[0-9a-f]{32})\s*$",
        entropy=3.0,
        must_match=("ee737443e210471948d33296c87009e8", "a7f770d9106fd287db7f1adbc60926f6\n"),
        must_not_match=("00000000000000000000000000000000", "key = ee737443e210471948d33296c87009e8"),
    ),
    SecretRule(
        id="url-credentials",
        description="Password or token inside an https URL (.git-credentials, clone URLs, webhook URLs)",
        severity=_H,
        keywords=("http",),
        prefilter=r"https?://[^:/@\s\"']{1,100}:[^@/\s\"']{8,200}@",
        pattern=r"\bhttps?://(?P<user>[^:/@\s\"'$]{1,100}):(?P<secret>[^@/\s\"'$]{8,200})"
        r"@(?P<host>[\w.-]{1,253})",
        confirm_match=_remote_credential,
        entropy=3.0,
        must_match=("https://deploy:Zq8vL2pR7mW4xTe1Hy6u@git.example.org/app.git",
                    "https://x-access-token:ghs_Q1w2E3r4T5y6U7i8O9p0AaSsDdFfGgHhJjKk@github.com/o/r"),
        must_not_match=("https://user:password@example.com", "https://user:${TOKEN}@host.io",
                        "https://user:pass@localhost:8080"),
    ),
    SecretRule(
        id="named-above-secret",
        description="High-entropy value whose secret-like name is on the line above (Terraform variable default, "
        "plist key/string, Postman key/value)",
        severity=_M,
        keywords=("default", "<string>", "value"),
        paths=r"\.(?:tf|tfvars|hcl|plist|xml|json)$",
        prefilter=r"(?i)(default\s{0,5}=\s{0,5}\"|<string>|\"value\"\s{0,5}:\s{0,5}\")[!#-&(-;=?-~]{12}",
        pattern=r"(?i)(?:^\s*default\s{0,5}=\s{0,5}\"|<string>|\"value\"\s{0,5}:\s{0,5}\")(?!\$\{|\{\{)"
        r"(?P<secret>[!#-&(-;=?-~]{12,512})(?:\"|</string>)",
        context=r"(?i)(?:variable\s+\"|<key>|\"key\"\s{0,5}:\s{0,5}\")[\w.-]{0,40}(?:secret|token|passw(?:or)?d|pwd"
        r"|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?key|credential|bearer)[\w.-]{0,30}(?:\"|</key>)",
        entropy=3.5,
        confirm=_not_identifier,
        must_match=('  default     = "Zq8vL2pR7mW4xTe1Hy6u"', "\t<string>Qm7vX2kLp9RtZ4nB8cJ1wE</string>"),
        must_not_match=('  default = "us-east-1"', '  "value": "{{api_token}}",'),
    ),
    SecretRule(
        id="generic-secret-assignment",
        description="High-entropy quoted literal assigned to a secret-like name",
        severity=_M,
        keywords=("secret", "token", "passw", "pwd", "api_key", "apikey", "api-key", "access_key", "accesskey",
                  "private_key", "privatekey", "auth_key", "credential", "encryption", "signing", "master_key",
                  "masterkey", "master-key", "hmac"),
        prefilter=r"(?i)(secret|token|passw(or)?d|pwd|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?key"
        r"|credential|(encryption|signing|master|hmac)[_-]?key)s?\w{0,30}[\"']?\s{0,5}(=|:=|:|=>)\s{0,5}"
        r"(\[\]byte\()?[\"'`]"
        r"[^\"'`\s]{12}",
        pattern=r"(?i)(?:secret|token|passw(?:or)?d|pwd|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?key"
        r"|credential|(?:encryption|signing|master|hmac)[_-]?key)s?\w{0,30}"
        r"(?<!id)(?<!name)(?<!url)(?<!uri)(?<!path)(?<!type)(?<!file)(?<!length)(?<!header)(?<!field)"
        r"(?<!param)(?<!prefix)(?<!label)(?<!selector)[\"']?\s{0,5}(?:=|:=|:|=>)\s{0,5}(?:\[\]byte\()?"
        r"(?P<q>[\"'`])(?!" + _UUID + r"[\"'`])(?![./~]|sha\d{3}-|https?://)"
        r"(?P<secret>[^\"'`\s]{12,512})(?P=q)",
        confirm=_not_identifier,
        entropy=3.5,
        # A value that names a password field is a form selector or a label, not a credential.
        stopwords=("password", "passwd"),
        must_match=(
            'client_secret = "FAKE8rESQedUStPKR0CsTy4Qwb8DwkNh"',
            "  apiKey: 'FakeFdnXsiVpzz63FfkCzJr4i0B3JrTA',",
            '"db_password": "Zq8#vL2!pR7mW4xT"',
            'ENCRYPTION_KEY = "q7LmZ2xV9pKd4RtYb8NcW1sHf6Jg3UaE0oPiQyTz5Xw="',
            "const INTERNAL_API_TOKEN = '36cb9d21f6be6abf0d7c1c1e21862ab8a18a8902';",
        ),
        must_not_match=(
            "password = 'changeme'",
            'api_key = "your-api-key-here"',
            'token = "${API_TOKEN}"',
            'csrf_token = "aaaaaaaaaaaaaaaaaaaa"',
            '"key": "ctrl+shift+down"',
            'passwordSelector: "input[name=password]"',
            'session_token = "1f2e3d4c-5b6a-4789-8abc-def012345678"',
            'secret_path = "/etc/secrets/database/credentials.json"',
        ),
    ),
)
