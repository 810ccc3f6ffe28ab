"""Module-level regexes compiled on first use.

Checks and classifiers hold ~190 module-level patterns; a typical run uses fewer than half (a Django
repository never needs the Laravel or Next.js tables), yet compiling all of them cost every run ~40 ms.
"""

from __future__ import annotations

import re
from typing import Any, cast

_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split", "scanner")


class LazyPattern:
    """Stands in for re.Pattern until first use, then hands out the compiled pattern's own bound methods
    (stored on the instance, so later calls cost the same as on a real Pattern)."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self._flags = flags

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("pattern", "_flags"):
            raise AttributeError(name)
        compiled = re.compile(self.pattern, self._flags)
        for attr in _METHODS:
            setattr(self, attr, getattr(compiled, attr))
        self.flags = compiled.flags
        self.groups = compiled.groups
        self.groupindex = compiled.groupindex
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy_re({self.pattern!r})"


def lazy_re(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """re.compile, deferred: for module-level tables only (inside functions, call re.compile)."""
    return cast("re.Pattern[str]", LazyPattern(pattern, flags))
