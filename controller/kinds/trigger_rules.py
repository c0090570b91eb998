"""Which EventBridge rules git implies, with their event patterns and targets: the desired side of `trigger`.

`controller.kinds.trigger` calls `desired_rules(state)` and manages what it returns. Per deployment:
new data in the training input starts the training pipeline; a failed pipeline execution notifies the topic;
a failed model quality check starts re-tuning (directly when the training pipeline is in the same account and
region, else through the training environment's default event bus and a receiving rule there); a new version
awaiting approval notifies the topic. Version events are emitted only in the registry account and region, so
that rule lives in the environment that shares them and trains the group (the usual dev layout). In other
layouts (a shared-services registry account that is no environment) smgitops creates no approval rule: put the
same pattern on the registry account's default bus, targeting the training environment's bus, where a rule with
that pattern and this module's input transformer notifies the topic. S3 sends `Object Created` events only
from buckets with EventBridge notifications turned on; the data bucket's owner turns them on.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from controller.desired.model import Deployment, DesiredState, Environment
from controller.kinds.arns import default_bus_arn, pipeline_arn, topic_arn
from controller.pipelines.parameters import MODEL_QUALITY_STEP

RULE_PREFIX = "smgitops-"
MAX_RULE_NAME = 64
EXECUTION_STATUS_CHANGE = "SageMaker Model Building Pipeline Execution Status Change"
STEP_STATUS_CHANGE = "SageMaker Model Building Pipeline Execution Step Status Change"
PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"


@dataclass(frozen=True)
class RuleSpec:
    """One desired rule: where it lives, which file declares it, and its spec."""

    name: str
    environment: str
    deployment: Deployment
    spec: dict[str, Any]
    breadcrumb: str


def rule_name(*parts: str) -> str:
    """`smgitops-<parts>`; names past 64 characters keep a readable head and end in a stable hash."""
    cleaned = "-".join(re.sub(r"[^A-Za-z0-9._-]+", "-", part) for part in parts)
    name = RULE_PREFIX + cleaned
    if len(name) <= MAX_RULE_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    return f"{name[: MAX_RULE_NAME - len(digest) - 1]}-{digest}"


def desired_rules(state: DesiredState) -> list[RuleSpec]:
    rules: dict[tuple[str, str], RuleSpec] = {}
    retuners = _retuners_by_model(state)
    for deployment in sorted(state.deployments, key=lambda item: item.source):
        for rule in _rules_of(state, deployment, retuners.get(deployment.model, ())):
            rules.setdefault((rule.environment, rule.name), rule)
    return list(rules.values())


def _rules_of(state: DesiredState, deployment: Deployment, retuners: Sequence[Deployment]) -> list[RuleSpec]:
    environment = state.environments[deployment.environment]
    rules = [
        _new_data_rule(environment, deployment),
        _failure_rule(environment, deployment),
        _approval_rule(state, environment, deployment),
    ]
    rules.extend(_retune_rules(state, environment, deployment, _retune_trainer(deployment, retuners)))
    return [rule for rule in rules if rule is not None]


def _new_data_rule(environment: Environment, deployment: Deployment) -> RuleSpec | None:
    training = deployment.training
    if training is None or not training.on_new_data:
        return None
    bucket, _, key_prefix = training.input.removeprefix("s3://").partition("/")
    detail: dict[str, Any] = {"bucket": {"name": [bucket]}}
    if key_prefix:
        detail["object"] = {"key": [{"prefix": key_prefix}]}
    pattern = {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": detail}
    target = _pipeline_target(environment, training.pipeline)
    name = rule_name(environment.name, deployment.model, "new-data")
    return RuleSpec(name, environment.name, deployment, _spec(pattern, [target]), "training.onNewData")


def _failure_rule(environment: Environment, deployment: Deployment) -> RuleSpec | None:
    if deployment.notifications is None:
        return None
    pipelines = [deployment.batch_inference.pipeline]
    if deployment.training is not None:
        pipelines.append(deployment.training.pipeline)
    pattern = {
        "source": ["aws.sagemaker"],
        "detail-type": [EXECUTION_STATUS_CHANGE],
        "detail": {
            "currentPipelineExecutionStatus": ["Failed"],
            "pipelineArn": sorted(pipeline_arn(environment, name) for name in pipelines),
        },
    }
    message = (
        f"smgitops: {environment.name}/{deployment.model}: pipeline <pipeline> failed "
        f"(execution <execution>)"
    )
    paths = {"execution": "$.detail.pipelineExecutionArn", "pipeline": "$.detail.pipelineArn"}
    target = _notify_target(environment, deployment, paths, message)
    name = rule_name(environment.name, deployment.model, "pipeline-failed")
    return RuleSpec(name, environment.name, deployment, _spec(pattern, [target]), "notifications")


def _approval_rule(state: DesiredState, environment: Environment, deployment: Deployment) -> RuleSpec | None:
    if deployment.training is None or deployment.notifications is None:
        return None
    if not state.sees_version_events(environment.name):
        return None
    pattern = {
        "source": ["aws.sagemaker"],
        "detail-type": [PACKAGE_STATE_CHANGE],
        "detail": {
            "ModelApprovalStatus": ["PendingManualApproval"],
            "ModelPackageGroupName": [deployment.model_package_group],
        },
    }
    message = (
        f"smgitops: {deployment.model_package_group} version <version> awaits approval (<package>). "
        f"To approve it in {environment.name}, merge the change `approvedVersion: <version>` "
        f"in {deployment.source}"
    )
    paths = {"package": "$.detail.ModelPackageArn", "version": "$.detail.ModelPackageVersion"}
    target = _notify_target(environment, deployment, paths, message)
    name = rule_name(environment.name, deployment.model, "awaiting-approval")
    return RuleSpec(name, environment.name, deployment, _spec(pattern, [target]), "notifications")


def _notify_target(
    environment: Environment, deployment: Deployment, paths: dict[str, str], message: str
) -> dict[str, Any]:
    """The deployment's topic, receiving `message` with `<name>` filled from the event at `paths[name]`."""
    transformer = {"inputPathsMap": paths, "inputTemplate": json.dumps(message)}
    return {"id": "notify", "arn": topic_arn(environment, deployment.notifications.topic),
            "inputTransformer": transformer}


def _retune_rules(
    state: DesiredState, environment: Environment, deployment: Deployment, trainer: Deployment | None
) -> list[RuleSpec]:
    if trainer is None or deployment.batch_inference.ground_truth is None:
        return []
    training_environment = state.environments[trainer.environment]
    assert trainer.training is not None
    pattern = {
        "source": ["aws.sagemaker"],
        "detail-type": [STEP_STATUS_CHANGE],
        "detail": {
            "currentStepStatus": ["Failed"],
            "pipelineArn": [pipeline_arn(environment, deployment.batch_inference.pipeline)],
            "stepName": [MODEL_QUALITY_STEP],
        },
    }
    name = rule_name(environment.name, deployment.model, "retune")
    breadcrumb = "batchInference.groundTruth"
    training_target = _pipeline_target(training_environment, trainer.training.pipeline)
    if _same_place(environment, training_environment):
        return [RuleSpec(name, environment.name, deployment, _spec(pattern, [training_target]), breadcrumb)]
    forward = {"id": "training-bus", "arn": default_bus_arn(training_environment),
               "roleArn": environment.scheduler_role}
    receiving_pattern = {"account": [environment.account], **pattern}
    receiving_spec = _spec(receiving_pattern, [training_target])
    if environment.account != training_environment.account:
        receiving_spec["acceptFrom"] = environment.account
    receiving_name = rule_name(training_environment.name, deployment.model, "retune-from", environment.name)
    return [
        RuleSpec(name, environment.name, deployment, _spec(pattern, [forward]), breadcrumb),
        RuleSpec(receiving_name, training_environment.name, deployment, receiving_spec, breadcrumb),
    ]


def _retuners_by_model(state: DesiredState) -> dict[str, list[Deployment]]:
    """Per model, the deployments whose training pipeline re-tunes on a model quality failure."""
    retuners: dict[str, list[Deployment]] = defaultdict(list)
    for item in state.deployments:
        if item.training is not None and item.training.retune_on_model_quality_failure:
            retuners[item.model].append(item)
    return retuners


def _retune_trainer(deployment: Deployment, retuners: Sequence[Deployment]) -> Deployment | None:
    """The deployment whose training pipeline re-tunes this model: this one if it qualifies, else the first."""
    if deployment in retuners:
        return deployment
    return min(retuners, key=lambda item: item.environment, default=None)


def _same_place(first: Environment, second: Environment) -> bool:
    return (first.account, first.region) == (second.account, second.region)


def _pipeline_target(environment: Environment, pipeline: str) -> dict[str, Any]:
    return {"id": "training-pipeline", "arn": pipeline_arn(environment, pipeline),
            "roleArn": environment.scheduler_role}


def _spec(pattern: dict[str, Any], targets: list[dict[str, Any]]) -> dict[str, Any]:
    return {"pattern": pattern, "state": "ENABLED", "targets": sorted(targets, key=lambda target: target["id"])}
