"""One writer, everywhere: `smgitops apply --lease-table` takes the controller's own lease, so an apply from CI
and a running controller never write at once, whichever starts first.

Controller first: the apply refuses with one line naming the controller's replica (at once, or after
`--lease-wait`), and succeeds once the controller has stopped. Apply first: the apply is held in the middle of
its writes (a proxy keeps one call unanswered); a controller started then stands by and writes nothing until
the apply finishes and releases the lease, then leads. Leases last 10 s, long enough that a loaded machine
does not make a writer lose one: the tests wait for conditions, never for a lease to run out by itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from fault_proxy import Call, FaultProxy
from service_fleet import FAKE_AWS

pytestmark = pytest.mark.aws
TABLE = "smgitops-lease"
DURATION = "10"
CONTROLLER = ("--interval", "0.5", "--resync", "60", "--lease-table", TABLE, "--lease-duration", DURATION)
WRITES = ("reconciled", "change applied")


def apply(fleet, *options: str, endpoint: str | None = None, wait: bool = True):
    argv = [
        sys.executable, "-m", "controller.main", "--endpoint-url", endpoint or fleet.emulator.url,
        "apply", "--yes", "--calls-per-second", "0", *options, str(fleet.repo / "desired_state"),
    ]
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "SMGITOPS_L"))}
    process = subprocess.Popen(
        argv, env={**environment, **FAKE_AWS}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    if not wait:
        return process
    stdout, stderr = process.communicate(timeout=300)
    return process.returncode, stdout, stderr


def create_table(fleet) -> None:
    dynamodb = fleet.clients.client("dynamodb", fleet.state.registry)
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "name", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def lease_record(fleet, name: str = "smgitops") -> dict[str, str]:
    dynamodb = fleet.clients.client("dynamodb", fleet.state.registry)
    item = dynamodb.get_item(TableName=TABLE, Key={"name": {"S": name}}, ConsistentRead=True)["Item"]
    return {key: next(iter(value.values())) for key, value in item.items()}


def wait_until(condition, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def managed_pipelines(fleet, environment: str = "prod") -> list[str]:
    sagemaker = fleet.clients.client("sagemaker", fleet.state.environments[environment].target)
    return [item["PipelineName"] for item in sagemaker.list_pipelines()["PipelineSummaries"]]


def test_an_apply_refuses_while_the_controller_holds_the_lease_then_applies(fleet):
    create_table(fleet)
    controller = fleet.start(*CONTROLLER, "--holder", "replica-a", name="replica-a")
    controller.wait_for("leading: this replica writes now", timeout=60)
    controller.wait_for("reconciled", scope="full", outcome="applied", timeout=120)

    code, stdout, stderr = apply(fleet, "--lease-table", TABLE)
    assert code == 1 and "Apply complete" not in stdout
    [line] = stderr.splitlines()
    assert line.startswith(f"apply: the lease smgitops in table {TABLE} is held by replica-a at revision ")
    assert line.endswith("; nothing was written")

    started = time.monotonic()
    code, _, stderr = apply(fleet, "--lease-table", TABLE, "--lease-wait", "1.5")
    assert code == 1 and "is held by replica-a" in stderr and time.monotonic() - started >= 1.5

    assert controller.stop() == 0  # SIGTERM releases the lease
    code, stdout, stderr = apply(fleet, "--lease-table", TABLE)
    assert code == 0, stderr
    assert "apply:" not in stderr


def test_a_controller_stands_by_while_an_apply_holds_the_lease(fleet):
    create_table(fleet)
    first_pipeline = [False]

    def hold_the_first_pipeline(call: Call) -> str | None:
        if call.operation == "CreatePipeline" and not first_pipeline[0]:
            first_pipeline[0] = True
            return "hold"
        return None

    with FaultProxy(fleet.emulator.url, hold_the_first_pipeline) as proxy:
        ci = apply(fleet, "--lease-table", TABLE, "--lease-duration", DURATION, endpoint=proxy.url, wait=False)
        try:
            assert proxy.held.wait(timeout=240), "the apply never got to its pipelines"
            controller = fleet.start(*CONTROLLER, "--holder", "replica-a", name="replica-a")
            controller.wait_for("standing by: another replica holds the lease", timeout=60)
            first = lease_record(fleet)
            assert first["holder"].startswith("apply@")
            wait_until(lambda: time.time() > float(first["expires_at"]) + 1, timeout=120)
            assert lease_record(fleet)["holder"] == first["holder"], "the apply renewed its lease while it waited"
            assert not any(controller.events(event) for event in WRITES), "the controller wrote during the apply"
            assert controller.http("/readyz") == (200, "ready: standby, another replica holds the lease\n")
            proxy.released.set()
            stdout, stderr = ci.communicate(timeout=300)
        finally:
            if ci.poll() is None:
                ci.kill()
    assert ci.returncode == 0, stderr
    assert "Apply complete" in stdout
    taken = controller.wait_for("leading: this replica writes now", timeout=30)
    done = controller.wait_for("reconciled", scope="full", after=taken["at"], timeout=120)
    assert done["outcome"] == "in-sync", "the apply had converged everything"
    assert "churn-batch-inference" in managed_pipelines(fleet)
    assert controller.stop() == 0
