"""One writer among replicas: a lease held as one item in a DynamoDB table, taken and renewed by conditional put.

The loop makes a `Lease` once the lease's account is known (by default the registry account) and starts a
`LeaseKeeper` thread that renews it every quarter of its duration, or tries every eighth to take it over
while another replica holds it. The item records the holder's identity, the revision it applies and when the
lease expires (epoch seconds): a put succeeds only when there is no item, it has expired, or this replica
already holds it.
A holder considers itself the leader only until three quarters of the duration after its last successful
renewal started, so it stops writing before another replica can take over, even when renewals fail.
`release()` (on SIGTERM) expires the lease at once so the standby does not wait out the duration.
When replicas split the work (`controller.service.shards`), each shard is one such lease, named
`<lease name>/<shard>`; another replica forwards an event's keys to the holder by adding them to the item's
`pending` set (`nudge`), and the holder's next take or renewal, a put that replaces the item, hands them over
(`take_pending`). Both clocks (wall time in the item, monotonic time for trust) come from a `Clock`, so
tests can drive them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from controller.aws.errors import describe, error_code, is_not_found
from controller.kinds.grants import Grant
from controller.service.logging import get_logger

CONDITION_FAILED = "ConditionalCheckFailedException"
TRUSTED_FRACTION = 0.75
TABLE = "arn:{partition}:dynamodb:{lease_region}:{lease_account}:table/{lease_table}"
PERMISSIONS = (
    Grant("registry", "Table",
          ("dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
           "dynamodb:DeleteItem"), (TABLE,)),
    Grant("registry", "CreateTable", ("dynamodb:CreateTable", "dynamodb:TagResource"),
          ("arn:{partition}:dynamodb:{lease_region}:{lease_account}:table/{created_lease_table}",)),
)
"""Held by the registry role (the lease's default home); CreateTable only with --create-lease-table."""
"""Of the duration, after a renewal starts, during which the holder still trusts it holds the lease."""

log = get_logger("smgitops.lease")


class LeaseError(Exception):
    """The lease table cannot be used (missing without --create-lease-table, access denied); one line."""


class Clock:
    """The two clocks a lease reads: wall time (shared with other replicas) and monotonic time (trust)."""

    def wall(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


SYSTEM_CLOCK = Clock()


@dataclass(frozen=True)
class LeaseRecord:
    holder: str
    revision: str
    expires_at: float


class Lease:
    """The lease item `name` in `table`, as seen by the replica `holder`."""

    def __init__(
        self, dynamodb: Any, *, table: str, name: str, holder: str, duration: float, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self.name = name
        self.holder = holder
        self.duration = duration
        self.clock = clock
        self._trusted_until = 0.0
        self.renewed_at = float("-inf")
        """Monotonic time the last successful take or renewal started."""
        self._pending: set[str] = set()

    @property
    def held(self) -> bool:
        return self.clock.monotonic() < self._trusted_until

    def ensure_table(self, *, create: bool) -> None:
        """Check the table exists; create it (on demand billing) only when `create` is true."""
        try:
            self.dynamodb.describe_table(TableName=self.table)
            return
        except Exception as error:
            if not is_not_found(error):
                raise LeaseError(f"lease table {self.table}: {describe(error)}") from None
        if not create:
            raise LeaseError(
                f"lease table {self.table} does not exist; create it (key `name`, a string) "
                "or pass --create-lease-table"
            )
        try:
            self.dynamodb.create_table(
                TableName=self.table,
                KeySchema=[{"AttributeName": "name", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
                Tags=[{"Key": "smgitops:managed", "Value": "true"}],
            )
        except Exception as error:
            if error_code(error) != "ResourceInUseException":  # another replica created it first
                raise LeaseError(f"creating lease table {self.table}: {describe(error)}") from None
        self.dynamodb.get_waiter("table_exists").wait(
            TableName=self.table, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
        )
        log.info("lease table created", table=self.table)

    def refresh(self, revision: str) -> bool:
        """Take or renew the lease; False when another replica holds it. Other errors are raised."""
        started = self.clock.monotonic()
        now = self.clock.wall()
        try:
            answer = self.dynamodb.put_item(
                TableName=self.table,
                Item={
                    "name": {"S": self.name},
                    "holder": {"S": self.holder},
                    "revision": {"S": revision},
                    "expires_at": {"N": f"{now + self.duration:.3f}"},
                    "renewed_at": {"N": f"{now:.3f}"},
                },
                ConditionExpression="attribute_not_exists(#name) OR expires_at < :now OR holder = :holder",
                ExpressionAttributeNames={"#name": "name"},
                ExpressionAttributeValues={":now": {"N": f"{now:.3f}"}, ":holder": {"S": self.holder}},
                ReturnValues="ALL_OLD",
            )
        except Exception as error:
            if error_code(error) == CONDITION_FAILED:
                self._trusted_until = 0.0
                return False
            raise
        self._trusted_until = started + self.duration * TRUSTED_FRACTION
        self.renewed_at = started
        self._pending.update(answer.get("Attributes", {}).get("pending", {}).get("SS", ()))
        return True

    def nudge(self, keys: Iterable[str]) -> None:
        """Add `keys` to the item's pending set, for its holder's next renewal; nothing when nobody ever held
        it (its first holder reconciles everything anyway)."""
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"name": {"S": self.name}},
                UpdateExpression="ADD pending :keys",
                ConditionExpression="attribute_exists(#name)",
                ExpressionAttributeNames={"#name": "name"},
                ExpressionAttributeValues={":keys": {"SS": sorted(set(keys))}},
            )
        except Exception as error:
            if error_code(error) != CONDITION_FAILED:
                raise

    def take_pending(self) -> set[str]:
        """The keys handed over by the takes and renewals since the last call."""
        taken, self._pending = self._pending, set()
        return taken

    def release(self) -> None:
        """Expire the lease now if this replica holds it; never raises (shutdown must go on)."""
        self._trusted_until = 0.0
        self.renewed_at = float("-inf")
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"name": {"S": self.name}},
                UpdateExpression="SET expires_at = :zero",
                ConditionExpression="holder = :holder",
                ExpressionAttributeValues={":zero": {"N": "0"}, ":holder": {"S": self.holder}},
            )
        except Exception as error:
            if error_code(error) != CONDITION_FAILED:
                log.warning("lease release failed", error=describe(error))

    def current(self) -> LeaseRecord | None:
        item = self.dynamodb.get_item(
            TableName=self.table, Key={"name": {"S": self.name}}, ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        return LeaseRecord(item["holder"]["S"], item.get("revision", {}).get("S", ""), float(item["expires_at"]["N"]))


class LeaseKeeper(threading.Thread):
    """Renews the lease every quarter duration, or tries to take it every eighth, until `stop()`; reports
    the first answer and every change to `on_change(held)`."""

    def __init__(
        self,
        lease: Lease,
        *,
        revision: Callable[[], str],
        on_change: Callable[[bool], None],
    ) -> None:
        super().__init__(name="lease", daemon=True)
        self.lease = lease
        self.revision = revision
        self.on_change = on_change
        self.renew_every = lease.duration / 4
        self.try_every = lease.duration / 8
        self._stopped = threading.Event()
        self._was_held: bool | None = None

    def run(self) -> None:
        while not self._stopped.is_set():
            self.tick()
            self._stopped.wait(self.renew_every if self.lease.held else self.try_every)

    def tick(self) -> None:
        try:
            self.lease.refresh(self.revision())
        except Exception as error:
            log.warning("lease renewal failed", error=describe(error), table=self.lease.table)
        held = self.lease.held
        if held != self._was_held:
            self._was_held = held
            self.on_change(held)

    def stop(self) -> None:
        self._stopped.set()
