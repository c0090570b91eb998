"""Promotion rules against the emulator: promotesFrom, minSoak and the quality gate refuse a new approvedVersion
with a located error naming the rule; an override passes them and the registry keeps its reason; an environment
adopted with the versions it runs today is not refused."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import converge

from controller.aws.emulator import register_version
from controller.commands.demo import registry_bucket, seed_example
from controller.desired import load
from controller.desired.edit import set_approved_version
from controller.engine.reconcile import make_plan, reconcile
from controller.engine.reports import render

pytestmark = pytest.mark.aws

STAGING = "desired_state/staging/churn.yaml"

EXAMPLE = Path(__file__).resolve().parents[2] / "desired_state"


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "desired_state")
    monkeypatch.chdir(tmp_path)
    return Path("desired_state")


def state_at(repo: Path, revision: str):
    loaded = load(repo, revision=revision)
    assert loaded.problems == ()
    return loaded.state


def edit(path: str, old: str, new: str) -> None:
    text = Path(path).read_text()
    assert old in text
    Path(path).write_text(text.replace(old, new, 1))


def package(aws, state, version: int) -> dict:
    arn = state.model_package_arn(state.deployments[0], version)
    return aws.client("sagemaker", state.registry).describe_model_package(ModelPackageName=arn)


@pytest.fixture
def adopted(aws, repo):
    """The example applied once (staging runs 7, which dev never ran: adoption is not judged); version 9 exists."""
    state = state_at(repo, "rev1")
    seed_example(aws, state)
    outcome, _ = converge(state, aws)
    assert outcome.plan.errors == ()
    register_version(aws, state.registry, group="churn", number=9, bucket=registry_bucket(state))
    return state


def test_a_version_not_yet_in_dev_is_refused_for_staging_and_nothing_is_written(aws, repo, adopted):
    set_approved_version(STAGING, 9)
    before = aws.calls.snapshot()
    outcome = reconcile(state_at(repo, "rev2"), clients=aws)
    assert outcome.reason == "plan-error"
    assert outcome.plan.errors == (
        f"{STAGING}:4:18: approvedVersion: promotesFrom: version 9 of churn has never been approved in dev, "
        "which staging promotes from",
    )
    assert aws.calls.since(before).writes == 0


def test_a_version_dev_ran_before_may_go_to_staging_after_dev_moved_on(aws, repo, adopted):
    set_approved_version("desired_state/dev/churn.yaml", 9)
    converge(state_at(repo, "rev2"), aws)
    assert "smgitops/dev" not in package(aws, adopted, 8)["CustomerMetadataProperties"]
    set_approved_version(STAGING, 8)
    plan = make_plan(state_at(repo, "rev3"), clients=aws)
    assert plan.errors == () and plan.has_changes


def test_soak_time_refuses_a_version_approved_in_dev_too_recently(aws, repo):
    edit("desired_state/environments.yaml", "    promotesFrom: dev\n", "    promotesFrom: dev\n    minSoak: 24h\n")
    state = state_at(repo, "rev1")
    seed_example(aws, state)
    converge(state, aws)
    first = package(aws, state, 8)["CustomerMetadataProperties"]["smgitops/first-approved/dev"]
    approved_at = datetime.strptime(first.split()[0], "%Y-%m-%dT%H:%M:%S%z")
    assert first.split()[1] == "rev1" and abs(datetime.now(UTC) - approved_at) < timedelta(minutes=5)

    set_approved_version(STAGING, 8)
    promoted = state_at(repo, "rev2")
    eligible = approved_at + timedelta(days=1)
    soon = make_plan(promoted, clients=aws, now=approved_at + timedelta(hours=3, minutes=12))
    assert soon.errors == (
        f"{STAGING}:4:18: approvedVersion: minSoak: version 8 of churn was approved in dev 3h12m ago "
        f"({approved_at:%Y-%m-%d %H:%M} UTC); staging needs 1d (from {eligible:%Y-%m-%d %H:%M} UTC)",
    )
    later = make_plan(promoted, clients=aws, now=approved_at + timedelta(hours=25))
    assert later.errors == () and later.has_changes


def test_the_quality_gate_refuses_a_version_whose_registered_metric_misses_the_threshold(aws, repo, adopted):
    set_approved_version(STAGING, 8)
    edit(STAGING, "modelQuality: {metric: mse, max: 10.0}", "modelQuality: {metric: mse, max: 4.5}")
    plan = make_plan(state_at(repo, "rev2"), clients=aws)
    assert plan.errors == (
        f"{STAGING}:4:18: approvedVersion: modelQuality: version 8 of churn registered mse 5; "
        "staging requires mse at most 4.5",
    )


def test_an_override_passes_the_rules_shows_in_the_plan_and_is_recorded_on_the_version(aws, repo, adopted):
    set_approved_version(STAGING, 9)
    override = 'override: {reason: "dev is down; fix #412", by: Dana}\n'
    edit(STAGING, "rejectedVersions: [5]\n", f"rejectedVersions: [5]\n{override}")
    promoted = state_at(repo, "rev2")
    plan = make_plan(promoted, clients=aws)
    assert plan.errors == ()
    assert plan.overrides == (
        f"{STAGING}:4:18: approvedVersion: promotesFrom: version 9 of churn has never been approved in dev, "
        "which staging promotes from; passed by override (by Dana: dev is down; fix #412)",
    )
    assert re.search(r"^override: .*promotesFrom: .*passed by override \(by Dana", render(plan, "text"), re.M)
    converge(promoted, aws)
    version = package(aws, promoted, 9)
    assert version["CustomerMetadataProperties"]["smgitops/override/staging"] == "rev2 Dana: dev is down fix 412"
    assert version["CustomerMetadataProperties"]["smgitops/first-approved/staging"].endswith(" rev2")
    assert "override in staging by Dana: dev is down; fix #412" in version["ApprovalDescription"]


def test_a_rollback_to_a_version_the_environment_ran_before_is_not_refused(aws, repo, adopted):
    set_approved_version("desired_state/dev/churn.yaml", 9)
    set_approved_version(STAGING, 8)
    converge(state_at(repo, "rev2"), aws)
    set_approved_version(STAGING, 7)  # dev never ran 7, but staging did
    plan = make_plan(state_at(repo, "rev3"), clients=aws)
    assert plan.errors == () and plan.has_changes
