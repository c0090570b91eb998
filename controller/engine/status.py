"""The live status of the fleet, per (environment, model): versions, sync state, runs, verdicts, next run.

`smgitops status` and the dashboard call `read_status`. It is read-only and reads in batches: the planner's
own snapshot (one list call per account and kind, as `plan` makes) gives the live version (the batch
pipeline's `ModelPackageArn` default and the registry's approval), the sync state (the plan's changes for
the deployment) and the last changes smgitops made (the revision and time the objects record); then
`controller.engine.runs` reads each pipeline's recent runs and their verdicts. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from controller.desired.model import REGISTRY, Deployment, DesiredState
from controller.engine.plan import Change, Plan
from controller.engine.planner import build_plan
from controller.engine.reader import Snapshot, take_snapshot
from controller.engine.runs import Run, RunCache, read_runs
from controller.engine.schedules import next_run
from controller.kinds import KINDS
from controller.kinds.base import Live

SYNC_STATES = ("synced", "pending", "held", "drifted", "conflict", "failed")
"""From good to bad; a deployment shows the worst state any of its objects is in."""
PENDING_APPROVAL = "PendingManualApproval"


@dataclass(frozen=True)
class PipelineStatus:
    pipeline: str
    template: str
    schedule: str | None
    timezone: str
    enabled: bool
    next_run: datetime | None
    runs: tuple[Run, ...]


@dataclass(frozen=True)
class LastChange:
    what: str
    """`pipeline churn-batch-inference`, `schedule ...`, `approval churn/7`."""
    revision: str | None
    at: datetime | None


@dataclass(frozen=True)
class DeploymentStatus:
    environment: str
    model: str
    source: str
    declared_version: int
    live_version: int | None
    """The version the live batch pipeline scores with; None when the pipeline does not exist."""
    registry_status: str | None
    """The declared version's approval status in the registry; None when it does not exist."""
    sync: str
    sync_reasons: tuple[str, ...]
    max_violations: int
    batch: PipelineStatus
    training: PipelineStatus | None
    pending_versions: tuple[int, ...]
    """Registered versions newer than the declared one that wait for approval."""
    last_changes: tuple[LastChange, ...]
    problems: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.environment, self.model)

    @property
    def last_run(self) -> Run | None:
        return self.batch.runs[0] if self.batch.runs else None


@dataclass(frozen=True)
class FleetStatus:
    revision: str
    generated_at: datetime
    environments: tuple[str, ...]
    deployments: tuple[DeploymentStatus, ...]
    errors: tuple[str, ...] = ()

    def find(self, environment: str, model: str) -> DeploymentStatus | None:
        return next((item for item in self.deployments if item.key == (environment, model)), None)


def read_status(
    state: DesiredState,
    *,
    clients,
    environments: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    runs: int = 3,
    cache: RunCache | None = None,
    now: datetime | None = None,
    max_workers: int = 8,
) -> FleetStatus:
    now = now or datetime.now(UTC)
    snapshot = take_snapshot(state, kinds=KINDS, clients=clients, environments=environments, max_workers=max_workers)
    plan = build_plan(
        state, kinds=KINDS, desired=snapshot.desired, live=snapshot.live, errors=snapshot.errors, now=now
    )
    selected = [
        deployment
        for deployment in state.deployments
        if (not environments or deployment.environment in environments) and (not models or deployment.model in models)
    ]
    cache = cache if cache is not None else RunCache()
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="status") as pool:
        futures = [
            pool.submit(_deployment_status, state, deployment, snapshot, plan, clients, runs, cache, now)
            for deployment in selected
        ]
        deployments = tuple(future.result() for future in futures)
    return FleetStatus(
        revision=state.revision,
        generated_at=now,
        environments=tuple(name for name in state.environments if not environments or name in environments),
        deployments=deployments,
        errors=plan.errors,
    )


def _deployment_status(
    state: DesiredState,
    deployment: Deployment,
    snapshot: Snapshot,
    plan: Plan,
    clients,
    runs: int,
    cache: RunCache,
    now: datetime,
) -> DeploymentStatus:
    environment = state.environments[deployment.environment]
    pipelines = _by_name(snapshot.live.get(("pipeline", deployment.environment), ()))
    schedules = _by_name(snapshot.live.get(("schedule", deployment.environment), ()))
    approvals = _by_name(snapshot.live.get(("approval", REGISTRY), ()))
    group, declared = deployment.model_package_group, deployment.approved_version
    problems: list[str] = []
    batch = deployment.batch_inference
    batch_runs = _runs(
        problems, clients, environment.target, pipeline=batch.pipeline, limit=runs, cache=cache,
        artifacts=environment.artifacts, declared_max_violations=deployment.thresholds.data_quality_max_violations,
    )
    batch_status = PipelineStatus(
        pipeline=batch.pipeline, template=batch.template, schedule=batch.schedule, timezone=batch.timezone,
        enabled=batch.enabled, next_run=next_run(batch.schedule, batch.timezone, now=now, enabled=batch.enabled,
                                                 runs=batch_runs),
        runs=batch_runs,
    )
    training_status = None
    if deployment.training is not None:
        training = deployment.training
        training_runs = _runs(
            problems, clients, environment.target, pipeline=training.pipeline, limit=runs, cache=cache
        )
        training_status = PipelineStatus(
            pipeline=training.pipeline, template=training.template, schedule=training.schedule,
            timezone=training.timezone, enabled=training.schedule is not None,
            next_run=next_run(training.schedule, training.timezone, now=now, enabled=True, runs=training_runs),
            runs=training_runs,
        )
    sync, reasons = sync_state(
        [change for change in plan.changes if _concerns(change, deployment)], _errors_of(plan.errors, deployment)
    )
    declared_approval = approvals.get(f"{group}/{declared}")
    owned = [("pipeline", pipelines.get(batch.pipeline)), ("schedule", schedules.get(batch.pipeline))]
    if deployment.training is not None:
        name = deployment.training.pipeline
        owned += [("pipeline", pipelines.get(name)), ("schedule", schedules.get(name))]
    return DeploymentStatus(
        environment=deployment.environment,
        model=deployment.model,
        source=deployment.source,
        declared_version=declared,
        live_version=_live_version(pipelines.get(batch.pipeline)),
        registry_status=declared_approval.spec.get("status") if declared_approval else None,
        sync=sync,
        sync_reasons=reasons,
        max_violations=deployment.thresholds.data_quality_max_violations,
        batch=batch_status,
        training=training_status,
        pending_versions=_pending(approvals.values(), group=group, declared=declared),
        last_changes=_last_changes([*owned, ("approval", declared_approval)]),
        problems=tuple(problems),
    )


def sync_state(changes: Sequence[Change], errors: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """The worst state among the deployment's changes and errors, and one line per reason."""
    reasons = [*errors]
    worst = "failed" if errors else "synced"
    for change in changes:
        state = _change_state(change)
        if SYNC_STATES.index(state) > SYNC_STATES.index(worst):
            worst = state
        why = f"{change.kind} {change.name}: {change.reason}" + (f" ({change.hold})" if change.hold else "")
        reasons.append(why)
    return worst, tuple(reasons)


def _change_state(change: Change) -> str:
    if change.reason == "conflict":
        return "conflict"
    if change.reason == "drift":
        return "drifted"
    return "pending" if change.actionable else "held"


def _concerns(change: Change, deployment: Deployment) -> bool:
    """A change of the deployment's own objects; in the registry, one that changes what its environment has
    approved (or an undeclared approval of its model's group, which concerns every environment deploying it)."""
    if change.environment != REGISTRY:
        return change.environment == deployment.environment and change.model == deployment.model
    if change.model != deployment.model_package_group:
        return False
    before, after = change.before or {}, change.after or {}
    was, will = set(before.get("environments", ())), set(after.get("environments", ()))
    if not was and not will:
        return True
    touched = (was ^ will) if before.get("status") == after.get("status") else (was | will)
    return deployment.environment in touched


def _errors_of(errors: Sequence[str], deployment: Deployment) -> list[str]:
    """Plan errors about this deployment's file, or about its environment's or the registry's reads."""
    mine = []
    for error in errors:
        where = error.split(": ", 1)[0]
        scopes = {part.strip() for part in where.split(",")}
        if deployment.source in error or deployment.environment in scopes or REGISTRY in scopes:
            mine.append(error)
    return mine


def _runs(problems: list[str], clients, target, **options) -> tuple[Run, ...]:
    try:
        found = read_runs(clients, target, **options)
    except Exception as error:  # one deployment's failed read is reported on it, the others still show
        problems.append(f"{options['pipeline']}: reading runs failed: {' '.join(str(error).split())}")
        return ()
    for run in found:
        problems.extend(run.problems)
    return found


def _by_name(lives: Sequence[Live]) -> dict[str, Live]:
    return {live.name: live for live in lives}


def _live_version(pipeline: Live | None) -> int | None:
    if pipeline is None:
        return None
    parameters: Mapping = pipeline.spec.get("definition", {}).get("Parameters", {})
    arn = str(parameters.get("ModelPackageArn", {}).get("DefaultValue", ""))
    tail = arn.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _pending(approvals, *, group: str, declared: int) -> tuple[int, ...]:
    versions = []
    for live in approvals:
        found_group, _, number = live.name.rpartition("/")
        newer = found_group == group and number.isdigit() and int(number) > declared
        if newer and live.spec.get("status") == PENDING_APPROVAL:
            versions.append(int(number))
    return tuple(sorted(versions))


def _last_changes(lives: Sequence[tuple[str, Live | None]]) -> tuple[LastChange, ...]:
    """What smgitops last wrote on the deployment's objects (revision, time), newest first."""
    changes = [
        LastChange(what=f"{kind} {live.name}", revision=live.revision, at=_aware(live.modified))
        for kind, live in lives
        if live is not None and live.managed and live.revision
    ]
    oldest = datetime.min.replace(tzinfo=UTC)
    return tuple(sorted(changes, key=lambda change: change.at or oldest, reverse=True))


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
