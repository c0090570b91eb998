"""The controller's work queue: keys waiting to be reconciled, each at most once, with per-key backoff.

The loop (`controller.service.loop`) takes the ready keys and reconciles them; the event poller thread and
the timers add keys. A key is (environment, model), or `FULL` for a reconcile of everything. Adding a key that
is already waiting keeps the earlier due time, so a burst of events for one deployment costs one reconcile.
`retry_later` puts a key back after an exponentially growing delay (base × 2^(failures-1), capped, with
jitter) and is meant for temporary errors only; `forget` resets a key's failure count after a success.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

Key = tuple[str, str]
FULL: Key = ("*", "*")
"""Reconcile every environment and model."""


class WorkQueue:
    """Thread-safe: `add` may be called from any thread; one thread takes keys."""

    def __init__(
        self,
        *,
        base_delay: float = 1.0,
        max_delay: float = 300.0,
        jitter: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.jitter = jitter
        self._clock = clock
        self._due: dict[Key, float] = {}
        self._failures: dict[Key, int] = {}
        self._poked = False
        self._condition = threading.Condition()

    def add(self, key: Key, *, delay: float = 0.0) -> None:
        due = self._clock() + delay
        with self._condition:
            self._due[key] = min(due, self._due.get(key, due))
            self._poked = True
            self._condition.notify_all()

    def retry_later(self, key: Key) -> float:
        """Queue `key` again after its backoff delay; return that delay in seconds."""
        with self._condition:
            failures = self._failures.get(key, 0) + 1
            self._failures[key] = failures
        delay = min(self.base_delay * 2 ** (failures - 1), self.max_delay)
        delay *= 1 + random.uniform(-self.jitter, self.jitter)
        self.add(key, delay=delay)
        return delay

    def forget(self, key: Key) -> None:
        with self._condition:
            self._failures.pop(key, None)

    def failures(self, key: Key) -> int:
        with self._condition:
            return self._failures.get(key, 0)

    def take_ready(self) -> list[Key]:
        """The keys due now, removed from the queue: `[FULL]` alone when a full reconcile is due, since it
        covers every targeted key that was due too."""
        now = self._clock()
        with self._condition:
            ready = sorted(key for key, due in self._due.items() if due <= now)
            for key in ready:
                del self._due[key]
        return [FULL] if FULL in ready else ready

    def seconds_until_next(self) -> float | None:
        """How long until the next key is due (0 when one is due now); None when the queue is empty."""
        with self._condition:
            if not self._due:
                return None
            return max(0.0, min(self._due.values()) - self._clock())

    def wait(self, timeout: float, *, until_due: bool = True) -> None:
        """Sleep up to `timeout` seconds, until a key is added or `wake` is called (also when that happened
        since the last wait), and with `until_due` until the next key is due."""
        with self._condition:
            if until_due and self._due:
                timeout = min(timeout, min(self._due.values()) - self._clock())
            if not self._poked and timeout > 0:
                self._condition.wait(timeout=timeout)
            self._poked = False

    def wake(self) -> None:
        with self._condition:
            self._poked = True
            self._condition.notify_all()

    def pending(self) -> list[Key]:
        with self._condition:
            return sorted(self._due)
