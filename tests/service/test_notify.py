"""Notifications published to real SNS topics in the emulator and read back from an SQS queue subscribed to each
topic: what people receive, deduplication per (resource, event, revision), and the approval hint."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from controller.desired import load
from controller.engine.applier import ApplyResult
from controller.engine.plan import Change, FieldDiff, Plan
from controller.engine.reconcile import Outcome
from controller.service.notify import Notifier

pytestmark = pytest.mark.aws

DESIRED = Path(__file__).parents[2] / "desired_state"


@pytest.fixture(scope="module")
def state():
    loaded = load(DESIRED, revision="abc123")
    assert not loaded.problems, loaded.problems
    return loaded.state


class Inbox:
    """An SQS queue subscribed to one SNS topic: what a subscriber of the topic receives."""

    def __init__(self, clients, target, topic: str) -> None:
        sns, self.sqs = clients.client("sns", target), clients.client("sqs", target)
        self.topic_arn = sns.create_topic(Name=topic)["TopicArn"]
        self.url = self.sqs.create_queue(QueueName=f"{topic}-inbox")["QueueUrl"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]
        sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=attributes["QueueArn"])

    def messages(self) -> list[dict]:
        """Every SNS envelope delivered since the last call (subject, message, attributes)."""
        delivered = []
        while batch := self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages"):
            for message in batch:
                delivered.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return delivered


def pipeline_change(state, *, reason: str = "drift", hold: str | None = "drift: warn", name="churn-batch-inference"):
    return Change(
        kind="pipeline",
        name=name,
        environment="prod",
        target=state.environments["prod"].target,
        action="update",
        reason=reason,
        source="prod/churn.yaml",
        before={"instanceType": "ml.m5.4xlarge"},
        after={"instanceType": "ml.m5.xlarge"},
        diff=(FieldDiff("instanceType", "ml.m5.4xlarge", "ml.m5.xlarge"),),
        model="churn",
        hold=hold,
    )


def outcome_of(state, *changes: Change, applied=(), failed=(), revision="abc123") -> Outcome:
    plan = Plan(revision=revision, changes=changes, environments=tuple(state.environments))
    result = ApplyResult(applied=list(applied), failed=list(failed))
    return Outcome("apply-failed" if failed else "applied", plan, result=result)


def test_drift_held_under_warn_is_delivered_once_per_revision(aws, state):
    inbox = Inbox(aws, state.environments["prod"].target, "churn-alerts")
    notifier = Notifier(aws)
    outcome = outcome_of(state, pipeline_change(state))

    [sent] = notifier.notify(state, outcome)
    [message] = inbox.messages()
    assert sent.topic_arn == inbox.topic_arn == "arn:aws:sns:us-east-1:333333333333:churn-alerts"
    assert message["Subject"] == "smgitops: drift detected on prod/pipeline/churn-batch-inference"
    assert message["Message"] == (
        "Drift detected: prod/pipeline/churn-batch-inference was changed outside git.\n"
        "It is not being reverted: drift: warn.\n"
        "\n"
        "Fields (live -> git):\n"
        '  instanceType: "ml.m5.4xlarge" -> "ml.m5.xlarge"\n'
        "\n"
        "Environment: prod (account 333333333333, us-east-1)\n"
        "Declared in: prod/churn.yaml\n"
        "Revision: abc123\n"
    )
    assert message["MessageAttributes"]["event"] == {"Type": "String", "Value": "drift-detected"}

    assert notifier.notify(state, outcome) == [] and inbox.messages() == []  # the next reconcile: same event

    newer = outcome_of(state, pipeline_change(state), revision="def456")
    assert len(notifier.notify(state, newer)) == 1
    assert [message["Message"].splitlines()[-1] for message in inbox.messages()] == ["Revision: def456"]


def test_a_failed_apply_carries_its_error_line_and_a_corrected_drift_is_reported(aws, state):
    inbox = Inbox(aws, state.environments["prod"].target, "churn-alerts")
    failing = pipeline_change(state, reason="desired-change", hold=None)
    corrected = pipeline_change(state, hold=None, name="churn-training")
    error = "AccessDeniedException: User is not authorized to perform: sagemaker:UpdatePipeline"
    Notifier(aws).notify(state, outcome_of(state, failing, corrected, applied=[corrected], failed=[(failing, error)]))

    by_subject = {message["Subject"]: message["Message"] for message in inbox.messages()}
    assert set(by_subject) == {
        "smgitops: apply failed for prod/pipeline/churn-batch-inference",
        "smgitops: drift corrected on prod/pipeline/churn-training",
    }
    failure = by_subject["smgitops: apply failed for prod/pipeline/churn-batch-inference"]
    assert failure.startswith("Apply failed: smgitops could not update prod/pipeline/churn-batch-inference.\n")
    assert f"\nError: {error}\n" in failure
    assert "had been changed outside git; smgitops put it back" in by_subject[
        "smgitops: drift corrected on prod/pipeline/churn-training"
    ]


def test_changes_that_are_neither_drift_nor_failures_send_nothing(aws, state):
    inbox = Inbox(aws, state.environments["prod"].target, "churn-alerts")
    applied = pipeline_change(state, reason="desired-change", hold=None)
    assert Notifier(aws).notify(state, outcome_of(state, applied, applied=[applied])) == []
    assert inbox.messages() == []


def test_a_new_version_names_the_one_line_merge_request_that_approves_it(aws, state):
    dev = Inbox(aws, state.environments["dev"].target, "churn-alerts")
    notifier = Notifier(aws)

    [sent] = notifier.notify_pending(state, "churn", 9)
    [message] = dev.messages()
    assert sent.topic_arn == "arn:aws:sns:us-east-1:111111111111:churn-alerts"
    assert message["Subject"] == "smgitops: churn version 9 awaits approval"
    assert "one line of dev/churn.yaml:\n\n    approvedVersion: 9\n" in message["Message"]
    assert "(dev runs version 8 now.)" in message["Message"]
    assert "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/9" in message["Message"]
    assert notifier.notify_pending(state, "churn", 9) == [] and dev.messages() == []


def test_a_version_goes_to_the_first_environment_that_deploys_its_group(aws, state):
    staging = Inbox(aws, state.environments["staging"].target, "ltv-alerts")  # dev deploys no ltv
    [sent] = Notifier(aws).notify_pending(state, "customer-ltv", 4)
    assert sent.topic_arn == staging.topic_arn
    assert "one line of staging/ltv.yaml:" in staging.messages()[0]["Message"]


def test_a_topic_that_does_not_exist_yet_is_tried_again_next_time(aws, state):
    notifier = Notifier(aws)
    outcome = outcome_of(state, pipeline_change(state))
    assert notifier.notify(state, outcome) == []  # the topic kind has not created it yet
    inbox = Inbox(aws, state.environments["prod"].target, "churn-alerts")
    assert len(notifier.notify(state, outcome)) == 1 and len(inbox.messages()) == 1


def test_subjects_fit_sns_limits_and_topics_can_be_chosen(aws, state):
    central = Inbox(aws, state.environments["prod"].target, "ops-alerts")
    notifier = Notifier(aws, publish_topic_of=lambda state, deployment: central.topic_arn)
    [sent] = notifier.notify(state, outcome_of(state, pipeline_change(state, name="p" * 200)))
    [message] = central.messages()
    assert len(message["Subject"]) == 100 and message["Subject"].endswith("...")
    assert sent.subject == message["Subject"]


def test_without_notifications_nothing_is_published(aws, state):
    silent = replace(state, deployments=tuple(replace(d, notifications=None) for d in state.deployments))
    assert Notifier(aws).notify(silent, outcome_of(silent, pipeline_change(silent))) == []
