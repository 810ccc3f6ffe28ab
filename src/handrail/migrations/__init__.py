"""Database migrations: where they are (discover) and what they do (analyze).

Groundwork for the `rollback` (migration half) and `backups` checks: both need the same answer to
"which files change the schema, in which order, against which engine, and what do they destroy".
"""

from __future__ import annotations

from handrail.migrations.analyze import (
    MigrationAnalysis,
    Operation,
    analyze_migration,
    analyze_migrations,
    has_destructive,
    migration_findings,
)
from handrail.migrations.discover import Migration, discover_migrations

__all__ = [
    "Migration",
    "MigrationAnalysis",
    "Operation",
    "analyze_migration",
    "analyze_migrations",
    "discover_migrations",
    "has_destructive",
    "migration_findings",
]
