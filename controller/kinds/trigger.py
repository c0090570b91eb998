"""EventBridge rules on each environment's default bus, with their targets: what reacts to events.

The rules themselves (patterns, targets, names) come from `controller.kinds.trigger_rules`; this module reads,
compares and writes them for the engine. Ownership is written twice at PutRule: as tags, and as a marker in the
rule's Description (with the owning environment, as environments may share an account), which ListRules
returns, so reading an environment is one ListRules (prefix `smgitops-`) plus one ListTargetsByRule per declared
or owned rule, plus one DescribeEventBus when a rule receives events from another account. In the service a
rule ListRules shows unchanged is not read again (its targets and the bus policy are remembered). PutRule ignores tags
on an existing rule, so an update refreshes them with TagResource. A receiving rule's spec carries `acceptFrom`
(the sending account): applying it also lets that account put events on this bus (PutPermission, statement
`smgitops-accept-<account>`), so a permission removed by hand shows as drift of that rule; deleting the last
receiving rule for an account removes the statement.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

from controller.aws.errors import is_not_found, paginate
from controller.desired.model import DesiredState
from controller.kinds.base import (
    MARKER,
    Live,
    ReadScope,
    Resource,
    live_from_marker,
    marked_environment,
    marker,
    ownership_tags,
    tags_to_list,
)
from controller.kinds.grants import DEFAULT_BUS, PIPELINE, RULE, Grant, pass_role
from controller.kinds.memory import described
from controller.kinds.trigger_rules import RULE_PREFIX, RuleSpec, desired_rules

NAME = "trigger"
SCOPE = "environment"
ORDER = 50
CREATABLE = True
READS = ("events:ListRules", "events:ListTargetsByRule", "events:DescribeEventBus")
WRITES = (
    "events:PutRule",
    "events:TagResource",
    "events:PutTargets",
    "events:RemoveTargets",
    "events:DeleteRule",
    "events:PutPermission",
    "events:RemovePermission",
)
BUS_POLICY = ("events:PutPermission", "events:RemovePermission")
PERMISSIONS = (
    Grant("deploy", "List", ("events:ListRules",), ("*",), unscoped="ListRules names no resource"),
    Grant("deploy", "Rules", tuple(op for op in (*READS, *WRITES) if op not in ("events:ListRules",
          "events:DescribeEventBus", *BUS_POLICY)), (RULE,)),
    Grant("deploy", "Bus", ("events:DescribeEventBus",), (DEFAULT_BUS,)),
    Grant("deploy", "BusPolicy", BUS_POLICY, ("*",),
          unscoped="PutPermission and RemovePermission have no resource type in IAM (they edit the bus policy)"),
    pass_role("deploy", fact="scheduler_role", service="events.amazonaws.com"),
    Grant("scheduler", "StartPipelines", ("sagemaker:StartPipelineExecution",), (PIPELINE,)),
    Grant("scheduler", "Forward", ("events:PutEvents",), ("{forward_bus}",)),
)
"""Rules are named `smgitops-*`; their targets start pipelines, or forward to another environment's default bus,
as the environment's `schedulerRole`."""

STATEMENT_PREFIX = "smgitops-accept-"
PUT_EVENTS = "events:PutEvents"


def desired(state: DesiredState) -> list[Resource]:
    return [_resource(state, rule) for rule in desired_rules(state)]


def _resource(state: DesiredState, rule: RuleSpec) -> Resource:
    deployment = rule.deployment
    spec = {**rule.spec, "pattern": normalise_pattern(rule.spec["pattern"])}
    return Resource(
        kind=NAME,
        name=rule.name,
        environment=rule.environment,
        target=state.environments[rule.environment].target,
        spec=spec,
        source=deployment.source,
        breadcrumb=rule.breadcrumb,
        model=deployment.model,
        adopt=deployment.adopt,
        payload={"tags": ownership_tags(source=deployment.source, revision=state.revision, spec=spec)},
    )


def read(clients: Any, scope: ReadScope) -> list[Live]:
    events = clients.client("events", scope.target)
    declared = {resource.name for resource in scope.resources}
    chosen = [
        rule for rule in paginate(events, "list_rules", "Rules", NamePrefix=RULE_PREFIX)
        if rule["Name"] in declared or marked_environment(rule.get("Description")) == scope.environment
    ]
    patterns = {rule["Name"]: json.loads(rule.get("EventPattern") or "{}") for rule in chosen}
    senders = {name: _sender(pattern, scope.target.account) for name, pattern in patterns.items()}
    bus_policy = _OnceRead(lambda: _accepted_accounts(events))

    def read_rule(rule: Mapping[str, Any]) -> Live | None:
        targets = _targets(events, rule["Name"])
        if targets is None:
            return None
        spec = {"pattern": normalise_pattern(patterns[rule["Name"]]), "state": rule.get("State"), "targets": targets}
        sender = senders[rule["Name"]]
        if sender:
            spec["acceptFrom"] = sender if sender in bus_policy.value() else None
        return live_from_marker(
            rule["Name"], spec, rule.get("Description"), environment=scope.environment, arn=rule.get("Arn")
        )

    def read_one(rule: Mapping[str, Any]) -> Live | None:
        stamp = tuple(str(rule.get(field)) for field in ("EventPattern", "State", "Description", "Arn"))
        return described(scope.memory, rule["Name"], stamp, lambda: read_rule(rule))

    return [live for live in clients.map(scope.target, read_one, chosen) if live is not None]


class _OnceRead:
    """The bus policy, read by the first rule of a scope that needs it while the others wait (rules are read
    concurrently; a scope whose rules are all remembered does not read it)."""

    def __init__(self, read: Callable[[], set[str]]) -> None:
        self._read = read
        self._lock = threading.Lock()
        self._value: set[str] | None = None

    def value(self) -> set[str]:
        with self._lock:
            if self._value is None:
                self._value = self._read()
            return self._value


def orphan(live: Live) -> None:
    return None


def apply(clients: Any, change: Any) -> None:
    events = clients.client("events", change.target)
    if change.action == "delete":
        _delete(events, change)
        return
    after = change.after
    sender = after.get("acceptFrom")
    if sender and (change.before or {}).get("acceptFrom") != sender:
        target = change.target
        clients.once.run(
            ("bus-permission", target.account, target.region, "default", sender), lambda: _accept(events, sender)
        )
    tags = tags_to_list(change.payload["tags"])
    targets_change = (change.before or {}).get("targets") != after["targets"]
    # Several calls: mark the rule pending first and write its real spec-hash in the very last call, so a rule
    # an apply left half-written (targets, tags) is a change still to make, never drift and never in sync.
    rule_arn = change.payload.get("arn")
    if change.action == "create" or targets_change or not rule_arn:
        first_tags = {"Tags": tags} if change.action == "create" else {}
        rule_arn = events.put_rule(**_rule_arguments(change, pending=True), **first_tags)["RuleArn"]
    if change.action == "create" or targets_change:
        _sync_targets(events, change.name, after["targets"])
    if change.action != "create":
        events.tag_resource(ResourceARN=rule_arn, Tags=tags)
    events.put_rule(**_rule_arguments(change, pending=False))


def _accept(events: Any, sender: str) -> None:
    """Let `sender` put events on the default bus, unless smgitops's statement already does: the receiving
    rules of one sender are applied in parallel, and only the first of them (`clients.once`) looks."""
    if sender not in _accepted_accounts(events):
        events.put_permission(
            EventBusName="default", Action=PUT_EVENTS, Principal=sender, StatementId=STATEMENT_PREFIX + sender
        )


def _rule_arguments(change: Any, *, pending: bool) -> dict[str, Any]:
    return {
        "Name": change.name,
        "EventPattern": json.dumps(change.after["pattern"], sort_keys=True),
        "State": change.after["state"],
        "Description": marker(source=change.source, spec=change.after, environment=change.environment, pending=pending),
    }


def normalise_pattern(pattern: Any) -> Any:
    """Lists in an event pattern are sets of alternatives: sort them so their order is never a diff."""
    if isinstance(pattern, Mapping):
        return {key: normalise_pattern(value) for key, value in pattern.items()}
    if isinstance(pattern, list):
        items = [normalise_pattern(item) for item in pattern]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return pattern


def normalise_target(target: Mapping[str, Any]) -> dict[str, Any]:
    """A ListTargetsByRule entry in the spec's shape; server-side absent and empty fields are the same."""
    result: dict[str, Any] = {"id": target["Id"], "arn": target["Arn"]}
    for api_key, spec_key in (("RoleArn", "roleArn"), ("Input", "input"), ("InputPath", "inputPath")):
        if target.get(api_key):
            result[spec_key] = target[api_key]
    transformer = target.get("InputTransformer")
    if transformer:
        result["inputTransformer"] = {
            "inputPathsMap": dict(transformer.get("InputPathsMap") or {}),
            "inputTemplate": transformer.get("InputTemplate"),
        }
    parameters = (target.get("SageMakerPipelineParameters") or {}).get("PipelineParameterList") or []
    if parameters:
        result["pipelineParameters"] = {item["Name"]: item["Value"] for item in parameters}
    return result


def api_target(target: Mapping[str, Any]) -> dict[str, Any]:
    """The spec's target as PutTargets wants it; pipeline targets always carry their (maybe empty) parameters."""
    result: dict[str, Any] = {"Id": target["id"], "Arn": target["arn"]}
    for spec_key, api_key in (("roleArn", "RoleArn"), ("input", "Input"), ("inputPath", "InputPath")):
        if target.get(spec_key):
            result[api_key] = target[spec_key]
    transformer = target.get("inputTransformer")
    if transformer:
        result["InputTransformer"] = {
            "InputPathsMap": dict(transformer["inputPathsMap"]),
            "InputTemplate": transformer["inputTemplate"],
        }
    if ":sagemaker:" in target["arn"] and ":pipeline/" in target["arn"]:
        parameters = target.get("pipelineParameters") or {}
        result["SageMakerPipelineParameters"] = {
            "PipelineParameterList": [{"Name": name, "Value": value} for name, value in sorted(parameters.items())]
        }
    return result


def _targets(events: Any, rule: str) -> list[dict[str, Any]] | None:
    """The rule's normalised targets sorted by id, or None when the rule vanished since it was listed."""
    try:
        listed = paginate(events, "list_targets_by_rule", "Targets", Rule=rule)
    except Exception as error:
        if is_not_found(error):
            return None
        raise
    return sorted((normalise_target(target) for target in listed), key=lambda target: target["id"])


def _sender(pattern: Mapping[str, Any], own_account: str) -> str | None:
    """The other account a receiving rule matches events from (`account: [...]` in its pattern), if any."""
    accounts = pattern.get("account")
    if isinstance(accounts, list) and len(accounts) == 1 and accounts[0] != own_account:
        return str(accounts[0])
    return None


def _accepted_accounts(events: Any) -> set[str]:
    """Accounts the default bus lets put events through smgitops' own policy statements."""
    policy = json.loads(events.describe_event_bus(Name="default").get("Policy") or "{}")
    accepted = set()
    for statement in policy.get("Statement", []):
        sid = str(statement.get("Sid", ""))
        principal = statement.get("Principal")
        principal_text = json.dumps(principal) if not isinstance(principal, str) else principal
        account = sid.removeprefix(STATEMENT_PREFIX)
        allowed = statement.get("Effect") == "Allow" and PUT_EVENTS in json.dumps(statement.get("Action"))
        if sid.startswith(STATEMENT_PREFIX) and allowed and account in principal_text:
            accepted.add(account)
    return accepted


def _sync_targets(events: Any, rule: str, wanted: list[Mapping[str, Any]]) -> None:
    current = {target["id"]: target for target in _targets(events, rule) or []}
    wanted_by_id = {target["id"]: dict(target) for target in wanted}
    stale = sorted(set(current) - set(wanted_by_id))
    if stale:
        _check(events.remove_targets(Rule=rule, Ids=stale), "RemoveTargets", rule)
    changed = [api_target(target) for key, target in sorted(wanted_by_id.items()) if current.get(key) != target]
    if changed:
        _check(events.put_targets(Rule=rule, Targets=changed), "PutTargets", rule)


def _check(response: Mapping[str, Any], operation: str, rule: str) -> None:
    failed = response.get("FailedEntries") or []
    if response.get("FailedEntryCount") or failed:
        reasons = "; ".join(f"{item.get('TargetId')}: {item.get('ErrorMessage')}" for item in failed)
        raise RuntimeError(f"{operation} on rule {rule} failed: {reasons}")


def _delete(events: Any, change: Any) -> None:
    targets = _targets(events, change.name)
    if targets is None:
        return
    if targets:
        _check(events.remove_targets(Rule=change.name, Ids=[t["id"] for t in targets]), "RemoveTargets", change.name)
    try:
        events.delete_rule(Name=change.name)
    except Exception as error:
        if not is_not_found(error):
            raise
    sender = _sender((change.before or {}).get("pattern") or {}, change.target.account)
    if sender:
        _release_sender(events, sender, change.target.account)


def _release_sender(events: Any, sender: str, own_account: str) -> None:
    """Remove the bus permission for `sender` once no owned rule here still receives its events."""
    for rule in paginate(events, "list_rules", "Rules", NamePrefix=RULE_PREFIX):
        pattern = json.loads(rule.get("EventPattern") or "{}")
        if MARKER.search(rule.get("Description") or "") and _sender(pattern, own_account) == sender:
            return
    try:
        events.remove_permission(EventBusName="default", StatementId=STATEMENT_PREFIX + sender)
    except Exception as error:
        if not is_not_found(error):
            raise
