"""A console edit that sends no event is still put back by the next resync, although that resync only lists
(`read: cheap`): the schedule's LastModificationDate moved, so it is described again."""

from __future__ import annotations

import time

import pytest

from controller.aws import console

pytestmark = pytest.mark.aws


def test_a_console_edit_without_an_event_is_reverted_by_the_next_cheap_resync(fleet):
    controller = fleet.start("--interval", "0.5", "--resync", "1", "--jitter", "0")
    controller.wait_for("reconciled", scope="full", outcome="applied", read="full", timeout=60)
    controller.wait_for("reconciled", scope="full", outcome="in-sync", read="cheap", timeout=30)

    staging = fleet.state.environments["staging"].target
    edited_at = time.monotonic()
    console.edit_schedule(fleet.clients, staging, group="smgitops-staging", name="churn-batch-inference",
                          ScheduleExpression="cron(0 9 * * ? *)")
    reverted = controller.wait_for(
        "change applied", address="staging/schedule/churn-batch-inference", reason="drift", after=edited_at, timeout=20
    )
    reverting = controller.wait_for("reconciled", scope="full", outcome="applied", after=edited_at)
    assert reverting["read"] == "cheap", reverting
    print(f"console edit reverted {reverted['at'] - edited_at:.2f} s after it was made (resync every 1 s)")
    schedule = fleet.clients.client("scheduler", staging).get_schedule(
        GroupName="smgitops-staging", Name="churn-batch-inference"
    )
    assert schedule["ScheduleExpression"] != "cron(0 9 * * ? *)"
    quiet = controller.wait_for("reconciled", scope="full", outcome="in-sync", after=reverting["at"], timeout=30)
    assert quiet["read"] == "cheap" and quiet["reads_per_object"] < 1, quiet
    assert controller.stop() == 0
