"""Keyword search with bytes.find on a lowered copy: slower than Hyperscan, but only the standard library."""

from __future__ import annotations

import re
from collections.abc import Sequence

from handrail.secrets.rules import SecretRule


class PythonPrefilter:
    name = "python"

    def __init__(self, rules: Sequence[SecretRule]) -> None:
        self._by_keyword: dict[bytes, list[int]] = {}
        # Rules without keywords (path-scoped ones, some imported ones) run their own pattern on every line.
        self._unkeyed: list[tuple[int, re.Pattern[bytes]]] = []
        for i, rule in enumerate(rules):
            if rule.prefilter and _literal_start(rule.prefilter):
                # A case-sensitive literal start is what `re` searches fast (`SK[0-9a-f]{32}` beats keyword "sk").
                self._unkeyed.append((i, re.compile(rule.prefilter.encode(), re.MULTILINE | re.ASCII)))
            elif rule.keywords:
                for kw in rule.keywords:
                    self._by_keyword.setdefault(kw.lower().encode(), []).append(i)
            else:
                self._unkeyed.append((i, re.compile(_line_pattern(rule).encode(), re.MULTILINE | re.ASCII)))

    def scan(self, data: bytes) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        lowered = data.lower()
        for kw, ids in self._by_keyword.items():
            find = lowered.find
            pos = find(kw)
            while pos >= 0:
                end = pos + len(kw)
                out.extend((i, end) for i in ids)
                # One report per line is enough: the exact pass reads the whole line.
                nl = lowered.find(b"\n", end)
                if nl < 0:
                    break
                pos = find(kw, nl)
        for i, rx in self._unkeyed:
            if "secret" in rx.groupindex:
                out.extend((i, m.end("secret") or 1) for m in rx.finditer(data))
            else:
                out.extend((i, m.end() or 1) for m in rx.finditer(data))
        return out


def _literal_start(prefilter: str) -> bool:
    return bool(re.match(r"[A-Za-z0-9_\"-]{2}", prefilter)) and not prefilter.startswith("(?i)")


def _line_pattern(rule: SecretRule) -> str:
    """The rule's own pattern, with diff prefixes allowed where it anchors at a line start."""
    pat = rule.pattern
    flags = ""
    if pat.startswith("(?i)"):
        flags, pat = "(?i)", pat[4:]
    if pat.startswith("^"):
        pat = r"^[+ -]{0,8}" + pat[1:]
    return flags + pat
