"""The lease a one-off `smgitops apply` (from CI, from a laptop) takes so that it never writes while the
controller does.

`smgitops apply --lease-table T` calls `one_writer(...)` around its reconcile. It takes the very lease items
the controller's replicas use (same table, same name, by default in the registry account), by the same
conditional put, in a fixed order: first the controller's whole lease (`<name>`, held by an unsharded
controller), then the shard leases of what it may write (`<name>/<environment>` for each environment it
applies, and `<name>/registry`: see `controller.service.shards`), so it excludes a controller whichever way
it splits its work. While a controller (or another apply) holds one, the apply waits up to `--lease-wait`
seconds and then refuses with one line naming the holder, releasing what it took; once it holds them all, the
controller stands by (for those shards) until the apply releases them. One keeper thread renews them while
the apply runs, and the apply stops between write batches if it can no longer trust it holds every one.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from controller.aws.errors import describe
from controller.desired.model import REGISTRY, DesiredState
from controller.service.lease import Lease, LeaseError
from controller.service.settings import Settings
from controller.service.shards import WHOLE, ShardKeeper, ShardLeases


class LeaseHeld(Exception):
    """Another writer holds the lease (and kept it for the whole wait); one line naming it."""


def apply_holder() -> str:
    return f"apply@{socket.gethostname()}-{os.getpid()}"


@contextmanager
def one_writer(
    clients: Any,
    state: DesiredState,
    *,
    table: str,
    name: str = "smgitops",
    role: str | None = None,
    region: str | None = None,
    wait: float = 0.0,
    duration: float = 30.0,
    holder: str | None = None,
    environments: Sequence[str] | None = None,
) -> Iterator[Callable[[], bool]]:
    """Hold the leases for the block; yields `should_stop` (True once one of them can no longer be trusted).
    `environments`: those the apply writes (None: all). Raises `LeaseHeld` when another writer keeps one for
    `wait` seconds, `LeaseError` when the table is unusable."""
    target = Settings(lease_role=role, lease_region=region).lease_target(state.registry)
    dynamodb = clients.client("dynamodb", target)
    holder = holder or apply_holder()
    shards = [WHOLE, *sorted(environments or state.environments), REGISTRY]
    leases = ShardLeases(dynamodb, table=table, lease_name=name, holder=holder, duration=duration)
    leases.lease(WHOLE).ensure_table(create=False)
    deadline = time.monotonic() + wait
    keeper = ShardKeeper(
        leases, shards=lambda: shards, revision=lambda: state.revision, on_change=lambda held: None
    )
    try:
        for shard in shards:
            _take(leases.lease(shard), revision=state.revision, deadline=deadline)
        keeper.start()
        yield lambda: not leases.writable(shards)
    finally:
        keeper.stop()
        if keeper.is_alive():
            keeper.join(timeout=5)
        leases.release_all()


def _take(lease: Lease, *, revision: str, deadline: float) -> None:
    while not _refresh(lease, revision):
        left = deadline - time.monotonic()
        if left <= 0:
            raise LeaseHeld(_held_by(lease))
        time.sleep(min(left, max(0.2, lease.duration / 8)))


def _refresh(lease: Lease, revision: str) -> bool:
    try:
        return lease.refresh(revision)
    except Exception as error:  # access denied, throttled past retries...: one line, not a traceback
        raise LeaseError(f"lease table {lease.table}: {describe(error)}") from None


def _held_by(lease: Lease) -> str:
    record = lease.current()
    if record is None:  # released just now: the next try will take it
        return f"the lease {lease.name} in table {lease.table} is changing hands; try again"
    until = datetime.fromtimestamp(record.expires_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    revision = f" at revision {record.revision}" if record.revision else ""
    return (
        f"the lease {lease.name} in table {lease.table} is held by {record.holder}{revision} "
        f"(until {until} unless renewed)"
    )


__all__ = ["LeaseError", "LeaseHeld", "apply_holder", "one_writer"]
