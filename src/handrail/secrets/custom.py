"""User rules: `[[secrets.rules]]` in handrail.toml, and gitleaks-format TOML rule files as an import format.

Teams that already keep gitleaks rules should not have to rewrite them, so a gitleaks file is converted into
SecretRules: Go RE2 syntax becomes Python `re` syntax, the secret capture group becomes `(?P<secret>...)`, and
allowlists become the rule's `allow` / `stopwords` / `paths`. What SecretRule cannot express (path-only rules,
composite rules, commit allowlists, allowlists on the match or line) is skipped with a one-line warning
rather than silently approximated. A gitleaks file never crashes a scan: an unusable rule is a warning, an
unreadable file is a ConfigError.

Known approximation: with several capture groups and no secretGroup, gitleaks takes the first non-empty group
of each match; we take group 1.
"""

from __future__ import annotations

import re
import tomllib
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from fnmatch import translate as fnmatch_translate
from pathlib import Path
from typing import Any

from handrail.core.config import CONFIG_FILE, ConfigError, read_config_text
from handrail.core.finding import Severity
from handrail.secrets.rules import RULES, SecretRule, match_line

_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": r"\x00-\x7F", "blank": r"\t ", "cntrl": r"\x00-\x1F\x7F",
    "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~", "punct": r"!-/:-@\[-`{-~",
    "space": r"\t\n\v\f\r ", "upper": "A-Z", "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
}
_FLAGS_ONLY = re.compile(r"\(\?([A-Za-z]*(?:-[A-Za-z]*)?)\)")
_FLAGS_SCOPED = re.compile(r"\(\?([A-Za-z]*(?:-[A-Za-z]*)?):")
_NAMED = re.compile(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>")
_LOOKAROUND = re.compile(r"\(\?(?:=|!|<=|<!)")
_LEADING_FLAGS = re.compile(r"(?:\(\?[aiLmsux]+\))*")
_MAX_EXTEND_DEPTH = 3


# --- Go RE2 -> Python re ---------------------------------------------------------------------------------
@dataclass
class _Frame:
    scopes: list[str] = field(default_factory=list)  # inline flags set inside this group, now scoped groups


def _check_flags(flags: str) -> None:
    if "U" in flags:
        raise ValueError("the ungreedy flag (?U) has no Python equivalent")
    bad = set(flags) - set("imsx-")
    if bad:
        raise ValueError(f"unsupported inline flag {''.join(sorted(bad))!r}")


def _escape(src: str, i: int, in_class: bool) -> tuple[str, int]:
    """The Python form of the escape at src[i] (a backslash) and the index after it."""
    if i + 1 >= len(src):
        raise ValueError("trailing backslash")
    c = src[i + 1]
    if c == "z" and not in_class:
        return r"\Z", i + 2
    if c == "Q":
        end = src.find(r"\E", i + 2)
        literal = src[i + 2:] if end < 0 else src[i + 2:end]
        return re.escape(literal), len(src) if end < 0 else end + 2
    if c == "x" and src.startswith("{", i + 2):
        end = src.find("}", i + 3)
        if end < 0:
            raise ValueError(r"unterminated \x{...}")
        try:
            return re.escape(chr(int(src[i + 3:end], 16))), end + 1
        except (ValueError, OverflowError) as exc:
            raise ValueError(rf"bad \x{{{src[i + 3:end]}}}") from exc
    if c in "pP":
        raise ValueError(rf"Unicode class \{c} is not supported by Python re")
    if c == "C":
        raise ValueError(r"\C is not supported by Python re")
    return src[i:i + 2], i + 2


def _class(src: str, i: int) -> tuple[str, int]:
    """A bracket expression starting at src[i] == '[': POSIX classes expanded, set-operator lookalikes escaped."""
    out = ["["]
    j = i + 1
    if src.startswith("^", j):
        out.append("^")
        j += 1
    if src.startswith("]", j):
        out.append(r"\]")
        j += 1
    while j < len(src):
        c = src[j]
        if c == "]":
            return "".join(out) + "]", j + 1
        if c == "\\":
            text, j = _escape(src, j, in_class=True)
            out.append(text)
            continue
        if c == "[" and src.startswith("[:", j):
            end = src.find(":]", j + 2)
            name = src[j + 2:end] if end >= 0 else ""
            if name.startswith("^"):
                raise ValueError(f"negated POSIX class [:{name}:] is not supported")
            if name not in _POSIX_CLASSES:
                raise ValueError(f"unknown POSIX class [:{name}:]")
            out.append(_POSIX_CLASSES[name])
            j = end + 2
            continue
        # Python warns about (and may one day reinterpret) nested sets and &&, ~~, || inside a class.
        out.append("\\" + c if c in "[&~|" else c)
        j += 1
    raise ValueError("missing ] in a character class")


def go_to_python(src: str, secret_group: int | None = None, *, want_secret: bool = True) -> str:
    """Rewrite a Go RE2 pattern for Python `re`; with want_secret, the secret group becomes `(?P<secret>...)`.

    secret_group None or 0 means gitleaks' default: the first capture group, or the whole match if none.
    Raises ValueError with a short reason for syntax Python cannot express.
    """
    target = secret_group or 1
    out: list[str] = []
    stack = [_Frame()]
    capture = 0
    i = 0
    n = len(src)
    while i < n:
        c = src[i]
        if c == "\\":
            text, i = _escape(src, i, in_class=False)
            out.append(text)
        elif c == "[":
            text, i = _class(src, i)
            out.append(text)
        elif c == "(":
            if src.startswith("(?", i):
                if m := _FLAGS_ONLY.match(src, i):
                    _check_flags(m.group(1))
                    # Python 3.11 refuses global flags past the start; RE2 scopes them to the enclosing group.
                    if m.group(1):
                        out.append(f"(?{m.group(1)}:")
                        stack[-1].scopes.append(m.group(1))
                    i = m.end()
                    continue
                if m := _FLAGS_SCOPED.match(src, i):
                    _check_flags(m.group(1))
                    out.append(m.group(0))
                elif m := _NAMED.match(src, i):
                    capture += 1
                    name = m.group(1)
                    if want_secret and capture == target:
                        out.append("(?P<secret>")
                    else:
                        out.append(f"(?P<{name}_>" if name == "secret" else f"(?P<{name}>")
                elif m := _LOOKAROUND.match(src, i):
                    out.append(m.group(0))
                else:
                    raise ValueError(f"unsupported group syntax at offset {i}")
                i = m.end()
            else:
                capture += 1
                out.append("(?P<secret>" if want_secret and capture == target else "(")
                i += 1
            stack.append(_Frame())
        elif c == ")":
            if len(stack) == 1:
                raise ValueError(f"unbalanced ) at offset {i}")
            out.append(")" * len(stack.pop().scopes) + ")")
            i += 1
        elif c == "|" and stack[-1].scopes:
            scopes = stack[-1].scopes
            out.append(")" * len(scopes) + "|" + "".join(f"(?{f}:" for f in scopes))
            i += 1
        else:
            out.append(c)
            i += 1
    if len(stack) > 1:
        raise ValueError("missing )")
    out.append(")" * len(stack[0].scopes))
    result = "".join(out)
    if want_secret and capture < target:
        if secret_group:
            raise ValueError(f"secretGroup {secret_group} but the regex has {capture} capture group(s)")
        result = f"(?P<secret>{result})"  # gitleaks: no group means the whole match is the secret
    return result


def _compile(pattern: str) -> re.Pattern[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # FutureWarnings about set syntax are not errors
        try:
            return re.compile(pattern, re.ASCII)
        except RecursionError:
            raise re.error("nested too deeply") from None


# --- gitleaks TOML ---------------------------------------------------------------------------------------
def _read_toml(path: Path, display: str) -> dict[str, Any]:
    text = read_config_text(path, display, "gitleaks rule file")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        where = f"{display}:{m.group(1)}" if m else display
        raise ConfigError(f"{where}: invalid TOML: {str(exc).split(' (at')[0]}") from exc


def _tables(value: Any, what: str, display: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return value
    raise ConfigError(f"{display}: {what} must be a table or an array of tables")


def _global_allowlists(data: dict[str, Any], display: str) -> list[dict[str, Any]]:
    return _tables(data.get("allowlist"), "[allowlist]", display) + _tables(
        data.get("allowlists"), "[[allowlists]]", display)


def _merge_rule(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """gitleaks [extend] semantics, simplified: the child's fields win, keywords/tags/allowlists accumulate."""
    merged = dict(base)
    for key, value in child.items():
        if key in ("keywords", "tags") and isinstance(value, list) and isinstance(base.get(key), list):
            merged[key] = list(dict.fromkeys([*base[key], *value]))
        elif key == "allowlists" and isinstance(value, list) and isinstance(base.get(key), list):
            merged[key] = [*base[key], *value]
        else:
            merged[key] = value
    return merged


def _load_raw(path: Path, display: str, depth: int, warn: list[str]) -> tuple[list[dict], list[dict]]:
    """(rules, global allowlists) of a file, with its [extend] base merged in."""
    data = _read_toml(path, display)
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list) or not all(isinstance(r, dict) for r in raw_rules):
        raise ConfigError(f"{display}: [[rules]] must be an array of tables")
    for n, rule in enumerate(raw_rules, 1):
        if not isinstance(rule.get("id"), str) or not rule["id"].strip():
            warn.append(f"{display}: rule #{n} skipped: no id")
    raw_rules = [r for r in raw_rules if isinstance(r.get("id"), str) and r["id"].strip()]
    allowlists = _global_allowlists(data, display)
    extend = data.get("extend")
    if extend is None:
        return raw_rules, allowlists
    if not isinstance(extend, dict):
        raise ConfigError(f"{display}: [extend] must be a table")
    if extend.get("useDefault"):
        warn.append(f"{display}: [extend] useDefault: gitleaks' default rules are not imported; "
                    f"Handrail's built-in rules cover the same providers")
    base_rules: list[dict] = []
    base_path = extend.get("path")
    if base_path is not None:
        if not isinstance(base_path, str):
            raise ConfigError(f"{display}: [extend] path must be a string")
        if depth >= _MAX_EXTEND_DEPTH:
            raise ConfigError(f"{display}: [extend] nests deeper than {_MAX_EXTEND_DEPTH} files")
        base_file = (path.parent / base_path)
        base_rules, base_allow = _load_raw(base_file, f"{display} -> {base_path}", depth + 1, warn)
        allowlists = base_allow + allowlists
    disabled = extend.get("disabledRules", [])
    if not isinstance(disabled, list):
        raise ConfigError(f"{display}: [extend] disabledRules must be an array of rule ids")
    by_id: dict[Any, dict] = {r.get("id"): r for r in base_rules if r.get("id") not in disabled}
    for rule in raw_rules:
        rid = rule.get("id")
        by_id[rid] = _merge_rule(by_id[rid], rule) if rid in by_id else rule
    return list(by_id.values()), allowlists


def _str_list(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} must be an array of strings")
    return value


def _severity(tags: list[str]) -> Severity:
    for tag in tags:
        name = tag.lower().removeprefix("severity:").removeprefix("severity=").strip()
        if name in {s.value for s in Severity}:
            return Severity(name)
    return Severity.HIGH


@dataclass
class _Allow:
    allow: list[str] = field(default_factory=list)
    stopwords: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


def _apply_allowlist(al: dict[str, Any], into: _Allow, notes: list[str]) -> None:
    """Fold one gitleaks allowlist into the rule's allow fields; unsupported parts become notes."""
    condition = str(al.get("condition", "OR")).upper()
    target = al.get("regexTarget", "secret")
    regexes = _str_list(al.get("regexes"), "allowlist regexes")
    stopwords = _str_list(al.get("stopwords"), "allowlist stopwords")
    paths = _str_list(al.get("paths"), "allowlist paths")
    commits = _str_list(al.get("commits"), "allowlist commits")
    kinds = sum(bool(k) for k in (regexes, stopwords, paths, commits))
    if condition == "AND" and kinds > 1:
        notes.append("an AND allowlist combining several criteria is not supported; it is ignored")
        return
    if commits:
        notes.append("allowlist commits are not supported (use a baseline); they are ignored")
    if regexes and target != "secret":
        notes.append(f"allowlist regexes with regexTarget={target!r} are not supported; they are ignored")
        regexes = []
    into.allow += [go_to_python(r, want_secret=False) for r in regexes]
    into.stopwords += [w.lower() for w in stopwords]
    into.paths += [go_to_python(p, want_secret=False) for p in paths]


def _convert_rule(raw: dict[str, Any], origin: str, global_allow: list[dict[str, Any]]) -> tuple[SecretRule, list[str]]:
    """One gitleaks [[rules]] table -> SecretRule and notes; ValueError(reason) when it cannot be used."""
    rid = raw["id"]
    if raw.get("required"):
        raise ValueError("composite rules ([[rules.required]]) are not supported")
    regex = raw.get("regex")
    path = raw.get("path")
    if regex is None:
        if path is not None:
            raise ValueError("path-only rules (no regex) are not supported")
        raise ValueError("no regex")
    if not isinstance(regex, str) or (path is not None and not isinstance(path, str)):
        raise ValueError("regex and path must be strings")
    group = raw.get("secretGroup")
    if group is not None and (not isinstance(group, int) or isinstance(group, bool) or group < 0):
        raise ValueError("secretGroup must be a non-negative integer")
    entropy = raw.get("entropy")
    if entropy is not None and (not isinstance(entropy, int | float) or isinstance(entropy, bool)):
        raise ValueError("entropy must be a number")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise ValueError("description must be a string")
    keywords = [k.lower() for k in _str_list(raw.get("keywords"), "keywords")]
    tags = _str_list(raw.get("tags"), "tags")
    pattern = go_to_python(regex, group)
    notes: list[str] = []
    allow = _Allow()
    for al in _tables(raw.get("allowlist"), "allowlist", rid) + _tables(raw.get("allowlists"), "allowlists", rid):
        _apply_allowlist(al, allow, notes)
    for al in global_allow:
        targets = al.get("targetRules")
        if targets is None or (isinstance(targets, list) and rid in targets):
            _apply_allowlist({k: v for k, v in al.items() if k != "targetRules"}, allow, notes)
    path_rx = _paths_regex(go_to_python(path, want_secret=False) if path else None, allow.paths)
    for rx, what in [(pattern, "regex"), *((a, "allowlist regex") for a in allow.allow),
                     *([(path_rx, "path")] if path_rx else [])]:
        try:
            _compile(rx)
        except re.error as exc:
            raise ValueError(f"{what} does not compile in Python: {exc}") from exc
    rule = SecretRule(
        id=rid, description=description or f"{rid} (imported gitleaks rule)", severity=_severity(tags),
        keywords=tuple(dict.fromkeys(keywords)), pattern=pattern, entropy=float(entropy) if entropy else None,
        paths=path_rx, allow=tuple(dict.fromkeys(allow.allow)), stopwords=tuple(dict.fromkeys(allow.stopwords)),
        origin=origin,
    )
    return rule, list(dict.fromkeys(notes))


def _paths_regex(include: str | None, exclude: list[str]) -> str | None:
    """One regex for SecretRule.paths: searched from the start, so lookaheads test the whole path."""
    if include is None and not exclude:
        return None
    parts = ["^"]
    if exclude:
        parts.append("(?!" + "|".join(f".*?(?:{p})" for p in dict.fromkeys(exclude)) + ")")
    if include is not None:
        parts.append(f"(?=.*?(?:{include}))")
    return "".join(parts)


def load_gitleaks_toml(path: Path, display: str | None = None) -> tuple[list[SecretRule], list[str]]:
    """Rules of a gitleaks-format TOML file, and one-line warnings for what could not be imported."""
    display = display or str(path)
    warn: list[str] = []
    raw_rules, global_allow = _load_raw(path, display, 0, warn)
    origin = f"gitleaks:{path.name}"
    rules: list[SecretRule] = []
    seen: set[str] = set()
    for raw in raw_rules:
        rid = raw["id"]
        if raw.get("skipReport"):
            continue  # exists only as a component of a composite rule; gitleaks never reports it either
        if rid in seen:
            warn.append(f"{display}: rule {rid!r} skipped: duplicate id")
            continue
        try:
            rule, notes = _convert_rule(raw, origin, global_allow)
        except (ValueError, ConfigError) as exc:
            warn.append(f"{display}: rule {rid!r} skipped: {_one_line(exc)}")
            continue
        seen.add(rid)
        rules.append(rule)
        warn += [f"{display}: rule {rid!r}: {note}" for note in notes]
    return rules, warn


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


# --- [[secrets.rules]] in handrail.toml ------------------------------------------------------------------
def globs_regex(globs: Iterable[str]) -> str | None:
    """Path globs as `exclude` reads them (`*` crosses `/`, a folder covers what is under it) in one regex."""
    alts: list[str] = []
    for glob in globs:
        glob = glob.strip().rstrip("/")
        if not glob:
            continue
        alts += [fnmatch_translate(glob), fnmatch_translate(glob + "/*")]
        if glob.startswith("**/"):
            alts.append(fnmatch_translate(glob[3:]))
    return "^(?:" + "|".join(alts) + ")" if alts else None


def _with_secret_group(pattern: str) -> str:
    if "(?P<secret>" in pattern:
        return pattern
    flags = _LEADING_FLAGS.match(pattern)
    head = flags.group(0) if flags else ""
    return f"{head}(?P<secret>{pattern[len(head):]})"


def _rule_lines(source: str) -> list[int]:
    """Line numbers of each [[secrets.rules]] header, for error messages (best effort)."""
    try:
        text = Path(source).read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    rx = re.compile(r"^\s*\[\[\s*(?:tool\s*\.\s*handrail\s*\.\s*)?secrets\s*\.\s*rules\s*\]\]")
    return [no for no, line in enumerate(text.splitlines(), 1) if rx.match(line)]


def _get(entry: Any, key: str, default: Any = None) -> Any:
    return entry.get(key, default) if isinstance(entry, dict) else getattr(entry, key, default)


def rules_from_config(entries: Iterable[Any], source: str | None = None) -> list[SecretRule]:
    """SecretRules from `[[secrets.rules]]` (models or plain dicts); ConfigError when a rule is unusable."""
    source = source or CONFIG_FILE
    builtin = {r.id for r in RULES}
    lines = _rule_lines(source)
    rules: list[SecretRule] = []
    for i, entry in enumerate(entries):
        rid = _get(entry, "id")
        where = f"{source}:{lines[i]}" if i < len(lines) else source
        label = f"secrets.rules[{i}] ({rid})" if rid else f"secrets.rules[{i}]"

        def fail(problem: str, where: str = where, label: str = label) -> ConfigError:
            return ConfigError(f"{where}: {label}: {problem}")

        if not isinstance(rid, str) or not rid:
            raise fail("id is required")
        if rid in builtin:
            raise fail("id clashes with a built-in rule; choose another id")
        if any(r.id == rid for r in rules):
            raise fail("duplicate id")
        pattern = _get(entry, "pattern")
        if not isinstance(pattern, str) or not pattern:
            raise fail("pattern is required")
        pattern = _with_secret_group(pattern)
        allow = tuple(_get(entry, "allow") or ())
        for rx, what in [(pattern, "pattern"), *((a, "allow regex") for a in allow)]:
            try:
                _compile(rx)
            except re.error as exc:
                raise fail(f"{what} is not a valid regex: {exc}") from exc
        try:
            severity = Severity(_get(entry, "severity") or "high")
        except ValueError as exc:
            raise fail("severity must be one of critical, high, medium, low, info") from exc
        entropy = _get(entry, "entropy")
        rule = SecretRule(
            id=rid, description=_get(entry, "description") or f"{rid} (rule from {Path(source).name})",
            severity=severity, keywords=tuple(dict.fromkeys(k.lower() for k in _get(entry, "keywords") or ())),
            pattern=pattern, entropy=float(entropy) if entropy is not None else None,
            must_match=tuple(_get(entry, "must_match") or ()),
            must_not_match=tuple(_get(entry, "must_not_match") or ()),
            paths=globs_regex(_get(entry, "paths") or ()), allow=allow,
            stopwords=tuple(w.lower() for w in _get(entry, "stopwords") or ()), origin="config",
        )
        # The examples never appear in messages: they may be format-valid fake secrets.
        for n, line in enumerate(rule.must_match, 1):
            if not match_line(rule, line):
                raise fail(f"must_match example {n} is not matched (check pattern, keywords, entropy, allow)")
        for n, line in enumerate(rule.must_not_match, 1):
            if match_line(rule, line):
                raise fail(f"must_not_match example {n} is matched")
        rules.append(rule)
    return rules


def configured_rules(root: Path, config: Any) -> tuple[tuple[SecretRule, ...], list[str]]:
    """Built-in rules + handrail.toml rules + imported gitleaks files, and warnings for the user."""
    secrets = getattr(config, "secrets", None)
    if secrets is None:
        return RULES, []
    source = getattr(config, "source", None) or CONFIG_FILE
    rules = [*RULES, *rules_from_config(secrets.rules, source)]
    warn: list[str] = []
    taken = {r.id for r in rules}
    for rel in secrets.gitleaks:
        imported, notes = load_gitleaks_toml(root / rel, display=rel)
        warn += notes
        for rule in imported:
            if rule.id in taken:
                new_id = f"gitleaks-{rule.id}"
                if new_id in taken:
                    warn.append(f"{rel}: rule {rule.id!r} skipped: its id is already used")
                    continue
                warn.append(f"{rel}: rule {rule.id!r} renamed {new_id!r}: its id is already used")
                rule = replace(rule, id=new_id)
            taken.add(rule.id)
            rules.append(rule)
    return tuple(rules), warn
