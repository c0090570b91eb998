"""Model version approvals in the central registry: the heart of approval-by-merge-request.

A version is `Approved` when at least one environment declares it as `approvedVersion`; each declaring
environment is recorded on the version (`CustomerMetadataProperties`: `smgitops/<environment> = <revision>`) and in
`ApprovalDescription`. `rejectedVersions` become `Rejected`. An `Approved` version that no environment declares
goes back to `PendingManualApproval`: as an orphan when smgitops approved it earlier, as drift when it was approved
by hand. When every file of a model is gone, its versions that smgitops approved (they carry its records) go back
to `PendingManualApproval` the same way; versions of undeclared groups approved by hand are not smgitops's and
are left alone. Versions cannot be created here (training pipelines register them), so a declared version that
does not exist is a plan error. Reads: one ListModelPackages per declared group and one across groups (approved
versions only), one DescribeModelPackage per version that is declared, or approved in a declared group, or
approved in an undeclared one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from controller.aws.errors import is_not_found, paginate
from controller.desired.model import REGISTRY, Deployment, DesiredState
from controller.kinds.base import Live, ReadScope, Resource, spec_hash
from controller.kinds.grants import REGISTRY_SAGEMAKER as REGISTRY_ARN
from controller.kinds.grants import Grant

NAME = "approval"
SCOPE = REGISTRY
ORDER = 10
CREATABLE = False
READS = ("sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage")
WRITES = ("sagemaker:UpdateModelPackage",)
"""Apply also reads the version (DescribeModelPackage) to keep metadata that training wrote."""
GROUP_ARN = REGISTRY_ARN + ":model-package-group/{group}"
VERSIONS_ARN = REGISTRY_ARN + ":model-package/{group}/*"
PERMISSIONS = (
    Grant("registry", "ListVersions", ("sagemaker:ListModelPackages",), (GROUP_ARN, VERSIONS_ARN)),
    Grant("registry", "Approve", ("sagemaker:DescribeModelPackage", "sagemaker:UpdateModelPackage"), (VERSIONS_ARN,)),
)
"""On the versions of every model package group git declares."""

APPROVED, REJECTED, PENDING = "Approved", "Rejected", "PendingManualApproval"
METADATA_PREFIX = "smgitops/"
HASH_KEY = "smgitops/spec-hash"
REVISION_KEY = "smgitops/revision"


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
    resources = []
    for (group, version), environments in sorted(approvers.items()):
        spec = {"status": APPROVED, "environments": sorted(environments)}
        resources.append(_resource(state, version, spec, declared_by[(group, version)], "approvedVersion"))
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
    lives = []
    for group in groups:
        for summary in _list_versions(sagemaker, group):
            name = f"{group}/{summary['ModelPackageVersion']}"
            status = summary.get("ModelApprovalStatus", PENDING)
            if name in declared or status == APPROVED:
                lives.append(_describe(sagemaker, name, summary["ModelPackageArn"], group=group))
            else:
                lives.append(
                    Live(
                        name=name,
                        spec={"status": status, "environments": []},
                        managed=True,
                        arn=summary["ModelPackageArn"],
                        model=group,
                    )
                )
    return lives + _left_behind(sagemaker, declared_groups=set(groups))


def _left_behind(sagemaker: Any, *, declared_groups: set[str]) -> list[Live]:
    """Approved versions of groups no file declares any more that still carry smgitops's records: one
    ListModelPackages across groups, one DescribeModelPackage per approved version of an undeclared group."""
    found = []
    approved = paginate(
        sagemaker, "list_model_packages", "ModelPackageSummaryList",
        ModelApprovalStatus=APPROVED, ModelPackageType="Versioned",
    )
    for summary in approved:
        group = summary.get("ModelPackageGroupName")
        if not group or group in declared_groups or "ModelPackageVersion" not in summary:
            continue
        name = f"{group}/{summary['ModelPackageVersion']}"
        live = _describe(sagemaker, name, summary["ModelPackageArn"], group=group)
        if live.applied_hash is not None or live.spec["environments"]:
            found.append(live)
    return found


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
    environments = sorted(
        key.removeprefix(METADATA_PREFIX)
        for key in metadata
        if key.startswith(METADATA_PREFIX) and key not in (HASH_KEY, REVISION_KEY)
    )
    spec = {"status": package.get("ModelApprovalStatus", PENDING), "environments": environments}
    return Live(
        name=name,
        spec=spec,
        managed=True,
        applied_hash=metadata.get(HASH_KEY),
        source=None,
        arn=arn,
        model=group,
    )


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
    kept = {key: value for key, value in existing.items() if not key.startswith(METADATA_PREFIX)}
    ours = {f"{METADATA_PREFIX}{name}": revision for name in after.get("environments", [])}
    ours[HASH_KEY] = spec_hash(after)
    ours[REVISION_KEY] = revision
    request: dict[str, Any] = {
        "ModelPackageArn": arn,
        "ModelApprovalStatus": after["status"],
        "ApprovalDescription": _description(after, revision),
        "CustomerMetadataProperties": {**kept, **ours},
    }
    removed = sorted(key for key in existing if key.startswith(METADATA_PREFIX) and key not in ours)
    if removed:
        request["CustomerMetadataPropertiesToRemove"] = removed
    sagemaker.update_model_package(**request)


def _description(after: Mapping[str, Any], revision: str) -> str:
    if after["status"] == APPROVED:
        return f"approved by smgitops for {', '.join(after['environments'])} at {revision}"
    if after["status"] == REJECTED:
        return f"rejected by smgitops at {revision}"
    return f"no environment declares this version (smgitops at {revision})"
