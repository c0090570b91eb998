"""Meta-tests over the kind registry: every kind has the protocol, and declares every AWS call it makes."""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path

import parliament
import pytest
from helpers import only

from controller.commands import policies
from controller.commands.policies import Controller
from controller.engine.reconcile import make_plan, reconcile
from controller.kinds import KINDS
from controller.kinds.arns import arn
from controller.kinds.schedule import group_name

PROTOCOL = (
    "NAME",
    "SCOPE",
    "ORDER",
    "CREATABLE",
    "READS",
    "WRITES",
    "PERMISSIONS",
    "desired",
    "read",
    "orphan",
    "apply",
)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_satisfies_the_protocol(name):
    kind = KINDS[name]
    assert [attribute for attribute in PROTOCOL if not hasattr(kind, attribute)] == []
    assert name == kind.NAME and kind.SCOPE in ("registry", "environment")
    for operation in (*kind.READS, *kind.WRITES):
        assert re.fullmatch(r"[a-z0-9-]+:[A-Z][A-Za-z0-9]+", operation), operation
    if not kind.CREATABLE:
        assert hasattr(kind, "missing")


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_call_a_kind_makes_is_declared(name, aws, fleet):
    kind = KINDS[name]
    before = aws.calls.snapshot()
    outcome = reconcile(fleet, clients=aws, kinds=only(name))
    assert outcome.reason == "applied", (outcome.plan.errors, outcome.result)
    make_plan(fleet, clients=aws, kinds=only(name))
    made = set(aws.calls.since(before).by_operation()) - {"sts:AssumeRole"}
    assert made - set(kind.READS) - set(kind.WRITES) == set()


IAM_ACTION = {"s3:HeadObject": "s3:GetObject", "resourcegroupstaggingapi:GetResources": "tag:GetResources"}
CONTROLLER = Controller("arn:aws:iam::111111111111:role/smgitops-controller",
                        "arn:aws:sqs:us-east-1:111111111111:smgitops-events", "smgitops-lease")
OBJECT_TYPE = {"approval": "model-package", "pipeline": "pipeline", "schedule": "schedule",
               "topic": "topic", "trigger": "rule-on-default-event-bus"}
"""The IAM resource type (Service Authorization Reference, as parliament's database has it) of each kind's objects."""


def role_document(documents: dict, kind, environment: str) -> dict:
    return documents["registry"] if kind.SCOPE == "registry" else documents[f"{environment}-deploy"]


def object_arn(resource) -> str:
    target, name = resource.target, resource.name
    return {
        "approval": lambda: arn(target, "sagemaker", f"model-package/{name}"),
        "pipeline": lambda: arn(target, "sagemaker", f"pipeline/{name}"),
        "schedule": lambda: arn(target, "scheduler", f"schedule/{group_name(resource.environment)}/{name}"),
        "topic": lambda: arn(target, "sns", name),
        "trigger": lambda: arn(target, "events", f"rule/{name}"),
    }[resource.kind]()


def allows(document: dict, action: str, resource_arn: str) -> bool:
    """Whether an unconditional statement allows `action` on `resource_arn` (IAM wildcard matching)."""
    for statement in document["Statement"]:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if action in statement["Action"] and "Condition" not in statement and any(
            fnmatch.fnmatchcase(resource_arn, pattern) for pattern in resources
        ):
            return True
    return False


def resource_types(action: str) -> set[str]:
    service, name = action.split(":")
    [privilege] = [p for s in IAM_DATABASE if s["prefix"] == service for p in s["privileges"] if p["privilege"] == name]
    return {entry["resource_type"].rstrip("*") for entry in privilege["resource_types"]}


IAM_DATABASE = json.loads((Path(parliament.__file__).parent / "iam_definition.json").read_text())


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_call_a_kind_makes_is_in_its_roles_policy(name, example_state):
    kind = KINDS[name]
    documents = policies.documents(example_state, CONTROLLER)
    for environment in ("registry",) if kind.SCOPE == "registry" else tuple(example_state.environments):
        document = role_document(documents, kind, environment)
        actions = {action for statement in document["Statement"] for action in statement["Action"]}
        called = {IAM_ACTION.get(operation, operation) for operation in (*kind.READS, *kind.WRITES)}
        assert called - actions == set(), environment


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_object_a_kind_manages_is_covered_by_a_scoped_statement(name, example_state):
    """Each call that acts on an object of the kind's type is allowed on that object's ARN, without `*`."""
    kind = KINDS[name]
    documents = policies.documents(example_state, CONTROLLER)
    resources = kind.desired(example_state)
    assert resources
    for resource in resources:
        document = role_document(documents, kind, resource.environment)
        for operation in (*kind.READS, *kind.WRITES):
            action = IAM_ACTION.get(operation, operation)
            if OBJECT_TYPE[name] in resource_types(action):
                assert allows(document, action, object_arn(resource)), (action, object_arn(resource))
