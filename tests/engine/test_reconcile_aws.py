"""The whole engine against the emulator: three accounts via AssumeRole, every kind, the example desired state."""

from __future__ import annotations

import dataclasses
import threading

from helpers import converge

from controller.aws import console
from controller.engine.reconcile import make_plan, reconcile
from controller.kinds import KINDS


def test_first_apply_creates_everything_and_the_second_writes_nothing(aws, fleet):
    outcome, again = converge(fleet, aws)
    created = {change.address for change in outcome.result.applied if change.action == "create"}
    assert "prod/pipeline/churn-batch-inference" in created
    assert "staging/schedule/ltv-batch-inference" in created
    assert "dev/trigger/smgitops-dev-churn-new-data" in created
    assert "prod/topic/churn-alerts" in created
    approvals = {change.name for change in outcome.result.applied if change.kind == "approval"}
    assert approvals == {"churn/5", "churn/7", "churn/8", "customer-ltv/3"}
    assert outcome.result.failed == [] and again.in_sync == len(outcome.result.applied)
    assert console.approval_status(aws, fleet.registry, group="churn", version=7) == "Approved"
    assert console.approval_status(aws, fleet.registry, group="churn", version=5) == "Rejected"


def test_a_no_change_plan_reads_at_most_two_calls_per_resource(aws, fleet):
    converge(fleet, aws)
    before = aws.calls.snapshot()
    plan = make_plan(fleet, clients=aws)
    spent = aws.calls.since(before)
    scopes = 1 + (len(KINDS) - 1) * len(fleet.environments)
    assert plan.changes == () and spent.writes == 0
    assert spent.reads <= 2 * plan.in_sync + 2 * scopes, spent.by_operation()


def test_accounts_are_read_concurrently(aws, fleet):
    converge(fleet, aws)
    threads_by_account: dict[str, set[int]] = {}
    lock = threading.Lock()

    def record(account):
        def handler(**_):
            with lock:
                threads_by_account.setdefault(account, set()).add(threading.get_ident())

        return handler

    for environment in fleet.environments.values():
        for service in ("sagemaker", "scheduler", "events", "sns"):
            aws.client(service, environment.target).meta.events.register("before-call", record(environment.account))
    make_plan(fleet, clients=aws)
    all_threads = set().union(*threads_by_account.values())
    assert set(threads_by_account) == {"111111111111", "222222222222", "333333333333"}
    assert len(all_threads) > 1


def test_console_approval_of_an_undeclared_version_is_reverted(aws, fleet):
    converge(fleet, aws)
    console.set_approval(aws, fleet.registry, group="churn", version=2)
    plan = make_plan(fleet, clients=aws)
    [change] = plan.changes
    assert (change.address, change.reason, change.hold) == ("registry/approval/churn/2", "drift", None)
    assert change.model == "churn"  # so the people of every churn deployment hear that it was reverted
    converge(fleet, aws)
    assert console.approval_status(aws, fleet.registry, group="churn", version=2) == "PendingManualApproval"


def test_console_rejection_of_a_declared_version_is_only_reported_under_warn(aws, fleet):
    environments = {
        name: dataclasses.replace(environment, drift="warn") for name, environment in fleet.environments.items()
    }
    warned = dataclasses.replace(fleet, environments=environments)
    converge(warned, aws)
    console.set_approval(aws, fleet.registry, group="customer-ltv", version=3, status="Rejected")
    outcome = reconcile(warned, clients=aws)
    [change] = outcome.plan.changes
    assert (change.address, change.reason, change.hold) == ("registry/approval/customer-ltv/3", "drift", "drift: warn")
    assert outcome.reason == "held"
    assert console.approval_status(aws, fleet.registry, group="customer-ltv", version=3) == "Rejected"


def test_an_unknown_version_is_a_plan_error_and_nothing_is_written(aws, fleet):
    deployments = tuple(
        dataclasses.replace(d, approved_version=42) if d.source == "prod/churn.yaml" else d for d in fleet.deployments
    )
    broken = dataclasses.replace(fleet, deployments=deployments)
    before = aws.calls.snapshot()
    outcome = reconcile(broken, clients=aws)
    assert outcome.reason == "plan-error"
    [error] = outcome.plan.errors
    assert error.endswith(
        "desired_state/prod/churn.yaml:4:18: approvedVersion: version 42 does not exist in model package group churn "
        "(account 111111111111)"
    )
    assert aws.calls.since(before).writes == 0


def test_a_new_approved_version_changes_only_the_approval_and_a_parameter(aws, fleet):
    converge(fleet, aws)
    from controller.aws.emulator import register_version
    from controller.commands.demo import registry_bucket

    register_version(aws, fleet.registry, group="customer-ltv", number=4, bucket=registry_bucket(fleet))
    deployments = tuple(
        dataclasses.replace(d, approved_version=4) if d.source == "staging/ltv.yaml" else d for d in fleet.deployments
    )
    promoted = dataclasses.replace(fleet, deployments=deployments, revision="rev2")
    plan = make_plan(promoted, clients=aws)
    assert sorted(change.address for change in plan.changes) == [
        "registry/approval/customer-ltv/3",
        "registry/approval/customer-ltv/4",
        "staging/pipeline/ltv-batch-inference",
    ]
    [pipeline] = [change for change in plan.changes if change.kind == "pipeline"]
    assert [row.path for row in pipeline.diff] == ["definition.Parameters.ModelPackageArn.DefaultValue"]
    assert pipeline.diff[0].after.endswith("model-package/customer-ltv/4")
    converge(promoted, aws)


def test_selecting_an_environment_or_model_narrows_registry_changes_too(aws, fleet):
    plan = make_plan(fleet, clients=aws, environments=["dev"])
    assert {change.environment for change in plan.changes} == {"registry", "dev"}
    assert {c.name for c in plan.changes if c.kind == "approval"} == {"churn/8"}
    ltv = make_plan(fleet, clients=aws, models=["ltv"])
    assert {c.name for c in ltv.changes if c.kind == "approval"} == {"customer-ltv/3"}
    assert {c.model for c in ltv.changes} == {"ltv", "customer-ltv"}
