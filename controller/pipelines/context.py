"""What a template's `build(context)` receives: the SDK session, parameters, code URIs and run locations.

Only the render worker creates a `TemplateContext` (it imports the SageMaker SDK). The built-in templates in
`controller.pipelines.templates` use exactly this interface, and so does a team's own template module;
docs/pipeline-templates.md documents it. Parameters are handed out without defaults: the renderer writes the
defaults from the desired state afterwards, so a template cannot bake a per-deployment value into the structure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sagemaker.core import image_uris
from sagemaker.core.workflow.execution_variables import ExecutionVariables
from sagemaker.core.workflow.functions import Join
from sagemaker.core.workflow.parameters import (
    Parameter,
    ParameterBoolean,
    ParameterFloat,
    ParameterInteger,
    ParameterString,
)

from controller.pipelines.scripts import verdicts

_PARAMETER_CLASSES = {
    "String": ParameterString,
    "Integer": ParameterInteger,
    "Float": ParameterFloat,
    "Boolean": ParameterBoolean,
}


class TemplateContext:
    """The environment and deployment a template builds a pipeline for."""

    def __init__(self, job: Mapping[str, Any], *, session: Any) -> None:
        self.pipeline_name: str = job["name"]
        self.region: str = job["region"]
        self.role: str = job["role"]
        """The execution role of every job the pipeline starts (`environment.pipelineRole`)."""
        self.artifacts: str = job["artifacts"]
        """The environment's S3 prefix for code and run data, ending in '/'."""
        self.options: Mapping[str, Any] = job["options"]
        self.session = session
        """A `PipelineSession`; pass it as `sagemaker_session` to processors, trainers and transformers."""
        self.template_dir = Path(job["template_path"]).parent
        self._types: Mapping[str, str] = job["parameter_types"]
        self._parameters: dict[str, Parameter] = {}
        self._artifacts: dict[str, dict[str, str]] = {}
        self._bindings: list[tuple[str, str, str]] = []
        self._images: dict[tuple, str] = {}

    def parameter(self, name: str) -> Parameter:
        """The pipeline parameter `name`, typed as the desired state supplies it; its default comes later."""
        if name not in self._types:
            supplied = ", ".join(sorted(self._types)) or "none"
            raise LookupError(f"the deployment supplies no parameter {name!r} (it supplies: {supplied})")
        if name not in self._parameters:
            self._parameters[name] = _PARAMETER_CLASSES[self._types[name]](name=name)
        return self._parameters[name]

    def has_parameter(self, name: str) -> bool:
        return name in self._types

    def used_parameters(self) -> list[Parameter]:
        return [self._parameters[name] for name in sorted(self._parameters)]

    def bind(self, step: str, field: str, parameter: str) -> None:
        """Point a step field the SDK only takes as a literal at a parameter, e.g. `InstanceCount`.

        SDK v3 types a few integer fields as plain `int` (`TransformResources.InstanceCount`,
        `ResourceLimits.MaxNumberOfTrainingJobs`) although the pipeline service accepts a parameter there.
        Build the step with any literal, then bind the dotted `field` of its arguments to the parameter.
        """
        self.parameter(parameter)
        self._bindings.append((step, field, parameter))

    def bindings(self) -> list[tuple[str, str, str]]:
        return list(self._bindings)

    def code(self, path: str | Path) -> str:
        """The content-addressed S3 URI of a local file, or the prefix of a directory's files.

        A relative path is relative to the template module. The files become artifacts the engine uploads
        before it creates the pipeline: `<artifacts>code/<sha256>/<name>`.
        """
        local = (self.template_dir / path).resolve()
        if local.is_file():
            digest = _sha256(local)
            uri = f"{self.artifacts}code/{digest}/{local.name}"
            self._artifacts[uri] = {"local_path": str(local), "s3_uri": uri, "sha256": digest}
            return uri
        files = _bundle_files(local)
        if not files:
            raise FileNotFoundError(f"no code at {path}")
        listing = "".join(f"{name}\0{_sha256(file)}\n" for name, file in files)
        prefix = f"{self.artifacts}code/{hashlib.sha256(listing.encode()).hexdigest()}/"
        for name, file in files:
            uri = prefix + name
            self._artifacts[uri] = {"local_path": str(file), "s3_uri": uri, "sha256": _sha256(file)}
        return prefix

    def run_uri(self, *parts: str) -> Join:
        """An S3 location private to one execution: `<artifacts>runs/<pipeline>/<execution id>/<parts>`."""
        return Join(
            on="/",
            values=[
                f"{self.artifacts}{verdicts.RUNS_DIR}/{self.pipeline_name}",
                ExecutionVariables.PIPELINE_EXECUTION_ID,
                *parts,
            ],
        )

    def image_uri(self, framework: str, version: str, **kwargs: Any) -> str:
        """An AWS-provided container image in this environment's region (no AWS call)."""
        key = (framework, version, tuple(sorted(kwargs.items())))
        if key not in self._images:
            self._images[key] = image_uris.retrieve(framework=framework, region=self.region, version=version, **kwargs)
        return self._images[key]

    def code_artifacts(self) -> list[dict[str, str]]:
        """Every file `code()` handed out a URI for, sorted by URI."""
        return [self._artifacts[uri] for uri in sorted(self._artifacts)]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _bundle_files(directory: Path) -> list[tuple[str, Path]]:
    if not directory.is_dir():
        return []
    return [
        (file.relative_to(directory).as_posix(), file)
        for file in sorted(directory.rglob("*"))
        if file.is_file()
        and "__pycache__" not in file.parts
        and not any(part.startswith(".") for part in file.relative_to(directory).parts)
    ]
