"""A plan of some shards (the service's, when replicas split the work): each environment's shard reads and
plans only its account, the registry's shard only the registry, and together they plan exactly what one plan
of everything does, each change in exactly one shard."""

from __future__ import annotations

from controller.desired.model import REGISTRY
from controller.engine.reconcile import make_plan

ENVIRONMENT_SERVICES = ("scheduler:", "events:", "sns:")
"""Kinds read in environments only (schedules, rules, topics); the registry shard must not call them."""


def test_the_shards_split_the_plan_of_everything(aws, fleet):
    whole = make_plan(fleet, clients=aws)
    assert {change.environment for change in whole.changes} == {*fleet.environments, REGISTRY}
    parts = {}
    for shard in (*fleet.environments, REGISTRY):
        before = aws.calls.snapshot()
        parts[shard] = make_plan(fleet, clients=aws, shards={shard})
        spent = aws.calls.since(before).by_operation()
        assert not parts[shard].errors, parts[shard].errors
        assert {change.environment for change in parts[shard].changes} == {shard}
        if shard == REGISTRY:
            assert not [operation for operation in spent if operation.startswith(ENVIRONMENT_SERVICES)], spent
    split = sorted(change.address for part in parts.values() for change in part.changes)
    assert split == sorted(change.address for change in whole.changes), "each change in exactly one shard"


def test_two_shards_plan_both_and_the_environments_option_is_ignored(aws, fleet):
    both = make_plan(fleet, clients=aws, shards={"dev", REGISTRY}, environments=["prod"])
    assert {change.environment for change in both.changes} == {"dev", REGISTRY}
