"""handrail.toml (or [tool.handrail] in pyproject.toml), validated with pydantic.

Secrets never live here: database URLs are given as the *name* of an environment
variable, and a URL with credentials in it is refused. Every validation error becomes
one line naming the file, the key and its line.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from handrail.core.finding import Severity

CONFIG_FILE = "handrail.toml"
ENV_NAME_RX = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SeverityName = Literal["critical", "high", "medium", "low", "info"]


class ConfigError(Exception):
    """One line: file:line: key: problem."""


class _Strict(BaseModel):
    # strict: TOML already has real types, so "no" for a bool or "3" for an int is a mistake to report
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Environment(_Strict):
    """One deploy environment. URLs of the app are public; credentials are env var names."""

    url: str | None = None
    url_env: Annotated[str | None, Field(description="env var holding the app URL")] = None
    database_url_env: str | None = None
    branch: str | None = None
    protected: bool | None = None

    @field_validator("url")
    @classmethod
    def _public_url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not re.match(r"^https?://", v):
            raise ValueError("must start with http:// or https://")
        if "@" in v.split("://", 1)[1].split("/", 1)[0]:
            raise ValueError("must not contain credentials; put them in an environment variable")
        return v

    @field_validator("url_env", "database_url_env")
    @classmethod
    def _env_name(cls, v: str | None) -> str | None:
        if v is not None and not ENV_NAME_RX.match(v):
            raise ValueError("must be the name of an environment variable (e.g. DATABASE_URL), "
                             "never a literal URL or secret")
        return v


class Routes(_Strict):
    public: list[str] = Field(default_factory=list)


class Backups(_Strict):
    dir: str | None = None
    keep: int | None = Field(default=None, ge=1)


class Config(_Strict):
    exclude: list[str] = Field(default_factory=list)
    fail_on: SeverityName = "high"
    checks: dict[str, bool] = Field(default_factory=dict)
    severity: dict[str, SeverityName] = Field(default_factory=dict)
    environments: dict[str, Environment] = Field(default_factory=dict)
    routes: Routes = Field(default_factory=Routes)
    backups: Backups = Field(default_factory=Backups)
    source: str | None = Field(default=None, exclude=True)

    @field_validator("checks")
    @classmethod
    def _known_checks(cls, v: dict[str, bool]) -> dict[str, bool]:
        from handrail.checks import CHECK_IDS

        for name in v:
            if name not in CHECK_IDS:
                raise ValueError(f"unknown check {name!r} (known: {', '.join(CHECK_IDS)})")
        return v

    @model_validator(mode="after")
    def _known_rules(self) -> Config:
        if not self.severity:
            return self
        from handrail.checks import CHECK_IDS, all_rules

        rules = all_rules()
        for name in self.severity:
            if name not in rules and name not in CHECK_IDS:
                raise ValueError(f"severity: unknown rule or check {name!r}")
        return self

    def enabled(self, check_id: str) -> bool:
        return self.checks.get(check_id, True)

    def severity_for(self, rule: str, check: str) -> Severity | None:
        name = self.severity.get(rule) or self.severity.get(check)
        return Severity(name) if name else None


def load_config(root: Path, explicit: Path | None = None) -> Config:
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
            return Config()  # a broken pyproject is the project's business, not our config
        if isinstance(data.get("tool"), dict) and "handrail" in data["tool"]:
            return _load_file(pyproject, ("tool", "handrail"))
    return Config()


def _load_file(path: Path, section: tuple[str, ...] | None) -> Config:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such config file") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{path}: is a directory, not a config file") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc.__class__.__name__}") from exc
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
