"""Read a shell command line the way bash would run it, so the guard judges what runs, not how it is spelled.

`parse()` returns every simple command the line would start (nested, wrapped and piped ones included) with quotes
removed and wrappers peeled off. Anything it cannot know without running the line goes to `ParsedShell.unresolved`
so the policy can ask instead of silently allowing. It runs in the agent hook on every shell call: tree-sitter is
imported lazily, the parser is built once per process, and recursion (bash -c, eval, ...) is capped.

Conventions the rules can rely on:
- Wrappers that only change how a command runs (sudo, doas, env, timeout, nice, ionice, nohup, stdbuf, time,
  command, builtin, exec, chronic, unbuffer, setsid, flock, busybox, ...) are merged into the Cmd they run and named
  in Cmd.wrappers. Commands that start other commands (bash -c, eval, xargs, find -exec, parallel, watch, ssh,
  docker/kubectl exec, python -c, ...) stay as their own Cmd and the commands they start follow with a label in
  wrappers ('bash -c', 'xargs', 'find -exec', 'ssh', 'docker exec', 'python3 -c', 'bash stdin', ...).
- Commands inside $(...) / <(...) come before the command that uses them (the order bash runs them).
- Cmd.cwd is where the command runs when known: the cwd given to parse(), changed by cd/pushd/popd earlier in the
  same shell, by `git -C`, `env -C`, `sudo -D`; None when unknown (after `cd $X`: then Cmd.dynamic has "cwd=$X";
  inside ssh/docker/kubectl). With cwd=None given, a relative `cd` yields a relative Cmd.cwd.
- Redirects are (descriptor + operator, target): ('>', 'f'), ('2>', 'f'), ('2>&', '1'), ('&>', 'f'), ('<', 'f'),
  ('<<', 'EOF'), ('<<<', 'text').
- Cmd.stdin holds text known statically: here-doc/here-string bodies and the output of `echo`, `printf`,
  `cat <<EOF` or `base64 -d` of such text piped in. Placeholders ({} of find/xargs/parallel) go to Cmd.dynamic.
- When a dynamic command name has an obvious reading (`$(printf rm)`, `CMD=rm; $CMD`, `rm${IFS}-rf`), that reading is
  added as another Cmd, and the line still gets an `unresolved` reason.
"""

from __future__ import annotations

import posixpath
import re

from handrail.policy.model import Cmd, ParsedShell

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from typing import Any

MAX_NESTING = 8  # bash -c / eval / ssh / heredoc-into-shell levels read before giving up (reported, never dropped)
MAX_TREE_DEPTH = 150  # syntax-tree levels walked; deeper is reported (keeps Python's stack safe)
MAX_COMMANDS = 2000  # commands collected from one line; more is reported
MAX_UNRESOLVED = 50
MAX_PARSES = 256  # nested strings parsed per line (bash -c, eval, guesses): fan-out cannot grow exponentially

_PARSER: Any = None

SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "ash", "mksh", "fish", "rbash"})
_PY_RE = re.compile(r"^(python|pypy)[0-9.]*$")
_ASSIGN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_BRACE_RE = re.compile(r"\{[^{}\s]*(,|\.\.)[^{}\s]*\}")
_PLACEHOLDER_RE = re.compile(r"\{[^{}\s]*\}")
_BACKTICK_RE = re.compile(r"`([^`]*)`")
_SPECIAL_CHARS = frozenset("\\*?[{")
_SUB_TYPES = frozenset({"command_substitution", "process_substitution"})
_STATEMENTS = frozenset({"subshell", "compound_statement", "pipeline", "list", "redirected_statement"})
_REDIRECT_TYPES = frozenset({"file_redirect", "heredoc_redirect", "herestring_redirect"})

# Wrappers that only change how (as whom, how long, how nice) the next command runs: merged into one Cmd.
# name -> (short options taking a value, long options taking a value, positionals before the command, stop flags)
_WRAPPERS: dict[str, tuple[str, frozenset[str], int, frozenset[str]]] = {
    "sudo": (
        "uUgpCDrtTRh",
        frozenset({"user", "other-user", "group", "prompt", "close-from", "chdir", "role", "type",
                   "command-timeout", "host", "chroot"}),
        0,
        frozenset({"-e", "--edit", "-l", "--list", "-v", "--validate", "-V", "--version", "-K",
                   "--remove-timestamp"}),
    ),
    "doas": ("uC", frozenset(), 0, frozenset()),
    "env": ("uCS", frozenset({"unset", "chdir", "split-string", "block-signal", "default-signal",
                               "ignore-signal"}), 0, frozenset()),
    "timeout": ("sk", frozenset({"signal", "kill-after"}), 1, frozenset()),
    "nice": ("n", frozenset({"adjustment"}), 0, frozenset()),
    "ionice": ("cnPpu", frozenset({"class", "classdata", "pid", "pgid", "uid"}), 0,
               frozenset({"-p", "--pid", "-P", "--pgid", "-u", "--uid"})),
    "nohup": ("", frozenset(), 0, frozenset()),
    "stdbuf": ("ioe", frozenset({"input", "output", "error"}), 0, frozenset()),
    "time": ("fo", frozenset({"format", "output"}), 0, frozenset()),
    "command": ("", frozenset(), 0, frozenset({"-v", "-V"})),
    "builtin": ("", frozenset(), 0, frozenset()),
    "exec": ("a", frozenset(), 0, frozenset()),
    "chronic": ("", frozenset(), 0, frozenset()),
    "unbuffer": ("", frozenset(), 0, frozenset()),
    "setsid": ("", frozenset(), 0, frozenset()),
    "pkexec": ("", frozenset({"user"}), 0, frozenset()),
    "chroot": ("", frozenset({"userspec", "groups"}), 1, frozenset()),
    "coproc": ("", frozenset(), 0, frozenset()),
    "busybox": ("", frozenset(), 0, frozenset()),
    "noglob": ("", frozenset(), 0, frozenset()),
    "nocorrect": ("", frozenset(), 0, frozenset()),
    "caffeinate": ("tw", frozenset(), 0, frozenset()),
    "flock": ("wEc", frozenset({"timeout", "conflict-exit-code", "command"}), 1, frozenset()),
}

_ANSI = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
         "\\": "\\", "'": "'", '"': '"', "?": "?"}


def parse(command: str, cwd: str | None = None) -> ParsedShell:
    """Every simple command `command` would run; never raises (internal trouble becomes `error`)."""
    ctx = _Ctx()
    if isinstance(command, bytes | bytearray):
        command = bytes(command).decode("utf-8", "surrogateescape")
    if not isinstance(command, str):
        return ParsedShell(commands=[], error="command is not text")
    try:
        parser = _parser()
    except Exception as exc:  # missing wheel or ABI mismatch: the guard must see it, not crash
        return ParsedShell(commands=[], unresolved=["shell parser unavailable"],
                           error=f"tree-sitter-bash unavailable: {type(exc).__name__}")
    try:
        scope = _Scope(cwd=cwd)
        ctx.parser = parser
        ctx.error = _parse_into(ctx, command, scope, top=True)
        _feed_stdin(ctx, 0)
    except RecursionError:
        ctx.note("command nests too deeply to read")
    except Exception as exc:  # a parser bug must never let a command through silently
        ctx.note("internal parser error")
        ctx.error = ctx.error or f"internal parser error: {type(exc).__name__}"
    return ParsedShell(commands=ctx.commands, unresolved=ctx.unresolved, error=ctx.error)


def _parser() -> Any:
    global _PARSER
    if _PARSER is None:
        from tree_sitter import Language, Parser

        _PARSER = Parser(Language(_bash_language()))
    return _PARSER


def _bash_language() -> Any:
    """The grammar's language pointer, loaded straight from the wheel's extension module.

    `import tree_sitter_bash` pulls in importlib.resources (pathlib, tempfile, zipfile: ~15 ms) only to offer a
    highlight query we never use; the hook cannot afford that on every call, so load `_binding` alone.
    """
    import sys

    mod = sys.modules.get("tree_sitter_bash._binding")
    if mod is None:
        try:
            import importlib.machinery as im
            import os

            spec = im.PathFinder.find_spec("tree_sitter_bash")
            folder = spec.submodule_search_locations[0] if spec and spec.submodule_search_locations else None
            if folder is None:
                raise ImportError("tree_sitter_bash not found")
            names = [f for f in os.listdir(folder)
                     if f.startswith("_binding.") and f.endswith(tuple(im.EXTENSION_SUFFIXES))]
            if not names:
                raise ImportError("tree_sitter_bash binding not found")
            path = os.path.join(folder, names[0])
            loader = im.ExtensionFileLoader("tree_sitter_bash._binding", path)
            mod = loader.create_module(im.ModuleSpec("tree_sitter_bash._binding", loader, origin=path))
            loader.exec_module(mod)
        except Exception:
            import tree_sitter_bash  # the documented way, if the wheel's layout ever changes

            return tree_sitter_bash.language()
    return mod.language()


class _Ctx:
    __slots__ = ("commands", "depth_of", "error", "functions", "gaps", "last", "parent", "parser", "parses",
                 "stdin_kind", "unresolved")

    def __init__(self) -> None:
        self.commands: list[Cmd] = []
        self.unresolved: list[str] = []
        self.error: str | None = None
        self.functions: set[str] = set()
        self.parses = 0
        self.gaps = False  # the line has backslash-newlines (tree-sitter splits words there; bash does not)
        self.parser: Any = None
        self.depth_of: dict[int, int] = {}  # id(Cmd) -> string-nesting depth, for recursion from the stdin pass
        self.stdin_kind: dict[int, tuple[str, str]] = {}  # id(Cmd) -> (language, label) when code comes on stdin
        # id(inner Cmd) -> (runner, what it passes on): xargs passes its input as arguments ("args"); ssh, docker
        # exec and kubectl exec pass their stdin to the remote command ("stdin")
        self.parent: dict[int, tuple[Cmd, str]] = {}
        self.last: list[Cmd] = []  # primaries of the latest _parse_into

    def note(self, reason: str) -> None:
        if reason not in self.unresolved and len(self.unresolved) < MAX_UNRESOLVED:
            self.unresolved.append(reason)

    def add(self, cmd: Cmd, depth: int) -> bool:
        if len(self.commands) >= MAX_COMMANDS:
            self.note(f"more than {MAX_COMMANDS} commands; the rest were not read")
            return False
        self.commands.append(cmd)
        self.depth_of[id(cmd)] = depth
        return True


class _Scope:
    """What a command inherits from where it sits: directory, env, wrappers, string-nesting depth."""

    __slots__ = ("cwd", "cwd_note", "depth", "dirs", "env", "placeholders", "vars", "wrappers")

    def __init__(self, cwd: str | None = None, env: dict[str, str] | None = None, wrappers: list[str] | None = None,
                 depth: int = 0, cwd_note: str | None = None, placeholders: str | None = None) -> None:
        self.cwd = cwd
        self.cwd_note = cwd_note  # set after `cd $X`: the directory is unknown from here on
        self.env = env or {}
        self.wrappers = wrappers or []
        self.depth = depth
        self.dirs: list[str | None] = []
        self.placeholders = placeholders  # regex of words filled in at run time ({} for find/parallel/xargs -I)
        self.vars: dict[str, str] = {}  # shell variables set to fixed text earlier on the line (`CMD=rm; $CMD x`)

    def copy(self) -> _Scope:
        s = _Scope(self.cwd, dict(self.env), list(self.wrappers), self.depth, self.cwd_note, self.placeholders)
        s.dirs = list(self.dirs)
        s.vars = dict(self.vars)
        return s

    def nested(self, wrapper: str, *, env: dict[str, str] | None = None, cwd: str | bool | None = True,
               placeholders: str | None = None) -> _Scope:
        s = self.copy()
        s.wrappers = [*self.wrappers, wrapper]
        s.depth = self.depth + 1
        if env is not None:
            s.env = env
        if cwd is not True:  # False/None: the command runs somewhere else (container, remote host)
            s.cwd = cwd or None
            s.cwd_note = None
        s.placeholders = placeholders
        return s


class _Word:
    __slots__ = ("dynamic", "glob", "ifs", "raw", "sub_cmds", "subs", "text")

    def __init__(self, text: str, raw: str, dynamic: bool = False, glob: bool = False, ifs: bool = False) -> None:
        self.text = text
        self.raw = raw
        self.dynamic = dynamic
        self.glob = glob
        self.ifs = ifs
        self.subs: list[Any] = []  # command/process substitution nodes inside the word
        self.sub_cmds: list[Cmd] = []  # the commands those substitutions run (last one = what the word reads)


def _lit(text: str) -> _Word:
    return _Word(text, text)


# ---------------------------------------------------------------------------------------------------------------
# Parsing and walking the tree


def _parse_into(ctx: _Ctx, text: str, scope: _Scope, *, top: bool = False, what: str = "") -> str | None:
    """Parse `text` as shell and add its commands; returns a one-line reason when it does not parse cleanly."""
    if scope.depth > MAX_NESTING:
        ctx.note(f"nested more than {MAX_NESTING} levels deep ({' > '.join(scope.wrappers[-3:])})")
        return None
    ctx.parses += 1
    if ctx.parses > MAX_PARSES:
        ctx.note(f"more than {MAX_PARSES} nested command strings; the rest were not read")
        return None
    src = _encode(text)
    if b"\\\n" in src:
        ctx.gaps = True
    tree = ctx.parser.parse(src)
    root = tree.root_node
    ctx.last = _walk(ctx, root, scope, 0)
    if not root.has_error:
        return None
    reason = _error_reason(root)
    if not top:
        ctx.note(f"{what or 'nested command'} does not parse: {reason}")
    return reason


def _encode(text: str) -> bytes:
    """UTF-8 for tree-sitter; bytes smuggled in by surrogateescape go back to bytes, other lone surrogates to '?'."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return re.sub("[\ud800-\udfff]", "\ufffd", text).encode("utf-8")


def _t(node: Any) -> str:
    return node.text.decode("utf-8", "replace")


def _error_reason(root: Any) -> str:
    stack = [root]
    while stack:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            row, col = n.start_point
            snippet = _t(n)[:40].replace("\n", " ")
            if n.is_missing:
                return f"incomplete command near line {row + 1} column {col + 1} (missing {n.type!r})"
            return f"cannot parse near line {row + 1} column {col + 1}: {snippet!r}"
        if n.has_error:
            stack.extend(reversed(n.children))
    return "cannot parse the command"


def _walk(ctx: _Ctx, node: Any, scope: _Scope, tdepth: int) -> list[Cmd]:
    """Walk one syntax node; returns its top-level ("primary") commands, i.e. not those inside substitutions."""
    if tdepth > MAX_TREE_DEPTH:
        ctx.note("command nests too deeply to read")
        return []
    if len(ctx.commands) >= MAX_COMMANDS:
        ctx.note(f"more than {MAX_COMMANDS} commands; the rest were not read")
        return []
    t = node.type
    if t == "command":
        return _command(ctx, node, scope, tdepth)
    if t == "redirected_statement":
        return _redirected(ctx, node, scope, tdepth)
    if t == "pipeline":
        return _pipeline(ctx, [c for c in node.children if c.is_named], scope, tdepth)
    if t == "list":  # `a && b && c` nests to the left: flatten so long chains do not count as deep nesting
        parts: list[Any] = []
        while node.type == "list":
            kids = node.children
            parts.extend(reversed(kids[1:]))
            node = kids[0] if kids else node
            if not kids:
                break
        parts.append(node)
        out: list[Cmd] = []
        for c in reversed(parts):
            if c.is_named or c.child_count:
                out.extend(_walk(ctx, c, scope, tdepth + 1))
        return out
    if t in _SUB_TYPES:
        inner = scope.copy()
        for c in node.children:
            if c.is_named:
                _walk(ctx, c, inner, tdepth + 1)
        return []
    if t == "subshell":
        scope = scope.copy()
    elif t == "function_definition":
        name = node.child_by_field_name("name")
        fname = _t(name) if name is not None else "?"
        ctx.functions.add(fname)
        body = node.child_by_field_name("body")
        if body is not None:  # read once where defined: covers calls and avoids re-walking recursive functions
            _walk(ctx, body, scope.nested(f"function {fname}", cwd=scope.cwd), tdepth + 1)
        return []
    elif t == "heredoc_body":
        return []  # handled with its redirect
    elif t == "variable_assignment":
        name = node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        if name is not None:
            vw = _word(ctx, value) if value is not None else _lit("")
            if vw.dynamic or vw.glob:
                scope.vars.pop(_t(name), None)
            else:
                scope.vars[_t(name)] = vw.text
    elif t == "ERROR":
        return _error_node(ctx, node, scope, tdepth)
    out: list[Cmd] = []
    for c in node.children:
        if c.is_named or c.child_count:
            out.extend(_walk(ctx, c, scope, tdepth + 1))
    return out


def _error_node(ctx: _Ctx, node: Any, scope: _Scope, tdepth: int) -> list[Cmd]:
    """Best effort inside a part that did not parse: statements as usual, loose words as a command."""
    out: list[Cmd] = []
    loose: list[Any] = []
    for c in node.children:
        if c.type in ("command_name", "word", "string", "raw_string", "concatenation", "ansi_c_string", "number",
                      "simple_expansion", "expansion"):
            loose.append(c)
            continue
        if c.is_named or c.child_count:
            out.extend(_walk(ctx, c, scope, tdepth + 1))
    if loose and loose[0].type == "command_name":
        words = [_word(ctx, c) for c in loose]
        _walk_word_subs(ctx, words, scope, tdepth)
        out.extend(_build(ctx, words, {}, [], None, _t(node), scope, tdepth))
    return out


def _pipeline(ctx: _Ctx, elements: list[Any], scope: _Scope, tdepth: int,
              first: list[Cmd] | None = None) -> list[Cmd]:
    """Each element runs in its own subshell; each element's first command reads the previous one's output."""
    out: list[Cmd] = []
    prev = first[-1] if first else None
    if first:
        out.extend(first)
    for el in elements:
        cmds = _walk(ctx, el, scope.copy(), tdepth + 1)
        if cmds and prev is not None:
            _link(cmds[0], prev)
        if cmds:
            prev = cmds[-1]
        out.extend(cmds)
    return out


def _link(consumer: Cmd, producer: Cmd) -> None:
    if consumer.stdin_from is None:
        consumer.stdin_from = producer
    if consumer.stdin is None:
        text = _literal_output(producer)
        if text is not None:
            consumer.stdin = text


def _redirected(ctx: _Ctx, node: Any, scope: _Scope, tdepth: int) -> list[Cmd]:
    body = node.child_by_field_name("body")
    redirects: list[tuple[str, str]] = []
    dyn: list[str] = []
    feed: list[Cmd] = []
    stdin: str | None = None
    conts: list[tuple[str, Any]] = []
    for i, c in enumerate(node.children):
        if node.field_name_for_child(i) != "redirect":
            continue
        stdin_i, conts_i = _redirect(ctx, c, scope, tdepth, redirects, dyn, feed)
        if stdin_i is not None:
            stdin = stdin_i
        conts.extend(conts_i)
    primaries = _walk(ctx, body, scope, tdepth + 1) if body is not None else []
    for cmd in primaries:
        cmd.redirects.extend(redirects)
        cmd.dynamic.extend(d for d in dyn if d not in cmd.dynamic)
        if stdin is not None and cmd.stdin is None:
            cmd.stdin = stdin
        if feed and cmd.stdin_from is None:
            cmd.stdin_from = feed[-1]
    out = list(primaries)
    for kind, cont in conts:  # what followed the here-doc operator on its line
        if kind == "|":
            out = _pipeline(ctx, cont, scope, tdepth, first=out)
        else:
            out.extend(_walk(ctx, cont, scope, tdepth + 1))
    return out


def _redirect(ctx: _Ctx, node: Any, scope: _Scope, tdepth: int, redirects: list[tuple[str, str]],
              dyn: list[str], feed: list[Cmd]) -> tuple[str | None, list[tuple[str, Any]]]:
    """Record one redirect; returns (stdin text, statements that continue the line after a here-doc operator)."""
    t = node.type
    conts: list[tuple[str, Any]] = []
    if t == "file_redirect":
        op = ""
        dest: list[_Word] = []
        for i, c in enumerate(node.children):
            f = node.field_name_for_child(i)
            if f == "descriptor":
                op += _t(c)
            elif f == "destination":
                dest.append(_word(ctx, c))
            elif not c.is_named:
                op += c.type
        _walk_word_subs(ctx, dest, scope, tdepth)
        if op in ("<", "0<") and dest and dest[-1].sub_cmds:
            feed.append(dest[-1].sub_cmds[-1])  # `bash < <(curl x)`: stdin is curl's output
        target = " ".join(w.text for w in dest)
        if any(w.dynamic or w.glob for w in dest):
            dyn.append(" ".join(w.raw for w in dest))
        redirects.append((op, target))
        return None, conts
    if t == "herestring_redirect":
        words = [_word(ctx, c) for c in node.children if c.is_named]
        _walk_word_subs(ctx, words, scope, tdepth)
        text = " ".join(w.text for w in words)
        if any(w.dynamic for w in words):
            dyn.append(" ".join(w.raw for w in words))
        redirects.append(("<<<", text))
        return text + "\n", conts
    if t != "heredoc_redirect":
        return None, conts
    op = "<<"
    delim = ""
    quoted = False
    body = ""
    pending_op = ""
    for c in node.children:
        ct = c.type
        if ct in ("<<", "<<-"):
            op = ct
        elif ct == "heredoc_start":
            raw = _t(c)
            quoted = any(q in raw for q in "'\"\\")
            delim = raw.replace("'", "").replace('"', "").replace("\\", "")
        elif ct == "heredoc_body":
            body = _t(c)
            if not quoted:
                for sub in c.children:
                    if sub.type in _SUB_TYPES:
                        _walk(ctx, sub, scope, tdepth + 1)
                    elif sub.type == "heredoc_content":
                        for m in _BACKTICK_RE.finditer(_t(sub)):
                            _parse_into(ctx, m.group(1), scope.nested("`...`", cwd=scope.cwd), what="`...`")
        elif ct == "heredoc_end":
            pass
        elif ct == "pipeline" and c.children and c.children[0].type in ("|", "|&"):
            conts.append(("|", [x for x in c.children if x.is_named]))
        elif ct == "pipeline" or ct in ("command", "list", "redirected_statement", "subshell", "compound_statement"):
            conts.append((pending_op or ";", c))
        elif ct in ("&&", "||", ";", "&"):
            pending_op = ct
        elif c.is_named:
            conts.append((";", c))
    if op == "<<-":
        body = "\n".join(line.lstrip("\t") for line in body.split("\n"))
    redirects.append((op, delim))
    return body, conts


# ---------------------------------------------------------------------------------------------------------------
# Words


def _word(ctx: _Ctx, node: Any) -> _Word:
    """A word with quoting removed; expansions kept as written and flagged dynamic."""
    raw = _t(node)
    if node.type == "word" and not _SPECIAL_CHARS.intersection(raw):
        return _Word(raw, raw)
    w = _Word("", raw)
    texts: list[str] = []
    uq: list[str] = []  # unquoted literal text (quoted parts as \0), to spot globs and brace expansion
    _word_part(ctx, node, w, texts, uq)
    w.text = "".join(texts)
    u = "".join(uq)
    if not w.glob and _BRACE_RE.search(u):
        w.glob = True
    return w


def _word_part(ctx: _Ctx, node: Any, w: _Word, texts: list[str], uq: list[str]) -> None:
    t = node.type
    if t in ("word", "number", "command_name") and not node.children:
        raw = _t(node)
        texts.append(_unescape(raw) if "\\" in raw else raw)
        uq.append(raw)
        if _has_glob(raw):
            w.glob = True
    elif t in ("command_name", "concatenation"):
        for c in node.children:
            _word_part(ctx, c, w, texts, uq)
    elif t == "raw_string":
        texts.append(_t(node)[1:-1])
        uq.append("\0")
    elif t == "ansi_c_string":
        texts.append(_ansi_c(_t(node)[2:-1]))
        uq.append("\0")
    elif t in ("string", "translated_string"):
        for c in node.children:
            ct = c.type
            if ct == "string_content":
                raw = _t(c)
                texts.append(_unescape_dq(raw) if "\\" in raw else raw)
            elif ct in ('"', "$"):
                continue
            else:
                _word_part(ctx, c, w, texts, [])
        uq.append("\0")
    elif t in _SUB_TYPES:
        w.dynamic = True
        w.subs.append(node)
        texts.append(_t(node))
        uq.append("\0")
    elif t in ("simple_expansion", "expansion"):
        w.dynamic = True
        raw = _t(node)
        if re.fullmatch(r"\$\{?IFS\b.*", raw, re.S):
            w.ifs = True
        w.subs.extend(_find_subs(node))
        texts.append(raw)
        uq.append("\0")
    elif t == "$":
        return  # the `$` of $"..." (a translated string)
    else:  # arithmetic, brace expressions and anything unusual: keep as written, never trust
        w.dynamic = True
        if t == "brace_expression":
            w.glob = True
        w.subs.extend(_find_subs(node))
        texts.append(_t(node))
        uq.append("\0")


def _find_subs(node: Any) -> list[Any]:
    found: list[Any] = []
    stack = list(node.children)
    while stack:
        n = stack.pop()
        if n.type in _SUB_TYPES:
            found.append(n)
        else:
            stack.extend(n.children)
    found.sort(key=lambda n: n.start_byte)
    return found


def _walk_word_subs(ctx: _Ctx, words: list[_Word], scope: _Scope, tdepth: int) -> None:
    for w in words:
        for sub in w.subs:
            inner = scope.copy()
            for c in sub.children:
                if c.is_named:
                    w.sub_cmds.extend(_walk(ctx, c, inner, tdepth + 1))


def _unescape(raw: str) -> str:
    return re.sub(r"\\(.)", lambda m: "" if m.group(1) == "\n" else m.group(1), raw, flags=re.S)


def _unescape_dq(raw: str) -> str:
    return re.sub(r'\\([$`"\\\n])', lambda m: "" if m.group(1) == "\n" else m.group(1), raw)


def _has_glob(raw: str) -> bool:
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if c == "\\":
            i += 2
            continue
        if c in "*?" or (c == "[" and "]" in raw[i + 1:]):
            return True
        i += 1
    return False


def _ansi_c(s: str) -> str:
    """Decode the body of $'...' as bash does."""
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        d = s[i + 1]
        if d in _ANSI:
            out.append(_ANSI[d])
            i += 2
        elif d in "01234567":
            m = re.match(r"[0-7]{1,3}", s[i + 1:])
            assert m is not None
            out.append(chr(int(m.group(), 8) & 0xFF))
            i += 1 + len(m.group())
        elif d in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[d]
            m = re.match(r"[0-9a-fA-F]{1," + str(width) + "}", s[i + 2:])
            if m is None:
                out.append("\\" + d)
                i += 2
            else:
                code = int(m.group(), 16)
                out.append(chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd")
                i += 2 + len(m.group())
        elif d == "c" and i + 2 < n:
            out.append(chr(ord(s[i + 2]) & 0x1F))
            i += 3
        else:
            out.append("\\" + d)
            i += 2
    return "".join(out)


# ---------------------------------------------------------------------------------------------------------------
# Simple commands


def _command(ctx: _Ctx, node: Any, scope: _Scope, tdepth: int) -> list[Cmd]:
    env = dict(scope.env)
    redirects: list[tuple[str, str]] = []
    dyn: list[str] = []
    feed: list[Cmd] = []
    stdin: str | None = None
    words: list[_Word] = []
    spans: list[tuple[int, int]] = []
    src_gap = ctx.gaps and b"\\\n" in node.text
    assign_words: list[_Word] = []
    conts: list[tuple[str, Any]] = []
    for c in node.children:
        ct = c.type
        if ct == "variable_assignment" and not words:
            name = c.child_by_field_name("name")
            value = c.child_by_field_name("value")
            vw = _word(ctx, value) if value is not None else _lit("")
            assign_words.append(vw)
            env[_t(name) if name is not None else "?"] = vw.text
            if vw.dynamic:
                dyn.append(vw.raw)
        elif ct in _REDIRECT_TYPES:
            s, cs = _redirect(ctx, c, scope, tdepth, redirects, dyn, feed)
            if s is not None:
                stdin = s
            conts.extend(cs)
        elif ct == "$" or not c.is_named or ct == "comment":
            continue  # the `$` of $"..." (a translated string)
        elif ct in _STATEMENTS:  # `time (a; b)`, `nohup (x)`: tree-sitter hangs the subshell on the command
            conts.append((";", c))
        else:
            w = _word(ctx, c)
            if src_gap and words and node.text[spans[-1][1] - node.start_byte:
                                               c.start_byte - node.start_byte] == b"\\\n":
                prev = words[-1]  # `r\<newline>m` is one word to bash: tree-sitter splits it
                prev.text += w.text
                prev.raw += w.raw
                prev.dynamic |= w.dynamic
                prev.glob |= w.glob
                prev.ifs |= w.ifs
                prev.subs.extend(w.subs)
                spans[-1] = (spans[-1][0], c.end_byte)
                continue
            words.append(w)
            spans.append((c.start_byte, c.end_byte))
    _walk_word_subs(ctx, assign_words + words, scope, tdepth)
    cmds = _build(ctx, words, env, redirects, stdin, _t(node), scope, tdepth, dyn)
    if feed and cmds and cmds[0].stdin_from is None:
        cmds[0].stdin_from = feed[-1]
    for kind, cont in conts:
        if kind == "|":
            cmds = _pipeline(ctx, cont, scope, tdepth, first=cmds)
        else:
            cmds.extend(_walk(ctx, cont, scope, tdepth + 1))
    return cmds


def _build(ctx: _Ctx, words: list[_Word], env: dict[str, str], redirects: list[tuple[str, str]], stdin: str | None,
           text: str, scope: _Scope, tdepth: int, dyn: list[str] | None = None) -> list[Cmd]:
    """Unwrap one simple command into the Cmd that really runs (plus what runners like xargs start)."""
    wrappers = list(scope.wrappers)
    cwd = scope.cwd
    dynamic = list(dyn or [])
    if scope.cwd_note:
        dynamic.append(scope.cwd_note)
    for w in words:
        if w.ifs:
            ctx.note(f"${{IFS}} word splitting hides the real words: {_short(w.raw)}")
    if any(w.ifs for w in words) and scope.depth < MAX_NESTING:  # also judge the obvious reading: IFS = space
        spaced = re.sub(r"\$\{IFS\}|\$IFS\b", " ", " ".join(w.raw for w in words))
        if "$" not in spaced:
            _parse_into(ctx, spaced, scope.nested("${IFS}", cwd=scope.cwd), what="${IFS}")
    extras: list[tuple[str, Any]] = []  # deferred recursion: done after this Cmd is added, to keep source order
    assign_ok = False  # VAR=value words count as assignments right after env/sudo/doas
    i = 0
    while i < len(words):
        w0 = words[i]
        if w0.dynamic or w0.glob:
            break
        name = _base(w0.text)
        if w0.raw == "{" and i + 1 < len(words):  # `time { a; }` reaches us as words: the group is transparent
            i += 1
            continue
        if assign_ok and _ASSIGN_RE.match(w0.text):  # `sudo FOO=1 cmd`, `env -S 'FOO=1 cmd'`
            k, _, v = w0.text.partition("=")
            env[k] = v
            i += 1
            continue
        spec = _WRAPPERS.get(name)
        if spec is None:
            break
        j, opts = _skip_opts(words, i + 1, spec[0], spec[1])
        if any(o in spec[3] for o, _ in opts):
            break
        if name == "env":
            split = [v for o, v in opts if o in ("-S", "--split-string") and v is not None]
            for o, v in opts:
                if o in ("-C", "--chdir") and v is not None:
                    cwd = _join(cwd, v.text)
            while j < len(words) and _ASSIGN_RE.match(words[j].text) and not words[j].dynamic:
                k, _, v = words[j].text.partition("=")
                env[k] = v
                j += 1
            if split:
                more = _split_words(split[0].text)
                if more is None:
                    ctx.note(f"env -S string cannot be split: {_short(split[0].raw)}")
                    break
                words = words[:i] + [_lit(x) for x in more] + words[j:]  # -S words run, then the rest
                wrappers.append("env")
                assign_ok = True
                continue
        elif name == "sudo":
            for o, v in opts:
                if o in ("-D", "--chdir") and v is not None:
                    cwd = _join(cwd, v.text)
        elif name == "flock":
            cmd_opt = [v for o, v in opts if o in ("-c", "--command") and v is not None]
            if cmd_opt:
                extras.append(("shell", (cmd_opt[0], "flock -c")))
                break
        j += spec[2]  # positionals before the command (timeout's duration, chroot's root, flock's file)
        if j >= len(words):
            break  # nothing to run: the wrapper itself is the command (`sudo -s`, `nice`)
        wrappers.append(name)
        assign_ok = name in ("env", "sudo", "doas")
        i = j
    argv_words = words[i:]
    if not argv_words:
        wrappers = list(scope.wrappers)
    argv = [w.text for w in argv_words]
    if argv == ["}"] and argv_words[0].raw == "}":
        return []  # the tail of a `time { ...; }` group that tree-sitter split off
    for w in argv_words:
        if (w.dynamic or w.glob or (scope.placeholders and re.search(scope.placeholders, w.text))) \
                and w.raw not in dynamic:
            dynamic.append(w.raw)
    cmd = Cmd(argv=argv, text=text, env=env, wrappers=wrappers, stdin=stdin, redirects=list(redirects), cwd=cwd,
              dynamic=dynamic)
    if argv_words:
        w0 = argv_words[0]
        if w0.dynamic:
            ctx.note(f"command name is not static: {_short(w0.raw)}")
        elif w0.glob:
            ctx.note(f"glob or brace expansion in the command name: {_short(w0.raw)}")
    out = [cmd]
    if not ctx.add(cmd, scope.depth):
        return []
    if argv_words and (argv_words[0].dynamic or argv_words[0].glob):
        _guess_from_vars(ctx, argv_words, scope)
        guess = _substituted_text(argv_words[0])
        if guess and " " not in guess.strip():  # `$(printf rm) -rf /`: also judge the obvious reading
            guess = guess.strip()
            g = Cmd(argv=[guess, *argv[1:]], text=text, env=dict(env), wrappers=list(wrappers), stdin=stdin,
                    redirects=list(redirects), cwd=cwd, dynamic=list(dynamic))
            if ctx.add(g, scope.depth):
                out.append(g)
            _special(ctx, g, [_lit(guess), *argv_words[1:]], scope, tdepth, extras)
        return out
    _special(ctx, cmd, argv_words, scope, tdepth, extras)
    for kind, payload in extras:
        if kind == "shell":
            word, label = payload
            _recurse_shell(ctx, cmd, word, label, scope, wrappers)
    return out


def _recurse_shell(ctx: _Ctx, cmd: Cmd, word: _Word, label: str, scope: _Scope, wrappers: list[str],
                   *, cwd: str | bool | None = True, placeholders: str | None = None) -> list[Cmd]:
    if word.dynamic:
        if word.sub_cmds and cmd.stdin_from is None:
            cmd.stdin_from = word.sub_cmds[-1]  # `bash -c "$(curl x)"`: the code comes from curl
        known = _substituted_text(word)
        if known is None:
            ctx.note(f"{label} runs a command that is not static: {_short(word.raw)}")
            return []
        word = _lit(known)  # `bash -c "$(cat <<EOF ...)"`: the substitution prints fixed text
    inner = scope.nested(label, env=dict(cmd.env), cwd=cmd.cwd if cwd is True else cwd, placeholders=placeholders)
    inner.wrappers = [*wrappers, label]
    ctx.last = []
    _parse_into(ctx, word.text, inner, what=label)
    return ctx.last


_VAR_RE = re.compile(r"\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)")


def _guess_from_vars(ctx: _Ctx, words: list[_Word], scope: _Scope) -> None:
    """`CMD=rm; $CMD -rf /`: the name stays unresolved, but the reading with the line's own values is judged too."""
    names = [a or b for a, b in _VAR_RE.findall(words[0].raw)]
    if not names or words[0].subs or not all(n in scope.vars for n in names):
        return
    line = " ".join(w.raw for w in words)
    line = _VAR_RE.sub(lambda m: scope.vars.get(m.group(1) or m.group(2), m.group(0)), line)
    _parse_into(ctx, line, scope.nested("$" + names[0], cwd=scope.cwd), what="$" + names[0])


def _substituted_text(word: _Word) -> str | None:
    """What a word holding just `$(cmd)` expands to, when cmd prints fixed text (echo, printf, cat <<EOF)."""
    raw = word.raw.strip()
    if raw[:1] == '"' and raw[-1:] == '"':
        raw = raw[1:-1]
    if len(word.subs) != 1 or not word.sub_cmds or _t(word.subs[0]) != raw:
        return None
    out = _literal_output(word.sub_cmds[-1])
    return out.rstrip("\n") if out is not None else None


def _recurse_argv(ctx: _Ctx, cmd: Cmd, words: list[_Word], label: str, scope: _Scope, tdepth: int,
                  *, cwd: str | bool | None = True, placeholders: str | None = None) -> list[Cmd]:
    if not words:
        return []
    inner = scope.nested(label, env=dict(cmd.env), cwd=cmd.cwd if cwd is True else cwd, placeholders=placeholders)
    inner.wrappers = [*cmd.wrappers, label]
    if inner.depth > MAX_NESTING:
        ctx.note(f"nested more than {MAX_NESTING} levels deep ({label})")
        return []
    return _build(ctx, words, dict(cmd.env), [], None, " ".join(w.raw for w in words), inner, tdepth + 1)


def _special(ctx: _Ctx, cmd: Cmd, words: list[_Word], scope: _Scope, tdepth: int,
             extras: list[tuple[str, Any]]) -> None:
    """Commands that run other commands (or change where the next ones run)."""
    if not words:
        return
    name = _base(words[0].text)
    if name in SHELLS:
        _shell_cmd(ctx, cmd, words, name, scope)
    elif name == "eval":
        rest = words[1:]
        if len(rest) == 1 and rest[0].dynamic:
            extras.append(("shell", (rest[0], "eval")))
        elif any(w.dynamic for w in rest):
            ctx.note(f"eval of a value that is not static: {_short(' '.join(w.raw for w in rest))}")
        elif rest:
            extras.append(("shell", (_lit(" ".join(w.text for w in rest)), "eval")))
    elif name in ("source", "."):
        target = words[1] if len(words) > 1 else None
        if target is None:
            return
        if target.subs:
            _from_substitution(ctx, cmd, target, name)
        elif not re.search(r"(^|/)bin/activate(\.\w+)?$", target.text) or target.dynamic:
            ctx.note(f"`{name} {_short(target.raw)}` runs a file that was not read")
    elif name in ("sudo", "doas") and any(w.text in ("-s", "-i", "--shell", "--login") for w in words[1:]):
        ctx.stdin_kind[id(cmd)] = ("shell", f"{name} -s stdin")  # a root shell reading its commands from stdin
    elif name == "alias" and any("=" in w.text for w in words[1:]):
        ctx.note("alias defined on the line (an alias can stand for any command)")
    elif name in ("cd", "pushd", "popd") and set(cmd.wrappers[len(scope.wrappers):]) <= {"builtin", "command"}:
        _chdir(cmd, words, scope, name)
    elif name == "git":
        _git(ctx, cmd, words, scope)
    elif name == "xargs":
        j, opts = _skip_opts(words, 1, "aEdILnPs", frozenset({"arg-file", "delimiter", "eof", "replace",
                                                               "max-lines", "max-args", "max-procs", "max-chars",
                                                               "process-slot-var"}))
        repl = [v.text for o, v in opts if o in ("-I", "--replace", "-i") and v is not None]
        inner = words[j:] or [_lit("echo")]
        ph = re.escape(repl[0]) if repl else r"\{\}"
        for c in _recurse_argv(ctx, cmd, inner, "xargs", scope, tdepth, placeholders=ph):
            c.dynamic.append("(arguments read by xargs)")
            ctx.parent[id(c)] = (cmd, "args")
    elif name == "parallel":
        _parallel(ctx, cmd, words, scope)
    elif name == "watch":
        j, opts = _skip_opts(words, 1, "nq", frozenset({"interval"}))
        rest = words[j:]
        if any(o in ("-x", "--exec") for o, _ in opts):
            _recurse_argv(ctx, cmd, rest, "watch", scope, tdepth)
        elif rest:
            _recurse_shell(ctx, cmd, _join_words(rest), "watch", scope, cmd.wrappers)
    elif name == "ssh":
        j, _ = _skip_opts(words, 1, "BbcDEeFIiJLlmOoPpQRSWw", frozenset())
        rest = words[j + 1:]
        if rest:
            _stdin_parent(ctx, cmd, _recurse_shell(ctx, cmd, _join_words(rest), "ssh", scope, cmd.wrappers, cwd=None))
        else:
            ctx.stdin_kind[id(cmd)] = ("shell", "ssh stdin")  # `ssh host <<EOF`: the remote shell reads stdin
    elif name == "trap" and len(words) > 2:
        _recurse_shell(ctx, cmd, words[1], "trap", scope, cmd.wrappers)
    elif name == "script":
        j, opts = _skip_opts(words, 1, "cEIOBTtm", frozenset({"command", "echo", "log-in", "log-out", "log-io",
                                                              "log-timing", "logging-format", "output-limit"}))
        c = [v for o, v in opts if o in ("-c", "--command") and v is not None]
        if c:
            _recurse_shell(ctx, cmd, c[0], "script -c", scope, cmd.wrappers)
    elif name == "hash" and any(w.text.startswith("-") and "p" in w.text for w in words[1:]):
        ctx.note("hash -p maps a command name to another program")
    elif name in ("docker", "podman", "nerdctl", "docker-compose"):
        _container(ctx, cmd, words, name, scope, tdepth)
    elif name in ("kubectl", "oc"):
        _kubectl(ctx, cmd, words, scope, tdepth)
    elif name == "find":
        _find(ctx, cmd, words, scope, tdepth)
    elif name in ("su", "runuser"):
        j, opts = _skip_opts(words, 1, "cgGsuw", frozenset({"command", "group", "supp-group", "shell", "user",
                                                             "session-command", "whitelist-environment"}))
        c = [v for o, v in opts if o in ("-c", "--command", "--session-command") and v is not None]
        if c:
            _recurse_shell(ctx, cmd, c[0], f"{name} -c", scope, cmd.wrappers)
        elif name == "runuser" and any(o in ("-u", "--user") for o, _ in opts) and j < len(words):
            _recurse_argv(ctx, cmd, words[j:], "runuser", scope, tdepth)
        elif name == "su":
            ctx.stdin_kind[id(cmd)] = ("shell", "su stdin")
    else:
        _interpreter(ctx, cmd, words, name, scope)


def _shell_cmd(ctx: _Ctx, cmd: Cmd, words: list[_Word], name: str, scope: _Scope) -> None:
    c_flag = s_flag = False
    i = 1
    while i < len(words):
        a = words[i].text
        if a == "--" or a == "-":
            i += 1 if a == "--" else 0
            break
        if a.startswith("--"):
            i += 2 if a in ("--init-file", "--rcfile") else 1
            continue
        if a[:1] in "-+" and len(a) > 1:
            letters = a[1:]
            if "c" in letters:
                c_flag = True
            if "s" in letters:
                s_flag = True
            i += 2 if letters[-1:] in ("o", "O") else 1
            continue
        break
    rest = words[i:]
    if c_flag:
        if rest:
            _recurse_shell(ctx, cmd, rest[0], f"{name} -c", scope, cmd.wrappers)
        return
    if rest and not s_flag and rest[0].text != "-":
        if rest[0].subs:
            _from_substitution(ctx, cmd, rest[0], name)
        return  # a script file: its content is the project's business, not the line's
    ctx.stdin_kind[id(cmd)] = ("shell", f"{name} stdin")


def _from_substitution(ctx: _Ctx, cmd: Cmd, word: _Word, name: str) -> None:
    """`bash <(curl x)`, `source <(...)`: code comes from another command's output."""
    if word.sub_cmds and cmd.stdin_from is None:
        cmd.stdin_from = word.sub_cmds[-1]
    ctx.note(f"{name} runs the output of {_short(word.raw)}")


def _chdir(cmd: Cmd, words: list[_Word], scope: _Scope, name: str) -> None:
    args = [w for w in words[1:] if not (w.text.startswith("-") and len(w.text) > 1)]
    if name == "popd":
        scope.cwd = scope.dirs.pop() if scope.dirs else None
        return
    if name == "pushd":
        scope.dirs.append(scope.cwd)
    if not args:
        scope.cwd, scope.cwd_note = "~", None
        return
    target = args[0]
    if target.dynamic or target.glob or target.text == "-":
        scope.cwd, scope.cwd_note = None, f"cwd={target.raw}"
        return
    scope.cwd, scope.cwd_note = _join(scope.cwd, target.text), None


def _git(ctx: _Ctx, cmd: Cmd, words: list[_Word], scope: _Scope) -> None:
    argv = [cmd.argv[0]]
    i = 1
    while i < len(words):
        a = words[i].text
        if a == "-C" and i + 1 < len(words):
            cmd.cwd = _join(cmd.cwd, words[i + 1].text)
            if words[i + 1].dynamic:
                cmd.dynamic.append(f"cwd={words[i + 1].raw}")
            i += 2
            continue
        if a in ("-c", "--git-dir", "--work-tree", "--namespace", "--exec-path", "--config-env", "--super-prefix") \
                and i + 1 < len(words):
            m = re.match(r"alias\.[^=]+=\s*!(.*)", words[i + 1].text, re.S) if a == "-c" else None
            if m:  # `git -c alias.x='!rm -rf /' x`: a shell alias defined on the line
                _recurse_shell(ctx, cmd, _lit(m.group(1)), "git alias", scope, cmd.wrappers)
            argv.extend([a, words[i + 1].text])
            i += 2
            continue
        if a.startswith("-"):
            argv.append(a)
            i += 1
            continue
        break
    argv.extend(w.text for w in words[i:])
    cmd.argv = argv


def _parallel(ctx: _Ctx, cmd: Cmd, words: list[_Word], scope: _Scope) -> None:
    j, _ = _skip_opts(words, 1, "jSNnIaLE", frozenset({"jobs", "sshlogin", "max-args", "arg-file", "joblog",
                                                        "results", "delay", "timeout", "halt", "tmpdir", "workdir",
                                                        "wd", "basefile", "sshloginfile", "colsep", "load",
                                                        "memfree", "tagstring", "env", "retries", "limit"}))
    cmd_words: list[_Word] = []
    for w in words[j:]:
        if w.text.startswith(":::") or w.text.startswith("::::"):
            break
        cmd_words.append(w)
    if not cmd_words:
        ctx.note("parallel runs commands read from its input")
        return
    _recurse_shell(ctx, cmd, _join_words(cmd_words), "parallel", scope, cmd.wrappers, placeholders=r"\{[^{}\s]*\}")


def _container(ctx: _Ctx, cmd: Cmd, words: list[_Word], name: str, scope: _Scope, tdepth: int) -> None:
    i = 1
    label = name
    if name != "docker-compose":
        i, _ = _skip_opts(words, 1, "Hcl", frozenset({"context", "host", "config", "log-level", "url",
                                                      "connection"}))
        if i < len(words) and words[i].text == "compose":
            i, _ = _skip_opts(words, i + 1, "fp", frozenset({"file", "project-name", "profile", "env-file",
                                                               "project-directory", "ansi", "parallel"}))
            label = f"{name} compose"
        elif i < len(words) and words[i].text == "container":
            i += 1
    else:
        i, _ = _skip_opts(words, 1, "fp", frozenset({"file", "project-name", "profile", "env-file",
                                                      "project-directory"}))
    if i >= len(words):
        return
    sub = words[i].text
    if sub == "exec":
        j, _ = _skip_opts(words, i + 1, "euw", frozenset({"env", "env-file", "user", "workdir", "detach-keys",
                                                          "index"}))
    elif sub == "run":
        j, opts = _skip_opts(words, i + 1, "acehlmpuvw", _RUN_LONG)
        ep = [v for o, v in opts if o == "--entrypoint" and v is not None]
        if ep and j + 1 <= len(words):
            rest = [ep[0], *words[j + 1:]]
            _stdin_parent(ctx, cmd, _recurse_argv(ctx, cmd, rest, f"{label} run", scope, tdepth, cwd=None))
            return
    else:
        return
    rest = words[j + 1:]
    _stdin_parent(ctx, cmd, _recurse_argv(ctx, cmd, rest, f"{label} {sub}", scope, tdepth, cwd=None))


_RUN_LONG = frozenset({
    "env", "env-file", "volume", "workdir", "user", "name", "publish", "network", "net", "entrypoint", "mount",
    "label", "hostname", "memory", "cpus", "add-host", "device", "cap-add", "cap-drop", "security-opt", "restart",
    "platform", "pull", "ulimit", "tmpfs", "gpus", "ipc", "pid", "log-driver", "log-opt", "dns", "shm-size",
    "stop-signal", "attach", "cpu-shares", "cidfile", "expose", "group-add", "health-cmd", "label-file", "link",
    "memory-swap", "runtime", "stop-timeout", "storage-opt", "sysctl", "userns", "uts", "volumes-from", "service-ports",
    "cgroupns", "cpuset-cpus", "network-alias", "ip", "mac-address", "cpu-quota", "cpu-period", "cpuset-mems",
    "blkio-weight", "oom-score-adj", "kernel-memory", "memory-reservation", "pids-limit", "isolation", "annotation",
    "health-interval", "health-retries", "health-timeout", "health-start-period", "dns-search", "dns-option",
    "domainname", "ip6", "link-local-ip", "cpu-rt-runtime", "cpu-rt-period", "device-read-bps", "device-write-bps",
    "device-cgroup-rule", "memory-swappiness", "init-path", "requires", "pod", "arch", "os",
})


def _kubectl(ctx: _Ctx, cmd: Cmd, words: list[_Word], scope: _Scope, tdepth: int) -> None:
    long_opts = frozenset({"namespace", "context", "kubeconfig", "cluster", "user", "server", "token", "container",
                           "pod-running-timeout", "filename"})
    i, _ = _skip_opts(words, 1, "ns", long_opts)
    if i >= len(words) or words[i].text != "exec":
        return
    texts = [w.text for w in words]
    if "--" in texts[i:]:
        rest = words[texts.index("--", i) + 1:]
    else:
        j, _ = _skip_opts(words, i + 1, "ncf", long_opts)
        rest = words[j + 1:]
    _stdin_parent(ctx, cmd, _recurse_argv(ctx, cmd, rest, "kubectl exec", scope, tdepth, cwd=None))


def _stdin_parent(ctx: _Ctx, outer: Cmd, inner: list[Cmd]) -> None:
    """The remote/container command reads what the local one gets on stdin (`docker exec -i db psql <<EOF`)."""
    if inner:
        ctx.parent[id(inner[0])] = (outer, "stdin")


def _find(ctx: _Ctx, cmd: Cmd, words: list[_Word], scope: _Scope, tdepth: int) -> None:
    i = 1
    while i < len(words):
        a = words[i].text
        if a in ("-exec", "-execdir", "-ok", "-okdir"):
            j = i + 1
            while j < len(words) and words[j].text not in (";", "+"):
                j += 1
            label = "find -execdir" if a in ("-execdir", "-okdir") else "find -exec"
            _recurse_argv(ctx, cmd, words[i + 1:j], label, scope, tdepth,
                          cwd=None if label == "find -execdir" else True, placeholders=r"\{\}")
            i = j + 1
            continue
        i += 1


# ---------------------------------------------------------------------------------------------------------------
# Interpreter one-liners


def _interpreter(ctx: _Ctx, cmd: Cmd, words: list[_Word], name: str, scope: _Scope) -> None:
    if name in ("awk", "gawk", "mawk", "nawk"):
        j, opts = _skip_opts(words, 1, "Ffvei", frozenset({"field-separator", "file", "assign", "source", "include"}))
        progs = [v for o, v in opts if o in ("-e", "--source") and v is not None]
        if not progs and not any(o in ("-f", "--file") for o, _ in opts) and j < len(words):
            progs = [words[j]]
        for prog in progs:
            if prog.dynamic:
                ctx.note(f"{name} program is not static: {_short(prog.raw)}")
            else:
                _extract(ctx, cmd, prog.text, "awk", name, scope)
        return
    lang = _language(name)
    if lang is None:
        return
    code: list[_Word] = []
    label = ""
    script = False
    i = 1
    if lang == "deno":
        if len(words) > 1 and words[1].text == "eval":
            j, _ = _skip_opts(words, 2, "", frozenset())
            code = words[j:j + 1]
            label = "deno eval"
        lang = "node"
        script = True
    elif lang == "python":
        while i < len(words):
            a = words[i].text
            if a == "-" or not a.startswith("-") or a == "--":
                script = a != "-"
                break
            letters = a[1:]
            consumed = False
            for k, ch in enumerate(letters):
                if ch == "c":
                    rest = letters[k + 1:]
                    code = [_lit(rest)] if rest else words[i + 1:i + 2]
                    label = f"{name} -c"
                    consumed = True
                    break
                if ch == "m":
                    script = True
                    consumed = True
                    break
                if ch in "WX":
                    if not letters[k + 1:]:
                        i += 1
                    break
            if consumed:
                break
            i += 1
    else:
        flags = {"node": ("-e", "--eval", "-p", "--print"), "ruby": ("-e",), "perl": ("-e", "-E"),
                 "php": ("-r", "--run")}[lang]
        with_arg = {"node": ("-r", "--require", "--import", "--loader", "-C", "--conditions", "--input-type"),
                    "ruby": ("-r", "-I", "-C", "-E", "-F", "-x"), "perl": ("-I", "-M", "-m", "-x"),
                    "php": ("-d", "-c", "-f", "-z")}[lang]
        while i < len(words):
            a = words[i].text
            if a == "--" or a == "-" or not a.startswith("-"):
                script = a not in ("-", "--")
                break
            hit = next((f for f in flags if a == f or (a.startswith(f + "=") and f.startswith("--"))), None)
            if hit is None and lang == "perl" and re.fullmatch(r"-[a-zA-Z0-9]*[eE]", a):
                hit = a  # perl -ne / -lne
            if hit is not None:
                if "=" in a:
                    code.append(_lit(a.split("=", 1)[1]))
                    i += 1
                elif i + 1 < len(words):
                    code.append(words[i + 1])
                    i += 2
                else:
                    i += 1
                label = label or f"{name} {a.split('=', 1)[0] if a.startswith('--') else a[:2]}"
                if lang == "node":
                    break
                continue
            if lang == "php" and a.startswith("-r") and len(a) > 2:
                code.append(_lit(a[2:]))
                label = f"{name} -r"
                i += 1
                continue
            i += 2 if a in with_arg else 1
    if code:
        if any(w.dynamic for w in code):
            ctx.note(f"{label} code is not static: {_short(' '.join(w.raw for w in code))}")
            return
        _extract(ctx, cmd, "\n".join(w.text for w in code), lang, label, scope)
        return
    if not script:
        ctx.stdin_kind[id(cmd)] = (lang, f"{name} stdin")


def _language(name: str) -> str | None:
    if name[:1] not in ("p", "n", "b", "d", "r"):
        return None
    if _PY_RE.match(name):
        return "python"
    if name in ("node", "nodejs", "bun"):
        return "node"
    if name == "deno":
        return "deno"
    if re.fullmatch(r"ruby[0-9.]*", name):
        return "ruby"
    if re.fullmatch(r"perl[0-9.]*", name):
        return "perl"
    if re.fullmatch(r"php[0-9.]*", name):
        return "php"
    return None


def _extract(ctx: _Ctx, cmd: Cmd, code: str, lang: str, label: str, scope: _Scope) -> None:
    """Shell commands an interpreter snippet runs, when written as literals; dynamic ones are reported."""
    depth = ctx.depth_of.get(id(cmd), scope.depth)
    if depth + 1 > MAX_NESTING:
        ctx.note(f"nested more than {MAX_NESTING} levels deep ({label})")
        return
    found = _extract_python(code) if lang == "python" else _extract_generic(code, lang)
    inner = scope.nested(label, env=dict(cmd.env), cwd=cmd.cwd)
    inner.wrappers = [*cmd.wrappers, label]
    inner.depth = depth + 1
    for kind, value in found:
        if kind == "shell":
            _parse_into(ctx, value, inner, what=label)
        elif kind == "argv":
            _build(ctx, [_lit(x) for x in value], dict(cmd.env), [], None, " ".join(value), inner, 0)
        else:
            ctx.note(f"{label}: {value}")


_PY_SHELL = frozenset({"system", "popen", "getoutput", "getstatusoutput"})
_PY_SUBPROCESS = frozenset({"run", "call", "check_call", "check_output", "Popen", "getoutput", "getstatusoutput"})
_PY_EXEC = frozenset({"execv", "execve", "execvp", "execvpe", "spawnv", "spawnve", "spawnvp", "spawnvpe",
                      "execl", "execle", "execlp", "execlpe", "posix_spawn", "posix_spawnp"})


def _extract_python(code: str) -> list[tuple[str, Any]]:
    import ast

    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return _extract_generic(code, "python")
    mods: dict[str, str] = {}  # local name -> module (import os as o; from subprocess import run)
    funcs: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                mods[a.asname or a.name] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                funcs[a.asname or a.name] = f"{node.module}.{a.name}"
    out: list[tuple[str, Any]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        full = _py_callee(node.func, mods, funcs)
        if full is None:
            continue
        mod, _, fn = full.rpartition(".")
        args = node.args
        first: ast.expr | None = args[0] if args else next((k.value for k in node.keywords if k.arg == "args"), None)
        if (mod in ("os", "commands") and fn in _PY_SHELL) or (mod == "subprocess" and fn in _PY_SUBPROCESS):
            out.append(_py_command(first, full))
        elif mod == "os" and fn in _PY_EXEC:
            lists = [a for a in args if isinstance(a, ast.List | ast.Tuple)]
            if lists:
                out.append(_py_command(lists[0], full))
            elif len(args) > 1 and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
                out.append(("argv", [a.value for a in args[1:]]))  # type: ignore[attr-defined]
            else:
                out.append(("unresolved", f"{full}() with arguments built at run time"))
        elif (mod == "shutil" and fn == "rmtree") or (mod == "os" and fn in ("remove", "unlink", "rmdir",
                                                                               "removedirs")):
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                out.append(("argv", ["rm", "-rf", first.value] if fn == "rmtree" else ["rm", first.value]))
            else:
                out.append(("unresolved", f"{full}() on a path built at run time"))
        elif mod == "" and fn in ("exec", "eval", "compile"):
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                out.extend(_extract_python(first.value))
            else:
                out.append(("unresolved", f"{fn}() of code built at run time"))
    return out


def _py_callee(func: Any, mods: dict[str, str], funcs: dict[str, str]) -> str | None:
    import ast

    if isinstance(func, ast.Name):
        if func.id in funcs:
            return funcs[func.id]
        return f".{func.id}" if func.id in ("exec", "eval", "compile") else None
    if isinstance(func, ast.Attribute):
        v = func.value
        if isinstance(v, ast.Name):
            return f"{mods.get(v.id, v.id)}.{func.attr}"
        if isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id == "__import__" and v.args \
                and isinstance(v.args[0], ast.Constant):
            return f"{v.args[0].value}.{func.attr}"
        if isinstance(v, ast.Attribute) and isinstance(v.value, ast.Name):
            return f"{mods.get(v.value.id, v.value.id)}.{v.attr}.{func.attr}"
    return None


def _py_command(arg: Any, full: str) -> tuple[str, Any]:
    import ast

    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return ("shell", arg.value)
    if isinstance(arg, ast.List | ast.Tuple) and arg.elts and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in arg.elts):
        return ("argv", [e.value for e in arg.elts])  # type: ignore[attr-defined]
    return ("unresolved", f"{full}() runs a command built at run time")


_GENERIC_CALLS = {
    "node": ("exec", "execSync", "spawn", "spawnSync", "execFile", "execFileSync", "Command", "run", "spawnAsync"),
    "ruby": ("system", "exec", "spawn", "popen", "capture2", "capture2e", "capture3", "popen2", "popen3"),
    "perl": ("system", "exec"),
    "php": ("shell_exec", "system", "exec", "passthru", "popen", "proc_open"),
    "python": ("system", "popen", "run", "call", "check_call", "check_output", "Popen"),
    "awk": (),
}
_EVALS = {"node": ("eval", "Function"), "ruby": ("eval", "instance_eval"), "perl": ("eval",), "php": ("eval",),
          "python": ("exec", "eval"), "awk": ()}


def _extract_generic(code: str, lang: str) -> list[tuple[str, Any]]:
    """Literal-string calls in JS/Ruby/Perl/PHP one-liners (a tripwire, not a full parser for those languages)."""
    out: list[tuple[str, Any]] = []
    if lang == "awk":  # system("cmd"), "cmd" | getline, print | "cmd"
        for m in re.finditer(r"\bsystem\s*\(", code):
            args, _ok = _literal_args(code, m.end(), lang)
            out.append(("shell", args[0]) if args and isinstance(args[0], str) and code[m.end():].lstrip()[:1] == '"'
                       and re.match(r'\s*"[^"]*"\s*\)', code[m.end():]) else
                       ("unresolved", "system() runs a command built at run time"))
        for m in re.finditer(r'"((?:[^"\\]|\\.)*)"\s*\|\s*getline|\|&?\s*"((?:[^"\\]|\\.)*)"', code):
            target = m.group(1) if m.group(1) is not None else m.group(2)
            out.append(("shell", target))
            first = _base(target.split()[0]) if target.split() else ""
            if m.group(2) is not None and (first in SHELLS or _language(first)):
                out.append(("unresolved", f'output piped into "{_short(target, 30)}" runs as code'))
        return out
    names = "|".join(_GENERIC_CALLS[lang])
    for m in re.finditer(r"(?<![\w$])(?:[\w$]+\s*(?:\.|::|->)\s*)?(" + names + r")\b\s*(\(|\s)", code):
        fn = m.group(1)
        if lang == "php" and fn == "exec" and ("->" in m.group(0) or "::" in m.group(0)):
            continue  # $pdo->exec("SQL") is a database call, not a shell
        args, _ok = _literal_args(code, m.end(), lang)
        if args and isinstance(args[0], str):
            if len(args) >= 2 and isinstance(args[1], list):
                out.append(("argv", [args[0], *args[1]]))
            elif len(args) >= 2 and all(isinstance(a, str) for a in args):
                out.append(("argv", list(args)))
            else:
                out.append(("shell", args[0]))
        elif args and isinstance(args[0], list) and args[0]:
            out.append(("argv", args[0]))
        elif args and isinstance(args[0], dict):
            out.append(("argv", args[0]["cmd"]))
        elif m.group(2) == "(" or lang in ("ruby", "perl"):
            out.append(("unresolved", f"{fn}() runs a command built at run time"))
    tick = r"`([^`]*)`" if lang in ("ruby", "perl", "php") else None
    if tick:
        for m in re.finditer(tick, code):
            body = m.group(1)
            if ("#{" in body and lang == "ruby") or (lang in ("perl", "php") and "$" in body):
                out.append(("unresolved", "backticks run a command built at run time"))
            else:
                out.append(("shell", body))
    if lang in ("ruby", "perl"):
        for m in re.finditer(r"(?:%x|qx)\s*([({\[<|/!])", code):
            close = {"(": ")", "{": "}", "[": "]", "<": ">"}.get(m.group(1), m.group(1))
            end = code.find(close, m.end())
            if end > 0:
                out.append(("shell", code[m.end():end]))
    if lang == "node":
        for m in re.finditer(r"(?<![\w$])\$\s*`([^`]*)`", code):  # zx / Bun.$ template commands
            body = m.group(1)
            out.append(("unresolved", "template command with ${...}") if "${" in body else ("shell", body))
    for ev in _EVALS[lang]:
        for m in re.finditer(r"(?<![\w$.])" + ev + r"\s*\(", code):
            args, _ok = _literal_args(code, m.end(), lang)
            if not args or not isinstance(args[0], str):
                out.append(("unresolved", f"{ev}() of code built at run time"))
    return out


def _literal_args(code: str, pos: int, lang: str) -> tuple[list[Any], bool]:
    """Parse literal call arguments at `pos`: strings, arrays of strings, {cmd: [...]}/{args: [...]} objects."""
    args: list[Any] = []
    i, n = pos, len(code)
    while i < n:
        while i < n and code[i] in " \t\n":
            i += 1
        if i >= n:
            break
        c = code[i]
        if c in "'\"`":
            s, i = _literal_string(code, i, lang)
            if s is None:
                return args, False
            args.append(s)
        elif c == "[":
            items: list[str] = []
            i += 1
            while i < n:
                while i < n and code[i] in " \t\n,":
                    i += 1
                if i < n and code[i] == "]":
                    i += 1
                    break
                if i < n and code[i] in "'\"`":
                    s, i = _literal_string(code, i, lang)
                    if s is None:
                        return args, False
                    items.append(s)
                else:
                    return args, False
            args.append(items)
        elif c == "{" and args and isinstance(args[-1], str):
            m = re.compile(r"\{\s*args\s*:\s*").match(code, i)
            if m is None:
                return args, True
            sub, ok = _literal_args(code, m.end(), lang)
            if sub and isinstance(sub[0], list):
                args.append(sub[0])
            return args, ok
        elif c == "{":
            m = re.compile(r"\{\s*cmd\s*:\s*").match(code, i)
            if m is None:
                return args, False
            sub, ok = _literal_args(code, m.end(), lang)
            if sub and isinstance(sub[0], list):
                args.append({"cmd": sub[0]})
            return args, ok
        else:
            return args, bool(args) or c in ")"
        while i < n and code[i] in " \t\n":
            i += 1
        if i < n and code[i] == ",":
            i += 1
            continue
        return args, True
    return args, True


def _literal_string(code: str, i: int, lang: str) -> tuple[str | None, int]:
    q = code[i]
    out: list[str] = []
    j = i + 1
    while j < len(code):
        c = code[j]
        if c == "\\" and j + 1 < len(code):
            d = code[j + 1]
            out.append({"n": "\n", "t": "\t"}.get(d, d) if q != "'" or d in "'\\" else "\\" + d)
            j += 2
            continue
        if c == q:
            s = "".join(out)
            if q == "`" and "${" in s:
                return None, j + 1
            if q == '"' and ((lang == "ruby" and "#{" in s) or (lang in ("perl", "php") and "$" in s)):
                return None, j + 1
            return s, j + 1
        out.append(c)
        j += 1
    return None, j


# ---------------------------------------------------------------------------------------------------------------
# Code fed on stdin (heredocs, pipes) into shells and interpreters


def _feed_stdin(ctx: _Ctx, start: int) -> None:
    """After the whole line is read (pipes linked, heredocs attached): read code that interpreters get on stdin."""
    i = start
    while i < len(ctx.commands):
        cmd = ctx.commands[i]
        i += 1
        parent, mode = ctx.parent.get(id(cmd), (None, ""))
        if parent is not None:
            if cmd.stdin_from is None:
                cmd.stdin_from = parent.stdin_from
            if mode == "stdin" and cmd.stdin is None:
                cmd.stdin = parent.stdin
        kind = ctx.stdin_kind.get(id(cmd))
        if kind is None:
            continue
        lang, label = kind
        text = cmd.stdin
        if text is None and cmd.stdin_from is not None:
            text = _literal_output(cmd.stdin_from)
        if text is not None and cmd.stdin_from is not None and cmd.stdin_from.name in ("base64", "xxd", "openssl"):
            ctx.note(f"{cmd.name} runs code decoded by {cmd.stdin_from.name}")
        if text is not None:
            depth = ctx.depth_of.get(id(cmd), 0)
            scope = _Scope(cwd=cmd.cwd, env=dict(cmd.env), wrappers=[*cmd.wrappers, label], depth=depth + 1)
            if lang == "shell":
                _parse_into(ctx, text, scope, what=label)
            else:
                _extract(ctx, cmd, text, lang, label, _Scope(cwd=cmd.cwd, wrappers=list(cmd.wrappers), depth=depth))
        elif cmd.stdin_from is not None:
            ctx.note(f"{cmd.name} runs code piped from {cmd.stdin_from.name or 'a command'}")
        else:
            src = next((t for op, t in cmd.redirects if op.endswith("<") and not op.startswith("<<")), None)
            if src is not None:
                ctx.note(f"{cmd.name} runs code from the file {_short(src)}")


def _literal_output(cmd: Cmd) -> str | None:
    """What `echo`/`printf`/`cat <<EOF` print, when it is fixed text."""
    if cmd.dynamic or (cmd.stdin_from is not None and cmd.name not in ("cat", "base64")):
        return None
    name, args = cmd.name, cmd.argv[1:]
    if name == "echo":
        newline = True
        while args and re.fullmatch(r"-[neE]+", args[0]):
            if "e" in args[0]:
                return None
            newline = newline and "n" not in args[0]
            args = args[1:]
        return " ".join(args) + ("\n" if newline else "")
    if name == "printf":
        if not args or args[0] == "--" or args[0].startswith("-"):
            return None
        fmt = args[0]
        if "%" not in fmt and len(args) == 1:
            return fmt.replace("\\n", "\n").replace("\\t", "\t")
        if re.fullmatch(r"%s(\\n)?", fmt) and len(args) >= 2:
            end = "\n" if fmt.endswith("\\n") else ""
            return end.join(args[1:]) + end
        return None
    if name == "cat" and len(args) == 0 and cmd.stdin is not None:
        return cmd.stdin
    if (name == "which" and len(args) == 1) or (name == "command" and args[:1] == ["-v"] and len(args) == 2):
        return args[-1] + "\n"  # `$(which rm)`: a path to that program; its name is what matters
    if name == "base64" and cmd.stdin is not None and any(a in ("-d", "--decode", "-D", "-di") for a in args):
        import base64
        import binascii

        try:
            return base64.b64decode("".join(cmd.stdin.split())).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return None
    return None


# ---------------------------------------------------------------------------------------------------------------
# Small helpers


def _skip_opts(words: list[_Word], i: int, short_arg: str,
               long_arg: frozenset[str]) -> tuple[int, list[tuple[str, Any]]]:
    """Skip options from `i`; returns the first operand's index and the options seen (value is a _Word or None)."""
    opts: list[tuple[str, Any]] = []
    n = len(words)
    while i < n:
        a = words[i].text
        if a == "--":
            return i + 1, opts
        if not a.startswith("-") or a == "-" or words[i].dynamic:
            return i, opts
        if a.startswith("--"):
            name, eq, val = a[2:].partition("=")
            if eq:
                opts.append(("--" + name, _lit(val)))
            elif name in long_arg and i + 1 < n:
                opts.append(("--" + name, words[i + 1]))
                i += 1
            else:
                opts.append(("--" + name, None))
            i += 1
            continue
        letters = a[1:]
        took = False
        for k, ch in enumerate(letters):
            if ch in short_arg:
                rest = letters[k + 1:]
                if rest:
                    opts.append(("-" + ch, _lit(rest)))
                elif i + 1 < n:
                    opts.append(("-" + ch, words[i + 1]))
                    took = True
                else:
                    opts.append(("-" + ch, None))
                break
            opts.append(("-" + ch, None))
        i += 2 if took else 1
    return i, opts


def _split_words(s: str) -> list[str] | None:
    import shlex

    try:
        return shlex.split(s)
    except ValueError:
        return None


def _join_words(words: list[_Word]) -> _Word:
    """Words a remote or watched shell re-reads as one command line (ssh, watch, parallel join them with spaces)."""
    w = _Word(" ".join(x.text for x in words), " ".join(x.raw for x in words))
    w.dynamic = any(x.dynamic for x in words)
    return w


def _join(base: str | None, path: str) -> str:
    if path.startswith(("/", "~")) or not base:
        return posixpath.normpath(path) if path and not path.startswith("~") else path
    return posixpath.normpath(posixpath.join(base, path))


def _base(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def _short(s: str, n: int = 80) -> str:
    s = s.replace("\n", " ")
    return s if len(s) <= n else s[: n - 1] + "…"
