"""Redaction before hashing: no whole secret ever enters the journal.

The agent hook redacts every tool call, so this must not import the secrets engine (~65 ms); it carries its own
compact patterns written from the same documented token formats as handrail.secrets.rules (a test replays every
rule's own examples through `redact_text` to keep the two in step) plus two safety nets: secret-named assignments
and long random-looking tokens. The patterns compile on first use (~1 ms).
"""

from __future__ import annotations

import math
import re
from collections import Counter

from handrail.journal.chain import sha256

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from typing import Any

MAX_TEXT = 2000  # characters of one string kept in a payload
MAX_SUMMARY = 300
MAX_ITEMS = 200  # list items / dict keys kept per container
MAX_DEPTH = 12
MASK = "[redacted]"
CUT = "…"

_SECRET_KEY = (r"passw(?:or)?d|passwd|pwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|accountkey"
               r"|private[_-]?key|auth[_-]?key|credentials?|client[_-]?secret|signing[_-]?key|master[_-]?key"
               r"|encryption[_-]?key|hmac|app[_-]?key|session[_-]?key|jwt[_-]?key|cookie|authorization|x-api-key"
               r"|dsn|connection[_-]?string|database[_-]?url|auth")
# A payload key is secret-named when one of its words is a secret word: `password`, `DB_PASSWORD`, `apiKey`,
# `x-api-key`; `max_tokens`, `token_usage.input_tokens` and `author` are not.
_KEY_HINTS = ("pass", "pwd", "secret", "token", "key", "credential", "hmac", "cookie", "auth", "dsn", "connection",
              "database")
_KEY_RX: re.Pattern[str] | None = None


def _key_rx() -> re.Pattern[str]:
    global _KEY_RX
    if _KEY_RX is None:
        _KEY_RX = re.compile(r"(?i)(?:^|[_\-.\s]|(?<=[a-z])(?=[A-Z]))(?:" + _SECRET_KEY + r")(?:$|[_\-.\s])")
    return _KEY_RX


def secret_key(name: str) -> bool:
    """True for a payload key whose value is a credential by name (`password`, `Authorization`, `apiKey`)."""
    low = name.lower()
    if not any(w in low for w in _KEY_HINTS):
        return False
    if low.endswith(("_tokens", "tokens", "token_count", "_id", "_url_env", "_env", "_file", "_path")):
        return False
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return _key_rx().search(spaced) is not None


def _cut(value: str) -> str:
    """Enough of a token to recognise it (first and last four characters), never enough to use it."""
    if len(value) >= 24:
        return f"{value[:4]}{CUT}{value[-4:]}"
    return "***"


def _entropy(s: str) -> float:
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


def _is_reference(value: str) -> bool:
    """`$TOKEN`, `${{ secrets.X }}`, `<your-key>`, `os.environ["X"]`, `settings.api_key`: a pointer, not a value."""
    if value[:1] in "$%<{" or CUT in value or "***" in value or value == MASK:
        return True
    if "(" in value or "[" in value or value.lower() in ("bearer", "basic", "token", "digest"):
        return True
    return re.fullmatch(r"(?:[A-Za-z_]\w*\.)+[A-Za-z_]\w*", value) is not None


def _sub_group(group: str) -> Any:
    def sub(m: re.Match[str]) -> str:
        value = m.group(group)
        if not value or _is_reference(value):
            return m.group(0)
        start, end = m.span(group)
        base = m.start(0)
        whole = m.group(0)
        masked = "***" if group in ("pw", "val") else _cut(value)
        return whole[: start - base] + masked + whole[end - base:]

    return sub


def _sub_whole(m: re.Match[str]) -> str:
    return _cut(m.group(0))


def _sub_pem(m: re.Match[str]) -> str:
    return f"-----BEGIN {m.group(1)}PRIVATE KEY-----{MASK}-----END {m.group(1)}PRIVATE KEY-----"


def _sub_random(m: re.Match[str]) -> str:
    tok = m.group(0)
    if not (any(c.isdigit() for c in tok) and any(c.islower() for c in tok) and any(c.isupper() for c in tok)):
        return tok
    if _entropy(tok) < 3.8:
        return tok
    return _cut(tok)


# Documented token formats (one alternation: one pass over the text for all of them).
_PREFIXED = "|".join((
    r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}",
    r"AIza[0-9A-Za-z_\-]{35}",
    r"gh[pousr]_[A-Za-z0-9]{30,}",
    r"github_pat_[A-Za-z0-9_]{30,}",
    r"glpat-[A-Za-z0-9_.\-]{20,}",
    r"[sr]k_(?:live|test)_[A-Za-z0-9]{16,}",
    r"sk-(?:proj-|svcacct-|admin-|ant-[a-z0-9]+-|or-v1-)?[A-Za-z0-9_\-]{20,}",
    r"(?:hf|gsk|r8|npm|sbp|figd|lin_api|sb_secret|glsa|glc|dckr_pat|dckr_oat|shpat|shpca|shppa|shpss|sntryu|sntrys"
    r"|rubygems|pscale_tkn|pscale_pw|pscale_oauth|do[por]_v1|appl|goog|amzn)_[A-Za-z0-9_+/=.\-]{20,}",
    r"xox[baprs]-[0-9A-Za-z\-]{10,}",
    r"SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}",
    r"key-[0-9a-f]{32}",
    r"SK[0-9a-f]{32}",
    r"pypi-[A-Za-z0-9_\-]{50,}",
    r"re_[A-Za-z0-9]{8}_[A-Za-z0-9]{20,}",
    r"dp\.(?:st|sa|ct|pt|scim|audit)\.[A-Za-z0-9_.\-]{20,}",
    r"hv[sbr]\.[A-Za-z0-9_\-]{20,}",
    r"AGE-SECRET-KEY-1[0-9A-Z]{50,}",
    r"ATATT3[A-Za-z0-9_=\-]{50,}",
    r"PMAK-[0-9a-f]{24}-[0-9a-f]{34}",
    r"[sp]k\.eyJ[A-Za-z0-9_\-]{20,}\.[A-Za-z0-9_\-]{20,}",
    r"GOCSPX-[A-Za-z0-9_\-]{20,}",
    r"AAAA[A-Za-z0-9_\-]{7}:APA91b[A-Za-z0-9_\-]{60,}",
    r"\d{8,10}:AA[A-Za-z0-9_\-]{33}",
    r"(?:pplx|xai)-[A-Za-z0-9]{40,}",
    r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}",
    r"NRAK-[A-Z0-9]{27}",
    r"pul-[a-f0-9]{40}",
    r"[0-9a-f]{32}-us\d{1,2}",
    r"[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}",
    r"[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}",
    r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",  # JWT
    r"base64:[A-Za-z0-9+/]{40,}={0,2}",  # Laravel APP_KEY
))


_WORDS = ("pass", "pwd", "secret", "token", "key", "credential", "hmac", "cookie", "authorization", "connection",
          "database_url", "_auth", "dsn")
_RUN = "run"  # gate: a run of 16 token characters (every documented token format has one)


class _Rule:
    """One pattern, compiled on first need, behind a cheap gate (literal substrings, or a 16-character token run)
    so that an ordinary command compiles and runs only a few of them."""

    __slots__ = ("flags", "gate", "lower", "rx", "src", "sub")

    def __init__(self, gate: tuple[str, ...] | str, src: str, sub: Any, flags: int = 0, lower: bool = False) -> None:
        self.gate, self.src, self.sub, self.flags, self.lower = gate, src, sub, flags, lower
        self.rx: re.Pattern[str] | None = None

    def apply(self, text: str, lowered: str, has_run: bool) -> str:
        if self.gate == _RUN:
            if not has_run:
                return text
        else:
            hay = lowered if self.lower else text
            if not any(g in hay for g in self.gate):
                return text
        if self.rx is None:
            self.rx = re.compile(self.src, self.flags)
        return self.rx.sub(self.sub, text)


_RUN_RX: re.Pattern[str] | None = None
_RULES: list[_Rule] | None = None


def _rules() -> list[_Rule]:
    global _RULES
    if _RULES is None:
        words = _SECRET_KEY.removesuffix("|auth").replace("|dsn", "") + "|_auth"
        # bounded and anchored at a word start: unbounded `[\w.-]*` around the words backtracks quadratically on
        # long runs of word characters
        name = r"(?<![A-Za-z0-9_.\-])[A-Za-z0-9_.\-]{0,40}?(?:" + words + r")[A-Za-z0-9_.\-]{0,40}"
        _RULES = [
            # PEM / OpenSSH / PGP private keys, also cut short by truncation (no END line).
            _Rule(("PRIVATE KEY",), r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*"
                  r"PRIVATE KEY(?: BLOCK)?-----|\Z)", _sub_pem, re.S),
            _Rule(("PuTTY-User-Key-File",), r"PuTTY-User-Key-File-\d:.*?(?:Private-MAC:\s*\S+|\Z)",
                  lambda m: "PuTTY-User-Key-File: " + MASK, re.S),
            # user:password@ in any URL (DSNs, git remotes, webhooks); a lone long user part is a token.
            _Rule(("://",), r"(?i)\b([a-z][a-z0-9+.\-]{0,30}://)([^:/\s@'\"`]{0,200}):(?P<pw>[^@/\s'\"`]{1,500})@",
                  _sub_group("pw")),
            _Rule(("://",), r"(?i)\b[a-z][a-z0-9+.\-]{0,30}://(?P<tok>[^:/\s@'\"`]{20,500})@", _sub_group("tok")),
            # Webhook URLs whose path is the credential.
            _Rule(("hooks.slack.com",), r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_\-]+",
                  _sub_whole),
            _Rule(("discord",), r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_\-]+",
                  _sub_whole),
            # Authorization: Bearer/Basic/Token ...
            _Rule(("bearer", "basic", "token", "digest"),
                  r"(?i)\b(?:bearer|basic|token|digest)\s+(?P<tok>[A-Za-z0-9._~+/\-]{8,}=*)", _sub_group("tok"),
                  lower=True),
            _Rule(_RUN, r"(?<![A-Za-z0-9_\-])(?:" + _PREFIXED + r")(?![A-Za-z0-9_\-])", _sub_whole),
            # NAME=value, "name": "value", name: value, --password=value / --token value, mysql -pVALUE.
            _Rule(_WORDS, r"(?i)" + name + r"[\"'`]?\s{0,5}(?:=|:=|=>|:)\s{0,5}[\"'`]?(?P<val>[^\s\"'`,;&|)]{3,})",
                  _sub_group("val"), lower=True),
            _Rule(("pass", "token", "secret", "key"), r"(?i)(?<![A-Za-z0-9])--?[a-z\-]{0,30}?(?:password|passwd|token"
                  r"|secret|api-key|apikey|auth-key)[a-z\-]{0,30}\s+[\"']?(?P<val>[^\s\"'-][^\s\"']{2,})",
                  _sub_group("val"), lower=True),
            _Rule(("mysql", "mariadb"), r"\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\b[^|;&\n]{0,300}?\s-p"
                  r"(?P<val>[^\s\"']{2,}|\"[^\"]+\"|'[^']+')", _sub_group("val"), lower=True),
            # Long random-looking tokens (mixed case and digits, high entropy) whatever their name.
            _Rule(_RUN, r"(?<![A-Za-z0-9_+=\-])[A-Za-z0-9_+=\-]{32,}(?![A-Za-z0-9_+=\-])", _sub_random),
        ]
    return _RULES


def redact_text(text: str) -> str:
    """`text` with every credential cut to a recognisable stub; the rest stays readable."""
    global _RUN_RX
    if not text:
        return text
    if _RUN_RX is None:
        _RUN_RX = re.compile(r"[A-Za-z0-9_+=\-]{16}|base64:")
    has_run = _RUN_RX.search(text) is not None
    for rule in _rules():
        text = rule.apply(text, text.lower() if rule.lower else "", has_run)
    return text


def truncate(text: str, limit: int = MAX_TEXT) -> str:
    """Long text cut to `limit` characters, recording the original's length and sha256 (to compare, not read)."""
    if len(text) <= limit:
        return text
    digest = sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{text[:limit]}{CUT}[truncated: {len(text)} chars, sha256 {digest}]"


def redact_value(text: str, limit: int = MAX_TEXT) -> str:
    """Redact then truncate; only the head (plus a margin so a secret across the cut is still seen) is scanned."""
    if len(text) > limit:
        head = redact_text(text[: limit + 512])
        digest = sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        return f"{head[:limit]}{CUT}[truncated: {len(text)} chars, sha256 {digest}]"
    return redact_text(text)


def redact_payload(obj: Any, _depth: int = 0, _secret: bool = False) -> Any:
    """A JSON-safe copy of `obj` in which secret-named keys are masked, every string is redacted and long
    strings and containers are cut. The journal hashes this copy, so the original never reaches the disk."""
    if obj is None or isinstance(obj, bool):
        return obj
    if isinstance(obj, int | float):
        if _secret:
            return MASK
        if isinstance(obj, float) and not math.isfinite(obj):
            return str(obj)
        return obj
    if isinstance(obj, str):
        if _secret and obj:
            return MASK
        return redact_value(obj)
    if isinstance(obj, bytes | bytearray):
        return redact_payload(bytes(obj).decode("utf-8", "replace"), _depth, _secret)
    if _depth >= MAX_DEPTH:
        return "[too deep]"
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for i, (k, v) in enumerate(obj.items()):
            if i >= MAX_ITEMS:
                out["…"] = f"{len(obj) - MAX_ITEMS} more keys"
                break
            key = k if isinstance(k, str) else str(k)
            out[redact_value(key, 200)] = redact_payload(v, _depth + 1, _secret or secret_key(key))
        return out
    if isinstance(obj, list | tuple | set | frozenset):
        items = list(obj)
        res = [redact_payload(v, _depth + 1, _secret) for v in items[:MAX_ITEMS]]
        if len(items) > MAX_ITEMS:
            res.append(f"… {len(items) - MAX_ITEMS} more items")
        return res
    return redact_payload(str(obj), _depth, _secret)
