"""The pydantic models behind handrail.toml; imported only when a config file exists (pydantic costs ~0.1 s)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from handrail.core.config import ENV_NAME_RX
from handrail.core.finding import Severity

SeverityName = Literal["critical", "high", "medium", "low", "info"]


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


class Migrations(_Strict):
    replay: Annotated[str | None, Field(description="command that applies every migration to the database in "
                                                    "$DATABASE_URL, for `handrail migrations replay`")] = None


class SecretRuleEntry(_Strict):
    """One `[[secrets.rules]]` table; handrail.secrets.custom turns it into a SecretRule and runs its examples."""

    id: str
    description: str = ""
    pattern: Annotated[str, Field(description="Python regex; the (?P<secret>...) group is the value, else the "
                                              "whole match")]
    keywords: list[str] = Field(default_factory=list)
    severity: SeverityName = "high"
    entropy: float | None = Field(default=None, ge=0, le=8)
    paths: list[str] = Field(default_factory=list)
    allow: list[str] = Field(default_factory=list)
    stopwords: list[str] = Field(default_factory=list)
    must_match: list[str] = Field(default_factory=list)
    must_not_match: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _rule_id(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,79}", v):
            raise ValueError("must be lowercase letters, digits, '-', '_' or '.' (e.g. acme-api-token)")
        return v

    @field_validator("pattern", "allow")
    @classmethod
    def _regex(cls, v: str | list[str]) -> str | list[str]:
        for rx in [v] if isinstance(v, str) else v:
            try:
                re.compile(rx, re.ASCII)
            except (re.error, RecursionError) as exc:
                raise ValueError(f"invalid regex {rx!r}: {exc or 'nested too deeply'}") from None
        return v


class Secrets(_Strict):
    history: Annotated[bool, Field(description="`handrail check` also scans git history")] = True
    rules: list[SecretRuleEntry] = Field(default_factory=list)
    gitleaks: Annotated[list[str], Field(description="gitleaks-format rule files to import, relative to the "
                                                     "project root")] = Field(default_factory=list)
    exclude: Annotated[list[str], Field(description="extra path globs the secret scanner skips")] = Field(
        default_factory=list)


class Journal(_Strict):
    """Where the agent journal lives: .handrail/journal.db unless a team PostgreSQL is named."""

    url_env: Annotated[str | None, Field(description="env var holding the PostgreSQL URL of a shared journal")] = None
    url: Annotated[str | None, Field(description="PostgreSQL URL without a password (use url_env for one)")] = None
    checkpoint_every: int = Field(default=256, ge=1, le=1_000_000)
    anchor: Annotated[bool, Field(description="also store each signed checkpoint under refs/handrail/journal")] = True

    @field_validator("url_env")
    @classmethod
    def _env_name(cls, v: str | None) -> str | None:
        if v is not None and not ENV_NAME_RX.match(v):
            raise ValueError("must be the name of an environment variable, never a literal URL")
        return v

    @field_validator("url")
    @classmethod
    def _no_password(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not re.match(r"^postgres(ql)?://", v):
            raise ValueError("must be a postgresql:// URL")
        userinfo = v.split("://", 1)[1].split("@", 1)[0] if "@" in v else ""
        if ":" in userinfo:
            raise ValueError("must not contain a password; put the URL in an environment variable (url_env)")
        return v


class GuardRuleEntry(_Strict):
    """One `[[guard.rules]]` table: a team's own block/ask/allow rule."""

    id: str
    decision: Literal["block", "ask", "allow"]
    reason: str = ""
    command: Annotated[str | None, Field(description="Python regex searched in each unwrapped simple command")] = None
    path: Annotated[str | None, Field(description="glob on the file a tool reads or writes")] = None
    tools: list[Literal["shell", "read", "write", "edit", "mcp", "fetch", "search", "other"]] = Field(
        default_factory=list)

    @field_validator("id")
    @classmethod
    def _rule_id(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,79}", v):
            raise ValueError("must be lowercase letters, digits, '-', '_' or '.'")
        return v

    @field_validator("command")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except (re.error, RecursionError) as exc:
                raise ValueError(f"invalid regex {v!r}: {exc}") from None
        return v

    @model_validator(mode="after")
    def _matches_something(self) -> GuardRuleEntry:
        if self.command is None and self.path is None and not self.tools:
            raise ValueError("needs at least one of command, path or tools")
        return self


class Guard(_Strict):
    """The agent guard's policy: built-in rules plus the team's own."""

    fail_closed: Annotated[bool, Field(description="an internal error in the hook blocks the action")] = True
    protected_branches: list[str] = Field(default_factory=lambda: ["main", "master", "production", "release"])
    allow_hosts: Annotated[list[str], Field(description="hosts data may be sent to")] = Field(default_factory=list)
    disable: Annotated[list[str], Field(description="built-in rule ids switched off")] = Field(default_factory=list)
    rules: list[GuardRuleEntry] = Field(default_factory=list)


class Config(_Strict):
    exclude: list[str] = Field(default_factory=list)
    fail_on: SeverityName = "high"
    checks: dict[str, bool] = Field(default_factory=dict)
    severity: dict[str, SeverityName] = Field(default_factory=dict)
    environments: dict[str, Environment] = Field(default_factory=dict)
    routes: Routes = Field(default_factory=Routes)
    backups: Backups = Field(default_factory=Backups)
    migrations: Migrations = Field(default_factory=Migrations)
    secrets: Secrets = Field(default_factory=Secrets)
    journal: Journal = Field(default_factory=Journal)
    guard: Guard = Field(default_factory=Guard)
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
