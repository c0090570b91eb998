"""The `schedule` kind: EventBridge Scheduler schedules in each environment's `smgitops-<env>` group.

Runs against the emulator with dev, staging and prod in three accounts. Emulator behaviour worth knowing here
(moto 5.2), which matches AWS where it matters: ListSchedules gives summaries without expression, timezone or
Description (so the kind reads each schedule with GetSchedule); GetSchedule fills `RetryPolicy` defaults and
timezone "UTC". Two gaps: CreateSchedule into a missing group fails with HTTP 500 instead of
ResourceNotFoundException, and CreateScheduleGroup on an existing name silently replaces the group and its
schedules instead of answering ConflictException. The kind therefore always looks the group up (under a lock)
before creating it, which is also right on AWS.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from helpers import converge, only
from helpers import environment as _environment

from controller.aws import console as by_hand
from controller.desired.model import (
    Account,
    BatchInference,
    Deployment,
    DesiredState,
    Environment,
    MetricThreshold,
    Thresholds,
    Training,
)
from controller.engine.plan import FieldDiff
from controller.engine.reconcile import make_plan, reconcile
from controller.engine.reports import text
from controller.kinds import schedule
from controller.kinds.base import MANAGED_TAG, tags_to_dict

pytestmark = pytest.mark.aws

SCHEDULE = only("schedule")
DEV, STAGING, PROD = "111111111111", "222222222222", "333333333333"


def _deployment(environment: str, model: str, *, training: bool = False, **batch: Any) -> Deployment:
    batch_fields = dict(
        pipeline=f"{model}-Batch-Inference",
        template="batch-inference",
        schedule="cron(0 4 * * ? *)",
        timezone="UTC",
        enabled=True,
        instance_type="ml.m5.large",
        instance_count=1,
        input=f"s3://acme-{environment}/{model}/inference/",
        output=f"s3://acme-{environment}/{model}/predictions/",
    )
    batch_fields.update(batch)
    return Deployment(
        environment=environment,
        model=model,
        source=f"{environment}/{model}.yaml",
        model_package_group=model,
        approved_version=7,
        batch_inference=BatchInference(**batch_fields),
        thresholds=Thresholds(),
        training=Training(
            pipeline=f"{model}-training",
            template="training",
            input=f"s3://acme-{environment}/{model}/training/",
            instance_type="ml.m5.xlarge",
            register_when=MetricThreshold("mse", max=10.0),
            schedule="rate(7 days)",
            timezone="Europe/Berlin",
        )
        if training
        else None,
    )


def _state(*deployments: Deployment, revision: str = "rev1") -> DesiredState:
    environments = {
        "dev": _environment("dev", DEV, "us-east-1", prune=True),
        "staging": _environment("staging", STAGING, "us-east-1", prune=True),
        "prod": _environment("prod", PROD, "eu-central-1", drift="warn", prune=False),
    }
    registry = Account(DEV, "us-east-1", f"arn:aws:iam::{DEV}:role/smgitops-registry")
    return DesiredState(registry=registry, environments=environments, deployments=deployments, revision=revision)


def _fleet(**batch: Any) -> DesiredState:
    return _state(
        _deployment("dev", "churn", training=True, **batch),
        _deployment("staging", "churn", **batch),
        _deployment("prod", "churn", **batch),
    )


@pytest.fixture
def console(emulator):
    """Scheduler clients of a person in the console: separate from the controller's, so not counted as ours."""
    opened = []

    def scheduler_in(state: DesiredState, environment: str):
        target = state.environments[environment].target
        opened.append(emulator.clients(region=target.region))
        return opened[-1].client("scheduler", target)

    yield scheduler_in
    for clients in opened:
        clients.close()


def _get(scheduler, name: str, environment: str) -> dict:
    return scheduler.get_schedule(Name=name, GroupName=f"smgitops-{environment}")


def test_first_apply_creates_every_schedule_in_each_environment_group(aws, console):
    state = _fleet()
    outcome, _ = converge(state, aws, "schedule")
    created = sorted((change.environment, change.name) for change in outcome.plan.changes)
    assert created == [
        ("dev", "churn-Batch-Inference"),
        ("dev", "churn-training"),
        ("prod", "churn-Batch-Inference"),
        ("staging", "churn-Batch-Inference"),
    ]
    prod = _get(console(state, "prod"), "churn-Batch-Inference", "prod")
    assert prod["ScheduleExpression"] == "cron(0 4 * * ? *)"
    assert prod["State"] == "ENABLED"
    assert prod["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert prod["Target"]["Arn"] == f"arn:aws:sagemaker:eu-central-1:{PROD}:pipeline/churn-batch-inference"
    assert prod["Target"]["RoleArn"] == f"arn:aws:iam::{PROD}:role/smgitops-scheduler"
    assert "SageMakerPipelineParameters" not in prod["Target"]
    assert prod["Description"].startswith("managed by smgitops; source=prod/churn.yaml; spec=")
    assert prod["Description"].endswith("; revision=rev1")
    training = _get(console(state, "dev"), "churn-training", "dev")
    assert (training["ScheduleExpression"], training["ScheduleExpressionTimezone"]) == ("rate(7 days)", "Europe/Berlin")


def test_group_is_created_once_with_ownership_tags(aws, console):
    state = _fleet()
    converge(state, aws, "schedule")
    assert aws.calls.by_operation()["scheduler:CreateScheduleGroup"] == 3
    scheduler = console(state, "dev")
    group = scheduler.get_schedule_group(Name="smgitops-dev")
    tags = tags_to_dict(scheduler.list_tags_for_resource(ResourceArn=group["Arn"])["Tags"])
    assert tags == {MANAGED_TAG: "true", "smgitops:environment": "dev"}


def test_no_change_plan_reads_one_list_and_the_group_tags_per_environment_and_one_get_per_schedule(aws):
    state = _fleet()
    converge(state, aws, "schedule")
    before = aws.calls.snapshot()
    plan = make_plan(state, clients=aws, kinds=SCHEDULE)
    calls = aws.calls.since(before)
    assert not plan.changes and plan.in_sync == 4
    assert calls.by_operation() == {  # no pipelines here, so no written-at stamps: every schedule is read
        "scheduler:ListSchedules": 3, "scheduler:ListTagsForResource": 3, "scheduler:GetSchedule": 4,
        "resourcegroupstaggingapi:GetResources": 3,
    }


def test_a_schedule_nothing_touched_since_smgitops_wrote_it_is_not_read_but_an_edited_one_is(aws, fleet):
    """Written-at stamps on the pipelines: a no-change plan makes no GetSchedule; a console update moves the
    schedule's LastModificationDate, so exactly that schedule is read again and its edit is drift."""
    kinds = only("pipeline", "schedule")
    converge(fleet, aws, "pipeline", "schedule")
    before = aws.calls.snapshot()
    plan = make_plan(fleet, clients=aws, kinds=kinds)
    assert not plan.changes and plan.in_sync > 0
    assert aws.calls.since(before).by_operation().get("scheduler:GetSchedule", 0) == 0
    by_hand.edit_schedule(
        aws, fleet.environments["staging"].target, group="smgitops-staging", name="churn-batch-inference",
        ScheduleExpression="cron(0 9 * * ? *)",
    )
    before = aws.calls.snapshot()
    [change] = make_plan(fleet, clients=aws, kinds=kinds).changes
    assert aws.calls.since(before).by_operation()["scheduler:GetSchedule"] == 1
    assert (change.address, change.reason) == ("staging/schedule/churn-batch-inference", "drift")
    assert [(row.path, row.before) for row in change.diff] == [("expression", "cron(0 9 * * ? *)")]
    converge(fleet, aws, "pipeline", "schedule")  # reverted, and stamped again: the next plan reads nothing
    before = aws.calls.snapshot()
    assert not make_plan(fleet, clients=aws, kinds=kinds).changes
    assert aws.calls.since(before).by_operation().get("scheduler:GetSchedule", 0) == 0


def test_a_schedule_whose_stamp_is_stale_is_read_and_in_sync(aws, fleet):
    """A stamp that does not match (an older write's, a recreated pipeline's, a crash before the tag) costs one
    GetSchedule, never a wrong answer."""
    converge(fleet, aws, "pipeline", "schedule")
    target = fleet.environments["dev"].target
    sagemaker = aws.client("sagemaker", target)
    arn = sagemaker.describe_pipeline(PipelineName="churn-batch-inference")["PipelineArn"]
    [stamp] = [tag for tag in sagemaker.list_tags(ResourceArn=arn)["Tags"] if tag["Key"] == schedule.STAMP_TAG]
    when, applied, revision = stamp["Value"].split(";")
    assert applied and revision == fleet.revision
    sagemaker.delete_tags(ResourceArn=arn, TagKeys=[schedule.STAMP_TAG])
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": schedule.STAMP_TAG, "Value": f"{when};{'0' * 16};{revision}"}])
    before = aws.calls.snapshot()
    assert not make_plan(fleet, clients=aws, kinds=only("pipeline", "schedule")).changes
    assert aws.calls.since(before).by_operation()["scheduler:GetSchedule"] == 1


def test_new_revision_alone_changes_nothing(aws):
    state = _fleet()
    converge(state, aws, "schedule")
    plan = make_plan(replace(state, revision="rev2"), clients=aws, kinds=SCHEDULE)
    assert not plan.changes


def test_console_edit_of_expression_is_drift_and_is_reverted(aws, console):
    state = _fleet()
    converge(state, aws, "schedule")
    scheduler = console(state, "dev")
    edited = _get(scheduler, "churn-Batch-Inference", "dev")
    scheduler.update_schedule(
        Name="churn-Batch-Inference",
        GroupName="smgitops-dev",
        Description=edited["Description"],
        ScheduleExpression="cron(0 9 * * ? *)",
        ScheduleExpressionTimezone="UTC",
        State="ENABLED",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            **edited["Target"],
            "SageMakerPipelineParameters": {"PipelineParameterList": [{"Name": "Limit", "Value": "10"}]},
        },
    )
    [change] = make_plan(state, clients=aws, kinds=SCHEDULE).changes
    assert (change.address, change.action, change.reason, change.hold) == (
        "dev/schedule/churn-Batch-Inference", "update", "drift", None
    )
    assert change.diff == (
        FieldDiff("expression", "cron(0 9 * * ? *)", "cron(0 4 * * ? *)"),
        FieldDiff("pipelineParameters", {"Limit": "10"}, None),
    )
    converge(state, aws, "schedule")
    reverted = _get(scheduler, "churn-Batch-Inference", "dev")
    assert reverted["ScheduleExpression"] == "cron(0 4 * * ? *)"
    assert "SageMakerPipelineParameters" not in reverted["Target"]


def test_console_disable_under_drift_warn_is_reported_and_left(aws, console):
    state = _fleet()
    converge(state, aws, "schedule")
    scheduler = console(state, "prod")
    edited = _get(scheduler, "churn-Batch-Inference", "prod")
    scheduler.update_schedule(
        Name="churn-Batch-Inference",
        GroupName="smgitops-prod",
        Description=edited["Description"],
        ScheduleExpression=edited["ScheduleExpression"],
        ScheduleExpressionTimezone=edited["ScheduleExpressionTimezone"],
        State="DISABLED",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=edited["Target"],
    )
    outcome = reconcile(state, clients=aws, kinds=SCHEDULE)
    [change] = outcome.plan.changes
    assert (change.reason, change.hold) == ("drift", "drift: warn")
    assert change.diff == (FieldDiff("state", "DISABLED", "ENABLED"),)
    assert outcome.reason == "held"
    assert _get(scheduler, "churn-Batch-Inference", "prod")["State"] == "DISABLED"


def test_enabled_false_disables_the_schedule(aws, console):
    converge(_fleet(), aws, "schedule")
    disabled = _fleet(enabled=False)
    outcome, _ = converge(disabled, aws, "schedule")
    changes = [change for change in outcome.plan.changes if change.name == "churn-Batch-Inference"]
    assert {(change.action, change.reason) for change in changes} == {("update", "desired-change")}
    assert {change.diff for change in changes} == {(FieldDiff("state", "ENABLED", "DISABLED"),)}
    assert _get(console(disabled, "staging"), "churn-Batch-Inference", "staging")["State"] == "DISABLED"


def test_timezone_change_is_an_update_with_a_readable_field_diff(aws, console):
    converge(_fleet(), aws, "schedule")
    berlin = _fleet(timezone="Europe/Berlin")
    plan = make_plan(berlin, clients=aws, kinds=SCHEDULE)
    staging = next(change for change in plan.changes if change.environment == "staging")
    assert (staging.action, staging.reason) == ("update", "desired-change")
    assert staging.diff == (FieldDiff("timezone", "UTC", "Europe/Berlin"),)
    assert '~ schedule churn-Batch-Inference  (desired-change, staging/churn.yaml)' in text(plan)
    assert 'timezone: "UTC" -> "Europe/Berlin"' in text(plan)
    converge(berlin, aws, "schedule")
    described = _get(console(berlin, "staging"), "churn-Batch-Inference", "staging")
    assert described["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert described["Description"].endswith("; revision=rev1")


def _unmanaged(scheduler, name: str, group: str, environment: Environment) -> None:
    scheduler.create_schedule(
        Name=name,
        GroupName=group,
        ScheduleExpression="rate(1 hour)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": schedule.pipeline_arn(environment, name), "RoleArn": environment.scheduler_role},
    )


def test_unowned_schedule_of_the_same_name_in_the_group_is_a_conflict_left_alone(aws, console):
    state = _state(_deployment("staging", "churn"))
    converge(state, aws, "schedule")
    scheduler = console(state, "staging")
    scheduler.delete_schedule(Name="churn-Batch-Inference", GroupName="smgitops-staging")
    _unmanaged(scheduler, "churn-Batch-Inference", "smgitops-staging", state.environments["staging"])
    outcome = reconcile(state, clients=aws, kinds=SCHEDULE)
    [change] = outcome.plan.changes
    assert (change.action, change.reason) == ("none", "conflict")
    assert "not managed by smgitops" in change.hold
    left = _get(scheduler, "churn-Batch-Inference", "staging")
    assert (left["ScheduleExpression"], left.get("Description")) == ("rate(1 hour)", None)

    adopting = _state(replace(_deployment("staging", "churn"), adopt=True))
    converge(adopting, aws, "schedule")
    assert _get(scheduler, "churn-Batch-Inference", "staging")["ScheduleExpression"] == "cron(0 4 * * ? *)"


def test_same_name_schedule_outside_the_group_is_never_touched(aws, console):
    state = _state(_deployment("staging", "churn"))
    scheduler = console(state, "staging")
    _unmanaged(scheduler, "churn-Batch-Inference", "default", state.environments["staging"])
    _unmanaged(scheduler, "someone-elses", "default", state.environments["staging"])
    converge(state, aws, "schedule")
    converge(_state(), aws, "schedule")
    names = sorted(item["Name"] for item in scheduler.list_schedules(GroupName="default")["Schedules"])
    assert names == ["churn-Batch-Inference", "someone-elses"]
    assert scheduler.get_schedule(Name="churn-Batch-Inference")["ScheduleExpression"] == "rate(1 hour)"


def test_orphans_are_deleted_only_where_prune_is_true(aws, console):
    full = _state(_deployment("dev", "churn", training=True), _deployment("prod", "churn"), _deployment("prod", "ltv"))
    converge(full, aws, "schedule")
    shrunk = _state(_deployment("dev", "churn"), _deployment("prod", "churn"))
    outcome, again = converge(shrunk, aws, "schedule")
    orphans = {change.address: (change.action, change.reason, change.hold) for change in outcome.plan.changes}
    assert orphans == {
        "dev/schedule/churn-training": ("delete", "orphan", None),
        "prod/schedule/ltv-Batch-Inference": ("delete", "orphan", "prune: false"),
    }
    dev = console(shrunk, "dev")
    assert [item["Name"] for item in dev.list_schedules(GroupName="smgitops-dev")["Schedules"]] == [
        "churn-Batch-Inference"
    ]
    prod = console(shrunk, "prod")
    assert _get(prod, "ltv-Batch-Inference", "prod")["State"] == "ENABLED"
    assert [change.address for change in again.held] == ["prod/schedule/ltv-Batch-Inference"]


def test_missing_group_reads_as_empty_and_unmarked_schedules_are_not_orphans(aws, console):
    state = _state()
    assert make_plan(state, clients=aws, kinds=SCHEDULE).changes == ()
    scheduler = console(_state(), "dev")
    scheduler.create_schedule_group(Name="smgitops-dev")
    _unmanaged(scheduler, "hand-made", "smgitops-dev", state.environments["dev"])
    assert make_plan(state, clients=aws, kinds=SCHEDULE).changes == ()


def test_desired_schedules_follow_the_files():
    state = _state(_deployment("dev", "churn", training=True), _deployment("prod", "ltv", enabled=False))
    resources = {resource.address: resource for resource in schedule.desired(state)}
    assert sorted(resources) == [
        "dev/schedule/churn-Batch-Inference",
        "dev/schedule/churn-training",
        "prod/schedule/ltv-Batch-Inference",
    ]
    ltv = resources["prod/schedule/ltv-Batch-Inference"]
    assert (ltv.breadcrumb, ltv.source, ltv.model, ltv.spec["state"]) == (
        "batchInference.schedule", "prod/ltv.yaml", "ltv", "DISABLED"
    )
    assert resources["dev/schedule/churn-training"].breadcrumb == "training.schedule"


@pytest.mark.parametrize(
    "tags",
    [{}, {"team": "data"}, {MANAGED_TAG: "true"}, {MANAGED_TAG: "true", schedule.ENVIRONMENT_TAG: "staging"},
     {MANAGED_TAG: "false", schedule.ENVIRONMENT_TAG: "dev"}],
    ids=["untagged", "someone else's tags", "no environment", "another environment's", "not managed"],
)
def test_no_schedule_is_written_into_a_same_name_group_smgitops_does_not_own(aws, console, tags):
    state = _fleet()
    scheduler = console(state, "dev")
    scheduler.create_schedule_group(Name="smgitops-dev", Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    outcome = reconcile(state, clients=aws, kinds=SCHEDULE)
    assert outcome.reason == "plan-error" and outcome.result is None
    [error] = outcome.plan.errors
    assert error.startswith("dev: schedule: reading live state failed: schedule group smgitops-dev exists in "
                            f"account {DEV} but smgitops did not create it")
    assert scheduler.list_schedules(GroupName="smgitops-dev")["Schedules"] == []
