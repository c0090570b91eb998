"""The status model against the emulator: versions, sync states, runs and verdicts, next runs, bounded reads."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from fleet_runs import MQ_HISTORY, NOW, deployment

from controller.aws import console
from controller.aws.emulator import register_version
from controller.commands.demo import registry_bucket
from controller.commands.demo_runs import record_run
from controller.engine.plan import Change
from controller.engine.runs import RunCache
from controller.engine.status import read_status, sync_state


def test_versions_runs_verdicts_and_next_runs_of_every_deployment(aws, running_fleet):
    prod = deployment(running_fleet, "prod", "churn")
    record_run(aws, running_fleet, prod, started=NOW - timedelta(hours=5), metric_value=12.5)
    status = read_status(running_fleet, clients=aws, runs=5, now=NOW)

    assert [(item.environment, item.model) for item in status.deployments] == [
        (item.environment, item.model) for item in running_fleet.deployments
    ]
    churn = status.find("prod", "churn")
    assert (churn.declared_version, churn.live_version, churn.registry_status) == (7, 7, "Approved")
    assert churn.sync == "synced" and churn.sync_reasons == ()
    last, *earlier = churn.batch.runs
    assert last.status == "Failed" and last.started == NOW - timedelta(hours=5)
    assert last.duration(NOW) == 14 * 60
    assert last.failure_reason == (
        "Step ModelQualityCheck failed: model quality: mse 12.5 is above the maximum 10 (500 records)"
    )
    assert (last.model_quality.value, last.model_quality.max, last.model_quality.passed) == (12.5, 10.0, False)
    assert (last.data_quality.violations, last.data_quality.max_violations, last.data_quality.passed) == (0, 0, True)
    assert [run.model_quality.value for run in earlier] == list(reversed(MQ_HISTORY))
    assert all(run.status == "Succeeded" for run in earlier)
    assert f"{churn.batch.next_run:%Y-%m-%d %H:%M %Z}" == "2026-11-21 04:00 CET"  # cron(0 4 * * ? *) Europe/Berlin
    assert {change.what for change in churn.last_changes} == {
        "pipeline churn-batch-inference", "schedule churn-batch-inference", "approval churn/7",
    }
    assert {change.revision for change in churn.last_changes} == {"rev1"}

    dev = status.find("dev", "churn")
    assert f"{dev.batch.next_run:%a %H:%M}" == "Mon 06:00"  # weekdays only
    (training,) = dev.training.runs
    assert training.status == "Succeeded" and training.duration(NOW) == 95 * 60 and training.data_quality is None
    assert dev.training.next_run == training.started + timedelta(days=7)  # rate(7 days) from the last run
    ltv = status.find("staging", "ltv")
    assert ltv.batch.runs[0].model_quality is None  # no ground truth: no model quality step
    assert status.errors == ()


def test_a_data_quality_failure_and_a_run_that_stopped_early(aws, running_fleet):
    staging = deployment(running_fleet, "staging", "churn")
    record_run(aws, running_fleet, staging, started=NOW - timedelta(hours=3), violations=3)
    record_run(aws, running_fleet, staging, started=NOW - timedelta(hours=1), violations=None, status="Stopped")
    churn = read_status(running_fleet, clients=aws, models=["churn"], environments=["staging"], runs=2, now=NOW)
    (only,) = churn.deployments
    stopped, failed = only.batch.runs
    assert stopped.status == "Stopped" and stopped.data_quality is None and stopped.model_quality is None
    assert failed.status == "Failed" and failed.failure_reason.startswith("Data quality check failed: 3 violations")
    assert (failed.data_quality.violations, failed.data_quality.passed) == (3, False)
    assert failed.model_quality is None


def test_sync_state_follows_the_plan(aws, running_fleet):
    console.edit_schedule(
        aws, running_fleet.environments["staging"].target, group="smgitops-staging", name="churn-batch-inference",
        ScheduleExpression="cron(0 9 * * ? *)",
    )
    def edited(item):
        if item.key == ("prod", "churn"):
            return dataclasses.replace(item, approved_version=8)
        if item.key == ("staging", "ltv"):
            bigger = dataclasses.replace(item.batch_inference, instance_count=3)
            return dataclasses.replace(item, suspended=True, batch_inference=bigger)
        return item

    state = dataclasses.replace(
        running_fleet, deployments=tuple(map(edited, running_fleet.deployments)), revision="rev2"
    )
    register_version(aws, state.registry, group="churn", number=9, bucket=registry_bucket(state))
    status = read_status(state, clients=aws, runs=0, now=NOW)

    staging = status.find("staging", "churn")
    assert staging.sync == "drifted"
    assert "schedule churn-batch-inference: drift" in staging.sync_reasons
    prod = status.find("prod", "churn")
    assert prod.sync == "pending" and (prod.declared_version, prod.live_version) == (8, 7)
    assert prod.pending_versions == (9,) and status.find("prod", "ltv").pending_versions == ()
    assert status.find("staging", "ltv").sync == "held"
    assert status.find("dev", "churn").sync == "synced"


def test_every_state_and_the_worst_wins():
    def change(reason: str, hold: str | None = None) -> Change:
        return Change(kind="schedule", name="s", environment="prod", target=None, action="update", reason=reason,
                      source="prod/churn.yaml", before={}, after={}, hold=hold)

    assert sync_state([], []) == ("synced", ())
    assert sync_state([change("desired-change")], [])[0] == "pending"
    assert sync_state([change("desired-change", hold="environment prod is suspended")], [])[0] == "held"
    assert sync_state([change("drift", hold="drift: warn"), change("desired-change")], [])[0] == "drifted"
    assert sync_state([change("conflict", hold="not managed"), change("drift")], [])[0] == "conflict"
    state, reasons = sync_state([change("conflict")], ["prod/churn.yaml:4:18: approvedVersion: no such version"])
    assert state == "failed" and reasons[0].startswith("prod/churn.yaml:4:18")


def test_finished_runs_are_read_once(aws, running_fleet):
    cache = RunCache()
    read_status(running_fleet, clients=aws, runs=3, cache=cache, now=NOW)
    before = aws.calls.snapshot()
    read_status(running_fleet, clients=aws, runs=3, cache=cache, now=NOW)
    again = aws.calls.since(before).by_operation()
    assert again.get("sagemaker:DescribePipelineExecution", 0) == 0 and again.get("s3:GetObject", 0) == 0
    assert again["sagemaker:ListPipelineExecutions"] == 6  # one per pipeline: 5 batch, 1 training
