"""Desired resources + live objects → `Plan`. Pure: no AWS calls, so it is tested with plain data.

Rules, per kind and account: a desired object that is missing is created (or, for kinds smgitops cannot
create, is a plan error); one that differs is updated, the reason being `drift` when the live object no longer
hashes to what smgitops last wrote there and `desired-change` otherwise; an owned object git no longer
declares is an orphan (deleted only under `prune: true`, or converged to the kind's orphan spec); a same-name
object smgitops does not own is a conflict left alone unless the file says `adopt: true`, and a schedule or
rule that would start a conflicting pipeline is held with it. Drift follows the environment's `drift` mode;
suspended environments and deployments are planned but held, and so is every change of an environment whose
change windows are all closed at `now` (unless `ignore_change_windows`, which the plan records in
`overrides`). Registry changes follow no environment's windows. An object an earlier apply left half-written
(its spec-hash still pending) is a change to make even when its fields match.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from controller.desired.model import REGISTRY, DesiredState
from controller.engine.diff import field_diffs
from controller.engine.plan import Change, FieldDiff, Plan
from controller.engine.windows import closed_windows
from controller.kinds.arns import pipeline_arn
from controller.kinds.base import SPEC_HASH_TAG, Kind, Live, Resource, spec_hash

ScopeKey = tuple[str, str]
"""(kind name, environment name or `registry`)."""


def build_plan(
    state: DesiredState,
    *,
    kinds: Mapping[str, Kind],
    desired: Mapping[ScopeKey, Sequence[Resource]],
    live: Mapping[ScopeKey, Sequence[Live]],
    errors: Sequence[str] = (),
    now: datetime | None = None,
    ignore_change_windows: bool = False,
) -> Plan:
    facts = _Facts.of(state)
    changes: list[Change] = []
    problems = list(errors)
    in_sync = 0
    in_sync_by: dict[tuple[str, str], int] = {}
    for key in sorted(desired.keys() | live.keys()):
        kind = kinds[key[0]]
        scope_changes, scope_problems, scope_in_sync = _plan_scope(
            facts, kind, key, desired.get(key, ()), live.get(key, ())
        )
        changes.extend(scope_changes)
        problems.extend(scope_problems)
        in_sync += scope_in_sync
        in_sync_by[(key[1], key[0])] = scope_in_sync
    changes = _hold_starters_of_conflicts(changes)
    closed = closed_windows(state.environments.values(), now or datetime.now(UTC))
    overrides = tuple(f"{name}: {hold}; applied anyway (--ignore-change-windows)" for name, hold in closed.items())
    if not ignore_change_windows:
        changes, overrides = [_outside_window(change, closed) for change in changes], ()
    ordered = sorted(changes, key=lambda change: (kinds[change.kind].ORDER, change.environment, change.name))
    return Plan(
        revision=state.revision,
        changes=tuple(ordered),
        errors=tuple(sorted(problems)),
        environments=tuple(state.environments),
        in_sync=in_sync,
        in_sync_by=in_sync_by,
        overrides=overrides,
    )


def _hold_starters_of_conflicts(changes: list[Change]) -> list[Change]:
    """A schedule or rule must not start a pipeline smgitops does not own: hold what targets a conflict."""
    foreign = {
        pipeline_arn(change.target, change.name): change.name
        for change in changes
        if change.kind == "pipeline" and change.reason == "conflict"
    }
    if not foreign:
        return changes
    held = []
    for change in changes:
        if change.hold is None and change.action in ("create", "update") and change.kind != "pipeline":
            text = json.dumps(change.after, default=str).lower()
            names = sorted(name for arn, name in foreign.items() if re.search(re.escape(arn) + r"(?![a-z0-9-])", text))
            if names:
                change = replace(change, hold=f"it starts pipeline {names[0]}, which smgitops does not own")
        held.append(change)
    return held


def _outside_window(change: Change, closed: Mapping[str, str]) -> Change:
    hold = closed.get(change.environment)
    if hold is None or change.hold is not None or change.action == "none":
        return change
    return replace(change, hold=hold)


@dataclass(frozen=True)
class _Facts:
    """The desired state with what the rules ask of it per resource indexed once, so a plan stays linear."""

    state: DesiredState
    suspended_sources: frozenset[str]
    drift_modes_by_group: Mapping[str, frozenset[str]]
    """The drift modes of the environments deploying each model package group."""

    @classmethod
    def of(cls, state: DesiredState) -> _Facts:
        modes: dict[str, set[str]] = defaultdict(set)
        for deployment in state.deployments:
            modes[deployment.model_package_group].add(state.environments[deployment.environment].drift)
        return cls(
            state=state,
            suspended_sources=frozenset(d.source for d in state.deployments if d.suspended),
            drift_modes_by_group={group: frozenset(found) for group, found in modes.items()},
        )


def _plan_scope(
    facts: _Facts, kind: Kind, key: ScopeKey, resources: Sequence[Resource], lives: Sequence[Live]
) -> tuple[list[Change], list[str], int]:
    live_by_name = {item.name: item for item in lives}
    changes, problems, in_sync = [], [], 0
    for resource in resources:
        current = live_by_name.pop(resource.name, None)
        if current is None and not kind.CREATABLE:
            problems.append(_missing_message(kind, resource))
            continue
        change = _change_for(facts, resource, current)
        if change is None:
            in_sync += 1
        else:
            changes.append(_kind_hold(facts.state, kind, change))
    for orphan in live_by_name.values():
        if orphan.managed:
            change = _orphan_change(facts, kind, key, orphan)
            if change is not None:
                changes.append(_kind_hold(facts.state, kind, change))
    return changes, problems, in_sync


def _kind_hold(state: DesiredState, kind: Kind, change: Change) -> Change:
    """A kind may hold a change for a reason of its own (`hold(state, change) -> str | None`)."""
    if change.hold is not None or change.action == "none" or not hasattr(kind, "hold"):
        return change
    hold = kind.hold(state, change)
    return change if hold is None else replace(change, hold=hold)


def _change_for(facts: _Facts, resource: Resource, current: Live | None) -> Change | None:
    hold = _suspension(facts, resource.environment, resource.source)
    if current is None:
        return _change(resource, action="create", reason="desired-change", before=None, hold=hold)
    if not current.managed and not resource.adopt:
        return _change(
            resource,
            action="none",
            reason="conflict",
            before=current.spec,
            hold="exists but is not managed by smgitops; set `adopt: true` in the file to take it over",
        )
    if current.pending:
        return _finish_pending(resource, current, hold=hold)
    if dict(current.spec) == dict(resource.spec) and current.managed:
        return None
    drifted = current.applied_hash is not None and spec_hash(current.spec) != current.applied_hash
    reason = "drift" if drifted else "desired-change"
    if drifted:
        mode = _drift_mode(facts, resource.environment, resource)
        if mode == "ignore":
            return None
        if mode == "warn":
            hold = hold or "drift: warn"
    change = _change(resource, action="update", reason=reason, before=current.spec, hold=hold)
    return replace(change, payload=_with_arn(resource.payload, current))


def _finish_pending(resource: Resource, current: Live, *, hold: str | None) -> Change:
    """A write an earlier apply began and never finished is a change to make, whatever its fields show."""
    change = _change(resource, action="update", reason="desired-change", before=current.spec, hold=hold)
    unfinished = FieldDiff(SPEC_HASH_TAG, "pending (an earlier apply did not finish)", spec_hash(resource.spec))
    return replace(change, diff=(*change.diff, unfinished), payload=_with_arn(resource.payload, current))


def _with_arn(payload: Mapping[str, Any], current: Live) -> Mapping[str, Any]:
    return {**payload, "arn": current.arn} if current.arn else payload


def _orphan_change(facts: _Facts, kind: Kind, key: ScopeKey, orphan: Live) -> Change | None:
    state = facts.state
    environment = key[1]
    converge_to = kind.orphan(orphan)
    hold = _suspension(facts, environment, orphan.source)
    target = state.registry if environment == REGISTRY else state.environments[environment].target
    if converge_to is not None:
        if dict(converge_to) == dict(orphan.spec):
            return None
        reason = "orphan" if orphan.applied_hash is not None else "drift"
        if reason == "drift":
            mode = (
                _registry_drift_mode(state)
                if environment == REGISTRY
                else state.environments[environment].drift
            )
            if mode == "ignore":
                return None
            if mode == "warn":
                hold = hold or "drift: warn"
        action, after = "update", converge_to
    else:
        prune = environment != REGISTRY and state.environments[environment].prune
        reason, action, after = "orphan", "delete", None
        hold = hold or (None if prune else "prune: false")
    return Change(
        kind=kind.NAME,
        name=orphan.name,
        environment=environment,
        target=target,
        action=action,
        reason=reason,
        source=orphan.source,
        before=orphan.spec,
        after=after,
        diff=field_diffs(orphan.spec, after),
        hold=hold,
        payload={"arn": orphan.arn} if orphan.arn else {},
        model=orphan.model,
    )


def _change(
    resource: Resource, *, action: str, reason: str, before: Mapping[str, Any] | None, hold: str | None
) -> Change:
    after = None if action == "none" else resource.spec
    return Change(
        kind=resource.kind,
        name=resource.name,
        environment=resource.environment,
        target=resource.target,
        action=action,
        reason=reason,
        source=resource.source,
        before=before,
        after=after,
        diff=field_diffs(before, after) if action == "update" else (),
        model=resource.model,
        hold=hold,
        payload=resource.payload,
    )


def _suspension(facts: _Facts, environment: str, source: str | None) -> str | None:
    if environment != REGISTRY and facts.state.environments[environment].suspended:
        return f"environment {environment} is suspended"
    if source in facts.suspended_sources:
        return f"{source} is suspended"
    return None


def _drift_mode(facts: _Facts, environment: str, resource: Resource) -> str:
    if environment != REGISTRY:
        return facts.state.environments[environment].drift
    return _strictest(set(facts.drift_modes_by_group.get(resource.model, ())))


def _registry_drift_mode(state: DesiredState) -> str:
    return _strictest({environment.drift for environment in state.environments.values()})


def _strictest(modes: set[str]) -> str:
    for mode in ("enforce", "warn", "ignore"):
        if mode in modes:
            return mode
    return "enforce"


def _missing_message(kind: Kind, resource: Resource) -> str:
    if hasattr(kind, "missing"):
        return kind.missing(resource)
    where = f"{resource.source}: {resource.breadcrumb}: " if resource.breadcrumb else f"{resource.source}: "
    return f"{where}{kind.NAME} {resource.name} does not exist in account {resource.target.account}"
