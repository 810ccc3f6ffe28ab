"""The multi-pattern pass: which lines of a buffer might hold a secret, and for which rules.

A prefilter only narrows; the exact rule (`rules.match_spans`) confirms every candidate line, so any two
prefilters that are supersets of the exact matches give identical results. Two implementations:
`hyperscan.py` (one compiled database, every rule in one pass) and `python.py` (keyword search with the
standard library, used when Hyperscan cannot load).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol

from handrail.secrets.rules import SecretRule


class Prefilter(Protocol):
    name: str

    def scan(self, data: bytes) -> list[tuple[int, int]]:
        """(rule index, end offset) pairs: the rule may match on the line holding byte `end - 1`."""
        ...


def load_prefilter(rules: Sequence[SecretRule], backend: str | None = None) -> Prefilter:
    """Hyperscan when it loads, else the pure-Python twin; HANDRAIL_PREFILTER=python|hyperscan forces one."""
    backend = backend or os.environ.get("HANDRAIL_PREFILTER") or "auto"
    if backend in ("auto", "hyperscan"):
        try:
            from handrail.secrets.prefilter.hyperscan import HyperscanPrefilter

            return HyperscanPrefilter(rules)
        except ImportError:
            if backend == "hyperscan":
                raise
    from handrail.secrets.prefilter.python import PythonPrefilter

    return PythonPrefilter(rules)
