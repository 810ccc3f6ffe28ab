"""Firebase security rules findings (check `authz`, rules `firebase-*`).

Firebase clients talk to Firestore, Storage and the Realtime Database directly, so the rules files are the
whole access control. The rules language is only parsed far enough to know, for every `allow`, which path it
guards (the stack of `match` blocks) and what its condition says; that is enough for the three mistakes that
leak data: rules open to everyone, "any signed-in user" on everything, and the console's test mode
(`request.time < timestamp.date(...)`), which is wide open until the date and denies everything after it.
Narrow public reads (a product catalogue) and anonymous create-only forms are reported low so real apps are not
buried in noise; the same rules on collections of people's records (users, orders, messages) are not a catalogue.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from handrail.core.finding import Confidence, Finding, Severity

if TYPE_CHECKING:
    from handrail.core.project import Project

CHECK = "authz"
_WRITE = frozenset({"write", "create", "update", "delete"})
_TEST_MODE = re.compile(r"request\.time\s*<\s*timestamp\.date\(\s*(\d{4})\s*,\s*(\d{1,2})\s*,\s*(\d{1,2})\s*\)")
_SIGNED_IN = {"request.auth!=null", "null!=request.auth", "request.auth.uid!=null", "null!=request.auth.uid",
              "auth!=null", "auth!==null", "auth.uid!=null", "auth.uid!==null", "request.auth!=null&&true"}
_PATH_VAR = re.compile(r"\{\w+(?:=\*\*)?\}")
_PREFIXES = ("/databases/{database}/documents", "/b/{bucket}/o")
# Collections that hold people's records: open reads there are leaks, not a public catalogue.
_USER_COLLECTIONS = frozenset({"users", "user", "profiles", "accounts", "customers", "clients", "members", "orders",
                               "messages", "chats", "conversations", "payments", "invoices", "transactions",
                               "addresses", "contacts", "patients", "employees", "bookings", "appointments",
                               "usuarios", "clientes", "pedidos", "mensajes", "mensagens", "utilisateurs"})


@dataclass
class Allow:
    """One `allow` statement with the full path of the match blocks around it."""

    methods: tuple[str, ...]
    condition: str  # whitespace-normalised; "true" when the statement has no `if`
    path: str
    line: int


def _strip_comments(text: str) -> str:
    """Blank out comments (keeping newlines and offsets) so braces and semicolons in them are not code."""
    out: list[str] = []
    i, n = 0, len(text)
    quote = ""
    while i < n:
        ch = text[i]
        if quote:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = ""
            i += 1
        elif ch in "'\"":
            quote = ch
            out.append(ch)
            i += 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(c if c == "\n" else " " for c in text[i:j]))
            i = j
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def parse_rules(text: str) -> tuple[list[Allow], dict[str, str]]:
    """Allow statements and zero-argument helper functions (`function isSignedIn() { return ...; }`)."""
    code = _strip_comments(text)
    allows: list[Allow] = []
    functions: dict[str, str] = {}
    stack: list[tuple[str, str | None]] = []  # (kind, match path or function name)
    buf_start = 0
    i = -1
    quote = ""
    while i + 1 < len(code):
        i += 1
        ch = code[i]
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
            continue
        if ch not in "{};":
            continue
        if ch == "{":
            var = _PATH_VAR.match(code, i)
            if var:  # `{userId}` / `{document=**}` inside a match path, not a block
                i = var.end() - 1
                continue
        segment = code[buf_start:i]
        head = " ".join(segment.split())
        lead = len(segment) - len(segment.lstrip())
        line = code.count("\n", 0, buf_start + lead) + 1
        buf_start = i + 1
        if ch == "{":
            if head.startswith("match "):
                stack.append(("match", head[6:].strip()))
            elif head.startswith("function "):
                m = re.match(r"function\s+(\w+)\s*\(\s*\)", head)
                stack.append(("function", m.group(1) if m else None))
            else:
                stack.append(("block", None))
        elif ch == "}":
            if stack:
                stack.pop()
        elif head.startswith("allow "):
            m = re.match(r"allow\s+([\w\s,]+?)\s*(?::\s*if\s+(.*))?$", head, re.S)
            if m:
                methods = tuple(x.strip() for x in m.group(1).split(",") if x.strip())
                cond = " ".join((m.group(2) or "true").split())
                path = "".join(p or "" for kind, p in stack if kind == "match")
                allows.append(Allow(methods, cond, path, line))
        elif head.startswith("return ") and stack and stack[-1][0] == "function" and stack[-1][1]:
            functions[str(stack[-1][1])] = " ".join(head[7:].split())
    return allows, functions


def _unparen(cond: str) -> str:
    cond = cond.strip()
    while cond.startswith("(") and cond.endswith(")"):
        cond = cond[1:-1].strip()
    return cond


def _resolve(cond: str, functions: dict[str, str]) -> str:
    cond = _unparen(cond)
    m = re.fullmatch(r"(\w+)\(\s*\)", cond)
    if m and m.group(1) in functions:
        return _unparen(functions[m.group(1)])
    return cond


def _scope(path: str) -> tuple[str, bool]:
    """The path below the database/bucket prefix, and whether a recursive wildcard covers all of it."""
    rel = path
    for prefix in _PREFIXES:
        if rel.startswith(prefix):
            rel = rel[len(prefix):]
            break
    first = rel.strip("/").split("/", 1)[0]
    return rel or "/", first.startswith("{") and first.endswith("=**}")


def _collection(rel: str) -> str:
    """The collection a match path guards: the last fixed segment (`/users/{uid}/orders/{id}` -> orders)."""
    fixed = [seg for seg in rel.strip("/").split("/") if seg and not seg.startswith("{")]
    return fixed[-1].lower() if fixed else ""


def _finding(rule: str, severity: Severity, confidence: Confidence, message: str, path: str, line: int,
             key: str, fix: str, evidence: str) -> Finding:
    return Finding(check=CHECK, rule=rule, severity=severity, message=message, path=path, line=line,
                   evidence=evidence[:300], fix=fix, key=key, confidence=confidence)


def rules_findings(path: str, text: str, today: date | None = None) -> list[Finding]:
    """Findings for a firestore.rules or storage.rules file."""
    today = today or date.today()
    allows, functions = parse_rules(text)
    kind = "Storage" if "firebase.storage" in text else "Firestore"
    out: list[Finding] = []
    for a in allows:
        cond = _resolve(a.condition, functions)
        flat = cond.replace(" ", "")
        rel, everything = _scope(a.path)
        writes = bool(set(a.methods) & _WRITE)
        verbs = ", ".join(a.methods)
        key = f"{a.path} {verbs}"
        evidence = f"match {rel}: allow {verbs}: if {a.condition}"
        scope = f"all of {kind}" if everything else f"{kind} path {rel}"
        test = _TEST_MODE.search(cond)
        if test and "auth" not in cond:
            until = date(int(test.group(1)), int(test.group(2)), int(test.group(3)))
            if until > today:
                out.append(_finding(
                    "firebase-test-mode", Severity.CRITICAL, Confidence.HIGH,
                    f"Test-mode rules: anyone can {verbs} {scope} until {until.isoformat()}", path, a.line, key,
                    "Replace the test-mode rule with per-user rules such as `request.auth.uid == userId`.",
                    evidence))
            else:
                out.append(_finding(
                    "firebase-test-mode", Severity.MEDIUM, Confidence.HIGH,
                    f"Test-mode rules expired on {until.isoformat()}: every request to {scope} is now denied, and "
                    "extending the date reopens it to everyone", path, a.line, key,
                    "Write real rules instead of extending the test-mode date.", evidence))
        elif flat == "true":
            personal = _collection(rel) in _USER_COLLECTIONS
            if everything:
                severity, conf = Severity.CRITICAL, Confidence.HIGH
            elif writes:
                if set(a.methods) <= {"create"}:  # a form anyone may submit: a reset request, a contact message
                    severity, conf = (Severity.MEDIUM, Confidence.MEDIUM) if personal else (Severity.LOW,
                                                                                            Confidence.MEDIUM)
                else:
                    severity, conf = Severity.HIGH, Confidence.HIGH
            elif personal:
                severity, conf = Severity.HIGH, Confidence.MEDIUM  # users/orders/messages readable by anyone
            else:
                severity, conf = Severity.LOW, Confidence.MEDIUM  # public content is often intended
            out.append(_finding(
                "firebase-open-rules", severity, conf,
                f"Rules let anyone, signed in or not, {verbs} {scope}", path, a.line, key,
                "Require `request.auth != null` and compare `request.auth.uid` with the document owner.", evidence))
        elif flat in _SIGNED_IN:
            variables = re.findall(r"\{(\w+)(?:=\*\*)?\}", rel)
            if everything:
                severity = Severity.HIGH if writes else Severity.MEDIUM
                conf = Confidence.HIGH
            elif writes and any(v.lower() in ("uid", "userid", "user", "ownerid") for v in variables):
                severity, conf = Severity.MEDIUM, Confidence.MEDIUM
            elif _collection(rel) in _USER_COLLECTIONS and set(a.methods) - {"create"}:
                severity, conf = Severity.MEDIUM, Confidence.MEDIUM  # every user's orders/messages, not only theirs
            else:
                continue  # a signed-in read of one collection is a design choice, not a finding
            out.append(_finding(
                "firebase-any-signed-in", severity, conf,
                f"Rules let any signed-in user {verbs} {scope}, including other users' data", path, a.line, key,
                "Compare `request.auth.uid` with the owner (e.g. `request.auth.uid == userId`).", evidence))
    return out


def _load_json_lenient(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(_strip_comments(text))  # the console accepts comments in database.rules.json


def rtdb_findings(path: str, text: str) -> list[Finding]:
    """Findings for Realtime Database rules (database.rules.json)."""
    try:
        data = _load_json_lenient(text)
    except ValueError:
        return []  # a broken JSON file is the parser's finding, not a rules finding
    rules = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(rules, dict):
        return []
    lines = [text.count("\n", 0, m.start()) + 1 for m in re.finditer(r'"\.(?:read|write)"\s*:', text)]
    seen = 0
    out: list[Finding] = []

    def walk(node: dict[str, Any], trail: list[str]) -> None:
        nonlocal seen
        for k, v in node.items():
            if k in (".read", ".write"):
                line = lines[seen] if seen < len(lines) else 1
                seen += 1
                _rtdb_rule(out, path, line, k[1:], v, trail)
            elif isinstance(v, dict):
                walk(v, [*trail, k])

    walk(rules, [])
    return out


def _rtdb_rule(out: list[Finding], path: str, line: int, verb: str, value: Any, trail: list[str]) -> None:
    where = "/" + "/".join(trail)
    flat = str(value).replace(" ", "").lower() if not isinstance(value, bool) else str(value).lower()
    depth = len(trail)
    fixed = [t for t in trail if not t.startswith("$")]
    key = f"{where} .{verb}"
    evidence = f'"{where}": ".{verb}": {json.dumps(value)}'
    if flat == "true":
        if depth == 0:
            severity, conf = Severity.CRITICAL, Confidence.HIGH
        elif verb == "write":
            severity, conf = (Severity.HIGH if len(fixed) <= 1 else Severity.MEDIUM), Confidence.HIGH
        else:
            severity, conf = Severity.LOW, Confidence.MEDIUM
        out.append(_finding("firebase-open-rules", severity, conf,
                            f"Realtime Database rules let anyone {verb} {where}", path, line, key,
                            "Use `auth != null && auth.uid === $uid` on per-user paths.", evidence))
    elif flat in _SIGNED_IN and (depth == 0 or (verb == "write" and len(fixed) <= 1)):
        severity = Severity.HIGH if depth == 0 else Severity.MEDIUM
        out.append(_finding("firebase-any-signed-in", severity, Confidence.HIGH if depth == 0 else Confidence.MEDIUM,
                            f"Realtime Database rules let any signed-in user {verb} {where}", path, line, key,
                            "Compare `auth.uid` with the owner path variable (`$uid`).", evidence))


def rules_files(project: Project) -> list[str]:
    """Rules files by their conventional names plus whatever firebase.json points at."""
    found = set(project.files.named("firestore.rules", "storage.rules", "database.rules.json"))
    for cfg in project.files.named("firebase.json"):
        try:
            data = project.json(cfg)
        except Exception:  # malformed firebase.json: keep the conventional names
            continue
        base = cfg.rsplit("/", 1)[0] + "/" if "/" in cfg else ""
        for section in ("firestore", "storage", "database"):
            entries = data.get(section) if isinstance(data, dict) else None
            for entry in entries if isinstance(entries, list) else [entries]:
                if isinstance(entry, dict) and isinstance(entry.get("rules"), str):
                    candidate = base + entry["rules"].removeprefix("./")
                    if candidate in project.files:
                        found.add(candidate)
    return sorted(found)


def firebase_findings(project: Project, today: date | None = None) -> list[Finding]:
    out: list[Finding] = []
    for path in rules_files(project):
        text = project.text(path)
        if text is None:
            continue
        if text.lstrip().startswith("{"):
            out += rtdb_findings(path, text)
        else:
            out += rules_findings(path, text, today)
    return out
