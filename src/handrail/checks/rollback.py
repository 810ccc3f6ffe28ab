"""rollback: Can a bad deploy be rolled back quickly? (placeholder until its analyser lands)."""

from __future__ import annotations

from handrail.checks.base import NotAnalysedYet


class Rollback(NotAnalysedYet):
    id = "rollback"
    question = "Can a bad deploy be rolled back quickly?"
    why = "TODO"
    fix = "TODO"
    good_example = "TODO"
    bad_example = "TODO"
    coming_with = "in progress"


CHECK = Rollback()
