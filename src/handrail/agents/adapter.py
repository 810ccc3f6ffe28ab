"""The shared half of the four adapters: installing, removing and reporting their hook configuration.

Parsing and replying differ per agent (claude.py, codex.py, cursor.py, gemini.py); the configuration files are
all JSON with one of two layouts (settings_file.py), so install/uninstall/status live here once.
"""

from __future__ import annotations

import contextlib
import os

from handrail.agents.base import InstallResult

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, ClassVar

SCOPES = ("project", "local", "user")


class ScopeError(Exception):
    """This agent has no configuration file for that scope."""


class JsonHookAdapter:
    name: ClassVar[str] = ""
    layout: ClassVar[str] = "claude"  # claude | cursor
    # event -> matcher ("*" on tool events, None on lifecycle events), in the order they are written
    install_events: ClassVar[dict[str, str | None]] = {}
    paths: ClassVar[dict[str, str]] = {}  # scope -> path relative to the root ("project", "local") or home ("user")
    ignore_keys: ClassVar[tuple[str, ...]] = ()  # keys that alone do not make a file "non-empty" (Cursor: version)

    # --- configuration files -------------------------------------------------------------------------------
    def home(self) -> Path:
        from pathlib import Path  # lazily: the hook parses with this class on every call and never needs pathlib

        return Path(os.environ.get("HOME") or Path.home())

    def config_path(self, root: str | os.PathLike[str], scope: str) -> Path:
        from pathlib import Path

        rel = self.paths.get(scope)
        if rel is None:
            have = ", ".join(s for s in SCOPES if s in self.paths)
            raise ScopeError(f"{self.name} has no {scope}-scope hook file (scopes: {have})")
        return (self.home() if scope == "user" else Path(root)) / rel

    def _funcs(self) -> tuple[Any, Any, Any]:
        from handrail.agents import settings_file as sf

        if self.layout == "cursor":
            return sf.cursor_install, sf.cursor_uninstall, sf.cursor_hooked
        return sf.claude_install, sf.claude_uninstall, sf.claude_hooked

    def install(self, root: Path, scope: str, command: str) -> InstallResult:
        from handrail.agents import settings_file as sf

        path = self.config_path(root, scope)
        f = sf.load(path)  # ConfigFileError: left untouched
        add, _, _ = self._funcs()
        rx = sf.ours_rx(self.name)
        added = add(f, self.install_events, command, rx)
        if not added:
            return InstallResult(path, False, f"{self.name}: already installed in {path}")
        created = not f.existed
        sf.save(f)
        if created:
            sf.remember_created(path, True)
        return InstallResult(path, True, f"{self.name}: hooked {', '.join(added)} in {path}")

    def uninstall(self, root: Path, scope: str) -> InstallResult:
        from handrail.agents import settings_file as sf

        path = self.config_path(root, scope)
        if not path.exists():
            return InstallResult(path, False, f"{self.name}: nothing to remove ({path} does not exist)")
        f = sf.load(path)
        _, remove, _ = self._funcs()
        removed = remove(f, sf.ours_rx(self.name))
        if not removed:
            return InstallResult(path, False, f"{self.name}: no Handrail hooks in {path}")
        if sf.is_empty(f, self.ignore_keys) and sf.was_created(path):
            path.unlink()
            sf.remember_created(path, False)
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # only when empty
            return InstallResult(path, True, f"{self.name}: removed {path} (Handrail created it; nothing else in it)")
        sf.save(f)
        return InstallResult(path, True, f"{self.name}: removed Handrail from {', '.join(removed)} in {path}")

    def status(self, root: Path, scope: str) -> dict[str, Any]:
        from handrail.agents import settings_file as sf

        try:
            path = self.config_path(root, scope)
        except ScopeError:
            return {"agent": self.name, "scope": scope, "path": None, "state": "n/a", "events": [], "missing": []}
        out: dict[str, Any] = {"agent": self.name, "scope": scope, "path": str(path)}
        try:
            f = sf.load(path)
        except sf.ConfigFileError as exc:
            return {**out, "state": "error", "error": str(exc), "events": [], "missing": list(self.install_events)}
        _, _, hooked = self._funcs()
        have = hooked(f, sf.ours_rx(self.name))
        events = [e for e in self.install_events if e in have]
        missing = [e for e in self.install_events if e not in have]
        wrong = [e for e, m in self.install_events.items() if m is not None and e in have and have[e] not in
                 ("*", "", None, ".*")]
        state = "absent" if not events else ("installed" if not missing and not wrong else "partial")
        out.update(state=state, exists=f.existed, events=events, missing=missing)
        if wrong:
            out["narrow_matchers"] = {e: have[e] for e in wrong}
        return out
