"""One reconcile of the service loop: run the engine for some keys, then log, measure, notify and judge it.

`controller.service.loop.Controller` calls `Reconciler.run(state, keys, index)` with the keys the work queue
gave it (`[FULL]` or some (environment, model) keys) and gets a `Verdict`: which keys to retry later because
of a temporary error (throttling, 5xx, connection trouble) and which failed for good (bad input, access
denied), which are reported and not retried until something changes. Every applied or failed change is logged
with its environment, model and the revision, as it happens. A quiet full reconcile (nothing to change) logs
its reads per managed object and whether it described every object (`read: full`) or only what changed
(`read: cheap`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from controller.aws.errors import classify, describe, error_code
from controller.desired.model import REGISTRY, DesiredState
from controller.engine.plan import Change
from controller.engine.reconcile import Outcome, reconcile
from controller.kinds.memory import LiveMemory
from controller.service.events import Key, KeyIndex
from controller.service.logging import get_logger
from controller.service.readstats import ResyncStats
from controller.service.workqueue import FULL

log = get_logger("smgitops.reconcile")


@dataclass
class Verdict:
    outcome: Outcome | None
    retry: set[Key] = field(default_factory=set)
    """Keys that failed for a temporary reason: queue them again with backoff."""
    failed: set[Key] = field(default_factory=set)
    """Keys that failed for a permanent reason: reported, retried only at the next commit, event or resync."""
    crashed: str | None = None
    """Planning raised an unexpected error (not an AWS one): the revision cannot be applied; one line."""

    @property
    def ok(self) -> bool:
        return not self.retry and not self.failed


class Reconciler:
    def __init__(
        self,
        *,
        clients: Any,
        should_stop: Callable[[], bool],
        metrics: Any = None,
        notifier: Any = None,
        memory: LiveMemory | None = None,
    ) -> None:
        self.clients = clients
        self.should_stop = should_stop
        self.metrics = metrics
        self.notifier = notifier
        self.memory = memory
        self.resyncs = ResyncStats()

    def run(
        self,
        state: DesiredState,
        keys: Sequence[Key],
        index: KeyIndex,
        *,
        shown: Callable[[str], str] = lambda text: text,
        fresh: bool = True,
        shards: Collection[str] | None = None,
    ) -> Verdict:
        """`shown` rewrites paths in error lines (a temporary checkout → the path in the repository); `fresh`
        describes every object read, otherwise only those whose list stamp moved since the memory's last read;
        `shards`: only those are read and written (see `controller.engine.reconcile.make_plan`)."""
        full = FULL in keys
        environments = None if full else sorted({key[0] for key in keys})
        models = None if full else sorted({key[1] for key in keys})
        scope = "full" if full else ", ".join(f"{env}/{model}" for env, model in keys)
        where: dict[str, Any] = {"scope": scope}
        if shards is not None:
            where["shards"] = sorted(shards)
        if len(keys) == 1 and not full:
            where.update(environment=keys[0][0], model=keys[0][1])
        started, calls_before = time.monotonic(), self.clients.calls.snapshot()
        try:
            outcome = reconcile(
                state,
                clients=self.clients,
                environments=environments,
                models=models,
                on_change=self._log_change,
                should_stop=self.should_stop,
                memory=self.memory,
                fresh=fresh,
                shards=shards,
            )
        except Exception as error:  # a bug or an unexpected failure must not end the loop
            temporary = classify(error) == "temporary"
            unexpected = error_code(error) is None and not temporary
            log.error("reconcile failed", **where, error=describe(error), temporary=temporary, exc_info=unexpected)
            crashed = describe(error) if unexpected else None
            return Verdict(
                None, retry=set(keys) if temporary else set(), failed=set() if temporary else set(keys), crashed=crashed
            )
        calls = self.clients.calls.since(calls_before)
        duration = time.monotonic() - started
        self._record(state, outcome, duration=duration, calls=calls, full=full)
        if full:
            where["read"] = "full" if fresh or self.memory is None else "cheap"
        if full and outcome.reason == "in-sync":
            where.update(objects=_objects(outcome), reads_per_object=self._quiet(where["read"], calls, outcome))
        verdict = judge(outcome, keys, index)
        log.info(
            "reconciled",
            **where,
            outcome=outcome.reason,
            **outcome.plan.summary(),
            duration=round(duration, 3),
            reads=calls.reads,
            writes=calls.writes,
            retry=sorted("/".join(key) for key in verdict.retry),
            message=outcome.message or None,
        )
        for error in outcome.plan.errors:
            log.error("plan error", **where, error=shown(error))
        unfinished = _unfinished(outcome)
        if unfinished:
            log.warning("reconcile interrupted: stopping or lost the lease", **where, not_applied=unfinished)
        return verdict

    def _record(self, state: DesiredState, outcome: Outcome, *, duration: float, calls: Any, full: bool) -> None:
        if self.metrics is not None:
            self.metrics.record_reconcile(duration, outcome.reason)
            self.metrics.record_calls(calls)
            if full:
                self.metrics.record_plan(outcome.plan, result=outcome.result)
            applied = outcome.result.applied if outcome.result else []
            self.metrics.record_drift_corrections(sum(1 for change in applied if change.reason == "drift"))
            if outcome.reason in ("in-sync", "held", "applied"):
                self.metrics.record_success(time.time())
                if full:
                    self.metrics.record_revision(state.revision)
        if self.notifier is not None:
            try:
                self.notifier.notify(state, outcome)
            except Exception as error:  # a notification must never stop reconciling
                log.error("notification failed", error=describe(error))

    def _quiet(self, read: str, calls: Any, outcome: Outcome) -> float | None:
        """Record a quiet resync's reads per managed object (stats and metric); returns it."""
        per_object = self.resyncs.record(read, reads=calls.reads, objects=_objects(outcome))
        if self.metrics is not None and per_object is not None:
            self.metrics.record_reads_per_object(read, per_object)
        return per_object

    @staticmethod
    def _log_change(change: Change, error: str | None) -> None:
        fields = {
            "environment": change.environment,
            "model": change.model,
            "address": change.address,
            "action": change.action,
            "reason": change.reason,
        }
        if error is None:
            log.info("change applied", **fields)
        else:
            log.error("change failed", **fields, error=error)


def judge(outcome: Outcome, keys: Sequence[Key], index: KeyIndex) -> Verdict:
    """Which keys to retry (temporary failures) and which failed for good, from one outcome."""
    verdict = Verdict(outcome)
    if outcome.reason == "plan-error":
        target = verdict.retry if outcome.plan.retryable else verdict.failed
        target.update(keys)
        return verdict
    result = outcome.result
    if result is None:
        return verdict
    for change, _ in [*result.failed, *result.skipped]:
        target = verdict.retry if change.address in result.retryable else verdict.failed
        target.update(_keys_of(change, index))
    verdict.failed -= verdict.retry
    return verdict


def _objects(outcome: Outcome) -> int:
    """Managed objects the plan compared: in sync or with a change."""
    return outcome.plan.in_sync + len(outcome.plan.changes)


def _unfinished(outcome: Outcome) -> int:
    """How many actionable changes apply did not get to (it stops between batches when asked to)."""
    result = outcome.result
    if result is None:
        return 0
    return len(outcome.plan.actionable) - len(result.applied) - len(result.failed) - len(result.skipped)


def _keys_of(change: Change, index: KeyIndex) -> Iterable[Key]:
    if change.environment == REGISTRY:
        return index.by_group(change.model) or {FULL}
    if change.model:
        return {(change.environment, change.model)}
    return {FULL}
