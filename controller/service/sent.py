"""What notifications were already sent, kept where every replica and every restart sees it.

`Notifier` asks its ledger to `claim` a notification key before it publishes, and `release`s the claim when
SNS refuses the message (so the next reconcile tries again). `MemoryLedger` is the process's own memory (no
lease table: a single replica, and a restart may send each open event once more). `TableLedger` keeps one item
per key in the lease table, next to the lease, claimed with a conditional put: a notice is sent once per
(object, event, revision, topic) whichever replica sends it and however often the controller restarts. Each
item carries `expires` (epoch seconds, 90 days on), for the table's TTL if it is turned on. A process killed
between its claim and SNS's answer loses that one message rather than send it twice.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from typing import Any, Protocol

from controller.aws.errors import error_code

NotificationKey = tuple[tuple[str, str, str], str]
"""((resource address, event, revision), topic ARN)."""
KEEP_SECONDS = 90 * 24 * 3600
CONDITION_FAILED = "ConditionalCheckFailedException"


class Ledger(Protocol):
    def claim(self, key: NotificationKey) -> bool:
        """True when this caller is the first to send `key` (it then publishes); False when it was sent."""

    def release(self, key: NotificationKey) -> None:
        """Forget a claim whose message was not sent after all."""


class MemoryLedger:
    """The last `remember` keys this process sent."""

    def __init__(self, remember: int = 10_000) -> None:
        self._sent: OrderedDict[NotificationKey, None] = OrderedDict()
        self._remember = remember
        self._lock = threading.Lock()

    def claim(self, key: NotificationKey) -> bool:
        with self._lock:
            if key in self._sent:
                return False
            self._sent[key] = None
            while len(self._sent) > self._remember:
                self._sent.popitem(last=False)
            return True

    def release(self, key: NotificationKey) -> None:
        with self._lock:
            self._sent.pop(key, None)


class TableLedger:
    """One item per key in the lease table (`name` = `notified/<digest>`), with a memory of its own in front."""

    def __init__(self, dynamodb: Any, *, table: str) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self._known = MemoryLedger()

    def claim(self, key: NotificationKey) -> bool:
        if not self._known.claim(key):
            return False
        (address, event, revision), topic = key
        now = time.time()
        try:
            self.dynamodb.put_item(
                TableName=self.table,
                Item={
                    "name": {"S": item_name(key)},
                    "address": {"S": address},
                    "event": {"S": event},
                    "revision": {"S": revision},
                    "topic": {"S": topic},
                    "sent_at": {"N": f"{now:.3f}"},
                    "expires": {"N": str(int(now + KEEP_SECONDS))},
                },
                ConditionExpression="attribute_not_exists(#name)",
                ExpressionAttributeNames={"#name": "name"},
            )
        except Exception as error:
            if error_code(error) == CONDITION_FAILED:
                return False  # another replica, or this controller before a restart, sent it
            self._known.release(key)
            raise
        return True

    def release(self, key: NotificationKey) -> None:
        self._known.release(key)
        self.dynamodb.delete_item(TableName=self.table, Key={"name": {"S": item_name(key)}})


def item_name(key: NotificationKey) -> str:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]
    return f"notified/{digest}"
