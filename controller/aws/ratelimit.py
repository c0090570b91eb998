"""An optional hard cap on calls per second per AWS account: a thread-safe token bucket per account.

Off by default (throttling is handled by botocore's adaptive retry mode, see `controller.aws.clients`). When a
cap is set, `controller.aws.clients` takes a token before every HTTP request a client sends (retries
included), through botocore's `before-send` event; nobody else needs to call it.
"""

from __future__ import annotations

import math
import threading
import time


class TokenBucket:
    """At most `rate` acquisitions per second on average, with bursts of up to `capacity`."""

    def __init__(self, *, rate: float, capacity: float | None = None) -> None:
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate must be a positive finite number, got {rate}")
        self.rate = rate
        self.capacity = max(1.0, capacity if capacity is not None else rate)
        self._tokens = self.capacity
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until one is available; return the seconds slept."""
        slept = 0.0
        while True:
            wait = self._try_take()
            if wait <= 0:
                return slept
            time.sleep(wait)
            slept += wait

    def try_acquire(self) -> bool:
        """Take one token if one is there now, without waiting."""
        return self._try_take() == 0.0

    def _try_take(self) -> float:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self.rate


class AccountLimiter:
    """One `TokenBucket` per account id, created on first use; `rate=None` disables limiting."""

    def __init__(self, *, rate: float | None) -> None:
        self.rate = rate
        self._buckets: dict[str, TokenBucket] = {}
        self._waited: dict[str, float] = {}
        self._requests: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, account: str) -> float:
        """Take a token from `account`'s bucket; return the seconds this call waited."""
        with self._lock:
            self._requests[account] = self._requests.get(account, 0) + 1
            if self.rate is None:
                return 0.0
            bucket = self._buckets.get(account)
            if bucket is None:
                bucket = self._buckets[account] = TokenBucket(rate=self.rate)
        waited = bucket.acquire()
        if waited:
            with self._lock:
                self._waited[account] = self._waited.get(account, 0.0) + waited
        return waited

    def requests_sent(self, account: str) -> int:
        """HTTP requests (retries included) that went to `account` through this limiter."""
        with self._lock:
            return self._requests.get(account, 0)

    def seconds_waited(self, account: str) -> float:
        """Total time calls to `account` spent waiting for a token (a metric of how hard we push)."""
        with self._lock:
            return self._waited.get(account, 0.0)
