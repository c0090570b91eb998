"""Promotion rules: which new `approvedVersion`s the plan refuses, and which an emergency override lets pass.

`make_plan` calls `check_promotions` with the registry's versions as the approval kind read them (their
approval history in `Live.details`). The rules judge only what changes: an environment whose declared version
differs from the one the registry records as approved there (`smgitops/<environment>`, written by the last
apply). An environment where smgitops never approved anything is being adopted, and is not judged; nor is a
suspended deployment or environment, until it is resumed. The rules,
each named in its error so people know which line of which file to look at:

- `promotesFrom`: the version is, or has been, approved in the environment this one promotes from (when that
  environment deploys the model too: otherwise this one is the first of the model's path);
- `minSoak`: it was first approved there at least that long ago;
- `modelQuality`: the metric registered with the version meets this file's `thresholds.modelQuality`.

A rollback, to a version the environment ran before, is judged by the quality gate only.
A file with `override: {reason, by}` passes the rules it breaks; each passed rule becomes an `overrides` line
of the plan, and apply records the reason on the version.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from controller.desired.model import Deployment, DesiredState
from controller.kinds import approval
from controller.kinds.base import Live


@dataclass(frozen=True)
class Verdict:
    errors: tuple[str, ...] = ()
    overrides: tuple[str, ...] = ()


def check_promotions(
    state: DesiredState,
    *,
    versions: Sequence[Live],
    clients,
    now: datetime,
    environments: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
) -> Verdict:
    by_name = {live.name: live for live in versions}
    errors: list[str] = []
    overrides: list[str] = []
    for deployment in state.deployments:
        if (environments and deployment.environment not in environments) or (models and deployment.model not in models):
            continue
        live = by_name.get(f"{deployment.model_package_group}/{deployment.approved_version}")
        if live is None or _suspended(state, deployment) or not _moves(deployment, versions):
            continue
        where = f"{deployment.locate('approvedVersion')}: approvedVersion"
        for rule, message in _broken_rules(state, deployment, live, clients=clients, now=now):
            if deployment.override is None:
                errors.append(f"{where}: {rule}: {message}")
            else:
                passed = f"passed by override (by {deployment.override.by}: {deployment.override.reason})"
                overrides.append(f"{where}: {rule}: {message}; {passed}")
    return Verdict(errors=tuple(errors), overrides=tuple(overrides))


def _suspended(state: DesiredState, deployment: Deployment) -> bool:
    """Nothing is written for it, so nothing is judged yet: the rules apply once it is resumed."""
    return deployment.suspended or state.environments[deployment.environment].suspended


def _moves(deployment: Deployment, versions: Sequence[Live]) -> bool:
    """True when the registry records another version of the group as approved in the deployment's environment."""
    running = [
        live.name
        for live in versions
        if live.model == deployment.model_package_group and deployment.environment in live.spec.get("environments", ())
    ]
    return bool(running) and f"{deployment.model_package_group}/{deployment.approved_version}" not in running


def _broken_rules(
    state: DesiredState, deployment: Deployment, live: Live, *, clients, now: datetime
) -> Iterator[tuple[str, str]]:
    environment = state.environments[deployment.environment]
    version = f"version {deployment.approved_version} of {deployment.model_package_group}"
    source = environment.promotes_from
    history = live.details.get("history", {})
    returning = bool(history.get(environment.name))
    if source is not None and not returning and any(d.key == (source, deployment.model) for d in state.deployments):
        record = history.get(source)
        if not record:
            never = f"{version} has never been approved in {source}"
            yield "promotesFrom", f"{never}, which {environment.name} promotes from"
        elif environment.min_soak_minutes:
            approved_at = first_approved_at(record)
            soak = timedelta(minutes=environment.min_soak_minutes)
            if approved_at is not None and now - approved_at < soak:
                yield "minSoak", (
                    f"{version} was approved in {source} {duration(now - approved_at)} ago "
                    f"({approved_at:%Y-%m-%d %H:%M} UTC); {environment.name} needs {duration(soak)} "
                    f"(from {approved_at + soak:%Y-%m-%d %H:%M} UTC)"
                )
    yield from _quality_gate(state, deployment, live, clients=clients, version=version)


def _quality_gate(
    state: DesiredState, deployment: Deployment, live: Live, *, clients, version: str
) -> Iterator[tuple[str, str]]:
    threshold = deployment.thresholds.model_quality
    if threshold is None:
        return
    bound = f"at most {threshold.max:g}" if threshold.max is not None else f"at least {threshold.min:g}"
    needs = f"{deployment.environment} requires {threshold.metric} {bound}"
    try:
        value = approval.registered_metric(clients, state.registry, live, threshold.metric)
    except Exception as error:  # access denied, a missing report...: refused, with the reason
        yield "modelQuality", f"cannot read the model quality report of {version}: {' '.join(str(error).split())}"
        return
    if value is None:
        yield "modelQuality", f"{version} has no registered {threshold.metric}; {needs}"
    elif (threshold.max is not None and value > threshold.max) or (threshold.min is not None and value < threshold.min):
        yield "modelQuality", f"{version} registered {threshold.metric} {value:g}; {needs}"


def first_approved_at(record: dict[str, str]) -> datetime | None:
    """When the version was first approved in an environment; None for approvals older than the records."""
    stamp = record.get("first", "").split(" ", 1)[0]
    try:
        return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None


def duration(span: timedelta) -> str:
    """`1d2h`, `3h12m`, `45m`: a span as people write soak times."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    return "".join(parts) or "0m"
