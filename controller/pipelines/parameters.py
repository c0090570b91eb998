"""The one place that maps a deployment file to pipeline specs: parameter defaults and structural options.

`pipelines_of` and `smgitops render` call `specs_for`. Every value a deployment file sets for a pipeline is
a parameter default here (model package ARN of `approvedVersion`, thresholds, instance type and count, S3
URIs), so a version bump or threshold change never changes the structure. What shapes the step graph
(metric names and bounds, whether ground truth is configured, tuning ranges) goes into `options`, and what
the environment is (region, role, artifacts prefix) into the spec itself. A team template named by path gets
the same parameters and options as the built-in template it replaces.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from controller.desired.model import (
    BUILTIN_TEMPLATES,
    Deployment,
    DesiredState,
    MetricThreshold,
    Training,
)
from controller.desired.rules import links_leading_out
from controller.pipelines import metrics
from controller.pipelines.model import ParameterValue, PipelineSpec, RenderError

MODEL_QUALITY_STEP = "ModelQualityCheck"
"""The model quality step of batch inference: EventBridge rules match its failure by this name."""
TEMPLATES_DIR = Path(__file__).parent / "templates"
SCRIPTS_DIR = Path(__file__).parent / "scripts"

MODEL_PACKAGE_ARN = "ModelPackageArn"
INPUT_S3_URI = "InputS3Uri"
OUTPUT_S3_URI = "OutputS3Uri"
GROUND_TRUTH_S3_URI = "GroundTruthS3Uri"
INSTANCE_TYPE = "InstanceType"
INSTANCE_COUNT = "InstanceCount"
MAX_DATA_QUALITY_VIOLATIONS = "MaxDataQualityViolations"
TRAINING_INPUT_S3_URI = "TrainingInputS3Uri"
MODEL_PACKAGE_GROUP = "ModelPackageGroup"
TUNING_MAX_JOBS = "TuningMaxJobs"
TUNING_MAX_PARALLEL_JOBS = "TuningMaxParallelJobs"

MODEL_QUALITY_PREFIX = "ModelQuality"
REGISTER_PREFIX = "Register"


def specs_for(state: DesiredState, deployment: Deployment) -> tuple[PipelineSpec, ...]:
    """One spec per pipeline the deployment declares: batch inference, then training when present."""
    specs = [batch_inference_spec(state, deployment)]
    if deployment.training is not None:
        specs.append(training_spec(state, deployment, deployment.training))
    return tuple(specs)


def batch_inference_spec(state: DesiredState, deployment: Deployment) -> PipelineSpec:
    batch = deployment.batch_inference
    parameters: dict[str, ParameterValue] = {
        MODEL_PACKAGE_ARN: state.model_package_arn(deployment),
        INPUT_S3_URI: batch.input,
        OUTPUT_S3_URI: batch.output,
        INSTANCE_TYPE: batch.instance_type,
        INSTANCE_COUNT: int(batch.instance_count),
        MAX_DATA_QUALITY_VIOLATIONS: int(deployment.thresholds.data_quality_max_violations),
    }
    options: dict[str, Any] = {"model_quality": None}
    model_quality = deployment.thresholds.model_quality
    if batch.ground_truth and model_quality is not None:
        options["model_quality"] = _threshold_option(deployment, "thresholds.modelQuality", model_quality)
        parameters[GROUND_TRUTH_S3_URI] = batch.ground_truth
        parameters.update(_threshold_parameters(MODEL_QUALITY_PREFIX, model_quality))
    return _spec(
        state,
        deployment,
        name=batch.pipeline,
        template=batch.template,
        breadcrumb="batchInference.template",
        options=options,
        parameters=parameters,
    )


def training_spec(state: DesiredState, deployment: Deployment, training: Training) -> PipelineSpec:
    parameters: dict[str, ParameterValue] = {
        TRAINING_INPUT_S3_URI: training.input,
        INSTANCE_TYPE: training.instance_type,
        MODEL_PACKAGE_GROUP: model_package_group_arn(state, deployment),
        **_threshold_parameters(REGISTER_PREFIX, training.register_when),
    }
    options: dict[str, Any] = {
        "register": _threshold_option(deployment, "training.registerWhen", training.register_when),
        "tuning": None,
    }
    if training.tuning is not None:
        tuning = training.tuning
        parameters[TUNING_MAX_JOBS] = int(tuning.max_jobs)
        parameters[TUNING_MAX_PARALLEL_JOBS] = int(tuning.max_parallel_jobs)
        options["tuning"] = {
            "objective": _checked_tuning_objective(deployment, tuning.objective),
            "ranges": [
                {
                    "name": item.name,
                    "type": item.type,
                    "min": item.min,
                    "max": item.max,
                    "values": list(item.values),
                }
                for item in sorted(tuning.ranges, key=lambda item: item.name)
            ],
        }
    elif training.template == "training-hpo":
        raise RenderError(f"{deployment.source}: training.tuning: the training-hpo template needs a tuning section")
    return _spec(
        state,
        deployment,
        name=training.pipeline,
        template=training.template,
        breadcrumb="training.template",
        options=options,
        parameters=parameters,
    )


def model_package_group_arn(state: DesiredState, deployment: Deployment) -> str:
    registry = state.registry
    return (
        f"arn:aws:sagemaker:{registry.region}:{registry.account}:model-package-group/{deployment.model_package_group}"
    )


def template_path(template: str, root: str | Path) -> Path:
    """The module file of a built-in template name, or of a path relative to the desired-state directory."""
    if template in BUILTIN_TEMPLATES:
        return TEMPLATES_DIR / f"{template.replace('-', '_')}.py"
    return (Path(root) / template).resolve()


def _spec(
    state: DesiredState,
    deployment: Deployment,
    *,
    name: str,
    template: str,
    breadcrumb: str,
    options: dict[str, Any],
    parameters: dict[str, ParameterValue],
) -> PipelineSpec:
    environment = state.environments[deployment.environment]
    path = template_path(template, state.root)
    if not path.is_relative_to(Path(state.root).resolve()) and template not in BUILTIN_TEMPLATES:
        raise RenderError(f"{deployment.source}: {breadcrumb}: the template is outside the desired-state directory")
    if not path.is_file():
        raise RenderError(f"{deployment.source}: {breadcrumb}: no template module at {template}")
    if template not in BUILTIN_TEMPLATES and links_leading_out(str(path.parent), inside=str(state.root)):
        raise RenderError(
            f"{deployment.source}: {breadcrumb}: the template's directory holds a link that leads out of the"
            " desired-state directory"
        )
    return PipelineSpec(
        name=name,
        template=template,
        template_path=str(path),
        region=environment.region,
        role=environment.pipeline_role,
        artifacts=environment.artifacts if environment.artifacts.endswith("/") else environment.artifacts + "/",
        options=options,
        parameters=parameters,
        source=deployment.source,
    )


def _threshold_option(deployment: Deployment, breadcrumb: str, threshold: MetricThreshold) -> dict[str, Any]:
    try:
        metrics.problem_type(threshold.metric)
    except metrics.UnknownMetric as error:
        raise RenderError(f"{deployment.source}: {breadcrumb}.metric: {error}") from None
    bounds = [bound for bound in ("max", "min") if getattr(threshold, bound) is not None]
    if not bounds:
        raise RenderError(f"{deployment.source}: {breadcrumb}: set max, min or both")
    return {"metric": threshold.metric, "bounds": bounds}


def _threshold_parameters(prefix: str, threshold: MetricThreshold) -> dict[str, ParameterValue]:
    return {
        metrics.threshold_parameter(prefix, bound, threshold.metric): float(getattr(threshold, bound))
        for bound in ("max", "min")
        if getattr(threshold, bound) is not None
    }


def _checked_tuning_objective(deployment: Deployment, objective: str) -> str:
    try:
        metrics.tuning_objective(objective)
    except metrics.UnknownMetric as error:
        raise RenderError(f"{deployment.source}: training.tuning.objective: {error}") from None
    return objective
