"""One Hyperscan database holding every rule's prefilter: the whole buffer is read once, in C.

Each rule contributes its `prefilter` (a short Hyperscan-compatible superset of its pattern). A rule without
one contributes its own pattern in Hyperscan's prefilter mode, and if even that fails to compile, its keywords
as caseless literals. Compiled databases are cached on disk by content hash, so start-up stays fast.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

import hyperscan as hs

from handrail.secrets.rules import SecretRule

_BASE = hs.HS_FLAG_MULTILINE | hs.HS_FLAG_ALLOWEMPTY


class HyperscanPrefilter:
    name = "hyperscan"

    def __init__(self, rules: Sequence[SecretRule]) -> None:
        exprs: list[bytes] = []
        flags: list[int] = []
        ids: list[int] = []
        for i, rule in enumerate(rules):
            for expr, flag in _expressions(rule):
                exprs.append(expr)
                flags.append(flag)
                ids.append(i)
        self._db = _compile_cached(exprs, flags, ids)

    def scan(self, data: bytes) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        append = out.append

        def on_match(rule_id: int, start: int, end: int, flags: int, context: object) -> None:
            append((rule_id, end))

        if data:
            self._db.scan(data, match_event_handler=on_match)
        return out


def _split_flags(pattern: str) -> tuple[str, int]:
    if pattern.startswith("(?i)"):
        return pattern[4:], hs.HS_FLAG_CASELESS
    return pattern, 0


def _expressions(rule: SecretRule) -> list[tuple[bytes, int]]:
    if rule.prefilter:
        pat, flag = _split_flags(rule.prefilter)
        return [(pat.encode(), _BASE | flag)]
    pat, flag = _split_flags(rule.pattern)
    # Hyperscan has no named groups or named back-references; as a prefilter they are plain groups / any text.
    pat = re.sub(r"\(\?P<\w+>", "(", pat)
    pat = re.sub(r"\(\?P=\w+\)", "", pat)
    if pat.startswith("^"):
        pat = r"^[+ -]{0,8}" + pat[1:]
    candidate = (pat.encode(), _BASE | flag | hs.HS_FLAG_PREFILTER)
    try:
        probe = hs.Database(mode=hs.HS_MODE_BLOCK)
        probe.compile(expressions=[candidate[0]], flags=[candidate[1]], ids=[0])
        return [candidate]
    except hs.error:
        pass
    if not rule.keywords:
        raise ValueError(f"rule {rule.id}: its pattern does not compile for Hyperscan and it has no keywords")
    return [(re.escape(k).encode(), hs.HS_FLAG_CASELESS) for k in rule.keywords]


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "handrail" / "hyperscan"


def _compile_cached(exprs: list[bytes], flags: list[int], ids: list[int]) -> hs.Database:
    digest = hashlib.sha256(repr((hs.__version__, exprs, flags, ids)).encode()).hexdigest()[:32]
    path = _cache_dir() / f"{digest}.db"
    try:
        db = hs.loadb(path.read_bytes(), mode=hs.HS_MODE_BLOCK)
        db.scratch = hs.Scratch(db)  # a deserialised database comes without scratch space
        return db
    except (OSError, hs.error, TypeError, ValueError):
        pass
    db = hs.Database(mode=hs.HS_MODE_BLOCK)
    db.compile(expressions=exprs, flags=flags, ids=ids, elements=len(exprs))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(hs.dumpb(db))
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home only costs the compile next time
    return db
