"""`smgitops run` follows a git branch: a new commit converges within one interval, a commit whose files do not
validate is rejected (the last good commit stays in force and the reason is logged), and a console approval
arriving as an EventBridge event on the SQS queue is reverted within seconds, long before the next resync."""

from __future__ import annotations

import json
import time

import pytest
from service_fleet import package_state_change, replace, send

from controller.aws import console

pytestmark = pytest.mark.aws

INTERVAL = 0.5
STAGING_CHURN = "staging/churn.yaml"


def package(fleet, group: str, version: int) -> dict:
    registry = fleet.state.registry
    arn = f"arn:aws:sagemaker:{registry.region}:{registry.account}:model-package/{group}/{version}"
    return fleet.clients.client("sagemaker", registry).describe_model_package(ModelPackageName=arn)


def pipeline_parameter(fleet, environment: str, pipeline: str, name: str):
    sagemaker = fleet.clients.client("sagemaker", fleet.state.environments[environment].target)
    definition = json.loads(sagemaker.describe_pipeline(PipelineName=pipeline)["PipelineDefinition"])
    return next(item["DefaultValue"] for item in definition["Parameters"] if item["Name"] == name)


def wait_until(check, *, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def converged_controller(fleet, *options: str):
    controller = fleet.start("--interval", str(INTERVAL), "--resync", "60", *options)
    controller.wait_for("reconciled", scope="full", outcome="applied", timeout=60)
    return controller


def test_a_new_commit_converges_within_one_interval_and_a_broken_one_is_rejected(fleet):
    controller = converged_controller(fleet)
    ready = wait_until(lambda: controller.http("/readyz")[0] == 200, timeout=5)
    assert ready and controller.http("/readyz")[1].startswith("ready: leader, last reconcile ")
    first = fleet.git("rev-parse", "HEAD")[:12]
    assert package(fleet, "churn", 7)["CustomerMetadataProperties"]["smgitops/staging"] == first

    committed_at = time.monotonic()
    promote = {STAGING_CHURN: replace(r"^approvedVersion: 7$", "approvedVersion: 8")}
    second = fleet.commit("Promote churn 8 to staging", promote)
    loaded = controller.wait_for("revision loaded", revision=second, timeout=10)
    applied = controller.wait_for("reconciled", scope="full", revision=second, timeout=10)
    assert applied["outcome"] == "applied", controller.tail()
    assert loaded["at"] - committed_at <= INTERVAL + 2.0, "the commit was seen later than one interval (+ load)"
    print(f"commit seen after {loaded['at'] - committed_at:.2f} s, applied after {applied['at'] - committed_at:.2f} s")
    approved = package(fleet, "churn", 8)
    assert approved["ModelApprovalStatus"] == "Approved"
    assert approved["CustomerMetadataProperties"]["smgitops/staging"] == second
    assert "smgitops/staging" not in package(fleet, "churn", 7)["CustomerMetadataProperties"]
    assert pipeline_parameter(fleet, "staging", "churn-batch-inference", "ModelPackageArn").endswith("/churn/8")

    broken = fleet.commit("Typo", {STAGING_CHURN: replace(r"^approvedVersion: 8$", "approvedVersion: nine")})
    rejected = controller.wait_for("revision rejected: its files do not validate", rejected=broken, timeout=10)
    assert rejected["still_applying"] == second
    problem = controller.wait_for("desired-state problem", rejected=broken)
    assert problem["problem"] == f"desired_state/{STAGING_CHURN}:4:18: approvedVersion: expected an integer, got 'nine'"
    time.sleep(2 * INTERVAL)
    assert not controller.events("reconciled", revision=broken)
    assert package(fleet, "churn", 8)["CustomerMetadataProperties"]["smgitops/staging"] == second
    assert controller.process.poll() is None, "a broken commit must not stop the controller"

    fixed = fleet.commit("Fix the typo", {STAGING_CHURN: replace(r"^approvedVersion: nine$", "approvedVersion: 8")})
    again = controller.wait_for("reconciled", scope="full", revision=fixed, timeout=10)
    assert again["outcome"] == "in-sync", "the fix is what was applied before: nothing to write"
    assert controller.stop() == 0


def test_a_console_approval_is_reverted_by_its_event_within_seconds(fleet):
    controller = converged_controller(fleet, "--queue-url", fleet.queue_url, "--queue-wait", "1")
    console.set_approval(fleet.clients, fleet.state.registry, group="churn", version=2)
    assert package(fleet, "churn", 2)["ModelApprovalStatus"] == "Approved"

    sent_at = time.monotonic()
    send(fleet, package_state_change(fleet, group="churn", version=2, status="Approved"))
    reverted = wait_until(
        lambda: package(fleet, "churn", 2)["ModelApprovalStatus"] == "PendingManualApproval", timeout=10
    )
    elapsed = time.monotonic() - sent_at
    assert reverted, controller.tail()
    print(f"console approval reverted {elapsed:.2f} s after its event was queued")
    assert elapsed < 5
    queued = controller.wait_for("event queued", detail_type="SageMaker Model Package State Change")
    assert queued["keys"] == ["dev/churn", "prod/churn", "staging/churn"]
    targeted = controller.wait_for("reconciled", scope="dev/churn, prod/churn, staging/churn")
    assert targeted["outcome"] == "applied"
    assert len(controller.events("reconciled", scope="full")) == 1, "reverted by the event, not by a resync"
    status, metrics = controller.http("/metrics")
    assert status == 200 and 'smgitops_drift_corrections_total 1.0' in metrics

    send(fleet, {"version": "0", "detail-type": "Something Else", "source": "aws.s3", "detail": {}})
    send(fleet, "not json at all")
    controller.wait_for("event dropped: it touches nothing git declares", detail_type="Something Else")
    controller.wait_for("dropped a message that is not an event")
    assert controller.stop() == 0
