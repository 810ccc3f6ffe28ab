"""handoff: if the agent loses context, can someone else continue without guessing?

A successor (a person, or a fresh agent) needs three things from the repository: how to
set it up, how to run its tests, and where the last session left off. The first two are
read from the docs an agent or newcomer opens first (README, CONTRIBUTING, AGENTS.md,
CLAUDE.md, ...), and the test command they name is checked against what the repository
really defines (package.json scripts, composer scripts, Makefile targets, pytest config),
because stale instructions cost more time than none. The continuation record (HANDOFF.md and
.handrail/handoff.json, written by `handrail handoff` and the agent hooks) must be fresh: generated
after the newest journal entry that matters and for the current HEAD; and no tool call the journal
saw start may be left without a result or a note explaining it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from handrail.checks.base import Check, Rule, list_text
from handrail.core.files import display_path
from handrail.core.finding import Confidence, Finding, Location, Severity, Status
from handrail.core.lazyre import lazy_re

if TYPE_CHECKING:
    from handrail.core.finding import CheckResult
    from handrail.core.project import Project

# Files a newcomer or an agent reads first. Agent files are also listed in AGENT_FILES.
AGENT_FILES = ("AGENTS.md", "CLAUDE.md", ".claude/CLAUDE.md", "GEMINI.md", ".github/copilot-instructions.md",
               ".cursorrules", ".windsurfrules", ".clinerules", "CONVENTIONS.md")
AGENT_GLOBS = (".cursor/rules/*", ".clinerules/*", ".windsurf/rules/*", "**/AGENTS.md", "**/CLAUDE.md")
DOC_GLOBS = ("README*", "readme*", "Readme*", "CONTRIBUTING*", "contributing*", "DEVELOPMENT*", "HACKING*",
             "docs/*.md", "doc/*.md", ".github/CONTRIBUTING*", "*/README*", "*/readme*")
# Nested READMEs of these folders describe fixtures, samples or benchmarks (which quote the commands they measure),
# not how to work on this repository.
NOT_DOC_DIRS = frozenset({"tests", "test", "spec", "fixtures", "examples", "example", "samples", "testdata",
                          "third_party", "node_modules", "vendor", "bench", "benchmarks"})
DOC_SUFFIXES = ("", ".md", ".mdc", ".markdown", ".rst", ".txt", ".adoc")

CODE_SUFFIXES = frozenset({".py", ".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".php", ".rb", ".go", ".rs",
                           ".java", ".kt", ".cs", ".swift", ".vue", ".svelte", ".ex", ".exs", ".scala",
                           ".dart", ".c", ".cc", ".cpp", ".h", ".sql"})
HANDOFF_RECORDS = ("HANDOFF.md", "handoff.md", ".handrail/handoff.json", ".handrail/HANDOFF.md")

_SETUP_HEADING = lazy_re(
    r"\b(setup|set up|set-up|install(ation|ing)?|getting started|get started|quick ?start|development|"
    r"local dev|develop(ing)? locally|running locally|run locally|how to run|bootstrap(ping)?)\b", re.I)
_TEST_HEADING = lazy_re(r"\b(tests?|testing|test suite)\b", re.I)

# Commands: (regex, what). The regex runs on one line of a code block, inline code or a `$ ` line.
_TEST_COMMANDS: tuple[tuple[str, str], ...] = (
    (r"\b(npm|pnpm|yarn|bun)\s+(?:run\s+)?(test(?::[\w:.-]+)?)\b", "node-script"),
    (r"\bnpm\s+(?:run-script|run)\s+([\w:.-]*test[\w:.-]*)", "node-script"),
    (r"\bnpx\s+(jest|vitest|playwright\s+test|mocha|cypress\s+run)\b", "npx"),
    (r"\b(?:python3?\s+-m\s+)?pytest\b", "pytest"),
    (r"\b(?:uv|poetry|pipenv|hatch|pdm)\s+run\s+(?:python\s+-m\s+)?pytest\b", "pytest"),
    (r"\bmanage\.py\s+test\b", "django"),
    (r"\bpython3?\s+-m\s+unittest\b", "unittest"),
    (r"\bphp\s+artisan\s+test\b", "artisan"),
    (r"\b(?:\./)?vendor/bin/(phpunit|pest)\b", "phpunit"),
    (r"\bcomposer\s+(?:run(?:-script)?\s+)?(test[\w:.-]*)\b", "composer-script"),
    (r"\b(?:bin/)?rails\s+test\b", "rails"),
    (r"\b(?:bundle\s+exec\s+)?rspec\b", "rspec"),
    (r"\b(?:bundle\s+exec\s+)?rake\s+(test|spec)\b", "rake"),
    (r"\bmake\s+([\w.-]*test[\w.-]*|check)\b", "make"),
    (r"\bgo\s+test\b", "go"),
    (r"\bcargo\s+test\b", "cargo"),
    (r"(?:^|\s)(tox|nox)(?:\s|$)", "tox"),
    (r"\bdocker[ -]compose\s+(?:run|exec)\b.*\btest", "docker"),
    (r"\bdotnet\s+test\b", "dotnet"),
    (r"(?:\./)?\bmvnw?\s+(?:-[\w.=-]+\s+)*(?:clean\s+)?(?:test|verify)\b", "maven"),
    (r"(?:\./)?\bgradlew?\s+(?:-[\w.=-]+\s+)*(?:clean\s+)?(?:test|check)\b", "gradle"),
)
_TEST_COMMAND_RXS = tuple((lazy_re(rx, re.I), kind) for rx, kind in _TEST_COMMANDS)  # every doc line meets them
# Every _TEST_COMMANDS regex needs one of these words; most doc lines hold none, and `in` is far cheaper than
# 18 case-insensitive searches. re.I also folds four non-ASCII letters onto i/s/k: such text skips the shortcut.
_TEST_COMMAND_WORDS = ("test", "npx", "vendor", "rspec", "rake", "make", "tox", "nox", "verify", "check")
_FOLDS_TO_ASCII = ("\u0130", "\u0131", "\u017f", "\u212a")
_SETUP_COMMANDS = lazy_re(
    r"\b(npm\s+(install|ci|i)\b|yarn(\s+install)?\s*$|yarn\s+install|pnpm\s+(install|i)\b|bun\s+install|"
    r"composer\s+(install|create-project)|pip3?\s+install|python3?\s+-m\s+pip\s+install|uv\s+(sync|pip\s+install)|"
    r"poetry\s+install|pipenv\s+install|bundle(\s+install)?\s*$|bundle\s+install|bin/setup|"
    r"docker[ -]compose\s+up|make\s+(setup|install|bootstrap|dev|init)\b|php\s+artisan\s+(migrate|key:generate)|"
    r"cp\s+\.env[\w.]*\s+\.env|manage\.py\s+migrate|rails\s+db:(setup|prepare|create|migrate)|bin/dev\b|"
    r"prisma\s+(migrate|generate|db\s+push)|supabase\s+start|python3?\s+-m\s+venv|virtualenv\s|"
    r"go\s+mod\s+download|cargo\s+build|(npm|pnpm|yarn|bun)\s+(run\s+)?dev\b|dotnet\s+(restore|build)\b|"
    r"mvnw?\s+(clean\s+)?install\b|gradlew?\s+(clean\s+)?build\b)", re.I)
_INLINE_CODE = lazy_re(r"`([^`]+)`")
_FENCE = lazy_re(r"^\s*(```|~~~)")
_HEADING = lazy_re(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_RST_UNDERLINE = lazy_re(r"^\s*([=\-~^*#])\1{2,}\s*$")
_PLACEHOLDER_NPM_TEST = "no test specified"


@dataclass
class Instruction:
    kind: str  # "setup" | "test"
    path: str
    line: int
    text: str
    how: str  # "heading" | "command"
    command_kind: str = ""
    target: str = ""  # script / target name the command refers to
    problem: str | None = None  # set when the command names something the repository lacks


@dataclass
class DocScan:
    path: str
    instructions: list[Instruction] = field(default_factory=list)


class Handoff(Check):
    id = "handoff"
    question = "If the agent loses context, can someone else continue without guessing?"
    why = ("Agent sessions end mid-task: context runs out, a laptop closes, another developer or agent picks "
           "up. Without written setup and test commands, and a record of where work stopped, the successor "
           "guesses - and AI-built apps often have instructions the code no longer matches.")
    fix = ("Write the setup and test commands into README.md (and AGENTS.md/CLAUDE.md for agents), make sure the "
           "named test command exists (package.json script, Makefile target, pytest config), and let Handrail "
           "write HANDOFF.md: `handrail handoff`, or automatically at session end once `handrail guard install "
           "--agent <agent>` has installed the hooks.")
    good_example = ("README.md:\n## Setup\n    composer install && cp .env.example .env && php artisan key:generate\n"
                    "## Tests\n    php artisan test\nAGENTS.md repeats both commands; HANDOFF.md lists branch, "
                    "uncommitted files, last test run and next steps.")
    bad_example = ("README.md is the framework's default text; the only test hint is `npm test`, and package.json's "
                   "test script is `echo \"Error: no test specified\" && exit 1`.")
    rules = (
        Rule("handoff-no-docs", Severity.MEDIUM,
             "The repository has code but no README, CONTRIBUTING or agent instruction file.",
             "Add a README.md with Setup and Tests sections."),
        Rule("handoff-no-instructions", Severity.MEDIUM,
             "No setup or test instructions in any README or agent file.",
             "Add Setup and Tests sections with the exact commands."),
        Rule("handoff-no-setup", Severity.LOW, "Test instructions exist but nothing says how to set the project up.",
             "Add a Setup section: dependencies, .env, database, how to start the app."),
        Rule("handoff-no-tests", Severity.LOW, "Setup instructions exist but nothing says how to run the tests.",
             "Add a Tests section with the exact command (e.g. `pytest`, `php artisan test`, `npm test`)."),
        Rule("handoff-test-command-missing", Severity.LOW,
             "A documented test command refers to a script, target or tool the repository does not define.",
             "Fix the documentation or add the script/target it names."),
        Rule("handoff-no-agent-file", Severity.LOW,
             "No agent instruction file (AGENTS.md, CLAUDE.md, ...) tells an agent how to set up and test.",
             "Add AGENTS.md with the setup and test commands; point CLAUDE.md/GEMINI.md at it."),
        Rule("handoff-agent-file-no-commands", Severity.LOW,
             "An agent instruction file exists but names no setup or test command.",
             "List the exact setup and test commands in the agent file."),
        Rule("handoff-no-record", Severity.MEDIUM,
             "Handrail's journal exists but no handoff record (HANDOFF.md or .handrail/handoff.json) was written.",
             "Run `handrail handoff`; with the hooks of `handrail guard install --agent <agent>` it is rewritten "
             "at every Stop, SessionEnd and PreCompact."),
        Rule("handoff-stale", Severity.MEDIUM,
             "The handoff record is older than the work: journal entries or commits came after it.",
             "Run `handrail handoff` (or `handrail resume`, which refreshes and prints it)."),
        Rule("handoff-interrupted", Severity.MEDIUM,
             "A tool call the journal saw start has no result and no note explains it: it may have stopped halfway "
             "(a migration, a deploy, a file half-written).",
             "Find out what the call left behind, then explain it: `handrail note \"#<seq>: <what happened>\"`."),
        Rule("handoff-uncommitted", Severity.INFO,
             "Work exists only in this working tree (uncommitted or untracked files).",
             "Commit or push work in progress (or describe it in HANDOFF.md) before the session ends."),
    )

    def run(self, project: Project) -> CheckResult:
        files = project.files
        paths = files.paths()
        if not paths:
            return self.unknown("empty repository: nothing to hand off yet")
        has_code = any(entry.suffix in CODE_SUFFIXES for entry in files)

        agent_docs = _agent_docs(project)
        docs = _docs(project, agent_docs)
        scans = [self._scan(project, path) for path in docs]
        self._verify_commands(project, scans)

        findings: list[Finding] = []
        evidence: list[Location] = []
        setup = [i for s in scans for i in s.instructions if i.kind == "setup"]
        tests = [i for s in scans for i in s.instructions if i.kind == "test"]
        for ins in _evidence_subset(setup) + _evidence_subset(tests):
            evidence.append(Location(ins.path, ins.line, f"{ins.kind} instruction ({ins.how}): {ins.text[:80]}"))

        for ins in tests:
            if ins.problem:
                findings.append(self.finding(
                    "handoff-test-command-missing", f"{ins.path}:{ins.line} says to run `{ins.text[:80]}` but "
                    f"{ins.problem}", ins.path, ins.line, evidence=ins.text, key=f"missing:{ins.text.strip()}"))

        notes: list[str] = []
        status: Status
        if not docs:
            if has_code:
                findings.append(self.finding(
                    "handoff-no-docs", "No README, CONTRIBUTING or agent instruction file: a successor has to "
                    "reverse-engineer how to install and test this code.", None, None, key="no-docs"))
                status = Status.FAIL
            else:
                status = Status.UNKNOWN
                notes.append("no code and no docs: nothing to hand off yet")
        elif not setup and not tests:
            if has_code:
                findings.append(self.finding(
                    "handoff-no-instructions", f"None of {list_text(docs, 4)} says how to set up the project or run "
                    "its tests.", docs[0], None, key="no-instructions"))
                status = Status.FAIL
            else:
                status = Status.UNKNOWN
                notes.append(f"docs ({list_text(docs, 4)}) but no code and no setup/test instructions")
        elif not tests:
            first = _first(setup)
            findings.append(self.finding(
                "handoff-no-tests", f"Setup is documented ({first.path}:{first.line}) but no document says how "
                "to run the tests.", first.path, first.line, key="no-tests"))
            status = Status.WARN
        elif not setup:
            first = _first(tests)
            findings.append(self.finding(
                "handoff-no-setup", f"Tests are documented ({first.path}:{first.line}) but no document says "
                "how to set the project up.", first.path, first.line, key="no-setup"))
            status = Status.WARN
        else:
            status = Status.PASS
        test_cmds = [i for i in tests if i.how == "command"]
        missing = [i for i in test_cmds if i.problem]
        if missing and len(missing) == len(test_cmds):
            notes.append("every documented test command refers to something that does not exist")
            if status == Status.PASS:
                status = Status.WARN
        elif missing:
            notes.append(f"{len(missing)} of {len(test_cmds)} documented test commands do not exist")

        # Agent instruction files.
        if has_code:
            if not agent_docs:
                findings.append(self.finding(
                    "handoff-no-agent-file", "No AGENTS.md, CLAUDE.md or other agent instruction file: a fresh agent "
                    "starts without the project's commands.", None, None, key="no-agent-file",
                    confidence=Confidence.MEDIUM))
            else:
                by_path = {s.path: s for s in scans}
                primary = _primary_agent_docs(agent_docs)
                if not primary and not any(i.how == "command" for p in agent_docs
                                           for i in (by_path[p].instructions if p in by_path else [])):
                    primary = agent_docs[:1]  # only scoped rule files, none with a command: say so once
                for path in agent_docs:
                    scan = by_path.get(path)
                    target = _points_to(project, path, agent_docs, by_path)
                    if target is not None:
                        evidence.append(Location(path, target[1], f"points agents to {target[0]}"))
                    elif path not in primary:
                        continue  # a scoped rule file (.cursor/rules/*, a package's AGENTS.md) holds conventions
                    elif scan is not None and not any(i.how == "command" for i in scan.instructions):
                        findings.append(self.finding(
                            "handoff-agent-file-no-commands", f"{path} names no setup or test command an agent "
                            "could run.", path, None, key=f"agent-no-commands:{path}",
                            confidence=Confidence.MEDIUM))
                    elif scan is not None:
                        evidence.append(Location(path, None, "agent instruction file with commands"))

        # Continuation record.
        try:
            rec_findings, rec_evidence, rec_notes = self._continuation(project)
        except Exception as exc:  # a broken record reader must not hide the documentation analysis
            rec_findings, rec_evidence = [], []
            rec_notes = [f"the handoff record could not be analysed ({exc.__class__.__name__}: {exc})"]
            if status == Status.PASS:
                status = Status.UNKNOWN
        findings.extend(rec_findings)
        evidence.extend(rec_evidence)
        notes.extend(rec_notes)
        if rec_findings and status == Status.PASS:
            status = Status.WARN

        dirty = project.git_facts.dirty if project.git_facts.is_repo else []
        if dirty:
            shown = ", ".join(display_path(d) for d in dirty[:5]) + (
                f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
            findings.append(self.finding(
                "handoff-uncommitted", f"{len(dirty)} file(s) changed but not committed ({shown}): a successor "
                "working from the repository will not see them.", None, None, key="uncommitted"))

        summary = _summary(status, docs, setup, tests, notes)
        return self.result(status, summary, findings, evidence)

    # --- the continuation record ------------------------------------------------------
    def _continuation(self, project: Project) -> tuple[list[Finding], list[Location], list[str]]:
        """Is there a record, is it fresh, and is every call the journal saw start accounted for?"""
        from handrail.handoff import journal_facts as jf
        from handrail.handoff.record import (
            RECORD_JSON,
            RECORD_MD,
            journal_configured,
            journal_on_disk,
            load_marker,
            open_existing,
            read_window,
            stale_reasons,
        )

        root = project.root
        findings: list[Finding] = []
        evidence: list[Location] = []
        notes: list[str] = []
        record_path = _handoff_record(project)
        data: dict | None = None
        data_path: str | None = None
        text = project.local_text(RECORD_JSON)
        if text:
            try:
                loaded = json.loads(text)
                if isinstance(loaded, dict) and "generated_at" in loaded:
                    data, data_path = loaded, RECORD_JSON
            except ValueError:
                notes.append(f"{RECORD_JSON} cannot be parsed")
        md_text = project.local_text(RECORD_MD)
        md_facts = load_marker(md_text) if md_text else None
        if data is None and md_facts is not None:
            data, data_path = md_facts, RECORD_MD
        cite = RECORD_MD if md_facts is not None else (data_path or record_path)

        journal_path = journal_on_disk(root)
        has_journal = journal_path is not None or journal_configured(root)
        journal = None
        journal_why = None
        if has_journal:
            journal, journal_why = open_existing(root)
        anchor = journal_path or "handrail.toml"
        try:
            if record_path is None and data is None:
                if journal is not None and journal.head() is None:
                    notes.append(f"the journal ({journal_path or 'PostgreSQL'}) is empty: nothing to hand off yet")
                elif has_journal:
                    where = journal_path or "the PostgreSQL journal"
                    findings.append(self.finding(
                        "handoff-no-record", f"Handrail's journal ({where}) exists but there is no HANDOFF.md or "
                        f"{RECORD_JSON} for the next session to start from.", anchor, None, key="no-record"))
                else:
                    notes.append("no Handrail journal on this machine and no handoff record (`handrail handoff` "
                                 "writes one)")
            elif data is None:
                evidence.append(Location(record_path, None, "handoff record (not written by Handrail)"))
                notes.append(f"{record_path} has no Handrail facts (hand-written?): its freshness is not judged")
            else:
                head = project.git_facts.head if project.git_facts.is_repo else None
                reasons = stale_reasons(root, data, journal=journal, head=head, record_path=RECORD_MD)
                gen = data.get("generated_at")
                if reasons:
                    findings.append(self.finding(
                        "handoff-stale", f"The handoff record {cite} (generated {gen}) is stale: "
                        f"{'; '.join(reasons)}.", cite, 1 if cite == RECORD_MD else None, key="stale",
                        evidence="; ".join(reasons)))
                else:
                    basis = "the journal and HEAD" if journal is not None else "HEAD (journal not on this machine)"
                    evidence.append(Location(cite, 1 if cite == RECORD_MD else None,
                                             f"handoff record generated {gen}, fresh against {basis}"))
                    notes.append(f"handoff record {cite} is fresh (generated {gen})")
            if journal is not None:
                entries, truncated = read_window(journal)
                facts = jf.analyse(entries, root=root, truncated=truncated)
                open_calls = facts.interrupted
                for c in open_calls[:5]:
                    when = f" at {c.ts}" if c.ts else ""
                    what = "was asked about and has no result" if c.status == "no-result" else "has no result"
                    findings.append(self.finding(
                        "handoff-interrupted", f"Journal entry #{c.seq}{when}: {c.tool or 'a tool call'} "
                        f"`{jf._one_line(c.command or c.summary, 120)}` {what} and no later note explains it.",
                        anchor, None, key=f"interrupted:{c.seq}", evidence=c.command or c.summary,
                        fix=f"Check what it left behind, then `handrail note \"#{c.seq}: <what happened>\"`."))
                if len(open_calls) > 5:
                    notes.append(f"{len(open_calls) - 5} more interrupted call(s) in the journal")
                if not open_calls:
                    explained = len(facts.explained)
                    notes.append("every tool call in the journal has a result" +
                                 (f" or an explaining note ({explained})" if explained else ""))
            elif journal_why and has_journal:
                notes.append(f"{journal_why}: interrupted calls not checked")
            elif data is not None:
                notes.append("journal not on this machine: interrupted calls not checked here")
        finally:
            if journal is not None:
                journal.close()
        return findings, evidence, notes

    # --- scanning ---------------------------------------------------------------------
    def _scan(self, project: Project, path: str) -> DocScan:
        """Instructions in one doc. A Setup/Testing heading counts once its section shows a
        command (code block, inline code or `$ ` line): a bare "Contributing" heading that links
        elsewhere tells a successor nothing."""
        scan = DocScan(path)
        text = project.text(path) or ""
        if "`" not in text and "~~~" not in text and "$ " not in text and not _may_have_heading(text):
            return scan  # no code, no `$ ` prompt and no Setup/Tests heading: no line can yield an instruction
        lines = project.lines(path)
        in_fence = False
        section: str | None = None  # "setup" | "test" | None, from the nearest heading
        pending: Instruction | None = None  # the section's heading, until a command shows up
        heading_seen: set[str] = set()
        for no, raw in enumerate(lines, 1):
            if ("```" in raw or "~~~" in raw) and _FENCE.match(raw):
                in_fence = not in_fence
                continue
            heading = None
            if not in_fence:
                m = _HEADING.match(raw) if "#" in raw else None
                if m:
                    heading = m.group(2)
                elif no < len(lines) and _RST_UNDERLINE.match(lines[no]) and raw.strip() \
                        and not _RST_UNDERLINE.match(raw):
                    heading = raw.strip()
            if heading is not None:
                section = None
                pending = None
                if _TEST_HEADING.search(heading):
                    section = "test"
                elif _SETUP_HEADING.search(heading):
                    section = "setup"
                if section and section not in heading_seen:
                    pending = Instruction(section, path, no, heading.strip(), "heading")
                continue
            if _RST_UNDERLINE.match(raw):
                continue
            cmds = _commands_on_line(raw, in_fence)
            if pending is not None and (cmds or in_fence):
                heading_seen.add(pending.kind)
                scan.instructions.append(pending)
                pending = None
            if section is not None and not cmds:
                cmds = _commands_on_line(raw, True)  # prose in a Setup/Tests section: "Run pytest."
            for cmd in cmds:
                kind, target = _classify(cmd)
                if kind:
                    scan.instructions.append(Instruction("test", path, no, cmd, "command", kind, target))
                elif _SETUP_COMMANDS.search(cmd):
                    scan.instructions.append(Instruction("setup", path, no, cmd, "command"))
        return scan

    def _verify_commands(self, project: Project, scans: list[DocScan]) -> None:
        facts = _RepoFacts(project)
        for scan in scans:
            for ins in scan.instructions:
                if ins.how == "command" and ins.kind == "test":
                    ins.problem = facts.check(ins.command_kind, ins.target)
            if scan.path.startswith(_RULE_DIRS):
                # Rule packs copied from a template carry rules for stacks the repository does not use
                # (golang-testing.md in a TypeScript app, scoped to **/*.go): a test command whose whole toolchain
                # is absent is about another project, not a stale instruction for this one.
                scan.instructions = [i for i in scan.instructions
                                     if not (i.problem and i.problem.startswith("there is no"))]


# A word each _SETUP_HEADING / _TEST_HEADING alternative contains: a plain `in` on lowered text is far cheaper
# than those case-insensitive regexes over a whole document.
_HEADING_WORDS = ("test", "set", "install", "started", "quick", "develop", "local dev", "locally", "how to run",
                  "bootstrap")


def _may_have_heading(text: str) -> bool:
    """False only when no line of `text` can match _SETUP_HEADING or _TEST_HEADING."""
    if text.isascii() or not any(c in text for c in _FOLDS_TO_ASCII):
        low = text.lower()
        if not any(w in low for w in _HEADING_WORDS):
            return False
    return bool(_TEST_HEADING.search(text) or _SETUP_HEADING.search(text))


def _commands_on_line(raw: str, code_context: bool) -> list[str]:
    """Shell commands on one doc line: a code-block line, a `$ ` prompt line, or inline code."""
    if not code_context and "`" not in raw:  # the common prose line: only a `$ ` prompt can make it a command
        line = raw.strip()
        return [c for c in (line[2:].strip(),) if c] if line.startswith("$ ") else []
    line = raw.strip()
    out: list[str] = []
    if code_context and line and not line.startswith(("#", "//", "<", "|", "-", "*")):
        out.append(line.removeprefix("$ ").strip())
    elif line.startswith("$ "):
        out.append(line[2:].strip())
    else:
        out.extend(m.group(1).strip() for m in _INLINE_CODE.finditer(raw))
    if code_context and line.startswith(("-", "*", "|")):
        out.extend(m.group(1).strip() for m in _INLINE_CODE.finditer(raw))
    return [c for c in out if c]


def _classify(cmd: str) -> tuple[str, str]:
    low = cmd.lower()
    if not any(w in low for w in _TEST_COMMAND_WORDS) and (cmd.isascii()
                                                           or not any(c in cmd for c in _FOLDS_TO_ASCII)):
        return "", ""
    for rx, kind in _TEST_COMMAND_RXS:
        m = rx.search(cmd)
        if m:
            target = ""
            if kind in ("node-script", "composer-script", "make"):
                target = m.group(m.lastindex or 0) if m.lastindex else ""
            elif kind in ("npx", "phpunit", "rake", "tox"):
                target = m.group(1)
            return kind, target
    return "", ""


class _RepoFacts:
    """What the repository defines, read lazily: scripts, targets, test config."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.files = project.files

    def _json_scripts(self, name: str) -> dict[str, str] | None:
        from handrail.core.project import ParseError

        scripts: dict[str, str] = {}
        found = False
        for path in self.files.named(name):
            try:
                data = self.project.json(path)
            except ParseError:
                continue
            if isinstance(data, dict):
                found = True
                if isinstance(data.get("scripts"), dict):
                    for k, v in data["scripts"].items():
                        scripts.setdefault(str(k), v if isinstance(v, str) else " ".join(map(str, v))
                                           if isinstance(v, list) else str(v))
        return scripts if found else None

    def _node_deps(self) -> set[str]:
        from handrail.core.project import ParseError

        deps: set[str] = set()
        for path in self.files.named("package.json"):
            try:
                data = self.project.json(path)
            except ParseError:
                continue
            if isinstance(data, dict):
                for key in ("dependencies", "devDependencies"):
                    if isinstance(data.get(key), dict):
                        deps.update(data[key])
        return deps

    def _make_targets(self) -> set[str] | None:
        makefiles = self.files.named("Makefile", "makefile", "GNUmakefile") + self.files.glob("**/*.mk")
        if not makefiles:
            return None
        targets: set[str] = set()
        for path in makefiles:
            for line in self.project.lines(path):
                m = re.match(r"^([\w./%-]+(?:\s+[\w./%-]+)*)\s*::?(?!=)", line)
                if m:
                    targets.update(m.group(1).split())
        return targets

    def _has_pytest(self) -> bool:
        f = self.files
        if f.named("pytest.ini", "conftest.py", "tox.ini", "noxfile.py"):
            return True
        for path in f.named("pyproject.toml", "setup.cfg"):
            text = self.project.text(path) or ""
            if "[tool.pytest" in text or "[tool:pytest]" in text or "pytest" in text:
                return True
        if any(re.search(r"(^|/)(test_[^/]*|[^/]*_test)\.py$", p) for p in f.paths()):
            return True
        reqs = f.glob("requirements*.txt", "**/requirements*.txt")
        return any("pytest" in (self.project.text(p) or "") for p in reqs)

    def check(self, kind: str, target: str) -> str | None:
        """None when the command matches something real (or cannot be checked), else what is missing."""
        f = self.files
        if kind == "node-script":
            scripts = self._json_scripts("package.json")
            name = target or "test"
            if scripts is None:
                return "there is no package.json"
            if name not in scripts:
                return f"no package.json defines a `{name}` script"
            if _PLACEHOLDER_NPM_TEST in scripts[name]:
                return f"the `{name}` script is npm's placeholder (`{scripts[name][:60]}`)"
            return None
        if kind == "composer-script":
            scripts = self._json_scripts("composer.json")
            if scripts is None:
                return "there is no composer.json"
            return None if target in scripts else f"composer.json defines no `{target}` script"
        if kind == "make":
            targets = self._make_targets()
            if targets is None:
                return "there is no Makefile"
            return None if target in targets else f"no Makefile defines a `{target}` target"
        if kind == "pytest":
            return None if self._has_pytest() else "there is no pytest configuration or test_*.py file"
        if kind == "unittest":
            return None if any(re.search(r"(^|/)test[^/]*\.py$", p) for p in f.paths()) \
                else "there is no test*.py file"
        if kind == "django":
            return None if f.named("manage.py") else "there is no manage.py"
        if kind == "artisan":
            if not f.named("artisan"):
                return "there is no artisan file"
            return None if f.glob("**/tests/*", "**/phpunit.xml*") else "there is no tests/ folder or phpunit.xml"
        if kind == "phpunit":
            return None if f.glob("**/phpunit.xml*", "**/tests/*") else "there is no phpunit.xml or tests/ folder"
        if kind == "rails":
            return None if f.glob("**/test/*") else "there is no test/ folder"
        if kind == "rspec":
            return None if f.glob("**/spec/*", "**/.rspec") else "there is no spec/ folder"
        if kind == "go":
            return None if f.named("go.mod") else "there is no go.mod"
        if kind == "cargo":
            return None if f.named("Cargo.toml") else "there is no Cargo.toml"
        if kind == "dotnet":
            return None if f.glob("**/*.csproj", "**/*.sln", "**/*.fsproj", "**/*.slnx") else \
                "there is no .csproj or .sln"
        if kind == "maven":
            return None if f.named("pom.xml") else "there is no pom.xml"
        if kind == "gradle":
            return None if f.glob("**/build.gradle", "**/build.gradle.kts", "gradlew") else "there is no build.gradle"
        if kind == "tox":
            name = f"{target.lower()}.ini" if target.lower() == "tox" else "noxfile.py"
            return None if f.named(name) else f"there is no {name}"
        if kind == "npx":
            tool = target.split()[0].lower()
            pkg = {"playwright": "@playwright/test"}.get(tool, tool)
            deps = self._node_deps()
            return None if pkg in deps or tool in deps else f"no package.json depends on {pkg}"
        return None


def _points_to(project: Project, path: str, agent_docs: list[str],
               scans: dict[str, DocScan]) -> tuple[str, int] | None:
    """CLAUDE.md/GEMINI.md often just import AGENTS.md (`@AGENTS.md`, "see AGENTS.md"): that
    counts when the file pointed at names commands."""
    for no, line in enumerate(project.lines(path), 1):
        for other in agent_docs:
            if other == path:
                continue
            scan = scans.get(other)
            if scan is None or not any(i.how == "command" for i in scan.instructions):
                continue
            name = other.rsplit("/", 1)[-1]
            if re.search(rf"(^|[\s@(\[`/]){re.escape(name)}\b", line):
                return other, no
    return None


_RULE_DIRS = (".cursor/rules/", ".windsurf/rules/", ".clinerules/")


def _primary_agent_docs(agent_docs: list[str]) -> list[str]:
    """The files an agent reads on start in the repository root: where setup and test commands belong. Nested
    AGENTS.md/CLAUDE.md files and rule folders add scoped conventions and rarely repeat the commands."""
    return [p for p in agent_docs if p in AGENT_FILES]


def _agent_docs(project: Project) -> list[str]:
    files = project.files
    out = [p for p in AGENT_FILES if p in files]
    for p in files.glob(*AGENT_GLOBS):
        if p not in out and p.count("/") <= 3 and "/hooks/" not in p:
            out.append(p)
    return out


def _docs(project: Project, agent_docs: list[str]) -> list[str]:
    files = project.files
    out: list[str] = []
    for p in files.glob(*DOC_GLOBS):
        parts = p.split("/")
        if parts[0] not in ("docs", "doc") and (len(parts) > 2 or (len(parts) == 2 and parts[0] in NOT_DOC_DIRS)):
            continue
        if len(parts) > 3 or any(part in NOT_DOC_DIRS for part in parts[:-1]):
            continue
        if Path(p).suffix.lower() in DOC_SUFFIXES and p not in out:
            out.append(p)
    readmes = [p for p in out if "/" not in p]
    nested = [p for p in out if "/" in p]
    return readmes + nested + [p for p in agent_docs if p not in out]


def _handoff_record(project: Project) -> str | None:
    for p in HANDOFF_RECORDS:
        if p in project.files or (project.root / p).is_file():
            return p
    return None


def _evidence_subset(items: list[Instruction], limit: int = 10) -> list[Instruction]:
    """Commands first (they are the real evidence), a few per kind, one per line."""
    seen: set[tuple[str, int]] = set()
    out = []
    for ins in sorted(items, key=lambda i: i.how != "command"):
        if (ins.path, ins.line) in seen:
            continue
        seen.add((ins.path, ins.line))
        out.append(ins)
        if len(out) >= limit:
            break
    return out


def _first(items: list[Instruction]) -> Instruction:
    """The instruction to cite: the first command, else the first heading (doc order)."""
    return sorted(items, key=lambda i: i.how != "command")[0]


def _summary(status: Status, docs: list[str], setup: list[Instruction], tests: list[Instruction],
             notes: list[str]) -> str:
    parts = []
    if docs:
        def where(items: list[Instruction]) -> str:
            first = _first(items)
            return f"{first.path}:{first.line}"

        setup_s = f"setup at {where(setup)}" if setup else "no setup instructions"
        test_s = f"tests at {where(tests)}" if tests else "no test instructions"
        parts.append(f"{setup_s}; {test_s} (read {len(docs)} doc file(s))")
    elif status == Status.FAIL:
        parts.append("no README or agent instruction file")
    parts.extend(notes)
    return "; ".join(parts) if parts else "nothing to report"


CHECK = Handoff()
