"""Pipeline model: CI workflows and deploy platform configuration, read once per run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handrail.pipeline.model import PipelineModel

if TYPE_CHECKING:
    from handrail.core.project import Project


def build_pipeline_model(project: Project) -> PipelineModel:
    """Parse every CI provider's files and the platform configs into one model."""
    from handrail.pipeline import github, gitlab
    from handrail.pipeline.classify import classify_model
    from handrail.pipeline.platforms import read_platforms
    from handrail.pipeline.scripts import script_aliases

    model = PipelineModel()
    for provider in (github, gitlab):
        workflows, invalid = provider.parse(project)
        model.workflows.extend(workflows)
        model.invalid.extend(invalid)
    model.script_aliases = script_aliases(project)
    classify_model(model)
    model.platforms = read_platforms(project)
    return model
