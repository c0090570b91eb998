"""SNS notifications for people: drift detected or corrected, a failed apply, a new version awaiting approval.

The service loop calls `Notifier.notify(state, outcome)` after every reconcile and `notify_pending(state, group,
version)` when training registers a version. Each event goes, as one message, to the SNS topic of the
deployment it concerns (`notifications.topic` in that environment's account). Events are deduplicated by
(resource address, event, revision), so a resource stuck in one state mails once per git revision, not once
per reconcile; a new revision re-arms them, and a version awaiting approval is announced once. What was sent
is kept in a ledger (`controller.service.sent`): in the lease table when the controller has one, so a restart
or a new leader does not send it again; else in the process's memory. A message that SNS refuses is
forgotten, so the next reconcile tries again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from controller.desired.model import REGISTRY, Account, Deployment, DesiredState
from controller.engine.plan import Change
from controller.engine.reconcile import Outcome
from controller.kinds import arns
from controller.kinds.grants import TOPIC, Grant
from controller.service.sent import Ledger, MemoryLedger, NotificationKey

SUBJECT_LIMIT = 100
VALUE_LIMIT = 120
REMEMBERED = 10_000
PERMISSIONS = (Grant("deploy", "Publish", ("sns:Publish",), (TOPIC,)),)
"""Published with each environment's deploy role, to the topics its deployments declare."""
VERBS = {"create": "create", "update": "update", "delete": "delete", "none": "change"}

log = structlog.get_logger(__name__)

TopicOf = Callable[[DesiredState, Deployment], "str | None"]


@dataclass(frozen=True)
class Notification:
    """One message for one topic."""

    key: tuple[str, str, str]
    """(resource address, event, revision): what deduplication compares."""
    topic_arn: str
    subject: str
    body: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    """SNS message attributes (`event`, `environment`, `model`, `address`), for subscription filter policies."""


def topic_arn(state: DesiredState, deployment: Deployment) -> str | None:
    """`arn:aws:sns:<region>:<account>:<topic>` of the deployment's environment, None without notifications."""
    if deployment.notifications is None:
        return None
    return arns.topic_arn(state.environments[deployment.environment], deployment.notifications.topic)


class Notifier:
    def __init__(
        self,
        clients: Any,
        *,
        publish_topic_of: TopicOf = topic_arn,
        remember: int = REMEMBERED,
        ledger: Ledger | None = None,
    ) -> None:
        """`publish_topic_of(state, deployment)` names the topic for a deployment's events (None: no message);
        messages are published with the role of the deployment's environment. `ledger` remembers what was sent
        (default: this process's memory of the last `remember` notifications)."""
        self.clients = clients
        self.publish_topic_of = publish_topic_of
        self.ledger: Ledger = ledger or MemoryLedger(remember)

    def notify(self, state: DesiredState, outcome: Outcome) -> list[Notification]:
        """Publish the events of one reconcile that were not sent before; returns what was published."""
        sent = []
        for change, event, detail in _events(outcome):
            key = (change.address, event, outcome.plan.revision)
            for deployment in _deployments_of(state, change):
                subject, body = _message(change, event, detail, revision=outcome.plan.revision)
                sent += self._publish(state, deployment, key, subject, body, _attributes(change, event))
        return sent

    def notify_pending(self, state: DesiredState, group: str, version: int) -> list[Notification]:
        """Announce that `version` of model package group `group` awaits approval, to the deployments of the
        group in the first environments of its promotion path, each with the one-line MR that approves it."""
        key = (f"{REGISTRY}/approval/{group}/{version}", "awaiting-approval", str(version))
        sent = []
        for deployment in _entry_deployments(state, group, version):
            subject, body = _pending_message(state, deployment, version)
            attributes = {"event": "awaiting-approval", "environment": deployment.environment, "model": group}
            sent += self._publish(state, deployment, key, subject, body, attributes)
        return sent

    def _publish(
        self,
        state: DesiredState,
        deployment: Deployment,
        key: tuple[str, str, str],
        subject: str,
        body: str,
        attributes: Mapping[str, str],
    ) -> list[Notification]:
        arn = self.publish_topic_of(state, deployment)
        if arn is None or not self._claim((key, arn)):
            return []
        environment = state.environments[deployment.environment]
        region = arn.split(":")[3] or environment.region
        sns = self.clients.client("sns", Account(environment.account, region, environment.role))
        notification = Notification(key, arn, _subject(subject), body, attributes)
        try:
            sns.publish(
                TopicArn=arn,
                Subject=notification.subject,
                Message=body,
                MessageAttributes={
                    name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
                },
            )
        except Exception as error:  # a topic that is missing or refuses us must not stop the controller
            log.warning("notification not sent", topic=arn, address=key[0], notification=key[1], error=str(error))
            self._release((key, arn))
            return []
        log.info("notification sent", topic=arn, address=key[0], notification=key[1])
        return [notification]

    def _claim(self, key: NotificationKey) -> bool:
        try:
            return self.ledger.claim(key)
        except Exception as error:  # the ledger unreachable: skip now, the next reconcile asks again
            log.warning("notification ledger not reachable", address=key[0][0], error=str(error))
            return False

    def _release(self, key: NotificationKey) -> None:
        try:
            self.ledger.release(key)
        except Exception as error:
            log.warning("notification ledger not reachable", address=key[0][0], error=str(error))


def _events(outcome: Outcome) -> Iterable[tuple[Change, str, str]]:
    """(change, event, detail) for each thing people should hear about in one outcome."""
    result = outcome.result
    applied = {change.address for change in result.applied} if result else set()
    failed = {change.address: error for change, error in result.failed} if result else {}
    for change in outcome.plan.changes:
        if change.address in failed:
            yield change, "apply-failed", failed[change.address]
        elif change.reason == "drift" and change.address in applied:
            yield change, "drift-corrected", ""
        elif change.reason == "drift" and (change.hold or not outcome.result):
            yield change, "drift-detected", change.hold or outcome.message or outcome.reason


def _deployments_of(state: DesiredState, change: Change) -> list[Deployment]:
    """The deployments whose people hear about `change`: the declaring file's, or for the registry every
    deployment of the model package group, or for an orphan whose file is gone every one of its environment."""
    if change.environment == REGISTRY:
        return [d for d in state.deployments if d.model_package_group == change.model]
    declaring = [d for d in state.deployments if d.source == change.source and d.environment == change.environment]
    return declaring or list(state.deployments_in(change.environment))


def _entry_deployments(state: DesiredState, group: str, version: int) -> list[Deployment]:
    deploying = [d for d in state.deployments if d.model_package_group == group]
    environments = {d.environment for d in deploying}
    return [
        d
        for d in deploying
        if state.environments[d.environment].promotes_from not in environments
        and version != d.approved_version
        and version not in d.rejected_versions
    ]


def _message(change: Change, event: str, detail: str, *, revision: str) -> tuple[str, str]:
    where = _where(change, revision)
    if event == "apply-failed":
        subject = f"smgitops: apply failed for {change.address}"
        lines = [
            f"Apply failed: smgitops could not {VERBS[change.action]} {change.address}.",
            "",
            f"Error: {_one_line(detail)}",
            "",
            "It tries again at the next reconcile; later changes of the same deployment wait for it.",
        ]
    elif event == "drift-corrected":
        subject = f"smgitops: drift corrected on {change.address}"
        lines = [
            f"Drift corrected: {change.address} had been changed outside git; smgitops put it back.",
            *_fields(change, "was -> now"),
        ]
    else:
        subject = f"smgitops: drift detected on {change.address}"
        lines = [
            f"Drift detected: {change.address} was changed outside git.",
            f"It is not being reverted: {detail}.",
            *_fields(change, "live -> git"),
        ]
    return subject, "\n".join([*lines, "", *where]) + "\n"


def _pending_message(state: DesiredState, deployment: Deployment, version: int) -> tuple[str, str]:
    group = deployment.model_package_group
    lines = [
        f"Version {version} of model package group {group} was registered and awaits approval.",
        "",
        f"To run it in {deployment.environment}, open a merge request that changes one line of "
        f"{deployment.source}:",
        "",
        f"    approvedVersion: {version}",
        "",
        f"({deployment.environment} runs version {deployment.approved_version} now.)",
        "",
        f"Model package: {state.model_package_arn(deployment, version)}",
    ]
    return f"smgitops: {group} version {version} awaits approval", "\n".join(lines) + "\n"


def _fields(change: Change, heading: str) -> list[str]:
    if not change.diff:
        return []
    rows = [f"  {row.path}: {_value(row.before)} -> {_value(row.after)}" for row in change.diff]
    return ["", f"Fields ({heading}):", *rows]


def _where(change: Change, revision: str) -> list[str]:
    lines = [f"Environment: {change.environment} (account {change.target.account}, {change.target.region})"]
    if change.source:
        lines.append(f"Declared in: {change.source}")
    return [*lines, f"Revision: {revision}"]


def _attributes(change: Change, event: str) -> dict[str, str]:
    attributes = {"event": event, "environment": change.environment, "address": change.address}
    if change.model:
        attributes["model"] = change.model
    return attributes


def _subject(text: str) -> str:
    """SNS subjects: at most 100 printable ASCII characters on one line."""
    clean = "".join(char if " " <= char <= "~" else "?" for char in " ".join(text.split()))
    return clean if len(clean) <= SUBJECT_LIMIT else clean[: SUBJECT_LIMIT - 3] + "..."


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "(no message)"


def _value(value: Any) -> str:
    rendered = json.dumps(value, sort_keys=True, default=str)
    return rendered if len(rendered) <= VALUE_LIMIT else rendered[: VALUE_LIMIT - 3] + "..."
