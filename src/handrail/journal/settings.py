"""The [journal] table, read with tomllib and checked here (the hook never imports pydantic), with the same rules
and one-line errors as handrail.core.config_model.Journal."""

from __future__ import annotations

import os
import re

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from typing import Any

_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_KEYS = ("url_env", "url", "checkpoint_every", "anchor")


class SettingsError(Exception):
    pass


class JournalSettings:
    """The [journal] values (a plain class: the hook builds one per call and a dataclass costs ~1 ms to define)."""

    __slots__ = ("anchor", "checkpoint_every", "source", "url", "url_env")

    def __init__(self, url_env: str | None = None, url: str | None = None, checkpoint_every: int = 256,
                 anchor: bool = True, source: str | None = None) -> None:
        self.url_env, self.url, self.checkpoint_every = url_env, url, checkpoint_every
        self.anchor, self.source = anchor, source


def _from_object(cfg: Any) -> JournalSettings:
    j = getattr(cfg, "journal", cfg)
    return JournalSettings(getattr(j, "url_env", None), getattr(j, "url", None),
                           int(getattr(j, "checkpoint_every", 256) or 256), bool(getattr(j, "anchor", True)),
                           getattr(cfg, "source", None))


def _check(table: Any, where: str) -> JournalSettings:
    if not isinstance(table, dict):
        raise SettingsError(f"{where}: journal: must be a table")
    for key in table:
        if key not in _KEYS:
            raise SettingsError(f"{where}: journal.{key}: unknown key")
    url_env, url = table.get("url_env"), table.get("url")
    every, anchor = table.get("checkpoint_every", 256), table.get("anchor", True)
    if url_env is not None and (not isinstance(url_env, str) or not re.match(_ENV_NAME, url_env)):
        raise SettingsError(f"{where}: journal.url_env: must be the name of an environment variable, never a "
                            "literal URL")
    if url is not None:
        if not isinstance(url, str) or not re.match(r"^postgres(ql)?://", url):
            raise SettingsError(f"{where}: journal.url: must be a postgresql:// URL")
        userinfo = url.split("://", 1)[1].split("@", 1)[0] if "@" in url else ""
        if ":" in userinfo:
            raise SettingsError(f"{where}: journal.url: must not contain a password; put the URL in an environment "
                                "variable (url_env)")
    if isinstance(every, bool) or not isinstance(every, int) or not 1 <= every <= 1_000_000:
        raise SettingsError(f"{where}: journal.checkpoint_every: must be an integer from 1 to 1000000")
    if not isinstance(anchor, bool):
        raise SettingsError(f"{where}: journal.anchor: must be true or false")
    return JournalSettings(url_env, url, every, anchor, where)


def load_settings(root: str | os.PathLike[str], config: object | None = None) -> JournalSettings:
    """[journal] from `config` (a loaded Config) or from handrail.toml / pyproject.toml [tool.handrail]."""
    if config is not None:
        return _from_object(config)
    root = os.fspath(root)
    path = os.path.join(root, "handrail.toml")
    section: tuple[str, ...] = ()
    if not os.path.isfile(path):
        path = os.path.join(root, "pyproject.toml")
        section = ("tool", "handrail")
        if not os.path.isfile(path):
            return JournalSettings()
    import tomllib  # only when there is a file to read

    try:
        with open(path, encoding="utf-8") as fh:
            data = tomllib.loads(fh.read())
    except (OSError, UnicodeDecodeError) as exc:
        if section:
            return JournalSettings()
        raise SettingsError(f"{path}: cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        if section:
            return JournalSettings()  # a broken pyproject is the project's business
        raise SettingsError(f"{path}: invalid TOML: {str(exc).split(' (at')[0]}") from exc
    for part in section:
        data = data.get(part, {}) if isinstance(data, dict) else {}
    if not isinstance(data, dict) or "journal" not in data:
        return JournalSettings(source=str(path))
    return _check(data["journal"], str(path))
