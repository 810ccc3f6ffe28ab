"""The hash chain and the Merkle tree: what makes an edit, a deletion or a reordering show.

entry hash = sha256(TAG || prev_hash || "\\n" || canonical JSON of every Entry field except hash and mac);
checkpoint root = RFC 6962 Merkle tree hash over the entries' hashes (leaf = sha256(0x00 || hash bytes),
node = sha256(0x01 || left || right)), so a checkpoint commits to every entry before it in order.
"""

from __future__ import annotations

import json

from handrail.journal.model import Entry

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from typing import Any

# The interpreter's built-in SHA-256 loads in ~0.3 ms; hashlib (and hmac) pull in OpenSSL's _hashlib (~3-5 ms here),
# which the agent hook would pay on every tool call. Same digests.
try:
    from _sha2 import sha256  # type: ignore[import-not-found]  # CPython 3.12+
except ImportError:
    try:
        from _sha256 import sha256  # type: ignore[import-not-found,no-redef]  # CPython 3.11
    except ImportError:  # pragma: no cover - other interpreters
        from hashlib import sha256  # type: ignore[assignment]

TAG = b"handrail-journal-entry-v1\x00"
GENESIS = "0" * 64
_EXCLUDED = frozenset({"hash", "mac"})
BODY_FIELDS = tuple(f for f in Entry.FIELDS if f not in _EXCLUDED)


def canonical(obj: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same bytes for the same value in every writer."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8", "surrogatepass")


def payload_hash(payload: dict[str, Any]) -> str:
    return sha256(canonical(payload)).hexdigest()


def body(entry: Entry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in BODY_FIELDS}


def entry_hash(entry: Entry) -> str:
    return sha256(TAG + entry.prev_hash.encode("ascii") + b"\n" + canonical(body(entry))).hexdigest()


def hmac_sha256(key: bytes, msg: bytes) -> str:
    """RFC 2104 HMAC with SHA-256 (block size 64), on the fast built-in sha256; tests check it against hmac."""
    if len(key) > 64:
        key = sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = sha256(bytes(k ^ 0x36 for k in key) + msg).digest()
    return sha256(bytes(k ^ 0x5C for k in key) + inner).hexdigest()


def entry_mac(key: bytes, hash_hex: str) -> str:
    return hmac_sha256(key, hash_hex.encode("ascii"))


def mac_ok(key: bytes, hash_hex: str, mac: str) -> bool:
    import hmac

    return hmac.compare_digest(entry_mac(key, hash_hex), mac)


def _leaf(h: str) -> bytes:
    try:
        data = bytes.fromhex(h)
    except (TypeError, ValueError):  # a tampered row; the chain check names it
        data = str(h).encode("utf-8", "replace")
    return sha256(b"\x00" + data).digest()


def merkle_root(hashes: list[str]) -> bytes:
    """RFC 6962 Merkle tree hash of the entries' hashes (hex), level by level: an odd last node moves up as is,
    which gives the same root as the RFC's split at the largest power of two."""
    if not hashes:
        return sha256(b"").digest()
    level = [_leaf(h) for h in hashes]
    while len(level) > 1:
        nxt = [sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def merkle_roots_at(hashes: list[str], sizes: set[int]) -> dict[int, bytes]:
    """The RFC 6962 root of every prefix whose length is in `sizes`, in one pass: the tree is kept as its stack of
    perfect subtrees, and a prefix's root folds that stack from the right."""
    out: dict[int, bytes] = {}
    if 0 in sizes:
        out[0] = sha256(b"").digest()
    stack: list[tuple[int, bytes]] = []
    for n, h in enumerate(hashes, 1):
        node, height = _leaf(h), 0
        while stack and stack[-1][0] == height:
            node = sha256(b"\x01" + stack.pop()[1] + node).digest()
            height += 1
        stack.append((height, node))
        if n in sizes:
            root = stack[-1][1]
            for _, left in reversed(stack[:-1]):
                root = sha256(b"\x01" + left + root).digest()
            out[n] = root
    return out
