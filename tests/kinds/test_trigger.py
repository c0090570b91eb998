"""The `trigger` kind: EventBridge rules and targets, planned from git and converged on the emulator.

The emulator (moto 5.2) stores rules, targets, tags and the default bus policy faithfully, but TestEventPattern
answers with an empty body (no `Result`), and its event delivery differs from AWS: an event forwarded to another
account's bus takes the receiving account as `account`, bus policies are not enforced, and PutEvents fails with
HTTP 500 when a matching rule targets a SageMaker pipeline. So the event patterns are checked here with a small
EventBridge pattern matcher over realistic sample events, and the cross-account path is checked as
configuration: sending rule → training bus (with permission) → receiving rule → training pipeline.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers import converge, only

from controller.desired import load
from controller.desired.model import Deployment, DesiredState
from controller.engine.reconcile import make_plan, reconcile
from controller.kinds import trigger
from controller.kinds.base import MANAGED_TAG, REVISION_TAG, tags_to_dict
from controller.kinds.trigger_rules import MAX_RULE_NAME, rule_name

DEV, STAGING, PROD = "111111111111", "222222222222", "333333333333"
US = "us-east-1"
TRIGGER = only("trigger")


# --- the example desired state ------------------------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[2] / "desired_state"


def example_state(revision: str = "rev1") -> DesiredState:
    result = load(EXAMPLE, revision=revision)
    assert not result.problems, result.problems
    return result.state


def deployment(state: DesiredState, source: str) -> Deployment:
    (found,) = [item for item in state.deployments if item.source == source]
    return found


def without(state: DesiredState, *sources: str) -> DesiredState:
    kept = tuple(deployment for deployment in state.deployments if deployment.source not in sources)
    return replace(state, deployments=kept)


def rules_by_address(state: DesiredState) -> dict[str, Any]:
    return {resource.address: resource for resource in trigger.desired(state)}


def console(aws, state: DesiredState, environment: str):
    """The events client a person at the console of that environment's account would use."""
    return aws.client("events", state.environments[environment].target)


# --- a small EventBridge pattern matcher (the emulator has no TestEventPattern) ------------------------------

_ABSENT = object()


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """EventBridge semantics for what our rules use: nested fields, arrays as alternatives, `prefix`."""
    for key, condition in pattern.items():
        value = event.get(key, _ABSENT) if isinstance(event, dict) else _ABSENT
        if isinstance(condition, dict):
            if not isinstance(value, dict) or not matches(condition, value):
                return False
            continue
        values = value if isinstance(value, list) else [value]
        if not any(_matches_one(alternative, item) for alternative in condition for item in values):
            return False
    return True


def _matches_one(alternative: Any, value: Any) -> bool:
    if isinstance(alternative, dict):
        ((operator, argument),) = alternative.items()
        assert operator == "prefix", f"the test matcher does not know the `{operator}` operator"
        return isinstance(value, str) and value.startswith(argument)
    return value is not _ABSENT and alternative == value


def render(transformer: dict[str, Any], event: dict[str, Any]) -> Any:
    """What an input transformer delivers for `event` (JSON paths of the form `$.a.b`)."""
    text = transformer["inputTemplate"]
    for name, path in transformer["inputPathsMap"].items():
        value: Any = event
        for part in path.removeprefix("$.").split("."):
            value = value[part]
        text = text.replace(f"<{name}>", str(value))
    return json.loads(text)


def _pipeline_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:pipeline/{name}"


def s3_object_created(bucket: str, key: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": DEV,
        "time": "2024-06-01T12:00:00Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": 5, "etag": "b1946ac92492d2347c6235b4d2611184", "sequencer": "0062E99A88"},
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": DEV,
            "source-ip-address": "1.2.3.4",
            "reason": "PutObject",
        },
    }


def step_status(account: str, region: str, step: str, status: str) -> dict[str, Any]:
    pipeline_arn = _pipeline_arn(account, region, "churn-batch-inference")
    execution_arn = f"{pipeline_arn}/execution/4n3lcqbdrn5f"
    return {
        "version": "0",
        "id": "315c1398-40ff-a850-213b-158f73e60175",
        "detail-type": "SageMaker Model Building Pipeline Execution Step Status Change",
        "source": "aws.sagemaker",
        "account": account,
        "time": "2024-06-01T04:21:00Z",
        "region": region,
        "resources": [pipeline_arn, execution_arn],
        "detail": {
            "metadata": {"processingJob": {"arn": f"arn:aws:sagemaker:{region}:{account}:processing-job/p-1"}},
            "stepStartTime": "2024-06-01T04:10:00Z",
            "stepEndTime": "2024-06-01T04:21:00Z",
            "stepName": step,
            "stepType": "Processing",
            "previousStepStatus": "Executing",
            "currentStepStatus": status,
            "failureReason": "ClientError: model quality: mse 14.2 > 10.0" if status == "Failed" else None,
            "pipelineArn": pipeline_arn,
            "pipelineExecutionArn": execution_arn,
        },
    }


def execution_status(account: str, region: str, status: str, pipeline: str = "churn-batch-inference") -> dict[str, Any]:
    pipeline_arn = _pipeline_arn(account, region, pipeline)
    return {
        "version": "0",
        "id": "a2e7ddbf-2b43-4f53-9cd4-6a0c5a4e1f44",
        "detail-type": "SageMaker Model Building Pipeline Execution Status Change",
        "source": "aws.sagemaker",
        "account": account,
        "time": "2024-06-01T04:21:05Z",
        "region": region,
        "resources": [pipeline_arn, f"{pipeline_arn}/execution/4n3lcqbdrn5f"],
        "detail": {
            "executionStartTime": "2024-06-01T04:00:00Z",
            "executionEndTime": "2024-06-01T04:21:05Z",
            "pipelineExecutionDisplayName": "execution-1717214400000",
            "currentPipelineExecutionStatus": status,
            "previousPipelineExecutionStatus": "Executing",
            "pipelineExecutionDescription": "scheduled by smgitops",
            "pipelineArn": pipeline_arn,
            "pipelineExecutionArn": f"{pipeline_arn}/execution/4n3lcqbdrn5f",
        },
    }


def package_state(group: str, version: int, status: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "e5b7d4c5-8f3c-4a8b-9b1e-6f1f2f7d9c10",
        "detail-type": "SageMaker Model Package State Change",
        "source": "aws.sagemaker",
        "account": DEV,
        "time": "2024-06-01T09:00:00Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:sagemaker:us-east-1:{DEV}:model-package/{group}/{version}"],
        "detail": {
            "ModelPackageGroupName": group,
            "ModelPackageVersion": version,
            "ModelPackageArn": f"arn:aws:sagemaker:us-east-1:{DEV}:model-package/{group}/{version}",
            "CreationTime": 1717232400000,
            "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": status,
        },
    }


# --- what git implies ---------------------------------------------------------------------------------------


def test_every_environment_gets_the_rules_its_deployments_imply():
    assert sorted(rules_by_address(example_state())) == [
        "dev/trigger/smgitops-dev-churn-awaiting-approval",
        "dev/trigger/smgitops-dev-churn-new-data",
        "dev/trigger/smgitops-dev-churn-pipeline-failed",
        "dev/trigger/smgitops-dev-churn-retune",
        "dev/trigger/smgitops-dev-churn-retune-from-prod",
        "dev/trigger/smgitops-dev-churn-retune-from-staging",
        "prod/trigger/smgitops-prod-churn-pipeline-failed",
        "prod/trigger/smgitops-prod-churn-retune",
        "prod/trigger/smgitops-prod-ltv-pipeline-failed",
        "staging/trigger/smgitops-staging-churn-pipeline-failed",
        "staging/trigger/smgitops-staging-churn-retune",
        "staging/trigger/smgitops-staging-ltv-pipeline-failed",
    ]


def test_retune_goes_straight_to_the_training_pipeline_in_the_same_account_and_through_its_bus_otherwise():
    rules = rules_by_address(example_state())
    training = {
        "id": "training-pipeline",
        "arn": f"arn:aws:sagemaker:us-east-1:{DEV}:pipeline/churn-training",
        "roleArn": f"arn:aws:iam::{DEV}:role/smgitops-scheduler",
    }
    assert rules["dev/trigger/smgitops-dev-churn-retune"].spec["targets"] == [training]
    assert rules["prod/trigger/smgitops-prod-churn-retune"].spec["targets"] == [
        {
            "id": "training-bus",
            "arn": f"arn:aws:events:us-east-1:{DEV}:event-bus/default",
            "roleArn": f"arn:aws:iam::{PROD}:role/smgitops-scheduler",
        }
    ]
    receiving = rules["dev/trigger/smgitops-dev-churn-retune-from-prod"]
    assert receiving.source == "prod/churn.yaml"
    assert receiving.target.account == DEV
    assert receiving.spec["targets"] == [training]
    assert receiving.spec["acceptFrom"] == PROD
    assert receiving.spec["pattern"]["account"] == [PROD]


def test_rules_follow_the_deployment_sections_that_ask_for_them():
    state = example_state()
    dev, staging = deployment(state, "dev/churn.yaml"), deployment(state, "staging/churn.yaml")
    bare = replace(state, deployments=(replace(staging, notifications=None),))
    assert sorted(rules_by_address(bare)) == []
    no_retune = replace(dev.training, retune_on_model_quality_failure=False, on_new_data=False)
    trained = replace(state, deployments=(replace(dev, training=no_retune), staging))
    assert sorted(rules_by_address(trained)) == [
        "dev/trigger/smgitops-dev-churn-awaiting-approval",
        "dev/trigger/smgitops-dev-churn-pipeline-failed",
        "staging/trigger/smgitops-staging-churn-pipeline-failed",
    ]


def test_long_rule_names_are_shortened_to_a_stable_name_with_a_hash():
    long_name = rule_name("production-eu-central", "customer-lifetime-value-gradient-boosted", "retune-from", "qa")
    assert len(long_name) == MAX_RULE_NAME
    assert long_name.startswith("smgitops-production-eu-central-customer-lifetime")
    assert re.fullmatch(r"[A-Za-z0-9._-]+-[0-9a-f]{10}", long_name)
    assert long_name == rule_name("production-eu-central", "customer-lifetime-value-gradient-boosted", "retune-from",
                                  "qa")
    assert long_name != rule_name("production-eu-central", "customer-lifetime-value-gradient-boosted", "retune-from",
                                  "qb")


# --- the patterns match the events AWS sends ----------------------------------------------------------------

MQ = "ModelQualityCheck"
PATTERN_CASES = [
    ("smgitops-dev-churn-new-data", s3_object_created("acme-dev", "churn/training/2024-06-01.csv"), True),
    ("smgitops-dev-churn-new-data", s3_object_created("acme-dev", "churn/inference/2024-06-01.csv"), False),
    ("smgitops-dev-churn-new-data", s3_object_created("acme-prod", "churn/training/x.csv"), False),
    ("smgitops-staging-churn-retune", step_status(STAGING, US, MQ, "Failed"), True),
    ("smgitops-staging-churn-retune", step_status(STAGING, US, MQ, "Succeeded"), False),
    ("smgitops-staging-churn-retune", step_status(STAGING, US, "DataQualityCheck", "Failed"), False),
    ("smgitops-dev-churn-retune-from-prod", step_status(PROD, US, MQ, "Failed"), True),
    ("smgitops-dev-churn-retune-from-prod", step_status(STAGING, US, MQ, "Failed"), False),
    ("smgitops-dev-churn-retune", step_status(PROD, US, MQ, "Failed"), False),
    ("smgitops-dev-churn-retune", step_status(DEV, US, MQ, "Failed"), True),
    ("smgitops-prod-churn-pipeline-failed", execution_status(PROD, US, "Failed"), True),
    ("smgitops-prod-churn-pipeline-failed", execution_status(PROD, US, "Succeeded"), False),
    ("smgitops-prod-churn-pipeline-failed", execution_status(PROD, US, "Failed", "ltv-batch-inference"), False),
    ("smgitops-dev-churn-pipeline-failed", execution_status(DEV, US, "Failed", "churn-training"), True),
    ("smgitops-dev-churn-awaiting-approval", package_state("churn", 9, "PendingManualApproval"), True),
    ("smgitops-dev-churn-awaiting-approval", package_state("churn", 9, "Approved"), False),
    ("smgitops-dev-churn-awaiting-approval", package_state("customer-ltv", 4, "PendingManualApproval"), False),
]


@pytest.mark.parametrize(("rule", "event", "expected"), PATTERN_CASES)
def test_event_patterns_match_realistic_events(rule, event, expected):
    by_name = {resource.name: resource for resource in trigger.desired(example_state())}
    assert matches(by_name[rule].spec["pattern"], event) is expected


def test_the_matcher_itself_tells_matching_from_not_matching():
    pattern = {"source": ["aws.s3"], "detail": {"object": {"key": [{"prefix": "a/"}]}}}
    assert matches(pattern, {"source": "aws.s3", "detail": {"object": {"key": "a/b"}}})
    assert not matches(pattern, {"source": "aws.s3", "detail": {"object": {"key": "b/a"}}})
    assert not matches(pattern, {"source": "aws.s3", "detail": {}})
    assert not matches(pattern, {"source": "aws.sqs", "detail": {"object": {"key": "a/b"}}})


def test_failure_notifications_read_as_one_line():
    rules = rules_by_address(example_state())
    (target,) = rules["prod/trigger/smgitops-prod-churn-pipeline-failed"].spec["targets"]
    assert target["arn"] == f"arn:aws:sns:us-east-1:{PROD}:churn-alerts"
    event = execution_status(PROD, US, "Failed")
    pipeline_arn = _pipeline_arn(PROD, US, "churn-batch-inference")
    assert render(target["inputTransformer"], event) == (
        f"smgitops: prod/churn: pipeline {pipeline_arn} failed (execution {pipeline_arn}/execution/4n3lcqbdrn5f)"
    )


def test_awaiting_approval_notification_names_the_merge_request_change():
    rules = rules_by_address(example_state())
    (target,) = rules["dev/trigger/smgitops-dev-churn-awaiting-approval"].spec["targets"]
    message = render(target["inputTransformer"], package_state("churn", 9, "PendingManualApproval"))
    assert "\n" not in message
    assert "`approvedVersion: 9` in dev/churn.yaml" in message
    assert f"arn:aws:sagemaker:us-east-1:{DEV}:model-package/churn/9" in message


# --- against the emulator -----------------------------------------------------------------------------------


def live_rules(aws, state: DesiredState, environment: str) -> dict[str, dict[str, Any]]:
    events = console(aws, state, environment)
    rules = {}
    for rule in events.list_rules(NamePrefix="smgitops-")["Rules"]:
        targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        tags = tags_to_dict(events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"])
        rules[rule["Name"]] = {**rule, "Targets": {target["Id"]: target for target in targets}, "Tags": tags}
    return rules


def rows(change) -> list[tuple[str, Any, Any]]:
    return [(row.path, row.before, row.after) for row in change.diff]


def assert_declared(used) -> None:
    """Every call the kind made is one it declares (READS/WRITES), so its IAM policy can be printed."""
    called = {operation for operation in used.by_operation() if not operation.startswith("sts:")}
    assert called <= {*trigger.READS, *trigger.WRITES}, called - {*trigger.READS, *trigger.WRITES}


def bus_statements(aws, state: DesiredState, environment: str) -> dict[str, Any]:
    policy = console(aws, state, environment).describe_event_bus(Name="default").get("Policy") or "{}"
    return {statement["Sid"]: statement for statement in json.loads(policy).get("Statement", [])}


@pytest.mark.aws
def test_first_apply_creates_every_rule_and_a_second_plan_reads_little_and_writes_nothing(aws):
    state = example_state()
    start = aws.calls.snapshot()
    outcome, again = converge(state, aws, "trigger")
    assert_declared(aws.calls.since(start))
    assert outcome.reason == "applied"
    assert not outcome.result.failed
    assert again.in_sync == len(rules_by_address(state)) == 12

    dev, staging, prod = (live_rules(aws, state, name) for name in ("dev", "staging", "prod"))
    assert sorted(dev) == sorted(name.split("/")[-1] for name in rules_by_address(state) if name.startswith("dev/"))
    new_data = dev["smgitops-dev-churn-new-data"]
    assert json.loads(new_data["EventPattern"])["detail"]["object"]["key"] == [{"prefix": "churn/training/"}]
    assert new_data["State"] == "ENABLED"
    assert new_data["Description"].startswith("managed by smgitops; source=dev/churn.yaml; spec=")
    assert new_data["Tags"][MANAGED_TAG] == "true" and new_data["Tags"][REVISION_TAG] == "rev1"
    pipeline_target = new_data["Targets"]["training-pipeline"]
    assert pipeline_target["Arn"] == f"arn:aws:sagemaker:us-east-1:{DEV}:pipeline/churn-training"
    assert pipeline_target["RoleArn"] == f"arn:aws:iam::{DEV}:role/smgitops-scheduler"
    assert pipeline_target["SageMakerPipelineParameters"] == {"PipelineParameterList": []}
    assert prod["smgitops-prod-churn-pipeline-failed"]["Targets"]["notify"]["InputTransformer"]["InputPathsMap"] == {
        "execution": "$.detail.pipelineExecutionArn",
        "pipeline": "$.detail.pipelineArn",
    }

    # the cross-account re-tune path: staging/prod rule -> dev default bus (allowed) -> dev rule -> training
    for sender, rules in ((STAGING, staging), (PROD, prod)):
        environment = "staging" if sender == STAGING else "prod"
        forward = rules[f"smgitops-{environment}-churn-retune"]["Targets"]["training-bus"]
        assert forward["Arn"] == f"arn:aws:events:us-east-1:{DEV}:event-bus/default"
        assert forward["RoleArn"] == f"arn:aws:iam::{sender}:role/smgitops-scheduler"
        receiving = dev[f"smgitops-dev-churn-retune-from-{environment}"]
        assert json.loads(receiving["EventPattern"])["account"] == [sender]
        assert receiving["Targets"]["training-pipeline"]["Arn"] == pipeline_target["Arn"]
    statements = bus_statements(aws, state, "dev")
    assert sorted(statements) == [f"smgitops-accept-{STAGING}", f"smgitops-accept-{PROD}"]
    assert statements[f"smgitops-accept-{PROD}"]["Principal"] == {"AWS": f"arn:aws:iam::{PROD}:root"}
    assert bus_statements(aws, state, "staging") == {}

    before = aws.calls.snapshot()
    make_plan(state, clients=aws, kinds=TRIGGER)
    used = aws.calls.since(before).by_operation()
    assert used == {"events:ListRules": 3, "events:ListTargetsByRule": 12, "events:DescribeEventBus": 1}


@pytest.mark.aws
def test_console_edits_are_drift_reverted_under_enforce_and_only_reported_under_warn(aws):
    state = example_state()
    converge(state, aws, "trigger")
    console(aws, state, "staging").disable_rule(Name="smgitops-staging-churn-pipeline-failed")
    console(aws, state, "dev").remove_targets(Rule="smgitops-dev-churn-new-data", Ids=["training-pipeline"])
    console(aws, state, "dev").remove_permission(EventBusName="default", StatementId=f"smgitops-accept-{STAGING}")
    console(aws, state, "prod").disable_rule(Name="smgitops-prod-ltv-pipeline-failed")

    plan = make_plan(state, clients=aws, kinds=TRIGGER)
    assert not plan.errors, plan.errors
    changes = {change.address: change for change in plan.changes}
    assert sorted(changes) == [
        "dev/trigger/smgitops-dev-churn-new-data",
        "dev/trigger/smgitops-dev-churn-retune-from-staging",
        "prod/trigger/smgitops-prod-ltv-pipeline-failed",
        "staging/trigger/smgitops-staging-churn-pipeline-failed",
    ]
    assert {change.reason for change in changes.values()} == {"drift"}
    assert rows(changes["staging/trigger/smgitops-staging-churn-pipeline-failed"]) == [("state", "DISABLED", "ENABLED")]
    assert rows(changes["dev/trigger/smgitops-dev-churn-retune-from-staging"]) == [("acceptFrom", None, STAGING)]
    assert changes["prod/trigger/smgitops-prod-ltv-pipeline-failed"].hold == "drift: warn"

    start = aws.calls.snapshot()
    outcome = reconcile(state, clients=aws, kinds=TRIGGER)
    assert_declared(aws.calls.since(start))
    assert outcome.reason == "applied" and len(outcome.result.applied) == 3
    assert live_rules(aws, state, "staging")["smgitops-staging-churn-pipeline-failed"]["State"] == "ENABLED"
    assert "training-pipeline" in live_rules(aws, state, "dev")["smgitops-dev-churn-new-data"]["Targets"]
    assert f"smgitops-accept-{STAGING}" in bus_statements(aws, state, "dev")
    assert live_rules(aws, state, "prod")["smgitops-prod-ltv-pipeline-failed"]["State"] == "DISABLED"
    after = make_plan(state, clients=aws, kinds=TRIGGER)
    assert [change.address for change in after.changes] == ["prod/trigger/smgitops-prod-ltv-pipeline-failed"]
    assert not after.actionable


@pytest.mark.aws
def test_an_unowned_rule_of_the_same_name_is_a_conflict_left_alone(aws):
    state = example_state()
    events = console(aws, state, "staging")
    events.put_rule(Name="smgitops-staging-ltv-pipeline-failed", EventPattern='{"source": ["aws.sagemaker"]}',
                    Description="made by hand")
    events.put_targets(Rule="smgitops-staging-ltv-pipeline-failed",
                       Targets=[{"Id": "mine", "Arn": f"arn:aws:sns:us-east-1:{STAGING}:someone-elses"}])

    outcome = reconcile(state, clients=aws, kinds=TRIGGER)
    assert outcome.reason == "applied", (outcome.message, outcome.plan.errors)
    (conflict,) = [change for change in outcome.plan.changes if change.reason == "conflict"]
    assert conflict.address == "staging/trigger/smgitops-staging-ltv-pipeline-failed"
    assert "adopt" in conflict.hold
    assert len(outcome.result.applied) == 11
    left = live_rules(aws, state, "staging")["smgitops-staging-ltv-pipeline-failed"]
    assert left["Description"] == "made by hand"
    assert list(left["Targets"]) == ["mine"]
    assert left["Tags"] == {}


@pytest.mark.aws
def test_orphaned_rules_are_deleted_only_where_prune_is_on(aws):
    converge(example_state(), aws, "trigger")
    state = without(example_state(revision="rev2"), "staging/ltv.yaml", "prod/ltv.yaml", "staging/churn.yaml")

    plan = make_plan(state, clients=aws, kinds=TRIGGER)
    assert not plan.errors, plan.errors
    orphans = {change.address: change for change in plan.changes if change.reason == "orphan"}
    assert sorted(orphans) == [
        "dev/trigger/smgitops-dev-churn-retune-from-staging",
        "prod/trigger/smgitops-prod-ltv-pipeline-failed",
        "staging/trigger/smgitops-staging-churn-pipeline-failed",
        "staging/trigger/smgitops-staging-churn-retune",
        "staging/trigger/smgitops-staging-ltv-pipeline-failed",
    ]
    assert {change.action for change in orphans.values()} == {"delete"}
    assert orphans["prod/trigger/smgitops-prod-ltv-pipeline-failed"].hold == "prune: false"

    start = aws.calls.snapshot()
    outcome = reconcile(state, clients=aws, kinds=TRIGGER)
    assert_declared(aws.calls.since(start))
    assert outcome.reason == "applied" and len(outcome.result.applied) == 4
    assert live_rules(aws, state, "staging") == {}
    assert "smgitops-dev-churn-retune-from-staging" not in live_rules(aws, state, "dev")
    assert sorted(bus_statements(aws, state, "dev")) == [f"smgitops-accept-{PROD}"]
    assert "smgitops-prod-ltv-pipeline-failed" in live_rules(aws, state, "prod")


@pytest.mark.aws
def test_environments_sharing_an_account_manage_only_their_own_rules(aws):
    state = example_state()
    staging_churn = deployment(state, "staging/churn.yaml")
    qa = replace(state.environments["dev"], name="qa")
    qa_churn = replace(
        staging_churn,
        environment="qa",
        source="qa/churn.yaml",
        batch_inference=replace(staging_churn.batch_inference, pipeline="churn-qa-batch-inference"),
    )
    shared = replace(state, environments={**state.environments, "qa": qa}, deployments=(*state.deployments, qa_churn))

    outcome, _ = converge(shared, aws, "trigger")

    assert {change.action for change in outcome.plan.changes} == {"create"}
    dev_account = live_rules(aws, shared, "dev")
    assert dev_account["smgitops-qa-churn-retune"]["Targets"]["training-pipeline"]["Arn"].endswith(
        ":pipeline/churn-training"
    )
    assert dev_account["smgitops-qa-churn-retune"]["Description"].endswith("; environment=qa")
    assert dev_account["smgitops-dev-churn-retune"]["Description"].endswith("; environment=dev")
