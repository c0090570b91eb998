"""A write of several calls that is cut short is finished by the next apply, and `drift: warn` holds afterwards.

Every multi-call write of one deployment in prod (`drift: warn`) is first watched through the fault proxy; then,
for each of them, the test fails exactly its last call, and separately makes AWS see the process die before each
of its calls (that call and every later one fail). Each time the next plan must show the object as a change to
make (never "in sync", never drift held by `drift: warn`), the next apply must write it, and a console edit
made afterwards must be reported as drift and held.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fault_proxy import Call, FaultProxy, fail_each, fail_from

from controller.aws import console
from controller.aws.clients import Clients
from controller.aws.emulator import fake_base_session
from controller.commands.demo import seed_example
from controller.desired import load
from controller.engine.plan import Plan
from controller.engine.reconcile import make_plan, reconcile
from controller.kinds import KINDS
from controller.kinds.pipeline import WRITTEN_TAG
from controller.kinds.schedule import STAMP_TAG

pytestmark = pytest.mark.aws
SCOPE = {"environments": ["prod"], "models": ["churn"]}
EXAMPLE = Path(__file__).resolve().parents[2] / "desired_state"
BASE_SESSION = fake_base_session()
"""One base session for every client of these tests: service models load once."""


def fresh_clients(url: str, **options) -> Clients:
    """Unthrottled clients (these tests make many calls); new ones after each reset of the emulator."""
    return Clients(endpoint_url=url, base_session=BASE_SESSION, calls_per_second_per_account=None, **options)


def console_edit(clients: Clients, state, kind: str, name: str) -> None:
    """A hand edit of the object in the prod console: the kind of change `drift: warn` must only report."""
    target = state.environments["prod"].target
    if kind == "trigger":
        clients.client("events", target).disable_rule(Name=name)
    elif kind == "topic":
        sns = clients.client("sns", target)
        arn = f"arn:aws:sns:{target.region}:{target.account}:{name}"
        subscription = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"][0]
        sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
    elif kind == "pipeline":
        role = f"arn:aws:iam::{target.account}:role/edited-in-the-console"
        console.edit_pipeline(clients, target, name=name, RoleArn=role)
    else:
        raise AssertionError(f"no console edit for {kind}")


def multi_call_writes(plan: Plan, calls: list[Call], action: str) -> dict[str, list[Call]]:
    """The write calls of each planned `action`, in order, for changes written with more than one call; one
    change per sequence of operations (two rules written alike are one case)."""
    shapes: dict[tuple[str, ...], str] = {}
    per_change = {}
    for change in plan.actionable:
        writes = [call for call in calls if _belongs(call, change.kind, change.name)]
        shape = (change.kind, *(call.operation.split(" ", 1)[0] for call in writes))
        if change.action == action and len(writes) > 1 and shapes.setdefault(shape, change.address) == change.address:
            per_change[change.address] = writes
    return per_change


def _belongs(call: Call, kind: str, name: str) -> bool:
    """A write of the object: one of its kind's operations naming it (Scheduler's are REST calls on its path).
    The written-at stamps of pipelines and schedules, recorded after the write, are hints for the next plan's
    reads, not part of the write (`test_a_pipeline_whose_stamp_was_not_recorded_is_described_and_in_sync`)."""
    if WRITTEN_TAG in call.text or STAMP_TAG in call.text:
        return False
    operations = {operation.split(":", 1)[1] for operation in KINDS[kind].WRITES}
    if " " in call.operation:
        ours = kind == "schedule" and call.operation.split(" ", 1)[1].startswith("/schedule")
    else:
        ours = call.operation in operations
    return call.write and ours and call.concerns(name)


def faulty_apply(emulator, state, decide: Callable[[Call], str | None]):
    with FaultProxy(emulator.url, decide) as proxy:
        clients = fresh_clients(proxy.url, max_attempts=1)
        try:
            outcome = reconcile(state, clients=clients, **SCOPE)
        finally:
            clients.close()
    return outcome, proxy


def assert_finished_then_warned(emulator, state, address: str) -> None:
    """After a cut-short write of `address`: it is a change to make, the next apply writes it, and a later
    console edit of it is drift held by `drift: warn`."""
    with fresh_clients(emulator.url) as clients:
        left = {change.address: change for change in make_plan(state, clients=clients, **SCOPE).changes}
        assert address in left, f"{address}: the next plan says it is in sync"
        assert left[address].actionable and left[address].reason == "desired-change", left[address]
        outcome = reconcile(state, clients=clients, **SCOPE)
        assert outcome.reason == "applied" and address in {change.address for change in outcome.result.applied}
        kind, name = address.split("/", 2)[1:]
        console_edit(clients, state, kind, name)
        edited = {change.address: change for change in make_plan(state, clients=clients, **SCOPE).changes}
        assert (edited[address].reason, edited[address].hold) == ("drift", "drift: warn"), edited[address]
        assert not make_plan(state, clients=clients, **SCOPE).actionable


def watch(emulator, state, action: str) -> dict[str, list[Call]]:
    outcome, proxy = faulty_apply(emulator, state, lambda call: None)
    assert outcome.reason == "applied", (outcome.message, outcome.plan.errors)
    return multi_call_writes(outcome.plan, proxy.calls, action)


def cut_short_everywhere(emulator, start: Callable[[], object], state, action: str) -> set[str]:
    """For each multi-call write of `state` (applied after `start()`): fail its last call, then die before each
    of its calls; each time check the object is finished and warned. Returns the kinds tried."""
    start()
    writes = watch(emulator, state, action)
    assert writes, "no multi-call write in this scenario"
    for address, calls in writes.items():
        last = calls[-1]
        cases = [("fail the last call", fail_each(lambda call, last=last: call == last))]
        cases += [
            (f"die before call {index + 1} ({call.operation})", fail_from(lambda seen, call=call: seen == call))
            for index, call in enumerate(calls)
        ]
        for description, decide in cases:
            start()
            outcome, proxy = faulty_apply(emulator, state, decide)
            assert proxy.failed, f"{address}: {description}: the fault never happened"
            assert outcome.reason == "apply-failed", f"{address}: {description}: {outcome.reason}"
            assert_finished_then_warned(emulator, state, address)
    return {address.split("/")[1] for address in writes}


def test_every_multi_call_create_cut_short_is_finished_and_then_warned(emulator, example_state):
    def start() -> None:
        emulator.reset()  # AssumeRole credentials are forgotten too: fresh clients after each reset
        with fresh_clients(emulator.url) as clients:
            seed_example(clients, example_state)

    assert cut_short_everywhere(emulator, start, example_state, "create") == {"topic", "trigger"}


@pytest.fixture
def edited_state(tmp_path):
    """The example with prod's churn changed so that its pipeline, topic and rules are updated in several calls."""
    root = tmp_path / "desired_state"
    shutil.copytree(EXAMPLE, root)
    churn = root / "prod" / "churn.yaml"
    text = churn.read_text().replace("instanceCount: 2", "instanceCount: 3")
    churn.write_text(text.replace("topic: churn-alerts", "topic: churn-alerts-v2"))
    loaded = load(root, revision="rev2")
    assert loaded.problems == ()
    return loaded.state


def test_every_multi_call_update_cut_short_is_finished_and_then_warned(emulator, example_state, edited_state):
    def start() -> None:
        emulator.reset()
        with fresh_clients(emulator.url) as clients:
            seed_example(clients, example_state)
            assert reconcile(example_state, clients=clients, **SCOPE).reason == "applied"

    assert cut_short_everywhere(emulator, start, edited_state, "update") == {"pipeline", "trigger"}


def kill_at(proxy_url: str, proxy: FaultProxy, state_root: Path) -> int:
    """Run `smgitops apply` through the proxy, SIGKILL it while the held call waits; its exit status."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    argv = [
        sys.executable, "-m", "controller.main", "--endpoint-url", proxy_url, "apply", "--yes",
        "--env", "prod", "--model", "churn", "--calls-per-second", "0", str(state_root),
    ]
    process = subprocess.Popen(argv, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert proxy.held.wait(timeout=240), "the apply never reached the call to kill it at"
        process.send_signal(signal.SIGKILL)
        return process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _nth(calls: list[Call]) -> int:
    """Which occurrence of its operation the last call is, among the object's calls (the CLI's revision
    differs from the test's, so the calls are matched by operation and object, not by their text)."""
    return sum(1 for call in calls if call.operation == calls[-1].operation)


def hold_nth(operation: str, name: str, occurrence: int):
    seen = []

    def decide(call: Call) -> str | None:
        if call.operation == operation and call.concerns(name):
            seen.append(call)
            if len(seen) == occurrence:
                return "hold"
        return None

    return decide


def test_an_apply_killed_at_the_last_call_of_each_multi_call_write_is_finished_and_then_warned(
    emulator, example_state
):
    def start() -> None:
        emulator.reset()
        with fresh_clients(emulator.url) as clients:
            seed_example(clients, example_state)

    start()
    writes = watch(emulator, example_state, "create")
    assert {address.split("/")[1] for address in writes} == {"topic", "trigger"}
    for address, calls in writes.items():
        start()
        name = address.split("/", 2)[2]
        with FaultProxy(emulator.url, hold_nth(calls[-1].operation, name, _nth(calls))) as proxy:
            assert kill_at(proxy.url, proxy, EXAMPLE) == -signal.SIGKILL
        assert_finished_then_warned(emulator, example_state, address)


def test_a_pipeline_whose_stamp_was_not_recorded_is_described_and_in_sync(emulator, example_state):
    """The written-at stamp comes after the pipeline is written: when it cannot be recorded the apply fails (the
    error is AWS's), yet the pipeline is written, so the next plan describes it and finds nothing to do."""
    emulator.reset()
    with fresh_clients(emulator.url) as clients:
        seed_example(clients, example_state)
    address = "prod/pipeline/churn-batch-inference"
    stamp = fail_each(lambda call: WRITTEN_TAG in call.text and call.concerns("churn-batch-inference"))
    outcome, proxy = faulty_apply(emulator, example_state, stamp)
    assert proxy.failed and outcome.reason == "apply-failed"
    assert address in {change.address for change, _ in outcome.result.failed}
    with fresh_clients(emulator.url) as clients:
        before = clients.calls.snapshot()
        plan = make_plan(example_state, clients=clients, **SCOPE)
        assert address not in {change.address for change in plan.changes}
        assert clients.calls.since(before).by_operation()["sagemaker:DescribePipeline"] == 1
