"""smoke-after-deploy: Is the deployed app smoke-tested after every deploy? (placeholder until its analyser lands)."""

from __future__ import annotations

from handrail.checks.base import NotAnalysedYet


class SmokeAfterDeploy(NotAnalysedYet):
    id = "smoke-after-deploy"
    question = "Is the deployed app smoke-tested after every deploy?"
    why = "TODO"
    fix = "TODO"
    good_example = "TODO"
    bad_example = "TODO"
    coming_with = "in progress"


CHECK = SmokeAfterDeploy()
