"""Two `smgitops run` replicas share one DynamoDB lease: only the holder reconciles and writes; when it is
killed (no chance to release), the standby takes over once the lease expires and carries on.

The lease is long enough (10 s, trusted for 7.5 s after each renewal started, renewed every 2.5 s) that a
replica slowed down by a loaded machine does not lose it: nothing here depends on how fast processes run."""

from __future__ import annotations

import time

import pytest
from service_fleet import replace

pytestmark = pytest.mark.aws

DURATION = 10.0
OPTIONS = (
    "--interval", "0.5", "--resync", "60",
    "--lease-table", "smgitops-lease", "--create-lease-table", "--lease-duration", str(DURATION),
)
WRITES = ("reconciled", "change applied")


def test_only_the_lease_holder_writes_and_the_standby_takes_over(fleet):
    leader = fleet.start(*OPTIONS, "--holder", "replica-a", name="replica-a")
    leader.wait_for("leading: this replica writes now", timeout=30)
    standby = fleet.start(*OPTIONS, "--holder", "replica-b", name="replica-b")
    standby.wait_for("standing by: another replica holds the lease", timeout=30)
    leader.wait_for("reconciled", scope="full", outcome="applied", timeout=60)

    promoted = fleet.commit("Promote churn 8 to staging", {
        "staging/churn.yaml": replace(r"^approvedVersion: 7$", "approvedVersion: 8"),
    })
    leader.wait_for("reconciled", scope="full", revision=promoted, outcome="applied")
    standby.wait_for("revision loaded", revision=promoted)
    assert not any(standby.events(event) for event in WRITES), "the standby wrote while the leader lived"
    assert standby.http("/readyz") == (200, "ready: standby, another replica holds the lease\n")
    assert "smgitops_leader 0.0" in standby.http("/metrics")[1]

    killed = time.monotonic()
    leader.process.kill()
    taken = standby.wait_for("leading: this replica writes now", timeout=6 * DURATION)
    print(f"standby took over {taken['at'] - killed:.2f} s after the leader was killed (lease {DURATION} s)")
    resumed = standby.wait_for("reconciled", scope="full", after=taken["at"])
    assert resumed["outcome"] == "in-sync", "the dead leader had finished; nothing is left to do"

    reverted = fleet.commit("Back to churn 7 in staging", {
        "staging/churn.yaml": replace(r"^approvedVersion: 8$", "approvedVersion: 7"),
    })
    standby.wait_for("reconciled", scope="full", revision=reverted, outcome="applied")
    assert standby.stop() == 0
    assert standby.summary()["writes"] > 0
