"""The data the renderer takes and gives: what to render (`PipelineSpec`) and what came out.

`controller.pipelines.parameters` builds specs from the desired state; `controller.pipelines.render` turns
them into `RenderedPipeline`s; the pipeline kind of the reconcile engine consumes those. Nothing here imports
the SageMaker SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ParameterValue = str | int | float | bool
"""A pipeline parameter default. Its Python type decides the parameter type (bool before int)."""


def parameter_type(value: ParameterValue) -> str:
    """The SageMaker pipeline parameter type of a default value."""
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    raise TypeError(f"pipeline parameter defaults are str, int, float or bool, not {type(value).__name__}")


@dataclass(frozen=True)
class Artifact:
    """A local file the definition refers to by S3 URI; the engine uploads it before creating the pipeline."""

    local_path: str
    s3_uri: str
    sha256: str


@dataclass(frozen=True)
class RenderedPipeline:
    """One SageMaker pipeline as the desired state implies it."""

    name: str
    """The SageMaker pipeline name from the deployment file."""
    role: str | None
    """The role the pipeline runs as (`environment.pipeline_role`)."""
    template: str
    """The template as the deployment file names it (`batch-inference`, `templates/custom.py`)."""
    definition: str
    """The PipelineDefinition JSON string, canonical: sorted keys, no whitespace."""
    parameters: Mapping[str, ParameterValue]
    """The parameter defaults put into the definition."""
    artifacts: tuple[Artifact, ...]


@dataclass(frozen=True)
class PipelineSpec:
    """Everything one render needs, split into structure (cache key) and parameter defaults (not).

    Structure is what shapes the step graph or what the SDK needs while building it: the template, the
    environment's region, role and artifacts prefix, and `options` (metric names, whether ground truth is
    configured, tuning ranges). The pipeline name and the parameter defaults are written into the cached
    definition afterwards, so a new model of a known shape or a changed default never re-renders.
    """

    name: str
    template: str
    template_path: str
    """Absolute path of the template module file."""
    region: str
    role: str
    artifacts: str
    """The environment's S3 prefix for code and run data, ending in '/'."""
    options: Mapping[str, Any] = field(default_factory=dict)
    parameters: Mapping[str, ParameterValue] = field(default_factory=dict)
    source: str = ""
    """The deployment file this came from (`prod/churn.yaml`), for error messages."""

    def structure(self) -> dict[str, Any]:
        """The JSON-able part of the spec that the rendered structure depends on."""
        return {
            "template_path": self.template_path,
            "region": self.region,
            "role": self.role,
            "artifacts": self.artifacts,
            "options": dict(self.options),
            "parameter_types": {name: parameter_type(value) for name, value in sorted(self.parameters.items())},
        }


class RenderError(Exception):
    """A template could not be rendered; the message is one line naming the deployment file and template."""
