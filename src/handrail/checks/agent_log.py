"""agent-log: Are AI agent actions logged? (placeholder until its analyser lands)."""

from __future__ import annotations

from handrail.checks.base import NotAnalysedYet


class AgentLog(NotAnalysedYet):
    id = "agent-log"
    question = "Are AI agent actions logged?"
    why = "TODO"
    fix = "TODO"
    good_example = "TODO"
    bad_example = "TODO"
    coming_with = "in progress"


CHECK = AgentLog()
