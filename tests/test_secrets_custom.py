"""User secret rules: handrail.toml `[[secrets.rules]]`, gitleaks-format imports, the pre-commit hook and the
GitHub Actions example. Every rule file here is written for these tests (fake "acme"/"zorp" token formats)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from handrail.core.config import ConfigError, DefaultConfig, load_config
from handrail.core.finding import Severity
from handrail.secrets.custom import configured_rules, go_to_python, load_gitleaks_toml, rules_from_config
from handrail.secrets.rules import RULES, SecretRule, match_line, rule_applies

REPO = Path(__file__).resolve().parent.parent

# Fake, format-valid values for the invented formats below.
ACME = "acme_live_Q7dK2mZp9XvR4tLw8NcB1yHs6FjU3gEa"
ZORP = "ZORP-9f3Kq7Lm2Xv8Rt4Wz6Yb"
HEX = "c0ffee4b9e1d7a23f6580b1c9d2e4f7a"

BASE_TOML = r"""
title = "team base rules"

[allowlist]
description = "global (old single-table form): fixtures never hold real keys"
paths = ['''(^|/)testdata/''']

[[rules]]
id = "zorp-token"
description = "Zorp API token"
regex = '''\b(ZORP-[0-9A-Za-z]{20})\b'''
keywords = ["ZORP-"]
tags = ["medium"]

[[rules]]
id = "to-be-disabled"
regex = '''disabled_[a-z]{10}'''
"""

MAIN_TOML = r"""
title = "team rules"

[extend]
path = "base.toml"
disabledRules = ["to-be-disabled"]

[[allowlists]]
targetRules = ["acme-key"]
regexes = ['''^acme_live_0''']

[[rules]]
id = "acme-key"
description = "Acme live key, case-insensitive name, secret in group 2"
regex = '''(acme)[_-]?key\s*=\s*(?i)['"]?(acme_live_[a-z0-9]{32})\b'''
secretGroup = 2
keywords = ["ACME_LIVE_"]
entropy = 3.5
tags = ["payments", "critical"]

    [[rules.allowlists]]
    description = "docs placeholders"
    stopwords = ["DOCSONLY"]
    regexes = ['''[0-9]{32}$''']

    [[rules.allowlists]]
    regexTarget = "line"
    regexes = ['''test''']

    [[rules.allowlists]]
    condition = "AND"
    paths = ['''docs/''']
    regexes = ['''x''']

    [[rules.allowlists]]
    commits = ["0123456789abcdef0123456789abcdef01234567"]

[[rules]]
id = "hex-session"
description = 'first group by default, end of text as \z'
regex = '''session_key=([0-9a-f]{32})\z'''
keywords = ["session_key"]

[[rules]]
id = "zorp-token"
description = "overrides the base rule; keywords accumulate"
keywords = ["zorp_token"]

[[rules]]
id = "whole-match"
regex = '''WM-[[:upper:][:digit:]]{12}'''
path = '''\.cfg$'''

[[rules]]
id = "private-dump"
description = "file type only"
path = '''\.dump$'''

[[rules]]
id = "unicode-class"
regex = '''name=\p{Greek}+'''

[[rules]]
id = "ungreedy"
regex = '''(?U)key=.+'''

[[rules]]
id = "composite"
regex = '''user=([a-z]+)'''
    [[rules.required]]
    id = "zorp-token"

[[rules]]
id = "only-a-component"
regex = '''part=[a-z]+'''
skipReport = true

[[rules]]
description = "no id"
regex = '''x'''
"""


@pytest.fixture
def gitleaks_dir(tmp_path: Path) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "base.toml").write_text(BASE_TOML, "utf-8")
    (tmp_path / "rules" / "gitleaks.toml").write_text(MAIN_TOML, "utf-8")
    return tmp_path


def _by_id(rules: list[SecretRule]) -> dict[str, SecretRule]:
    return {r.id: r for r in rules}


def test_gitleaks_import_converts_rules(gitleaks_dir: Path) -> None:
    rules, warnings = load_gitleaks_toml(gitleaks_dir / "rules" / "gitleaks.toml")
    got = _by_id(rules)
    assert set(got) == {"acme-key", "hex-session", "zorp-token", "whole-match"}
    assert all(r.origin == "gitleaks:gitleaks.toml" for r in rules)
    for rule in rules:
        assert "(?P<secret>" in rule.pattern
        re.compile(rule.pattern, re.ASCII)

    acme = got["acme-key"]
    assert acme.severity is Severity.CRITICAL and acme.entropy == 3.5 and acme.keywords == ("acme_live_",)
    # mid-pattern (?i) became a scoped group; the secret is group 2, not the "acme" prefix
    assert match_line(acme, f"acme_key = '{ACME.upper().replace('ACME_LIVE_', 'acme_live_')}'") != []
    assert match_line(acme, f"acme_key = '{ACME}'") == [ACME]
    assert match_line(acme, f"ACME_key = '{ACME}'") == []  # the flag does not reach back to the name
    assert match_line(acme, "acme_key = acme_live_" + "1234567890" * 3 + "12") == []  # rule allowlist regex
    assert match_line(acme, "acme_key = acme_live_DOCSONLYq7dK2mZp9XvR4tLw8NcB1y") == []  # stopword
    assert match_line(acme, "acme_key = acme_live_0dK2mZp9XvR4tLw8NcB1yHs6FjU3gEa") == []  # targeted global
    assert rule_applies(acme, "src/settings.py") and not rule_applies(acme, "pkg/testdata/keys.py")

    hexs = got["hex-session"]
    assert hexs.severity is Severity.HIGH and hexs.paths == r"^(?!.*?(?:(^|/)testdata/))"
    assert match_line(hexs, f"session_key={HEX}") == [HEX]
    assert match_line(hexs, f"session_key={HEX} trailing") == []

    zorp = got["zorp-token"]  # merged with the base file's rule of the same id
    assert zorp.severity is Severity.MEDIUM and set(zorp.keywords) == {"zorp-", "zorp_token"}
    assert match_line(zorp, f"token: {ZORP}") == [ZORP]
    assert zorp.description == "overrides the base rule; keywords accumulate"

    whole = got["whole-match"]
    assert match_line(whole, "value WM-AB12CD34EF56 here") == ["WM-AB12CD34EF56"]
    assert rule_applies(whole, "conf/app.cfg") and not rule_applies(whole, "conf/app.ini")
    assert not rule_applies(whole, "testdata/app.cfg")

    text = "\n".join(warnings)
    assert all("\n" not in w and w.startswith(str(gitleaks_dir)) for w in warnings)
    for expected in ("'private-dump' skipped: path-only", "'unicode-class' skipped: Unicode class",
                     "'ungreedy' skipped: the ungreedy flag", "'composite' skipped: composite rules",
                     "rule #10 skipped: no id", "regexTarget='line' are not supported",
                     "an AND allowlist", "allowlist commits are not supported"):
        assert expected in text, expected
    assert "only-a-component" not in text and "to-be-disabled" not in text


def test_gitleaks_bad_regex_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[[rules]]\nid = 'broken'\nregex = '''(unclosed'''\n\n"
                    "[[rules]]\nid = 'lookbehind'\nregex = '''(?<=a+)b'''\n\n"
                    "[[rules]]\nid = 'fine'\nregex = '''fine_[0-9]{8}'''\n", "utf-8")
    rules, warnings = load_gitleaks_toml(path, display="bad.toml")
    assert [r.id for r in rules] == ["fine"]
    assert warnings[0] == "bad.toml: rule 'broken' skipped: missing )"
    assert warnings[1].startswith("bad.toml: rule 'lookbehind' skipped: regex does not compile in Python:")
    assert len(warnings) == 2 and all("\n" not in w for w in warnings)


@pytest.mark.parametrize(("content", "message"), [
    ("[[rules]\nid = 'x'\n", r"^bad\.toml:1: invalid TOML: "),
    ("rules = 3\n", r"^bad\.toml: \[\[rules\]\] must be an array of tables$"),
    ("[extend]\npath = 'missing.toml'\n", r"^bad\.toml -> missing\.toml: no such gitleaks rule file$"),
])
def test_gitleaks_bad_file_is_a_one_line_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, "utf-8")
    with pytest.raises(ConfigError) as err:
        load_gitleaks_toml(path, display="bad.toml")
    assert re.search(message, str(err.value)) and "\n" not in str(err.value)


def test_gitleaks_extend_cycle_stops(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text("[extend]\npath = 'a.toml'\n", "utf-8")
    with pytest.raises(ConfigError, match="nests deeper than"):
        load_gitleaks_toml(tmp_path / "a.toml")


@pytest.mark.parametrize(("go", "python"), [
    (r"(?i)key=(\w+)", r"(?i:key=(?P<secret>\w+))"),
    (r"a(?i)b|c", r"(?P<secret>a(?i:b)|(?i:c))"),
    (r"(?P<secret>x)(y)", r"(?P<secret>x)(y)"),
    (r"(?<name>a)", r"(?P<secret>a)"),
    (r"\Qa.b\E\x{41}[[:xdigit:]&]", r"(?P<secret>a\.bA[0-9A-Fa-f\&])"),
])
def test_go_to_python(go: str, python: str) -> None:
    assert go_to_python(go) == python
    re.compile(python)


def test_go_to_python_renames_a_stray_secret_group() -> None:
    converted = go_to_python(r"(?P<secret>[a-z]+)=([0-9]+)", 2)
    assert re.fullmatch(converted, "abc=123").group("secret") == "123"  # type: ignore[union-attr]


# --- handrail.toml ----------------------------------------------------------------------------------------
ACME_RULE = f"""
[[secrets.rules]]
id = "acme-internal-token"
description = "Acme internal service token"
pattern = 'acme_int_(?P<secret>[A-Za-z0-9]{{24}})'
keywords = ["ACME_INT_"]
severity = "critical"
entropy = 3
paths = ["services/", "*.env"]
allow = ['^0+$']
stopwords = ["Sample"]
must_match = ["TOKEN=acme_int_{ACME[10:34]}"]
must_not_match = ["TOKEN=acme_int_SAMPLEq7dK2mZp9XvR4tLw8NcB", "TOKEN=acme_int_short"]

[[secrets.rules]]
id = "zorp-whole"
pattern = '(?i)zorp-[0-9a-z]{{20}}'
"""


def _project(tmp_path: Path, toml: str) -> Path:
    (tmp_path / "handrail.toml").write_text(toml, "utf-8")
    return tmp_path


def test_config_rules(tmp_path: Path) -> None:
    cfg = load_config(_project(tmp_path, ACME_RULE))
    rules, warnings = configured_rules(tmp_path, cfg)
    assert rules[: len(RULES)] == RULES and warnings == []
    got = _by_id(list(rules[len(RULES):]))
    acme = got["acme-internal-token"]
    assert acme.origin == "config" and acme.severity is Severity.CRITICAL and acme.keywords == ("acme_int_",)
    assert acme.stopwords == ("sample",) and acme.entropy == 3.0
    assert match_line(acme, f"x = acme_int_{ACME[10:34]}") == [ACME[10:34]]
    assert rule_applies(acme, "services/billing/app.py") and rule_applies(acme, "deploy/prod.env")
    assert not rule_applies(acme, "web/app.py")
    whole = got["zorp-whole"]
    assert whole.severity is Severity.HIGH and whole.paths is None
    assert match_line(whole, f"use {ZORP.lower()} now") == [ZORP.lower()]


def test_config_with_gitleaks_import_and_id_clash(gitleaks_dir: Path) -> None:
    clash = "[[rules]]\nid = 'github-token'\nregex = '''ghx_[A-Za-z0-9]{10}'''\n"
    (gitleaks_dir / "rules" / "clash.toml").write_text(clash, "utf-8")
    toml = '[secrets]\nhistory = false\ngitleaks = ["rules/gitleaks.toml", "rules/clash.toml"]\n'
    cfg = load_config(_project(gitleaks_dir, toml))
    assert cfg.secrets.history is False
    rules, warnings = configured_rules(gitleaks_dir, cfg)
    ids = [r.id for r in rules]
    assert len(ids) == len(set(ids)) and {"acme-key", "zorp-token", "gitleaks-github-token"} <= set(ids)
    assert "rules/clash.toml: rule 'github-token' renamed 'gitleaks-github-token': its id is already used" in warnings
    assert any(w.startswith("rules/gitleaks.toml: rule 'private-dump' skipped") for w in warnings)


@pytest.mark.parametrize(("toml", "message"), [
    ('[[secrets.rules]]\nid = "github-token"\npattern = "x"\n',
     r"handrail\.toml:1: secrets\.rules\[0\] \(github-token\): id clashes with a built-in rule"),
    ('[secrets]\nhistory = true\n\n[[secrets.rules]]\nid = "a"\npattern = "a_[0-9]{8}"\n'
     'must_match = ["a_FAKEFAKE"]\n',
     r"handrail\.toml:4: secrets\.rules\[0\] \(a\): must_match example 1 is not matched"),
    ('[[secrets.rules]]\nid = "a"\npattern = "a_[0-9]{8}"\nmust_not_match = ["a_12345678"]\n',
     r"secrets\.rules\[0\] \(a\): must_not_match example 1 is matched$"),
    ('[[secrets.rules]]\nid = "a"\npattern = "a"\n[[secrets.rules]]\nid = "a"\npattern = "b"\n',
     r"handrail\.toml:4: secrets\.rules\[1\] \(a\): duplicate id$"),
    ('[secrets]\ngitleaks = ["nope.toml"]\n', r"^nope\.toml: no such gitleaks rule file$"),
])
def test_config_rule_errors(tmp_path: Path, toml: str, message: str) -> None:
    cfg = load_config(_project(tmp_path, toml))
    with pytest.raises(ConfigError) as err:
        configured_rules(tmp_path, cfg)
    assert re.search(message, str(err.value)) and "\n" not in str(err.value)
    assert "12345678" not in str(err.value)  # examples (possibly secrets) are never echoed


@pytest.mark.parametrize(("toml", "message"), [
    ('[[secrets.rules]]\nid = "a"\npattern = "(unclosed"\n',
     r"handrail\.toml:\d+: secrets\.rules\.0\.pattern: invalid regex '\(unclosed': missing \)"),
    ('[[secrets.rules]]\nid = "Bad Id"\npattern = "x"\n', r"secrets\.rules\.0\.id: must be lowercase"),
    ('[[secrets.rules]]\nid = "a"\npattern = "x"\nseverity = "urgent"\n', r"secrets\.rules\.0\.severity: "),
    ('[[secrets.rules]]\nid = "a"\npattern = "x"\nentropy = 9\n', r"secrets\.rules\.0\.entropy: "),
    ('[secrets]\nhistory = "yes"\n', r"handrail\.toml:2: secrets\.history: Input should be a valid boolean"),
    ('[secrets]\nscan_everything = true\n', r"handrail\.toml:2: secrets\.scan_everything: unknown key"),
    ('[[secrets.rules]]\npattern = "x"\n', r"secrets\.rules\.0\.id: Field required"),
])
def test_config_model_errors(tmp_path: Path, toml: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(_project(tmp_path, toml))
    assert re.search(message, str(err.value)) and "\n" not in str(err.value)


def test_default_config_secrets(tmp_path: Path) -> None:
    from handrail.core.config_model import Config

    cfg = load_config(tmp_path)
    assert isinstance(cfg, DefaultConfig) and cfg == Config()
    assert (cfg.secrets.history, cfg.secrets.rules, cfg.secrets.gitleaks, cfg.secrets.exclude) == (True, [], [], [])
    assert configured_rules(tmp_path, cfg) == (RULES, [])
    assert cfg != Config.model_validate({"secrets": {"history": False}})
    assert cfg != Config.model_validate({"secrets": {"exclude": ["vendor/"]}})


def test_pyproject_section(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.handrail.secrets]\nexclude = ["vendor/"]\n\n[[tool.handrail.secrets.rules]]\nid = "a"\n'
        'pattern = "a_[0-9]{8}"\nmust_match = ["a_1234"]\n', "utf-8")
    cfg = load_config(tmp_path)
    assert cfg.secrets.exclude == ["vendor/"]
    with pytest.raises(ConfigError, match=r"pyproject\.toml:4: secrets\.rules\[0\] \(a\): must_match example 1"):
        configured_rules(tmp_path, cfg)


def test_rules_from_plain_dicts() -> None:
    rules = rules_from_config([{"id": "plain", "pattern": "plain_[a-z]{6}", "keywords": ["PLAIN_"]}])
    assert match_line(rules[0], "v = plain_abcdef") == ["plain_abcdef"]


# --- pre-commit hook and GitHub Actions example -----------------------------------------------------------
def test_pre_commit_hook() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text("utf-8"))
    (hook,) = hooks
    assert hook["id"] == "handrail-secrets" and hook["entry"] == "handrail secrets --staged"
    assert hook["language"] == "python" and hook["pass_filenames"] is False and hook["always_run"] is True
    assert hook["stages"] == ["pre-commit"]


def test_github_actions_example() -> None:
    wf = yaml.safe_load((REPO / "docs" / "github-actions-secrets.yml").read_text("utf-8"))
    assert wf["permissions"] == {"contents": "read", "security-events": "write"}
    steps = wf["jobs"]["secrets"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    runs = [s.get("run", "") for s in steps]
    assert "handrail secrets --history --format sarif --output handrail-secrets.sarif" in runs
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert "always()" in upload["if"] and upload["with"]["sarif_file"] == "handrail-secrets.sarif"
    # the same action pins as `handrail init --ci github`
    init_src = (REPO / "src" / "handrail" / "init.py").read_text("utf-8")
    for step in steps:
        if "uses" in step:
            assert f"uses: {step['uses']}" in init_src, step["uses"]
