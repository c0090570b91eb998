"""Built-in `training-hpo` template: a hyperparameter tuning job, the best job's model registered.

The tuning objective, ranges, maximum jobs and parallel jobs come from the deployment file's `tuning`
section (jobs as parameters, ranges as structure). See `controller.pipelines.templates._training` for the
steps after tuning.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sagemaker.core.parameter import CategoricalParameter, ContinuousParameter, IntegerParameter, ParameterRange
from sagemaker.core.training.configs import InputData
from sagemaker.mlops.workflow.steps import TuningStep
from sagemaker.train.model_trainer import ModelTrainer
from sagemaker.train.tuner import HyperparameterTuner

from controller.pipelines import metrics
from controller.pipelines.context import TemplateContext
from controller.pipelines.parameters import TUNING_MAX_JOBS, TUNING_MAX_PARALLEL_JOBS
from controller.pipelines.templates._training import build_training, models_uri


def build(context: TemplateContext) -> list[Any]:
    return build_training(context, tune)


def tune(context: TemplateContext, trainer: ModelTrainer, inputs: list[InputData]) -> tuple[Any, Any]:
    tuning = context.options["tuning"]
    objective, direction = metrics.tuning_objective(tuning["objective"])
    trainer.hyperparameters = {**trainer.hyperparameters, "eval_metric": tuning["objective"]}
    tuner = HyperparameterTuner(
        model_trainer=trainer,
        objective_metric_name=objective,
        objective_type=direction,
        hyperparameter_ranges={item["name"]: parameter_range(item) for item in tuning["ranges"]},
        max_jobs=1,  # both bound to parameters below
        max_parallel_jobs=1,
        strategy="Bayesian",
        base_tuning_job_name=f"{context.pipeline_name}-hpo"[:20],
    )
    step = TuningStep("Tune", step_args=tuner.tune(inputs=inputs))
    limits = "HyperParameterTuningJobConfig.ResourceLimits"
    context.bind(step.name, f"{limits}.MaxNumberOfTrainingJobs", TUNING_MAX_JOBS)
    context.bind(step.name, f"{limits}.MaxParallelTrainingJobs", TUNING_MAX_PARALLEL_JOBS)
    bucket, _, prefix = models_uri(context).removeprefix("s3://").partition("/")
    return step, step.get_top_model_s3_uri(top_k=0, s3_bucket=bucket, prefix=prefix)


def parameter_range(item: Mapping[str, Any]) -> ParameterRange:
    if item["type"] == "categorical":
        return CategoricalParameter(list(item["values"]))
    if item["type"] == "integer":
        return IntegerParameter(int(item["min"]), int(item["max"]))
    return ContinuousParameter(float(item["min"]), float(item["max"]))
