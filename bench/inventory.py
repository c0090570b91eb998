"""What each tool left in the emulated accounts, so the benchmark can show both manage the same objects.

`plan_vs_terraform.py` takes an `inventory` after smgitops's apply and another after Terraform's (on a reset
emulator) and compares them. It lists, per environment: the schedules in its group (expression, time zone,
state, target), the pipelines (role and a digest of the parsed definition), the `smgitops-` rules (pattern,
state, targets), the topics with their subscribed emails, and the Sids of the default bus policy.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from controller.aws.clients import Clients
from controller.aws.errors import paginate
from controller.kinds.schedule import group_name
from controller.kinds.trigger_rules import RULE_PREFIX


def inventory(clients: Clients, state) -> dict[str, Any]:
    return {name: _environment(clients, environment) for name, environment in sorted(state.environments.items())}


def counts(found: dict[str, Any]) -> dict[str, int]:
    """How many AWS objects of each type: rules' targets and topics' subscriptions are objects of their own."""
    totals = {"schedule groups": 0, "schedules": 0, "pipelines": 0, "rules": 0, "rule targets": 0, "topics": 0,
              "subscriptions": 0, "bus permissions": 0}
    for environment in found.values():
        totals["schedule groups"] += 1 if environment["schedules"] else 0
        totals["schedules"] += len(environment["schedules"])
        totals["pipelines"] += len(environment["pipelines"])
        totals["rules"] += len(environment["rules"])
        totals["rule targets"] += sum(len(rule["targets"]) for rule in environment["rules"].values())
        totals["topics"] += len(environment["topics"])
        totals["subscriptions"] += sum(len(emails) for emails in environment["topics"].values())
        totals["bus permissions"] += len(environment["bus_permissions"])
    return {**totals, "total": sum(totals.values())}


def differences(first: dict[str, Any], second: dict[str, Any]) -> dict[str, list[Any]]:
    """`environment/kind/name` -> [first, second] for every object that is not the same in both inventories."""
    found = {}
    for environment in sorted(first.keys() | second.keys()):
        left, right = first.get(environment, {}), second.get(environment, {})
        for kind in sorted(left.keys() | right.keys()):
            items_left, items_right = left.get(kind, {}), right.get(kind, {})
            for name in sorted(items_left.keys() | items_right.keys()):
                if items_left.get(name) != items_right.get(name):
                    found[f"{environment}/{kind}/{name}"] = [items_left.get(name), items_right.get(name)]
    return found


def _environment(clients: Clients, environment) -> dict[str, Any]:
    target = environment.target
    return {
        "schedules": _schedules(clients.client("scheduler", target), group_name(environment.name)),
        "pipelines": _pipelines(clients.client("sagemaker", target)),
        "rules": _rules(clients.client("events", target)),
        "topics": _topics(clients.client("sns", target)),
        "bus_permissions": _bus_permissions(clients.client("events", target)),
    }


def _schedules(scheduler, group: str) -> dict[str, Any]:
    found = {}
    for summary in paginate(scheduler, "list_schedules", "Schedules", GroupName=group):
        schedule = scheduler.get_schedule(Name=summary["Name"], GroupName=group)
        found[summary["Name"]] = {
            "expression": schedule["ScheduleExpression"],
            "timezone": schedule.get("ScheduleExpressionTimezone"),
            "state": schedule["State"],
            "target": schedule["Target"]["Arn"],
            "role": schedule["Target"]["RoleArn"],
        }
    return found


def _pipelines(sagemaker) -> dict[str, Any]:
    found = {}
    for summary in paginate(sagemaker, "list_pipelines", "PipelineSummaries"):
        described = sagemaker.describe_pipeline(PipelineName=summary["PipelineName"])
        definition = json.dumps(json.loads(described["PipelineDefinition"]), sort_keys=True)
        found[summary["PipelineName"]] = {
            "role": described["RoleArn"],
            "definition_sha256": hashlib.sha256(definition.encode()).hexdigest()[:16],
        }
    return found


def _rules(events) -> dict[str, Any]:
    found = {}
    for rule in paginate(events, "list_rules", "Rules", NamePrefix=RULE_PREFIX):
        targets = paginate(events, "list_targets_by_rule", "Targets", Rule=rule["Name"])
        found[rule["Name"]] = {
            "pattern": json.loads(rule["EventPattern"]),
            "state": rule["State"],
            "targets": sorted(_target(target) for target in targets),
        }
    return found


def _target(target: dict[str, Any]) -> tuple:
    transformer = json.dumps(target.get("InputTransformer"), sort_keys=True)
    return (target["Id"], target["Arn"], target.get("RoleArn") or "", transformer)


def _topics(sns) -> dict[str, Any]:
    found = {}
    for item in paginate(sns, "list_topics", "Topics"):
        arn = item["TopicArn"]
        subscriptions = paginate(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn)
        found[arn.rsplit(":", 1)[1]] = sorted(f"{sub['Protocol']}:{sub['Endpoint']}" for sub in subscriptions)
    return found


def _bus_permissions(events) -> dict[str, Any]:
    policy = json.loads(events.describe_event_bus(Name="default").get("Policy") or "{}")
    return {statement["Sid"]: statement.get("Principal") for statement in policy.get("Statement", [])}
