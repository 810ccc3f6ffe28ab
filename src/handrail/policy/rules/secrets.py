"""Reading secret files or dumping the environment into the agent's context.

Whatever an agent reads goes to its model provider and its transcript; a .env, an SSH key or `printenv`
output there is a leaked credential. Example files (.env.example) hold no values and stay readable.
"""

from __future__ import annotations

import fnmatch

from handrail.policy.model import Cmd
from handrail.policy.rules.base import Ctx, HitIter, LazyRe, Rule, inline_code, short

RULES = (
    Rule("secret-read", "block", "Does the action read a secret file?",
         ".env files, SSH/cloud keys, *.pem, ~/.npmrc, ~/.netrc, gh tokens and Handrail's own signing keys put live "
         "credentials into the agent's context and transcript.",
         "Read .env.example for variable names; let the app load .env itself (docker --env-file, dotenv).",
         "cat .env.example", "cat .env ; Read ~/.ssh/id_ed25519 ; base64 < ~/.aws/credentials"),
    Rule("env-dump", "block", "Does the command print the whole environment or a secret variable?",
         "printenv/env/export -p/set print every token the shell holds (cloud keys, GITHUB_TOKEN, DATABASE_URL).",
         "Print the one non-secret variable you need: `printenv NODE_ENV`, `echo $PATH`.",
         "printenv NODE_ENV", "printenv ; env | sort ; echo $AWS_SECRET_ACCESS_KEY"),
)

_ENV_OK = LazyRe(r"(?i)^\.env\.(example|sample|template|dist|schema|defaults|tmpl|tpl|example\.\w+)$|"
                     r"\.(example|sample|template|dist)$")
_HOME_SECRETS = (".aws/credentials", ".npmrc", ".netrc", ".pgpass", ".my.cnf", ".git-credentials", ".pypirc",
                 ".docker/config.json", ".kube/config", ".config/gh/hosts.yml", ".config/hub", ".vault-token",
                 ".terraform.d/credentials.tfrc.json", ".config/gcloud/credentials.db",
                 ".config/gcloud/application_default_credentials.json", ".azure/accessTokens.json",
                 ".config/op/config", ".cargo/credentials", ".cargo/credentials.toml", ".gem/credentials",
                 ".composer/auth.json", ".env")
_HOME_DIRS = (".ssh/", ".gnupg/", ".config/handrail/", ".password-store/", ".aws/sso/cache/")
_KEY_EXTS = frozenset({"pem", "key", "p12", "pfx", "jks", "keystore", "ppk", "asc", "gpg", "kdbx"})
_KEY_NAMES = LazyRe(r"^(id_(rsa|dsa|ecdsa|ed25519)(_sk)?|.*service[-_]?account.*\.json|credentials\.json|"
                        r"master\.key|secrets\.ya?ml|terraform\.tfstate(\.backup)?|htpasswd|\.htpasswd|shadow|"
                        r"gshadow|\.envrc)$")
_CODE_EXT = (".ts", ".tsx", ".js", ".mjs", ".cjs", ".jsx", ".py", ".rb", ".go", ".php", ".rs", ".md", ".java", ".kt",
             ".swift", ".cs", ".ex", ".exs", ".vue", ".svelte")
_KEY_HINTS = ("id_", "account", "credentials", "master.key", "secrets.", "tfstate", "htpasswd", "shadow", ".envrc")
_NOT_READ = frozenset({"ls", "stat", "test", "[", "[[", "touch", "chmod", "chown", "mkdir", "rm", "file", "du",
                       "realpath", "readlink", "basename", "dirname", "mv", "source", ".", "echo", "printf",
                       "ssh", "ssh-add", "scp", "rsync", "docker", "docker-compose", "podman", "dotenv", "git",
                       "ssh-keygen", "cd", "code", "direnv", "tee", "sops", "unlink",
                       "vercel", "netlify", "ntl", "supabase", "fly", "flyctl",  # `env pull FILE` writes, not reads
                       "chattr", "lsattr", "diff3", "sftp", "find", "wc", "shred", "gh", "curl",
                       "wget", "nc", "ncat", "socat", "http", "https", "xh", "aws", "gsutil", "rclone", "openssl"})
# curl/scp/...: sending a secret is judged by exfil; openssl: only some subcommands print (handled below).
_SECRET_VAR = LazyRe(r"(?i)(secret|token|passw(or)?d|passwd|api_?key|private|credential|auth|dsn|"
                         r"database_url|_key$|^key$|access_key|session|cookie|signing|webhook)")
_VAR_REF = LazyRe(r"\$\{?#?([A-Za-z_][A-Za-z0-9_]*)")
_DUMP_LINE = LazyRe(r"(?:^|[;&|(]\s*|\bsudo\s+)(export\s+-p|export\s*(?=$|[;&|)])|declare\s+-[a-zA-Z]*[xp][a-zA-Z]*"
                        r"\s*(?=$|[;&|)])|typeset\s+-x\s*(?=$|[;&|)]))")
_CODE_SECRET = LazyRe(r"(?i)(?<![\w.])\.env(?![\w.]|\.(example|sample|template))|\.env\.(local|production|prod|"
                          r"development|staging)\b|id_(rsa|ed25519|ecdsa)\b(?!\.pub)|\.ssh/|\.aws/credentials|"
                          r"/proc/\w+/environ|\.netrc|\.npmrc|\.config/handrail|\.config/gh/hosts")
_CODE_DUMP = LazyRe(r"print\(\s*(dict\()?os\.environ\s*\)?\s*\)|os\.environ\.items\(\)|json\.dumps\(\s*(dict\()?"
                        r"os\.environ|console\.log\(\s*process\.env\s*\)|JSON\.stringify\(\s*process\.env\s*[,)]|"
                        r"Deno\.env\.toObject\(\)|\bENV\.to_h\b|p\s+ENV\b|print\s+%ENV|\bpp\s+ENV\b|"
                        r"print_r\(\s*\$_ENV|var_dump\(\s*\$_(ENV|SERVER)|getenv\(\)")


def secret_kind(path: str, ctx: Ctx) -> str | None:
    """Why a resolved path is secret ("an .env file", "an SSH private key"), or None."""
    base = path.rsplit("/", 1)[-1]
    if base.endswith(".pub") or (base in ("known_hosts", "authorized_keys") and "/.ssh/" not in path + "/"):
        return None
    if base.startswith(".env") or base.endswith(".env"):
        if _ENV_OK.search(base) or base in (".envrc.example",) or base.endswith(_CODE_EXT):
            return None
        if base == ".envrc" or (base.startswith(".env") and (len(base) == 4 or base[4] in ".-_")) or base.endswith(
                ".env"):
            return "an environment file with live values"
    if path.startswith("/proc/") and path.endswith("/environ"):
        return "a process environment"
    if path in ("/etc/shadow", "/etc/gshadow", "/etc/sudoers") or path.startswith("/etc/ssl/private/"):
        return "a system credential file"
    home = ctx.home + "/"
    if path.startswith(home):
        rel = path[len(home):]
        if rel in _HOME_SECRETS:
            return f"~/{rel}"
        for d in _HOME_DIRS:
            if rel.startswith(d) or rel + "/" == d:
                if d == ".ssh/" and base in ("known_hosts", "config", "authorized_keys"):
                    return None
                return f"~/{d.rstrip('/')} (keys)"
    if path != ctx.home and any((home + s).startswith(path + "/") for s in (*_HOME_SECRETS, *_HOME_DIRS)):
        return "a directory holding credentials"
    if ("." in base and base.rsplit(".", 1)[1].lower() in _KEY_EXTS) or (
            any(k in base for k in _KEY_HINTS) and _KEY_NAMES.match(base)):
        return "a private key or credential file"
    if fnmatch.fnmatchcase(path, "*/config/credentials/*.key") or fnmatch.fnmatchcase(path, "*/.ssh/*"):
        return "a private key"
    return None


def _read_args(cmd: Cmd) -> list[str]:
    """Words a command reads as input files (everything but options; cp: all but the destination)."""
    name = cmd.name
    if name in _NOT_READ:
        if name == "openssl":
            return [a for a in cmd.argv if not a.startswith("-")] if {"-text", "-noout", "-in"} & set(cmd.argv) \
                else []
        if name == "git" and len(cmd.argv) > 1 and cmd.argv[1] in ("show", "cat-file", "diff", "log", "blame"):
            return [a.split(":", 1)[-1] for a in cmd.argv[2:] if not a.startswith("-")]
        return []
    words = [a for a in cmd.argv[1:] if not a.startswith("-") or a == "-"]
    for a in cmd.argv[1:]:
        if a.startswith("--") and "=" in a:
            words.append(a.split("=", 1)[1])
        elif a.startswith("@"):
            words.append(a[1:])
    if name in ("cp", "install") and len(words) > 1:
        words = words[:-1]
    return words


def check_cmd(cmd: Cmd, ctx: Ctx) -> HitIter:
    text = short(cmd.text)
    for w in _read_args(cmd):
        p = ctx.resolve(w, cmd.cwd)
        kind = secret_kind(p, ctx) if p else None
        if kind is None and w.startswith("/proc/") and w.endswith("/environ"):
            kind = "a process environment"
        if kind:
            yield ("block", "secret-read", f"`{text}` reads {kind} ({w}); its values would land in the agent's "
                                           "transcript - use .env.example for names, let the app load the file")
            break
    for op, target in cmd.redirects:
        if op in ("<", "<>", "0<"):
            p = ctx.resolve(target, cmd.cwd)
            kind = secret_kind(p, ctx) if p else None
            if kind:
                yield ("block", "secret-read", f"`{text}` reads {kind} ({target}) on stdin; keep secrets out of "
                                               "the agent's context")
    name = cmd.name
    argv = cmd.argv
    bare = len(argv) == 1 or all(a.startswith("-") for a in argv[1:])
    if name in ("printenv", "env") and not cmd.wrappers and bare:
        yield ("block", "env-dump", f"`{text}` prints every environment variable, tokens included; print only the "
                                    "one you need (`printenv NODE_ENV`)")
    elif name == "printenv":
        bad = [a for a in argv[1:] if _SECRET_VAR.search(a)]
        if bad:
            yield ("block", "env-dump", f"`{text}` prints the secret variable {bad[0]}; check it is set with "
                                        f'`test -n "${bad[0]}"` instead')
    elif (name in ("set", "export", "declare", "typeset", "compgen") and len(argv) == 1) or (
            name == "export" and argv[1:] == ["-p"]):
        yield ("block", "env-dump", f"`{text}` prints every shell variable, tokens included; print only what you "
                                    "need")
    elif name == "ps" and any("e" in a for a in argv[1:] if not a.startswith("--")) and any(
            "ww" in a or a.startswith("e") or "axe" in a or "auxe" in a for a in argv[1:]):
        yield ("ask", "env-dump", f"`{text}` may print other processes' environments; use plain `ps aux`")
    if name in ("echo", "printf", "print") or (name == "cat" and not argv[1:]):
        for a in argv[1:]:
            m = _VAR_REF.search(a)
            if m and _SECRET_VAR.search(m.group(1)) and "#" not in a[m.start():m.start() + 3]:
                yield ("block", "env-dump", f"`{text}` prints the secret variable ${m.group(1)}; test that it is set "
                                            f'(`test -n "${m.group(1)}"`) instead of printing it')
                break
    code = inline_code(cmd)
    if code:
        m = _CODE_SECRET.search(code)
        if m:
            yield ("block", "secret-read", f"`{text}` reads {m.group(0)} from code; its values would reach the "
                                           "agent's transcript - use .env.example for names")
        if _CODE_DUMP.search(code):
            yield ("block", "env-dump", f"`{text}` prints the whole environment from code; print only the variable "
                                        "you need")


def check_line(command: str, ctx: Ctx) -> HitIter:
    """`export -p` / `declare -x` print the environment but are declarations, not commands, in the syntax tree."""
    m = _DUMP_LINE.search(command) if ("export" in command or "declare" in command or "typeset" in command) else None
    if m:
        yield ("block", "env-dump", f"`{short(m.group(1).strip())}` prints every exported variable, tokens included; "
                                    "print only the one you need")


def check_file(ctx: Ctx) -> HitIter:
    path = ctx.cache.get("path")
    if ctx.action.tool != "read" or not isinstance(path, str):
        return
    kind = secret_kind(path, ctx)
    if kind:
        yield ("block", "secret-read", f"{ctx.action.tool_name} {ctx.rel(path)} would put {kind} into the "
                                       "transcript; read .env.example (names only) or ask the user for the value's "
                                       "shape")
