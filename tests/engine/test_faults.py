"""Faults lose nothing: an apply cut short by server errors or by a stop converges when it is run again.

A small HTTP proxy in front of the emulator answers chosen calls with the 500 AWS sends on an internal error
and forwards everything else, so the controller meets the fault exactly as it would meet AWS's.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from helpers import converge

from controller.aws.clients import Clients
from controller.aws.emulator import fake_base_session
from controller.engine.reconcile import make_plan, reconcile

pytestmark = pytest.mark.aws
INTERNAL_ERROR = b'{"__type": "InternalFailure", "message": "We encountered an internal error."}'


class FaultProxy(ThreadingHTTPServer):
    def __init__(self, upstream: str, failing_target: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream, self.failing_target = upstream, failing_target
        self.failed = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FaultProxy

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        if self.headers.get("X-Amz-Target") == self.server.failing_target:
            with self.server.lock:
                self.server.failed += 1
            self._reply(500, {"Content-Type": "application/x-amz-json-1.1"}, INTERNAL_ERROR)
            return
        request = urllib.request.Request(
            self.server.upstream + self.path, data=body or None, method=self.command, headers=dict(self.headers)
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                self._reply(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            self._reply(error.code, dict(error.headers), error.read())

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

    def _reply(self, status: int, headers: dict, body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def failing_put_targets(emulator) -> Iterator[tuple[FaultProxy, Clients]]:
    proxy = FaultProxy(emulator.url, "AWSEvents.PutTargets")
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    clients = Clients(endpoint_url=proxy.url, base_session=fake_base_session(), max_attempts=2)
    yield proxy, clients
    clients.close()
    proxy.shutdown()
    proxy.server_close()


def test_server_errors_mid_apply_are_reported_and_a_rerun_converges(aws, fleet, failing_put_targets):
    proxy, faulty = failing_put_targets
    outcome = reconcile(fleet, clients=faulty)
    assert outcome.reason == "apply-failed"
    failed = {change.address for change, _ in outcome.result.failed}
    assert failed and all("/trigger/" in address for address in failed)
    assert all("InternalFailure" in error or "internal error" in error for _, error in outcome.result.failed)
    assert proxy.failed == 2 * len(failed), "each failed call was retried once (standard retry mode)"
    assert outcome.result.retryable == failed, "a 500 is temporary: worth trying again"
    applied = {change.address for change in outcome.result.applied}
    assert "prod/pipeline/churn-batch-inference" in applied and "registry/approval/churn/7" in applied
    half_written = make_plan(fleet, clients=aws)
    # prod is `drift: warn`: a half-written rule there must still be a change to make, not drift to report
    assert {change.address for change in half_written.actionable} == failed
    assert {(change.reason, change.hold) for change in half_written.changes} == {("desired-change", None)}
    converge(fleet, aws)


def test_an_apply_stopped_between_kinds_is_completed_by_the_next_run(aws, fleet):
    levels_done = []

    def stop_after_first_level() -> bool:
        levels_done.append(True)
        return len(levels_done) > 1

    outcome = reconcile(fleet, clients=aws, should_stop=stop_after_first_level)
    assert {change.kind for change in outcome.result.applied} == {"approval"}
    remaining = make_plan(fleet, clients=aws)
    assert remaining.actionable and "approval" not in {change.kind for change in remaining.actionable}
    converge(fleet, aws)
