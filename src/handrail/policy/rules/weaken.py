"""Weakening the tests or the guard itself: skips, deleted tests, --no-verify, edits to agent hook settings.

An agent under pressure to make CI green can "fix" a failure by skipping the test or switching off the
check that would have caught it; removing Handrail's own hook turns every other rule off.
"""

from __future__ import annotations

import os
import re

from handrail.policy.model import Cmd
from handrail.policy.rules.base import Ctx, HitIter, LazyRe, Rule, flags, short

RULES = (
    Rule("weaken-test-skip", "ask", "Does the edit skip or narrow tests?",
         "Adding .skip(, xit(, @pytest.mark.skip, markTestSkipped or .only( makes a red suite green without "
         "fixing anything.",
         "Fix the code or the test; if a test must be skipped, say why in the commit and approve it.",
         "it('charges the card', ...)", "it.skip('charges the card', ...) ; @pytest.mark.skip"),
    Rule("weaken-test-delete", "ask", "Does the action delete test files?",
         "Deleting a failing test hides the failure; reviewers rarely notice a missing file.",
         "Fix or rewrite the test; delete tests only with a reason a human approves.",
         "git mv tests/old_test.py tests/test_orders.py", "rm tests/test_payments.py"),
    Rule("weaken-no-verify", "ask", "Does the command skip git hooks?",
         "--no-verify (or HUSKY=0, core.hooksPath=/dev/null) skips the pre-commit and pre-push checks the team "
         "set up.",
         "Make the hook pass; if it is broken, fix the hook in its own commit.",
         "git commit -m 'fix: x' ; git config core.hooksPath .githooks",
         "git commit --no-verify -m wip ; git push --no-verify ; git config --global core.hooksPath /dev/null"),
    Rule("weaken-ci", "ask", "Does the edit let CI pass while a step fails?",
         "continue-on-error: true, allow_failure: true or `|| true` after tests turn a failing job green.",
         "Fix the failing step; mark it optional only with a reason.", "run: npm test",
         "continue-on-error: true ; run: npm test || true"),
    Rule("weaken-guard", "ask", "Does the action change the agent guard's own configuration?",
         "Agent hook settings (.claude/settings.json, .codex/hooks.json, .cursor/hooks.json, .gemini/settings.json) "
         "and handrail.toml [guard] decide what the agent may do; removing Handrail's hook or disableAllHooks "
         "switches every rule off and is blocked.",
         "Ask a human to change the guard; add a [[guard.rules]] allow rule for a command the team trusts.",
         "handrail guard status", "rm .claude/settings.json ; \"disableAllHooks\": true ; handrail guard uninstall"),
)

SKIP = LazyRe(r"\b(?:it|test|describe|context|suite|specify|Deno\.test)\.(?:skip|only|todo)\s*\(|"
                  r"\bx(?:it|test|describe|context|specify)\s*\(|\bf(?:it|describe)\s*\(|@pytest\.mark\.(?:skip|xfail)|"
                  r"\bpytest\.skip\s*\(|@unittest\.skip|\bself\.skipTest\s*\(|markTest(?:Skipped|Incomplete)\s*\(|"
                  r"\bt\.Skip(?:Now|f)?\s*\(|#\[ignore\]|@(?:Disabled|Ignore)\b|\bskip\s*\(\s*['\"]|"
                  r"\$this->skip\w*\(|\bpending\s*\(|\bskip:\s*true")
_CI_WEAK = LazyRe(r"continue-on-error:\s*true|allow_failure:\s*true|(?:test|jest|vitest|pytest|phpunit|rspec|"
                      r"go test|cargo test)[^\n&|;]*\|\|\s*(?:true|exit 0|:)\b|--passWithNoTests|fail_ci_if_error:\s*"
                      r"false|\bsoft_fail:\s*true")
TEST_PATH = LazyRe(r"(^|/)(tests?|__tests__|specs?|testing|e2e|cypress|playwright)/|(^|/)test_[^/]+\.py$|"
                       r"_test\.(py|go|rb|exs?)$|\.(test|spec)\.[cm]?[jt]sx?$|Test\.(php|java|kt|cs)$|_spec\.rb$|"
                       r"(^|/)conftest\.py$|Tests?\.swift$")
_GUARD_FILES = LazyRe(r"(^|/)(\.claude/settings(\.local)?\.json|\.codex/(config\.toml|hooks\.json)|"
                          r"\.cursor/hooks\.json|\.gemini/settings\.json|handrail\.toml|\.handrail/.+|"
                          r"\.config/handrail/.+|\.git/hooks/[^/]+|\.husky/[^/]+|lefthook\.ya?ml|"
                          r"\.pre-commit-config\.yaml)$")
_HOOK_MARK = "handrail hook"
_DISABLE_ALL = LazyRe(r"[\"']?disableAllHooks[\"']?\s*[:=]\s*true")


def _read(path: str, limit: int = 1 << 20) -> str | None:
    try:
        if os.path.getsize(path) > limit:
            return None
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def guard_file(path: str) -> bool:
    return bool(_GUARD_FILES.search(path))


def _old_text(ctx: Ctx, path: str) -> str:
    """What the edit replaces: Edit's old_string(s), or the file on disk for a Write."""
    args = ctx.action.arguments or {}
    if ctx.action.tool == "edit":
        parts = [str(args.get("old_string") or args.get("oldText") or args.get("old_str") or "")]
        for e in args.get("edits") or []:
            if isinstance(e, dict):
                parts.append(str(e.get("old_string") or e.get("oldText") or ""))
        if any(parts):
            return "\n".join(parts)
    return _read(path) or ""


def _new_text(ctx: Ctx) -> str:
    args = ctx.action.arguments or {}
    parts = [ctx.action.content or ""]
    for e in args.get("edits") or []:
        if isinstance(e, dict):
            parts.append(str(e.get("new_string") or e.get("newText") or ""))
    return "\n".join(parts)


def check_file(ctx: Ctx) -> HitIter:
    path = ctx.cache.get("path")
    action = ctx.action
    if action.tool not in ("write", "edit") or not isinstance(path, str):
        return
    rel = ctx.rel(path)
    new = _new_text(ctx)
    old = None
    if guard_file(path):
        old = _old_text(ctx, path)
        if _DISABLE_ALL.search(new) and not _DISABLE_ALL.search(old):
            yield ("block", "weaken-guard", f"{action.tool_name} {rel} sets disableAllHooks, which switches Handrail's "
                                            "guard off; ask a human to change guard settings")
            return
        if _HOOK_MARK in old and _HOOK_MARK not in new and (action.tool == "write" or old.strip()):
            yield ("block", "weaken-guard", f"{action.tool_name} {rel} removes Handrail's own hook; the guard cannot "
                                            "be switched off by the agent it guards")
            return
        if path.endswith("handrail.toml") and "guard" not in new and "guard" not in old:
            pass
        else:
            yield ("ask", "weaken-guard", f"{action.tool_name} {rel} changes the agent guard or git hook "
                                          "configuration; ask a human, or add a [[guard.rules]] entry they approve")
    if not new.strip() and action.tool == "write" and TEST_PATH.search(rel):
        yield ("ask", "weaken-test-delete", f"Write empties the test file {rel}; fix the test instead, or approve")
        return
    found_skip = SKIP.findall(new)
    found_ci = _CI_WEAK.findall(new)
    if found_skip or found_ci:
        old = _old_text(ctx, path) if old is None else old
        if len(SKIP.findall(new)) > len(SKIP.findall(old)) and (TEST_PATH.search(rel) or re.search(
                r"(?i)test|spec", rel)):
            m = SKIP.search(new)
            added = short(m.group(0) if m else "skip", 30)
            yield ("ask", "weaken-test-skip", f"{action.tool_name} {rel} adds `{added}`; fix the code or test "
                                              "instead, or approve with a reason")
        if len(_CI_WEAK.findall(new)) > len(_CI_WEAK.findall(old)):
            m = _CI_WEAK.search(new)
            added = short(m.group(0) if m else "", 40)
            yield ("ask", "weaken-ci", f"{action.tool_name} {rel} adds `{added}`, letting a "
                                       "failing step pass; fix the step instead, or approve")


def check_cmd(cmd: Cmd, ctx: Ctx) -> HitIter:
    name = cmd.name
    argv = cmd.argv
    text = short(cmd.text)
    if name == "git":
        from handrail.policy.rules.git import git_sub

        sub, args = git_sub(cmd)
        fl, words = flags([sub, *args])
        hooks_off = any("core.hookspath=" in a.lower() for a in argv) or any(
            cmd.env.get(k) in ("0",) for k in ("HUSKY",)) or "HUSKY_SKIP_HOOKS" in cmd.env or "SKIP" in cmd.env
        if "--no-verify" in fl or (sub == "commit" and "n" in fl) or (hooks_off and sub in ("commit", "push",
                                                                                           "merge", "rebase")):
            yield ("ask", "weaken-no-verify", f"`{text}` skips the team's git hooks; make the hook pass instead, or "
                                              "approve")
        if sub == "rm":
            yield from _deleted(words, cmd, ctx, text)
        elif sub == "config":
            yield from _hooks_path(args, cmd, ctx, text)
        return
    if name == "handrail" and argv[1:3] == ["guard", "uninstall"]:
        yield ("block", "weaken-guard", f"`{text}` removes the guard the agent runs under; only a human may "
                                        "uninstall it")
        return
    if name in ("rm", "unlink", "trash", "shred"):
        yield from _deleted(flags(argv)[1], cmd, ctx, text)
    if "disableAllHooks" in cmd.text and (_DISABLE_ALL.search(cmd.text) or "true" in cmd.text):
        yield ("block", "weaken-guard", f"`{text}` sets disableAllHooks, switching Handrail's guard off")
        return
    targets = [t for op, t in cmd.redirects if ">" in op]
    if name in ("sed", "perl") and any(a.startswith("-i") or a == "--in-place" or a.startswith("-pi")
                                       for a in argv[1:]):
        targets += flags(argv)[1]
    elif name in ("tee", "truncate", "mv", "cp", "ln", "chmod", "jq", "yq"):
        words = flags(argv)[1]
        targets += words if name in ("tee", "truncate", "mv", "chmod") else words[-1:]
    for t in targets:
        p = ctx.resolve(t, cmd.cwd)
        if p and guard_file(p):
            script = " ".join(argv)
            has_hook = _HOOK_MARK in (_read(p) or "")
            if has_hook and (name in ("mv", "truncate") or ">" in "".join(op for op, tt in cmd.redirects if tt == t)
                             or "handrail" in script.lower() or _DISABLE_ALL.search(script)):
                yield ("block", "weaken-guard", f"`{text}` rewrites {ctx.rel(p)}, which holds Handrail's hook; only a "
                                                "human may change it")
            else:
                yield ("ask", "weaken-guard", f"`{text}` changes {ctx.rel(p)} (agent guard or git hook settings); "
                                              "ask a human")
            return


_CONFIG_VALUE_OPTS = frozenset({"-f", "--file", "--blob", "--type", "--default", "--comment", "--value"})


def _hooks_path(args: list[str], cmd: Cmd, ctx: Ctx, text: str) -> HitIter:
    """`git config [--global] core.hooksPath /dev/null` switches every hook off (for every repository, if global);
    pointing it at a directory inside the project (.githooks, .husky) is how teams install hooks, and is fine."""
    words: list[str] = []
    opts: set[str] = set()
    skip = False
    for a in args:
        if skip:
            skip = False
        elif a in _CONFIG_VALUE_OPTS:
            skip = True
        elif a.startswith("-") and a != "-":
            opts.add(a.split("=", 1)[0])
        else:
            words.append(a)
    if words[:1] in (["set"], ["unset"], ["get"], ["list"], ["edit"]):  # git 2.46+ subcommands
        if words[0] == "unset":
            opts.add("--unset")
        elif words[0] != "set":
            return
        words = words[1:]
    if not words or words[0].lower() != "core.hookspath":
        return
    machine = bool(opts & {"--global", "--system"})
    if opts & {"--unset", "--unset-all", "--remove-section"}:
        if not machine:
            yield ("ask", "weaken-no-verify", f"`{text}` drops the project's hooks directory, so its hooks stop "
                                              "running; leave hook setup to a human, or approve")
        return
    if len(words) < 2 or opts & {"--get", "--get-all", "--get-regexp", "-l", "--list", "--show-origin"}:
        return
    value = words[1]
    p = ctx.resolve(value, cmd.cwd) if value.strip() else None
    off = not value.strip() or (p is not None and not ctx.inside(p) and not p.startswith(ctx.home + "/") and (
        p.startswith(("/dev/", "/tmp/", "/var/tmp/")) or p in ("/dev", "/tmp", "/var/tmp", "/nonexistent")))
    if off:
        yield ("block" if machine else "ask", "weaken-no-verify",
               f"`{text}` points git hooks at {value or 'nothing'}, switching every hook off"
               + (" in every repository on this machine" if machine else "") + "; make the hooks pass instead")
    elif machine:
        yield ("ask", "weaken-no-verify", f"`{text}` replaces the hooks of every repository on this machine; set it "
                                          "per project (without --global) or ask a human")
    elif p is None or not ctx.inside(p):
        yield ("ask", "weaken-no-verify", f"`{text}` runs hooks from {value}, outside the project; keep hooks in "
                                          "the repository (.githooks) or approve")


def _deleted(words: list[str], cmd: Cmd, ctx: Ctx, text: str) -> HitIter:
    for w in words:
        p = ctx.resolve(w, cmd.cwd)
        if not p or not ctx.inside(p):
            continue
        rel = ctx.rel(p)
        if guard_file(p):
            hook = _HOOK_MARK in (_read(p) or "")
            yield ("block" if hook else "ask", "weaken-guard",
                   f"`{text}` deletes {rel}" + (", which holds Handrail's hook" if hook else " (guard settings)") +
                   "; only a human may change it")
            return
        if TEST_PATH.search(rel) or TEST_PATH.search(rel + "/"):
            yield ("ask", "weaken-test-delete", f"`{text}` deletes tests ({rel}); fix them instead, or approve with "
                                                "a reason")
            return
