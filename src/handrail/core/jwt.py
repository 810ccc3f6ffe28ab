"""JWT payloads read without verification: enough to tell a Supabase anon key from a service_role key.

Handrail never trusts a token; it only needs the claims to judge where a key may live.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from handrail.core.lazyre import lazy_re

# header.payload.signature, both header and payload base64url JSON objects (so they start with eyJ).
JWT_RX = lazy_re(r"\beyJ[A-Za-z0-9_-]{8,}\.(eyJ[A-Za-z0-9_-]{8,})\.[A-Za-z0-9_-]{8,}")


def jwt_payload(token: str) -> dict[str, Any] | None:
    """The decoded claims of a JWT, or None when `token` is not a three-part token with a JSON object payload."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (binascii.Error, ValueError, UnicodeError):
        return None
    return data if isinstance(data, dict) else None


def jwt_role(token: str) -> str | None:
    """The `role` claim (Supabase keys carry `anon` or `service_role`), or None."""
    role = (jwt_payload(token) or {}).get("role")
    return role if isinstance(role, str) else None
