"""Collect desired resources per (kind, account) and read the live objects of every scope concurrently.

One `ReadScope` is one kind in one environment's account (or in the registry account). Scopes are read on a
bounded thread pool sharing the same clients; a scope that fails becomes one error line, not a crash, so the
planner can still report the rest (and apply refuses to run with errors).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from controller.desired.model import REGISTRY, DesiredState
from controller.kinds.base import Kind, Live, ReadScope, Resource

ScopeKey = tuple[str, str]


@dataclass(frozen=True)
class Snapshot:
    """What git wants and what AWS has, per scope: the planner's whole input."""

    desired: Mapping[ScopeKey, tuple[Resource, ...]]
    live: Mapping[ScopeKey, tuple[Live, ...]]
    errors: tuple[str, ...]


def desired_resources(state: DesiredState, kinds: Mapping[str, Kind]) -> dict[ScopeKey, tuple[Resource, ...]]:
    grouped: dict[ScopeKey, list[Resource]] = defaultdict(list)
    for kind in kinds.values():
        for resource in kind.desired(state):
            grouped[(kind.NAME, resource.environment)].append(resource)
    return {key: tuple(items) for key, items in grouped.items()}


def read_scopes(state: DesiredState, kinds: Mapping[str, Kind], *, environments: Sequence[str] | None = None):
    """Every scope to read: each kind in each selected environment, registry kinds once."""
    desired = desired_resources(state, kinds)
    selected = list(environments) if environments else list(state.environments)
    scopes = []
    for kind in kinds.values():
        if kind.SCOPE == REGISTRY:
            resources = desired.get((kind.NAME, REGISTRY), ())
            scopes.append(ReadScope(kind.NAME, REGISTRY, state.registry, resources))
            continue
        for name in selected:
            environment = state.environments[name]
            resources = desired.get((kind.NAME, name), ())
            scopes.append(ReadScope(kind.NAME, name, environment.target, resources))
    return scopes


def take_snapshot(
    state: DesiredState,
    *,
    kinds: Mapping[str, Kind],
    clients,
    environments: Sequence[str] | None = None,
    max_workers: int = 8,
) -> Snapshot:
    scopes = read_scopes(state, kinds, environments=environments)
    live: dict[ScopeKey, tuple[Live, ...]] = {}
    errors: list[str] = []
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="read") as pool:
        futures = {
            (scope.kind, scope.environment): pool.submit(kinds[scope.kind].read, clients, scope)
            for scope in scopes
        }
        for key, future in futures.items():
            try:
                live[key] = tuple(future.result())
            except Exception as error:  # one failed scope is reported, the others still plan
                errors.append(f"{key[1]}: {key[0]}: reading live state failed: {_one_line(error)}")
    desired = {
        (scope.kind, scope.environment): scope.resources
        for scope in scopes
        if (scope.kind, scope.environment) in live
    }
    return Snapshot(desired=desired, live=live, errors=tuple(errors))


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
