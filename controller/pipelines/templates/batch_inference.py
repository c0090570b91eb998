"""Built-in `batch-inference` template: check the new data, score it with the approved version, check quality.

Steps: `ResolveBaseline` reads, at run time, the data quality baseline registered with the model package in
the `ModelPackageArn` parameter (so the check always uses the baseline of the version that scores, whatever
ARN an execution is started with); `DataQualityCheck` (Model Monitor) compares the input with it;
`DataQualityGate` counts the violations; `CheckDataQuality` goes on when they are at most
`MaxDataQualityViolations`, else `DataQualityFailed` says how many and which. Then `CreateModel` from the
package, `BatchTransform`, and, when the deployment configures ground truth and a model quality threshold,
`ModelQualityCheck`, which fails (by that stable name, for event rules) when the metric breaks the threshold.
"""

from __future__ import annotations

from typing import Any

from sagemaker.core.model_monitor import DatasetFormat
from sagemaker.core.transformer import Transformer
from sagemaker.core.workflow.conditions import ConditionLessThanOrEqualTo
from sagemaker.core.workflow.execution_variables import ExecutionVariables
from sagemaker.core.workflow.functions import Join, JsonGet
from sagemaker.core.workflow.properties import PropertyFile
from sagemaker.mlops.workflow.check_job_config import CheckJobConfig
from sagemaker.mlops.workflow.condition_step import ConditionStep
from sagemaker.mlops.workflow.fail_step import FailStep
from sagemaker.mlops.workflow.quality_check_step import DataQualityCheckConfig, QualityCheckStep
from sagemaker.mlops.workflow.steps import ProcessingStep, TransformStep

from controller.pipelines.context import TemplateContext
from controller.pipelines.metrics import threshold_parameter
from controller.pipelines.parameters import (
    GROUND_TRUTH_S3_URI,
    INPUT_S3_URI,
    INSTANCE_COUNT,
    INSTANCE_TYPE,
    MAX_DATA_QUALITY_VIOLATIONS,
    MODEL_PACKAGE_ARN,
    MODEL_QUALITY_PREFIX,
    MODEL_QUALITY_STEP,
    OUTPUT_S3_URI,
)
from controller.pipelines.scripts import verdicts
from controller.pipelines.sdk_steps import CreateModelStep
from controller.pipelines.templates._common import (
    EXIT_MESSAGE_FILE,
    INPUT_ROOT,
    OUTPUT_ROOT,
    s3_input,
    s3_output,
    script_step,
)


def build(context: TemplateContext) -> list[Any]:
    resolve, baseline = _resolve_baseline(context)
    check = _data_quality_check(context, resolve, baseline)
    gate, verdict = _data_quality_gate(context, check)
    create = CreateModelStep(
        "CreateModel", role=context.role, container={"ModelPackageName": context.parameter(MODEL_PACKAGE_ARN)}
    )
    transform = _batch_transform(context, create)
    scoring: list[Any] = [create, transform]
    if context.options.get("model_quality"):
        scoring.append(_model_quality_check(context, transform))
    failed = FailStep(
        "DataQualityFailed",
        error_message=Join(
            on="",
            values=[
                "Data quality check failed: ",
                JsonGet(step_name=gate.name, property_file=verdict, json_path="summary"),
                " against the baseline registered with ",
                context.parameter(MODEL_PACKAGE_ARN),
                "; at most MaxDataQualityViolations (",
                context.parameter(MAX_DATA_QUALITY_VIOLATIONS),
                ") are allowed",
            ],
        ),
    )
    decide = ConditionStep(
        "CheckDataQuality",
        conditions=[
            ConditionLessThanOrEqualTo(
                left=JsonGet(step_name=gate.name, property_file=verdict, json_path="violations"),
                right=context.parameter(MAX_DATA_QUALITY_VIOLATIONS),
            )
        ],
        if_steps=scoring,
        else_steps=[failed],
    )
    return [resolve, check, gate, decide]


def _resolve_baseline(context: TemplateContext) -> tuple[ProcessingStep, PropertyFile]:
    baseline = PropertyFile(name="Baseline", output_name="baseline", path="baseline.json")
    step = script_step(
        context,
        "ResolveBaseline",
        "resolve_baseline.py",
        outputs=[s3_output("baseline", context.run_uri("baseline"), f"{OUTPUT_ROOT}/baseline")],
        arguments=[
            "--model-package-arn",
            context.parameter(MODEL_PACKAGE_ARN),
            "--output",
            f"{OUTPUT_ROOT}/baseline/baseline.json",
            "--exit-message",
            EXIT_MESSAGE_FILE,
        ],
        property_files=[baseline],
    )
    return step, baseline


def _data_quality_check(context: TemplateContext, resolve: ProcessingStep, baseline: PropertyFile) -> Any:
    return QualityCheckStep(
        name="DataQualityCheck",
        quality_check_config=DataQualityCheckConfig(
            baseline_dataset=context.parameter(INPUT_S3_URI),
            dataset_format=DatasetFormat.csv(header=False),
            output_s3_uri=context.run_uri("data-quality"),
        ),
        check_job_config=CheckJobConfig(
            role=context.role,
            instance_count=1,
            instance_type=context.parameter(INSTANCE_TYPE),
            sagemaker_session=context.session,
        ),
        skip_check=False,
        fail_on_violation=False,
        register_new_baseline=False,
        supplied_baseline_statistics=JsonGet(step_name=resolve.name, property_file=baseline, json_path="statistics"),
        supplied_baseline_constraints=JsonGet(step_name=resolve.name, property_file=baseline, json_path="constraints"),
    )


def _data_quality_gate(context: TemplateContext, check: Any) -> tuple[ProcessingStep, PropertyFile]:
    verdict = PropertyFile(name="DataQuality", output_name="verdict", path=verdicts.DATA_QUALITY_FILE)
    step = script_step(
        context,
        "DataQualityGate",
        "data_quality_gate.py",
        inputs=[s3_input("check", context.run_uri("data-quality"), f"{INPUT_ROOT}/check")],
        outputs=[s3_output("verdict", context.run_uri(verdicts.DATA_QUALITY_OUTPUT), f"{OUTPUT_ROOT}/verdict")],
        arguments=[
            "--check-output",
            f"{INPUT_ROOT}/check",
            "--output",
            f"{OUTPUT_ROOT}/verdict/{verdicts.DATA_QUALITY_FILE}",
            "--max-violations",
            context.parameter(MAX_DATA_QUALITY_VIOLATIONS).to_string(),
        ],
        property_files=[verdict],
        depends_on=[check],
    )
    return step, verdict


def _batch_transform(context: TemplateContext, create: CreateModelStep) -> TransformStep:
    transformer = Transformer(
        model_name=create.properties.ModelName,
        instance_count=1,  # bound to the InstanceCount parameter below
        instance_type=context.parameter(INSTANCE_TYPE),
        output_path=Join(on="/", values=[context.parameter(OUTPUT_S3_URI), ExecutionVariables.PIPELINE_EXECUTION_ID]),
        accept="text/csv",
        assemble_with="Line",
        strategy="MultiRecord",
        sagemaker_session=context.session,
    )
    step_args = transformer.transform(data=context.parameter(INPUT_S3_URI), content_type="text/csv", split_type="Line")
    context.bind("BatchTransform", "TransformResources.InstanceCount", INSTANCE_COUNT)
    return TransformStep("BatchTransform", step_args=step_args)


def _model_quality_check(context: TemplateContext, transform: TransformStep) -> ProcessingStep:
    threshold = context.options["model_quality"]
    bounds: list[Any] = []
    for bound in threshold["bounds"]:
        name = threshold_parameter(MODEL_QUALITY_PREFIX, bound, threshold["metric"])
        bounds += [f"--{bound}", context.parameter(name).to_string()]
    return script_step(
        context,
        MODEL_QUALITY_STEP,
        "model_quality.py",
        inputs=[
            s3_input("predictions", transform.properties.TransformOutput.S3OutputPath, f"{INPUT_ROOT}/predictions"),
            s3_input("ground_truth", context.parameter(GROUND_TRUTH_S3_URI), f"{INPUT_ROOT}/ground_truth"),
        ],
        outputs=[s3_output("report", context.run_uri(verdicts.MODEL_QUALITY_OUTPUT), f"{OUTPUT_ROOT}/report")],
        arguments=[
            "--predictions",
            f"{INPUT_ROOT}/predictions",
            "--ground-truth",
            f"{INPUT_ROOT}/ground_truth",
            "--metric",
            threshold["metric"],
            *bounds,
            "--report",
            f"{OUTPUT_ROOT}/report/{verdicts.MODEL_QUALITY_FILE}",
            "--exit-message",
            EXIT_MESSAGE_FILE,
        ],
    )
