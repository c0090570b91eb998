"""The controller's Prometheus metrics: names and values after recording, one registry per `Metrics`, and the
Metrics table of docs/metrics.md listing exactly what is exposed."""

from __future__ import annotations

import re

from docs_text import read
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from controller.aws.calls import CallCounter, CallCounts
from controller.desired.model import Account
from controller.engine.applier import ApplyResult
from controller.engine.plan import Change, Plan
from controller.service.metrics import Metrics

PROD = Account("333333333333", "us-east-1", "arn:aws:iam::333333333333:role/smgitops-deploy")


def change(name: str, *, kind: str = "pipeline", reason: str = "desired-change", hold: str | None = None) -> Change:
    return Change(
        kind=kind, name=name, environment="prod", target=PROD, action="update", reason=reason,
        source="prod/churn.yaml", before={"a": 1}, after={"a": 2}, hold=hold, model="churn",
    )


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(metrics.registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return samples(metrics).get((name, tuple(sorted(labels.items()))))


def test_reconciles_are_timed_and_counted_by_outcome():
    metrics = Metrics()
    metrics.record_reconcile(2.0, "applied")
    metrics.record_reconcile(4.0, "applied")
    metrics.record_reconcile(1.0, "apply-failed")
    assert value(metrics, "smgitops_reconcile_duration_seconds_count") == 3
    assert value(metrics, "smgitops_reconcile_duration_seconds_sum") == 7.0
    assert value(metrics, "smgitops_reconcile_duration_seconds_bucket", le="2.5") == 2
    assert value(metrics, "smgitops_reconciles_total", outcome="applied") == 2
    assert value(metrics, "smgitops_reconciles_total", outcome="apply-failed") == 1


def test_resources_by_state_from_a_plan_and_what_applying_it_did():
    fixed, broken, edited = change("fixed"), change("broken"), change("edited", reason="drift", hold="drift: warn")
    conflict = change("theirs", kind="schedule", reason="conflict", hold="not managed")
    waiting = change("later", kind="schedule")
    plan = Plan(
        revision="abc123",
        changes=(fixed, broken, edited, conflict, waiting),
        in_sync=5,
        in_sync_by={("prod", "pipeline"): 2, ("prod", "schedule"): 3},
    )
    metrics = Metrics()
    metrics.record_plan(plan, result=ApplyResult(applied=[fixed], failed=[(broken, "AccessDenied")]))

    def count(kind: str, state: str) -> float | None:
        return value(metrics, "smgitops_resources", environment="prod", kind=kind, state=state)

    assert [count("pipeline", state) for state in ("synced", "failed", "drifted", "held", "pending")] == [3, 1, 1, 0, 0]
    assert [count("schedule", state) for state in ("synced", "failed", "drifted", "held", "pending")] == [3, 0, 0, 1, 1]


def test_a_later_plan_replaces_the_resource_gauges():
    metrics = Metrics()
    first = Plan(revision="a", changes=(change("x", kind="schedule"),), in_sync_by={("prod", "pipeline"): 1})
    metrics.record_plan(first)
    metrics.record_plan(Plan(revision="b", changes=(), in_sync_by={("prod", "pipeline"): 2}))
    assert value(metrics, "smgitops_resources", environment="prod", kind="pipeline", state="synced") == 2
    assert value(metrics, "smgitops_resources", environment="prod", kind="schedule", state="pending") is None


def aws_calls(metrics: Metrics, service: str, operation: str, call_type: str) -> float | None:
    return value(metrics, "smgitops_aws_calls_total", service=service, operation=operation, type=call_type)


def test_aws_calls_by_operation_and_type_from_call_counts_deltas():
    counter, metrics = CallCounter(), Metrics()
    counter.record_call("sts", "AssumeRole")
    before = counter.snapshot()
    counter.record_call("sagemaker", "ListModelPackages")
    counter.record_call("sagemaker", "ListModelPackages")
    counter.record_call("sagemaker", "UpdatePipeline")
    counter.record_throttle()
    counter.record_retries(2)
    metrics.record_calls(counter.since(before))
    assert aws_calls(metrics, "sagemaker", "ListModelPackages", "read") == 2
    assert aws_calls(metrics, "sagemaker", "UpdatePipeline", "write") == 1
    assert aws_calls(metrics, "sts", "AssumeRole", "auth") is None  # before the snapshot
    assert value(metrics, "smgitops_aws_throttles_total") == 1
    assert value(metrics, "smgitops_aws_retries_total") == 2


def test_given_the_call_counter_itself_each_call_adds_what_came_since_the_last():
    counter, metrics = CallCounter(), Metrics()
    counter.record_call("sts", "AssumeRole")
    metrics.record_calls(counter)
    counter.record_call("sts", "AssumeRole")
    counter.record_call("scheduler", "CreateSchedule")
    metrics.record_calls(counter)
    metrics.record_calls(counter)
    assert aws_calls(metrics, "sts", "AssumeRole", "auth") == 2
    assert aws_calls(metrics, "scheduler", "CreateSchedule", "write") == 1
    other = CallCounter()  # a new counter (new clients) starts from zero, not from the old one's numbers
    other.record_call("sts", "AssumeRole")
    metrics.record_calls(other)
    assert aws_calls(metrics, "sts", "AssumeRole", "auth") == 3


def test_success_revision_lease_and_drift_corrections():
    metrics = Metrics()
    metrics.record_success(1717400000.0)
    metrics.record_revision("abc123")
    metrics.record_lease(True)
    metrics.record_drift_corrections(2)
    metrics.record_drift_corrections(0)
    assert value(metrics, "smgitops_last_success_timestamp_seconds") == 1717400000.0
    assert value(metrics, "smgitops_applied_revision_info", revision="abc123") == 1
    assert value(metrics, "smgitops_leader") == 1
    assert value(metrics, "smgitops_drift_corrections_total") == 2
    metrics.record_lease(False)
    assert value(metrics, "smgitops_leader") == 0
    metrics.record_reads_per_object("cheap", 0.25)
    metrics.record_reads_per_object("full", 1.5)
    assert value(metrics, "smgitops_resync_reads_per_object", read="cheap") == 0.25
    assert value(metrics, "smgitops_resync_reads_per_object", read="full") == 1.5
    metrics.record_shards(["dev", "registry"])
    metrics.record_shards(["dev", "prod"])
    held = {shard: value(metrics, "smgitops_shard_held", shard=shard) for shard in ("dev", "prod", "registry")}
    assert held == {"dev": 1, "prod": 1, "registry": 0}, "a shard let go of reads 0"


def test_each_metrics_has_its_own_registry():
    first, second = Metrics(), Metrics()
    first.record_lease(True)
    assert value(first, "smgitops_leader") == 1 and value(second, "smgitops_leader") == 0


def test_the_readme_metrics_table_lists_exactly_the_exposed_metrics():
    metrics = Metrics()
    metrics.record_revision("abc123")
    metrics.record_plan(Plan(revision="a", changes=(), in_sync_by={("prod", "pipeline"): 1}))
    metrics.record_reconcile(1.0, "applied")
    metrics.record_calls(CallCounts({"sts:AssumeRole": 1}))
    metrics.record_reads_per_object("cheap", 0.25)
    metrics.record_shards(["all"])
    suffix = {"counter": "_total", "info": "_info"}
    exposed = {family.name + suffix.get(family.type, "") for family in metrics.registry.collect()}
    section = read("docs/metrics.md")
    documented = set(re.findall(r"^\| `(smgitops_[a-z_]+)`", section, flags=re.MULTILINE))
    assert documented == exposed
    text = generate_latest(metrics.registry).decode()
    assert all(f"\n{name}" in text for name in documented)
