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
    # Extra confirmation the format alone cannot give (e.g. a JWT's role claim).
    confirm: Callable[[str], bool] | None = field(default=None, compare=False)
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
    r"|example|xxxx|\*\*\*|\.\.\.|^process\.env|^os\.environ|^env\(",
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
    """`TWO_FACTOR_MISSING_SECRET`, `send-2fa-token-email`, `sb-auth-token`: names, error codes and cookie keys
    made of words, which secret-named variables often hold. A random token has long mixed segments instead."""
    parts = [p for p in _SEGMENTS.split(value) if p]
    if len(parts) < 2 and not value.isalpha():
        return False
    return all(p.isalpha() or len(p) <= 3 for p in parts)


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
        if not value or (rule.entropy is not None and shannon_entropy(value) < rule.entropy):
            continue
        if is_placeholder(value) or (rule.confirm is not None and not rule.confirm(value)):
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
        pattern=r"^(?=.{0,2000}\"type\"\s{0,5}:\s{0,5}\"service_account\").{0,20000}?\"private_key\"\s{0,5}:"
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
        id="google-api-key",
        description="Google API key (AIza...) outside Firebase web config",
        severity=_H,
        keywords=("aiza",),
        prefilter='AIza[0-9A-Za-z_-]{35}',
        pattern=r"^(?!.{0,500}(?:\bapiKey\s{0,5}:|firebase|FIREBASE|Firebase)).{0,20000}?\b"
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
        pattern=r"^(?=.{0,500}(?:\bapiKey\s{0,5}:|firebase|FIREBASE|Firebase)).{0,20000}?\b"
        r"(?P<secret>AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])",
        must_match=(f'  apiKey: "{_GOOGLE_KEY}",', f"NEXT_PUBLIC_FIREBASE_API_KEY={_GOOGLE_KEY2}"),
        must_not_match=(f"GOOGLE_MAPS_KEY={_GOOGLE_KEY}", '  apiKey: "AIzaTooShort",'),
    ),
    SecretRule(
        id="google-ai-api-key",
        description="Google AI Studio / Gemini API key (AIza... in a Gemini or generative-language context)",
        severity=_H,
        keywords=("gemini", "generativelanguage", "google_ai", "genai", "google_generative_ai"),
        prefilter='AIza[0-9A-Za-z_-]{35}',
        pattern=r"(?i)^(?=.{0,500}(?:gemini|generativelanguage|google_ai|genai|google_generative_ai)).{0,20000}?\b"
        r"(?P<secret>AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])",
        must_match=(f"GEMINI_API_KEY={_GOOGLE_KEY}", f'genai.configure(api_key="{_GOOGLE_KEY2}")'),
        must_not_match=("GEMINI_API_KEY=${GEMINI_API_KEY}", f"MAPS_KEY={_GOOGLE_KEY}"),
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
        pattern=r"(?i)^(?=.{0,500}(?:twilio|\bAC[0-9a-f]{32}\b)).{0,2000}?auth[_-]?token[\"']?\s{0,5}(?:=|:|=>|,)"
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
        description="Postmark server or account token (a UUID next to postmark)",
        severity=_H,
        keywords=("postmark",),
        prefilter='(?i)postmark',
        pattern=r"(?i)^(?=.{0,500}postmark).{0,2000}?\b(?P<secret>" + _UUID + r")\b",
        entropy=3.0,
        must_match=(
            "POSTMARK_SERVER_TOKEN=1f2e3d4c-5b6a-4789-8abc-def012345678",
            "postmark: { token: '9a8b7c6d-5e4f-4321-9fed-cba987654321' }",
        ),
        must_not_match=(
            "REQUEST_ID=1f2e3d4c-5b6a-4789-8abc-def012345678",
            "POSTMARK_SERVER_TOKEN=00000000-0000-0000-0000-000000000000",
        ),
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
        prefilter='(?i)(postgres|mysql|mariadb|mongodb|redis|amqp)[a-z0-9+_]{0,25}://[^:/@\\s"\']{0,100}:[^@/\\s"\']{3,200}@',
        pattern=r"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?)(?:\+\w{1,20})?://"
        r"[^:/@\s\"']{0,100}:(?P<secret>[^@/\s\"']{3,200})@[\w.-]{1,253}",
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
        id="dotenv-secret",
        description="Secret-named variable with a literal value in a committed .env file",
        severity=_H,
        keywords=("secret", "token", "pass", "pwd", "key", "auth", "credential"),
        paths=r"(?:^|/)\.env(?:\.(?!example$|sample$|template$|dist$|defaults$|schema$)[\w.-]+)?$",
        prefilter=r"(?i)(secret|token|pass|pwd|key|auth|credential)[A-Za-z0-9_]{0,40}\s{0,5}=\s{0,5}[^\s#]{8}",
        pattern=r"(?i)^\s*(?:export\s+)?(?!(?:NEXT_PUBLIC|VITE|REACT_APP|EXPO_PUBLIC|PUBLIC|NUXT_PUBLIC)_)"
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
        r"|private[_-]?key|auth[_-]?key|credential)s?[\w.-]{0,30}\s{0,3}(?:=|:)\s{0,3}"
        r"(?=\S*\d)(?=\S*[A-Za-z])(?P<secret>[^\s\"'`#{}\[\]$<>]{12,512})\s*(?:#.*)?$",
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
        prefilter=r"^\+?[0-9a-f]{32}\s*$",
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
        pattern=r"\bhttps?://(?P<user>[^:/@\s\"'$]{1,100}):(?P<secret>[^@/\s\"'$]{8,200})@[\w.-]{1,253}",
        entropy=3.0,
        must_match=("https://deploy:Zq8vL2pR7mW4xTe1Hy6u@git.example.org/app.git",
                    "https://x-access-token:ghs_Q1w2E3r4T5y6U7i8O9p0AaSsDdFfGgHhJjKk@github.com/o/r"),
        must_not_match=("https://user:password@example.com", "https://user:${TOKEN}@host.io",
                        "https://user:pass@localhost:8080"),
    ),
    SecretRule(
        id="generic-secret-assignment",
        description="High-entropy quoted literal assigned to a secret-like name",
        severity=_M,
        keywords=("secret", "token", "passw", "pwd", "api_key", "apikey", "api-key", "access_key", "accesskey",
                  "private_key", "privatekey", "auth_key", "credential", "encryption", "signing", "master_key",
                  "masterkey", "master-key", "hmac"),
        prefilter=r"(?i)(secret|token|passw(or)?d|pwd|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?key"
        r"|credential|(encryption|signing|master|hmac)[_-]?key)s?\w{0,30}[\"']?\s{0,5}(=|:=|:|=>)\s{0,5}[\"'`]"
        r"[^\"'`\s]{12}",
        pattern=r"(?i)(?:secret|token|passw(?:or)?d|pwd|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?key"
        r"|credential|(?:encryption|signing|master|hmac)[_-]?key)s?\w{0,30}[\"']?\s{0,5}(?:=|:=|:|=>)\s{0,5}"
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
