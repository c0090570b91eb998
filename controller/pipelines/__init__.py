"""Pipelines as code: SageMaker SDK templates, their processing scripts, and an offline, cached renderer.

The reconcile engine calls `pipelines_for(state, deployment)`; `smgitops render` calls `render_many`. This
package is the only one that may import the SageMaker SDK, and even it does so only inside the render worker
(`controller.pipelines.worker`), so importing it, or rendering with a warm cache, never loads the SDK.
"""

from __future__ import annotations

import contextlib

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
    "render",
    "render_many",
    "specs_for",
    "uncached",
]


def pipelines_for(state: DesiredState, deployment: Deployment) -> tuple[RenderedPipeline, ...]:
    """One rendered pipeline per pipeline the deployment declares: batch inference, then training if any.

    When anything this deployment needs is not cached yet, every other deployment of `state` is rendered
    in the same worker run, so a cold start starts the SDK once rather than once per deployment.
    """
    specs = specs_for(state, deployment)
    if uncached(specs):
        _warm(state)
    return render_many(specs)


def _warm(state: DesiredState) -> None:
    specs: list[PipelineSpec] = []
    for other in state.deployments:
        try:
            specs.extend(specs_for(state, other))
        except RenderError:
            continue  # reported when that deployment itself is rendered
    with contextlib.suppress(RenderError):  # each deployment's own render reports its failure
        render_many(uncached(specs))
