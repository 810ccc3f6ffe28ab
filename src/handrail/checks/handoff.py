"""handoff: If the agent loses context, can someone else continue? (placeholder until its analyser lands)."""

from __future__ import annotations

from handrail.checks.base import NotAnalysedYet


class Handoff(NotAnalysedYet):
    id = "handoff"
    question = "If the agent loses context, can someone else continue?"
    why = "TODO"
    fix = "TODO"
    good_example = "TODO"
    bad_example = "TODO"
    coming_with = "in progress"


CHECK = Handoff()
