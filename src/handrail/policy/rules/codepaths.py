"""Paths that interpreter one-liners delete: `perl -e 'rmtree(...)'`, `node -e "fs.rmSync(...)"`, Ruby FileUtils.

The shell reader turns literal `shutil.rmtree("x")` into `rm -rf x`, but JS, Perl and Ruby deletes, and any
path spelt as the home directory (process.env.HOME, os.homedir(), $ENV{HOME}, Dir.home, Path.home()), would
pass unread. This is a tripwire over the usual spellings, not a parser for those languages: an argument it
cannot read comes back as None, which a recursive delete turns into an ask. Imported only for one-liners.
"""

from __future__ import annotations

import posixpath

from handrail.policy.rules.base import LazyRe

# A call that deletes, per language; group "fn" is the function name.
_CALLS = {
    "node": LazyRe(r"""(?:(?:\bfs|\bfsp|\bfse|\bfsExtra|\bpromises|\bshell|\bshelljs|\bDeno|\brimraf|"""
                   r"""require\(\s*['"](?:node:)?(?:fs|fs/promises|fs-extra|shelljs|rimraf)['"]\s*\))\s*\.\s*|"""
                   r"""(?<![\w$.]))(?P<fn>rmSync|rmdirSync|rm|rmdir|removeSync|remove|emptyDirSync|emptyDir|"""
                   r"""rimrafSync|rimraf|sync|deleteSync)\s*\("""),
    "perl": LazyRe(r"(?:File::Path::|(?<![\w$>:]))(?P<fn>rmtree|remove_tree|unlink)\b\s*\(?"),
    "ruby": LazyRe(r"(?:\bFileUtils\s*(?:\.|::)\s*|\bFile\s*\.\s*(?=delete|unlink)|(?<![\w.:@$]))"
                   r"(?P<fn>rm_rf|rm_r|rmtree|remove_dir|remove_entry_secure|remove_entry|rm_f|rm|delete|unlink)"
                   r"\b(?![?!])\s*\(?"),
    "python": LazyRe(r"(?:\bshutil\s*\.\s*|\bos\s*\.\s*(?=remove|unlink|rmdir)|(?<![\w.]))"
                     r"(?P<fn>rmtree|removedirs|remove|unlink|rmdir)\s*\("),
}
_ALWAYS_RECURSIVE = frozenset({"rmtree", "remove_tree", "rm_rf", "rm_r", "remove_dir", "remove_entry",
                               "remove_entry_secure", "removeSync", "remove", "emptyDirSync", "emptyDir",
                               "rimrafSync", "rimraf", "sync", "deleteSync", "removedirs"})
_RECURSIVE_OPT = LazyRe(r"recursive\s*:\s*(?:true|!0)")
_HOME = LazyRe(r"""(?:process\.env\.HOME\b|process\.env\[\s*['"]HOME['"]\s*\]|Bun\.env\.HOME\b|"""
               r"""Deno\.env\.get\(\s*['"]HOME['"]\s*\)|(?:require\(\s*['"](?:node:)?os['"]\s*\)\s*\.\s*|"""
               r"""\bos\s*\.\s*|(?<![\w$.]))homedir\s*\(\s*\)|\$ENV\s*\{\s*['"]?HOME['"]?\s*\}|"""
               r"""\bENV\s*(?:\[\s*['"]HOME['"]\s*\]|\.fetch\(\s*['"]HOME['"]\s*\))|\bDir\.home\b(?:\s*\(\s*\))?|"""
               r"""(?:\bos\s*\.\s*)?getenv\(\s*['"]HOME['"]\s*\)|(?:pathlib\s*\.\s*)?\bPath\s*\.\s*home\(\s*\)|"""
               r"""\bos\s*\.\s*environ(?:\[\s*['"]HOME['"]\s*\]|\.get\(\s*['"]HOME['"]\s*\))|"""
               r"""\$_SERVER\[\s*['"]HOME['"]\s*\]|File::HomeDir->my_home\b|"""
               r"""(?:\bos\s*\.\s*path\s*\.\s*expanduser|\bFile\s*\.\s*expand_path)\(\s*(['"])~(?P<tail>/[^'"]*)?\1"""
               r"""\s*\))""")
_JOIN = LazyRe(r"""(?:\bpath|\bposixpath|\bos\s*\.\s*path|\bFile|\bFile::Spec\s*->|"""
               r"""require\(\s*['"](?:node:)?path['"]\s*\))\s*(?:\.|::)?\s*(?P<fn>join|resolve|catfile|catdir)\s*\(""")
_STOP = ");\n]}"
OPTION = ""  # an argument that is an options object/keyword, not a path


def deleted_paths(code: str, lang: str, home: str) -> list[tuple[str | None, bool]]:
    """(path or None when unreadable, recursive?) for each delete call in the code; paths may be relative."""
    rx = _CALLS.get(lang)
    if rx is None:
        return []
    out: list[tuple[str | None, bool]] = []
    spans = _string_spans(code)
    for k, m in enumerate(rx.finditer(code)):
        if k >= 64:  # each call is read to its end: bound the work on hostile input, and ask about the rest
            out.append((None, True))
            break
        fn = m.group("fn")
        quoted = any(a < m.start() < b for a, b in spans)  # `print "rmtree(x)"` may only name the function
        if lang == "node" and fn == "sync" and "rimraf" not in code[max(0, m.start() - 30):m.end()]:
            continue
        args, end = _args(code, m.end(), lang, home)
        recursive = fn in _ALWAYS_RECURSIVE
        if lang == "node" and fn in ("rm", "rmSync", "rmdir", "rmdirSync"):
            recursive = bool(_RECURSIVE_OPT.search(code, m.end(), end + 1))
            if args and args[0] and args[0].startswith("-"):  # shelljs rm('-rf', path)
                recursive = "r" in args[0].lower()
                args = args[1:]
            else:
                args = args[:1]  # fs.rm(path, options)
        paths = [a for a in args if a != OPTION and not (quoted and a is None)]  # a stray quote must not hide one
        out.extend((p, recursive) for p in paths)
    return out


def _string_spans(code: str) -> list[tuple[int, int]]:
    """(start, end) of each quoted literal, so a call spelt inside a string is not taken for a call."""
    spans = []
    i = 0
    n = len(code)
    while i < n:
        if code[i] in "'\"`":
            _, j = _string(code, i, "", "")
            spans.append((i, j))
            i = j
        else:
            i += 1
    return spans


def _ws(code: str, i: int) -> int:
    while i < len(code) and code[i] in " \t\r":
        i += 1
    return i


def _args(code: str, i: int, lang: str, home: str, depth: int = 0) -> tuple[list[str | None], int]:
    """Comma-separated arguments from i up to the closing bracket (or end of a paren-less call)."""
    args: list[str | None] = []
    n = len(code)
    if depth > 8:  # deeper nesting than any real one-liner: unreadable, never a crash
        return [None], _skip(code, i)
    while True:
        i = _ws(code, i)
        if i >= n or code[i] in _STOP:
            break
        if code[i] == "[":
            sub, i = _args(code, i + 1, lang, home, depth + 1)
            args.extend(sub)
            i = _ws(code, i)
            if i < n and code[i] == "]":
                i += 1
        elif code[i] == "{" or _kwarg(code, i):
            args.append(OPTION)
            i = _skip(code, i)
        else:
            value, j = _expr(code, i, lang, home, depth)
            if value is None:
                j = _skip(code, i)
                word = code[i:j].strip()
                value = OPTION if word in ("1", "0", "true", "false", "nil", "undef", "True", "False") else None
            args.append(value)
            i = j
        i = _ws(code, i)
        if i < n and code[i] == ",":
            i += 1
            continue
        break
    return args, i


def _kwarg(code: str, i: int) -> bool:
    j = i
    while j < len(code) and (code[j].isalnum() or code[j] == "_"):
        j += 1
    return j > i and (code[j:j + 2] == ": " or code[j:j + 2] == "=>" or (code[j:j + 1] == "=" and
                                                                         code[j:j + 2] != "=="))


def _skip(code: str, i: int) -> int:
    """Past one argument: to the next top-level comma or closing bracket, stepping over strings and brackets."""
    depth = 0
    n = len(code)
    while i < n:
        c = code[i]
        if c in "'\"`":
            _, i = _string(code, i, "", "")
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                return i
            depth -= 1
        elif (c == "," or c == ";" or c == "\n") and depth == 0:
            return i
        i += 1
    return i


def _expr(code: str, i: int, lang: str, home: str, depth: int = 0) -> tuple[str | None, int]:
    """A string expression: terms joined by `+` (or Perl's `.`); None when any term is not a known value."""
    parts: list[str] = []
    while True:
        value, i = _term(code, i, lang, home, depth)
        if value is None:
            return None, i
        parts.append(value)
        j = _ws(code, i)
        if j < len(code) and (code[j] == "+" or (lang == "perl" and code[j] == "." and code[j + 1:j + 2] in (
                " ", "'", '"', "$"))):
            i = _ws(code, j + 1)
            continue
        return "".join(parts), i


def _term(code: str, i: int, lang: str, home: str, depth: int = 0) -> tuple[str | None, int]:
    i = _ws(code, i)
    prefix = ""
    if lang == "python":
        while i < len(code) and code[i] in "rRbBuUfF" and len(prefix) < 2 and code[i + 1:i + 2] in (
                "'", '"', "r", "R", "b", "B", "f", "F"):
            prefix += code[i].lower()
            i += 1
    if i < len(code) and code[i] in "'\"`":
        q = code[i]
        interp = ""
        if lang == "node" and q == "`":
            interp = "${"
        elif lang == "ruby" and q == '"':
            interp = "#{"
        elif lang == "python" and "f" in prefix:
            interp = "{"
        elif lang == "perl" and q == '"':
            interp = "$"
        return _string(code, i, interp, home, raw="r" in prefix or (q == "'" and lang in ("perl", "ruby")))
    m = _HOME.match(code, i)
    if m:
        return home + (m.group("tail") or ""), m.end()
    m = _JOIN.match(code, i)
    if m:
        args, j = _args(code, m.end(), lang, home, depth + 1)
        if j >= len(code) or code[j] != ")" or not args or any(a is None or a == OPTION for a in args):
            return None, i
        out = ""
        for a in args:
            if a and (a.startswith("/") and (m.group("fn") == "resolve" or "os" in m.group(0) or not out)):
                out = a
            else:
                out = (out.rstrip("/") + "/" + a) if out else a
        return posixpath.normpath(out) if out else out, j + 1
    return None, i


def _string(code: str, i: int, interp: str, home: str, raw: bool = False) -> tuple[str | None, int]:
    """The literal at i (quote char at i); interpolations of the home directory are filled in, others -> None."""
    q = code[i]
    i += 1
    out: list[str] = []
    dynamic = False
    n = len(code)
    while i < n and code[i] != q:
        c = code[i]
        if c == "\\" and i + 1 < n:
            nxt = code[i + 1]
            out.append(c + nxt if raw and nxt != q else nxt)
            i += 2
            continue
        if interp and code.startswith(interp, i) and (interp != "$" or code[i + 1:i + 2].isalpha() or
                                                       code[i + 1:i + 2] in ("{", "_")):
            if interp == "$":
                m = _HOME.match(code, i)
                if m:
                    out.append(home)
                    i = m.end()
                else:
                    dynamic = True
                    i += 1
                continue
            close = code.find("}", i)
            inner = code[i + len(interp):close] if close > 0 else ""
            m = _HOME.fullmatch(inner.strip())
            if m:
                out.append(home + (m.group("tail") or ""))
            else:
                dynamic = True
            i = close + 1 if close > 0 else n
            continue
        if interp == "$" and c == "@" and code[i + 1:i + 2].isalpha():
            dynamic = True
        out.append(c)
        i += 1
    return (None if dynamic else "".join(out)), min(i + 1, n)
