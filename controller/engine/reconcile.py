"""One reconcile as a straight line of named phases: read live → plan → gate → apply → record.

Loading and validating the files happen before (in `controller.desired`); callers (the `plan` and `apply`
commands, the service loop) hand a valid `DesiredState` in. Every outcome carries exactly one reason.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from controller.desired.model import REGISTRY, DesiredState
from controller.engine.applier import ApplyResult, apply_plan
from controller.engine.plan import Change, Plan
from controller.engine.planner import build_plan
from controller.engine.promotion import check_promotions
from controller.engine.reader import FAILED, desired_resources, take_snapshot
from controller.kinds import KINDS
from controller.kinds.base import Kind
from controller.kinds.memory import LiveMemory


@dataclass(frozen=True)
class Outcome:
    reason: str
    """`in-sync`, `applied`, `apply-failed`, `plan-error`, `stale-plan` or `held`."""
    plan: Plan
    result: ApplyResult | None = None
    message: str = ""


def make_plan(
    state: DesiredState,
    *,
    clients,
    kinds: Mapping[str, Kind] = KINDS,
    environments: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    max_workers: int = 8,
    now: datetime | None = None,
    ignore_change_windows: bool = False,
    memory: LiveMemory | None = None,
    fresh: bool = True,
    shards: Collection[str] | None = None,
) -> Plan:
    """`now` (default: the current time) decides which change windows are open and how long versions soaked.

    `shards` (the service's, when replicas split the work): only these environments are read and only their
    changes kept, the registry's approvals only when `registry` is one of them; `environments` is then ignored.
    The registry is read whatever the shards, for the promotion rules, which judge every environment when this
    replica writes the registry and its own environments otherwise.

    The promotion rules (`controller.engine.promotion`) run once the plan has no other error: their refusals
    are plan errors, the rules an override passed are `overrides` lines.
    `memory` and `fresh`: see `controller.engine.reader.take_snapshot`.
    """
    judged = environments
    if shards is not None:
        environments = sorted(shard for shard in shards if shard != REGISTRY)
        judged = None if REGISTRY in shards else environments
    snapshot = take_snapshot(
        state, kinds=kinds, clients=clients, environments=environments, max_workers=max_workers,
        memory=memory, fresh=fresh,
    )
    plan = build_plan(
        state,
        kinds=kinds,
        desired=snapshot.desired,
        live=snapshot.live,
        errors=snapshot.errors,
        now=now,
        ignore_change_windows=ignore_change_windows,
    )
    plan = replace(plan, retryable=snapshot.retryable)
    if "approval" in kinds and not plan.errors:
        verdict = check_promotions(
            state,
            versions=snapshot.live.get(("approval", REGISTRY), ()),
            clients=clients,
            now=now or datetime.now(UTC),
            environments=judged,
            models=models,
        )
        plan = replace(plan, errors=tuple(sorted(verdict.errors)), overrides=plan.overrides + verdict.overrides)
    if shards is not None:
        return narrow(plan, state, environments=None, models=models, shards=shards)
    return narrow(plan, state, environments=environments, models=models)


def trial_plan(state: DesiredState, *, kinds: Mapping[str, Kind] = KINDS, now: datetime | None = None) -> Plan:
    """A plan against an empty account, without AWS: whatever git alone can break in planning (desired objects,
    change windows) breaks here, so the service can reject a revision before it replaces the last good one."""
    desired, errors = desired_resources(state, kinds)
    planned = {key: resources for key, resources in desired.items() if key[1] != FAILED}
    return build_plan(state, kinds=kinds, desired=planned, live={}, errors=errors, now=now)


def narrow(
    plan: Plan,
    state: DesiredState,
    *,
    environments: Sequence[str] | None,
    models: Sequence[str] | None,
    shards: Collection[str] | None = None,
) -> Plan:
    """Only the changes of the selected environments and models (and shards: see `make_plan`).

    A registry approval belongs to the environments it names before or after (so `--env dev` never approves
    prod's version), a rejection to the file that rejects it, and both to the models deployed from their group;
    an undeclared console approval belongs to every environment deploying the group.
    """
    groups = {d.model_package_group for d in state.deployments if not models or d.model in models}

    def in_environments(change: Change) -> bool:
        if not environments:
            return True
        if change.environment != REGISTRY:
            return change.environment in environments
        named = {*(change.before or {}).get("environments", ()), *(change.after or {}).get("environments", ())}
        if not named and change.source:
            named = {change.source.split("/", 1)[0]}
        if not named:
            named = {d.environment for d in state.deployments if d.model_package_group == change.model}
        return bool(named & set(environments))

    def in_models(change: Change) -> bool:
        if not models:
            return True
        return change.model in groups if change.environment == REGISTRY else change.model in models

    def in_shards(change: Change) -> bool:
        return shards is None or change.environment in shards

    kept = (c for c in plan.changes if in_environments(c) and in_models(c) and in_shards(c))
    return replace(plan, changes=tuple(kept))


def stale_reasons(saved: Plan, fresh: Plan) -> list[str]:
    """Why a saved plan no longer describes what apply would do; empty when it is still exact."""
    if saved.revision != fresh.revision:
        return [f"the desired state is at revision {fresh.revision}, the plan was made at {saved.revision}"]
    expected = {change.address: change for change in saved.actionable}
    current = {change.address: change for change in fresh.actionable}
    reasons = []
    for address in sorted(expected.keys() | current.keys()):
        before, now = expected.get(address), current.get(address)
        if before is None:
            reasons.append(f"{address}: needs a change the saved plan does not contain")
        elif now is None:
            reasons.append(f"{address}: no longer needs the planned change")
        elif (now.action, now.before, now.after) != (before.action, before.before, before.after):
            reasons.append(f"{address}: live state changed since the plan was made")
    return reasons


def reconcile(
    state: DesiredState,
    *,
    clients,
    kinds: Mapping[str, Kind] = KINDS,
    environments: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    saved_plan: Plan | None = None,
    confirm: Callable[[Plan], bool] = lambda plan: True,
    on_change: Callable[[Change, str | None], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    max_workers: int = 8,
    now: datetime | None = None,
    ignore_change_windows: bool = False,
    memory: LiveMemory | None = None,
    fresh: bool = True,
    shards: Collection[str] | None = None,
) -> Outcome:
    """`shards`: see `make_plan`."""
    plan = make_plan(
        state,
        clients=clients,
        kinds=kinds,
        environments=environments,
        models=models,
        max_workers=max_workers,
        now=now,
        ignore_change_windows=ignore_change_windows,
        memory=memory,
        fresh=fresh,
        shards=shards,
    )
    if plan.errors:
        return Outcome("plan-error", plan, message=f"{len(plan.errors)} error(s); nothing was written")
    if saved_plan is not None:
        reasons = stale_reasons(saved_plan, plan)
        if reasons:
            return Outcome("stale-plan", plan, message="; ".join(reasons))
    if not plan.has_changes:
        return Outcome("held" if plan.held else "in-sync", plan)
    if not confirm(plan):
        return Outcome("held", plan, message="not confirmed; nothing was written")
    if memory is not None:  # whatever apply touches is described again next time
        memory.forget((change.kind, change.environment, change.name) for change in plan.actionable)
    result = apply_plan(
        plan,
        kinds=kinds,
        clients=clients,
        max_workers=max_workers,
        on_change=on_change,
        should_stop=should_stop,
    )
    return Outcome("applied" if result.ok else "apply-failed", plan, result=result)
