"""The `topic` kind: SNS topics with email subscriptions, per environment, against the emulator.

Emulator behaviour worth knowing here (moto 5.2): email subscriptions are confirmed at once (AWS leaves them
`PendingConfirmation` until the recipient clicks), so the pending-confirmation rules are checked on the
subscription lists `ListSubscriptionsByTopic` returns for pending addresses, through `topic.live_emails`. The
Resource Groups Tagging API's GetResources sees SNS topic tags immediately.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from helpers import converge, only
from helpers import environment as _environment

from controller.desired.model import (
    Account,
    BatchInference,
    Deployment,
    DesiredState,
    Environment,
    Notifications,
    Thresholds,
)
from controller.engine.plan import FieldDiff
from controller.engine.reconcile import make_plan, reconcile
from controller.kinds import topic
from controller.kinds.base import MANAGED_TAG, PENDING, REVISION_TAG, SOURCE_TAG, SPEC_HASH_TAG, spec_hash, tags_to_dict

pytestmark = pytest.mark.aws

TOPIC = only("topic")
DEV, STAGING, PROD = "111111111111", "222222222222", "333333333333"


def _deployment(environment: str, model: str, topic_name: str, *emails: str, **fields: Any) -> Deployment:
    return Deployment(
        environment=environment,
        model=model,
        source=f"{environment}/{model}.yaml",
        model_package_group=model,
        approved_version=3,
        batch_inference=BatchInference(
            pipeline=f"{model}-batch-inference",
            template="batch-inference",
            schedule="cron(0 4 * * ? *)",
            timezone="UTC",
            enabled=True,
            instance_type="ml.m5.large",
            instance_count=1,
            input=f"s3://acme-{environment}/{model}/inference/",
            output=f"s3://acme-{environment}/{model}/predictions/",
        ),
        thresholds=Thresholds(),
        notifications=Notifications(topic=topic_name, emails=emails),
        **fields,
    )


def _state(*deployments: Deployment, revision: str = "rev1", **extra: Environment) -> DesiredState:
    environments = {
        "dev": _environment("dev", DEV, prune=True),
        "staging": _environment("staging", STAGING, prune=True),
        "prod": _environment("prod", PROD, "eu-central-1", drift="warn", prune=False),
        **extra,
    }
    registry = Account(DEV, "us-east-1", f"arn:aws:iam::{DEV}:role/smgitops-registry")
    return DesiredState(registry=registry, environments=environments, deployments=deployments, revision=revision)


def _fleet(**fields: Any) -> DesiredState:
    return _state(
        _deployment("dev", "churn", "churn-alerts", "churn-team@example.com", **fields),
        _deployment("staging", "churn", "churn-alerts", "churn-team@example.com", **fields),
        _deployment("prod", "churn", "ml-alerts", "churn-team@example.com", "oncall@example.com", **fields),
        _deployment("prod", "ltv", "ml-alerts", "growth@example.com", "oncall@example.com", **fields),
    )


@pytest.fixture
def console(emulator):
    """SNS clients of a person in the console: separate from the controller's, so not counted as ours."""
    opened = []

    def sns_in(state: DesiredState, environment: str):
        target = state.environments[environment].target
        opened.append(emulator.clients(region=target.region))
        return opened[-1].client("sns", target)

    yield sns_in
    for clients in opened:
        clients.close()


def _arn(state: DesiredState, environment: str, name: str) -> str:
    return topic.topic_arn(state.environments[environment].target, name)


def _emails(sns, arn: str) -> list[str]:
    return sorted(item["Endpoint"] for item in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"])


def _tags(sns, arn: str) -> dict[str, str]:
    return tags_to_dict(sns.list_tags_for_resource(ResourceArn=arn)["Tags"])


def test_first_apply_creates_tagged_topics_with_subscriptions_and_an_eventbridge_policy(aws, console):
    state = _fleet()
    outcome, _ = converge(state, aws, "topic")
    assert sorted(change.address for change in outcome.plan.changes) == [
        "dev/topic/churn-alerts", "prod/topic/ml-alerts", "staging/topic/churn-alerts"
    ]
    sns = console(state, "prod")
    arn = _arn(state, "prod", "ml-alerts")
    assert _emails(sns, arn) == ["churn-team@example.com", "growth@example.com", "oncall@example.com"]
    tags = _tags(sns, arn)
    assert (tags[MANAGED_TAG], tags[SOURCE_TAG], tags[REVISION_TAG], tags["smgitops:environment"]) == (
        "true", "prod/churn.yaml", "rev1", "prod"
    )
    policy = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    assert topic.events_statement(arn, PROD) in policy["Statement"]
    assert len(policy["Statement"]) == 2  # the default owner statement is kept
    assert _emails(console(state, "staging"), _arn(state, "staging", "churn-alerts")) == ["churn-team@example.com"]


def test_shared_topic_is_one_resource_declared_by_the_first_file():
    [shared] = [item for item in topic.desired(_fleet()) if item.environment == "prod"]
    assert (shared.name, shared.source, shared.model, shared.breadcrumb) == (
        "ml-alerts", "prod/churn.yaml", "churn", "notifications.topic"
    )
    assert shared.spec == {"emails": ["churn-team@example.com", "growth@example.com", "oncall@example.com"]}


def test_no_change_plan_makes_one_read_per_topic_and_two_lists_per_environment(aws):
    """The tagging index's tags settle a topic in sync with git: its own tags are not read again."""
    state = _fleet()
    converge(state, aws, "topic")
    before = aws.calls.snapshot()
    plan = make_plan(replace(state, revision="rev2"), clients=aws, kinds=TOPIC)
    assert not plan.changes and plan.in_sync == 3
    assert aws.calls.since(before).by_operation() == {
        "sns:ListTopics": 3,
        "resourcegroupstaggingapi:GetResources": 3,
        "sns:ListSubscriptionsByTopic": 3,
    }


def test_a_topic_the_plan_would_touch_has_its_tags_read_directly(aws, console):
    """Only "nothing to do" is taken from the index: a changed subscription or an unfinished write is judged on
    the topic's own tags, read once for that topic alone."""
    state = _fleet()
    converge(state, aws, "topic")
    dev, prod = console(state, "dev"), console(state, "prod")
    dev.subscribe(TopicArn=_arn(state, "dev", "churn-alerts"), Protocol="email", Endpoint="intruder@example.com")
    prod.tag_resource(ResourceArn=_arn(state, "prod", "ml-alerts"), Tags=[{"Key": SPEC_HASH_TAG, "Value": PENDING}])
    before = aws.calls.snapshot()
    plan = make_plan(state, clients=aws, kinds=TOPIC)
    found = {change.address: (change.action, change.reason, change.hold) for change in plan.changes}
    assert found == {
        "dev/topic/churn-alerts": ("update", "drift", None),
        "prod/topic/ml-alerts": ("update", "desired-change", None),
    }
    assert aws.calls.since(before).by_operation()["sns:ListTagsForResource"] == 2
    converge(state, aws, "topic")
    assert _tags(prod, _arn(state, "prod", "ml-alerts"))[SPEC_HASH_TAG] == spec_hash(
        {"emails": ["churn-team@example.com", "growth@example.com", "oncall@example.com"]}
    )


def test_emails_added_and_removed_in_git_are_subscribed_and_unsubscribed(aws, console):
    converge(_fleet(), aws, "topic")
    changed = _state(_deployment("dev", "churn", "churn-alerts", "new@example.com"), revision="rev2")
    outcome, _ = converge(changed, aws, "topic")
    [update] = [change for change in outcome.plan.changes if change.environment == "dev"]
    assert (update.action, update.reason) == ("update", "desired-change")
    assert update.diff == (FieldDiff("emails", ["churn-team@example.com"], ["new@example.com"]),)
    sns = console(changed, "dev")
    arn = _arn(changed, "dev", "churn-alerts")
    assert _emails(sns, arn) == ["new@example.com"]
    assert _tags(sns, arn)[REVISION_TAG] == "rev2"


def test_console_subscription_is_drift_reverted_under_enforce_and_held_under_warn(aws, console):
    state = _fleet()
    converge(state, aws, "topic")
    for environment, name in (("dev", "churn-alerts"), ("prod", "ml-alerts")):
        console(state, environment).subscribe(
            TopicArn=_arn(state, environment, name), Protocol="email", Endpoint="intruder@example.com"
        )
    outcome = reconcile(state, clients=aws, kinds=TOPIC)
    found = {change.address: (change.reason, change.hold) for change in outcome.plan.changes}
    assert found == {"dev/topic/churn-alerts": ("drift", None), "prod/topic/ml-alerts": ("drift", "drift: warn")}
    assert _emails(console(state, "dev"), _arn(state, "dev", "churn-alerts")) == ["churn-team@example.com"]
    assert "intruder@example.com" in _emails(console(state, "prod"), _arn(state, "prod", "ml-alerts"))


def test_console_unsubscribe_is_drift_and_the_address_comes_back(aws, console):
    state = _fleet()
    converge(state, aws, "topic")
    sns = console(state, "staging")
    arn = _arn(state, "staging", "churn-alerts")
    [subscription] = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
    [change] = make_plan(state, clients=aws, kinds=TOPIC).changes
    assert (change.reason, change.diff) == ("drift", (FieldDiff("emails", [], ["churn-team@example.com"]),))
    converge(state, aws, "topic")
    assert _emails(sns, arn) == ["churn-team@example.com"]


def test_topic_policy_is_corrected_on_update(aws, console):
    state = _fleet()
    converge(state, aws, "topic")
    sns = console(state, "dev")
    arn = _arn(state, "dev", "churn-alerts")
    sns.set_topic_attributes(
        TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": []})
    )
    assert make_plan(state, clients=aws, kinds=TOPIC).changes == ()  # the policy is not read: see topic.py
    converge(_state(_deployment("dev", "churn", "churn-alerts", "a@example.com")), aws, "topic")
    policy = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    assert policy["Statement"] == [topic.events_statement(arn, DEV)]


def test_unowned_topic_of_the_same_name_is_a_conflict_left_alone(aws, console):
    state = _state(_deployment("staging", "churn", "churn-alerts", "churn-team@example.com"))
    sns = console(state, "staging")
    arn = sns.create_topic(Name="churn-alerts", Tags=[{"Key": "team", "Value": "churn"}])["TopicArn"]
    sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="someone@example.com")
    outcome = reconcile(state, clients=aws, kinds=TOPIC)
    [change] = outcome.plan.changes
    assert (change.action, change.reason, change.before) == ("none", "conflict", {"emails": ["someone@example.com"]})
    assert outcome.reason == "held"
    assert _emails(sns, arn) == ["someone@example.com"]
    assert _tags(sns, arn) == {"team": "churn"}


def test_orphans_are_deleted_only_where_prune_is_true(aws, console):
    converge(_fleet(), aws, "topic")
    shrunk = _state(_deployment("staging", "churn", "churn-alerts", "churn-team@example.com"))
    outcome, again = converge(shrunk, aws, "topic")
    found = {change.address: (change.action, change.reason, change.hold) for change in outcome.plan.changes}
    assert found == {
        "dev/topic/churn-alerts": ("delete", "orphan", None),
        "prod/topic/ml-alerts": ("delete", "orphan", "prune: false"),
    }
    assert console(shrunk, "dev").list_topics()["Topics"] == []
    assert console(shrunk, "prod").list_topics()["Topics"] == [{"TopicArn": _arn(shrunk, "prod", "ml-alerts")}]
    assert [change.address for change in again.held] == ["prod/topic/ml-alerts"]


def test_environments_sharing_an_account_do_not_take_each_others_topics(aws, console):
    sandbox = _environment("sandbox", DEV, prune=True)
    state = _state(_deployment("sandbox", "churn", "churn-alerts", "a@example.com"), sandbox=sandbox)
    converge(state, aws, "topic")
    before = aws.calls.snapshot()
    assert make_plan(state, clients=aws, kinds=TOPIC, environments=["dev"]).changes == ()
    assert "sns:ListTagsForResource" not in aws.calls.since(before).by_operation()  # not even read from dev
    clashing = _state(
        _deployment("sandbox", "churn", "churn-alerts", "a@example.com"),
        _deployment("dev", "churn", "churn-alerts", "b@example.com"),
        sandbox=sandbox,
    )
    [change] = make_plan(clashing, clients=aws, kinds=TOPIC).changes
    assert (change.address, change.reason) == ("dev/topic/churn-alerts", "conflict")
    assert _emails(console(state, "dev"), _arn(state, "dev", "churn-alerts")) == ["a@example.com"]


def test_pending_confirmations_count_as_present_and_undeclared_pending_ones_are_not_shown():
    listed = [
        {"Protocol": "email", "Endpoint": "kept@example.com", "SubscriptionArn": "arn:aws:sns:us-east-1:1:t:1"},
        {"Protocol": "email", "Endpoint": "waiting@example.com", "SubscriptionArn": "PendingConfirmation"},
        {"Protocol": "email", "Endpoint": "dropped@example.com", "SubscriptionArn": "PendingConfirmation"},
        {"Protocol": "sqs", "Endpoint": "arn:aws:sqs:us-east-1:1:q", "SubscriptionArn": "arn:aws:sns:us-east-1:1:t:2"},
    ]
    every, visible = topic.live_emails(listed, declared=["kept@example.com", "waiting@example.com"])
    assert every == ["dropped@example.com", "kept@example.com", "waiting@example.com"]
    assert visible == ["kept@example.com", "waiting@example.com"]
    assert spec_hash({"emails": visible}) != spec_hash({"emails": every})


PENDING_LIST = [
    {"Protocol": "email", "Endpoint": "kept@example.com", "SubscriptionArn": "arn:aws:sns:us-east-1:1:t:1"},
    {"Protocol": "email", "Endpoint": "gone@example.com", "SubscriptionArn": "PendingConfirmation"},
]
OURS = "arn:aws:sns:us-east-1:111111111111:alerts"


def test_hiding_a_pending_address_smgitops_subscribed_is_not_drift():
    written = {"emails": ["gone@example.com", "kept@example.com"]}
    tags = {MANAGED_TAG: "true", "smgitops:spec-hash": spec_hash(written), "smgitops:environment": "dev"}
    live = topic.live_topic(OURS, tags, PENDING_LIST, environment="dev", declared_emails=["kept@example.com"])
    assert live.spec == {"emails": ["kept@example.com"]}
    assert (live.managed, live.applied_hash) == (True, spec_hash(live.spec))


def test_a_pending_address_added_in_the_console_and_declared_later_is_in_sync_not_drift():
    tags = {MANAGED_TAG: "true", "smgitops:spec-hash": spec_hash({"emails": ["kept@example.com"]})}
    declared = ["gone@example.com", "kept@example.com"]
    live = topic.live_topic(OURS, tags, PENDING_LIST, environment="dev", declared_emails=declared)
    assert live.spec == {"emails": declared}
    assert live.applied_hash == spec_hash({"emails": ["kept@example.com"]})


def test_a_topic_tagged_for_another_environment_is_not_managed_here():
    tags = {MANAGED_TAG: "true", "smgitops:environment": "sandbox"}
    assert not topic.live_topic(OURS, tags, [], environment="dev", declared_emails=[]).managed
