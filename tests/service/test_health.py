"""The health endpoints over real HTTP: liveness, readiness with its reasons, and the metrics text."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request

import pytest

from controller.service.health import HealthServer, ServiceState
from controller.service.metrics import Metrics


def get(server: HealthServer, path: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


@pytest.fixture
def state() -> ServiceState:
    return ServiceState(max_staleness=300)


@pytest.fixture
def server(state):
    metrics = Metrics()
    metrics.record_lease(True)
    with HealthServer(0, state=state, host="127.0.0.1", registry=metrics.registry) as running:
        yield running


def test_healthz_answers_while_the_process_serves(server):
    assert server.port > 0
    assert get(server, "/healthz")[0::2] == (200, "ok\n")


def test_readyz_is_503_with_a_reason_until_the_controller_does_its_job(server, state):
    assert get(server, "/readyz")[0::2] == (503, "desired state not fetched yet\n")
    state.update(source_fetched=True)
    assert get(server, "/readyz")[0::2] == (503, "lease state unknown\n")
    state.update(lease_state="leader")
    assert get(server, "/readyz")[0::2] == (503, "no reconcile finished yet\n")
    state.update(last_reconcile_at=time.time())
    status, content_type, body = get(server, "/readyz")
    assert (status, content_type) == (200, "text/plain; charset=utf-8")
    assert body.startswith("ready: leader, last reconcile ")


def test_a_leader_whose_last_reconcile_is_too_old_is_not_ready(server, state):
    state.update(source_fetched=True, lease_state="leader", last_reconcile_at=time.time() - 400)
    status, _, body = get(server, "/readyz")
    assert status == 503 and body.startswith("last reconcile finished 40") and body.endswith("(more than 300s)\n")


def test_shards_names_the_replica_and_the_shards_it_holds(server, state):
    assert json.loads(get(server, "/shards")[2]) == {"holder": "", "lease": "unknown", "shards": []}
    state.update(holder="replica-a", lease_state="leader", shards=("dev", "registry"))
    status, content_type, body = get(server, "/shards")
    assert (status, content_type) == (200, "application/json")
    assert json.loads(body) == {"holder": "replica-a", "lease": "leader", "shards": ["dev", "registry"]}


def test_a_standby_is_ready_without_reconciling(server, state):
    state.update(source_fetched=True, lease_state="standby")
    assert get(server, "/readyz")[0::2] == (200, "ready: standby, another replica holds the lease\n")


def test_metrics_serves_the_prometheus_text_of_its_registry(server):
    status, content_type, body = get(server, "/metrics")
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
    assert "smgitops_leader 1.0" in body.splitlines()


def test_unknown_paths_are_404(server):
    assert get(server, "/nope")[0] == 404


def test_two_servers_with_their_own_registries_run_side_by_side(state):
    first, second = Metrics(), Metrics()
    first.record_lease(True)
    second.record_lease(False)
    with (
        HealthServer(0, state=state, host="127.0.0.1", registry=first.registry) as one,
        HealthServer(0, state=state, host="127.0.0.1", registry=second.registry) as two,
    ):
        assert one.port != two.port
        assert "smgitops_leader 1.0" in get(one, "/metrics")[2]
        assert "smgitops_leader 0.0" in get(two, "/metrics")[2]


def test_unknown_state_fields_are_refused(state):
    with pytest.raises(AttributeError, match="no field ready"):
        state.update(ready=True)


def test_it_binds_the_address_it_is_given(state):
    with HealthServer(0, state=state, host="127.0.0.1") as loopback:
        assert loopback.address == "127.0.0.1"
        assert get(loopback, "/healthz")[0] == 200
    with HealthServer(0, state=state) as everywhere:
        assert everywhere.address == "0.0.0.0"
        assert get(everywhere, "/healthz")[0] == 200


@pytest.mark.parametrize("sent", [b"", b"GET /healthz HTTP/1.1\r\n", b"GET /hea"])
def test_a_silent_or_slow_client_is_disconnected_after_the_idle_timeout(state, sent):
    with HealthServer(0, state=state, host="127.0.0.1", idle_timeout=0.3) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as idle:
            idle.sendall(sent)
            started = time.monotonic()
            assert idle.recv(1024) == b""  # the server closed the connection
            closed_after = time.monotonic() - started
        assert 0.2 < closed_after < 3


def test_a_burst_of_connections_waits_in_the_backlog_until_the_server_accepts(state):
    server = HealthServer(0, state=state, host="127.0.0.1")  # listening, not accepting yet
    try:
        burst = [socket.create_connection(("127.0.0.1", server.port), timeout=0.5) for _ in range(60)]
        server.start()
        for connection in burst:
            connection.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
        assert all(connection.recv(64).startswith(b"HTTP/1.0 200") for connection in burst)
        for connection in burst:
            connection.close()
    finally:
        server.stop()
