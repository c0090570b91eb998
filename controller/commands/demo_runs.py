"""Pipeline runs on the emulator, left behind as real runs leave them: the demo and the tests share this.

The emulator records executions but runs no steps. `record_run` starts an execution the way a schedule does
(StartPipelineExecution), writes the verdict files the `DataQualityGate` and `ModelQualityCheck` steps would
have written (the shapes of `controller.pipelines.scripts.verdicts`, at the places the template gives them)
and gives the execution the outcome those verdicts imply: a broken threshold fails the run with the reason
SageMaker would report.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from controller.aws.emulator import put_json, set_execution_outcome
from controller.desired.model import Deployment, DesiredState
from controller.pipelines.scripts import verdicts


def record_run(
    clients: Any,
    state: DesiredState,
    deployment: Deployment,
    *,
    started: datetime,
    minutes: float = 14,
    violations: int | None = 0,
    metric_value: float | None = None,
    training: bool = False,
    status: str | None = None,
) -> str:
    """One finished run of the deployment's batch inference (or training) pipeline; returns its ARN.

    `violations` None: the run stopped before the data quality gate. `metric_value` None: no model quality
    report (no ground truth, or stopped earlier). `status` overrides the outcome the verdicts imply.
    """
    environment = state.environments[deployment.environment]
    pipeline = deployment.training.pipeline if training and deployment.training else deployment.batch_inference.pipeline
    sagemaker = clients.client("sagemaker", environment.target)
    arn = sagemaker.start_pipeline_execution(PipelineName=pipeline)["PipelineExecutionArn"]
    reason = None
    if not training:
        reason = _write_verdicts(clients, environment, deployment, pipeline, arn, violations, metric_value)
    outcome = status or ("Failed" if reason else "Succeeded")
    set_execution_outcome(
        arn,
        status=outcome,
        started=started,
        ended=started + timedelta(minutes=minutes),
        failure_reason=reason if outcome == "Failed" else None,
    )
    return arn


def _write_verdicts(clients, environment, deployment, pipeline, arn, violations, metric_value) -> str | None:
    """Write what the steps would; return the failure reason when a threshold is broken."""
    if violations is None:
        return None
    execution_id = arn.rsplit("/", 1)[-1]
    limit = deployment.thresholds.data_quality_max_violations
    details = [f"feature_{index} data_type_check" for index in range(violations)]
    summary = f"{violations} violation{'s' if violations != 1 else ''}" + (f": {'; '.join(details)}" if details else "")
    if not violations:
        summary = "no violations"
    data_quality = verdicts.data_quality_document(details, summary=summary, max_violations=limit)
    _put(clients, environment, verdicts.data_quality_uri(environment.artifacts, pipeline, execution_id), data_quality)
    if violations > limit:
        return (
            f"Data quality check failed: {summary} against the baseline registered with "
            f"{deployment.model_package_group} version {deployment.approved_version}; at most {limit} are allowed"
        )
    threshold = deployment.thresholds.model_quality
    if metric_value is None or threshold is None:
        return None
    section = verdicts.threshold_section(threshold.metric, metric_value, maximum=threshold.max, minimum=threshold.min)
    report = {"regression_metrics": {threshold.metric: {"value": metric_value}}, "record_count": 500,
              verdicts.THRESHOLD: section}
    _put(clients, environment, verdicts.model_quality_uri(environment.artifacts, pipeline, execution_id), report)
    if section[verdicts.PASSED]:
        return None
    if threshold.max is not None and metric_value > threshold.max:
        bound = f"above the maximum {threshold.max:g}"
    else:
        bound = f"below the minimum {threshold.min:g}"
    value = f"{threshold.metric} {metric_value:.6g}"
    return f"Step ModelQualityCheck failed: model quality: {value} is {bound} (500 records)"


def _put(clients, environment, uri: str, document: dict) -> None:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    put_json(clients, environment.target, bucket=bucket, key=key, document=document)
