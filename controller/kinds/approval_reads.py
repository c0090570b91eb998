"""Reading model versions from the central registry for the `approval` kind, and the records they carry.

`controller.kinds.approval` reads through this module: `versions_by_group` lists the declared groups' versions
(ListModelPackages across the registry, `PAGE_SIZE` versions a page, when that takes at most a third of the calls
of one per group, from `BATCH_MIN_GROUPS` groups on; else one per group), `left_behind` finds approved versions
of groups no file declares any more that still carry smgitops's records, and `remembered` describes a version
(DescribeModelPackage) or, in the service, recalls it while its listed status has not moved. A description
becomes a `Live` whose spec is the approval status and the environments recorded on the version
(`CustomerMetadataProperties`: `smgitops/<environment>`) and whose details are its approval history; the
metadata keys smgitops writes are named here, since both the reads and `approval.apply` need them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from controller.aws.errors import is_not_found, paginate
from controller.kinds.base import Live, ReadScope
from controller.kinds.memory import described

BATCH_MIN_GROUPS = 3
"""Declared groups from which the registry is listed across groups, in at most 1 page per this many groups."""
PAGE_SIZE = 100
"""Versions per ListModelPackages page (the API's largest)."""

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


def versions_by_group(
    clients: Any, scope: ReadScope, sagemaker: Any, groups: list[str]
) -> tuple[dict[str, list[dict]], list[dict] | None]:
    """Every version summary of each declared group, and every versioned summary of the registry when it was
    listed whole (None when each group was listed on its own). From `BATCH_MIN_GROUPS` groups on, the registry
    is listed across groups first, as long as that takes at most a third as many calls as one per group; a
    registry too large for that is listed group by group (the pages read so far are the price of finding out)."""
    if len(groups) >= BATCH_MIN_GROUPS:
        registry = registry_versions(sagemaker, most_pages=len(groups) // BATCH_MIN_GROUPS)
        if registry is not None:
            by_group: dict[str, list[dict]] = {group: [] for group in groups}
            for summary in registry:
                if summary.get("ModelPackageGroupName") in by_group:
                    by_group[summary["ModelPackageGroupName"]].append(summary)
            return by_group, registry
    listed = clients.map(scope.target, lambda group: list_versions(sagemaker, group), groups)
    return dict(zip(groups, listed, strict=True)), None


def registry_versions(sagemaker: Any, *, most_pages: int) -> list[dict] | None:
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


def left_behind(
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
        return remembered(scope, sagemaker, name, summary, group=group)

    lives = clients.map(scope.target, read_one, approved)
    return [live for live in lives if live.applied_hash is not None or live.spec["environments"]]


def remembered(scope: ReadScope, sagemaker: Any, name: str, summary: Mapping[str, Any], *, group: str) -> Live:
    """The version described, or (in the service) as last described while its listed status did not move."""
    arn = summary["ModelPackageArn"]
    stamp = (summary.get("ModelApprovalStatus"), summary.get("ModelPackageStatus"), arn)
    return described(scope.memory, name, stamp, lambda: read_version(sagemaker, name, arn, group=group))


def list_versions(sagemaker: Any, group: str) -> list[dict]:
    """Every version summary of `group` (none when the group does not exist)."""
    try:
        return paginate(
            sagemaker, "list_model_packages", "ModelPackageSummaryList", ModelPackageGroupName=group
        )
    except Exception as error:
        if is_not_found(error):
            return []
        raise


def read_version(sagemaker: Any, name: str, arn: str, *, group: str) -> Live:
    """One DescribeModelPackage: the version's status, the environments recorded on it, and its details."""
    package = sagemaker.describe_model_package(ModelPackageName=arn)
    metadata = package.get("CustomerMetadataProperties") or {}
    environments = sorted(key.removeprefix(METADATA_PREFIX) for key in metadata if is_environment_key(key))
    spec = {"status": package.get("ModelApprovalStatus", PENDING), "environments": environments}
    return Live(
        name=name,
        spec=spec,
        managed=True,
        applied_hash=metadata.get(HASH_KEY),
        source=None,
        arn=arn,
        model=group,
        details=details(package, metadata),
        revision=metadata.get(REVISION_KEY),
        modified=package.get("LastModifiedTime"),
    )


def is_environment_key(key: str) -> bool:
    """`smgitops/<environment>`: the environments that approve the version now."""
    name = key.removeprefix(METADATA_PREFIX)
    return key.startswith(METADATA_PREFIX) and "/" not in name and key not in _NOT_ENVIRONMENTS


def details(package: Mapping[str, Any], metadata: Mapping[str, str]) -> dict[str, Any]:
    """The version's approval history per environment, where its metrics are, and the run that trained it."""
    history: dict[str, dict[str, str]] = defaultdict(dict)
    for prefix, field in ((FIRST_APPROVED, "first"), (LAST_APPROVED, "last"), (OVERRIDE, "override")):
        for key, value in metadata.items():
            if key.startswith(prefix):
                history[key.removeprefix(prefix)][field] = value
    for key in metadata:
        if is_environment_key(key):
            history[key.removeprefix(METADATA_PREFIX)]["current"] = metadata[key]
    quality = ((package.get("ModelMetrics") or {}).get("ModelQuality") or {}).get("Statistics") or {}
    return {
        "history": dict(history),
        "modelQuality": quality.get("S3Uri"),
        "execution": metadata.get("smgitops/execution"),
        "registeredAt": str(package.get("CreationTime") or ""),
    }
