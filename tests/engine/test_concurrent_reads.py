"""Per-object reads of a scope overlap on the account's pool, never more than its size, and read what one at a
time reads: the rules' ListTargetsByRule and the topics' ListSubscriptionsByTopic calls wait in a proxy until as
many as the pool holds are in flight together (a plan reading one at a time never gets there). Pipelines and
schedules smgitops wrote are not read one by one after an apply (their written-at stamps)."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from fault_proxy import Call, FaultProxy
from helpers import converge, copies

from controller.aws.clients import Clients
from controller.aws.emulator import fake_base_session
from controller.commands.demo import seed_example
from controller.engine.reader import take_snapshot
from controller.kinds import KINDS

POOL = 3
PATIENCE_SECONDS = 20
"""How long a held read waits for the others before the test gives up (it fails then; no timing decides a pass)."""


class InFlight:
    """Counts the per-object reads in flight through the proxy, holding each until `POOL` of them are."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self.gave_up = False
        self.full = threading.Event()
        self.lock = threading.Lock()

    @staticmethod
    def counted(call: Call) -> bool:
        return call.operation in ("ListTargetsByRule", "ListSubscriptionsByTopic")

    @contextmanager
    def around(self, call: Call):
        if not self.counted(call):
            yield
            return
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
            if self.now >= POOL:
                self.full.set()
        try:
            if not self.full.wait(PATIENCE_SECONDS):
                self.gave_up = True
                self.full.set()
            yield
        finally:
            with self.lock:
                self.now -= 1


def test_reads_of_one_account_overlap_up_to_the_pool_size_and_read_the_same(emulator, aws, example_state):
    state = copies(example_state, 2)
    seed_example(aws, state)
    converge(state, aws)
    with emulator.clients(max_concurrency=1) as sequential:
        one_at_a_time = take_snapshot(state, kinds=KINDS, clients=sequential, environments=["prod"])
    in_flight = InFlight()

    with (
        FaultProxy(emulator.url, around=in_flight.around) as proxy,
        Clients(endpoint_url=proxy.url, base_session=fake_base_session("us-east-1"), max_concurrency=POOL) as pooled,
    ):
        concurrent = take_snapshot(state, kinds=KINDS, clients=pooled, environments=["prod"])

    assert not in_flight.gave_up and in_flight.most == POOL
    assert concurrent.errors == () and concurrent.live == one_at_a_time.live
    assert sum(len(lives) for lives in concurrent.live.values()) > 2 * POOL
