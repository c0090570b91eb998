"""Terraform configuration (JSON syntax) for exactly the objects smgitops manages, from smgitops's own desired side.

`plan_vs_terraform.py` calls `terraform_config(state, endpoint_url)` and writes the result as `main.tf.json`.
Each object comes from the `desired()` of the smgitops kind that manages it, with the same names, fields,
descriptions and tags, so both tools converge the same accounts to the same objects:

- `pipeline` → `aws_sagemaker_pipeline` (the definitions smgitops renders, its description and tags);
- `schedule` → `aws_scheduler_schedule` in `aws_scheduler_schedule_group` `smgitops-<environment>`;
- `trigger` → `aws_cloudwatch_event_rule` + one `aws_cloudwatch_event_target` per target, and an
  `aws_cloudwatch_event_permission` per account a receiving rule accepts events from;
- `topic` → `aws_sns_topic` (the policy smgitops leaves: AWS's default statement plus the EventBridge one)
  + one `aws_sns_topic_subscription` per email.

Approvals (the `approval` kind) have no Terraform resource and are left out. One provider alias per
environment assumes that environment's role; moto maps the role's account id to an isolated account.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from controller.kinds import pipeline, schedule, topic, trigger
from controller.kinds.base import MANAGED_TAG, marker

PROVIDER_VERSION = "5.100.0"
ENDPOINT_SERVICES = ("sts", "iam", "s3", "sagemaker", "scheduler", "events", "sns")
DEFAULT_TOPIC_ACTIONS = [
    "SNS:GetTopicAttributes",
    "SNS:SetTopicAttributes",
    "SNS:AddPermission",
    "SNS:RemovePermission",
    "SNS:DeleteTopic",
    "SNS:Subscribe",
    "SNS:ListSubscriptionsByTopic",
    "SNS:Publish",
]


def terraform_config(state, endpoint_url: str) -> dict[str, Any]:
    resources: dict[str, dict[str, Any]] = {}
    for item in pipeline.desired(state):
        _add(resources, "aws_sagemaker_pipeline", item, _pipeline(item))
    for environment in state.environments:
        _add_named(resources, "aws_scheduler_schedule_group", environment, environment, {
            "name": schedule.group_name(environment),
            "tags": {MANAGED_TAG: "true", schedule.ENVIRONMENT_TAG: environment},
        })
    for item in schedule.desired(state):
        _add(resources, "aws_scheduler_schedule", item, _schedule(item))
    for item in topic.desired(state):
        _add(resources, "aws_sns_topic", item, _topic(item))
        for email in item.spec["emails"]:
            _add_named(resources, "aws_sns_topic_subscription", item.environment, f"{item.name}-{email}", {
                "topic_arn": f"${{aws_sns_topic.{address(item.environment, item.name)}.arn}}",
                "protocol": "email",
                "endpoint": email,
            })
    for item in trigger.desired(state):
        _add_rule(resources, item)
    return {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": PROVIDER_VERSION}}},
        "provider": {"aws": [_provider(environment, endpoint_url) for environment in state.environments.values()]},
        "resource": resources,
    }


def address(environment: str, name: str) -> str:
    """A Terraform resource name: the environment and the object's name, in the characters HCL allows."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", f"{environment}_{name}")


def literal(text: str) -> str:
    """`text` as a Terraform string that is never read as a template (`${` and `%{` escaped)."""
    return text.replace("${", "$${").replace("%{", "%%{")


def resource_count(config: Mapping[str, Any]) -> dict[str, int]:
    return {kind: len(items) for kind, items in sorted(config["resource"].items())}


def _provider(environment, endpoint_url: str) -> dict[str, Any]:
    return {
        "alias": environment.name,
        "region": environment.region,
        "access_key": "testing",
        "secret_key": "testing",
        "skip_credentials_validation": True,
        "skip_requesting_account_id": True,
        "skip_metadata_api_check": True,
        "s3_use_path_style": True,
        "assume_role": {"role_arn": environment.role, "session_name": "terraform"},
        "endpoints": {service: endpoint_url for service in ENDPOINT_SERVICES},
    }


def _add(resources: dict, resource_type: str, item, body: dict[str, Any]) -> None:
    _add_named(resources, resource_type, item.environment, item.name, body)


def _add_named(resources: dict, resource_type: str, environment: str, name: str, body: dict[str, Any]) -> None:
    body = {"provider": f"aws.{environment}", **body}
    resources.setdefault(resource_type, {})[address(environment, name)] = body


def _pipeline(item) -> dict[str, Any]:
    return {
        "pipeline_name": item.name,
        "pipeline_display_name": item.name,
        "pipeline_description": literal(item.payload["description"]),
        "role_arn": item.spec["role"],
        "pipeline_definition": literal(item.payload["definition"]),
        "tags": dict(item.payload["tags"]),
    }


def _schedule(item) -> dict[str, Any]:
    spec = item.spec
    return {
        "name": item.name,
        "group_name": f"${{aws_scheduler_schedule_group.{address(item.environment, item.environment)}.name}}",
        "description": item.payload["description"],
        "schedule_expression": spec["expression"],
        "schedule_expression_timezone": spec["timezone"],
        "state": spec["state"],
        "flexible_time_window": {"mode": spec["flexibleTimeWindow"]["Mode"]},
        "target": {"arn": spec["target"], "role_arn": spec["role"]},
    }


def _topic(item) -> dict[str, Any]:
    arn = topic.topic_arn(item.target, item.name)
    default = {
        "Sid": "__default_statement_ID",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": DEFAULT_TOPIC_ACTIONS,
        "Resource": arn,
        "Condition": {"StringEquals": {"AWS:SourceOwner": item.target.account}},
    }
    policy = {
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [default, topic.events_statement(arn, item.target.account)],
    }
    return {"name": item.name, "policy": literal(json.dumps(policy)), "tags": dict(item.payload["tags"])}


def _add_rule(resources: dict, item) -> None:
    spec = item.spec
    rule_address = address(item.environment, item.name)
    _add(resources, "aws_cloudwatch_event_rule", item, {
        "name": item.name,
        "description": marker(source=item.source, spec=spec, environment=item.environment),
        "event_pattern": literal(json.dumps(spec["pattern"], sort_keys=True)),
        "state": spec["state"],
        "tags": dict(item.payload["tags"]),
    })
    for target in spec["targets"]:
        body: dict[str, Any] = {
            "rule": f"${{aws_cloudwatch_event_rule.{rule_address}.name}}",
            "target_id": target["id"],
            "arn": target["arn"],
        }
        for spec_key, argument in (("roleArn", "role_arn"), ("input", "input"), ("inputPath", "input_path")):
            if target.get(spec_key):
                body[argument] = target[spec_key]
        transformer = target.get("inputTransformer")
        if transformer:
            body["input_transformer"] = {
                "input_paths": dict(transformer["inputPathsMap"]),
                "input_template": literal(transformer["inputTemplate"]),
            }
        _add_named(resources, "aws_cloudwatch_event_target", item.environment, f"{item.name}-{target['id']}", body)
    sender = spec.get("acceptFrom")
    if sender:
        _add_named(resources, "aws_cloudwatch_event_permission", item.environment, f"accept-{sender}", {
            "principal": sender,
            "statement_id": trigger.STATEMENT_PREFIX + sender,
            "action": trigger.PUT_EVENTS,
        })
