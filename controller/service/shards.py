"""Replicas split the work: each shard (an environment, or the registry's approvals) under its own lease.

The loop's coordination (`controller.service.coordination`) starts one `ShardKeeper` when it has a lease table.
With `--shard-by none` (the default) there is one shard, `WHOLE`, whose lease is the item `<lease name>` itself:
every replica wants it, one holds it, the others stand by. With `--shard-by environment` the shards are the
environments and `registry`; every tick each replica heartbeats its entry in the members item
(`controller.service.members`), computes its share of the shards by rendezvous hashing over the live members
(every replica computes the same split from the same members, and a member that joins or dies moves only its own
shards), takes or renews the lease `<lease name>/<shard>` of every shard in its share (a conditional put: free,
expired or already its own), and releases the shards no longer in its share so their new owner takes them at its
next tick. A shard the loop is writing to is never released mid-write: it is marked leaving (the write stops
between batches) and released at the next tick after the write ends. SQS hands an event to one replica: the keys
it names in shards that replica does not hold are forwarded (`forward`) to their holders through the shard
leases' pending sets, and come out of the holders' next renewal (`take_forwarded`).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from controller.aws.errors import describe
from controller.desired.model import REGISTRY, DesiredState
from controller.service.lease import SYSTEM_CLOCK, Clock, Lease
from controller.service.logging import get_logger
from controller.service.members import Membership

WHOLE = ""
"""The one shard of an unsharded controller: everything, under the lease item named after the lease."""

log = get_logger("smgitops.lease")


def shard_names(state: DesiredState, by: str) -> tuple[str, ...]:
    """The shards of a desired state: `WHOLE` alone, or every environment and the registry."""
    if by == "none":
        return (WHOLE,)
    return (*sorted(state.environments), REGISTRY)


def lease_item(lease_name: str, shard: str) -> str:
    return lease_name if shard == WHOLE else f"{lease_name}/{shard}"


def share(shards: Iterable[str], *, members: Collection[str], member: str) -> frozenset[str]:
    """The shards `member` should hold: those whose highest rendezvous score among `members` is its own."""
    if member not in members:
        return frozenset()
    return frozenset(shard for shard in shards if owner(shard, members) == member)


def owner(shard: str, members: Collection[str]) -> str:
    return max(sorted(members), key=lambda member: _score(member, shard))


def _score(member: str, shard: str) -> bytes:
    return hashlib.sha256(f"{member}\0{shard}".encode()).digest()


class ShardLeases:
    """The leases of one replica, one per shard; `tick()` is one round of heartbeat, share, take and release."""

    def __init__(
        self,
        dynamodb: Any,
        *,
        table: str,
        lease_name: str,
        holder: str,
        duration: float,
        by: str = "none",
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self.lease_name = lease_name
        self.holder = holder
        self.duration = duration
        self.by = by
        self.clock = clock
        self.membership = Membership(
            dynamodb, table=table, lease_name=lease_name, holder=holder, duration=duration, clock=clock
        )
        self.leases: dict[str, Lease] = {}
        self.members: tuple[str, ...] = ()
        self._busy: set[str] = set()
        self._leaving: set[str] = set()
        self._lock = threading.Lock()

    def tick(self, shards: Collection[str], *, revision: str) -> frozenset[str]:
        """Heartbeat, take or renew the shards of this replica's share, release the others; returns the shards
        this replica may write to now. An error of the members item skips the round (leases lapse unrenewed)."""
        if self.by == "none":
            wanted = frozenset(shards)
        else:
            self.members = self.membership.heartbeat()
            wanted = share(shards, members=self.members, member=self.holder)
        for shard in shards:
            self.lease(shard)
        for shard, lease in self.leases.items():
            if shard in wanted:
                with self._lock:
                    self._leaving.discard(shard)
                self._keep(lease, revision)
            elif lease.held:
                self._give_up(shard, lease, revision)
        return self.owned()

    def owned(self) -> frozenset[str]:
        """The shards whose lease this replica holds and trusts, except those it is giving up."""
        with self._lock:
            leaving = set(self._leaving)
        return frozenset(shard for shard, lease in self.leases.items() if lease.held and shard not in leaving)

    def writable(self, shards: Collection[str]) -> bool:
        """True while every shard of `shards` may be written to (the fence checked before each write batch)."""
        return set(shards) <= self.owned()

    @contextmanager
    def writing(self, shards: Collection[str]) -> Iterator[None]:
        """Mark `shards` as being written to: none of them is released until the block ends."""
        with self._lock:
            self._busy.update(shards)
        try:
            yield
        finally:
            with self._lock:
                self._busy.difference_update(shards)

    def forward(self, keys: Collection[tuple[str, str]]) -> None:
        """Hand the (environment, model) keys of shards this replica does not hold to their holders; the
        registry's holder gets them all (an event about a model may concern its approvals)."""
        if self.by == "none":
            return
        owned = self.owned()
        by_shard: dict[str, set[str]] = {}
        for environment, model in keys:
            for shard in (environment, REGISTRY):
                if shard not in owned:
                    by_shard.setdefault(shard, set()).add(f"{environment}/{model}")
        for shard, forwarded in sorted(by_shard.items()):
            self.lease(shard).nudge(forwarded)

    def take_forwarded(self) -> set[tuple[str, str]]:
        """The keys other replicas forwarded to the shards this replica holds, since the last call."""
        taken: set[tuple[str, str]] = set()
        for lease in self.leases.values():
            for key in lease.take_pending():
                environment, _, model = key.partition("/")
                taken.add((environment, model))
        return taken

    def release_all(self) -> None:
        for lease in self.leases.values():
            if lease.held:
                lease.release()
        if self.by != "none":
            self.membership.leave()

    def lease(self, shard: str) -> Lease:
        """The lease of `shard` (made on first use)."""
        if shard not in self.leases:
            name = lease_item(self.lease_name, shard)
            self.leases[shard] = Lease(
                self.dynamodb, table=self.table, name=name, holder=self.holder, duration=self.duration,
                clock=self.clock,
            )
        return self.leases[shard]

    def _keep(self, lease: Lease, revision: str) -> None:
        """Take the lease, or renew it once a quarter of its duration has passed since the last renewal."""
        if lease.held and self.clock.monotonic() - lease.renewed_at < self.duration / 4:
            return
        try:
            lease.refresh(revision)
        except Exception as error:
            log.warning("lease renewal failed", lease=lease.name, error=describe(error), table=self.table)

    def _give_up(self, shard: str, lease: Lease, revision: str) -> None:
        """Release a shard no longer ours; one being written to is kept (renewed) until the write ends."""
        with self._lock:  # marked leaving first: a write that starts now finds the shard not writable
            busy = shard in self._busy
            self._leaving.add(shard)
        if busy:
            self._keep(lease, revision)
            return
        lease.release()
        log.info("shard released", shard=shard or "all")
        with self._lock:
            self._leaving.discard(shard)


class ShardKeeper(threading.Thread):
    """Runs `ShardLeases.tick` every eighth of the lease duration until `stop()`; reports the first answer
    and every change of the shards held to `on_change(shards)`, and the keys forwarded to it to `on_keys`."""

    def __init__(
        self,
        leases: ShardLeases,
        *,
        shards: Callable[[], Collection[str]],
        revision: Callable[[], str],
        on_change: Callable[[frozenset[str]], None],
        on_keys: Callable[[set[tuple[str, str]]], None] = lambda keys: None,
    ) -> None:
        super().__init__(name="lease", daemon=True)
        self.leases = leases
        self.shards = shards
        self.revision = revision
        self.on_change = on_change
        self.on_keys = on_keys
        self.every = leases.duration / 8
        self._stopped = threading.Event()
        self._was: frozenset[str] | None = None

    def run(self) -> None:
        while not self._stopped.wait(self.every):
            self.tick()

    def tick(self) -> None:
        try:
            self.leases.tick(self.shards(), revision=self.revision())
        except Exception as error:
            log.warning("lease round failed", error=describe(error), table=self.leases.table)
        owned = self.leases.owned()
        if owned != self._was:
            self._was = owned
            self.on_change(owned)
        forwarded = self.leases.take_forwarded()
        if forwarded:
            self.on_keys(forwarded)

    def stop(self) -> None:
        self._stopped.set()
