"""Throttling: botocore retries throttled calls and slows down, we count them; an optional hard cap spaces calls.

The emulator never throttles, so a small HTTP proxy in front of it answers SageMaker calls with the
`ThrottlingException` AWS sends, either the next N of them or, like AWS, whenever they come faster than a
token bucket allows; it forwards everything else.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from controller.aws.clients import Clients
from controller.aws.emulator import fake_base_session
from controller.aws.errors import classify, error_code
from controller.aws.ratelimit import TokenBucket
from controller.desired.model import Account
from controller.engine.reconcile import make_plan, reconcile

STAGING = Account("222222222222", "us-east-1", "arn:aws:iam::222222222222:role/smgitops-deploy")
PROD = Account("333333333333", "us-east-1", "arn:aws:iam::333333333333:role/smgitops-deploy")
THROTTLED_BODY = b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'

pytestmark = pytest.mark.aws


class ThrottlingProxy(ThreadingHTTPServer):
    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.upstream = upstream
        self.throttle_next = 0
        self.quota: TokenBucket | None = None
        """When set, a SageMaker call finding the bucket empty is throttled (AWS's per-account API rate)."""
        self.sagemaker_calls = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def should_throttle(self, headers) -> bool:
        if not headers.get("X-Amz-Target", "").startswith("SageMaker."):
            return False
        with self.lock:
            self.sagemaker_calls += 1
            if self.throttle_next:
                self.throttle_next -= 1
                return True
        return self.quota is not None and not self.quota.try_acquire()


class _ProxyHandler(BaseHTTPRequestHandler):
    server: ThrottlingProxy

    def do_POST(self) -> None:
        self._forward()

    def do_GET(self) -> None:
        self._forward()

    def do_PUT(self) -> None:
        self._forward()

    def do_DELETE(self) -> None:
        self._forward()

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.server.should_throttle(self.headers):
            self._reply(400, {"Content-Type": "application/x-amz-json-1.1"}, THROTTLED_BODY)
            return
        forwarded = urllib.request.Request(
            self.server.upstream + self.path, data=body or None, method=self.command, headers=dict(self.headers)
        )
        try:
            with urllib.request.urlopen(forwarded, timeout=30) as response:
                self._reply(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            self._reply(error.code, dict(error.headers), error.read())

    def _reply(self, status: int, headers: dict, body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def proxy(aws, emulator) -> Iterator[ThrottlingProxy]:
    server = ThrottlingProxy(emulator.url)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_throttled_call_is_retried_and_counted(proxy):
    clients = Clients(endpoint_url=proxy.url, base_session=fake_base_session(), max_attempts=3)
    sagemaker = clients.client("sagemaker", STAGING)
    proxy.throttle_next = 1

    pipelines = sagemaker.list_pipelines()["PipelineSummaries"]

    assert pipelines == []
    assert clients.calls.by_operation()["sagemaker:ListPipelines"] == 1
    assert (clients.calls.throttles, clients.calls.retries) == (1, 1)


def test_throttling_past_the_last_attempt_is_a_temporary_error(proxy):
    clients = Clients(endpoint_url=proxy.url, base_session=fake_base_session(), max_attempts=2)
    sagemaker = clients.client("sagemaker", STAGING)
    proxy.throttle_next = 5

    with pytest.raises(Exception) as caught:
        sagemaker.list_pipelines()

    assert error_code(caught.value) == "ThrottlingException"
    assert classify(caught.value) == "temporary"
    assert (clients.calls.throttles, clients.calls.retries) == (2, 1)


def test_a_plan_under_throttling_completes_slowing_down_per_account_and_service(proxy, fleet, emulator):
    with emulator.clients() as direct:
        reconcile(fleet, clients=direct)  # everything exists: the plan reads every object
    clients = Clients(endpoint_url=proxy.url, base_session=fake_base_session())
    proxy.quota = TokenBucket(rate=5, capacity=2)  # far below what the plan would send unhindered

    plan = make_plan(fleet, clients=clients)

    assert plan.errors == () and plan.changes == ()
    calls = clients.calls
    sagemaker_calls = sum(count for key, count in calls.by_operation().items() if key.startswith("sagemaker:"))
    assert calls.throttles > 0  # AWS said slow down...
    assert calls.throttles == proxy.sagemaker_calls - sagemaker_calls  # ...only SageMaker, and each was retried
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
