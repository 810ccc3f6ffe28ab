"""backups: is there a backup before every migration?

Every place the repository runs migrations against a deployed database is a migration path
(`handrail.migrations.paths`: CI jobs, release commands, deploy scripts, Deployer recipes,
container start commands, package.json lifecycle scripts). Each path needs a backup that runs
before the migration and stops it when it fails: a dump step earlier in the job or in a job it
needs, a backup command earlier in the same script, or `handrail migrate -- <cmd>`, which backs
up, verifies and then migrates. Migrations with no path in the repository run by hand or from a
platform dashboard: nothing here can show a backup for them, so the answer is unknown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handrail.checks.base import Check, Rule, add_note, list_text, unparsed_ci, unparsed_note
from handrail.core.finding import Confidence, Finding, Location, Severity, Status
from handrail.migrations import discover_migrations, has_destructive
from handrail.migrations.paths import MigrationPath, migration_paths

if TYPE_CHECKING:
    from handrail.core.finding import CheckResult
    from handrail.core.project import Project
    from handrail.pipeline.model import PipelineModel

_KIND_LABEL = {"ci": "CI job", "release": "release command", "deploy-script": "deploy script",
               "deployer": "Deployer recipe", "container": "container start command",
               "package-script": "package.json script"}
_GUESSED = frozenset({"container", "package-script"})  # may run against a dev database too


class Backups(Check):
    id = "backups"
    question = "Is there a backup before every migration?"
    why = ("A migration that drops or rewrites data cannot be undone by redeploying code; without a "
           "verified backup taken right before it, the data is gone.")
    fix = ("Run every production migration through `handrail migrate -- <cmd>` (e.g. `handrail migrate -- php "
           "artisan migrate --force`): it takes a verified backup first and restores it when the migration fails. "
           "Otherwise add a backup step (pg_dump, mysqldump, a platform snapshot) that runs before the migration "
           "and stops it when the backup fails.")
    good_example = "release: handrail migrate -- php artisan migrate --force  # verified backup, then the migration"
    bad_example = "release: php artisan migrate --force"
    rules = (
        Rule("migrate-without-backup", Severity.HIGH,
             "A path that runs migrations against a deployed database (CI job, release command, deploy script, "
             "Deployer recipe, start command) takes no backup before them; high when the migrations drop or "
             "rewrite data, medium otherwise.",
             "Wrap the command: `handrail migrate -- <migrate command>`, or run a backup (pg_dump, mysqldump, a "
             "platform snapshot) right before it, in the same script or an earlier step or needed job."),
        Rule("backups-ci-unreadable", Severity.LOW,
             "The CI configuration could not be read, so CI migrations were not judged.",
             "Fix the CI file so it parses (`handrail check` names the error)."),
    )

    def run(self, project: Project) -> CheckResult:
        return self.run_with_pipeline(project, self.evaluate, "backups-ci-unreadable")

    def evaluate(self, project: Project, model: PipelineModel) -> CheckResult:
        paths = migration_paths(project, model)
        unparsed = unparsed_ci(model)
        note = unparsed_note(unparsed)
        migrations = discover_migrations(project)
        if not paths:
            return self._no_paths(project, migrations, note)
        failing = [p for p in paths if p.backup is None]
        if not failing:
            evidence = list(dict.fromkeys(Location(p.backup.path, p.backup.line, f"backup before {_label(p)}: "
                                                   f"{p.backup.note}") for p in paths if p.backup))
            summary = (f"Every migration path ({len(paths)}) takes a backup first: "
                       f"{list_text([_label(p) for p in paths])}.")
            if unparsed:  # a migration in a workflow nobody could read may have no backup
                return self.unknown(add_note(summary, note), evidence)
            return self.result(Status.PASS, summary, evidence=evidence)
        destructive = has_destructive(project, migrations) if migrations else []
        findings = [self._finding(p, destructive) for p in failing]
        backed = [p for p in paths if p.backup]
        summary = (f"{len(failing)} of {len(paths)} migration path(s) run without a backup first: "
                   f"{list_text([_label(p) for p in failing])}")
        if destructive:
            summary += (f"; {len(destructive)} migration(s) drop or rewrite data, e.g. "
                        f"{destructive[0].migration.path}")
        evidence = [Location(p.backup.path, p.backup.line, f"backup before {_label(p)}") for p in backed if p.backup]
        return self.result(Status.FAIL, add_note(summary + ".", note), findings, evidence)

    def _finding(self, p: MigrationPath, destructive: list) -> Finding:
        where = _KIND_LABEL.get(p.kind, p.kind) + (f" ({p.environment})" if p.environment else "")
        message = f"{where} runs migrations with no backup before them: {p.command}"
        if destructive:
            ops = destructive[0].destructive[0]
            message += (f" (the migrations drop or rewrite data: {ops.kind.replace('_', ' ')} in "
                        f"{destructive[0].migration.path}:{ops.line})")
        guessed = p.kind in _GUESSED
        if guessed:
            message += "; if this command also runs against production, the same applies there"
        if p.kind == "deployer":
            fix = ("Override the task so it backs up first: `task('artisan:migrate', function () { run('cd "
                   "{{release_path}} && handrail migrate -- {{bin/php}} artisan migrate --force'); });`, or hook a "
                   "backup task with `before('artisan:migrate', 'db:backup')`.")
        else:
            fix = (f"Wrap it: `handrail migrate -- {_bare(p.command)}` (a verified backup first), or run a backup "
                   "right before it that stops the migration when it fails.")
        return self.finding("migrate-without-backup", message, p.location.path, p.location.line,
                            evidence=p.command, key=f"{p.kind}:{p.command}",
                            severity=Severity.HIGH if destructive else Severity.MEDIUM,
                            confidence=Confidence.MEDIUM if guessed else Confidence.HIGH, fix=fix)

    def _no_paths(self, project: Project, migrations: list, note: str) -> CheckResult:
        if migrations:
            folders = list(dict.fromkeys(m.evidence for m in migrations))
            summary = (f"{len(migrations)} migration(s) ({list_text([_where(f) for f in folders])}), but nothing "
                       "in the repository runs them (no CI step, release command, deploy script or start command): "
                       "they run by hand or from a platform dashboard, where no backup can be seen; run them with "
                       "`handrail migrate -- <cmd>`.")
            return self.unknown(add_note(summary, note), folders)
        dbs = list(project.stacks.databases.values())
        summary = "No migrations found" + (f" (database: {', '.join(project.stacks.databases)})" if dbs else
                                           " and no database detected") + ": nothing to back up before."
        return self.unknown(add_note(summary, note), dbs)


def _label(p: MigrationPath) -> str:
    where = f"{p.location.path}:{p.location.line}" if p.location.line else str(p.location.path)
    return f"{where} ({p.environment})" if p.environment else where


def _where(loc: Location) -> str:
    return f"{loc.path}: {loc.note}" if loc.note else str(loc.path)


def _bare(command: str) -> str:
    """The migrate command to put after `handrail migrate --` (an alias expansion keeps its caller)."""
    return command.split(" -> ", 1)[0].removesuffix(" (named as a backup)")


CHECK = Backups()
