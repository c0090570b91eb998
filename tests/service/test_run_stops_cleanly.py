"""SIGTERM during a reconcile: `smgitops run` finishes the batch of writes in flight, releases the lease and
exits 0 within seconds; what it did not get to is done by the next start, and nothing is left half-written."""

from __future__ import annotations

import time

import pytest

from controller.desired import load
from controller.engine.reconcile import make_plan

pytestmark = pytest.mark.aws

LEASE = ("--lease-table", "smgitops-lease", "--create-lease-table", "--lease-duration", "10")


def plan_now(fleet):
    revision = fleet.git("rev-parse", "HEAD")[:12]
    state = load(fleet.repo / "desired_state", revision=revision).state
    return make_plan(state, clients=fleet.clients)


def lease_item(fleet) -> dict:
    dynamodb = fleet.clients.client("dynamodb", fleet.state.registry)
    return dynamodb.get_item(TableName="smgitops-lease", Key={"name": {"S": "smgitops"}}, ConsistentRead=True)["Item"]


def test_sigterm_mid_reconcile_exits_0_and_the_next_start_completes_the_work(fleet):
    # Eight calls per second per account make the first reconcile (about 90 writes) last several seconds.
    controller = fleet.start("--interval", "0.5", "--resync", "60", "--calls-per-second", "8", *LEASE)
    controller.wait_for("change applied", timeout=60)
    signalled = time.monotonic()
    code = controller.stop(timeout=30)
    took = time.monotonic() - signalled
    print(f"exited {code} {took:.2f} s after SIGTERM")
    assert code == 0, controller.tail()
    assert took < 15, "ECS sends SIGKILL 30 s after SIGTERM; stop well before"
    interrupted = controller.wait_for("reconcile interrupted: stopping or lost the lease")
    assert interrupted["not_applied"] > 0
    assert not controller.events("change failed"), "the batch in flight was finished, not cut"
    controller.wait_for("lease released")
    assert float(lease_item(fleet)["expires_at"]["N"]) == 0, "released: a standby may take over at once"
    left = plan_now(fleet)
    assert not left.errors and left.actionable, "the first run was really interrupted"

    again = fleet.start("--interval", "0.5", "--resync", "60", "--max-cycles", "1", *LEASE, name="restart")
    assert again.wait(timeout=60) == 0, again.tail()
    finished = again.wait_for("reconciled", scope="full")
    assert finished["outcome"] == "applied"
    assert finished["create"] + finished["update"] + finished["delete"] == len(left.actionable)
    final = plan_now(fleet)
    assert not final.errors and not final.actionable, [change.address for change in final.actionable]
