"""handrail.toml (or [tool.handrail] in pyproject.toml), validated with pydantic.

Secrets never live here: database URLs are given as the *name* of an environment
variable, and a URL with credentials in it is refused. Every validation error becomes
one line naming the file, the key and its line.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handrail.core.finding import Severity
from handrail.core.lazyre import lazy_re

if TYPE_CHECKING:
    from handrail.core.config_model import Config

CONFIG_FILE = "handrail.toml"
ENV_NAME_RX = lazy_re(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ConfigError(Exception):
    """One line: file:line: key: problem."""


class _DefaultRoutes:
    __slots__ = ("public",)

    def __init__(self) -> None:
        self.public: list[str] = []


class _DefaultBackups:
    __slots__ = ("dir", "keep")

    def __init__(self) -> None:
        self.dir: str | None = None
        self.keep: int | None = None


class _DefaultSecrets:
    __slots__ = ("exclude", "gitleaks", "history", "rules")

    def __init__(self) -> None:
        self.history = True
        self.rules: list[Any] = []
        self.gitleaks: list[str] = []
        self.exclude: list[str] = []


class _DefaultJournal:
    __slots__ = ("anchor", "checkpoint_every", "url", "url_env")

    def __init__(self) -> None:
        self.url_env: str | None = None
        self.url: str | None = None
        self.checkpoint_every = 256
        self.anchor = True


class _DefaultGuard:
    __slots__ = ("allow_hosts", "disable", "fail_closed", "protected_branches", "rules")

    def __init__(self) -> None:
        self.fail_closed = True
        self.protected_branches = ["main", "master", "production", "release"]
        self.allow_hosts: list[str] = []
        self.disable: list[str] = []
        self.rules: list[Any] = []


class DefaultConfig:
    """Config() without pydantic: what every run without a config file gets, at no import cost.

    Same attributes and methods as Config; compares equal to Config().
    """

    def __init__(self) -> None:
        self.exclude: list[str] = []
        self.fail_on = "high"
        self.checks: dict[str, bool] = {}
        self.severity: dict[str, str] = {}
        self.environments: dict[str, Any] = {}
        self.routes = _DefaultRoutes()
        self.backups = _DefaultBackups()
        self.secrets = _DefaultSecrets()
        self.journal = _DefaultJournal()
        self.guard = _DefaultGuard()
        self.source: str | None = None

    def enabled(self, check_id: str) -> bool:
        return self.checks.get(check_id, True)

    def severity_for(self, rule: str, check: str) -> Severity | None:
        name = self.severity.get(rule) or self.severity.get(check)
        return Severity(name) if name else None

    @staticmethod
    def _key_of(cfg: Any) -> tuple:
        s = cfg.secrets
        return (cfg.exclude, cfg.fail_on, cfg.checks, cfg.severity, cfg.environments, cfg.routes.public,
                cfg.backups.dir, cfg.backups.keep, s.history, list(s.rules), s.gitleaks, s.exclude, cfg.source)

    def _key(self) -> tuple:
        return self._key_of(self)

    def __eq__(self, other: object) -> bool:
        if not hasattr(other, "routes") or not hasattr(other, "backups"):
            return NotImplemented
        try:
            theirs = self._key_of(other)
        except AttributeError:
            return NotImplemented
        return self._key() == theirs

    __hash__ = None  # type: ignore[assignment]


_LAZY = {"Config", "Environment", "Routes", "Backups", "Secrets", "SecretRuleEntry", "SeverityName", "Journal",
         "Guard", "GuardRuleEntry"}


def __getattr__(name: str) -> Any:
    # the pydantic models load on first use, so runs without a config file never import pydantic
    if name in _LAZY:
        from handrail.core import config_model

        return getattr(config_model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_config(root: Path, explicit: Path | None = None) -> Config | DefaultConfig:
    """handrail.toml at the root, else [tool.handrail] in pyproject.toml, else defaults."""
    if explicit is not None:
        return _load_file(explicit, None)
    path = root / CONFIG_FILE
    if path.is_file():
        return _load_file(path, None)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text("utf-8", "replace"))
        except tomllib.TOMLDecodeError:
            return DefaultConfig()  # a broken pyproject is the project's business, not our config
        if isinstance(data.get("tool"), dict) and "handrail" in data["tool"]:
            return _load_file(pyproject, ("tool", "handrail"))
    return DefaultConfig()


def read_config_text(path: Path, display: str, what: str) -> str:
    """UTF-8 text of a file the user pointed us at, or one ConfigError line saying why not."""
    try:
        return path.read_text("utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{display}: no such {what}") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{display}: is a directory, not a {what}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{display}: not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise ConfigError(f"{display}: cannot read: {exc.strerror or exc.__class__.__name__}") from exc


def _load_file(path: Path, section: tuple[str, ...] | None) -> Config:
    text = read_config_text(path, str(path), "config file")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = m.group(1) if m else (str(max(1, len(text.splitlines()))) if "end of document" in str(exc) else None)
        where = f"{path}:{line}" if line else str(path)
        raise ConfigError(f"{where}: invalid TOML: {str(exc).split(' (at')[0]}") from exc
    prefix: tuple[str, ...] = ()
    if section:
        for part in section:
            data = data.get(part, {})
        prefix = section
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: [{'.'.join(section)}] must be a table")
    problem = _unknown_names(data)
    if problem:
        loc, msg = problem
        loc = prefix + loc
        raise ConfigError(f"{path}:{toml_line(text, loc) or 1}: {'.'.join(loc)}: {msg}")
    from pydantic import ValidationError

    from handrail.core.config_model import Config

    try:
        return Config.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = prefix + tuple(str(p) for p in err["loc"])
        line = toml_line(text, loc)
        key = ".".join(loc) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        raise ConfigError(f"{path}:{line or 1}: {key}: {msg}") from exc


def _unknown_names(data: dict) -> tuple[tuple[str, ...], str] | None:
    """Unknown check or rule names, located at their own key (the model validators only know the table)."""
    from handrail.checks import CHECK_IDS

    checks = data.get("checks")
    if isinstance(checks, dict):
        for name in checks:
            if name not in CHECK_IDS:
                return ("checks", name), f"unknown check (known: {', '.join(CHECK_IDS)})"
    severity = data.get("severity")
    if isinstance(severity, dict) and severity:
        from handrail.checks import all_rules

        rules = all_rules()
        for name in severity:
            if name not in rules and name not in CHECK_IDS:
                return ("severity", name), "unknown rule or check (see `handrail explain CHECK` for rule ids)"
    return None


def toml_line(text: str, loc: tuple[str, ...]) -> int | None:
    """Line of key path `loc` in TOML text: good enough for error messages."""
    if not loc:
        return None
    lines = text.splitlines()
    table: tuple[str, ...] = ()
    best: int | None = None
    for no, raw in enumerate(lines, 1):
        line = raw.strip()
        if line.startswith("["):
            name = line.strip("[]").strip()
            table = tuple(_unquote(p) for p in _split_dotted(name))
            if table and loc[: len(table)] == table and best is None and len(table) == len(loc):
                best = no
            continue
        if "=" not in line or line.startswith("#"):
            continue
        key = tuple(_unquote(p) for p in _split_dotted(line.split("=", 1)[0].strip()))
        full = table + key
        if full == loc[: len(full)] and len(full) >= 1:
            if full == loc:
                return no
            best = best or no
    return best


def _split_dotted(name: str) -> list[str]:
    return [p.strip() for p in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', name)]


def _unquote(s: str) -> str:
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
        return s[1:-1]
    return s
