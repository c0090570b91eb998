"""The work queue: each key at most once, a full reconcile covers targeted keys, backoff doubles per key and is
capped, and a waiting loop wakes up as soon as a key is added."""

from __future__ import annotations

import threading
import time

from controller.service.workqueue import FULL, WorkQueue


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_of_events_for_one_key_is_one_reconcile():
    queue = WorkQueue(clock=Clock())
    for _ in range(50):
        queue.add(("prod", "churn"))
    queue.add(("dev", "churn"))
    assert queue.take_ready() == [("dev", "churn"), ("prod", "churn")]
    assert queue.take_ready() == []


def test_a_due_full_reconcile_covers_the_targeted_keys_due_with_it():
    clock = Clock()
    queue = WorkQueue(clock=clock)
    queue.add(("prod", "churn"))
    queue.add(FULL)
    queue.add(("dev", "churn"), delay=30)
    assert queue.take_ready() == [FULL]
    assert queue.pending() == [("dev", "churn")]
    clock.now += 30
    assert queue.take_ready() == [("dev", "churn")]


def test_adding_a_waiting_key_again_keeps_the_earlier_due_time():
    clock = Clock()
    queue = WorkQueue(clock=clock)
    queue.add(("prod", "churn"), delay=10)
    queue.add(("prod", "churn"), delay=60)
    assert queue.seconds_until_next() == 10
    queue.add(("prod", "churn"))
    assert queue.seconds_until_next() == 0


def test_backoff_doubles_per_key_up_to_the_cap_and_forget_resets_it():
    queue = WorkQueue(base_delay=1.0, max_delay=8.0, jitter=0.0, clock=Clock())
    delays = [queue.retry_later(("prod", "churn")) for _ in range(6)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert queue.retry_later(("dev", "churn")) == 1.0, "backoff is per key"
    queue.forget(("prod", "churn"))
    assert queue.failures(("prod", "churn")) == 0
    assert queue.retry_later(("prod", "churn")) == 1.0


def test_jitter_stays_within_its_fraction():
    queue = WorkQueue(base_delay=10.0, jitter=0.1, clock=Clock())
    delays = {round(queue.retry_later((str(n), "m")), 6) for n in range(50)}
    assert all(9.0 <= delay <= 11.0 for delay in delays)
    assert len(delays) > 1


def test_wait_returns_when_a_key_is_added_from_another_thread():
    queue = WorkQueue()
    threading.Timer(0.1, queue.add, args=(("prod", "churn"),)).start()
    started = time.monotonic()
    queue.wait(10)
    assert time.monotonic() - started < 5
    assert queue.take_ready() == [("prod", "churn")]


def test_wait_does_not_sleep_past_a_due_key_unless_told_to():
    queue = WorkQueue()
    queue.add(("prod", "churn"), delay=0.2)
    queue.take_ready()
    queue.wait(0)  # clears the wake-up the add left
    started = time.monotonic()
    queue.wait(10)
    assert time.monotonic() - started < 5
    started = time.monotonic()
    queue.wait(0.3, until_due=False)
    assert time.monotonic() - started >= 0.25
