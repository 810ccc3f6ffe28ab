"""Redaction: evidence must point at a secret without ever reproducing it.

Every module that shows a value, a command or a URL from the repository goes through here, so the
rules (how much of a token is shown, which URL parts are credentials) are the same in every report.
"""

from __future__ import annotations

import re

from handrail.core.lazyre import lazy_re

_USERINFO = lazy_re(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s?#'\"`]*@")
_QUERY_SECRET = lazy_re(r"(?i)((?:key|token|secret|password|passwd|pwd|sig|signature|auth)=)([^&\s'\"]{4})"
                           r"[^&\s'\"]*")
_LONG_WORD = lazy_re(r"\b([A-Za-z0-9_\-]{4})[A-Za-z0-9_\-]{28,}")
_LONG_TOKEN = lazy_re(r"(?<![A-Za-z0-9_\-.+/=])[A-Za-z0-9_\-.+/=]{24,}")


def redact(value: str) -> str:
    """A secret cut to its first and last four characters: enough to find the key, never enough to use it.
    Values of 12 characters or fewer are masked entirely (four plus four would be most of them)."""
    value = value.strip()
    if len(value) <= 12:
        return "*" * len(value)
    return f"{value[:4]}…{value[-4:]}"


def redact_url(text: str) -> str:
    """`https://user:token@host/x` -> `https://***@host/x`, for every URL in `text`: the user-info part of a
    URL (a git remote, a database DSN, a deploy hook) is where credentials hide."""
    return _USERINFO.sub(r"\1***@", text)


def redact_command(text: str) -> str:
    """A shell command fit for a note: URL credentials, secret-named query values (`?key=...`) and long opaque
    words are cut, while the command words stay readable."""
    text = redact_url(text)
    text = _QUERY_SECRET.sub(r"\1\2…", text)
    return _LONG_WORD.sub(r"\1…", text)


def redact_line(text: str) -> str:
    """A source line fit for evidence: every long random-looking token (a key, a JWT) is cut with `redact`;
    expressions like `${{ secrets.X }}` and names like `process.env.X` stay readable."""
    def cut(m: re.Match[str]) -> str:
        tok = m.group(0)
        looks_random = any(c.isdigit() for c in tok) and any(c.isalpha() for c in tok)
        return redact(tok) if looks_random or any(c in tok for c in "+/=") else tok

    return _LONG_TOKEN.sub(cut, redact_url(text))
