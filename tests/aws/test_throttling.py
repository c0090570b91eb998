"""Throttling: botocore retries throttled calls and slows down, we count them; an optional hard cap spaces calls.

The emulator never throttles, so the fault proxy in front of it answers SageMaker calls with the
`ThrottlingException` AWS sends, either the next N of them or, like AWS, whenever they come faster than a
token bucket allows; it forwards everything else.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from fault_proxy import Call, Decision, FaultProxy

from controller.aws.clients import Clients
from controller.aws.emulator import fake_base_session
from controller.aws.errors import classify, error_code
from controller.aws.ratelimit import TokenBucket
from controller.desired.model import Account
from controller.engine.reconcile import make_plan, reconcile

STAGING = Account("222222222222", "us-east-1", "arn:aws:iam::222222222222:role/smgitops-deploy")
PROD = Account("333333333333", "us-east-1", "arn:aws:iam::333333333333:role/smgitops-deploy")

pytestmark = pytest.mark.aws


class Throttler:
    """What the fault proxy decides: throttle the next `throttle_next` SageMaker calls, and any SageMaker call
    finding `quota` empty (AWS's per-account API rate); forward the rest."""

    def __init__(self) -> None:
        self.throttle_next = 0
        self.quota: TokenBucket | None = None
        self.sagemaker_calls = 0

    def __call__(self, call: Call) -> Decision:
        if call.service != "SageMaker":  # the proxy calls this under its lock
            return None
        self.sagemaker_calls += 1
        if self.throttle_next:
            self.throttle_next -= 1
            return "throttle"
        return "throttle" if self.quota is not None and not self.quota.try_acquire() else None


@pytest.fixture
def proxy(aws, emulator) -> Iterator[FaultProxy]:
    with FaultProxy(emulator.url, Throttler()) as server:
        yield server


def test_a_throttled_call_is_retried_and_counted(proxy):
    clients = Clients(endpoint_url=proxy.url, base_session=fake_base_session(), max_attempts=3)
    sagemaker = clients.client("sagemaker", STAGING)
    proxy.decide.throttle_next = 1

    pipelines = sagemaker.list_pipelines()["PipelineSummaries"]

    assert pipelines == []
    assert clients.calls.by_operation()["sagemaker:ListPipelines"] == 1
    assert (clients.calls.throttles, clients.calls.retries) == (1, 1)


def test_throttling_past_the_last_attempt_is_a_temporary_error(proxy):
    clients = Clients(endpoint_url=proxy.url, base_session=fake_base_session(), max_attempts=2)
    sagemaker = clients.client("sagemaker", STAGING)
    proxy.decide.throttle_next = 5

    with pytest.raises(Exception) as caught:
        sagemaker.list_pipelines()

    assert error_code(caught.value) == "ThrottlingException"
    assert classify(caught.value) == "temporary"
    assert (clients.calls.throttles, clients.calls.retries) == (2, 1)


def test_a_plan_under_throttling_completes_slowing_down_per_account_and_service(proxy, fleet, emulator):
    with emulator.clients() as direct:
        reconcile(fleet, clients=direct)  # everything exists: the plan reads every object
    clients = Clients(endpoint_url=proxy.url, base_session=fake_base_session())
    proxy.decide.quota = TokenBucket(rate=5, capacity=2)  # far below what the plan would send unhindered

    plan = make_plan(fleet, clients=clients)

    assert plan.errors == () and plan.changes == ()
    calls = clients.calls
    sagemaker_calls = sum(count for key, count in calls.by_operation().items() if key.startswith("sagemaker:"))
    assert calls.throttles > 0  # AWS said slow down...
    assert calls.throttles == proxy.decide.sagemaker_calls - sagemaker_calls  # ...only SageMaker, and each was retried
    assert calls.retries == calls.throttles
    assert calls.throttles <= sagemaker_calls  # ...and the client did: bounded, not a retry storm
    clients.close()


def test_the_hard_cap_is_per_account(emulator):
    with emulator.clients(calls_per_second_per_account=10) as clients:
        busy, quiet = clients.client("sagemaker", STAGING), clients.client("sagemaker", PROD)
        started = time.monotonic()
        for _ in range(14):
            busy.list_pipelines()
        busy_seconds = time.monotonic() - started
        for _ in range(5):
            quiet.list_pipelines()

        # A burst of 10, then 10 per second: 14 calls cannot take less than 0.4 s, however fast the server.
        assert busy_seconds >= 0.4 * 0.95
        assert clients.limiter.requests_sent(STAGING.account) == 14
        assert clients.limiter.requests_sent(PROD.account) == 5
        assert clients.limiter.seconds_waited(PROD.account) == 0.0


def test_token_bucket_allows_a_burst_then_the_rate():
    bucket = TokenBucket(rate=50, capacity=3)
    started = time.monotonic()
    waits = [bucket.acquire() for _ in range(8)]
    elapsed = time.monotonic() - started

    assert waits[:3] == [0.0, 0.0, 0.0]
    assert elapsed >= 5 / 50 * 0.95


def test_token_bucket_is_thread_safe():
    bucket = TokenBucket(rate=200, capacity=5)
    started = time.monotonic()
    threads = [threading.Thread(target=bucket.acquire) for _ in range(25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert time.monotonic() - started >= 20 / 200 * 0.95
