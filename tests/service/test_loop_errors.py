"""How the loop meets errors: temporary ones (here: an endpoint nobody answers) back off exponentially per key;
permanent ones (a declared version that does not exist) are reported once and wait for the next commit, event
or resync — no retry storm either way; a lease table that does not exist stops it with one line and exit 1.
The controller runs in a thread with real clients; its JSON log is read."""

from __future__ import annotations

import io
import json
import shutil
import socket
import threading
import time
from datetime import datetime
from itertools import pairwise

import pytest
import structlog
from service_fleet import EXAMPLE, VERSIONS, replace

from controller.aws.clients import Clients
from controller.aws.emulator import fake_base_session, seed_registry
from controller.desired.model import Account
from controller.service.health import ServiceState
from controller.service.loop import Controller
from controller.service.settings import Settings
from controller.service.source import DirectorySource

pytestmark = pytest.mark.usefixtures("rendered_example")  # the loop renders pipelines; start from a warm cache
REGISTRY = Account("111111111111", "us-east-1", "arn:aws:iam::111111111111:role/smgitops-registry")


@pytest.fixture
def log_lines():
    stream = io.StringIO()
    from controller.service.logging import configure_logging

    configure_logging(log_format="json", level="info", stream=stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    structlog.reset_defaults()


def run_until(done, *, timeout: float, directory, endpoint_url: str, **settings) -> int:
    """Run a controller in this process until `done()` holds (checked every 50 ms) or `timeout` passes."""
    clients = Clients(endpoint_url=endpoint_url, base_session=fake_base_session(), max_attempts=1,
                      calls_per_second_per_account=None)
    infra = Clients(endpoint_url=endpoint_url, base_session=fake_base_session(), max_attempts=1)
    controller = Controller(
        Settings(source=str(directory), interval=3600, resync=60, **settings),
        source=DirectorySource(directory), clients=clients, infra_clients=infra, status=ServiceState(),
    )

    def stop_when_done() -> None:
        deadline = time.monotonic() + timeout
        while not done() and time.monotonic() < deadline:
            time.sleep(0.05)
        controller.stop()

    threading.Thread(target=stop_when_done, daemon=True).start()
    return controller.run()


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_temporary_errors_back_off_exponentially(log_lines):
    def retried(times: int) -> bool:
        return sum(line["event"] == "will retry" for line in log_lines()) >= times

    assert run_until(lambda: retried(4), timeout=30, directory=EXAMPLE, endpoint_url=closed_port(),
                     backoff_base=0.2) == 0
    lines = log_lines()
    retries = [line for line in lines if line["event"] == "will retry"]
    assert [line["key"] for line in retries] == ["*/*"] * len(retries)
    assert [line["failures"] for line in retries[:4]] == [1, 2, 3, 4]
    delays = [line["seconds"] for line in retries]
    assert all(later > 1.5 * earlier for earlier, later in pairwise(delays)), delays
    attempts = [line for line in lines if line["event"] == "reconciled"]
    assert {line["outcome"] for line in attempts} == {"plan-error"}
    assert all(line["retry"] == ["*/*"] for line in attempts)
    started = [parse_time(line["timestamp"]) - line["duration"] for line in attempts]
    finished = [parse_time(line["timestamp"]) for line in attempts]
    waited = [start - end for end, start in zip(finished, started[1:], strict=False)]
    assert all(gap >= 0.9 * delay for gap, delay in zip(waited, delays, strict=False)), (waited, delays)


def parse_time(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


@pytest.mark.aws
def test_a_permanent_error_is_reported_once_not_retried(log_lines, emulator, tmp_path):
    emulator.reset()
    with emulator.clients(calls_per_second_per_account=None) as seeding:
        for group, count in VERSIONS.items():
            seed_registry(seeding, REGISTRY, group=group, versions=count, bucket="registry-models")
    directory = tmp_path / "desired_state"
    shutil.copytree(EXAMPLE, directory)
    prod = directory / "prod" / "ltv.yaml"
    prod.write_text(replace(r"^approvedVersion: 3$", "approvedVersion: 99")(prod.read_text()))
    start = time.monotonic()
    assert run_until(lambda: time.monotonic() > start + 1.5, timeout=5, directory=directory,
                     endpoint_url=emulator.url, backoff_base=0.05) == 0
    lines = log_lines()
    reconciles = [line for line in lines if line["event"] == "reconciled"]
    assert len(reconciles) == 1 and reconciles[0]["outcome"] == "plan-error"
    assert not [line for line in lines if line["event"] == "will retry"]
    errors = [line["error"] for line in lines if line["event"] == "plan error"]
    assert errors == [
        f"{directory}/prod/ltv.yaml:5:18: approvedVersion: version 99 does not exist in model package group "
        "customer-ltv (account 111111111111)"
    ]


@pytest.mark.aws
def test_a_missing_lease_table_stops_the_controller_with_one_line(log_lines, emulator):
    emulator.reset()
    code = run_until(lambda: False, timeout=10, directory=EXAMPLE, endpoint_url=emulator.url, lease_table="nope")
    assert code == 1
    (line,) = [line for line in log_lines() if line["level"] == "error"]
    assert line["event"] == "cannot use the lease"
    assert line["error"] == (
        "lease table nope does not exist; create it (key `name`, a string) or pass --create-lease-table"
    )
