"""What every rule family shares: rule metadata, the context a rule judges in, and path/host helpers.

Rules are plain functions over `Cmd` objects (shell) or the Action's path (Read/Write/Edit) that yield
(verdict, rule_id, reason) triples; the engine picks the most severe one. Nothing here touches the disk
except reading small files a rule explicitly asks for, because this runs on every agent action.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator

from handrail.core.record import Record

TYPE_CHECKING = False  # typing costs ~3 ms to import on the hook's path; annotations are strings
if TYPE_CHECKING:
    from typing import Any

    from handrail.policy.config import GuardSettings
    from handrail.policy.model import Action, Cmd

Hit = tuple[str, str, str]  # (verdict, rule_id, reason)


class LazyRe:
    """A regex compiled on first use: the hook runs in a fresh process per action and most rules never fire,
    so compiling every pattern at import would cost more than deciding."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags

    def __getattr__(self, name: str) -> Any:
        rx = re.compile(self.pattern, self.flags)
        for method in ("search", "match", "fullmatch", "sub", "findall", "finditer", "split"):
            setattr(self, method, getattr(rx, method))
        return getattr(rx, name)
HitIter = Iterator[Hit]


class Rule(Record):
    """A built-in rule, documented the way checks are: what it asks, why, what to do instead, examples."""

    id: str
    verdict: str  # the usual verdict; some rules raise it to block for production or protected targets
    question: str
    why: str
    fix: str
    good_example: str
    bad_example: str


class Ctx:
    """Where an action happens: the project root, the working directory, the user's home, the settings.

    A plain class, not a dataclass: creating dataclasses costs milliseconds at import in the hook."""

    __slots__ = ("action", "cache", "cwd", "home", "root", "settings")

    def __init__(self, settings: GuardSettings, action: Action, root: str, cwd: str, home: str) -> None:
        self.settings = settings
        self.action = action
        self.root = root
        self.cwd = cwd
        self.home = home
        self.cache: dict[str, object] = {}

    def resolve(self, word: str, cwd: str | None = None) -> str | None:
        """Absolute normalised path for a word, expanding ~ and $HOME/$PWD; None when it stays dynamic."""
        w = word
        if w.startswith("~"):
            head, _, rest = w[1:].partition("/")
            if head:
                return None  # ~user
            w = self.home + ("/" + rest if rest else "")
        if "$" in w:
            w = _VAR_RE.sub(lambda m: self._var(m.group(1) or m.group(2), cwd), w)
        if "\0" in w or "$" in w or "`" in w:
            return None
        base = cwd if cwd is not None else self.cwd
        if not w.startswith("/"):
            if base is None:
                return None
            w = base + "/" + w
        return posixpath.normpath(w).replace("//", "/")

    def _var(self, name: str, cwd: str | None) -> str:
        if name == "HOME":
            return self.home
        if name == "PWD":
            return cwd or self.cwd
        if name in ("TMPDIR", "TMP", "TEMP"):
            return "/tmp"
        return "\0"

    def inside(self, path: str) -> bool:
        return path == self.root or path.startswith(self.root.rstrip("/") + "/")

    def rel(self, path: str) -> str:
        """Path relative to the root when inside it, else with ~ for home, for short reasons."""
        if self.inside(path):
            return posixpath.relpath(path, self.root)
        if path == self.home or path.startswith(self.home + "/"):
            return "~" + path[len(self.home):]
        return path


_VAR_RE = LazyRe(r"\$\{(\w+)\}|\$(\w+)")
PROD_WORD = LazyRe(r"(?i)(?<![a-z])(prod|production|live|prd)(?![a-z])")
PROD_ENV_VARS = ("RAILS_ENV", "RACK_ENV", "APP_ENV", "NODE_ENV", "DJANGO_ENV", "FLASK_ENV", "MIX_ENV", "ENV",
                 "ENVIRONMENT", "STAGE", "DEPLOY_ENV", "LARAVEL_ENV", "SYMFONY_ENV", "APP_ENVIRONMENT")
TEST_ENV = LazyRe(r"(?i)^(test|testing|tests|dev|development|local|ci)$")
_URL_RE = LazyRe(r"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|redis|rediss|mongodb(?:\+srv)?|sqlserver|"
                     r"mssql|https?|amqp)://(?:[^@/\s]*@)?(\[[^\]]+\]|[^:/?\s,]+)")
_CONNINFO_HOST = LazyRe(r"(?i)(?:^|\s)host=([^\s]+)")
_HOST_FLAGS = ("-h", "--host", "-H", "--hostname")


def is_local_host(host: str) -> bool:
    h = host.strip("[]").lower()
    if not h or h in ("localhost", "::1", "0.0.0.0", "host.docker.internal") or h.startswith(("127.", "/")):
        return True
    if h.endswith((".local", ".localhost", ".test", ".internal", ".lan", ".home.arpa")):
        return not PROD_WORD.search(h)
    if "." not in h and ":" not in h:
        return not PROD_WORD.search(h)  # a docker compose service name (db, postgres, redis)
    return False


def hosts_in(cmd: Cmd) -> list[str]:
    """Hosts a command talks to: -h/--host values, URLs and conninfo host= in args and env."""
    out: list[str] = []
    argv = cmd.argv
    for i, a in enumerate(argv):
        if a in _HOST_FLAGS and i + 1 < len(argv):
            out.append(argv[i + 1])
        elif a.startswith(("--host=", "--hostname=")):
            out.append(a.split("=", 1)[1])
        elif a.startswith("-h") and len(a) > 2 and not a.startswith("-h=") and cmd.name in _DB_CLIENTS:
            out.append(a[2:])
        out.extend(m.group(1) for m in _URL_RE.finditer(a))
        out.extend(m.group(1) for m in _CONNINFO_HOST.finditer(a))
    for k, v in cmd.env.items():
        if k.endswith(("_URL", "_URI", "HOST", "_DSN")):
            out.extend(m.group(1) for m in _URL_RE.finditer(v))
            if k.endswith("HOST"):
                out.append(v)
    return out


_DB_CLIENTS = frozenset({"psql", "mysql", "mariadb", "redis-cli", "pg_dump", "mysqldump", "mongo", "mongosh",
                         "dropdb", "mysqladmin", "clickhouse-client", "cockroach"})


def env_says(cmd: Cmd) -> str | None:
    """'prod' or 'test' when the command's env vars or flags name its environment, else None."""
    for k in PROD_ENV_VARS:
        v = cmd.env.get(k)
        if v is not None:
            if PROD_WORD.fullmatch(v.strip()) or v.lower().startswith("prod"):
                return "prod"
            if TEST_ENV.match(v.strip()):
                return "test"
    settings = cmd.env.get("DJANGO_SETTINGS_MODULE", "")
    if PROD_WORD.search(settings):
        return "prod"
    argv = cmd.argv
    for i, a in enumerate(argv):
        val = None
        if a.startswith(("--env=", "--environment=", "-e=", "--stage=", "--settings=", "--context=",
                         "--kube-context=", "--profile=")):
            val = a.split("=", 1)[1]
        elif a in ("--env", "--environment", "-e", "-E", "--stage", "--settings", "--context", "--kube-context",
                   "-s", "--profile") and i + 1 < len(argv):
            val = argv[i + 1]
        elif a in ("--prod", "--production", "--linked"):
            return "prod"
        if val is not None:
            if PROD_WORD.search(val):
                return "prod"
            if TEST_ENV.match(val.rsplit(".", 1)[-1]):
                return "test"
    return None


def looks_production(cmd: Cmd) -> bool:
    """The target looks like production: named so by env/flags, or a non-local host, or a *_production db."""
    said = env_says(cmd)
    if said == "prod":
        return True
    if any(not is_local_host(h) for h in hosts_in(cmd)):
        return True
    return any(_PROD_ARG.search(a) for a in cmd.argv[1:] if not a.startswith("-"))


_PROD_ARG = LazyRe(r"(?i)(^|[_-])(prod|production)$")


def short(text: str, limit: int = 80) -> str:
    """One line, truncated, with obvious credentials masked: reasons go to the agent and the journal."""
    t = " ".join(text.split())
    low = t.lower()
    if any(k in low for k in ("pass", "pwd", "token", "secret", "key", "auth", "://")):
        t = _MASK.sub(lambda m: m.group(1) + "***", t)
    return t if len(t) <= limit else t[: limit - 1] + "…"


_MASK = LazyRe(r"(?i)((?:password|passwd|pwd|token|secret|api[_-]?key)[=:]\s*|authorization:\s*bearer\s+|"
                   r"://[^:/@\s]+:)[^\s@'\"]+")

SHELL_NAMES = frozenset({"bash", "sh", "zsh", "dash", "ksh", "ash", "mksh", "fish", "rbash"})
INTERPRETERS = frozenset({"python", "python3", "python2", "node", "nodejs", "deno", "bun", "ruby", "perl", "php",
                          "pypy", "pypy3", "lua", "Rscript", "osascript", "pwsh"})


def is_interpreter(name: str) -> bool:
    return name in SHELL_NAMES or name in INTERPRETERS or bool(re.match(r"^(python|pypy)[0-9.]*$", name))


def inline_code(cmd: Cmd) -> str | None:
    """The code of an interpreter one-liner (python -c, node -e/-p, ruby/perl -e, php -r), else None."""
    name = cmd.name
    if not is_interpreter(name) or name in SHELL_NAMES:
        return None
    argv = cmd.argv
    for i, a in enumerate(argv[1:], 1):
        if a in ("-c", "-e", "-p", "-r", "--eval", "--print", "-E") and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--eval="):
            return a.split("=", 1)[1]
    return None


def flags(argv: list[str], start: int = 1) -> tuple[set[str], list[str]]:
    """Short flags (split: -rf -> r, f), long flags (--force) and positional words; `--` ends options."""
    short_flags: set[str] = set()
    words: list[str] = []
    done = False
    for a in argv[start:]:
        if done or not a.startswith("-") or a == "-":
            words.append(a)
        elif a == "--":
            done = True
        elif a.startswith("--"):
            short_flags.add(a)
        else:
            short_flags.update(a[1:])
    return short_flags, words


def is_dynamic(word: str, cmd: Cmd) -> bool:
    return "$" in word or "`" in word or any(word in d or d in word for d in cmd.dynamic if d)


def home_dir() -> str:
    return os.path.expanduser("~").rstrip("/") or "/"
