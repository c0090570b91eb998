"""IAM permissions as data: which role needs which actions on which resources, as ARN patterns.

Every kind, and the service modules for the lease, the event queue and notifications, declares `PERMISSIONS`: a
tuple of `Grant`s. A grant names the role that holds it (`deploy`, `registry`, `pipeline`, `scheduler` or
`controller`), its actions, and ARN patterns whose `{placeholders}` `smgitops permissions` fills in from the
desired state, per environment: a fact that is one value (`{account}`) gives one ARN, a fact that is a list
(`{pipeline}`: every pipeline the environment declares) one ARN per item, and an empty list no statement at all;
condition values may use the facts that are one value. `"*"` is allowed only together with `unscoped`, the
reason AWS offers no resource-level permission for those actions; docs/permissions.md lists them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ROLES = ("controller", "registry", "deploy", "pipeline", "scheduler")

SAGEMAKER = "arn:{partition}:sagemaker:{region}:{account}"
PIPELINE = SAGEMAKER + ":pipeline/{pipeline}"
REGISTRY_SAGEMAKER = "arn:{partition}:sagemaker:{registry_region}:{registry_account}"
TOPIC = "arn:{partition}:sns:{region}:{account}:{topic}"
RULE = "arn:{partition}:events:{region}:{account}:rule/{rule_prefix}*"
DEFAULT_BUS = "arn:{partition}:events:{region}:{account}:event-bus/default"
SCHEDULE_GROUP = "arn:{partition}:scheduler:{region}:{account}:schedule-group/{schedule_group}"
SCHEDULES = "arn:{partition}:scheduler:{region}:{account}:schedule/{schedule_group}/*"
ARTIFACTS = "arn:{partition}:s3:::{artifacts_bucket}/{artifacts_key}*"
ARTIFACTS_BUCKET = "arn:{partition}:s3:::{artifacts_bucket}"
MANAGED = {"StringEquals": {"aws:ResourceTag/smgitops:managed": "true"}}
"""Objects smgitops created carry this tag: it may read and delete them once git no longer declares them."""

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Grant:
    """Actions one role may take on the resources that `resources` (ARN patterns) name."""

    role: str
    name: str
    """CamelCase, unique within the declaring module; the statement's Sid is the module's name and this."""
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    unscoped: str = ""
    """Why the resource is `*`: AWS offers no resource-level permission for these actions."""

    def __post_init__(self) -> None:
        assert self.role in ROLES, self.role
        assert ("*" in self.resources) == bool(self.unscoped), f"{self.name}: '*' needs a reason, and only '*'"


def pass_role(role: str, *, fact: str, service: str) -> Grant:
    """iam:PassRole on the role ARN in `fact`, only to `service`."""
    return Grant(
        role,
        f"PassRoleTo{service.split('.')[0].title()}",
        ("iam:PassRole",),
        ("{" + fact + "}",),
        {"StringEquals": {"iam:PassedToService": service}},
    )


def expand(pattern: str, facts: Mapping[str, Any]) -> list[str]:
    """Every ARN `pattern` names: one per combination of the list facts it uses (none if a list is empty)."""
    names = list(dict.fromkeys(_PLACEHOLDER.findall(pattern)))
    choices = [_values(facts[name]) for name in names]
    return [_fill(pattern, dict(zip(names, combination, strict=True))) for combination in itertools.product(*choices)]


def _fill(pattern: str, chosen: Mapping[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda found: chosen[found[1]], pattern)


def _values(fact: Any) -> Sequence[str]:
    return [fact] if isinstance(fact, str) else sorted(set(fact))


def statement(sid: str, grant: Grant, facts: Mapping[str, Any]) -> dict[str, Any] | None:
    """The policy statement `grant` gives with `facts`, or None when it names no resource."""
    resources = sorted({arn for pattern in grant.resources for arn in expand(pattern, facts)})
    if not resources:
        return None
    result: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(set(grant.actions)),
        "Resource": resources[0] if len(resources) == 1 else resources,
    }
    if grant.condition:
        scalars = {name: value for name, value in facts.items() if isinstance(value, str)}
        result["Condition"] = {
            operator: {key: _fill(value, scalars) for key, value in values.items()}
            for operator, values in grant.condition.items()
        }
    return result
