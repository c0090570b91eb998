"""One helper that drives any kind through desired → read → diff → apply against the emulator."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from controller.desired.model import Deployment, DesiredState, Environment
from controller.engine.plan import Plan
from controller.engine.reconcile import Outcome, make_plan, reconcile
from controller.kinds import KINDS


def only(*names: str) -> Mapping:
    return {name: KINDS[name] for name in names}


def converge(state, clients, *kind_names: str) -> tuple[Outcome, Plan]:
    """Apply `state` for the given kinds (all when none), then plan again: return (apply outcome, next plan).

    Asserts the behaviour every kind must have: the first apply succeeds, and a second plan finds nothing to
    change and makes no write call.
    """
    kinds = only(*kind_names) if kind_names else KINDS
    outcome = reconcile(state, clients=clients, kinds=kinds)
    assert outcome.reason in ("applied", "in-sync", "held"), (
        outcome.reason,
        outcome.message,
        outcome.plan.errors,
        outcome.result and outcome.result.failed,
    )
    writes_before = clients.calls.writes
    again = make_plan(state, clients=clients, kinds=kinds)
    assert not again.errors, again.errors
    assert not again.actionable, [change.address for change in again.actionable]
    assert clients.calls.writes == writes_before
    return outcome, again


def environment(name: str, account: str, region: str = "us-east-1", **fields) -> Environment:
    """An environment in `account` with the example's role and bucket naming, for tests that build state by hand."""
    return Environment(
        name=name,
        account=account,
        region=region,
        role=f"arn:aws:iam::{account}:role/smgitops-deploy",
        pipeline_role=f"arn:aws:iam::{account}:role/sagemaker-pipelines",
        scheduler_role=f"arn:aws:iam::{account}:role/smgitops-scheduler",
        artifacts=f"s3://acme-{name}-mlops/smgitops/",
        **fields,
    )


def copies(state: DesiredState, count: int) -> DesiredState:
    """`state` with every deployment declared `count` times, copy `i` renamed `<name>-<i>` (model, file, model
    package group, pipelines, topic): a small fleet of the example's shapes, which share template renders."""
    return dataclasses.replace(
        state, deployments=tuple(_copy(deployment, index) for index in range(count) for deployment in state.deployments)
    )


def _copy(deployment: Deployment, index: int) -> Deployment:
    batch = deployment.batch_inference
    training = deployment.training
    notifications = deployment.notifications
    return dataclasses.replace(
        deployment,
        model=f"{deployment.model}-{index}",
        source=deployment.source.replace(".yaml", f"-{index}.yaml"),
        path="",
        model_package_group=f"{deployment.model_package_group}-{index}",
        batch_inference=dataclasses.replace(batch, pipeline=f"{batch.pipeline}-{index}"),
        training=training and dataclasses.replace(training, pipeline=f"{training.pipeline}-{index}"),
        notifications=notifications and dataclasses.replace(notifications, topic=f"{notifications.topic}-{index}"),
    )
