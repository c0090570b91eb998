"""Faults lose nothing: an apply cut short by server errors or by a stop converges when it is run again.

A small HTTP proxy in front of the emulator answers chosen calls with the 500 AWS sends on an internal error
and forwards everything else, so the controller meets the fault exactly as it would meet AWS's.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fault_proxy import FaultProxy, fail_each
from helpers import converge

from controller.aws.clients import Clients
from controller.aws.emulator import fake_base_session
from controller.engine.reconcile import make_plan, reconcile

pytestmark = pytest.mark.aws


@pytest.fixture
def failing_put_targets(emulator) -> Iterator[tuple[FaultProxy, Clients]]:
    with FaultProxy(emulator.url, fail_each(lambda call: call.operation == "PutTargets")) as proxy:
        clients = Clients(endpoint_url=proxy.url, base_session=fake_base_session(), max_attempts=2)
        yield proxy, clients
        clients.close()


def test_server_errors_mid_apply_are_reported_and_a_rerun_converges(aws, fleet, failing_put_targets):
    proxy, faulty = failing_put_targets
    outcome = reconcile(fleet, clients=faulty)
    assert outcome.reason == "apply-failed"
    failed = {change.address for change, _ in outcome.result.failed}
    assert failed and all("/trigger/" in address for address in failed)
    assert all("InternalFailure" in error or "internal error" in error for _, error in outcome.result.failed)
    assert len(proxy.failed) == 2 * len(failed), "each failed call was retried once (standard retry mode)"
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
