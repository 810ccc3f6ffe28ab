"""environments: Are local, staging and production separate and safely configured? (placeholder until its analyser lands)."""

from __future__ import annotations

from handrail.checks.base import NotAnalysedYet


class Environments(NotAnalysedYet):
    id = "environments"
    question = "Are local, staging and production separate and safely configured?"
    why = "TODO"
    fix = "TODO"
    good_example = "TODO"
    bad_example = "TODO"
    coming_with = "in progress"


CHECK = Environments()
