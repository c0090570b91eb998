"""The long-running controller: fetch the desired state, hold the lease, react to events, reconcile.

`smgitops run` builds a `Controller` and calls `run()`, which returns the exit code. The loop is level-triggered
and single-threaded where it writes: every interval it fetches the source and, on a new commit that validates,
queues a full reconcile (a commit that does not validate is reported and the last good one stays in force); a
full reconcile is also queued at start and every resync interval (with jitter); events from the SQS queue
(read by a background thread) queue targeted keys; a new registered version also asks the proposer, if any, for
a merge request, opened after the reconcile of its keys. What was read is remembered (`LiveMemory`): a resync
describes only the objects its list calls show changed, except every `full_read` seconds; a targeted
reconcile (an event named the objects) describes everything it reads. Only a replica that holds a lease takes
keys from the queue; with `--shard-by environment` each replica reads and writes only the shards it holds and
leaves other keys to their holders (the leases, shards and their threads: `controller.service.coordination`).
A reconcile stops between write batches as soon as SIGTERM arrives or a lease of its shards can no longer be
trusted; `stop()` then releases the leases and `run()` returns 0.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from controller.aws.errors import describe
from controller.desired import load
from controller.desired.model import DesiredState
from controller.engine.reconcile import trial_plan
from controller.kinds.memory import LiveMemory
from controller.pipelines import RenderError, pipelines_of
from controller.service.coordination import Coordination
from controller.service.events import KeyIndex, awaiting_approval, keys_for_event
from controller.service.lease import LeaseError
from controller.service.logging import bind_revision, get_logger
from controller.service.reconciler import Reconciler
from controller.service.settings import Settings
from controller.service.source import Checkout, Source, SourceError
from controller.service.workqueue import FULL, WorkQueue

log = get_logger("smgitops.controller")
REJECTED_KEPT = 5
"""Rejected commits the dashboard lists."""


class Controller:
    def __init__(
        self,
        settings: Settings,
        *,
        source: Source,
        clients: Any,
        infra_clients: Any,
        status: Any,
        metrics: Any = None,
        notifier: Any = None,
        proposer: Any = None,
        stopping: threading.Event | None = None,
    ) -> None:
        """`clients` make the reconciles' calls (the counted ones); `infra_clients` those of the lease and
        the event queue; `status` is the `ServiceState` the health server reads; `stopping` is set by
        `stop()` (share it with the source so a slow fetch is cut short); `proposer` (a
        `controller.service.proposals.Proposer`, None when GitLab is not configured) opens proposals."""
        self.settings = settings
        self.source = source
        self.clients = clients
        self.infra_clients = infra_clients
        self.status = status
        self.metrics = metrics
        self.notifier = notifier
        self.proposer = proposer
        self.queue = WorkQueue(base_delay=settings.backoff_base, max_delay=settings.backoff_max)
        self.memory = LiveMemory()
        self.reconciler = Reconciler(
            clients=clients, should_stop=self._should_stop, metrics=metrics, notifier=notifier, memory=self.memory
        )
        self.holder = settings.holder_id()
        self.status.update(holder=self.holder)
        self.state: DesiredState | None = None
        self.index = KeyIndex()
        self.full_cycles = 0
        self.coordination = Coordination(
            settings, holder=self.holder, infra_clients=infra_clients, queue=self.queue, memory=self.memory,
            status=status, metrics=metrics, notifier=notifier, current=lambda: self.state, on_event=self._on_event,
        )
        self._seen: str | None = None
        self._checkout: Checkout | None = None
        self._previous: tuple[DesiredState | None, Checkout | None] = (None, None)
        """The last good revision before the one in force, to go back to if planning that one fails."""
        self._stopping = stopping or threading.Event()
        self._next_fetch = 0.0
        self._next_resync = float("inf")
        self._next_full_read = 0.0

    def stop(self) -> None:
        """Ask the loop to finish the write in flight and return; safe from a signal handler."""
        self._stopping.set()
        self.queue.wake()

    def run(self) -> int:
        log.info("starting", source=self.source.description, holder=self.holder)
        try:
            while not self._stopping.is_set():
                self._tick()
                if self._finished():
                    break
                self.queue.wait(self._sleep_seconds(), until_due=self.coordination.leading())
        except LeaseError as error:
            log.error("cannot use the lease", error=str(error))
            return 1
        finally:
            self._shutdown()
        return 0

    def _tick(self) -> None:
        now = time.monotonic()
        if now >= self._next_fetch:
            self._next_fetch = now + self.settings.interval
            self._fetch()
        if self.state is None:
            return
        if not self.coordination.started:
            self.coordination.start(self.state)
            if not self.coordination.started:
                return
        if time.monotonic() >= self._next_resync:
            self.queue.add(FULL)
            self._next_resync = float("inf")
        if self.coordination.leading():
            keys = self.queue.take_ready()
            if keys:
                self._reconcile(self.state, keys)

    def _fetch(self) -> None:
        try:
            checkout = self.source.fetch()
        except SourceError as error:
            log.error("fetching the desired state failed", source=self.source.description, error=str(error))
            return
        if checkout.fingerprint == self._seen:
            return
        self._seen = checkout.fingerprint
        self._load(checkout)

    def _load(self, checkout: Checkout) -> None:
        try:
            loaded = load(checkout.root, revision=checkout.revision)
            problems = [str(replace(problem, path=checkout.shown(problem.path))) for problem in loaded.problems]
            if loaded.state is not None:
                problems = render_problems(loaded.state)
            if not problems:
                trial_plan(loaded.state)
        except Exception as error:  # any failure of a revision rejects it; the last good one stays in force
            self._reject(checkout.revision, "loading or planning it failed", [_one_line(error)], crashed=True)
            return
        if problems:
            self._reject(checkout.revision, "its files do not validate", problems)
            return
        assert loaded.state is not None
        self.source.keep(checkout)
        self._previous = (self.state, self._checkout) if self.state is not None else self._previous
        self._checkout = checkout
        self.state = loaded.state
        self.index = KeyIndex.build(loaded.state)
        bind_revision(loaded.state.revision)
        self.status.update(source_fetched=True, rejected=None)
        if self.metrics is not None:
            self.metrics.record_rejection(False)
        log.info("revision loaded", deployments=len(loaded.state.deployments))
        self.queue.add(FULL)

    def _reject(self, revision: str, why: str, problems: list[str], *, crashed: bool = False) -> None:
        """Report a revision that cannot be applied; keep (or go back to) the last good one."""
        applied = self.state.revision if self.state else None
        log.error(
            f"revision rejected: {why}", rejected=revision, revision=applied, problems=len(problems),
            still_applying=applied, exc_info=crashed,
        )
        for problem in problems:
            log.error("desired-state problem", rejected=revision, problem=problem)
        if self._checkout is not None:
            self.source.keep(self._checkout)
        still = f"; still applying {applied}" if applied else "; nothing applied yet"
        kept = ((revision, tuple(problems)), *self.status.rejected_commits)[:REJECTED_KEPT]
        self.status.update(rejected=f"revision {revision} rejected: {why}{still}", rejected_commits=kept)
        if self.metrics is not None:
            self.metrics.record_rejection(True)

    def _reject_current(self, error: str) -> None:
        """Planning the revision in force failed unexpectedly: reject it and go back to the one before."""
        assert self.state is not None
        revision = self.state.revision
        previous_state, previous_checkout = self._previous
        self.state, self._checkout, self._previous = previous_state, previous_checkout, (None, None)
        if self.state is not None:
            self.index = KeyIndex.build(self.state)
            bind_revision(self.state.revision)
            self.queue.add(FULL)
        self._reject(revision, "planning it failed", [error])

    def _reconcile(self, state: DesiredState, keys: list) -> None:
        shards = self.coordination.shards_for(keys)
        if shards is not None and not shards:
            log.info("keys left to the replicas holding their shards", keys=sorted("/".join(key) for key in keys))
            for key in keys:
                self.queue.forget(key)
            self._propose(state, keys)
            return
        shown = self._checkout.shown_in if self._checkout else str
        fresh = any(key != FULL for key in keys) or time.monotonic() >= self._next_full_read
        if FULL in keys and fresh:
            self._next_full_read = time.monotonic() + self.settings.full_read
        with self.coordination.writing_to(shards):
            verdict = self.reconciler.run(state, keys, self.index, shown=shown, fresh=fresh, shards=shards)
        outcome = verdict.outcome.reason if verdict.outcome else "failed"
        self.status.update(last_reconcile_at=time.time(), last_outcome=outcome)
        if verdict.crashed is not None:
            self._reject_current(verdict.crashed)
            return
        if FULL in keys and outcome in ("in-sync", "applied", "held"):
            self.status.update(applied_revision=state.revision)
        for key in verdict.retry:
            delay = self.queue.retry_later(key)
            log.warning("will retry", key="/".join(key), seconds=round(delay, 2), failures=self.queue.failures(key))
        for key in set(keys) - verdict.retry:
            self.queue.forget(key)
        self._propose(state, keys)
        if FULL in keys:
            self.full_cycles += 1
            self._next_resync = time.monotonic() + self.settings.resync * (1 + random.uniform(0, self.settings.jitter))

    def _propose(self, state: DesiredState, keys: list) -> None:
        """After the reconcile (a proposal never delays a write): the proposals events asked for, and at a full
        reconcile those that failed before. Only the replica that read the event makes its proposal."""
        if self.proposer is not None:
            self.proposer.run(state, retry=FULL in keys)

    def _on_event(self, event: Mapping[str, Any]) -> None:
        state, index = self.state, self.index
        bind_revision(state.revision if state else None)
        keys = keys_for_event(event, index)
        pending = awaiting_approval(event, state) if state is not None else None
        if pending and pending[0] not in index.announced and self.notifier is not None:
            self.notifier.notify_pending(state, *pending)
        if pending and self.proposer is not None:
            self.proposer.request(pending[0])
        fields = {"detail_type": event.get("detail-type"), "event_source": event.get("source"), "id": event.get("id")}
        if not keys:
            log.info("event dropped: it touches nothing git declares", **fields)
            return
        if len(keys) == 1:
            fields["environment"], fields["model"] = next(iter(keys))
        log.info("event queued", **fields, keys=sorted("/".join(key) for key in keys))
        for key in keys:
            self.queue.add(key)
        self.coordination.forward(keys)

    def _should_stop(self) -> bool:
        """Checked before each write batch: SIGTERM, or a lease of the shards being written not trusted."""
        return self._stopping.is_set() or self.coordination.fenced()

    def _finished(self) -> bool:
        return self.settings.max_cycles is not None and self.full_cycles >= self.settings.max_cycles

    def _sleep_seconds(self) -> float:
        return max(0.0, min(self._next_fetch, self._next_resync) - time.monotonic())

    def _shutdown(self) -> None:
        self.coordination.stop()
        self.source.close()
        calls = self.clients.calls.snapshot()
        infra = self.infra_clients.calls.snapshot()
        log.info(
            "stopped",
            full_cycles=self.full_cycles,
            reads=calls.reads,
            writes=calls.writes,
            notifications=calls.operations.get("sns:Publish", 0),
            calls=calls.by_operation(),
            lease_and_queue_calls=infra.by_operation(),
            **self.reconciler.resyncs.summary(),
        )
        if self.settings.stats:
            self.reconciler.resyncs.print(calls)
        try:
            self.clients.close()
            self.infra_clients.close()
        except Exception as error:  # closing connection pools must not change the exit code
            log.warning("closing clients failed", error=describe(error))


def _one_line(error: BaseException) -> str:
    return f"{type(error).__name__}: {' '.join(str(error).split())}"[:500]


def render_problems(state: DesiredState) -> list[str]:
    """Render every pipeline now (from the cache when it can), so a template that fails rejects the commit
    instead of failing every reconcile after it."""
    try:
        pipelines_of(state)
    except RenderError as error:
        return str(error).splitlines()
    return []
