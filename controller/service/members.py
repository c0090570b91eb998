"""Which replicas are alive: one members item in the lease table, a map of replica → expiry (epoch seconds).

`controller.service.shards.ShardLeases` heartbeats through `Membership` at every round, with `--shard-by
environment`: one UpdateItem sets this replica's expiry and returns every entry, so one call both renews and
reads the membership; the live members are those whose expiry is still ahead. Entries expired for more than a
lease duration are removed (unless renewed meanwhile), and a replica stopping on SIGTERM removes its own so
the others rebalance at once. The item is `<lease name>/members`, next to the leases.
"""

from __future__ import annotations

from typing import Any

from controller.aws.errors import describe, error_code
from controller.service.lease import CONDITION_FAILED, SYSTEM_CLOCK, Clock
from controller.service.logging import get_logger

log = get_logger("smgitops.lease")


class Membership:
    """This replica's entry in the members item; `heartbeat()` renews it and returns the live members."""

    def __init__(
        self, dynamodb: Any, *, table: str, lease_name: str, holder: str, duration: float, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self.item = f"{lease_name}/members"
        self.holder = holder
        self.duration = duration
        self.clock = clock

    def heartbeat(self) -> tuple[str, ...]:
        now = self.clock.wall()
        until = {"N": f"{now + self.duration:.3f}"}
        try:
            members = self._renew(until)
        except Exception as error:
            if error_code(error) != "ValidationException":  # the item (its map) does not exist yet
                raise
            members = self._create(until)
        expiries = {member: float(value["N"]) for member, value in members.items()}
        for member, expiry in expiries.items():
            if expiry < now - self.duration:
                self._forget(member, members[member])
        return tuple(sorted(member for member, expiry in expiries.items() if expiry > now))

    def leave(self) -> None:
        """Remove this replica's entry (on SIGTERM), so the others rebalance at once; never raises."""
        try:
            self.dynamodb.update_item(
                TableName=self.table, Key={"name": {"S": self.item}},
                UpdateExpression="REMOVE members.#member", ConditionExpression="attribute_exists(members)",
                ExpressionAttributeNames={"#member": self.holder},
            )
        except Exception as error:
            if error_code(error) != CONDITION_FAILED:
                log.warning("leaving the members failed", error=describe(error))

    def _renew(self, until: dict[str, str]) -> dict[str, Any]:
        answer = self.dynamodb.update_item(
            TableName=self.table,
            Key={"name": {"S": self.item}},
            UpdateExpression="SET members.#member = :until",
            ExpressionAttributeNames={"#member": self.holder},
            ExpressionAttributeValues={":until": until},
            ReturnValues="ALL_NEW",
        )
        return answer["Attributes"]["members"]["M"]

    def _create(self, until: dict[str, str]) -> dict[str, Any]:
        try:
            self.dynamodb.put_item(
                TableName=self.table,
                Item={"name": {"S": self.item}, "members": {"M": {self.holder: until}}},
                ConditionExpression="attribute_not_exists(members)",
            )
        except Exception as error:
            if error_code(error) != CONDITION_FAILED:
                raise
            return self._renew(until)  # another replica created it first
        return {self.holder: until}

    def _forget(self, member: str, expiry: dict[str, str]) -> None:
        """Drop a long-dead member's entry, unless it came back meanwhile."""
        try:
            self.dynamodb.update_item(
                TableName=self.table, Key={"name": {"S": self.item}},
                UpdateExpression="REMOVE members.#member", ConditionExpression="members.#member = :expiry",
                ExpressionAttributeNames={"#member": member}, ExpressionAttributeValues={":expiry": expiry},
            )
        except Exception as error:
            if error_code(error) != CONDITION_FAILED:
                log.warning("forgetting a dead member failed", member=member, error=describe(error))
