"""handrail.toml / [tool.handrail]: loading, precedence, and one-line errors naming file:line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from handrail.core.config import Config, ConfigError, load_config, toml_line
from handrail.core.finding import Severity


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")
    return path


def test_defaults_without_any_file(tmp_path: Path) -> None:
    cfg = load_config(tmp_path)
    assert cfg == Config()
    assert cfg.fail_on == "high" and cfg.enabled("secrets") and cfg.severity_for("x", "secrets") is None


def test_full_file_loads(tmp_path: Path) -> None:
    _write(tmp_path, "handrail.toml", """
fail_on = "medium"
exclude = ["legacy/", "**/*.min.js"]

[checks]
agent-log = false

[severity]
"secrets" = "low"

[environments.production]
url = "https://example.com"
database_url_env = "DATABASE_URL"
branch = "main"
protected = true

[routes]
public = ["/", "/login"]

[backups]
dir = ".handrail/backups"
keep = 5
""")
    cfg = load_config(tmp_path)
    assert cfg.fail_on == "medium" and cfg.exclude == ["legacy/", "**/*.min.js"]
    assert not cfg.enabled("agent-log") and cfg.enabled("secrets")
    assert cfg.severity_for("any-rule", "secrets") is Severity.LOW
    prod = cfg.environments["production"]
    assert (prod.url, prod.database_url_env, prod.branch, prod.protected) == ("https://example.com", "DATABASE_URL",
                                                                              "main", True)
    assert cfg.routes.public == ["/", "/login"] and cfg.backups.keep == 5
    assert cfg.source == str(tmp_path / "handrail.toml")


def test_pyproject_tool_section_and_precedence(tmp_path: Path) -> None:
    _write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n\n[tool.handrail]\nfail_on = "low"\n')
    assert load_config(tmp_path).fail_on == "low"
    _write(tmp_path, "handrail.toml", 'fail_on = "critical"\n')
    assert load_config(tmp_path).fail_on == "critical"  # handrail.toml wins


def test_pyproject_without_section_or_broken_is_not_our_business(tmp_path: Path) -> None:
    _write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n')
    assert load_config(tmp_path) == Config()
    _write(tmp_path, "pyproject.toml", "[project\nname = \n")
    assert load_config(tmp_path) == Config()


def test_explicit_config_path(tmp_path: Path) -> None:
    other = _write(tmp_path, "ci.toml", 'fail_on = "low"\n')
    _write(tmp_path, "handrail.toml", 'fail_on = "critical"\n')
    assert load_config(tmp_path, other).fail_on == "low"
    with pytest.raises(ConfigError, match=r"nope\.toml: no such config file"):
        load_config(tmp_path, tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path, tmp_path)


@pytest.mark.parametrize(("text", "where", "key"), [
    ('fail_on = "high"\n[checks\nx = 1\n', ":2:", "invalid TOML"),
    ('fail_on = "high"\nfail_onn = "low"\n', ":2:", "fail_onn: unknown key"),
    ('\n\nfail_on = "sometimes"\n', ":3:", "fail_on: Input should be"),
    ('[checks]\nsecrets = true\nsecretz = false\n', ":3:", "checks.secretz: unknown check"),
    ('[checks]\nsecrets = "no"\n', ":2:", "checks.secrets: Input should be a valid boolean"),
    ('[severity]\nno-such-rule = "low"\n', ":2:", "severity.no-such-rule: unknown rule or check"),
    ('[severity]\nsecrets = "urgent"\n', ":2:", "severity.secrets: Input should be"),
    ('[environments.prod]\nurl = "https://x.io"\npassword = "x"\n', ":3:", "environments.prod.password: unknown key"),
    ('[environments.prod]\nbranch = "main"\nurl = "ftp://x"\n', ":3:", "environments.prod.url: must start with"),
    ('[backups]\nkeep = 0\n', ":2:", "backups.keep: Input should be greater than or equal to 1"),
    ('routes = "all"\n', ":1:", "routes: Input should be"),
])
def test_bad_config_is_one_line_with_file_line_key(tmp_path: Path, text: str, where: str, key: str) -> None:
    _write(tmp_path, "handrail.toml", text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(str(tmp_path / "handrail.toml") + where), msg
    assert key in msg, msg


@pytest.mark.parametrize("value", ["postgres://admin:hunter2@db.example.com/prod", "hunter2-secret-value!"])
def test_literal_database_url_is_refused_without_echoing_it(tmp_path: Path, value: str) -> None:
    _write(tmp_path, "handrail.toml", f'[environments.production]\ndatabase_url_env = "{value}"\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    msg = str(info.value)
    assert ":2: environments.production.database_url_env: must be the name of an environment variable" in msg
    assert "hunter2" not in msg


def test_url_with_credentials_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "handrail.toml", '[environments.production]\nurl = "https://u:hunter2@example.com"\n')
    with pytest.raises(ConfigError, match="must not contain credentials") as info:
        load_config(tmp_path)
    assert "hunter2" not in str(info.value)


def test_pyproject_errors_name_the_tool_section(tmp_path: Path) -> None:
    _write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n\n[tool.handrail]\nfail_on = "low"\nbogus = 1\n')
    with pytest.raises(ConfigError, match=r"pyproject\.toml:6: tool\.handrail\.bogus: unknown key"):
        load_config(tmp_path)


def test_non_utf8_config(tmp_path: Path) -> None:
    _write(tmp_path, "handrail.toml", b'fail_on = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(tmp_path)


def test_toml_line_finds_nested_and_quoted_keys() -> None:
    text = '[checks]\n"agent-log" = false\n\n[environments.production]\nurl = "x"\nbranch = "main"\n'
    assert toml_line(text, ("checks", "agent-log")) == 2
    assert toml_line(text, ("environments", "production", "branch")) == 6
    assert toml_line(text, ("environments", "production")) == 4
    assert toml_line(text, ("missing",)) is None


def test_truncated_toml_names_the_last_line(tmp_path: Path) -> None:
    # tomllib says "at end of document" without a line for an unterminated array.
    (tmp_path / "handrail.toml").write_text('fail_on = "high"\nexclude = [\n', "utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert str(err.value).startswith(f"{tmp_path / 'handrail.toml'}:2: invalid TOML")
