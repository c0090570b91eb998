"""Which shards this replica holds and may write to: the leases, the thread that keeps them, the event poller.

The loop (`controller.service.loop.Controller`) holds one `Coordination` and calls `start(state)` once the
registry (the leases' and the queue's default account) is known: with a lease table it makes the table's
`ShardLeases` (`controller.service.shards`) and starts the `ShardKeeper` thread that takes, renews and gives
up the shard leases; without one this replica writes everything unconditionally. With a queue it starts the
`EventPoller` thread, active only while this replica leads. A change of the shards held is reported (status,
metrics, logs), forgets what was read of shards just gained and queues a full reconcile; keys another replica
forwarded are queued. Around a reconcile the loop asks which held shards its keys cover (`shards_for`), fences
the write to them (`writing_to`: none is released meanwhile) and stops between write batches once `fenced()`;
an event's keys in shards held elsewhere go to their holders (`forward`). `stop()` stops both threads and
releases the leases.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import Any

from controller.aws.errors import classify, describe
from controller.desired.model import REGISTRY, DesiredState
from controller.kinds.memory import LiveMemory
from controller.service.lease import Lease, LeaseError
from controller.service.logging import get_logger
from controller.service.poller import EventPoller
from controller.service.sent import TableLedger
from controller.service.settings import Settings
from controller.service.shards import ShardKeeper, ShardLeases, shard_names
from controller.service.workqueue import FULL, WorkQueue

log = get_logger("smgitops.controller")


class Coordination:
    """The leases and shards of one replica, and the threads that keep them and read the event queue."""

    def __init__(
        self,
        settings: Settings,
        *,
        holder: str,
        infra_clients: Any,
        queue: WorkQueue,
        memory: LiveMemory,
        status: Any,
        metrics: Any = None,
        notifier: Any = None,
        current: Callable[[], DesiredState | None],
        on_event: Callable[[Mapping[str, Any]], None],
    ) -> None:
        """`current` returns the revision in force (None before the first); `on_event` gets every event the
        poller reads; `queue`, `memory`, `status` and `metrics` are the loop's, told of every change of lease."""
        self.settings = settings
        self.holder = holder
        self.infra_clients = infra_clients
        self.queue = queue
        self.memory = memory
        self.status = status
        self.metrics = metrics
        self.notifier = notifier
        self.current = current
        self.on_event = on_event
        self.leases: ShardLeases | None = None
        self.started = False
        self._keeper: ShardKeeper | None = None
        self._poller: EventPoller | None = None
        self._held: frozenset[str] = frozenset()
        self._writing: Collection[str] | None = None
        """The shards the reconcile in flight may write (None: everything this replica leads)."""

    def start(self, state: DesiredState) -> None:
        """The leases and the event poller, once the registry (their default account) is known. A temporary
        error leaves it for the next tick; a permanent one (LeaseError) ends `run()` with exit code 1."""
        settings = self.settings
        if settings.lease_table:
            target = settings.lease_target(state.registry)
            dynamodb = self.infra_clients.client("dynamodb", target)
            try:
                Lease(dynamodb, table=settings.lease_table, name=settings.lease_name, holder=self.holder,
                      duration=settings.lease_duration).ensure_table(create=settings.create_lease_table)
            except Exception as error:
                if isinstance(error, LeaseError) or classify(error) == "permanent":
                    raise LeaseError(str(error) if isinstance(error, LeaseError) else describe(error)) from None
                log.warning("lease table not reachable yet", table=settings.lease_table, error=describe(error))
                return
            self.leases = ShardLeases(
                dynamodb, table=settings.lease_table, lease_name=settings.lease_name, holder=self.holder,
                duration=settings.lease_duration, by=settings.shard_by,
            )
            if self.notifier is not None:  # what was sent survives a restart and a change of leader
                self.notifier.ledger = TableLedger(dynamodb, table=settings.lease_table)
            log.info("lease", table=settings.lease_table, account=target.account, holder=self.holder,
                     shard_by=settings.shard_by)
            self._keeper = ShardKeeper(
                self.leases, shards=self._shard_names, revision=self._revision, on_change=self._on_lease_change,
                on_keys=self._on_forwarded,
            )
            self._keeper.tick()
            self._keeper.start()
        else:
            log.warning("no lease table: this replica writes unconditionally; run only one")
            self._on_lease_change(frozenset(shard_names(state, self.settings.shard_by)))
        if settings.queue_url:
            target = settings.queue_target(state.registry)
            self._poller = EventPoller(
                self.infra_clients.client("sqs", target),
                queue_url=settings.queue_url,
                on_event=self.on_event,
                active=self.leading,
                wait_seconds=settings.queue_wait,
            )
            self._poller.start()
        self.started = True

    def leading(self) -> bool:
        """True once started while this replica holds a lease (always, without a lease table)."""
        return self.started and (self.leases is None or bool(self.leases.owned()))

    def shards_for(self, keys: list) -> frozenset[str] | None:
        """The shards a reconcile of `keys` covers: None (everything) unless replicas split the work; then
        the held shards for a full reconcile, else the held ones among the keys' environments and the registry."""
        if self.leases is None or self.settings.shard_by == "none":
            return None
        held = self.leases.owned() & set(self._shard_names())  # not an environment a new revision removed
        if FULL in keys:
            return held
        return held & ({environment for environment, _ in keys} | {REGISTRY})

    @contextmanager
    def writing_to(self, shards: frozenset[str] | None) -> Iterator[None]:
        """Fence the reconcile to `shards`: none of them is released while it runs, and it stops between write
        batches once any of them can no longer be trusted."""
        self._writing = shards
        held = self.leases.writing(shards) if self.leases is not None and shards is not None else nullcontext()
        try:
            with held:
                yield
        finally:
            self._writing = None

    def fenced(self) -> bool:
        """True once the reconcile in flight must stop: this replica leads nothing, or a lease of the shards it
        writes to can no longer be trusted."""
        if not self.leading():
            return True
        return self._writing is not None and self.leases is not None and not self.leases.writable(self._writing)

    def forward(self, keys: Collection[tuple[str, str]]) -> None:
        """Hand an event's keys in shards this replica does not hold to their holders."""
        if self.leases is not None:
            try:
                self.leases.forward(keys)
            except Exception as error:  # the holders' resyncs will still find what the event named
                log.warning("forwarding event keys failed", error=describe(error))

    def stop(self) -> None:
        """Stop the poller and the keeper, and release the leases held."""
        if self._poller is not None:
            self._poller.stop()
        if self._keeper is not None:
            self._keeper.stop()
            self._keeper.join(timeout=5)
        if self.leases is not None:
            self.leases.release_all()
            log.info("lease released", holder=self.holder)

    def _on_lease_change(self, held: frozenset[str]) -> None:
        gained, was = held - self._held, self._held
        self._held = held
        shown = sorted(shard or "all" for shard in held)
        self.status.update(lease_state="leader" if held else "standby", shards=tuple(shown))
        if self.metrics is not None:
            self.metrics.record_lease(bool(held))
            self.metrics.record_shards(shown)
        if self.settings.shard_by != "none":
            log.info("shards held", shards=shown, gained=sorted(gained), lost=sorted(was - held))
        if gained:
            self.memory.clear()  # another replica may have written meanwhile: read everything once
        if held and held != was:  # new shards to converge, or a write cut short when some were given up
            self.queue.add(FULL)
        if held and not was:
            log.info("leading: this replica writes now")
        elif not held:
            log.warning("standing by: another replica holds the lease")
        self.queue.wake()

    def _on_forwarded(self, keys: set) -> None:
        """Keys of an event another replica received, in shards this one holds."""
        log.info("event keys forwarded", keys=sorted("/".join(key) for key in keys))
        for key in keys:
            self.queue.add(key)
        self.queue.wake()

    def _shard_names(self) -> tuple[str, ...]:
        state = self.current()
        return shard_names(state, self.settings.shard_by) if state is not None else ()

    def _revision(self) -> str:
        state = self.current()
        return state.revision if state else ""
