"""The project model: read once, handed to every analyser.

Analysers never open files themselves: they ask the project, which reads each file
at most once and parses it at most once per format (`text`, `yaml`, `json`, `toml`),
caching failures too so a malformed file is reported once, not per analyser. Heavier
views (the pipeline model, detected stacks) are cached properties built on demand.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handrail.core.files import BINARY_SNIFF, FileIndex
from handrail.core.git import GitFacts, GitReader
from handrail.core.lazyre import lazy_re
from handrail.core.yamlload import YamlError, load_yaml, load_yaml_all

if TYPE_CHECKING:
    from handrail.core.config import Config, DefaultConfig
    from handrail.core.stacks import Stacks
    from handrail.pipeline.model import PipelineModel


_AT_LINE = lazy_re(r"\bat line (\d+)")


class ProjectError(Exception):
    """The path cannot be analysed at all (missing, not a folder)."""


class ParseError(Exception):
    """A file that could not be parsed; `line` is 1-based when known."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
        self.line = line


class Project:
    def __init__(self, root: Path, config: Config | DefaultConfig | None = None) -> None:
        root = Path(root)
        if not root.exists():
            raise ProjectError(f"{root}: no such file or directory")
        if not root.is_dir():
            raise ProjectError(f"{root}: not a directory")
        self.root = root.resolve()
        from handrail.core.config import DefaultConfig

        self.config = config or DefaultConfig()
        self.git = GitReader(self.root)
        self.deep = False  # `check --deep`: slow analysers (migration replay on a scratch database) may run
        self._text: dict[str, str | None] = {}
        self._parsed: dict[tuple[str, str], Any] = {}
        self._memo: dict[str, Any] = {}
        self.parse_counts: dict[tuple[str, str], int] = {}  # for tests: each (path, format) parsed once

    # --- repository facts -----------------------------------------------------------
    @cached_property
    def git_facts(self) -> GitFacts:
        return self.git.facts

    @cached_property
    def files(self) -> FileIndex:
        in_git = self.git.toplevel is not None
        return FileIndex.build(self.root, exclude=self.config.exclude, in_git=in_git)

    @cached_property
    def stacks(self) -> Stacks:
        from handrail.core.stacks import detect_stacks

        return detect_stacks(self)

    @cached_property
    def pipeline(self) -> PipelineModel:
        from handrail.pipeline import build_pipeline_model

        return build_pipeline_model(self)

    # --- file access ----------------------------------------------------------------
    def exists(self, path: str) -> bool:
        return path in self.files

    def text(self, path: str) -> str | None:
        """Decoded text, or None for missing, binary, unreadable or oversized files."""
        if path not in self._text:
            self._text[path] = _decode(self.files.read_bytes(path))
        return self._text[path]

    def local_text(self, path: str, limit: int = 1024 * 1024) -> str | None:
        """Text of a file the index leaves out (a git-ignored per-machine config such as
        .claude/settings.local.json), read from disk once into the text cache so `json`/`toml` parse it like
        any other file. Symlinks (which could point outside the repository) and files over `limit` are refused."""
        if path in self.files:
            return self.text(path)
        if self._text.get(path) is not None:
            return self._text[path]
        full = self.root / path
        data = None
        try:
            if (not full.is_symlink() and full.is_file() and full.stat().st_size <= limit
                    and os.path.realpath(full).startswith(str(self.root) + os.sep)):
                data = full.read_bytes()
        except OSError:
            pass
        self._text[path] = _decode(data)
        return self._text[path]

    def lines(self, path: str) -> list[str]:
        return self.parsed(path, "lines", lambda t: t.splitlines()) or []

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """A whole-repository result computed once per run and shared by the checks that need it (the browser-code
        scan feeds both least-privilege and authz)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def parsed(self, path: str, fmt: str, parser: Callable[[str], Any]) -> Any:
        """Parse `path` with `parser` once per run; ParseError is cached and re-raised."""
        key = (path, fmt)
        if key not in self._parsed:
            text = self.text(path)
            if text is None:
                self._parsed[key] = None
            else:
                self.parse_counts[key] = self.parse_counts.get(key, 0) + 1
                try:
                    self._parsed[key] = parser(text)
                except ParseError as exc:
                    self._parsed[key] = exc
                except YamlError as exc:
                    self._parsed[key] = ParseError(path, str(exc), exc.line)
                except (ValueError, TypeError, RecursionError) as exc:
                    self._parsed[key] = ParseError(path, _one_line(exc), _exc_line(exc))
        value = self._parsed[key]
        if isinstance(value, ParseError):
            raise value
        return value

    def yaml(self, path: str) -> Any:
        return self.parsed(path, "yaml", load_yaml)

    def yaml_all(self, path: str) -> list[Any]:
        return self.parsed(path, "yaml-all", load_yaml_all) or []

    def json(self, path: str) -> Any:
        return self.parsed(path, "json", json.loads)

    def toml(self, path: str) -> dict[str, Any] | None:
        return self.parsed(path, "toml", tomllib.loads)

    def find_line(self, path: str, needle: str, start: int = 1) -> int | None:
        """First 1-based line at or after `start` containing `needle`."""
        for no, line in enumerate(self.lines(path)[start - 1:], start):
            if needle in line:
                return no
        return None

    def ignored_on_line(self, path: str, line: int | None, rule: str, check: str) -> bool:
        """Inline suppression: `handrail:ignore` or `handrail:ignore[rule-or-check]` on the
        finding's line or the line above it."""
        if not line:
            return False
        lines = self.lines(path)
        for no in (line, line - 1):
            if 1 <= no <= len(lines) and "handrail:ignore" in lines[no - 1]:
                text = lines[no - 1].split("handrail:ignore", 1)[1]
                if not text.startswith("["):
                    return True
                ids = {part.strip() for part in text[1:].split("]", 1)[0].split(",")}
                if rule in ids or check in ids:
                    return True
        return False


def _decode(data: bytes | None) -> str | None:
    if data is None or b"\x00" in data[:BINARY_SNIFF]:
        return None
    # A UTF-8 BOM breaks json.loads and `^`-anchored patterns on the first line.
    return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


def _exc_line(exc: BaseException) -> int | None:
    """JSON errors carry `lineno`; Python 3.11's TOMLDecodeError has the line only in its text."""
    lineno = getattr(exc, "lineno", None)
    if isinstance(lineno, int):
        return lineno
    m = _AT_LINE.search(str(exc))
    return int(m.group(1)) if m else None
