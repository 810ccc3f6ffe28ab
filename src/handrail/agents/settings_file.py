"""Reading, merging and writing an agent's JSON hook configuration without clobbering anything.

Every agent here keeps hooks in a JSON file: Claude Code, Codex and Gemini CLI as
`{"hooks": {Event: [{"matcher": ..., "hooks": [{"type": "command", "command": ...}]}]}}`, Cursor as
`{"version": 1, "hooks": {event: [{"command": ...}]}}`. Install adds one entry per event and keeps every other key
and hook in place; uninstall removes only entries whose command is `handrail hook <agent>`; the file is rewritten with
its own indentation, so install followed by uninstall gives back the same bytes for a file that was formatted the way
JSON tools format it. A file Handrail created is remembered (in the user's config directory) so uninstall can delete
it once it holds nothing else. Files with comments (Gemini accepts JSONC) are never rewritten: the user gets the
snippet to paste instead.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ConfigFileError(Exception):
    """One line: the file cannot be read or merged safely; it was left untouched."""


@dataclass
class JsonFile:
    path: Path
    data: dict[str, Any]
    existed: bool
    indent: int | str | None = 2
    newline: bool = True
    original: str | None = None


def ours_rx(agent: str) -> re.Pattern[str]:
    return re.compile(r"(?:^|[\s/\"'=])handrail(?:\.exe)?\s+hook\s+" + re.escape(agent) + r"(?:\s|$|[\"'])")


def _indent_of(text: str) -> int | str | None:
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            ws = line[: len(line) - len(stripped)]
            return "\t" if ws.startswith("\t") else len(ws)
    return 2 if "\n" in text.strip() else None


def load(path: Path) -> JsonFile:
    if path.is_symlink() and not path.exists():
        raise ConfigFileError(f"{path}: a dangling symlink")
    if not path.exists():
        return JsonFile(path, {}, existed=False)
    if not path.is_file():
        raise ConfigFileError(f"{path}: not a regular file")
    try:
        raw = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"{path}: cannot read ({exc.__class__.__name__}); left untouched") from None
    if not raw.strip():
        return JsonFile(path, {}, existed=True, original=raw, newline=raw.endswith("\n"))
    try:
        data = json.loads(raw)
    except ValueError as exc:
        hint = " (it has comments: add the hooks by hand)" if re.search(r"(?m)^\s*//|/\*", raw) else ""
        msg = str(exc).split(":", 1)[0]
        line = getattr(exc, "lineno", None)
        raise ConfigFileError(f"{path}: not valid JSON{hint}: {msg}" + (f" at line {line}" if line else "")
                              + "; left untouched") from None
    if not isinstance(data, dict):
        raise ConfigFileError(f"{path}: the top level is not a JSON object; left untouched")
    return JsonFile(path, data, existed=True, indent=_indent_of(raw), newline=raw.endswith("\n"), original=raw)


def render(f: JsonFile) -> str:
    text = json.dumps(f.data, indent=f.indent, ensure_ascii=False)
    return text + ("\n" if f.newline else "")


def save(f: JsonFile) -> bool:
    """Write atomically (same mode as before); False when the bytes would not change."""
    new = render(f)
    if f.original is not None and new == f.original:
        return False
    f.path.parent.mkdir(parents=True, exist_ok=True)
    mode = (f.path.stat().st_mode & 0o7777) if f.existed else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{f.path.name}.", dir=str(f.path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(new)
        os.chmod(tmp, mode)
        os.replace(tmp, f.path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    f.original, f.existed = new, True
    return True


def hooks_table(f: JsonFile, create: bool) -> dict[str, Any] | None:
    hooks = f.data.get("hooks")
    if hooks is None:
        if not create:
            return None
        hooks = f.data["hooks"] = {}
    if not isinstance(hooks, dict):
        raise ConfigFileError(f"{f.path}: \"hooks\" is not an object; left untouched")
    return hooks


# --- the Claude-shaped layout (Claude Code, Codex, Gemini CLI) ------------------------------------------------
def claude_install(f: JsonFile, events: dict[str, str | None], command: str, rx: re.Pattern[str],
                   extra: dict[str, Any] | None = None) -> list[str]:
    """Add `command` to each event (matcher or None for lifecycle events); returns the events added."""
    hooks = hooks_table(f, create=True)
    assert hooks is not None
    added = []
    for event, matcher in events.items():
        groups = hooks.get(event)
        if groups is None:
            groups = hooks[event] = []
        if not isinstance(groups, list):
            raise ConfigFileError(f"{f.path}: hooks.{event} is not a list; left untouched")
        if any(_cmd_matches(h, rx) for g in groups if isinstance(g, dict) for h in _group_hooks(g)):
            continue
        entry: dict[str, Any] = {"type": "command", "command": command}
        entry.update(extra or {})
        group: dict[str, Any] = {}
        if matcher is not None:
            group["matcher"] = matcher
        group["hooks"] = [entry]
        groups.append(group)
        added.append(event)
    return added


def _group_hooks(group: dict[str, Any]) -> list[Any]:
    h = group.get("hooks")
    return h if isinstance(h, list) else []


def _cmd_matches(h: Any, rx: re.Pattern[str]) -> bool:
    return isinstance(h, dict) and isinstance(h.get("command"), str) and bool(rx.search(h["command"]))


def claude_uninstall(f: JsonFile, rx: re.Pattern[str]) -> list[str]:
    hooks = hooks_table(f, create=False)
    if not hooks:
        return []
    removed = []
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list):
            continue
        keep = []
        hit = False
        for g in groups:
            if isinstance(g, dict) and any(_cmd_matches(h, rx) for h in _group_hooks(g)):
                hit = True
                rest = [h for h in _group_hooks(g) if not _cmd_matches(h, rx)]
                if rest:
                    keep.append({**g, "hooks": rest})
                continue
            keep.append(g)
        if hit:
            removed.append(event)
            if keep:
                hooks[event] = keep
            else:
                del hooks[event]
    if removed and not hooks:
        del f.data["hooks"]
    return removed


def claude_hooked(f: JsonFile, rx: re.Pattern[str]) -> dict[str, str | None]:
    """Event -> matcher of our entries."""
    hooks = f.data.get("hooks")
    out: dict[str, str | None] = {}
    if not isinstance(hooks, dict):
        return out
    for event, groups in hooks.items():
        for g in groups if isinstance(groups, list) else []:
            if isinstance(g, dict) and any(_cmd_matches(h, rx) for h in _group_hooks(g)):
                m = g.get("matcher")
                out[event] = m if isinstance(m, str) else None
    return out


# --- the Cursor layout ------------------------------------------------------------------------------------------
def cursor_install(f: JsonFile, events: dict[str, str | None], command: str, rx: re.Pattern[str]) -> list[str]:
    if not f.data:
        f.data["version"] = 1
    hooks = hooks_table(f, create=True)
    assert hooks is not None
    added = []
    for event, matcher in events.items():
        entries = hooks.get(event)
        if entries is None:
            entries = hooks[event] = []
        if not isinstance(entries, list):
            raise ConfigFileError(f"{f.path}: hooks.{event} is not a list; left untouched")
        if any(_cmd_matches(e, rx) for e in entries):
            continue
        entry: dict[str, Any] = {"command": command}
        if matcher is not None:
            entry["matcher"] = matcher
        entries.append(entry)
        added.append(event)
    return added


def cursor_uninstall(f: JsonFile, rx: re.Pattern[str]) -> list[str]:
    hooks = hooks_table(f, create=False)
    if not hooks:
        return []
    removed = []
    for event in list(hooks):
        entries = hooks[event]
        if not isinstance(entries, list) or not any(_cmd_matches(e, rx) for e in entries):
            continue
        removed.append(event)
        keep = [e for e in entries if not _cmd_matches(e, rx)]
        if keep:
            hooks[event] = keep
        else:
            del hooks[event]
    if removed and not hooks:
        del f.data["hooks"]
    return removed


def cursor_hooked(f: JsonFile, rx: re.Pattern[str]) -> dict[str, str | None]:
    hooks = f.data.get("hooks")
    out: dict[str, str | None] = {}
    if isinstance(hooks, dict):
        for event, entries in hooks.items():
            for e in entries if isinstance(entries, list) else []:
                if _cmd_matches(e, rx):
                    m = e.get("matcher")
                    out[event] = m if isinstance(m, str) else None
    return out


# --- files Handrail created ----------------------------------------------------------------------------------
def _record_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "handrail" / "guard-created.json"


def created_files() -> set[str]:
    try:
        data = json.loads(_record_path().read_text("utf-8"))
    except (OSError, ValueError):
        return set()
    return {p for p in data.get("created", []) if isinstance(p, str)} if isinstance(data, dict) else set()


def remember_created(path: Path, created: bool) -> None:
    """Add (created=True) or drop a file from the record; best effort (the record only enables clean deletes)."""
    try:
        files = created_files()
        key = str(path.resolve())
        if (key in files) == created:
            return
        files = files | {key} if created else files - {key}
        rec = _record_path()
        rec.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = rec.with_suffix(".tmp")
        tmp.write_text(json.dumps({"created": sorted(files)}, indent=2) + "\n", "utf-8")
        os.chmod(tmp, 0o600)
        os.replace(tmp, rec)
    except OSError:
        pass


def was_created(path: Path) -> bool:
    return str(path.resolve()) in created_files()


def is_empty(f: JsonFile, ignore: tuple[str, ...] = ()) -> bool:
    return not any(k not in ignore for k in f.data) and not (f.data.get("hooks"))
