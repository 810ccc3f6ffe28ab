"""Platform configuration readers (placeholder)."""

from __future__ import annotations

from handrail.pipeline.model import PlatformFacts


def read_platforms(project) -> PlatformFacts:
    return PlatformFacts()
