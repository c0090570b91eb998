"""Counts of the AWS API calls a `Clients` made, by operation, for benchmarks, metrics and call-budget tests.

`controller.aws.clients` feeds a `CallCounter` from botocore events; the engine, the service's metrics and
tests read it (`clients.calls.snapshot()` before a step, `clients.calls.since(snapshot)` after it).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

CallClass = Literal["read", "write", "auth"]
READ_PREFIXES = ("Describe", "List", "Get", "Search", "Head")
AUTH_SERVICES = ("sts",)


def classify_operation(service: str, operation: str) -> CallClass:
    """`auth` for STS, `read` for Describe/List/Get/Search/Head operations, `write` for everything else."""
    if service in AUTH_SERVICES:
        return "auth"
    if operation.startswith(READ_PREFIXES):
        return "read"
    return "write"


@dataclass(frozen=True)
class CallCounts:
    """Counts at one moment, or the difference between two moments (`CallCounter.since`)."""

    operations: dict[str, int] = field(default_factory=dict)
    """Calls keyed `"service:Operation"` (`"sagemaker:ListModelPackages"`); every page counts as a call."""
    throttles: int = 0
    """Responses that carried a throttling error code (each attempt counts)."""
    retries: int = 0
    """Extra attempts botocore made after a retryable error."""

    def by_operation(self) -> dict[str, int]:
        return dict(self.operations)

    def count(self, kind: CallClass) -> int:
        return sum(n for key, n in self.operations.items() if classify_operation(*key.split(":", 1)) == kind)

    @property
    def reads(self) -> int:
        return self.count("read")

    @property
    def writes(self) -> int:
        return self.count("write")

    @property
    def auth(self) -> int:
        return self.count("auth")

    @property
    def total(self) -> int:
        return sum(self.operations.values())


class CallCounter:
    """Thread-safe running totals; `record_*` are called from botocore event handlers."""

    def __init__(self) -> None:
        self._operations: Counter[str] = Counter()
        self._throttles = 0
        self._retries = 0
        self._lock = threading.Lock()

    def record_call(self, service: str, operation: str) -> None:
        with self._lock:
            self._operations[f"{service}:{operation}"] += 1

    def record_throttle(self) -> None:
        with self._lock:
            self._throttles += 1

    def record_retries(self, count: int) -> None:
        if count > 0:
            with self._lock:
                self._retries += count

    def snapshot(self) -> CallCounts:
        with self._lock:
            return CallCounts(dict(self._operations), self._throttles, self._retries)

    def since(self, before: CallCounts) -> CallCounts:
        """What happened after `before` was taken."""
        now = self.snapshot()
        operations = {
            key: count - before.operations.get(key, 0)
            for key, count in now.operations.items()
            if count != before.operations.get(key, 0)
        }
        return CallCounts(operations, now.throttles - before.throttles, now.retries - before.retries)

    def by_operation(self) -> dict[str, int]:
        return self.snapshot().by_operation()

    @property
    def reads(self) -> int:
        return self.snapshot().reads

    @property
    def writes(self) -> int:
        return self.snapshot().writes

    @property
    def auth(self) -> int:
        return self.snapshot().auth

    @property
    def throttles(self) -> int:
        return self.snapshot().throttles

    @property
    def retries(self) -> int:
        return self.snapshot().retries
