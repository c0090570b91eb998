"""What every managed kind shares: the objects git wants (`Resource`), what AWS has (`Live`), ownership tags.

A kind is a module in `controller.kinds` satisfying the `Kind` protocol below and listed in the `KINDS` dict
of `controller/kinds/__init__.py`. The engine drives every kind through the same steps: `desired(state)` →
`read(clients, scope)` → generic diff → `apply(clients, change)`. Kinds never import boto3 themselves; they
receive clients from `controller.aws`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from controller.aws.errors import paginate
from controller.desired.model import Account, DesiredState

MANAGED_TAG = "smgitops:managed"
SOURCE_TAG = "smgitops:source"
REVISION_TAG = "smgitops:revision"
SPEC_HASH_TAG = "smgitops:spec-hash"

Scope = Literal["registry", "environment"]


@dataclass(frozen=True)
class Resource:
    """One object git wants to exist, in one account, with the fields that are compared with AWS."""

    kind: str
    name: str
    """The object's identity within its account, region and kind (pipeline name, `group/version`...)."""
    environment: str
    """The environment that owns it, or `registry` for the central model registry."""
    target: Account
    spec: Mapping[str, Any]
    """JSON-able fields compared with the live object's normalised spec."""
    source: str
    """The desired-state file that declares it (`prod/churn.yaml`)."""
    breadcrumb: str = ""
    location: str = ""
    """`file:line:col` of the declaration, for plan errors (`desired_state/prod/churn.yaml:4:18`)."""
    """The breadcrumb in `source` that declares it, for error messages (`approvedVersion`)."""
    model: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    """What apply needs besides the spec and is never diffed (artifacts to upload, definitions...)."""
    adopt: bool = False

    @property
    def address(self) -> str:
        return f"{self.environment}/{self.kind}/{self.name}"


@dataclass(frozen=True)
class Live:
    """One object as AWS has it, normalised into the same shape as `Resource.spec`."""

    name: str
    spec: Mapping[str, Any]
    managed: bool
    """True when the object carries smgitops ownership (tag, description marker or metadata)."""
    applied_hash: str | None = None
    """`spec_hash` of what smgitops last wrote; a live spec that no longer hashes to it was changed outside."""
    source: str | None = None
    arn: str | None = None
    model: str | None = None
    """The model (or, in the registry, the model package group) the object belongs to, when the reader knows."""
    pending: bool = False
    """An apply of several calls started here and never wrote its last one: a change still to make."""
    details: Mapping[str, Any] = field(default_factory=dict, compare=False)
    """What the reader learned beyond the spec, never diffed (a version's approval records and metrics)."""
    revision: str | None = None
    """The git revision smgitops last wrote the object at, when the object records it."""
    modified: datetime | None = None
    """When the object last changed, as AWS reports it (by anyone), when the read returns it."""


@dataclass(frozen=True)
class ReadScope:
    """One batch of reading: one kind in one account, with the resources git wants there."""

    kind: str
    environment: str
    target: Account
    resources: tuple[Resource, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)
    """Per-environment facts a reader may need (schedule group name, registry groups...)."""
    memory: Any = None
    """A `controller.kinds.memory.ScopeMemory` when the service remembers earlier reads, else None."""


class Kind(Protocol):
    """The protocol every module in `controller.kinds` satisfies."""

    NAME: str
    SCOPE: Scope
    ORDER: int
    """Apply order: lower first (approval 10, pipeline 20, topic 30, schedule 40, trigger 50)."""
    CREATABLE: bool
    """False when smgitops cannot create the object (model versions): a missing one is a plan error."""
    READS: tuple[str, ...]
    """API operations `read` may call, as `service:Operation`."""
    WRITES: tuple[str, ...]
    """API operations `apply` may call, as `service:Operation`."""

    def desired(self, state: DesiredState) -> Sequence[Resource]: ...

    def read(self, clients: Any, scope: ReadScope) -> Sequence[Live]: ...

    def orphan(self, live: Live) -> Mapping[str, Any] | None:
        """The spec an undeclared owned object converges to, or None to delete it (subject to prune)."""

    def apply(self, clients: Any, change: Any) -> None: ...

    # Kinds with CREATABLE = False also define `missing(resource) -> str`: the plan error for an absent object.
    # A kind may define `summary(spec) -> dict`: the rows the text plan shows for a new object (default: its spec).
    # A kind may define `hold(state, change) -> str | None`: a reason of its own to hold a change.


def spec_hash(spec: Mapping[str, Any]) -> str:
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def written_at(modified: Any) -> str:
    """A modification time as a written-at stamp records it (ISO 8601, as botocore parses it)."""
    return modified.isoformat() if hasattr(modified, "isoformat") else str(modified)


def pipeline_stamps(clients: Any, target: Account, key: str) -> dict[str, str]:
    """The value of tag `key` on every pipeline of `target`'s account that has it, by lowercase pipeline ARN
    (SageMaker names are case-insensitive), from the tagging index: a page per 100 pipelines. The written-at
    stamps of pipelines and of the schedules that start them live there."""
    tagging = clients.client("resourcegroupstaggingapi", target)
    mappings = paginate(
        tagging,
        "get_resources",
        "ResourceTagMappingList",
        ResourceTypeFilters=["sagemaker:pipeline"],
        TagFilters=[{"Key": key}],
        ResourcesPerPage=100,
    )
    return {item["ResourceARN"].lower(): tags_to_dict(item.get("Tags")).get(key, "") for item in mappings}


def ownership_tags(*, source: str, revision: str, spec: Mapping[str, Any]) -> dict[str, str]:
    return {
        MANAGED_TAG: "true",
        SOURCE_TAG: source,
        REVISION_TAG: revision,
        SPEC_HASH_TAG: spec_hash(spec),
    }


def tags_to_dict(tags: Sequence[Mapping[str, str]] | None) -> dict[str, str]:
    """AWS tag lists come as [{Key, Value}] (SageMaker, SNS, EventBridge) or [{key, value}]."""
    result = {}
    for tag in tags or ():
        key = tag.get("Key", tag.get("key"))
        result[key] = tag.get("Value", tag.get("value", ""))
    return result


def tags_to_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


MARKER = re.compile(
    r"managed by smgitops; source=(?P<source>\S+); spec=(?P<spec>[0-9a-f]+); environment=(?P<environment>[a-z0-9-]+)"
)
MARKED_REVISION = re.compile(r"; revision=(?P<revision>[^;\s)]+)")
"""The revision a description records next to the marker (`...; environment=prod; revision=4f2a9c1`)."""


PENDING = "0" * 16
"""The spec-hash written first by an apply that takes several calls, and replaced by the real one last.

An object an apply left half-written (throttled, crashed, stopped) carries it, so the next plan sees a change
still to make (`desired-change`, applied even under `drift: warn`, even when its fields already match), never
drift and never "in sync": only the last call of an apply writes the real hash.
"""


def marker(*, source: str, spec: Mapping[str, Any], environment: str, pending: bool = False) -> str:
    """Ownership written into a Description field, for objects whose tags cost an extra read per object.

    It names the environment because environments may share an account: each manages only its own objects.
    """
    recorded = PENDING if pending else spec_hash(spec)
    return f"managed by smgitops; source={source}; spec={recorded}; environment={environment}"


def marked_environment(description: str | None) -> str | None:
    """The environment whose marker `description` carries, or None when smgitops does not manage it."""
    found = MARKER.search(description or "")
    return found["environment"] if found else None


def live_from_marker(
    name: str,
    spec: Mapping[str, Any],
    description: str | None,
    *,
    environment: str,
    arn: str | None = None,
    modified: datetime | None = None,
) -> Live:
    """The live object; managed only when its marker names `environment` (the scope being read)."""
    found = MARKER.search(description or "")
    ours = found is not None and found["environment"] == environment
    revision = MARKED_REVISION.search(description or "") if ours else None
    return Live(
        name=name,
        spec=spec,
        managed=ours,
        applied_hash=found["spec"] if ours and found["spec"] != PENDING else None,
        source=found["source"] if ours else None,
        arn=arn,
        pending=ours and found["spec"] == PENDING,
        revision=revision["revision"] if revision else None,
        modified=modified,
    )


def live_from_tags(
    name: str, spec: Mapping[str, Any], tags: Mapping[str, str], *, arn: str | None = None
) -> Live:
    managed = tags.get(MANAGED_TAG) == "true"
    return Live(
        name=name,
        spec=spec,
        managed=managed,
        applied_hash=None if tags.get(SPEC_HASH_TAG) == PENDING else tags.get(SPEC_HASH_TAG),
        source=tags.get(SOURCE_TAG),
        arn=arn,
        pending=managed and tags.get(SPEC_HASH_TAG) == PENDING,
    )
