"""Step classification (placeholder)."""

from __future__ import annotations

from handrail.pipeline.model import PipelineModel


def classify_model(model: PipelineModel) -> None:
    return None
