"""Building blocks the built-in templates share: script steps, S3 inputs and outputs, threshold conditions.

A script step runs one of `controller/pipelines/scripts/*.py` on the scikit-learn processing image; the
whole scripts directory is mounted as its code, under one content-addressed prefix, so scripts can import
each other. Threshold conditions and failure messages are built from the structural `metric`/`bounds`
option and the threshold parameters (`RegisterMaxMse`), so the definition reads like the deployment file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sagemaker.core.processing import Processor
from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output
from sagemaker.core.workflow.conditions import ConditionGreaterThanOrEqualTo, ConditionLessThanOrEqualTo
from sagemaker.core.workflow.functions import Join, JsonGet
from sagemaker.core.workflow.properties import PropertyFile
from sagemaker.mlops.workflow.steps import ProcessingStep

from controller.pipelines import metrics
from controller.pipelines.context import TemplateContext
from controller.pipelines.parameters import INSTANCE_TYPE, SCRIPTS_DIR

SKLEARN_VERSION = "1.2-1"
XGBOOST_VERSION = "1.7-1"
CODE_PATH = "/opt/ml/processing/input/code"
INPUT_ROOT = "/opt/ml/processing/input"
OUTPUT_ROOT = "/opt/ml/processing/output"
EXIT_MESSAGE_FILE = "/opt/ml/output/message"
"""SageMaker copies this file into the processing job's ExitMessage, so a failure says why."""


def script_step(
    context: TemplateContext,
    name: str,
    script: str,
    *,
    inputs: Sequence[ProcessingInput] = (),
    outputs: Sequence[ProcessingOutput] = (),
    arguments: Sequence[Any] = (),
    property_files: Sequence[PropertyFile] = (),
    depends_on: Sequence[Any] = (),
) -> ProcessingStep:
    """A processing step running `scripts/<script>` with python3 on the scikit-learn image."""
    processor = Processor(
        role=context.role,
        image_uri=context.image_uri("sklearn", SKLEARN_VERSION),
        instance_count=1,
        instance_type=context.parameter(INSTANCE_TYPE),
        entrypoint=["python3", f"{CODE_PATH}/{script}"],
        base_job_name=name,
        sagemaker_session=context.session,
    )
    code = s3_input("code", context.code(SCRIPTS_DIR), CODE_PATH)
    step_args = processor.run(inputs=[*inputs, code], outputs=list(outputs), arguments=list(arguments))
    return ProcessingStep(
        name=name,
        step_args=step_args,
        property_files=list(property_files),
        depends_on=list(depends_on) or None,
    )


def s3_input(name: str, uri: Any, local_path: str) -> ProcessingInput:
    return ProcessingInput(
        input_name=name,
        s3_input=ProcessingS3Input(
            s3_uri=uri,
            local_path=local_path,
            s3_data_type="S3Prefix",
            s3_input_mode="File",
            s3_data_distribution_type="FullyReplicated",
        ),
    )


def s3_output(name: str, uri: Any, local_path: str) -> ProcessingOutput:
    return ProcessingOutput(
        output_name=name,
        s3_output=ProcessingS3Output(s3_uri=uri, local_path=local_path, s3_upload_mode="EndOfJob"),
    )


def output_uri(step: ProcessingStep, output_name: str) -> Any:
    return step.properties.ProcessingOutputConfig.Outputs[output_name].S3Output.S3Uri


def threshold_conditions(
    context: TemplateContext, prefix: str, threshold: Mapping[str, Any], value: JsonGet
) -> list[Any]:
    """`value <= <prefix>Max<Metric>` and/or `value >= <prefix>Min<Metric>`, per the option's bounds."""
    conditions = []
    for bound in threshold["bounds"]:
        parameter = context.parameter(metrics.threshold_parameter(prefix, bound, threshold["metric"]))
        condition = ConditionLessThanOrEqualTo if bound == "max" else ConditionGreaterThanOrEqualTo
        conditions.append(condition(left=value, right=parameter))
    return conditions


def threshold_message(
    context: TemplateContext, prefix: str, threshold: Mapping[str, Any], value: JsonGet, *, lead: str
) -> Join:
    """`<lead>: mse 12.3 must be <= RegisterMaxMse (10.0)`, with values filled in at run time."""
    parts: list[Any] = [f"{lead}: {threshold['metric']} ", value, " must be"]
    for index, bound in enumerate(threshold["bounds"]):
        name = metrics.threshold_parameter(prefix, bound, threshold["metric"])
        symbol = "<=" if bound == "max" else ">="
        joiner = " and" if index else ""
        parts += [f"{joiner} {symbol} {name} (", context.parameter(name), ")"]
    return Join(on="", values=parts)


def report_value(step: ProcessingStep, report: PropertyFile, metric: str) -> JsonGet:
    return JsonGet(step_name=step.name, property_file=report, json_path=metrics.report_path(metric))
