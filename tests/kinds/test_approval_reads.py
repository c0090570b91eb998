"""The registry is read with as few calls as it takes: from `BATCH_MIN_GROUPS` declared groups on, one
ListModelPackages across the registry (100 versions a page) instead of one per group, and the versions read are
the same either way; a registry too large to list in a third of the calls is listed group by group."""

from __future__ import annotations

import dataclasses

import pytest
from helpers import converge, copies, only

from controller.aws import console
from controller.aws.emulator import seed_registry
from controller.commands.demo import seed_example
from controller.engine.reconcile import make_plan
from controller.kinds import approval_reads

pytestmark = pytest.mark.aws
LIST = "sagemaker:ListModelPackages"


@pytest.fixture
def registry(aws, example_state):
    """Three copies of the example's models, their approvals applied, and a version of an undeclared group
    approved by hand (read from the across-groups listing, and left alone)."""
    state = copies(example_state, 3)
    seed_example(aws, state)
    converge(state, aws, "approval")
    seed_registry(aws, state.registry, group="undeclared", versions=1, bucket="registry-models")
    console.set_approval(aws, state.registry, group="undeclared", version=1)
    return dataclasses.replace(state, revision="rev2")


def plan_and_count(state, aws):
    before = aws.calls.snapshot()
    plan = make_plan(state, clients=aws, kinds=only("approval"))
    return plan, aws.calls.since(before).by_operation()


def test_many_groups_are_listed_in_one_call_and_read_the_same_as_group_by_group(aws, registry, monkeypatch):
    groups = {deployment.model_package_group for deployment in registry.deployments}
    assert len(groups) >= 2 * approval_reads.BATCH_MIN_GROUPS

    batched, calls = plan_and_count(registry, aws)
    assert calls[LIST] == 1, calls

    monkeypatch.setattr(approval_reads, "BATCH_MIN_GROUPS", len(groups) + 1)
    grouped, per_group_calls = plan_and_count(registry, aws)
    assert per_group_calls[LIST] == len(groups) + 1, per_group_calls  # each group, and approved ones across groups
    assert per_group_calls["sagemaker:DescribeModelPackage"] == calls["sagemaker:DescribeModelPackage"]

    assert batched.changes == grouped.changes == ()
    assert batched.in_sync == grouped.in_sync > 0
    assert batched.errors == grouped.errors == ()


def test_a_registry_too_large_for_a_third_of_the_calls_is_listed_group_by_group(aws, registry, monkeypatch):
    groups = {deployment.model_package_group for deployment in registry.deployments}
    monkeypatch.setattr(approval_reads, "PAGE_SIZE", 1)  # every version a page: far more pages than groups / 3
    plan, calls = plan_and_count(registry, aws)
    most_pages = len(groups) // approval_reads.BATCH_MIN_GROUPS
    assert calls[LIST] == most_pages + len(groups) + 1, calls
    assert plan.changes == () and plan.errors == ()
