"""The graph `training` and `training-hpo` share; they differ only in how the model is trained.

Preprocess → train (a `TrainingStep`, or a `TuningStep` whose best job's model is used) → CreateCandidateModel
→ PredictTestSet (batch transform of the held-out features) → Evaluate (predictions against labels, report as
a property file) → DataQualityBaseline (Model Monitor statistics and constraints, registered as the new
baseline) → CheckRegisterThreshold → RegisterModel (`PendingManualApproval`, with the evaluation as model
metrics and the baseline as drift-check baselines), else RegisterThresholdMissed names the metric and bound.
Evaluating through batch transform keeps the evaluation script free of any model library.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sagemaker.core.drift_check_baselines import DriftCheckBaselines
from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
from sagemaker.core.model_monitor import DatasetFormat
from sagemaker.core.training.configs import Compute, InputData, OutputDataConfig
from sagemaker.core.transformer import Transformer
from sagemaker.core.workflow.execution_variables import ExecutionVariables
from sagemaker.core.workflow.functions import Join
from sagemaker.core.workflow.properties import PropertyFile
from sagemaker.mlops.workflow.check_job_config import CheckJobConfig
from sagemaker.mlops.workflow.condition_step import ConditionStep
from sagemaker.mlops.workflow.fail_step import FailStep
from sagemaker.mlops.workflow.quality_check_step import DataQualityCheckConfig, QualityCheckStep
from sagemaker.mlops.workflow.steps import ProcessingStep, TransformStep
from sagemaker.train.model_trainer import ModelTrainer

from controller.pipelines import metrics
from controller.pipelines.context import TemplateContext
from controller.pipelines.parameters import (
    INSTANCE_TYPE,
    MODEL_PACKAGE_GROUP,
    REGISTER_PREFIX,
    TRAINING_INPUT_S3_URI,
)
from controller.pipelines.sdk_steps import CreateModelStep, RegisterModelStep
from controller.pipelines.templates._common import (
    INPUT_ROOT,
    OUTPUT_ROOT,
    XGBOOST_VERSION,
    output_uri,
    report_value,
    s3_input,
    s3_output,
    script_step,
    threshold_conditions,
    threshold_message,
)

PREPROCESS_OUTPUTS = ("train", "validation", "test_features", "test_labels", "baseline")
STATIC_HYPERPARAMETERS = {"num_round": 100, "max_depth": 5, "eta": 0.2, "subsample": 0.8}

Trainer = Callable[[TemplateContext, ModelTrainer, list[InputData]], tuple[Any, Any]]
"""Given the trainer and its inputs, return (training or tuning step, S3 URI of the model to register)."""


def build_training(context: TemplateContext, train: Trainer) -> list[Any]:
    threshold = context.options["register"]
    preprocess = _preprocess(context)
    image = context.image_uri("xgboost", XGBOOST_VERSION)
    inputs = [
        InputData(channel_name=name, data_source=output_uri(preprocess, name), content_type="text/csv")
        for name in ("train", "validation")
    ]
    training_step, model_data = train(context, model_trainer(context, image, threshold["metric"]), inputs)
    candidate = CreateModelStep(
        "CreateCandidateModel", role=context.role, container={"Image": image, "ModelDataUrl": model_data}
    )
    predict = _predict_test_set(context, candidate, preprocess)
    evaluate, report = _evaluate(context, predict, preprocess, threshold["metric"])
    baseline = _data_quality_baseline(context, preprocess, evaluate)
    value = report_value(evaluate, report, threshold["metric"])
    register = _register(context, image=image, model_data=model_data, evaluate=evaluate, baseline=baseline)
    missed = FailStep(
        "RegisterThresholdMissed",
        error_message=threshold_message(context, REGISTER_PREFIX, threshold, value, lead="Model not registered"),
    )
    decide = ConditionStep(
        "CheckRegisterThreshold",
        conditions=threshold_conditions(context, REGISTER_PREFIX, threshold, value),
        if_steps=[register],
        else_steps=[missed],
    )
    return [preprocess, training_step, candidate, predict, evaluate, baseline, decide]


def model_trainer(context: TemplateContext, image: str, metric: str) -> ModelTrainer:
    """The built-in XGBoost algorithm, with the objective of the metric's problem type."""
    problem_type = metrics.problem_type(metric)
    hyperparameters = {**STATIC_HYPERPARAMETERS, "objective": metrics.XGBOOST_OBJECTIVES[problem_type]}
    return ModelTrainer(
        training_image=image,
        role=context.role,
        base_job_name=f"{context.pipeline_name}-train"[:30],
        compute=Compute(instance_type=context.parameter(INSTANCE_TYPE), instance_count=1),
        hyperparameters=hyperparameters,
        output_data_config=OutputDataConfig(s3_output_path=models_uri(context)),
        sagemaker_session=context.session,
    )


def models_uri(context: TemplateContext) -> str:
    """Where training jobs write model artifacts; the job name keeps runs apart."""
    return f"{context.artifacts}runs/{context.pipeline_name}/models"


def _preprocess(context: TemplateContext) -> ProcessingStep:
    return script_step(
        context,
        "Preprocess",
        "preprocess.py",
        inputs=[s3_input("raw", context.parameter(TRAINING_INPUT_S3_URI), f"{INPUT_ROOT}/raw")],
        outputs=[
            s3_output(name, context.run_uri("preprocess", name), f"{OUTPUT_ROOT}/{name}") for name in PREPROCESS_OUTPUTS
        ],
        arguments=["--input", f"{INPUT_ROOT}/raw", "--output", OUTPUT_ROOT],
    )


def _predict_test_set(
    context: TemplateContext, candidate: CreateModelStep, preprocess: ProcessingStep
) -> TransformStep:
    transformer = Transformer(
        model_name=candidate.properties.ModelName,
        instance_count=1,
        instance_type=context.parameter(INSTANCE_TYPE),
        output_path=context.run_uri("test-predictions"),
        accept="text/csv",
        assemble_with="Line",
        strategy="MultiRecord",
        sagemaker_session=context.session,
    )
    step_args = transformer.transform(
        data=output_uri(preprocess, "test_features"), content_type="text/csv", split_type="Line"
    )
    return TransformStep("PredictTestSet", step_args=step_args)


def _evaluate(
    context: TemplateContext, predict: TransformStep, preprocess: ProcessingStep, metric: str
) -> tuple[ProcessingStep, PropertyFile]:
    report = PropertyFile(name="Evaluation", output_name="evaluation", path="evaluation.json")
    step = script_step(
        context,
        "Evaluate",
        "evaluate.py",
        inputs=[
            s3_input("predictions", predict.properties.TransformOutput.S3OutputPath, f"{INPUT_ROOT}/predictions"),
            s3_input("labels", output_uri(preprocess, "test_labels"), f"{INPUT_ROOT}/labels"),
        ],
        outputs=[s3_output("evaluation", context.run_uri("evaluation"), f"{OUTPUT_ROOT}/evaluation")],
        arguments=[
            "--predictions",
            f"{INPUT_ROOT}/predictions",
            "--labels",
            f"{INPUT_ROOT}/labels",
            "--problem-type",
            metrics.problem_type(metric),
            "--report",
            f"{OUTPUT_ROOT}/evaluation/evaluation.json",
        ],
        property_files=[report],
    )
    return step, report


def _data_quality_baseline(
    context: TemplateContext, preprocess: ProcessingStep, evaluate: ProcessingStep
) -> QualityCheckStep:
    return QualityCheckStep(
        name="DataQualityBaseline",
        quality_check_config=DataQualityCheckConfig(
            baseline_dataset=output_uri(preprocess, "baseline"),
            dataset_format=DatasetFormat.csv(header=False),
            output_s3_uri=context.run_uri("data-quality-baseline"),
        ),
        check_job_config=CheckJobConfig(
            role=context.role,
            instance_count=1,
            instance_type=context.parameter(INSTANCE_TYPE),
            sagemaker_session=context.session,
        ),
        skip_check=True,
        register_new_baseline=True,
        model_package_group_name=context.parameter(MODEL_PACKAGE_GROUP),
        depends_on=[evaluate],
    )


def _register(
    context: TemplateContext, *, image: str, model_data: Any, evaluate: ProcessingStep, baseline: QualityCheckStep
) -> RegisterModelStep:
    evaluation_uri = Join(on="/", values=[output_uri(evaluate, "evaluation"), "evaluation.json"])
    properties = baseline.properties
    return RegisterModelStep(
        "RegisterModel",
        group=context.parameter(MODEL_PACKAGE_GROUP),
        image_uri=image,
        model_data=model_data,
        content_types=["text/csv"],
        model_metrics=ModelMetrics(
            model_statistics=MetricsSource(content_type="application/json", s3_uri=evaluation_uri),
            model_data_statistics=_json(properties.CalculatedBaselineStatistics),
            model_data_constraints=_json(properties.CalculatedBaselineConstraints),
        ),
        drift_check_baselines=DriftCheckBaselines(
            model_data_statistics=_json(properties.BaselineUsedForDriftCheckStatistics),
            model_data_constraints=_json(properties.BaselineUsedForDriftCheckConstraints),
        ),
        customer_metadata={
            "smgitops/pipeline": context.pipeline_name,
            "smgitops/execution": ExecutionVariables.PIPELINE_EXECUTION_ARN,
        },
    )


def _json(uri: Any) -> MetricsSource:
    return MetricsSource(content_type="application/json", s3_uri=uri)
