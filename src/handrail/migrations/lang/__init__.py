"""Readers for migrations written in code other than Python: Laravel PHP, Rails Ruby, knex and node-pg-migrate
JavaScript/TypeScript.

Each reader parses the file with tree-sitter (a real grammar, so comments, strings, heredocs and template
literals are never mistaken for code) and fills the same MigrationAnalysis the SQL and Python readers fill.
Nothing here imports tree-sitter until a file of that language is analysed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handrail.migrations.analyze import MigrationAnalysis


def analyze_code(analysis: MigrationAnalysis, text: str) -> None:
    """Dispatch on the migration's language; a missing grammar is one clear parse error, not a crash."""
    from handrail.migrations.lang.treesitter import GrammarMissing

    lang = analysis.migration.language
    try:
        if lang == "php":
            from handrail.migrations.lang import php

            php.analyze(analysis, text)
        elif lang == "ruby":
            from handrail.migrations.lang import ruby

            ruby.analyze(analysis, text)
        elif analysis.migration.framework == "node-pg-migrate":
            from handrail.migrations.lang import pgm

            pgm.analyze(analysis, text)
        else:
            from handrail.migrations.lang import js

            js.analyze(analysis, text)
    except GrammarMissing as exc:
        analysis.error = (None, str(exc))
    except RecursionError:  # pathological nesting (thousands of concatenations): one finding, no traceback
        analysis.error = (None, "nested too deeply to analyse")
