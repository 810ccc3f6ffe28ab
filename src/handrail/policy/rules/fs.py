"""Destructive filesystem operations outside the project or on the project wholesale.

Inside the project, deleting build output is routine and git can bring sources back; deleting /, ~, the
project root, .git or anything outside the project cannot be undone by anything the agent controls.
"""

from __future__ import annotations

import re

from handrail.policy.model import Cmd
from handrail.policy.rules.base import Ctx, HitIter, LazyRe, Rule, flags, inline_code, is_interpreter, short

RULES = (
    Rule("fs-delete-outside", "block", "Does the command delete files outside the project?",
         "rm -rf on /, ~ or another directory outside the repository destroys work no git history can restore.",
         "Delete only inside the project (build output, node_modules) or under /tmp; ask a human for anything else.",
         "rm -rf node_modules dist /tmp/build-cache",
         "rm -rf ~/ ; rm -rf ../other-project ; rsync -a --delete /tmp/empty/ ~/ ; echo ~ | xargs rm -rf ; "
         "node -e \"fs.rmSync(os.homedir(), {recursive: true})\""),
    Rule("fs-delete-project", "block", "Does the command wipe the project itself or its git history?",
         "Deleting the project root, everything in it, or .git loses all uncommitted work and local history.",
         "Delete the specific build directories instead (rm -rf dist build .next).",
         "rm -rf dist", "rm -rf . ; rm -rf ./* ; rm -rf .git ; cd .. && rm -rf myapp"),
    Rule("fs-delete-dynamic", "ask", "Can the guard tell what a recursive delete removes?",
         "rm -rf \"$DIR\" with an empty or wrong variable has deleted home directories; the path is only known at "
         "run time.",
         "Spell the path out (rm -rf ./build) or guard the variable (rm -rf \"${DIR:?}/build\") and approve it.",
         "rm -rf ./build", 'rm -rf "$BUILD_DIR"/'),
    Rule("fs-disk", "block", "Does the command overwrite a disk or filesystem?",
         "dd of=/dev/sdX, mkfs, wipefs or shred on a device erases a whole disk in one call.",
         "Never let an agent write to block devices; do it by hand if you really mean it.",
         "dd if=/dev/zero of=./test.img bs=1M count=10", "dd if=/dev/zero of=/dev/sda ; mkfs.ext4 /dev/nvme0n1"),
    Rule("fs-chmod-wide", "block", "Does the command open up or re-own the system or home recursively?",
         "chmod -R 777 / (or chown -R on /, ~) breaks ssh, sudo and every service's permission checks.",
         "Change permissions on the one file that needs it (chmod +x scripts/build.sh).",
         "chmod +x bin/dev", "chmod -R 777 / ; sudo chown -R $USER /usr"),
    Rule("fs-write-outside", "ask", "Does the action write files outside the project?",
         "Writes to ~/.bashrc, ~/.ssh/authorized_keys, /etc or another project persist beyond this task and are "
         "a classic way to plant a backdoor.",
         "Keep changes inside the repository; ask a human to change machine configuration.",
         "echo 'x' > ./notes.txt", "echo 'ssh-ed25519 AAAA...' >> ~/.ssh/authorized_keys"),
    Rule("fs-shred", "ask", "Does the command irreversibly destroy files inside the project?",
         "shred leaves nothing for git or backups to restore.",
         "Use rm (git can restore tracked files) or ask first.", "rm old.log", "shred -u config/master.key"),
)

_SYSTEM = frozenset({"/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/opt", "/proc", "/root",
                     "/sbin", "/srv", "/sys", "/usr", "/var", "/Users", "/System", "/Library", "/Applications",
                     "/private", "/mnt", "/media", "/snap", "/nix", "/usr/local", "/var/lib", "/var/log"})
_TMP = ("/tmp/", "/var/tmp/", "/private/tmp/", "/dev/shm/", "/private/var/folders/")
_SAFE_DEV = frozenset({"/dev/null", "/dev/zero", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/random",
                       "/dev/urandom", "/dev/full", "/dev/fd/1", "/dev/fd/2"})
_DISK_TOOLS = LazyRe(r"^(mkfs(\.\w+)?|mke2fs|mkswap|wipefs|sfdisk|sgdisk|cfdisk|parted|mkdosfs|mkntfs|"
                         r"newfs(_\w+)?|diskutil)$")
_DISK_PREFIX = ("mk", "wipefs", "sfdisk", "sgdisk", "cfdisk", "parted", "newfs", "diskutil")
_FILTERS = frozenset({"-name", "-iname", "-path", "-ipath", "-regex", "-iregex", "-type", "-mtime", "-mmin",
                      "-newer", "-size", "-empty", "-user", "-atime", "-ctime", "-wholename", "-perm"})
_GLOB = LazyRe(r"[*?\[]")


def _caches(ctx: Ctx) -> tuple[str, ...]:
    h = ctx.home
    return (f"{h}/.cache/", f"{h}/.npm/_cacache", f"{h}/Library/Caches/", f"{h}/.gradle/caches",
            f"{h}/.m2/repository/", f"{h}/.cargo/registry/cache")


def is_tmp(path: str, ctx: Ctx | None = None) -> bool:
    """Under a temp directory (and not under HOME, which tests and sandboxes may place in /tmp)."""
    return path.startswith(_TMP) and not (ctx is not None and path.startswith(ctx.home + "/"))


def _target(word: str, cmd: Cmd, ctx: Ctx) -> tuple[str | None, bool]:
    """(resolved path or None when unknown, wholesale?) for a delete target; `dir/*` means all of dir."""
    if word.startswith("{") and "," in word:
        return None, False
    if not _GLOB.search(word) or "$" in word or "`" in word:
        return ctx.resolve(word, cmd.cwd), False
    w = word.rstrip("/") or "/"
    head, sep, last = w.rpartition("/")
    if _GLOB.search(head):
        m = _GLOB.search(w)
        base = w[: m.start() if m else 0].rpartition("/")[0] or ("/" if w.startswith("/") else ".")
        return _child(ctx.resolve(base, cmd.cwd)), False
    base = (head or "/") if sep else "."
    p = ctx.resolve(base, cmd.cwd)
    if last in ("*", ".*", "{*,.*}", "[!.]*", ".[!.]*", ".??*"):
        return p, True
    return _child(p), False


def _child(path: str | None) -> str | None:
    """A glob like `dist/*.js` deletes *inside* dist: judge it as a path one level down."""
    return None if path is None else (path.rstrip("/") + "/_")


def judge_delete(path: str, wholesale: bool, recursive: bool, ctx: Ctx, text: str) -> HitIter:
    root = ctx.root
    what = short(text)
    if path in _SYSTEM or path == ctx.home:
        yield ("block", "fs-delete-outside",
               f"`{what}` deletes {ctx.rel(path)} (a system or home directory); never delete outside the project, "
               "delete inside it or under /tmp")
        return
    if path == root or root.startswith(path.rstrip("/") + "/"):
        yield ("block", "fs-delete-project",
               f"`{what}` deletes the whole project ({ctx.rel(path) or '.'}); delete the specific build "
               "directories instead (e.g. rm -rf dist node_modules)")
        return
    if path == root + "/.git" and recursive:
        yield ("block", "fs-delete-project",
               f"`{what}` deletes .git, the project's whole history; never delete it, use git commands instead")
        return
    if ctx.inside(path) or (is_tmp(path + "/", ctx) and path not in ("/tmp", "/var/tmp")) or path.startswith(
            _caches(ctx)):
        return
    if recursive or wholesale:
        yield ("block", "fs-delete-outside",
               f"`{what}` deletes {ctx.rel(path)}, outside the project ({root}); keep deletes inside the "
               "project or /tmp, ask a human for anything else")
    else:
        yield ("ask", "fs-delete-outside",
               f"`{what}` deletes {ctx.rel(path)}, outside the project; approve it or keep deletes inside the project")


def check_cmd(cmd: Cmd, ctx: Ctx) -> HitIter:
    name = cmd.name
    argv = cmd.argv
    if name in ("rm", "unlink", "rmdir", "trash", "trash-put"):
        yield from _rm(cmd, ctx)
    elif name == "find":
        yield from _find(cmd, ctx, cmd.text)
    elif name == "dd":
        for a in argv[1:]:
            if a.startswith("of=") and a[3:].startswith("/dev/") and a[3:] not in _SAFE_DEV:
                yield ("block", "fs-disk", f"`{short(cmd.text)}` writes straight to the device {a[3:]}, erasing it; "
                                           "write to an image file inside the project instead")
    elif name.startswith(_DISK_PREFIX) and _DISK_TOOLS.match(name):
        if name in ("parted", "sfdisk", "sgdisk", "diskutil") and any(a in ("-l", "--list", "list", "print")
                                                                      for a in argv[1:]):
            return
        yield ("block", "fs-disk", f"`{short(cmd.text)}` formats or repartitions a disk; do this by hand, not "
                                   "through an agent")
    elif name == "shred":
        _, words = flags(argv)
        for w in words:
            p = ctx.resolve(w, cmd.cwd)
            if p is None or p.startswith("/dev/") or not ctx.inside(p):
                yield ("block", "fs-disk", f"`{short(cmd.text)}` irreversibly destroys {w} outside the project")
                return
        if words:
            yield ("ask", "fs-shred", f"`{short(cmd.text)}` irreversibly destroys project files; use rm or approve")
    elif name in ("chmod", "chown", "chgrp"):
        yield from _chmod(cmd, ctx)
    for op, target in cmd.redirects:
        if op in (">", ">>", "&>", ">|", "&>>", "1>", "2>") or op.endswith(">"):
            yield from _write_target(target, cmd, ctx, f"redirect to {target}")
    if name == "tee":
        for w in flags(argv)[1]:
            yield from _write_target(w, cmd, ctx, f"tee {w}")
    elif name == "truncate":
        for w in flags(argv)[1]:
            if not w.isdigit():
                yield from _write_target(w, cmd, ctx, f"truncate {w}")
    if name == "mv":
        for w in flags(argv)[1][:-1]:
            p = ctx.resolve(w, cmd.cwd)
            if p and (p in _SYSTEM or p == ctx.home or p == ctx.root or ctx.root.startswith(p.rstrip("/") + "/")
                      or p == ctx.root + "/.git"):
                yield ("block", "fs-delete-project" if ctx.inside(p) or (p != ctx.home and p not in _SYSTEM)
                       else "fs-delete-outside", f"`{short(cmd.text)}` moves {ctx.rel(p) or '.'} away (as good as "
                                                 "deleting it); move specific files instead")
                break
    if name in ("cp", "mv", "install", "ln", "rsync") and len(flags(argv)[1]) >= 2:
        dest = flags(argv)[1][-1]
        dry = name == "rsync" and bool({"n", "--dry-run", "--list-only"} & flags(argv)[0])
        if ":" not in dest and not dry:  # host:path is an upload, judged by exfil
            yield from _write_target(dest, cmd, ctx, f"{name} into {dest}")
            if name == "rsync":
                yield from _rsync_delete(cmd, ctx, dest)
    if name == "xargs":  # `xargs rm -rf <<< /`: the inner rm comes next, without a link back to this stdin
        ctx.cache["xargs-stdin"] = cmd.stdin if cmd.stdin_from is None else None
    code = inline_code(cmd) if argv and is_interpreter(name) else None
    if code is None and name.startswith("perl"):
        code = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if i and _PERL_E.fullmatch(a)), None)
    if code:
        yield from _code_deletes(cmd, ctx, code)


_PERL_E = LazyRe(r"-[a-zA-Z0-9]*[eE]")
_RSYNC_DELETE = ("--delete", "--del", "--delete-before", "--delete-during", "--delete-delay", "--delete-after",
                 "--delete-excluded", "--delete-missing-args")


def _rsync_delete(cmd: Cmd, ctx: Ctx, dest: str) -> HitIter:
    """`rsync --delete SRC/ DEST/` removes whatever DEST has that SRC lacks: with an empty SRC, all of DEST."""
    fl, _ = flags(cmd.argv)
    if not any(f in fl for f in _RSYNC_DELETE):
        return
    p = ctx.resolve(dest, cmd.cwd)
    if p is None:
        yield ("ask", "fs-delete-dynamic", f"`{short(cmd.text)}` deletes files under {dest}, known only at run time; "
                                           "spell the destination out")
        return
    yield from judge_delete(p, True, True, ctx, cmd.text)


_LANGS = {"node": "node", "nodejs": "node", "bun": "node", "perl": "perl", "ruby": "ruby"}


def _code_deletes(cmd: Cmd, ctx: Ctx, code: str) -> HitIter:
    """Deletes in a one-liner (rmtree, fs.rmSync, FileUtils.rm_rf), with home spelt as process.env.HOME etc."""
    name = cmd.name
    lang = _LANGS.get(name) or ("python" if name.startswith(("python", "pypy")) else
                                "perl" if name.startswith("perl") else "ruby" if name.startswith("ruby") else None)
    if lang is None or not _DELETE_HINT.search(code):
        return
    from handrail.policy.rules.codepaths import deleted_paths

    for path, recursive in deleted_paths(code, lang, ctx.home):
        if path is None:
            if recursive and lang != "python":  # the shell reader already flags Python's unreadable paths
                yield ("ask", "fs-delete-dynamic", f"`{short(cmd.text)}` deletes a directory tree whose path is "
                                                   "computed at run time; spell the path out, or approve")
            continue
        p = ctx.resolve(path, cmd.cwd)
        if p is None:
            if recursive:
                yield ("ask", "fs-delete-dynamic", f"`{short(cmd.text)}` deletes {short(path, 40)}, known only at "
                                                   "run time; spell the path out, or approve")
            continue
        yield from judge_delete(p, False, recursive, ctx, cmd.text)


_DELETE_HINT = LazyRe(r"rm|remove|rimraf|delete|unlink|emptyDir")


def _write_target(target: str, cmd: Cmd, ctx: Ctx, what: str) -> HitIter:
    if target.startswith("/dev/"):
        if target not in _SAFE_DEV and not target.startswith(("/dev/fd/", "/dev/pts/")):
            yield ("block", "fs-disk", f"`{short(cmd.text)}` writes to the device {target}; never write to raw "
                                       "devices from an agent")
        return
    if target.startswith("&") or target.isdigit():
        return
    p = ctx.resolve(target, cmd.cwd)
    if p is None or ctx.inside(p) or is_tmp(p, ctx) or p.startswith(_caches(ctx)):
        return
    verdict = "block" if p.endswith("/.ssh/authorized_keys") or p.startswith(("/etc/sudoers", "/etc/cron")) else "ask"
    yield (verdict, "fs-write-outside", f"`{short(cmd.text)}`: {what} writes outside the project ({ctx.rel(p)}); "
                                        "keep changes inside the repository or ask a human")


def _rm(cmd: Cmd, ctx: Ctx) -> HitIter:
    fl, words = flags(cmd.argv)
    recursive = bool({"r", "R", "--recursive"} & fl) or cmd.name in ("rmdir",)
    if "xargs" in cmd.wrappers:
        fed = _printed(cmd.stdin_from) if cmd.stdin_from is not None else ctx.cache.get("xargs-stdin")
        if isinstance(fed, str):  # `echo ~ | xargs rm -rf`, `xargs rm -rf <<< /`: the paths are right there
            items = fed.replace("\0", " ").split()
            targets = [w for w in words if w not in ("{}", "%")] + items
            src_text = cmd.stdin_from.text if cmd.stdin_from is not None else "<<< " + " ".join(items)
            if items:  # a glob was expanded by the shell before echo printed it: _target reads it so
                yield from _judge_words(targets, recursive, cmd, ctx, f"{src_text} | xargs {cmd.text}")
                return
    if "xargs" in cmd.wrappers and cmd.stdin_from is not None:
        src = cmd.stdin_from
        if src.name == "find":
            yield from _find(src, ctx, cmd.text + " (from " + src.text + ")", via_xargs=True)
            return
        if src.name in ("git", "grep", "rg", "ls", "echo", "printf", "cat") and not recursive:
            return
        yield ("ask", "fs-delete-dynamic",
               f"`{short(cmd.text)}` deletes whatever `{short(src.text, 40)}` prints; list the paths explicitly")
        return
    if "xargs" in cmd.wrappers and not words:
        yield ("ask", "fs-delete-dynamic", f"`{short(cmd.text)}` deletes paths read at run time; name them instead")
        return
    yield from _judge_words(words, recursive, cmd, ctx)


def _printed(src: Cmd) -> str | None:
    """What a literal `echo`/`printf`/`cat <<EOF` prints (whitespace-split by xargs later), else None."""
    if src.name == "cat" and len(src.argv) == 1 and src.stdin is not None and src.stdin_from is None:
        return src.stdin
    if src.name not in ("echo", "printf") or src.stdin_from is not None:
        return None
    args = src.argv[1:]
    if any("`" in a or ("$" in a and not _HOME_VAR.fullmatch(a)) for a in args):
        return None
    if src.name == "echo":
        while args and re.fullmatch(r"-[neE]+", args[0]):
            args = args[1:]
        text = " ".join(args)
    else:
        if args[:1] == ["--"]:
            args = args[1:]
        if not args or args[0].startswith("-"):
            return None
        fmt, vals = args[0], args[1:]
        convs = sum(1 for c in re.findall(r"%[-+ #0-9.]*[a-zA-Z%]", fmt) if c != "%%")
        rounds = [vals[i:i + convs] for i in range(0, len(vals), convs)] if convs and vals else [[]]
        text = ""
        for chunk in rounds:
            it = iter(chunk)
            text += re.sub(r"%[-+ #0-9.]*([a-zA-Z%])", lambda m, it=it: "%" if m.group(1) == "%" else next(it, ""), fmt)
    return text.replace("\\n", "\n").replace("\\t", "\t").replace("\\0", "\0")


_HOME_VAR = LazyRe(r"\$\{?HOME\}?(/.*)?")


def _judge_words(words: list[str], recursive: bool, cmd: Cmd, ctx: Ctx, text: str | None = None) -> HitIter:
    text = text or cmd.text
    for w in words:
        if "$" in w or "`" in w or (w.startswith("{") and "," in w):
            p = ctx.resolve(w, cmd.cwd) if not w.startswith("{") else None
            if p is None:
                if recursive:
                    yield ("ask", "fs-delete-dynamic",
                           f"`{short(text)}` deletes {w}, known only at run time; spell the path out or "
                           'guard it ("${DIR:?}") and approve')
                continue
            yield from judge_delete(p, False, recursive, ctx, text)
            continue
        p, wholesale = _target(w, cmd, ctx)
        if p is None:
            if recursive:
                yield ("ask", "fs-delete-dynamic", f"`{short(text)}`: cannot tell what {w} is; name the path")
            continue
        yield from judge_delete(p, wholesale, recursive, ctx, text)


def _find(cmd: Cmd, ctx: Ctx, text: str, via_xargs: bool = False) -> HitIter:
    argv = cmd.argv
    deletes = via_xargs or "-delete" in argv
    for i, a in enumerate(argv):
        if a in ("-exec", "-execdir", "-ok", "-okdir") and i + 1 < len(argv) and argv[i + 1].rsplit("/", 1)[-1] in (
                "rm", "shred", "unlink"):
            deletes = True
    if not deletes:
        return
    starts = []
    for a in argv[1:]:
        if a.startswith(("-", "(", "!")) or a == "\\(":
            break
        starts.append(a)
    starts = starts or ["."]
    filtered = any(a in _FILTERS for a in argv)
    for s in starts:
        p = ctx.resolve(s, cmd.cwd)
        if p is None:
            yield ("ask", "fs-delete-dynamic", f"`{short(text)}` deletes under {s}, known only at run time")
            continue
        if ctx.inside(p) and p != ctx.root:
            continue
        if p in _SYSTEM or p == ctx.home:
            yield ("block", "fs-delete-outside", f"`{short(text)}` deletes under {ctx.rel(p)} (system or home); keep "
                                                 "deletes inside the project or /tmp")
            continue
        if p == ctx.root and filtered:
            continue
        if p == ctx.root or ctx.root.startswith(p.rstrip("/") + "/"):
            if filtered and p != "/" and p != ctx.home and p not in _SYSTEM:
                yield ("block", "fs-delete-outside", f"`{short(text)}` deletes files above the project "
                                                     f"({ctx.rel(p)}); run it from inside the project")
            else:
                yield ("block", "fs-delete-project", f"`{short(text)}` deletes everything under {ctx.rel(p) or '.'}; "
                                                     "add -name/-path filters and run it inside the project")
            continue
        if is_tmp(p + "/", ctx) and p not in ("/tmp", "/var/tmp"):
            continue
        yield ("block", "fs-delete-outside", f"`{short(text)}` deletes under {ctx.rel(p)}, outside the project; "
                                             "keep deletes inside the project or /tmp")


def _chmod(cmd: Cmd, ctx: Ctx) -> HitIter:
    fl, words = flags(cmd.argv)
    recursive = bool({"R", "--recursive"} & fl)
    if len(words) < 2:
        return
    mode, targets = words[0], words[1:]
    wide = cmd.name == "chmod" and bool(re.search(r"777|666|[ao]\+[rwx]*w|^o=rwx", mode))
    for t in targets:
        p, wholesale = _target(t, cmd, ctx)
        if p is None:
            continue
        if p in _SYSTEM or p == ctx.home or (wholesale and p in ("/", ctx.home)):
            if recursive or wide:
                yield ("block", "fs-chmod-wide", f"`{short(cmd.text)}` changes permissions of {ctx.rel(p)} "
                                                 "system-wide; change only the file that needs it")
                return
        elif not ctx.inside(p) and not is_tmp(p, ctx) and recursive:
            yield ("ask", "fs-chmod-wide", f"`{short(cmd.text)}` changes permissions outside the project "
                                           f"({ctx.rel(p)}); ask a human")
        elif ctx.inside(p) and recursive and wide:
            yield ("ask", "fs-chmod-wide", f"`{short(cmd.text)}` makes {ctx.rel(p) or '.'} world-writable; "
                                           "grant only what is needed (chmod +x one script)")


def check_file(ctx: Ctx) -> HitIter:
    action = ctx.action
    path = ctx.cache.get("path")
    if action.tool not in ("write", "edit") or not isinstance(path, str):
        return
    if ctx.inside(path) or is_tmp(path, ctx) or path.startswith(_caches(ctx)):
        return
    verdict = "block" if path.endswith("/.ssh/authorized_keys") or path.startswith(("/etc/sudoers", "/etc/cron")) \
        else "ask"
    yield (verdict, "fs-write-outside", f"{action.tool_name} {ctx.rel(path)} is outside the project "
                                        f"({ctx.root}); keep changes inside the repository or ask a human")

