"""Which deployments an EventBridge event touches: the keys a targeted reconcile should look at.

The event queue (`controller.service.poller`) hands every message body here; `keys_for_event` answers with the
(environment, model) keys to reconcile, or an empty set for an event that concerns nothing git declares (the
caller logs and drops it). `KeyIndex.build(state)` is made once per loaded revision from the model objects only
(no rendering, no AWS calls). Three families of events are understood:

- `SageMaker Model Package State Change`: every deployment of that model package group, in any environment
  (the registry's approvals are part of every targeted reconcile);
- `SageMaker Model Building Pipeline Execution (Step) Status Change`: the deployment whose pipeline it is;
- `AWS API Call via CloudTrail` from SageMaker, EventBridge Scheduler, EventBridge and SNS: by the name of the
  pipeline, model package, schedule, rule or topic the call changed, in the account and region it was made.
  Calls the controller made itself (its AssumeRole session is named `smgitops`) are dropped, so its own
  writes do not wake it up again.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from controller.desired.model import DesiredState
from controller.kinds.trigger_rules import desired_rules

Key = tuple[str, str]
"""(environment, model): the environment the touched object lives in, and the model it serves."""
Place = tuple[str, str]
"""(account, region)."""

PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"
PIPELINE_STATUS_CHANGES = (
    "SageMaker Model Building Pipeline Execution Status Change",
    "SageMaker Model Building Pipeline Execution Step Status Change",
)
API_CALL = "AWS API Call via CloudTrail"
CONTROLLER_SESSION = "/smgitops"
"""The end of the assumed-role ARN of every call the controller makes (`controller.aws.clients.SESSION_NAME`)."""


@dataclass(frozen=True)
class KeyIndex:
    """Resource names → deployment keys, per account and region, for one desired state."""

    groups: Mapping[str, frozenset[Key]] = field(default_factory=dict)
    names: Mapping[tuple[Place, str], frozenset[Key]] = field(default_factory=dict)
    """(place, lower-cased pipeline, schedule, rule or topic name) → keys."""
    announced: frozenset[str] = frozenset()
    """Model package groups whose new versions an EventBridge rule (trigger kind) already announces."""

    @classmethod
    def build(cls, state: DesiredState) -> KeyIndex:
        groups: dict[str, set[Key]] = defaultdict(set)
        names: dict[tuple[Place, str], set[Key]] = defaultdict(set)
        for deployment in state.deployments:
            environment = state.environments[deployment.environment]
            place = (environment.account, environment.region)
            groups[deployment.model_package_group].add(deployment.key)
            owned = [deployment.batch_inference.pipeline]
            if deployment.training is not None:
                owned.append(deployment.training.pipeline)
            if deployment.notifications is not None:
                owned.append(deployment.notifications.topic)
            for name in owned:
                names[(place, name.lower())].add(deployment.key)
        announced = set()
        for rule in desired_rules(state):
            environment = state.environments[rule.environment]
            place = (environment.account, environment.region)
            names[(place, rule.name.lower())].add((rule.environment, rule.deployment.model))
            if rule.spec.get("pattern", {}).get("detail-type") == [PACKAGE_STATE_CHANGE]:
                announced.add(rule.deployment.model_package_group)
        return cls(
            groups={group: frozenset(keys) for group, keys in groups.items()},
            names={name: frozenset(keys) for name, keys in names.items()},
            announced=frozenset(announced),
        )

    def by_group(self, group: str | None) -> set[Key]:
        return set(self.groups.get(group or "", ()))

    def by_name(self, place: Place, names: Iterable[str | None]) -> set[Key]:
        found: set[Key] = set()
        for name in names:
            if name:
                found |= self.names.get((place, re.split("[/:]", name)[-1].lower()), frozenset())
        return found


def keys_for_event(event: Mapping[str, Any], index: KeyIndex) -> set[Key]:
    """The keys `event` touches; empty when it concerns nothing declared (or is not an event at all)."""
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        return set()
    detail_type = event.get("detail-type")
    if detail_type == PACKAGE_STATE_CHANGE:
        return index.by_group(detail.get("ModelPackageGroupName"))
    if detail_type in PIPELINE_STATUS_CHANGES:
        return _by_arn(index, detail.get("pipelineArn"))
    if detail_type == API_CALL:
        return _by_api_call(event, detail, index)
    return set()


def awaiting_approval(event: Mapping[str, Any], state: DesiredState) -> tuple[str, int] | None:
    """(group, version) when `event` says a version newer than every one git declares awaits approval: a
    version training just registered (a version put back to pending is older than the declared ones)."""
    detail = event.get("detail")
    if event.get("detail-type") != PACKAGE_STATE_CHANGE or not isinstance(detail, Mapping):
        return None
    if detail.get("ModelApprovalStatus") != "PendingManualApproval":
        return None
    group = detail.get("ModelPackageGroupName")
    try:
        version = int(detail.get("ModelPackageVersion"))
    except (TypeError, ValueError):
        return None
    declared = [
        number
        for deployment in state.deployments
        if deployment.model_package_group == group
        for number in (deployment.approved_version, *deployment.rejected_versions)
    ]
    if not declared or version <= max(declared):
        return None
    return str(group), version


def _by_arn(index: KeyIndex, arn: Any) -> set[Key]:
    """`arn:aws:sagemaker:<region>:<account>:pipeline/<name>` (or any ARN ending in `/<name>`)."""
    parts = arn.split(":", 5) if isinstance(arn, str) else []
    if len(parts) != 6:
        return set()
    return index.by_name((parts[4], parts[3]), [parts[5]])


def _by_api_call(event: Mapping[str, Any], detail: Mapping[str, Any], index: KeyIndex) -> set[Key]:
    caller = detail.get("userIdentity") or {}
    if isinstance(caller, Mapping) and str(caller.get("arn", "")).endswith(CONTROLLER_SESSION):
        return set()
    request = detail.get("requestParameters") or {}
    if not isinstance(request, Mapping):
        return set()
    package = request.get("modelPackageArn") or request.get("modelPackageName")
    if isinstance(package, str) and "model-package/" in package:
        return index.by_group(package.split("model-package/", 1)[1].split("/", 1)[0])
    if request.get("modelPackageGroupName"):
        return index.by_group(request.get("modelPackageGroupName"))
    account = str(detail.get("recipientAccountId") or event.get("account") or "")
    region = str(detail.get("awsRegion") or event.get("region") or "")
    names = [request.get(key) for key in ("pipelineName", "name", "rule", "topicArn", "resourceArn")]
    subscription = request.get("subscriptionArn")
    if isinstance(subscription, str) and subscription.count(":") >= 6:
        names.append(subscription.split(":")[5])  # arn:aws:sns:<region>:<account>:<topic>:<id>
    return index.by_name((account, region), [name for name in names if isinstance(name, str)])
