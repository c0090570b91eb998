"""SNS topics that tell people about new versions, failures and drift, with their email subscriptions.

One topic per `notifications.topic` in each environment. Deployment files of one environment that name the same
topic share it: it is one resource whose emails are the union of theirs, declared (for `source`, `model` and
error messages) by the first of those files by path, and adopted when any of them says `adopt: true`. The topic
carries the ownership tags plus `smgitops:environment` (two environments may share an account: a topic tagged
for the other one is not managed here, so declaring it is a conflict, and it is never this one's orphan), and a
policy statement that lets EventBridge (`events.amazonaws.com`, from the same account) publish to it, set at
create and corrected on every update.

Reads, per environment: ListTopics and one Resource Groups Tagging API GetResources (the topics tagged as
managed for this environment, with all their tags: how an orphan is found without reading the tags of every
topic in the account), then ListSubscriptionsByTopic for each topic git declares or that call returned, and
ListTagsForResource unless the index already settles it. The index can lag behind a fresh tag, so its tags are
trusted only to say "nothing to do": a declared topic the index lists as managed here, whose subscriptions
match git and whose recorded spec hash is git's, takes its tags from the index (fresher tags could only turn
that into a held conflict or a tag-only finish, never into a write of subscriptions). Every other topic, so
every topic a plan would change, delete or report, has its tags read directly. An orphan whose tags have not
reached the index yet is found one reconcile later. In the service, a topic whose tags in that index did not
move is not read again (a subscription changed by hand is found by its event or the next full read). The topic
policy is not read (a third read per topic): a console edit of it is not reported and is corrected at the next
update.

Email subscriptions still pending confirmation (SubscriptionArn `PendingConfirmation`) count as present, so an
address is never subscribed twice while its owner has not clicked the link. A pending subscription cannot be
removed through the API (AWS deletes unconfirmed ones after 48 hours), so one for an address git no longer
declares is left out of the live spec; if it is confirmed in time it shows up and is unsubscribed then.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from controller.aws.errors import is_not_found, paginate
from controller.desired.model import Deployment, DesiredState
from controller.kinds.arns import topic_arn
from controller.kinds.base import (
    MANAGED_TAG,
    SPEC_HASH_TAG,
    Live,
    ReadScope,
    Resource,
    live_from_tags,
    ownership_tags,
    spec_hash,
    tags_to_dict,
    tags_to_list,
)
from controller.kinds.base import (
    PENDING as PENDING_HASH,
)
from controller.kinds.grants import MANAGED, TOPIC, Grant
from controller.kinds.memory import described

NAME = "topic"
SCOPE = "environment"
ORDER = 30
CREATABLE = True
READS = (
    "sns:ListTopics",
    "resourcegroupstaggingapi:GetResources",
    "sns:ListTagsForResource",
    "sns:ListSubscriptionsByTopic",
    "sns:GetTopicAttributes",
)
WRITES = (
    "sns:CreateTopic",
    "sns:TagResource",
    "sns:SetTopicAttributes",
    "sns:Subscribe",
    "sns:Unsubscribe",
    "sns:DeleteTopic",
)
TOPIC_READS = ("sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource")
PERMISSIONS = (
    Grant("deploy", "List", ("sns:ListTopics",), ("*",), unscoped="ListTopics names no resource"),
    Grant("deploy", "FindOwned", ("tag:GetResources",), ("*",),
          unscoped="the tagging API's GetResources names no resource"),
    Grant("deploy", "Unsubscribe", ("sns:Unsubscribe",), ("*",),
          unscoped="Unsubscribe acts on a subscription, which has no resource type in IAM"),
    Grant("deploy", "Declared", (*TOPIC_READS, *(op for op in WRITES if op != "sns:Unsubscribe")), (TOPIC,)),
    Grant("deploy", "Owned", (*TOPIC_READS, "sns:DeleteTopic"), ("arn:{partition}:sns:{region}:{account}:*",), MANAGED),
)

ENVIRONMENT_TAG = "smgitops:environment"
PENDING = "PendingConfirmation"
EVENTS_STATEMENT_ID = "smgitops-eventbridge-publish"


def desired(state: DesiredState) -> list[Resource]:
    sharing: dict[tuple[str, str], list[Deployment]] = defaultdict(list)
    for deployment in sorted(state.deployments, key=lambda item: item.source):
        if deployment.notifications is not None:
            sharing[(deployment.environment, deployment.notifications.topic)].append(deployment)
    return [_resource(state, environment, topic, files) for (environment, topic), files in sorted(sharing.items())]


def _resource(state: DesiredState, environment: str, topic: str, files: Sequence[Deployment]) -> Resource:
    first = files[0]
    spec = {"emails": sorted({email for item in files for email in item.notifications.emails})}
    tags = {**ownership_tags(source=first.source, revision=state.revision, spec=spec), ENVIRONMENT_TAG: environment}
    return Resource(
        kind=NAME,
        name=topic,
        environment=environment,
        target=state.environments[environment].target,
        spec=spec,
        source=first.source,
        breadcrumb="notifications.topic",
        model=first.model,
        payload={"tags": tags},
        adopt=any(item.adopt for item in files),
    )


def read(clients: Any, scope: ReadScope) -> list[Live]:
    sns = clients.client("sns", scope.target)
    existing = {arn.rsplit(":", 1)[1]: arn for arn in _topic_arns(sns)}
    declared = {resource.name: resource.spec for resource in scope.resources}
    candidates = {name for name in declared if name in existing}
    managed = _managed_topics(clients, scope)
    candidates |= {name for name in managed if name in existing}

    def read_one(name: str) -> Live | None:
        emails = _emails(declared.get(name))
        stamp = (tuple(sorted(managed[name].items())), emails) if name in managed else None
        arn = existing[name]
        settles = managed.get(name) if name in declared else None
        return described(
            scope.memory, name, stamp,
            lambda: _read_topic(sns, scope.environment, arn, declared=declared.get(name), indexed_tags=settles),
        )

    return [live for live in clients.map(scope.target, read_one, sorted(candidates)) if live is not None]


def _topic_arns(sns: Any) -> list[str]:
    return [item["TopicArn"] for item in paginate(sns, "list_topics", "Topics")]


def _managed_topics(clients: Any, scope: ReadScope) -> dict[str, dict[str, str]]:
    """The topics tagged as managed for this environment, with their tags (the service's stamp of each)."""
    tagging = clients.client("resourcegroupstaggingapi", scope.target)
    mappings = paginate(
        tagging,
        "get_resources",
        "ResourceTagMappingList",
        ResourceTypeFilters=["sns:topic"],
        TagFilters=[
            {"Key": MANAGED_TAG, "Values": ["true"]},
            {"Key": ENVIRONMENT_TAG, "Values": [scope.environment]},
        ],
    )
    return {item["ResourceARN"].rsplit(":", 1)[1]: tags_to_dict(item.get("Tags")) for item in mappings}


def _read_topic(
    sns: Any,
    environment: str,
    arn: str,
    *,
    declared: Mapping[str, Any] | None,
    indexed_tags: Mapping[str, str] | None,
) -> Live | None:
    """The topic's subscriptions, with its tags from the index when they settle that nothing is to be done
    (see the module's docstring), else read directly."""
    emails = _emails(declared)
    try:
        subscriptions = paginate(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn)
        if indexed_tags is not None:
            live = live_topic(arn, indexed_tags, subscriptions, environment=environment, declared_emails=emails)
            if _nothing_to_do(live, declared):
                return live
        tags = tags_to_dict(sns.list_tags_for_resource(ResourceArn=arn).get("Tags"))
    except Exception as error:
        if is_not_found(error):
            return None
        raise
    return live_topic(arn, tags, subscriptions, environment=environment, declared_emails=emails)


def _nothing_to_do(live: Live, declared: Mapping[str, Any] | None) -> bool:
    """Managed, finished, and both its subscriptions and its recorded hash are what git declares."""
    return (
        declared is not None
        and live.managed
        and not live.pending
        and dict(live.spec) == dict(declared)
        and live.applied_hash == spec_hash(declared)
    )


def live_topic(
    arn: str,
    tags: Mapping[str, str],
    subscriptions: Iterable[Mapping[str, Any]],
    *,
    environment: str,
    declared_emails: Iterable[str],
) -> Live:
    """One topic as the planner sees it. A topic tagged for another environment (sharing this account) is not
    ours here. When the hidden pending addresses were part of what smgitops last wrote, the recorded hash is
    re-stated for the visible spec, so hiding them is not mistaken for drift."""
    name = arn.rsplit(":", 1)[1]
    every_email, visible = live_emails(subscriptions, declared=declared_emails)
    spec = {"emails": visible}
    tags = dict(tags)
    if tags.get(SPEC_HASH_TAG) == spec_hash({"emails": every_email}):
        tags[SPEC_HASH_TAG] = spec_hash(spec)
    live = live_from_tags(name, spec, tags, arn=arn)
    if tags.get(ENVIRONMENT_TAG, environment) != environment:
        return Live(name=name, spec=spec, managed=False, source=live.source, arn=arn)
    return live


def live_emails(subscriptions: Iterable[Mapping[str, Any]], *, declared: Iterable[str]) -> tuple[list[str], list[str]]:
    """(every subscribed or pending email, the ones the live spec shows): a pending subscription of an address
    git does not declare is left out of the second, since it cannot be removed until confirmed."""
    wanted = set(declared)
    every, visible = set(), set()
    for subscription in subscriptions:
        if subscription.get("Protocol") != "email" or subscription.get("SubscriptionArn") == "Deleted":
            continue
        email = subscription["Endpoint"]
        every.add(email)
        if subscription.get("SubscriptionArn") != PENDING or email in wanted:
            visible.add(email)
    return sorted(every), sorted(visible)


def _emails(spec: Mapping[str, Any] | None) -> frozenset[str]:
    return frozenset((spec or {}).get("emails", ()))


def orphan(live: Live) -> None:
    """A topic no file names any more: delete it, with its subscriptions (under `prune: true`)."""
    return None


def apply(clients: Any, change: Any) -> None:
    sns = clients.client("sns", change.target)
    arn = change.payload.get("arn") or topic_arn(change.target, change.name)
    if change.action == "delete":
        _delete(sns, arn)
        return
    tags = change.payload["tags"]
    pending = tags_to_list({**tags, SPEC_HASH_TAG: PENDING_HASH})
    # Several calls: tag the topic pending first and with its real spec-hash last, so a topic an apply left
    # half-subscribed is a change still to make, never drift.
    if change.action == "create":
        arn = sns.create_topic(Name=change.name, Tags=pending)["TopicArn"]
    else:
        sns.tag_resource(ResourceArn=arn, Tags=pending)
    _converge_subscriptions(sns, arn, change.after["emails"])
    _ensure_events_policy(sns, arn, account=change.target.account)
    sns.tag_resource(ResourceArn=arn, Tags=tags_to_list(tags))


def _converge_subscriptions(sns: Any, arn: str, emails: Sequence[str]) -> None:
    """Subscribe what is missing, unsubscribe confirmed addresses git dropped; pending ones wait (see above)."""
    current = {
        item["Endpoint"]: item["SubscriptionArn"]
        for item in paginate(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn)
        if item.get("Protocol") == "email" and item.get("SubscriptionArn") != "Deleted"
    }
    for email in sorted(set(emails) - current.keys()):
        sns.subscribe(TopicArn=arn, Protocol="email", Endpoint=email)
    for email, subscription_arn in sorted(current.items()):
        if email not in emails and subscription_arn != PENDING:
            sns.unsubscribe(SubscriptionArn=subscription_arn)


def events_statement(arn: str, account: str) -> dict[str, Any]:
    return {
        "Sid": EVENTS_STATEMENT_ID,
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": arn,
        "Condition": {"StringEquals": {"aws:SourceAccount": account}},
    }


def _ensure_events_policy(sns: Any, arn: str, *, account: str) -> None:
    """Keep every other statement of the topic policy; add or correct smgitops's own, writing only if needed."""
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    policy = json.loads(attributes.get("Policy") or '{"Version": "2012-10-17", "Statement": []}')
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    wanted = events_statement(arn, account)
    if wanted in statements:
        return
    policy["Statement"] = [item for item in statements if item.get("Sid") != EVENTS_STATEMENT_ID] + [wanted]
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(policy))


def _delete(sns: Any, arn: str) -> None:
    try:
        sns.delete_topic(TopicArn=arn)
    except Exception as error:
        if not is_not_found(error):
            raise
