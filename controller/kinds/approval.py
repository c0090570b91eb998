"""Model version approvals in the central registry: the heart of approval-by-merge-request.

A version is `Approved` when at least one environment declares it as `approvedVersion`; each declaring
environment is recorded on the version (`CustomerMetadataProperties`: `smgitops/<environment> = <revision>`) and in
`ApprovalDescription`. `rejectedVersions` become `Rejected`. An `Approved` version that no environment declares
goes back to `PendingManualApproval`: as an orphan when smgitops approved it earlier, as drift when it was approved
by hand. When every file of a model is gone, its versions that smgitops approved (they carry its records) go back
to `PendingManualApproval` the same way; versions of undeclared groups approved by hand are not smgitops's and
are left alone. Versions cannot be created here (training pipelines register them), so a declared version that
does not exist is a plan error. Reads: ListModelPackages across the registry (100 versions a page) when that
takes at most a third of the calls of one per declared group, else one per declared group and one across groups
(approved versions only); one DescribeModelPackage per version that is declared, or approved in a declared group,
or approved in an undeclared one (in the service, only when the status ListModelPackages shows moved).

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

from controller.aws.errors import is_not_found, paginate
from controller.desired.model import REGISTRY, Deployment, DesiredState
from controller.kinds.base import Live, ReadScope, Resource, spec_hash
from controller.kinds.grants import REGISTRY_SAGEMAKER as REGISTRY_ARN
from controller.kinds.grants import Grant
from controller.kinds.memory import described
from controller.pipelines.metrics import UnknownMetric, report_path

BATCH_MIN_GROUPS = 3
"""Declared groups from which the registry is listed across groups, in at most 1 page per this many groups."""
PAGE_SIZE = 100
"""Versions per ListModelPackages page (the API's largest)."""

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

APPROVED, REJECTED, PENDING = "Approved", "Rejected", "PendingManualApproval"
METADATA_PREFIX = "smgitops/"
HASH_KEY = "smgitops/spec-hash"
REVISION_KEY = "smgitops/revision"
FIRST_APPROVED = "smgitops/first-approved/"
LAST_APPROVED = "smgitops/last-approved/"
OVERRIDE = "smgitops/override/"
TRAINING_KEYS = ("smgitops/pipeline", "smgitops/execution")
"""Written by the training template when it registers a version: the pipeline and the execution (the run)."""
_NOT_ENVIRONMENTS = (HASH_KEY, REVISION_KEY, *TRAINING_KEYS)
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
    by_group, registry = _versions_by_group(clients, scope, sagemaker, groups)
    versions = [(group, summary) for group in groups for summary in by_group[group]]

    def read_one(version: tuple[str, Mapping[str, Any]]) -> Live:
        group, summary = version
        name = f"{group}/{summary['ModelPackageVersion']}"
        status = summary.get("ModelApprovalStatus", PENDING)
        if name in declared or status == APPROVED:
            return _remembered(scope, sagemaker, name, summary, group=group)
        return Live(
            name=name,
            spec={"status": status, "environments": []},
            managed=True,
            arn=summary["ModelPackageArn"],
            model=group,
        )

    lives = clients.map(scope.target, read_one, versions)
    return lives + _left_behind(clients, scope, sagemaker, declared_groups=set(groups), registry=registry)


def _versions_by_group(
    clients: Any, scope: ReadScope, sagemaker: Any, groups: list[str]
) -> tuple[dict[str, list[dict]], list[dict] | None]:
    """Every version summary of each declared group, and every versioned summary of the registry when it was
    listed whole (None when each group was listed on its own). From `BATCH_MIN_GROUPS` groups on, the registry
    is listed across groups first, as long as that takes at most a third as many calls as one per group; a
    registry too large for that is listed group by group (the pages read so far are the price of finding out)."""
    if len(groups) >= BATCH_MIN_GROUPS:
        registry = _registry_versions(sagemaker, most_pages=len(groups) // BATCH_MIN_GROUPS)
        if registry is not None:
            by_group: dict[str, list[dict]] = {group: [] for group in groups}
            for summary in registry:
                if summary.get("ModelPackageGroupName") in by_group:
                    by_group[summary["ModelPackageGroupName"]].append(summary)
            return by_group, registry
    listed = clients.map(scope.target, lambda group: _list_versions(sagemaker, group), groups)
    return dict(zip(groups, listed, strict=True)), None


def _registry_versions(sagemaker: Any, *, most_pages: int) -> list[dict] | None:
    """Every versioned model package of the registry in at most `most_pages` ListModelPackages, else None."""
    summaries: list[dict] = []
    token: dict[str, str] = {}
    for _ in range(most_pages):
        page = sagemaker.list_model_packages(ModelPackageType="Versioned", MaxResults=PAGE_SIZE, **token)
        summaries += page.get("ModelPackageSummaryList", [])
        if not page.get("NextToken"):
            return [summary for summary in summaries if "ModelPackageVersion" in summary]
        token = {"NextToken": page["NextToken"]}
    return None


def _left_behind(
    clients: Any, scope: ReadScope, sagemaker: Any, *, declared_groups: set[str], registry: list[dict] | None
) -> list[Live]:
    """Approved versions of groups no file declares any more that still carry smgitops's records: taken from the
    registry's listing when it was read whole, else one ListModelPackages across groups; one DescribeModelPackage
    per approved version of an undeclared group (its summary does not show the records: CustomerMetadataProperties
    comes only with the description)."""
    if registry is None:
        listed = paginate(
            sagemaker, "list_model_packages", "ModelPackageSummaryList",
            ModelApprovalStatus=APPROVED, ModelPackageType="Versioned",
        )
    else:
        listed = [summary for summary in registry if summary.get("ModelApprovalStatus") == APPROVED]
    skipped = {None, "", *declared_groups}
    approved = [
        summary for summary in listed
        if summary.get("ModelPackageGroupName") not in skipped and "ModelPackageVersion" in summary
    ]

    def read_one(summary: Mapping[str, Any]) -> Live:
        group = summary["ModelPackageGroupName"]
        name = f"{group}/{summary['ModelPackageVersion']}"
        return _remembered(scope, sagemaker, name, summary, group=group)

    lives = clients.map(scope.target, read_one, approved)
    return [live for live in lives if live.applied_hash is not None or live.spec["environments"]]


def versions_of(clients: Any, target: Any, group: str) -> list[dict]:
    """Every version summary of `group` (ListModelPackages), for proposals and history."""
    return _list_versions(clients.client("sagemaker", target), group)


def describe_version(clients: Any, target: Any, group: str, arn: str) -> Live:
    """One version with its approval records and metrics (`Live.details`)."""
    sagemaker = clients.client("sagemaker", target)
    return _describe(sagemaker, f"{group}/{arn.rsplit('/', 1)[-1]}", arn, group=group)


def _remembered(scope: ReadScope, sagemaker: Any, name: str, summary: Mapping[str, Any], *, group: str) -> Live:
    """The version described, or (in the service) as last described while its listed status did not move."""
    arn = summary["ModelPackageArn"]
    stamp = (summary.get("ModelApprovalStatus"), summary.get("ModelPackageStatus"), arn)
    return described(scope.memory, name, stamp, lambda: _describe(sagemaker, name, arn, group=group))


def _list_versions(sagemaker: Any, group: str) -> list[dict]:
    try:
        return paginate(
            sagemaker, "list_model_packages", "ModelPackageSummaryList", ModelPackageGroupName=group
        )
    except Exception as error:
        if is_not_found(error):
            return []
        raise


def _describe(sagemaker: Any, name: str, arn: str, *, group: str) -> Live:
    package = sagemaker.describe_model_package(ModelPackageName=arn)
    metadata = package.get("CustomerMetadataProperties") or {}
    environments = sorted(key.removeprefix(METADATA_PREFIX) for key in metadata if _is_environment_key(key))
    spec = {"status": package.get("ModelApprovalStatus", PENDING), "environments": environments}
    return Live(
        name=name,
        spec=spec,
        managed=True,
        applied_hash=metadata.get(HASH_KEY),
        source=None,
        arn=arn,
        model=group,
        details=_details(package, metadata),
        revision=metadata.get(REVISION_KEY),
        modified=package.get("LastModifiedTime"),
    )


def _is_environment_key(key: str) -> bool:
    """`smgitops/<environment>`: the environments that approve the version now."""
    name = key.removeprefix(METADATA_PREFIX)
    return key.startswith(METADATA_PREFIX) and "/" not in name and key not in _NOT_ENVIRONMENTS


def _is_current_key(key: str) -> bool:
    """The keys every apply rewrites; all others (history, training's, people's) are kept."""
    return _is_environment_key(key) or key in (HASH_KEY, REVISION_KEY)


def _details(package: Mapping[str, Any], metadata: Mapping[str, str]) -> dict[str, Any]:
    """The version's approval history per environment, where its metrics are, and the run that trained it."""
    history: dict[str, dict[str, str]] = defaultdict(dict)
    for prefix, field in ((FIRST_APPROVED, "first"), (LAST_APPROVED, "last"), (OVERRIDE, "override")):
        for key, value in metadata.items():
            if key.startswith(prefix):
                history[key.removeprefix(prefix)][field] = value
    for key in metadata:
        if _is_environment_key(key):
            history[key.removeprefix(METADATA_PREFIX)]["current"] = metadata[key]
    quality = ((package.get("ModelMetrics") or {}).get("ModelQuality") or {}).get("Statistics") or {}
    return {
        "history": dict(history),
        "modelQuality": quality.get("S3Uri"),
        "execution": metadata.get("smgitops/execution"),
        "registeredAt": str(package.get("CreationTime") or ""),
    }


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
    removed = sorted(key for key in existing if _is_environment_key(key) and key not in ours)
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
