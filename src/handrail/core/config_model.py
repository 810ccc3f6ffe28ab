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
