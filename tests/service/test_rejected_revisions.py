"""Any failure while loading or planning a revision rejects that revision: the last good one stays in force (or
comes back), `/readyz` says which revision was rejected and why, and `smgitops_revision_rejected` is 1.

The failures are injected where git alone can break the controller (loading the files, the trial plan made
without AWS, the plan made against AWS); the controller runs in a thread of this process with real clients.
"""

from __future__ import annotations

import shutil
import threading
import time

import pytest
from service_fleet import EXAMPLE

import controller.service.loop as loop_module
import controller.service.reconciler as reconciler_module
from controller.aws.clients import Clients
from controller.aws.emulator import fake_base_session
from controller.service.health import ServiceState
from controller.service.loop import Controller
from controller.service.metrics import Metrics
from controller.service.settings import Settings
from controller.service.source import DirectorySource

pytestmark = pytest.mark.usefixtures("rendered_example")
FAILURES = [
    OverflowError("date value out of range"),
    KeyError("schedule"),
    RecursionError("maximum recursion depth exceeded"),
    ValueError("year 10000 is out of range"),
    ZeroDivisionError("division by zero"),
]


class Running:
    """A controller on a desired-state directory, in a thread, until `stop()`."""

    def __init__(self, directory, endpoint_url: str) -> None:
        clients = Clients(endpoint_url=endpoint_url, base_session=fake_base_session(), max_attempts=1,
                          calls_per_second_per_account=None)
        infra = Clients(endpoint_url=endpoint_url, base_session=fake_base_session(), max_attempts=1)
        self.status, self.metrics = ServiceState(), Metrics()
        self.controller = Controller(
            Settings(source=str(directory), interval=0.1, resync=600), source=DirectorySource(directory),
            clients=clients, infra_clients=infra, status=self.status, metrics=self.metrics,
        )
        self.thread = threading.Thread(target=self.controller.run, daemon=True)
        self.thread.start()

    def until(self, condition, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"timed out; readiness: {self.status.readiness()}"
            time.sleep(0.05)

    def rejected_gauge(self) -> float:
        return self.metrics.registry.get_sample_value("smgitops_revision_rejected")

    def stop(self) -> None:
        self.controller.stop()
        self.thread.join(timeout=30)


@pytest.fixture
def directory(tmp_path):
    copy = tmp_path / "desired_state"
    shutil.copytree(EXAMPLE, copy)
    return copy


def edit(directory) -> None:
    churn = directory / "staging" / "churn.yaml"
    churn.write_text(churn.read_text().replace("approvedVersion: 7", "approvedVersion: 9"))


@pytest.mark.parametrize("failure", FAILURES, ids=lambda error: type(error).__name__)
@pytest.mark.parametrize("where", ["load", "trial_plan"])
def test_a_revision_that_fails_to_load_or_plan_is_rejected_and_the_last_good_one_kept(
    monkeypatch, emulator, directory, where, failure
):
    real = getattr(loop_module, where)
    good: list[str] = []

    def failing(*args, **kwargs):
        if good:  # the first revision is good; every later one fails
            raise failure
        return real(*args, **kwargs)

    monkeypatch.setattr(loop_module, where, failing)
    running = Running(directory, emulator.url)
    try:
        running.until(lambda: running.controller.state is not None)
        good.append(running.controller.state.revision)
        assert running.rejected_gauge() == 0
        edit(directory)
        running.until(lambda: running.status.rejected is not None)
        assert running.controller.state.revision == good[0], "the last good revision stays in force"
        ready, reason = running.status.readiness()
        assert not ready and reason.startswith("revision ") and reason.endswith(
            f" rejected: loading or planning it failed; still applying {good[0]}"
        )
        assert running.rejected_gauge() == 1
        assert running.metrics.registry.get_sample_value("smgitops_revisions_rejected_total") == 1
    finally:
        running.stop()


@pytest.mark.parametrize("failure", FAILURES[:3], ids=lambda error: type(error).__name__)
def test_a_revision_whose_plan_against_aws_fails_is_rejected_and_the_one_before_comes_back(
    monkeypatch, emulator, directory, failure
):
    real = reconciler_module.reconcile
    revisions: list[str] = []

    def failing(state, **kwargs):
        if revisions and state.revision != revisions[0]:
            raise failure
        return real(state, **kwargs)

    monkeypatch.setattr(reconciler_module, "reconcile", failing)
    running = Running(directory, emulator.url)
    try:
        running.until(lambda: running.status.last_reconcile_at is not None)
        revisions.append(running.controller.state.revision)
        edit(directory)
        running.until(lambda: running.status.rejected is not None)
        assert running.controller.state.revision == revisions[0], "the revision before is back in force"
        ready, reason = running.status.readiness()
        assert not ready and reason.endswith(f" rejected: planning it failed; still applying {revisions[0]}")
        assert running.rejected_gauge() == 1
    finally:
        running.stop()
