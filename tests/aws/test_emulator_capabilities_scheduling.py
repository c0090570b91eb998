"""What the emulator does with EventBridge Scheduler and EventBridge rules, as the schedule and trigger kinds
call them. `GAP:` marks a difference from AWS and the way to call the API so that both are right."""

from __future__ import annotations

import json

import pytest

from controller.aws.errors import error_code, is_not_found
from controller.desired.model import Account

DEV = Account("111111111111", "us-east-1", "arn:aws:iam::111111111111:role/smgitops-deploy")
STAGING = Account("222222222222", "us-east-1", "arn:aws:iam::222222222222:role/smgitops-deploy")
PROD = Account("333333333333", "us-east-1", "arn:aws:iam::333333333333:role/smgitops-deploy")
GROUP_ARN = "arn:aws:scheduler:us-east-1:333333333333:schedule-group/smgitops-prod"
PIPELINE_TARGET = {
    "Arn": "arn:aws:sagemaker:us-east-1:333333333333:pipeline/churn-batch-inference",
    "RoleArn": "arn:aws:iam::333333333333:role/smgitops-scheduler",
    "SageMakerPipelineParameters": {"PipelineParameterList": [{"Name": "Trigger", "Value": "schedule"}]},
    "RetryPolicy": {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 2},
}
NEW_VERSION_PATTERN = json.dumps(
    {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelPackageGroupName": ["churn"], "ModelApprovalStatus": ["PendingManualApproval"]},
    }
)
RULE_ARN = "arn:aws:events:us-east-1:111111111111:rule/smgitops-churn-new-version"

pytestmark = pytest.mark.aws


@pytest.fixture
def scheduler(aws_one_attempt):
    """Schedule group `smgitops-prod` (tagged) with schedule `churn-batch-inference` in it, in prod."""
    client = aws_one_attempt.client("scheduler", PROD)
    client.create_schedule_group(Name="smgitops-prod", Tags=[{"Key": "smgitops:managed", "Value": "true"}])
    client.create_schedule(
        Name="churn-batch-inference",
        GroupName="smgitops-prod",
        ScheduleExpression="cron(0 4 * * ? *)",
        ScheduleExpressionTimezone="Europe/Berlin",
        State="ENABLED",
        Description="churn batch inference",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=PIPELINE_TARGET,
    )
    return client


@pytest.fixture
def events(aws_one_attempt):
    """Rule `smgitops-churn-new-version` (tagged, event pattern) on dev's default bus."""
    client = aws_one_attempt.client("events", DEV)
    client.put_rule(
        Name="smgitops-churn-new-version",
        EventPattern=NEW_VERSION_PATTERN,
        State="ENABLED",
        Description="new churn version awaits approval",
        Tags=[{"Key": "smgitops:managed", "Value": "true"}],
    )
    return client


def queue_arn(clients, target, name: str) -> tuple[str, str]:
    sqs = clients.client("sqs", target)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def received(clients, target, url: str) -> list[dict]:
    messages = clients.client("sqs", target).receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(message["Body"]) for message in messages.get("Messages", [])]


def test_get_schedule_returns_everything_that_was_set(scheduler):
    schedule = scheduler.get_schedule(Name="churn-batch-inference", GroupName="smgitops-prod")

    assert schedule["Target"] == PIPELINE_TARGET
    assert (schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"]) == (
        "cron(0 4 * * ? *)",
        "Europe/Berlin",
    )
    assert (schedule["State"], schedule["Description"]) == ("ENABLED", "churn batch inference")
    assert schedule["Arn"] == "arn:aws:scheduler:us-east-1:333333333333:schedule/smgitops-prod/churn-batch-inference"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}


def test_schedule_defaults_are_filled_in_by_the_server(scheduler):
    target = {key: PIPELINE_TARGET[key] for key in ("Arn", "RoleArn")}
    scheduler.create_schedule(
        Name="bare", GroupName="smgitops-prod", ScheduleExpression="rate(7 days)",
        FlexibleTimeWindow={"Mode": "OFF"}, Target=target,
    )  # fmt: skip

    schedule = scheduler.get_schedule(Name="bare", GroupName="smgitops-prod")

    # Normalise these server-filled defaults away before diffing, or every bare schedule shows drift.
    assert (schedule["ScheduleExpressionTimezone"], schedule["State"]) == ("UTC", "ENABLED")
    assert schedule["Target"]["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}
    assert "Description" not in schedule


def test_list_schedules_gives_only_the_target_arn_and_paginates(scheduler):
    for name in ("ltv-batch-inference", "churn-training"):
        scheduler.create_schedule(
            Name=name, GroupName="smgitops-prod", ScheduleExpression="rate(1 day)",
            FlexibleTimeWindow={"Mode": "OFF"}, Target=PIPELINE_TARGET,
        )  # fmt: skip

    first = scheduler.list_schedules(GroupName="smgitops-prod", MaxResults=2)
    second = scheduler.list_schedules(GroupName="smgitops-prod", MaxResults=2, NextToken=first["NextToken"])
    summaries = first["Schedules"] + second["Schedules"]

    assert len(summaries) == 3
    # As in AWS: no expression, timezone, parameters or description; diffing needs GetSchedule per schedule.
    assert {frozenset(summary) for summary in summaries} == {
        frozenset({"Arn", "Name", "GroupName", "State", "CreationDate", "LastModificationDate", "Target"})
    }
    assert summaries[0]["Target"] == {"Arn": PIPELINE_TARGET["Arn"]}
    assert [s["Name"] for s in scheduler.list_schedules(NamePrefix="churn-t")["Schedules"]] == ["churn-training"]


def test_update_schedule_replaces_the_whole_schedule(scheduler):
    scheduler.update_schedule(
        Name="churn-batch-inference", GroupName="smgitops-prod", ScheduleExpression="cron(0 5 * * ? *)",
        State="DISABLED", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": PIPELINE_TARGET["Arn"], "RoleArn": PIPELINE_TARGET["RoleArn"]},
    )  # fmt: skip

    schedule = scheduler.get_schedule(Name="churn-batch-inference", GroupName="smgitops-prod")

    # As in AWS: what UpdateSchedule omits goes back to its default, so always send the complete schedule.
    assert (schedule["ScheduleExpression"], schedule["State"]) == ("cron(0 5 * * ? *)", "DISABLED")
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert "Description" not in schedule
    assert "SageMakerPipelineParameters" not in schedule["Target"]
    assert schedule["LastModificationDate"] > schedule["CreationDate"]


def test_missing_schedules_are_not_found(scheduler):
    for call in (
        lambda: scheduler.get_schedule(Name="nope", GroupName="smgitops-prod"),
        lambda: scheduler.get_schedule(Name="churn-batch-inference"),  # it is not in the default group
        lambda: scheduler.delete_schedule(Name="nope", GroupName="smgitops-prod"),
        lambda: scheduler.update_schedule(
            Name="nope", GroupName="smgitops-prod", ScheduleExpression="rate(1 day)",
            FlexibleTimeWindow={"Mode": "OFF"}, Target=PIPELINE_TARGET,
        ),
    ):  # fmt: skip
        with pytest.raises(Exception) as missing:
            call()
        assert (error_code(missing.value), is_not_found(missing.value)) == ("ResourceNotFoundException", True)


def test_create_schedule_twice_conflicts_and_into_a_missing_group_fails(scheduler):
    def create(group: str) -> None:
        scheduler.create_schedule(
            Name="churn-batch-inference", GroupName=group, ScheduleExpression="rate(1 day)",
            FlexibleTimeWindow={"Mode": "OFF"}, Target=PIPELINE_TARGET,
        )  # fmt: skip

    with pytest.raises(Exception) as twice:
        create("smgitops-prod")
    with pytest.raises(Exception) as no_group:
        create("no-such-group")

    assert error_code(twice.value) == "ConflictException"
    # GAP: AWS answers ResourceNotFoundException; the emulator an HTTP 500. Workaround: create the group first.
    assert error_code(no_group.value) == "500"


def test_schedule_groups_carry_the_tags_and_schedules_carry_none(scheduler):
    scheduler.tag_resource(ResourceArn=GROUP_ARN, Tags=[{"Key": "smgitops:revision", "Value": "abc"}])
    schedule_arn = "arn:aws:scheduler:us-east-1:333333333333:schedule/smgitops-prod/churn-batch-inference"

    group = scheduler.get_schedule_group(Name="smgitops-prod")
    groups = scheduler.list_schedule_groups()["ScheduleGroups"]

    assert scheduler.list_tags_for_resource(ResourceArn=GROUP_ARN)["Tags"] == [
        {"Key": "smgitops:managed", "Value": "true"},
        {"Key": "smgitops:revision", "Value": "abc"},
    ]
    # As in AWS, schedules have no tags: the schedule group is the ownership boundary.
    assert scheduler.list_tags_for_resource(ResourceArn=schedule_arn)["Tags"] == []
    assert (group["Arn"], group["State"]) == (GROUP_ARN, "ACTIVE")
    assert sorted(g["Name"] for g in groups) == ["default", "smgitops-prod"]


def test_deleting_a_schedule_or_its_group(scheduler, aws_one_attempt):
    scheduler.delete_schedule(Name="churn-batch-inference", GroupName="smgitops-prod")
    assert scheduler.list_schedules(GroupName="smgitops-prod")["Schedules"] == []

    scheduler.create_schedule(
        Name="again", GroupName="smgitops-prod", ScheduleExpression="rate(1 day)",
        FlexibleTimeWindow={"Mode": "OFF"}, Target=PIPELINE_TARGET,
    )  # fmt: skip
    scheduler.delete_schedule_group(Name="smgitops-prod")

    with pytest.raises(Exception) as group:
        scheduler.get_schedule_group(Name="smgitops-prod")
    assert is_not_found(group.value)
    assert scheduler.list_schedules()["Schedules"] == []  # deleting a group deletes its schedules
    assert aws_one_attempt.client("scheduler", STAGING).list_schedules()["Schedules"] == []


def test_rules_are_listed_with_their_pattern_and_described_by_name(events):
    events.put_rule(Name="unrelated", ScheduleExpression="rate(1 day)")

    listed = events.list_rules(NamePrefix="smgitops-")["Rules"]
    described = events.describe_rule(Name="smgitops-churn-new-version")

    assert [rule["Name"] for rule in listed] == ["smgitops-churn-new-version"]
    # ListRules carries the pattern, state and description: one call per account reads every rule.
    assert set(listed[0]) == {"Name", "Arn", "EventPattern", "State", "Description", "EventBusName"}
    assert json.loads(listed[0]["EventPattern"]) == json.loads(NEW_VERSION_PATTERN)
    assert described["Arn"] == RULE_ARN
    assert set(described) - {"ResponseMetadata"} == set(listed[0]) | {"CreatedBy"}
    assert events.list_tags_for_resource(ResourceARN=RULE_ARN)["Tags"] == [{"Key": "smgitops:managed", "Value": "true"}]
    assert events.can_paginate("list_rules") and events.can_paginate("list_targets_by_rule")


def test_put_rule_again_replaces_it_but_keeps_tags(events):
    events.put_rule(Name="smgitops-churn-new-version", EventPattern=NEW_VERSION_PATTERN, State="DISABLED")
    events.tag_resource(ResourceARN=RULE_ARN, Tags=[{"Key": "smgitops:managed", "Value": "yes"}])

    described = events.describe_rule(Name="smgitops-churn-new-version")

    assert described["State"] == "DISABLED"
    assert "Description" not in described  # omitted on the second PutRule: gone, as in AWS
    assert events.list_tags_for_resource(ResourceARN=RULE_ARN)["Tags"] == [{"Key": "smgitops:managed", "Value": "yes"}]


def test_targets_keep_pipeline_parameters_input_transformer_and_role(events):
    targets = [
        {
            "Id": "pipeline",
            "Arn": "arn:aws:sagemaker:us-east-1:111111111111:pipeline/churn-training",
            "RoleArn": "arn:aws:iam::111111111111:role/smgitops-scheduler",
            "SageMakerPipelineParameters": {"PipelineParameterList": [{"Name": "Trigger", "Value": "event"}]},
        },
        {
            "Id": "notify",
            "Arn": "arn:aws:sns:us-east-1:111111111111:churn-alerts",
            "InputTransformer": {
                "InputPathsMap": {"version": "$.detail.ModelPackageVersion"},
                "InputTemplate": '"Version <version> of churn awaits approval"',
            },
        },
        {
            "Id": "staging-bus",
            "Arn": "arn:aws:events:us-east-1:222222222222:event-bus/default",
            "RoleArn": "arn:aws:iam::111111111111:role/smgitops-events",
        },
    ]

    result = events.put_targets(Rule="smgitops-churn-new-version", Targets=targets)

    assert result["FailedEntryCount"] == 0
    assert events.list_targets_by_rule(Rule="smgitops-churn-new-version")["Targets"] == targets
    events.put_targets(Rule="smgitops-churn-new-version", Targets=[{"Id": "notify", "Arn": targets[1]["Arn"]}])
    replaced = events.list_targets_by_rule(Rule="smgitops-churn-new-version")["Targets"]
    assert replaced[1] == {"Id": "notify", "Arn": targets[1]["Arn"]}  # same Id: the whole target is replaced


def test_a_rule_with_targets_cannot_be_deleted_until_they_are_removed(events):
    events.put_targets(Rule="smgitops-churn-new-version", Targets=[{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:1:q"}])

    with pytest.raises(Exception) as blocked:
        events.delete_rule(Name="smgitops-churn-new-version")
    removed = events.remove_targets(Rule="smgitops-churn-new-version", Ids=["q", "not-there"])
    events.delete_rule(Name="smgitops-churn-new-version")
    events.delete_rule(Name="smgitops-churn-new-version")  # deleting a missing rule succeeds

    assert error_code(blocked.value) == "ValidationException"
    assert removed["FailedEntryCount"] == 0
    with pytest.raises(Exception) as missing:
        events.list_targets_by_rule(Rule="smgitops-churn-new-version")
    assert is_not_found(missing.value)


def test_events_reach_sqs_and_a_rule_can_forward_them_to_another_accounts_bus(aws_one_attempt):
    dev, staging = aws_one_attempt.client("events", DEV), aws_one_attempt.client("events", STAGING)
    staging_url, staging_queue = queue_arn(aws_one_attempt, STAGING, "smgitops-events")
    dev_url, dev_queue = queue_arn(aws_one_attempt, DEV, "smgitops-events")
    pattern = json.dumps({"source": ["smgitops.test"]})
    staging.put_rule(Name="to-queue", EventPattern=pattern)
    staging.put_targets(Rule="to-queue", Targets=[{"Id": "q", "Arn": staging_queue}])
    dev.put_rule(Name="forward", EventPattern=pattern)
    dev.put_targets(
        Rule="forward",
        Targets=[
            {"Id": "q", "Arn": dev_queue},
            {"Id": "bus", "Arn": "arn:aws:events:us-east-1:222222222222:event-bus/default", "RoleArn": DEV.role},
        ],
    )

    dev.put_events(Entries=[{"Source": "smgitops.test", "DetailType": "t", "Detail": json.dumps({"n": 1})}])

    assert [event["detail"] for event in received(aws_one_attempt, DEV, dev_url)] == [{"n": 1}]
    forwarded = received(aws_one_attempt, STAGING, staging_url)
    assert [(event["detail"], event["source"]) for event in forwarded] == [({"n": 1}, "smgitops.test")]
    # GAP: the emulator checks no bus policy (PutPermission) before delivering to another account.


def test_put_events_to_another_accounts_bus_arn_lands_on_the_callers_own_bus(aws_one_attempt):
    dev, staging = aws_one_attempt.client("events", DEV), aws_one_attempt.client("events", STAGING)
    staging_url, staging_queue = queue_arn(aws_one_attempt, STAGING, "smgitops-events")
    dev_url, dev_queue = queue_arn(aws_one_attempt, DEV, "smgitops-events")
    for events, queue in ((dev, dev_queue), (staging, staging_queue)):
        events.put_rule(Name="to-queue", EventPattern=json.dumps({"source": ["smgitops.test"]}))
        events.put_targets(Rule="to-queue", Targets=[{"Id": "q", "Arn": queue}])

    dev.put_events(
        Entries=[
            {
                "Source": "smgitops.test", "DetailType": "t", "Detail": json.dumps({"n": 2}),
                "EventBusName": "arn:aws:events:us-east-1:222222222222:event-bus/default",
            }
        ]
    )  # fmt: skip

    # GAP: AWS puts the event on staging's bus; the emulator keeps only the bus name and uses dev's own.
    # Workaround: reach another account through a rule whose target is that account's bus (test above).
    assert [event["detail"] for event in received(aws_one_attempt, DEV, dev_url)] == [{"n": 2}]
    assert received(aws_one_attempt, STAGING, staging_url) == []


def test_put_events_fails_when_a_matching_rule_targets_a_pipeline_or_topic(events, aws_one_attempt):
    sns_target = {"Id": "notify", "Arn": "arn:aws:sns:us-east-1:111111111111:churn-alerts"}
    events.put_rule(Name="notify", EventPattern=json.dumps({"source": ["smgitops.test"]}))
    events.put_targets(Rule="notify", Targets=[sns_target])

    with pytest.raises(Exception) as delivery:
        events.put_events(Entries=[{"Source": "smgitops.test", "DetailType": "t", "Detail": "{}"}])

    # GAP: the emulator delivers only to SQS, CloudWatch Logs, other buses and API destinations; a matching
    # rule whose target is a SageMaker pipeline or an SNS topic makes PutEvents an HTTP 500, and SageMaker
    # emits no events at all. Workaround: in tests, send events only where the matching rules target SQS.
    assert error_code(delivery.value) == "500"


def test_s3_object_events_reach_eventbridge_rules(aws_one_attempt):
    s3, dev = aws_one_attempt.client("s3", DEV), aws_one_attempt.client("events", DEV)
    url, queue = queue_arn(aws_one_attempt, DEV, "new-data")
    s3.create_bucket(Bucket="acme-dev-training")
    s3.put_bucket_notification_configuration(
        Bucket="acme-dev-training", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    pattern = {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": ["acme-dev-training"]}},
    }
    dev.put_rule(Name="new-training-data", EventPattern=json.dumps(pattern))
    dev.put_targets(Rule="new-training-data", Targets=[{"Id": "q", "Arn": queue}])

    s3.put_object(Bucket="acme-dev-training", Key="churn/training/2024-06.csv", Body=b"a,b\n1,2\n")

    events = received(aws_one_attempt, DEV, url)
    assert [event["detail"]["object"]["key"] for event in events] == ["churn/training/2024-06.csv"]
