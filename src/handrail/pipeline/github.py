"""GitHub Actions workflows -> pipeline model (placeholder)."""

from __future__ import annotations

from handrail.pipeline.model import InvalidFile, Workflow


def parse(project) -> tuple[list[Workflow], list[InvalidFile]]:
    return [], []
