"""Collect desired resources per (kind, account) and read the live objects of every scope concurrently.

One `ReadScope` is one kind in one environment's account (or in the registry account). Scopes are read on a
bounded thread pool sharing the same clients (within a scope, a kind describes its objects on the account's
pool, `Clients.map`); a scope that fails becomes one error line, not a crash, so the
planner can still report the rest (and apply refuses to run with errors). Given the service's `LiveMemory`, a
scope describes only the objects whose list stamp moved since they were last described (`fresh` reads all).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from controller.aws.errors import classify
from controller.desired.model import REGISTRY, DesiredState
from controller.kinds.base import Kind, Live, ReadScope, Resource
from controller.kinds.memory import LiveMemory

ScopeKey = tuple[str, str]
FAILED = "(failed)"
"""Marks a kind whose desired objects could not be computed: it is not read, so nothing looks orphaned."""


@dataclass(frozen=True)
class Snapshot:
    """What git wants and what AWS has, per scope: the planner's whole input."""

    desired: Mapping[ScopeKey, tuple[Resource, ...]]
    live: Mapping[ScopeKey, tuple[Live, ...]]
    errors: tuple[str, ...]
    retryable: frozenset[str] = frozenset()
    """The errors caused by temporary failures (see `controller.aws.errors.classify`)."""


def desired_resources(
    state: DesiredState, kinds: Mapping[str, Kind]
) -> tuple[dict[ScopeKey, tuple[Resource, ...]], list[str]]:
    """What git wants, per scope; a kind that cannot say (a team template that fails to render) is an error."""
    grouped: dict[ScopeKey, list[Resource]] = defaultdict(list)
    errors: list[str] = []
    for kind in kinds.values():
        try:
            resources = kind.desired(state)
        except Exception as error:  # reported as plan errors, one line each
            errors.extend(line for line in str(error).splitlines() if line.strip())
            grouped[(kind.NAME, FAILED)] = []
            continue
        for resource in resources:
            grouped[(kind.NAME, resource.environment)].append(resource)
    return {key: tuple(items) for key, items in grouped.items()}, errors


def read_scopes(
    state: DesiredState,
    kinds: Mapping[str, Kind],
    *,
    environments: Sequence[str] | None = None,
    memory: LiveMemory | None = None,
    fresh: bool = True,
):
    """Every scope to read: each kind in each selected environment, registry kinds once; and desired-state errors."""
    desired, errors = desired_resources(state, kinds)
    kinds = {name: kind for name, kind in kinds.items() if (name, FAILED) not in desired}
    selected = list(environments) if environments is not None else list(state.environments)
    scopes = []
    for kind in kinds.values():
        if kind.SCOPE == REGISTRY:
            resources = desired.get((kind.NAME, REGISTRY), ())
            remembered = memory.scope(kind.NAME, REGISTRY, fresh=fresh) if memory is not None else None
            scopes.append(ReadScope(kind.NAME, REGISTRY, state.registry, resources, memory=remembered))
            continue
        for name in selected:
            environment = state.environments[name]
            resources = desired.get((kind.NAME, name), ())
            remembered = memory.scope(kind.NAME, name, fresh=fresh) if memory is not None else None
            scopes.append(ReadScope(kind.NAME, name, environment.target, resources, memory=remembered))
    return scopes, errors


def take_snapshot(
    state: DesiredState,
    *,
    kinds: Mapping[str, Kind],
    clients,
    environments: Sequence[str] | None = None,
    max_workers: int = 8,
    memory: LiveMemory | None = None,
    fresh: bool = True,
) -> Snapshot:
    """`memory` (the service's): describe only objects whose list stamp moved, unless `fresh`."""
    scopes, errors = read_scopes(state, kinds, environments=environments, memory=memory, fresh=fresh)
    live: dict[ScopeKey, tuple[Live, ...]] = {}
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="read") as pool:
        futures = {
            (scope.kind, scope.environment): pool.submit(kinds[scope.kind].read, clients, scope)
            for scope in scopes
        }
        failures: dict[str, list[ScopeKey]] = defaultdict(list)
        temporary: set[str] = set()
        for key, future in futures.items():
            try:
                live[key] = tuple(future.result())
            except Exception as error:  # one failed scope is reported, the others still plan
                failures[_one_line(error)].append(key)
                if classify(error) == "temporary":
                    temporary.add(_one_line(error))
    read_errors = {message: _read_failure(message, keys) for message, keys in failures.items()}
    errors.extend(read_errors.values())
    retryable = frozenset(line for message, line in read_errors.items() if message in temporary)
    desired = {
        (scope.kind, scope.environment): scope.resources
        for scope in scopes
        if (scope.kind, scope.environment) in live
    }
    return Snapshot(desired=desired, live=live, errors=tuple(errors), retryable=retryable)


def _read_failure(message: str, keys: list[ScopeKey]) -> str:
    """One line per distinct failure: missing credentials in every account is one problem, not thirteen."""
    if len(keys) == 1:
        return f"{keys[0][1]}: {keys[0][0]}: reading live state failed: {message}"
    where = ", ".join(sorted({environment for _, environment in keys}))
    return f"{where}: reading live state failed ({len(keys)} kinds and accounts): {message}"


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
