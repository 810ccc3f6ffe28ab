"""Redaction never reproduces a whole credential, and leaves ordinary text readable."""

from __future__ import annotations

import pytest

from handrail.core.redact import redact, redact_command, redact_line, redact_url


def test_redact_keeps_first_and_last_four() -> None:
    assert redact("abcdefghijklmnopqrstuvwxyz") == "abcd…wxyz"
    assert redact("  sk_live_1234567890abcdef \n") == "sk_l…cdef"


@pytest.mark.parametrize("short", ["", "abc", "twelve_chars"])
def test_redact_masks_short_values_entirely(short: str) -> None:
    assert redact(short) == "*" * len(short)


@pytest.mark.parametrize(("url", "shown"), [
    ("https://tok@github.com/a/b", "https://***@github.com/a/b"),
    ("https://u:p@ss@host/x@y", "https://***@host/x@y"),
    ("https://github.com/a/b", "https://github.com/a/b"),
    ("git@github.com:a/b.git", "git@github.com:a/b.git"),
    ("ssh://git@host:22/repo", "ssh://***@host:22/repo"),
    ("postgresql://postgres:hunter2hunter2@db.x.supabase.co:5432/postgres",
     "postgresql://***@db.x.supabase.co:5432/postgres"),
])
def test_redact_url_forms(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_redact_url_inside_text() -> None:
    text = redact_url("git push 'https://bot:ghp_abcdef123456@github.com/a/b' main && echo a@b")
    assert text == "git push 'https://***@github.com/a/b' main && echo a@b"


def test_redact_command_never_shows_whole_secret() -> None:
    text = redact_command("curl https://api.render.com/deploy/srv-abc?key=supersecretvalue123 https://u:p4ssw0rd@h.io")
    assert "supersecretvalue123" not in text and "p4ssw0rd" not in text
    assert "key=supe" in text and "https://api.render.com/deploy/srv-abc" in text
    long_word = "A" * 40
    assert redact_command(f"deploy --token {long_word}") == "deploy --token AAAA…"


def test_redact_line_cuts_random_tokens_only() -> None:
    token = "sk_live_51Habc123def456ghi789jkl"
    line = redact_line(f"  STRIPE_KEY: {token}  # ${{{{ secrets.STRIPE_KEY }}}} process.env.NEXT_PUBLIC_SOMETHING_LONG")
    assert token not in line and redact(token) in line
    assert "${{ secrets.STRIPE_KEY }}" in line and "process.env.NEXT_PUBLIC_SOMETHING_LONG" in line
