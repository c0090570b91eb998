"""Prometheus metrics of the long-running controller, in a registry of their own.

The service loop calls the `record_*` methods after each reconcile; `HealthServer` serves `registry` at
`/metrics`. Every metric name is listed in the table of docs/metrics.md. A registry per `Metrics` (not
prometheus_client's global one) lets tests and several controllers in one process keep their numbers apart.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Gauge, Histogram, Info
from prometheus_client import Counter as PromCounter

from controller.aws.calls import CallCounter, CallCounts, classify_operation
from controller.engine.applier import ApplyResult
from controller.engine.plan import Change, Plan

RESOURCE_STATES = ("synced", "drifted", "pending", "failed", "held")
DURATION_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)


class Metrics:
    """What the controller exposes; all methods are safe to call from any thread."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        on = {"registry": self.registry}
        self.reconcile_duration = Histogram(
            "smgitops_reconcile_duration_seconds", "Time one reconcile took.", buckets=DURATION_BUCKETS, **on
        )
        self.reconciles = PromCounter("smgitops_reconciles_total", "Reconciles by outcome.", ["outcome"], **on)
        self.resources = Gauge(
            "smgitops_resources", "Managed objects by state at the last plan.", ["environment", "kind", "state"], **on
        )
        self.drift_corrections = PromCounter(
            "smgitops_drift_corrections_total", "Objects changed outside git that were put back.", **on
        )
        self.aws_calls = PromCounter(
            "smgitops_aws_calls_total", "AWS API calls (each page counts).", ["service", "operation", "type"], **on
        )
        self.aws_throttles = PromCounter("smgitops_aws_throttles_total", "AWS responses that were throttled.", **on)
        self.aws_retries = PromCounter("smgitops_aws_retries_total", "Extra attempts after retryable errors.", **on)
        self.last_success = Gauge(
            "smgitops_last_success_timestamp_seconds", "Unix time of the last reconcile that succeeded.", **on
        )
        self.applied_revision = Info("smgitops_applied_revision", "The revision last applied in full.", **on)
        self.leader = Gauge("smgitops_leader", "1 while this replica holds the lease (any shard's), else 0.", **on)
        self.shards_held = Gauge(
            "smgitops_shard_held", "1 for each shard (environment, registry, or all) whose lease this replica holds.",
            ["shard"], **on,
        )
        self._shards_seen: set[str] = set()
        self.revision_rejected = Gauge(
            "smgitops_revision_rejected",
            "1 while the newest revision fetched is rejected (it does not validate, or loading or planning it "
            "failed) and the last good one stays in force, else 0.",
            **on,
        )
        self.rejections = PromCounter("smgitops_revisions_rejected_total", "Revisions rejected.", **on)
        self.reads_per_object = Gauge(
            "smgitops_resync_reads_per_object",
            "AWS reads per managed object of the last quiet resync, by read: cheap (only what list calls showed "
            "changed) or full (every object described).",
            ["read"],
            **on,
        )
        self._resource_labels: set[tuple[str, str, str]] = set()
        self._calls_seen: tuple[CallCounter, CallCounts] | None = None
        self._lock = threading.Lock()

    def record_reconcile(self, duration_seconds: float, outcome_reason: str) -> None:
        """One reconcile finished with `Outcome.reason` (`applied`, `in-sync`, `apply-failed`...)."""
        self.reconcile_duration.observe(duration_seconds)
        self.reconciles.labels(outcome=outcome_reason).inc()

    def record_plan(self, plan: Plan, *, result: ApplyResult | None = None) -> None:
        """Set `smgitops_resources` from a full plan (and what applying it did, when given).

        An object is `synced` when it matches git (or was just written), `failed` when its write failed or was
        skipped, `drifted` when it was changed outside git and not put back yet, `held` when apply will not
        touch it (conflict, prune: false, suspended, outside a change window), `pending` otherwise. Label sets
        of an earlier plan that this one no longer has are removed.
        """
        counts = resource_counts(plan, result)
        with self._lock:
            for labels in self._resource_labels - counts.keys():
                self.resources.remove(*labels)
            for labels, count in counts.items():
                self.resources.labels(*labels).set(count)
            self._resource_labels = set(counts)

    def record_drift_corrections(self, count: int) -> None:
        if count > 0:
            self.drift_corrections.inc(count)

    def record_calls(self, calls: CallCounts | CallCounter) -> None:
        """Add AWS calls: a `CallCounts` is a delta (`counter.since(snapshot)`); given the `CallCounter` itself,
        what it counted since the previous call here is added."""
        if isinstance(calls, CallCounter):
            with self._lock:
                counter, now = calls, calls.snapshot()
                before = self._calls_seen[1] if self._calls_seen and self._calls_seen[0] is counter else None
                calls, self._calls_seen = _difference(now, before), (counter, now)
        for key, count in calls.operations.items():
            service, operation = key.split(":", 1)
            if count > 0:
                call_type = classify_operation(service, operation)
                self.aws_calls.labels(service=service, operation=operation, type=call_type).inc(count)
        if calls.throttles > 0:
            self.aws_throttles.inc(calls.throttles)
        if calls.retries > 0:
            self.aws_retries.inc(calls.retries)

    def record_reads_per_object(self, read: str, per_object: float) -> None:
        """A quiet resync (`read`: `cheap` or `full`) made `per_object` reads per managed object."""
        self.reads_per_object.labels(read=read).set(per_object)

    def record_success(self, timestamp: float) -> None:
        self.last_success.set(timestamp)

    def record_revision(self, revision: str) -> None:
        self.applied_revision.info({"revision": revision})

    def record_lease(self, is_leader: bool) -> None:
        self.leader.set(1 if is_leader else 0)

    def record_shards(self, shards: list[str]) -> None:
        """The shards this replica holds now: 1 for each, the ones it let go of 0."""
        self._shards_seen.update(shards)
        for shard in self._shards_seen:
            self.shards_held.labels(shard=shard).set(1 if shard in shards else 0)

    def record_rejection(self, rejected: bool) -> None:
        """The newest revision was rejected (True) or loaded (False)."""
        self.revision_rejected.set(1 if rejected else 0)
        if rejected:
            self.rejections.inc()


def resource_counts(plan: Plan, result: ApplyResult | None = None) -> dict[tuple[str, str, str], int]:
    """(environment, kind, state) → number of objects, with every state present for each pair seen."""
    written = {change.address for change in result.applied} if result else set()
    broken = {change.address for change, _ in [*result.failed, *result.skipped]} if result else set()
    counts: Counter[tuple[str, str, str]] = Counter()
    for (environment, kind), in_sync in plan.in_sync_by.items():
        counts[(environment, kind, "synced")] += in_sync
    for change in plan.changes:
        counts[(change.environment, change.kind, _state(change, written, broken))] += 1
    pairs = {(environment, kind) for environment, kind, _ in counts}
    return {
        (environment, kind, state): counts[(environment, kind, state)]
        for environment, kind in pairs
        for state in RESOURCE_STATES
    }


def _state(change: Change, written: set[str], broken: set[str]) -> str:
    if change.address in written:
        return "synced"
    if change.address in broken:
        return "failed"
    if change.reason == "drift":
        return "drifted"
    return "pending" if change.actionable else "held"


def _difference(now: CallCounts, before: CallCounts | None) -> CallCounts:
    if before is None:
        return now
    operations: Mapping[str, int] = {
        key: count - before.operations.get(key, 0) for key, count in now.operations.items()
    }
    return CallCounts(dict(operations), now.throttles - before.throttles, now.retries - before.retries)
