"""The handoff record: built from git and the journal, written as HANDOFF.md and .handrail/handoff.json.

Nothing here comes from an agent's memory: every line is a git fact or a journal entry (already redacted by the
journal; git text goes through core.redact). Runs from the agent hook on Stop/SessionEnd/PreCompact, so it imports
nothing heavy.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from handrail.handoff import journal_facts as jf
from handrail.handoff.gitstate import (
    GitState,
    changed_between,
    display_name,
    git_state,
    head_sha,
    last_commit_touching,
)
from handrail.handoff.stored import RECORD_JSON, RECORD_MD, RECORD_MD_ASIDE

VERSION = 1
MARKER = "<!-- handrail-handoff "
MAX_COMMANDS = 40  # in handoff.json; HANDOFF.md shows fewer
MAX_ITEMS = 10


class HandoffError(Exception):
    """A one-line reason the record could not be written."""


@dataclass
class Handoff:
    generated_at: str
    root: str
    git: dict[str, Any]
    journal: dict[str, Any]
    objective: dict[str, Any] | None = None
    session: dict[str, Any] | None = None
    commands: list[dict[str, Any]] = field(default_factory=list)
    interrupted: list[dict[str, Any]] = field(default_factory=list)
    explained: list[dict[str, Any]] = field(default_factory=list)
    running: list[dict[str, Any]] = field(default_factory=list)
    blocked: list[dict[str, Any]] = field(default_factory=list)
    files_touched: list[dict[str, Any]] = field(default_factory=list)
    last_test: dict[str, Any] | None = None
    last_check: dict[str, Any] | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    next_steps: list[dict[str, Any]] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    risks: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # where write() put the record, relative to the root
    version: int = VERSION

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "generated_at": self.generated_at, "root": self.root, "git": self.git,
                "journal": self.journal, "objective": self.objective, "session": self.session,
                "status": self.status, "commands": self.commands, "interrupted": self.interrupted,
                "explained": self.explained, "running": self.running, "blocked": self.blocked,
                "files_touched": self.files_touched, "last_test": self.last_test, "last_check": self.last_check,
                "events": self.events, "notes": self.notes, "decisions": self.decisions,
                "next_steps": self.next_steps, "risks": self.risks, "files": self.files}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


# --- the journal ----------------------------------------------------------------------------------------------
def journal_configured(root: Path) -> bool:
    """A PostgreSQL journal named in handrail.toml (url or url_env)."""
    try:
        data = tomllib.loads((root / "handrail.toml").read_text("utf-8"))
    except (OSError, ValueError):
        return False
    section = data.get("journal")
    return isinstance(section, dict) and bool(section.get("url") or section.get("url_env"))


def journal_on_disk(root: Path) -> str | None:
    """`.handrail/journal.db` when it exists as a plain file (never through a symlink)."""
    base = root / ".handrail"
    path = base / "journal.db"
    try:
        if base.is_symlink() or path.is_symlink() or not path.is_file():
            return None
    except OSError:
        return None
    return ".handrail/journal.db"


def open_existing(root: Path) -> tuple[Any, str | None]:
    """(journal, None) when the project has one that opens; (None, why not) otherwise. Never creates one."""
    where = journal_on_disk(root)
    if where is None and not journal_configured(root):
        return None, "no journal in this project (`handrail guard install` starts one)"
    try:
        from handrail.journal import open_journal
    except ImportError:
        return None, "this Handrail cannot read journals"
    try:
        return open_journal(root, create=False, timeout=5.0), None
    except Exception as exc:  # JournalError and anything a broken file raises: one line, never a crash
        return None, f"journal could not be read: {_one_line_exc(exc)}"


def _one_line_exc(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else exc.__class__.__name__


def read_window(journal: Any, limit: int = jf.WINDOW) -> tuple[list[Any], bool]:
    """The newest `limit` entries in seq order, and whether older ones were left out."""
    newest = list(journal.entries(reverse=True, limit=limit))
    newest.reverse()
    truncated = bool(newest) and newest[0].seq > 1
    return newest, truncated


def _checkpoint(journal: Any) -> dict[str, Any] | None:
    """The newest signed checkpoint: how many entries it covers (= the seq it seals), its Merkle root, when."""
    fn = getattr(journal, "checkpoints", None)
    if not callable(fn):
        return None
    try:
        cps = fn()
    except Exception:
        return None
    if not cps:
        return None
    cp = cps[-1]
    out = {"id": getattr(cp, "id", None), "seq": getattr(cp, "size", None), "root": getattr(cp, "root", None),
           "ts": getattr(cp, "ts", None), "reason": getattr(cp, "reason", None),
           "key": getattr(cp, "key_name", None)}
    return {k: v for k, v in out.items() if isinstance(v, str | int)}


# --- build ----------------------------------------------------------------------------------------------------
def build(root: Path, journal: Any = None) -> Handoff:
    root = Path(root)
    git = git_state(root)
    jinfo: dict[str, Any] = {"present": False}
    facts = jf.Facts()
    own = False
    if journal is None:
        journal, note = open_existing(root)
        own = journal is not None
        if note:
            jinfo["note"] = note
            jinfo["present"] = journal_on_disk(root) is not None or journal_configured(root)
    try:
        if journal is not None:
            jinfo["present"] = True
            try:
                entries, truncated = read_window(journal)
                facts = jf.analyse(entries, root=root, truncated=truncated)
                # The newest entry analysed, not journal.head(): another agent may have appended since the read.
                head = entries[-1] if entries else None
                if head is not None:
                    jinfo.update(head_seq=head.seq, head_hash=head.hash, head_ts=head.ts)
                cp = _checkpoint(journal)
                if cp:
                    jinfo["checkpoint"] = cp
                jinfo["entries_read"] = facts.entries_seen
                if truncated:
                    jinfo["note"] = f"only the newest {facts.entries_seen} entries were read"
                if facts.last_material:
                    jinfo["last_material"] = facts.last_material
            except Exception as exc:
                jinfo["note"] = f"journal could not be read: {_one_line_exc(exc)}"
    finally:
        if own:
            with contextlib.suppress(Exception):
                journal.close()
    return _assemble(root, git, jinfo, facts)


def _assemble(root: Path, git: GitState, jinfo: dict[str, Any], facts: jf.Facts) -> Handoff:
    h = Handoff(generated_at=jf.now_ts(), root=str(root.resolve()), git=git.to_dict(), journal=jinfo)
    if facts.objective:
        h.objective = {"text": facts.objective, "seq": facts.objective_seq}
    h.session = facts.session
    calls = facts.calls
    shell = [c for c in calls if c.command and c.status != "blocked"]
    h.commands = [c.to_dict() for c in shell[-MAX_COMMANDS:]]
    h.interrupted = [c.to_dict() for c in facts.interrupted][-MAX_COMMANDS:]
    h.explained = [c.to_dict() for c in facts.explained][-MAX_ITEMS:]
    h.running = [c.to_dict() for c in calls if c.status == "running"]
    h.blocked = [c.to_dict() for c in facts.blocked][-MAX_ITEMS * 2:]
    touched = [{"seq": c.seq, "tool": c.tool, "files": c.files, "status": c.status} for c in calls
               if c.files and c.status != "blocked"]
    h.files_touched = touched[-MAX_COMMANDS:]
    h.last_check = facts.last_check
    h.events = facts.events[-MAX_ITEMS:]
    h.notes = facts.notes[-MAX_ITEMS:]
    h.decisions = facts.decisions[-MAX_ITEMS:]
    h.next_steps = facts.next_steps[-MAX_ITEMS:]
    test = facts.last_test()
    if test is not None:
        h.last_test = _test_record(root, git, test, calls)
    h.status, h.risks = _status_and_risks(h, git)
    return h


def _test_record(root: Path, git: GitState, test: jf.Call, calls: list[jf.Call]) -> dict[str, Any]:
    rec = test.to_dict()
    after = test.end_seq or test.seq
    end = jf.parse_ts(test.end_ts or test.ts)
    changed: list[str] = []
    for c in calls:
        if c.seq > after and c.files and c.status not in ("blocked",):
            changed.extend(c.files)
    # Uncommitted files, and files that differ between the commit the tests ran on and HEAD: written after the
    # run? (Committing what was tested changes HEAD but not the files, so mtimes, not commits, decide.)
    candidates = [(ch.raw, ch.path) for ch in git.changes]
    if test.git_head and git.head and test.git_head != git.head:
        between = changed_between(root, test.git_head, git.head)
        if between is None:
            changed.append(f"(HEAD moved from {test.git_head[:12]}, which git no longer has)")
        else:
            candidates += [(p, display_name(p)) for p in between]
    if end is not None:
        top = Path(git.top) if git.top else root
        for raw, shown in candidates:
            try:
                if (top / raw).lstat().st_mtime > end + 1:
                    changed.append(shown)
            except OSError:
                continue
    reasons = []
    if changed:
        reasons.append("files changed after it")
    elif test.diff_hash and git.diff_hash and test.diff_hash != git.diff_hash:
        reasons.append("the working tree differs from when it ran")
    rec["stale"] = bool(reasons)
    if reasons:
        rec["stale_reason"] = reasons[0]
    rec["changed_after"] = list(dict.fromkeys(changed))[:20]
    return rec


def _status_and_risks(h: Handoff, git: GitState) -> tuple[list[str], list[str]]:
    status: list[str] = []
    risks: list[str] = []
    g = h.git
    if not git.is_repo:
        why = f" ({git.error})" if git.error and git.error != "not a git repository" else ""
        status.append(f"not a git repository{why}: no branch, HEAD or uncommitted files")
    else:
        where = g["branch"] or "detached HEAD"
        head = (g["head"] or "")[:12] or "no commits yet"
        status.append(f"on {where} at {head}" + (f" ({g['head_subject']})" if g["head_subject"] else ""))
        if g["uncommitted"]:
            status.append(f"{len(g['uncommitted'])} uncommitted file(s)")
            risks.append(f"{len(g['uncommitted'])} file(s) exist only in this working tree: commit or push them, "
                         "or a successor elsewhere will not see them")
        if g["ahead"]:
            risks.append(f"{g['ahead']} commit(s) not pushed to {g['upstream']}")
        if g["behind"]:
            risks.append(f"{g['behind']} commit(s) on {g['upstream']} not merged here")
        if git.error:
            risks.append(f"git: {git.error}")
    for c in h.interrupted:
        what = c.get("command") or c.get("summary")
        if c["status"] == "no-result":
            risks.append(f"#{c['seq']} {c.get('tool') or 'tool'} `{jf._one_line(what, 100)}` was asked about and "
                         "has no recorded result (declined, or interrupted): check whether it ran")
        else:
            risks.append(f"#{c['seq']} {c.get('tool') or 'tool'} `{jf._one_line(what, 100)}` was interrupted (no "
                         "result recorded): check what it left behind before re-running it")
    if h.interrupted:
        status.append(f"{len(h.interrupted)} interrupted call(s)")
    t = h.last_test
    if t is None:
        if h.journal.get("present"):
            risks.append("no test run in the journal")
    else:
        outcome = "passed" if t["status"] == "ok" else ("was interrupted" if t["status"] == "interrupted"
                                                         else "failed")
        code = f", exit {t['exit_code']}" if t.get("exit_code") is not None else ""
        status.append(f"last tests {outcome} (`{jf._one_line(t.get('command'), 60)}`{code})"
                      + (" - stale" if t.get("stale") else ""))
        if outcome != "passed":
            risks.append(f"the last test run (#{t['seq']}) {outcome}")
        if t.get("stale"):
            risks.append(f"the last test run (#{t['seq']}) is stale: {t.get('stale_reason')}")
    lc = h.last_check
    if lc and lc.get("exit_code") not in (None, 0):
        risks.append(f"the last `handrail check` (#{lc['seq']}) exited {lc['exit_code']}: {lc['summary'][:120]}")
    blocked = [b for b in h.blocked if b.get("status") == "blocked"]
    if blocked:
        risks.append(f"{len(blocked)} action(s) were blocked by the policy (see Blocked and asked): the agent may "
                     "have been working around them")
    if h.journal.get("note") and h.journal.get("present"):
        risks.append(h.journal["note"])
    return status, risks


# --- write, load, context -------------------------------------------------------------------------------------
def _atomic_write(path: Path, data: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write(root: Path, journal: Any = None) -> Handoff:
    """Build and write both files; raises HandoffError (one line) when they cannot be written."""
    from handrail.handoff.render import markdown

    root = Path(root)
    if not root.is_dir():
        raise HandoffError(f"{root}: not a directory")
    hdir = root / ".handrail"
    if hdir.is_symlink():
        raise HandoffError(".handrail is a symlink: refusing to write the handoff record through it")
    h = build(root, journal)
    md_path = RECORD_MD if _ours_or_absent(root / RECORD_MD) else RECORD_MD_ASIDE
    h.files = [md_path, RECORD_JSON]
    if md_path != RECORD_MD:
        h.risks.append(f"{RECORD_MD} exists and was not written by Handrail, so it was left alone; this record is "
                       f"in {RECORD_MD_ASIDE}")
    try:
        if not hdir.exists():
            hdir.mkdir(mode=0o700)
        _atomic_write(root / RECORD_JSON, h.to_json() + "\n", 0o600)
        _atomic_write(root / md_path, markdown(h), 0o644)
    except OSError as exc:
        raise HandoffError(f"cannot write the handoff record: {exc.strerror or exc} ({exc.filename or root})") \
            from exc
    _journal_it(root, journal, h)
    return h


def _ours_or_absent(path: Path) -> bool:
    """May write() replace this HANDOFF.md? Only one it wrote before (its first line is our marker): a hand-written
    handoff is someone's work."""
    try:
        if not path.exists() and not path.is_symlink():
            return True
        if path.is_symlink() or not path.is_file():
            return False
        with path.open("rb") as fh:
            head = fh.read(len(MARKER))
    except OSError:
        return False
    return head == MARKER.encode()


def _journal_it(root: Path, journal: Any, h: Handoff) -> None:
    """Best effort: the journal shows when a record was written and what it rested on."""
    if journal is None and h.journal.get("head_seq") is None:
        return  # no journal to write to; never create one for this
    try:
        from handrail.journal.model import Event

        ev = Event(kind="handoff", summary=f"handoff record written ({'; '.join(h.status[:3])})"[:200],
                   git_head=h.git.get("head"),
                   payload={"files": [RECORD_MD, RECORD_JSON], "journal_seq": h.journal.get("head_seq"),
                            "diff_hash": h.git.get("diff_hash"), "interrupted": [c["seq"] for c in h.interrupted]})
        if journal is not None:
            journal.append(ev)
            return
        j, _ = open_existing(root)
        if j is not None:
            try:
                j.append(ev)
            finally:
                j.close()
    except Exception:
        pass


def load_marker(text: str) -> dict[str, Any] | None:
    """The facts HANDOFF.md carries in its first-line comment (for a checkout without .handrail/)."""
    for line in text.splitlines()[:3]:
        if line.startswith(MARKER) and line.rstrip().endswith("-->"):
            try:
                data = json.loads(line[len(MARKER):].rstrip()[:-3])
            except ValueError:
                return None
            return data if isinstance(data, dict) else None
    return None


# --- freshness ------------------------------------------------------------------------------------------------
def stale_reasons(root: Path, record: dict[str, Any], *, journal: Any = None, head: str | bool | None = False,
                  record_path: str = RECORD_MD, diff_hash: str | None = None) -> list[str]:
    """Why `record` no longer describes the project (empty = fresh). `head`: the current HEAD sha (None for no
    commit); False = ask git. A record committed together with the work (HANDOFF.md changed by HEAD, describing
    HEAD's parent) is fresh."""
    reasons: list[str] = []
    if head is False:
        head = head_sha(root)
    rec_git = record.get("git") if isinstance(record.get("git"), dict) else {}
    rec_head = record.get("head", rec_git.get("head"))
    if head and rec_head != head:
        touched = last_commit_touching(root, record_path)
        if not (touched and touched[0] == head and touched[1] == rec_head):
            reasons.append(f"HEAD is now {str(head)[:12]}, the record describes "
                           f"{str(rec_head)[:12] if rec_head else 'no commit'}")
    elif diff_hash and rec_head == head:
        rec_diff = record.get("diff_hash", rec_git.get("diff_hash"))
        if rec_diff and rec_diff != diff_hash:
            reasons.append("the uncommitted changes differ from the ones recorded")
    if journal is not None:
        rec_j = record.get("journal") if isinstance(record.get("journal"), dict) else {}
        seq = record.get("journal_seq", rec_j.get("head_seq")) or 0
        try:
            # The result of a call the record saw running (typically the `handrail handoff` the agent ran itself)
            # does not outdate it.
            running = {c.get("tool_use_id") for c in record.get("running") or [] if isinstance(c, dict)} - {None}
            newer = [e for e in journal.entries(since_seq=int(seq), kinds=jf.MATERIAL_KINDS) if e.seq > int(seq)
                     and not (e.tool_use_id in running and jf.phase_of(e) != "pre")]
        except Exception as exc:
            reasons.append(f"the journal could not be read to compare: {_one_line_exc(exc)}")
            newer = []
        if newer:
            last = newer[-1]
            reasons.append(f"{len(newer)} journal entr{'y' if len(newer) == 1 else 'ies'} since it was written "
                           f"(newest #{last.seq} {last.kind} at {last.ts}: {jf._one_line(last.summary, 80)})")
        else:
            head_entry = None
            with contextlib.suppress(Exception):
                head_entry = journal.head()
            if head_entry is not None and int(seq) > head_entry.seq:
                reasons.append(f"the record names journal entry #{seq}, the journal ends at #{head_entry.seq} "
                               "(a different or rewritten journal)")
    return reasons


def age_text(ts: str | None) -> str:
    t = jf.parse_ts(ts)
    if t is None:
        return "at an unknown time"
    secs = max(0, datetime.now(UTC).timestamp() - t)
    if secs < 90:
        return "just now"
    if secs < 5400:
        return f"{int(secs // 60)} min ago"
    if secs < 172800:
        return f"{int(secs // 3600)} h ago"
    return f"{int(secs // 86400)} days ago"
