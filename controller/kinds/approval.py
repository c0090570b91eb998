"""Model version approvals in the central registry: the heart of approval-by-merge-request.

A version is `Approved` when at least one environment declares it as `approvedVersion`; each declaring environment
is recorded on the version (`CustomerMetadataProperties`: `smgitops/<environment> = <revision>`) and in
`ApprovalDescription`. `rejectedVersions` become `Rejected`. An `Approved` version that no environment declares goes
back to `PendingManualApproval`: as an orphan when smgitops approved it earlier, as drift when it was approved by
hand. When every file of a model is gone, its versions that smgitops approved (they carry its records) go back to
`PendingManualApproval` the same way; versions of undeclared groups approved by hand are not smgitops's and are left
alone. Versions cannot be created here (training pipelines register them), so a declared version that does not exist
is a plan error. Reads (`controller.kinds.approval_reads`): ListModelPackages across the registry (100 versions a
page) when that takes at most a third of the calls of one per declared group, else one per declared group and one
across groups (approved versions only); one DescribeModelPackage per version that is declared, or approved in a
declared group, or approved in an undeclared one (in the service, only when the status ListModelPackages shows
moved).

Besides the current approvals, every version keeps its approval history, which the promotion rules read
(`controller.engine.promotion`) and nothing ever removes: `smgitops/first-approved/<environment>` and
`smgitops/last-approved/<environment>` (`<UTC time> <revision>`), and `smgitops/override/<environment>`
(`<revision> <by>: <reason>`) when the approving file carried an emergency override.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from controller.desired.model import REGISTRY, Deployment, DesiredState
from controller.kinds.approval_reads import (
    APPROVED,
    FIRST_APPROVED,
    HASH_KEY,
    LAST_APPROVED,
    METADATA_PREFIX,
    OVERRIDE,
    PENDING,
    REJECTED,
    REVISION_KEY,
    is_environment_key,
    left_behind,
    list_versions,
    read_version,
    remembered,
    versions_by_group,
)
from controller.kinds.base import Live, ReadScope, Resource, spec_hash
from controller.kinds.grants import REGISTRY_SAGEMAKER as REGISTRY_ARN
from controller.kinds.grants import Grant
from controller.pipelines.metrics import UnknownMetric, report_path

NAME = "approval"
SCOPE = REGISTRY
ORDER = 10
CREATABLE = False
READS = ("sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage", "s3:GetObject")
"""GetObject reads a version's registered model quality report, only for a version an environment moves to."""
WRITES = ("sagemaker:UpdateModelPackage",)
"""Apply also reads the version (DescribeModelPackage) to keep metadata that training wrote."""
GROUP_ARN = REGISTRY_ARN + ":model-package-group/{group}"
VERSIONS_ARN = REGISTRY_ARN + ":model-package/{group}/*"
PERMISSIONS = (
    Grant("registry", "ListVersions", ("sagemaker:ListModelPackages",), (GROUP_ARN, VERSIONS_ARN)),
    Grant("registry", "Approve", ("sagemaker:DescribeModelPackage", "sagemaker:UpdateModelPackage"), (VERSIONS_ARN,)),
    Grant(
        "registry", "ReadQualityReports", ("s3:GetObject",), ("arn:{partition}:s3:::{report_bucket}/*",)
    ),  # the model quality report training registered with a version (the trainers' artifacts buckets)
)
"""On the versions of every model package group git declares."""

_METADATA_CHARACTERS = re.compile(r"[^\w .:/=+@-]+")


def desired(state: DesiredState) -> list[Resource]:
    approvers: dict[tuple[str, int], set[str]] = defaultdict(set)
    declared_by: dict[tuple[str, int], Deployment] = {}
    rejected: dict[tuple[str, int], Deployment] = {}
    for deployment in sorted(state.deployments, key=lambda d: d.source):
        key = (deployment.model_package_group, deployment.approved_version)
        approvers[key].add(deployment.environment)
        declared_by.setdefault(key, deployment)
        for version in deployment.rejected_versions:
            rejected.setdefault((deployment.model_package_group, version), deployment)
    overrides: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
    for deployment in state.deployments:
        if deployment.override is not None:
            key = (deployment.model_package_group, deployment.approved_version)
            overrides[key][deployment.environment] = f"{deployment.override.by}: {deployment.override.reason}"
    resources = []
    for (group, version), environments in sorted(approvers.items()):
        spec = {"status": APPROVED, "environments": sorted(environments)}
        resource = _resource(state, version, spec, declared_by[(group, version)], "approvedVersion")
        if (group, version) in overrides:
            resource = replace(resource, payload={**resource.payload, "overrides": overrides[(group, version)]})
        resources.append(resource)
    for (group, version), deployment in sorted(rejected.items()):
        if (group, version) not in approvers:
            spec = {"status": REJECTED, "environments": []}
            resources.append(_resource(state, version, spec, deployment, "rejectedVersions"))
    return resources


def _resource(state: DesiredState, version: int, spec: dict, deployment: Deployment, breadcrumb: str) -> Resource:
    group = deployment.model_package_group
    arn = f"arn:aws:sagemaker:{state.registry.region}:{state.registry.account}:model-package/{group}/{version}"
    return Resource(
        kind=NAME,
        name=f"{group}/{version}",
        environment=REGISTRY,
        target=state.registry,
        spec=spec,
        source=deployment.source,
        breadcrumb=breadcrumb,
        location=deployment.locate(breadcrumb),
        model=group,
        payload={"arn": arn, "revision": state.revision},
    )


def missing(resource: Resource) -> str:
    group, version = resource.name.rsplit("/", 1)
    return (
        f"{resource.location or resource.source}: {resource.breadcrumb}: version {version} does not exist in "
        f"model package group {group} (account {resource.target.account})"
    )


def read(clients: Any, scope: ReadScope) -> list[Live]:
    sagemaker = clients.client("sagemaker", scope.target)
    declared = {resource.name for resource in scope.resources}
    groups = sorted({resource.model for resource in scope.resources if resource.model})
    by_group, registry = versions_by_group(clients, scope, sagemaker, groups)
    versions = [(group, summary) for group in groups for summary in by_group[group]]

    def read_one(version: tuple[str, Mapping[str, Any]]) -> Live:
        group, summary = version
        name = f"{group}/{summary['ModelPackageVersion']}"
        status = summary.get("ModelApprovalStatus", PENDING)
        if name in declared or status == APPROVED:
            return remembered(scope, sagemaker, name, summary, group=group)
        return Live(
            name=name,
            spec={"status": status, "environments": []},
            managed=True,
            arn=summary["ModelPackageArn"],
            model=group,
        )

    lives = clients.map(scope.target, read_one, versions)
    return lives + left_behind(clients, scope, sagemaker, declared_groups=set(groups), registry=registry)


def versions_of(clients: Any, target: Any, group: str) -> list[dict]:
    """Every version summary of `group` (ListModelPackages), for proposals and history."""
    return list_versions(clients.client("sagemaker", target), group)


def describe_version(clients: Any, target: Any, group: str, arn: str) -> Live:
    """One version with its approval records and metrics (`Live.details`)."""
    sagemaker = clients.client("sagemaker", target)
    return read_version(sagemaker, f"{group}/{arn.rsplit('/', 1)[-1]}", arn, group=group)


def _is_current_key(key: str) -> bool:
    """The keys every apply rewrites; all others (history, training's, people's) are kept."""
    return is_environment_key(key) or key in (HASH_KEY, REVISION_KEY)


def registered_metric(clients: Any, target: Any, live: Live, metric: str) -> float | None:
    """The value of `metric` in the model quality report registered with the version, None when it has none."""
    uri = live.details.get("modelQuality")
    if not isinstance(uri, str) or not uri.startswith("s3://"):
        return None
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    try:
        path = report_path(metric)
        body = clients.client("s3", target).get_object(Bucket=bucket, Key=key)["Body"].read()
        value: Any = json.loads(body)
    except (UnknownMetric, ValueError):
        return None
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def orphan(live: Live) -> Mapping[str, Any] | None:
    if live.spec.get("status") == APPROVED or live.spec.get("environments"):
        return {"status": PENDING, "environments": []}
    return live.spec


def hold(state: DesiredState, change: Any) -> str | None:
    """A suspended environment keeps its record (and so the approval) on the version it runs until resumed."""
    before = set((change.before or {}).get("environments", ()))
    after = set((change.after or {}).get("environments", ()))
    for name in sorted(before - after):
        environment = state.environments.get(name)
        if environment is not None and environment.suspended:
            return f"environment {name} is suspended: it keeps its record on this version"
        for deployment in state.deployments:
            same_model = deployment.environment == name and deployment.model_package_group == change.model
            if same_model and deployment.suspended:
                return f"{deployment.source} is suspended: {name} keeps its record on this version"
    return None


def apply(clients: Any, change: Any) -> None:
    """UpdateModelPackage with the complete metadata map: keys written by training are kept, ours replaced."""
    sagemaker = clients.client("sagemaker", change.target)
    arn = change.payload["arn"]
    after = change.after or {}
    revision = change.payload.get("revision", "unknown")
    existing = sagemaker.describe_model_package(ModelPackageName=arn).get("CustomerMetadataProperties") or {}
    kept = {key: value for key, value in existing.items() if not _is_current_key(key)}
    ours = {f"{METADATA_PREFIX}{name}": revision for name in after.get("environments", [])}
    overrides = change.payload.get("overrides") or {}
    ours.update(_new_approval_records(existing, after, revision=revision, overrides=overrides))
    ours[HASH_KEY] = spec_hash(after)
    ours[REVISION_KEY] = revision
    request: dict[str, Any] = {
        "ModelPackageArn": arn,
        "ModelApprovalStatus": after["status"],
        "ApprovalDescription": _description(after, revision, overrides),
        "CustomerMetadataProperties": {**kept, **ours},
    }
    removed = sorted(key for key in existing if is_environment_key(key) and key not in ours)
    if removed:
        request["CustomerMetadataPropertiesToRemove"] = removed
    sagemaker.update_model_package(**request)


def _new_approval_records(
    existing: Mapping[str, str], after: Mapping[str, Any], *, revision: str, overrides: Mapping[str, str]
) -> dict[str, str]:
    """History for each environment that approves the version from now on: when, at which revision, overridden."""
    stamp = f"{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')} {revision}"
    records = {}
    for environment in after.get("environments", []):
        if f"{METADATA_PREFIX}{environment}" in existing:
            continue
        records[f"{LAST_APPROVED}{environment}"] = stamp
        if f"{FIRST_APPROVED}{environment}" not in existing:
            records[f"{FIRST_APPROVED}{environment}"] = stamp
        if environment in overrides:
            records[f"{OVERRIDE}{environment}"] = metadata_value(f"{revision} {overrides[environment]}")
    return records


def metadata_value(text: str) -> str:
    """`text` as a metadata value may be: letters, digits, spaces and `_.:/=+-@` only, at most 256 characters."""
    return " ".join(_METADATA_CHARACTERS.sub(" ", text).split())[:256]


def _description(after: Mapping[str, Any], revision: str, overrides: Mapping[str, str]) -> str:
    if after["status"] == APPROVED:
        passed = "".join(f"; override in {name} by {text}" for name, text in sorted(overrides.items()))
        return f"approved by smgitops for {', '.join(after['environments'])} at {revision}{passed}"[:1024]
    if after["status"] == REJECTED:
        return f"rejected by smgitops at {revision}"
    return f"no environment declares this version (smgitops at {revision})"
