"""Which registered version a deployment should move to next: what `smgitops promote` writes and what a
proposal's merge request asks for.

Along the promotion path the answer needs only git: the version the source environment declares. For the
first environment of a model's path it is the newest registered version, newer than every version git
declares for the model package group and not rejected, whose registered model quality meets the
environment's `thresholds.modelQuality`; that takes the registry (one ListModelPackages, then one
DescribeModelPackage and one report read per version tried, newest first).
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.desired.model import Deployment, DesiredState
from controller.kinds import approval

MAX_TRIED = 5
"""Registered versions tried, newest first, before giving up: older ones have lost to newer ones already."""


@dataclass(frozen=True)
class Candidate:
    version: int
    metrics: dict[str, float]
    """The registered value of the threshold's metric, when the environment has one."""
    execution: str | None = None
    """The ARN of the pipeline execution (the training run) that registered the version, when it says."""
    registered_at: str = ""


def source_deployment(state: DesiredState, deployment: Deployment) -> Deployment | None:
    """The deployment of the same model in the environment this one promotes from, if that one deploys it."""
    source = state.environments[deployment.environment].promotes_from
    return next((d for d in state.deployments if d.key == (source, deployment.model)), None)


def first_deployment(state: DesiredState, group: str) -> Deployment | None:
    """The deployment of `group` that starts its promotion path: the one whose source does not deploy it."""
    deployments = [d for d in state.deployments if d.model_package_group == group]
    starts = [d for d in deployments if source_deployment(state, d) is None]
    return starts[0] if starts else None


def newest_candidate(state: DesiredState, deployment: Deployment, *, clients) -> Candidate | None:
    """The newest registered version `deployment` could move to (see the module docstring), or None."""
    group = deployment.model_package_group
    declared = [
        number
        for d in state.deployments
        if d.model_package_group == group
        for number in (d.approved_version, *d.rejected_versions)
    ]
    summaries = sorted(
        approval.versions_of(clients, state.registry, group),
        key=lambda summary: -int(summary["ModelPackageVersion"]),
    )
    fresh = [s for s in summaries if int(s["ModelPackageVersion"]) > max(declared, default=0)]
    for summary in fresh[:MAX_TRIED]:
        if summary.get("ModelApprovalStatus") == approval.REJECTED:
            continue
        candidate = qualify(state, deployment, clients=clients, group=group, arn=summary["ModelPackageArn"])
        if candidate is not None:
            return candidate
    return None


def qualify(state: DesiredState, deployment: Deployment, *, clients, group: str, arn: str) -> Candidate | None:
    """The version at `arn` as a candidate for `deployment`, None when its registered quality misses the threshold."""
    live = approval.describe_version(clients, state.registry, group, arn)
    threshold = deployment.thresholds.model_quality
    metrics: dict[str, float] = {}
    if threshold is not None:
        value = approval.registered_metric(clients, state.registry, live, threshold.metric)
        if value is None or (threshold.max is not None and value > threshold.max):
            return None
        if threshold.min is not None and value < threshold.min:
            return None
        metrics[threshold.metric] = value
    return Candidate(
        version=int(arn.rsplit("/", 1)[-1]),
        metrics=metrics,
        execution=live.details.get("execution"),
        registered_at=live.details.get("registeredAt", ""),
    )
