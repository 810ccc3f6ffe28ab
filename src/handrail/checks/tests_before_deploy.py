"""tests-before-deploy: Are tests run and passing before every deploy? (placeholder until its analyser lands)."""

from __future__ import annotations

from handrail.checks.base import NotAnalysedYet


class TestsBeforeDeploy(NotAnalysedYet):
    id = "tests-before-deploy"
    question = "Are tests run and passing before every deploy?"
    why = "TODO"
    fix = "TODO"
    good_example = "TODO"
    bad_example = "TODO"
    coming_with = "in progress"


CHECK = TestsBeforeDeploy()
