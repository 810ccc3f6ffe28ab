"""Rewriting shared git history and throwing away uncommitted work.

A plain push adds history and is allowed; a force push, a deleted protected branch or a filter-repo
rewrites what everyone else has pulled, and reset --hard / clean -f / checkout -- . delete work that was
never committed, so git itself cannot bring it back.
"""

from __future__ import annotations

import fnmatch
import os

from handrail.policy.model import Cmd
from handrail.policy.rules.base import Ctx, HitIter, Rule, flags, short

RULES = (
    Rule("git-force-push", "ask", "Does the push rewrite history others have pulled?",
         "A force push (-f, --force, --force-with-lease, +refspec, --mirror) replaces the remote branch; on a "
         "protected branch it silently drops teammates' commits.",
         "Push a new branch and open a pull request; force-push only your own feature branch, with approval.",
         "git push -u origin feature/login", "git push --force origin main ; git push origin +main"),
    Rule("git-push-delete", "ask", "Does the push delete a remote branch?",
         "Deleting a shared or protected branch on the remote loses its history for everyone.",
         "Leave remote branches to humans; delete only your own merged feature branches.",
         "git push origin feature/x", "git push origin --delete main ; git push origin :main"),
    Rule("git-discard", "ask", "Does the command throw away uncommitted work?",
         "reset --hard, checkout -- ., restore ., clean -f and switch --discard-changes delete changes git never "
         "saved; nothing can bring them back.",
         "Save the work first (git stash push -u, or commit to a branch), then reset.",
         "git stash push -u -m wip && git switch main", "git reset --hard origin/main ; git clean -fdx"),
    Rule("git-branch-delete", "ask", "Does the command delete unmerged commits?",
         "branch -D and stash drop/clear delete commits that exist nowhere else.",
         "Use git branch -d (refuses unmerged work) or push the branch first.",
         "git branch -d merged-feature", "git branch -D experiment ; git stash clear"),
    Rule("git-history-rewrite", "ask", "Does the command rewrite or expire the repository's history?",
         "filter-branch, filter-repo, reflog expire and update-ref -d rewrite or drop commits for good and force "
         "every clone to re-sync.",
         "Have a human run history rewrites (e.g. to purge a secret) after rotating the secret.",
         "git log --oneline", "git filter-repo --path secrets.txt --invert-paths"),
)

_GLOBAL_VALUE_OPTS = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path",
                                "--config-env", "--super-prefix"})


def git_sub(cmd: Cmd) -> tuple[str, list[str]]:
    """(subcommand, its arguments) for a git command, skipping global options (-c k=v, --git-dir=...)."""
    argv = cmd.argv
    i = 1
    while i < len(argv):
        a = argv[i]
        if a in _GLOBAL_VALUE_OPTS:
            i += 2
            continue
        if a.startswith("-"):
            i += 1
            continue
        return a, argv[i + 1:]
    return "", []


def current_branch(ctx: Ctx, cwd: str | None) -> str | None:
    """The checked-out branch from .git/HEAD (a file read, no subprocess); None when unknown or detached."""
    key = "git-branch:" + (cwd or ctx.root)
    if key in ctx.cache:
        return ctx.cache[key]  # type: ignore[return-value]
    branch = None
    d = cwd or ctx.root
    for _ in range(40):
        git = os.path.join(d, ".git")
        try:
            if os.path.isdir(git):
                head = open(os.path.join(git, "HEAD"), encoding="utf-8").read().strip()  # noqa: SIM115
            elif os.path.isfile(git):
                gitdir = open(git, encoding="utf-8").read().strip().removeprefix("gitdir:").strip()  # noqa: SIM115
                head = open(os.path.join(d, gitdir, "HEAD"), encoding="utf-8").read().strip()  # noqa: SIM115
            else:
                parent = os.path.dirname(d)
                if parent == d:
                    break
                d = parent
                continue
            if head.startswith("ref: refs/heads/"):
                branch = head[len("ref: refs/heads/"):]
        except OSError:
            pass
        break
    ctx.cache[key] = branch
    return branch


def _protected(branch: str, ctx: Ctx) -> bool:
    return any(fnmatch.fnmatchcase(branch, p) for p in ctx.settings.protected_branches)


def check_cmd(cmd: Cmd, ctx: Ctx) -> HitIter:
    if cmd.name != "git":
        return
    sub, args = git_sub(cmd)
    fl, words = flags([sub, *args])
    text = short(cmd.text)
    if sub == "push":
        yield from _push(cmd, ctx, fl, words, text)
    elif sub == "reset" and "--hard" in fl:
        yield ("ask", "git-discard", f"`{text}` discards uncommitted changes for good; `git stash push -u` first, "
                                     "then reset, or approve")
    elif sub == "clean" and ("f" in fl or "--force" in fl) and not ({"n", "--dry-run"} & fl):
        yield ("ask", "git-discard", f"`{text}` deletes untracked files git never saved; run `git clean -n` to see "
                                     "them, move what matters, then approve")
    elif sub == "checkout" and ("--" in args or "." in words or "f" in fl or "--force" in fl):
        if "b" in fl or "B" in fl:
            return
        yield ("ask", "git-discard", f"`{text}` overwrites uncommitted changes; `git stash push` first or approve")
    elif (sub == "restore" and words and not ({"S", "--staged"} & fl and not ({"W", "--worktree"} & fl))) or (
            sub == "switch" and ({"f", "--force", "--discard-changes"} & fl)):
        yield ("ask", "git-discard", f"`{text}` throws away uncommitted edits; `git stash push` first or approve")
    elif sub == "branch" and ("D" in fl or ({"d", "--delete"} & fl and {"f", "--force"} & fl)):
        yield ("ask", "git-branch-delete", f"`{text}` deletes a branch even if unmerged; use `git branch -d` or push "
                                           "it first")
    elif sub == "stash" and words[:1] in (["clear"], ["drop"]):
        yield ("ask", "git-branch-delete", f"`{text}` deletes stashed work for good; `git stash list` and apply what "
                                           "matters first")
    elif sub in ("filter-branch", "filter-repo") or (sub == "reflog" and words[:1] == ["expire"]) or (
            sub == "update-ref" and "d" in fl) or (sub == "replace") or (
            sub == "gc" and any(a.startswith("--prune=now") for a in args)):
        yield ("ask", "git-history-rewrite", f"`{text}` rewrites or drops history for every clone; leave it to a "
                                             "human")


def _push(cmd: Cmd, ctx: Ctx, fl: set[str], words: list[str], text: str) -> HitIter:
    force = bool({"f", "--force", "--mirror", "--force-if-includes"} & fl) or any(
        f.startswith("--force-with-lease") for f in fl)
    delete = bool({"d", "--delete"} & fl)
    refspecs = words[1:] if words else []
    targets: list[tuple[str, bool, bool]] = []  # (branch, forced, deleted)
    for r in refspecs:
        plus = r.startswith("+")
        r = r.lstrip("+")
        src, colon, dst = r.partition(":")
        branch = (dst if colon else src).removeprefix("refs/heads/")
        if src.startswith("HEAD") and not colon:
            branch = current_branch(ctx, cmd.cwd) or "HEAD"
        targets.append((branch, force or plus, delete or (colon and not src)))
    if not refspecs and (force or delete):
        branch = current_branch(ctx, cmd.cwd)
        targets.append((branch or "?", force, False))
    if "--mirror" in fl or ("--all" in fl and force):
        yield ("block", "git-force-push", f"`{text}` force-overwrites every branch on the remote, protected ones "
                                          "included; push one feature branch instead")
        return
    for branch, forced, deleted in targets:
        prot = branch != "?" and _protected(branch, ctx)
        if deleted:
            yield ("block" if prot else "ask", "git-push-delete",
                   f"`{text}` deletes the remote branch {branch}" + (" (protected)" if prot else "") +
                   "; leave shared branches to humans")
        elif forced:
            if prot:
                yield ("block", "git-force-push",
                       f"`{text}` force-pushes the protected branch {branch}, dropping others' commits; push a new "
                       "branch and open a pull request instead")
            else:
                where = "an unknown branch" if branch == "?" else f"branch {branch}"
                yield ("ask", "git-force-push",
                       f"`{text}` rewrites {where} on the remote; approve only if nobody else uses it "
                       "(prefer --force-with-lease)")


def check_file(ctx: Ctx) -> HitIter:
    return iter(())
