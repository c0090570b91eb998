"""Meta-tests over the kind registry: every kind has the protocol, and declares every AWS call it makes."""

from __future__ import annotations

import re

import pytest
from helpers import only

from controller.commands.permissions import policies
from controller.engine.reconcile import make_plan, reconcile
from controller.kinds import KINDS

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


def test_permissions_cover_every_declared_call():
    actions = {role: {a for s in doc["Statement"] for a in s["Action"]} for role, doc in policies().items()}
    iam_actions = {"s3:HeadObject": "s3:GetObject", "resourcegroupstaggingapi:GetResources": "tag:GetResources"}
    for kind in KINDS.values():
        role = "registry" if kind.SCOPE == "registry" else "deploy"
        for operation in (*kind.READS, *kind.WRITES):
            assert iam_actions.get(operation, operation) in actions[role], operation
