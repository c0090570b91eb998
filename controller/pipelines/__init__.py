"""Pipelines as code: SageMaker SDK templates, their processing scripts, and an offline, cached renderer.

The reconcile engine calls `pipelines_of(state)`; `smgitops render` calls `render_many`. This package is the
only one that may import the SageMaker SDK, and even it does so only inside the render worker
(`controller.pipelines.worker`), so importing it, or rendering with a warm cache, never loads the SDK.
"""

from __future__ import annotations

from collections.abc import Iterable

from controller.desired.model import Deployment, DesiredState
from controller.pipelines.model import Artifact, PipelineSpec, RenderedPipeline, RenderError
from controller.pipelines.parameters import specs_for
from controller.pipelines.render import render, render_many, uncached

__all__ = [
    "Artifact",
    "PipelineSpec",
    "RenderError",
    "RenderedPipeline",
    "pipelines_for",
    "pipelines_of",
    "render",
    "render_many",
    "specs_for",
    "uncached",
]


def pipelines_of(
    state: DesiredState, deployments: Iterable[Deployment] | None = None
) -> dict[str, tuple[RenderedPipeline, ...]]:
    """Per deployment file (`prod/churn.yaml`), its rendered pipelines: batch inference, then training if any.

    Every deployment (of `state`, or those given) is rendered in one batch, so a cold cache starts the SDK once
    and builds each template shape once. Any problem, in any file, raises one `RenderError` with a line each.
    """
    chosen = list(state.deployments if deployments is None else deployments)
    specs: dict[str, tuple[PipelineSpec, ...]] = {}
    problems: list[str] = []
    for deployment in chosen:
        try:
            specs[deployment.source] = specs_for(state, deployment)
        except RenderError as error:
            problems.append(str(error))
    try:
        rendered = iter(render_many([spec for found in specs.values() for spec in found]))
    except RenderError as error:
        problems.append(str(error))
    if problems:
        raise RenderError("\n".join(problems))
    return {source: tuple(next(rendered) for _ in found) for source, found in specs.items()}


def pipelines_for(state: DesiredState, deployment: Deployment) -> tuple[RenderedPipeline, ...]:
    """The rendered pipelines of one deployment."""
    return pipelines_of(state, [deployment])[deployment.source]
