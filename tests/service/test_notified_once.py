"""A drift notice is sent once per (object, revision), across a change of leader and a restart.

Prod reports drift (`drift: warn`). A console edit there is announced by the leader once; the leader is killed,
the standby takes over and reconciles the same drift at the same revision without sending it again; the new
leader is stopped and the controller restarted, and still nothing is sent again. A new commit re-arms it: the
same drift at the new revision is announced once more. What was sent is kept in the lease table.
"""

from __future__ import annotations

import pytest
from service_fleet import PIPELINE, edit_in_the_console, replace

pytestmark = pytest.mark.aws
OPTIONS = (
    "--interval", "0.5", "--resync", "1", "--jitter", "0",
    "--lease-table", "smgitops-lease", "--create-lease-table", "--lease-duration", "10",
)
def drift_notices(process) -> list[dict]:
    return process.events("notification sent", address=f"prod/pipeline/{PIPELINE}", notification="drift-detected")


def full_reconciles_after(process, at: float, count: int) -> None:
    """Wait for `count` full reconciles that started after monotonic time `at`."""
    for _ in range(count):
        line = process.wait_for("reconciled", scope="full", after=at, timeout=120)
        at = line["at"] + 1e-6


def test_a_drift_notice_is_sent_once_across_a_leader_change_and_a_restart(fleet):
    first = fleet.start(*OPTIONS, "--holder", "replica-a", name="replica-a")
    applied = first.wait_for("reconciled", scope="full", outcome="applied", timeout=120)
    second = fleet.start(*OPTIONS, "--holder", "replica-b", name="replica-b")
    second.wait_for("standing by: another replica holds the lease", timeout=60)

    edit_in_the_console(fleet, "prod")
    first.wait_for("notification sent", notification="drift-detected", after=applied["at"], timeout=60)
    full_reconciles_after(first, first.lines[-1]["at"], 2)
    assert len(drift_notices(first)) == 1, "one notice per (object, revision), not one per reconcile"

    first.process.kill()  # no release: the standby takes over when the lease expires
    taken = second.wait_for("leading: this replica writes now", timeout=90)
    full_reconciles_after(second, taken["at"], 3)
    assert second.events("reconciled", scope="full", outcome="held"), "the new leader saw the same drift"
    assert drift_notices(second) == [], "the new leader sent the notice again"

    assert second.stop() == 0
    restarted = fleet.start(*OPTIONS, "--holder", "replica-c", name="replica-c")
    led = restarted.wait_for("leading: this replica writes now", timeout=90)
    full_reconciles_after(restarted, led["at"], 3)
    assert drift_notices(restarted) == [], "the restarted controller sent the notice again"

    revision = fleet.commit("Run churn in prod on two instances again", {
        "prod/churn.yaml": replace(r"^  instanceCount: 2$", "  instanceCount: 2  # unchanged value, new revision"),
    })
    restarted.wait_for("notification sent", notification="drift-detected", revision=revision, timeout=120)
    full_reconciles_after(restarted, restarted.lines[-1]["at"], 2)
    assert len(drift_notices(restarted)) == 1, "a new revision re-arms the notice, once"
    assert restarted.stop() == 0
