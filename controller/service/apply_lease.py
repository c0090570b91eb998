"""The lease a one-off `smgitops apply` (from CI, from a laptop) takes so that it never writes while the
controller does.

`smgitops apply --lease-table T` calls `one_writer(...)` around its reconcile. It is the very lease item the
controller's replicas share (same table, same name, by default in the registry account), taken by the same
conditional put: while a controller (or another apply) holds it, the apply waits up to `--lease-wait` seconds
and then refuses with one line naming the holder; once it holds the lease, the controller stands by until
the apply releases it. A keeper thread renews it while the apply runs, and the apply stops between write
batches if it can no longer trust it holds the lease.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from controller.aws.errors import describe
from controller.desired.model import DesiredState
from controller.service.lease import Lease, LeaseError, LeaseKeeper
from controller.service.settings import Settings


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
) -> Iterator[Callable[[], bool]]:
    """Hold the lease for the block; yields `should_stop` (True once the lease can no longer be trusted).
    Raises `LeaseHeld` when another writer keeps it for `wait` seconds, `LeaseError` when the table is unusable."""
    target = Settings(lease_role=role, lease_region=region).lease_target(state.registry)
    lease = Lease(
        clients.client("dynamodb", target), table=table, name=name, holder=holder or apply_holder(),
        duration=duration,
    )
    lease.ensure_table(create=False)
    _take(lease, revision=state.revision, wait=wait)
    keeper = LeaseKeeper(lease, revision=lambda: state.revision, on_change=lambda held: None)
    keeper.start()
    try:
        yield lambda: not lease.held
    finally:
        keeper.stop()
        keeper.join(timeout=5)
        lease.release()


def _take(lease: Lease, *, revision: str, wait: float) -> None:
    deadline = time.monotonic() + wait
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
