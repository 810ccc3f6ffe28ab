"""JWT claims are read from real base64url tokens; anything else gives None, never an exception."""

from __future__ import annotations

import base64
import json

import pytest

from handrail.core.jwt import JWT_RX, jwt_payload, jwt_role


def _b64(data: dict | str) -> str:
    raw = data if isinstance(data, str) else json.dumps(data)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def make_jwt(claims: dict) -> str:
    return f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(claims)}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk"


SERVICE = make_jwt({"iss": "supabase", "ref": "abcdefghijklmnopqrst", "role": "service_role", "iat": 1700000000})
ANON = make_jwt({"iss": "supabase", "ref": "abcdefghijklmnopqrst", "role": "anon", "iat": 1700000000})


def test_role_claim() -> None:
    assert jwt_role(SERVICE) == "service_role"
    assert jwt_role(ANON) == "anon"
    assert jwt_payload(ANON) == {"iss": "supabase", "ref": "abcdefghijklmnopqrst", "role": "anon", "iat": 1700000000}


def test_regex_finds_token_in_text() -> None:
    m = JWT_RX.search(f"const key = '{SERVICE}';")
    assert m and m.group(0) == SERVICE


@pytest.mark.parametrize("bad", [
    "eyJnot.valid.jwt", "a.b", "", "x.%%%.y", f"h.{_b64('[1, 2]')}.s", f"h.{_b64('not json')}.s",
    f"h.{_b64({'role': 7})}.s", "h." + base64.urlsafe_b64encode(b"\xff\xfe").decode() + ".s",
])
def test_malformed_tokens_give_none(bad: str) -> None:
    assert jwt_role(bad) is None
