"""least-privilege: Do tokens have only the permissions they need? (placeholder until its analyser lands)."""

from __future__ import annotations

from handrail.checks.base import NotAnalysedYet


class LeastPrivilege(NotAnalysedYet):
    id = "least-privilege"
    question = "Do tokens have only the permissions they need?"
    why = "TODO"
    fix = "TODO"
    good_example = "TODO"
    bad_example = "TODO"
    coming_with = "in progress"


CHECK = LeastPrivilege()
