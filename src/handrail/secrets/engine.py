"""The scanner: one prefilter pass over a buffer, exact confirmation only on candidate lines.

Two kinds of buffer: a file's bytes (`scan_blob`, working tree) and a unified diff (`scan_diff`: staged
changes, or `git log -p` output for history, where only added lines count). Confirmation results are cached
by line content, since history repeats the same added lines across branches and rebases.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from handrail.secrets.prefilter import Prefilter, load_prefilter
from handrail.secrets.rules import SecretRule, match_spans, rule_applies, shannon_entropy

# Files that are secrets by nature even when binary: keystores, PKCS#12 bundles, SSH keys, password vaults.
KEY_FILE_RX = re.compile(r"(?:^|/)(?:id_(?:rsa|dsa|ecdsa|ed25519)|[^/]+\.(?:p12|pfx|jks|keystore|kdbx|ppk))$",
                         re.IGNORECASE)
# Inline markers that accept one line: ours, and the ones teams bring from gitleaks and detect-secrets.
_ALLOW_RX = re.compile(r"handrail:ignore(?:\[([^\]]*)\])?|gitleaks:allow|pragma: ?allowlist secret")
_MULTILINE_WINDOW = 20_000
_BASE64_LINE = re.compile(r"[A-Za-z0-9+/=]+")
_CACHE_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class Hit:
    """One occurrence of a confirmed secret. `rule` indexes the scanner's rules; `commit` is None off history."""

    rule: int
    value: str
    path: str
    line: int
    commit: str | None = None


class Scanner:
    def __init__(self, rules: Sequence[SecretRule], backend: str | None = None) -> None:
        self.rules = tuple(rules)
        self.prefilter: Prefilter = load_prefilter(self.rules, backend)
        self._cache: dict[tuple[bytes, tuple[int, ...]], list[tuple[int, str, int]]] = {}

    # --- files ------------------------------------------------------------------------------------------
    def scan_blob(self, data: bytes, path: str) -> list[Hit]:
        """Secrets in one file's content; lines are 1-based."""
        hits: list[Hit] = []
        if KEY_FILE_RX.search(path) and (b"\0" in data[:8192] or not data.strip()):
            hits.append(Hit(self.key_file_rule, "blob:" + _git_blob_id(data), path, 1))
        by_line = self._candidate_lines(data)
        if not by_line:
            return hits
        line_no, counted_to = 1, 0
        for start in sorted(by_line):
            line_no += data.count(b"\n", counted_to, start)
            counted_to = start
            end = data.find(b"\n", start)
            raw = data[start:] if end < 0 else data[start:end]
            for rule_idx, value, col in self._confirm(raw, by_line[start], path):
                ctx = self.rules[rule_idx].context
                if ctx and not _context_before(data, start, ctx, False):
                    continue
                if value is _NEEDS_BODY:
                    body = _multiline_body(data, start + col, self.rules[rule_idx].multiline_end or "", False)
                    if body is None:
                        continue
                    value = body
                hits.append(Hit(rule_idx, value, path, line_no))
        return hits

    # --- diffs ------------------------------------------------------------------------------------------
    def scan_diff(self, chunk: bytes, commit: str | None = None) -> list[Hit]:
        """Secrets on added lines of a unified or combined diff. In `git log` output, a NUL then the full sha
        opens each commit (format `%x00%H`); `chunk` must start at such a boundary or at a `diff --` header."""
        if not chunk.startswith(b"\n"):
            chunk = b"\n" + chunk
        hits: list[Hit] = []
        files: dict[int, tuple[str | None, int]] = {}
        boundaries = _positions(chunk, b"\x00")
        for start, rule_ids in sorted(self._candidate_lines(chunk).items()):
            first = chunk[start:start + 1]
            if first not in (b"+", b" "):
                continue
            hunk = chunk.rfind(b"\n@@", 0, start)
            header = chunk.rfind(b"\ndiff --", 0, start)
            if hunk < 0 or header > hunk:
                continue  # file headers (`+++ b/x`) are not content
            if header not in files:
                files[header] = _file_header(chunk, header, hunk)
            path, parents = files[header]
            if path is None:
                continue
            end = chunk.find(b"\n", start)
            line_bytes = chunk[start:] if end < 0 else chunk[start:end]
            prefix = line_bytes[:parents]
            if prefix.count(b"+") != parents:
                continue  # context or a line taken from one parent of a merge: scanned in that parent's commit
            line_no = _new_line_number(chunk, hunk, start, parents)
            sha = _commit_at(chunk, boundaries, start, commit)
            for rule_idx, value, col in self._confirm(line_bytes[parents:], rule_ids, path):
                ctx = self.rules[rule_idx].context
                if ctx and not _context_before(chunk, start, ctx, True):
                    continue
                if value is _NEEDS_BODY:
                    body = _multiline_body(chunk, start + parents + col, self.rules[rule_idx].multiline_end or "",
                                           True)
                    if body is None:
                        continue
                    value = body
                hits.append(Hit(rule_idx, value, path, line_no, sha))
        hits.extend(self._binary_key_files(chunk, commit))
        return hits

    def _binary_key_files(self, chunk: bytes, commit: str | None) -> list[Hit]:
        """`Binary files /dev/null and b/deploy.p12 differ`: a keystore added to history."""
        out: list[Hit] = []
        pos = chunk.find(b"\nBinary files ")
        while pos >= 0:
            end = chunk.find(b"\n", pos + 1)
            text = chunk[pos + 1:end if end >= 0 else len(chunk)].decode("utf-8", "surrogateescape")
            m = re.match(r'Binary files .+ and "?b/(.+?)"? differ$', text)
            if m and KEY_FILE_RX.search(m.group(1)):
                header = chunk.rfind(b"\ndiff --", 0, pos + 1)
                index = re.search(rb"\nindex [0-9a-f]+\.\.([0-9a-f]+)", chunk[header:pos + 1])
                blob = index.group(1).decode() if index else m.group(1)
                sha = _commit_at(chunk, _positions(chunk, b"\x00"), pos + 1, commit)
                out.append(Hit(self.key_file_rule, "blob:" + blob, _unquote(m.group(1)), 1, sha))
            pos = chunk.find(b"\nBinary files ", pos + 1)
        return out

    @property
    def key_file_rule(self) -> int:
        """Index -1 stands for the built-in 'binary key file' rule, which has no line pattern."""
        return -1

    # --- shared -----------------------------------------------------------------------------------------
    def _candidate_lines(self, data: bytes) -> dict[int, set[int]]:
        by_line: dict[int, set[int]] = {}
        rfind = data.rfind
        for rule_idx, end in self.prefilter.scan(data):
            start = rfind(b"\n", 0, max(end - 1, 0)) + 1
            by_line.setdefault(start, set()).add(rule_idx)
        return by_line

    def _confirm(self, raw: bytes, rule_ids: set[int], path: str) -> list[tuple[int, str, int]]:
        """(rule index, value, column) for every secret the rules confirm on one line; an earlier rule (more
        specific) wins where two rules match overlapping text."""
        applicable = tuple(sorted(i for i in rule_ids if rule_applies(self.rules[i], path)))
        if not applicable:
            return []
        key = (raw, applicable)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        text = raw.decode("utf-8", "surrogateescape")
        if text.endswith("\r"):
            text = text[:-1]
        out: list[tuple[int, str, int]] = []
        taken: list[tuple[int, int]] = []
        seen: set[str] = set()
        marked = "handrail:ignore" in text or "gitleaks:allow" in text or "allowlist secret" in text
        for i in applicable:
            rule = self.rules[i]
            if marked and line_allowed(text, rule.id):
                continue
            for m in match_spans(rule, text):
                s, e = m.span("secret")
                value = m.group("secret")
                if value in seen or any(s < te and ts < e for ts, te in taken):
                    continue
                if not rule.context:
                    # A rule that still needs its context (lines above) checked must not hide another rule's match.
                    taken.append((s, e))
                    seen.add(value)
                col = len(text[:s].encode("utf-8", "surrogateescape"))
                out.append((i, _NEEDS_BODY if rule.multiline_end else value, col))
        if len(self._cache) > _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = out
        return out


def line_allowed(line: str, rule_id: str) -> bool:
    """True when the line carries an inline marker accepting this rule (or all secrets)."""
    for m in _ALLOW_RX.finditer(line):
        names = m.group(1)
        if names is None:
            return True
        if {n.strip() for n in names.split(",")} & {rule_id, "secrets"}:
            return True
    return False


class _Marker(str):
    pass


_NEEDS_BODY = _Marker("")


_CONTEXT_LINES = 3


def _context_before(buf: bytes, start: int, pattern: str, diff: bool) -> bool:
    """Whether `pattern` matches the line at `start` or one of the few lines above it (in a diff: added lines of
    the same hunk), where formats such as Terraform, plists and nested JSON/YAML keep a value's name."""
    rx = _context_rx(pattern)
    end = buf.find(b"\n", start)
    if rx.search(buf[start:end if end >= 0 else len(buf)].decode("utf-8", "surrogateescape")):
        return True
    pos = start - 1
    for _ in range(_CONTEXT_LINES):
        if pos <= 0:
            return False
        prev = buf.rfind(b"\n", 0, pos) + 1
        line = buf[prev:pos]
        if diff:
            if not line.startswith(b"+") or line.startswith(b"+++ "):
                return False
            line = line[1:]
        if rx.search(line.decode("utf-8", "surrogateescape")):
            return True
        pos = prev - 1
    return False


@functools.cache
def _context_rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.ASCII)


def _positions(buf: bytes, needle: bytes) -> list[int]:
    out: list[int] = []
    pos = buf.find(needle)
    while pos >= 0:
        out.append(pos)
        pos = buf.find(needle, pos + 1)
    return out


def _commit_at(chunk: bytes, boundaries: list[int], pos: int, default: str | None) -> str | None:
    """The sha of the commit whose diff holds `pos` (one bisect, not a backward scan through a huge diff)."""
    i = bisect.bisect_left(boundaries, pos) - 1
    if i < 0:
        return default
    b = boundaries[i]
    return chunk[b + 1:b + 41].decode("ascii", "replace")


def _git_blob_id(data: bytes) -> str:
    """The object id git gives these bytes, so a key file in the tree and in history is one value."""
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _multiline_body(buf: bytes, pos: int, end_marker: str, diff: bool) -> str | None:
    """The base64 body of a private key starting at `pos`, or None when it is a placeholder.

    The key may sit on many lines (a .pem file; added lines of a diff) or on one (a JSON string with `\\n`
    escapes); either way the value is the body's base64 characters, so the same key is one value everywhere."""
    window = buf[pos:pos + _MULTILINE_WINDOW].decode("utf-8", "surrogateescape")
    first_nl = window.find("\n")
    if diff:
        # Only consecutive added lines belong to the key.
        lines = window.split("\n")
        kept = [lines[0]]
        for ln in lines[1:]:
            if not ln.startswith("+"):
                break
            kept.append(ln[1:])
        window = "\n".join(kept)
    marker = window.find(end_marker, 10)
    text = window[:marker] if marker >= 0 else window[:4000]
    head_end = text.find("-----", 11)
    body = text[head_end + 5:] if head_end >= 0 else text[first_nl + 1:] if first_nl >= 0 else ""
    if "..." in body or "xxxx" in body.lower() or "<" in body:
        return None
    parts: list[str] = []
    for ln in body.replace("\\n", "\n").replace("\\r", "").split("\n"):
        ln = ln.strip().strip("\"'`,;+\\").strip()
        if not ln or ":" in ln:
            continue  # blank, or a PEM header such as Proc-Type / DEK-Info
        if not _BASE64_LINE.fullmatch(ln):
            return None  # prose after a BEGIN marker (docs, error messages): not a key
        parts.append(ln)
    clean = "".join(parts)
    if len(clean) < 64 or shannon_entropy(clean) < 4.5:
        return None
    return clean


def _file_header(chunk: bytes, header: int, hunk: int) -> tuple[str | None, int]:
    """(new path, parent count) from the header lines between `diff --` and the first hunk."""
    block = chunk[header + 1:hunk]
    first_end = block.find(b"\n")
    first = block[:first_end if first_end >= 0 else len(block)]
    if first.startswith(b"diff --cc ") or first.startswith(b"diff --combined "):
        name = first.split(b" ", 2)[2]
        at = chunk[hunk + 1:hunk + 12]
        parents = len(at) - len(at.lstrip(b"@")) - 1
        return _unquote(name.decode("utf-8", "surrogateescape")), max(parents, 1)
    pos = block.find(b"\n+++ ")
    if pos < 0:
        return None, 1
    end = block.find(b"\n", pos + 1)
    name = block[pos + 5:end if end >= 0 else len(block)].decode("utf-8", "surrogateescape")
    # git ends the name with a tab when it contains a space (so `patch` can tell where it stops).
    name = name[:-1] if name.endswith("\t") else name
    if name == "/dev/null":
        return None, 1
    name = _unquote(name)
    return (name[2:] if name.startswith("b/") else name), 1


def _unquote(name: str) -> str:
    """git's C-style quoting of unusual paths (`"b/caf\\303\\251.env"`)."""
    if not (name.startswith('"') and name.endswith('"')):
        return name
    raw = name[1:-1].encode("utf-8", "surrogateescape").decode("unicode_escape").encode("latin-1")
    return raw.decode("utf-8", "surrogateescape")


_HUNK_RX = re.compile(rb"@@+ (?:-\d+(?:,\d+)? )+\+(\d+)")


def _new_line_number(chunk: bytes, hunk: int, start: int, parents: int) -> int:
    """The line's number in the new file: the hunk's start plus the new-side lines before it."""
    head_end = chunk.find(b"\n", hunk + 1)
    m = _HUNK_RX.match(chunk, hunk + 1, head_end)
    first = int(m.group(1)) if m else 1
    if parents == 1:
        return first + chunk.count(b"\n+", head_end, start - 1)
    n = 0
    for ln in chunk[head_end + 1:start - 1].split(b"\n"):
        if ln and b"-" not in ln[:parents]:
            n += 1
    return first + n
