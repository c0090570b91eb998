"""Approval records follow the files: a model whose every file is removed gives its approvals back
(`PendingManualApproval`, no `smgitops/<env>` record left), versions approved by hand in groups no file names
are left alone, and a suspended environment keeps its record on the version it runs.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from helpers import converge

from controller.desired import load
from controller.engine.reconcile import make_plan, reconcile

pytestmark = pytest.mark.aws
EXAMPLE = Path(__file__).resolve().parents[2] / "desired_state"


def state_of(root: Path, revision: str):
    loaded = load(root, revision=revision)
    assert loaded.problems == (), loaded.problems
    return loaded.state


def package(aws, state, group: str, version: int) -> dict:
    sagemaker = aws.client("sagemaker", state.registry)
    return sagemaker.describe_model_package(ModelPackageName=_arn(state, group, version))


def _arn(state, group: str, version: int) -> str:
    return f"arn:aws:sagemaker:{state.registry.region}:{state.registry.account}:model-package/{group}/{version}"


def records(described: dict) -> dict[str, str]:
    metadata = described.get("CustomerMetadataProperties") or {}
    return {key: value for key, value in metadata.items() if re.fullmatch(r"smgitops/[a-z0-9-]+", key)
            and key not in ("smgitops/spec-hash", "smgitops/revision")}


@pytest.fixture
def tree(tmp_path, fleet):
    root = tmp_path / "desired_state"
    shutil.copytree(EXAMPLE, root)
    return root


@pytest.mark.parametrize(
    ("removed", "gone_groups"),
    [
        (["dev/churn.yaml", "staging/churn.yaml", "prod/churn.yaml"], {"churn"}),
        (["staging/ltv.yaml", "prod/ltv.yaml"], {"customer-ltv"}),
        (["dev/churn.yaml", "staging/churn.yaml", "prod/churn.yaml", "staging/ltv.yaml", "prod/ltv.yaml"],
         {"churn", "customer-ltv"}),
    ],
    ids=["churn", "ltv", "every model"],
)
def test_when_every_file_of_a_model_is_removed_its_approvals_are_given_back(aws, fleet, tree, removed, gone_groups):
    converge(fleet, aws)
    declared = {(d.model_package_group, d.approved_version) for d in fleet.deployments}
    gone = sorted((group, version) for group, version in declared if group in gone_groups)
    assert gone and all(records(package(aws, fleet, group, version)) for group, version in gone)
    sagemaker = aws.client("sagemaker", fleet.registry)
    hand_group = sorted(gone_groups)[0]
    by_hand = _arn(fleet, hand_group, 1)
    sagemaker.update_model_package(ModelPackageArn=by_hand, ModelApprovalStatus="Approved")  # not smgitops's

    for relative in removed:
        (tree / relative).unlink()
    state = state_of(tree, "files-removed")
    plan = make_plan(state, clients=aws)
    given_back = {change.name: change for change in plan.changes if change.kind == "approval"}
    assert {f"{group}/{version}" for group, version in gone} <= set(given_back)
    for group, version in gone:
        change = given_back[f"{group}/{version}"]
        assert (change.action, change.reason, change.hold) == ("update", "orphan", None)
        assert change.after == {"status": "PendingManualApproval", "environments": []}
    assert f"{hand_group}/1" not in given_back, "a version approved by hand is not smgitops's"

    converge(state, aws)
    for group, version in gone:
        described = package(aws, fleet, group, version)
        assert described["ModelApprovalStatus"] == "PendingManualApproval"
        assert records(described) == {}
    assert sagemaker.describe_model_package(ModelPackageName=by_hand)["ModelApprovalStatus"] == "Approved"


@pytest.mark.parametrize("how", ["environment", "deployment"])
@pytest.mark.parametrize("moves_to", [8, 6])
def test_a_suspended_environment_keeps_its_record_on_the_version_it_runs(aws, fleet, tree, how, moves_to):
    converge(fleet, aws)
    assert "smgitops/prod" in records(package(aws, fleet, "churn", 7))
    churn = tree / "prod" / "churn.yaml"
    text = churn.read_text().replace("approvedVersion: 7", f"approvedVersion: {moves_to}")
    if how == "deployment":
        text += "suspended: true\n"
    churn.write_text(text)
    if how == "environment":
        environments = tree / "environments.yaml"
        suspended = environments.read_text().replace("    drift: warn\n", "    drift: warn\n    suspended: true\n")
        environments.write_text(suspended)
    state = state_of(tree, "prod-suspended")

    outcome = reconcile(state, clients=aws)
    assert outcome.reason in ("applied", "held"), (outcome.reason, outcome.plan.errors)
    held = {change.name: change.hold for change in outcome.plan.changes if change.kind == "approval"}
    assert held.get("churn/7") and "suspended" in held["churn/7"]
    kept = package(aws, fleet, "churn", 7)
    assert kept["ModelApprovalStatus"] == "Approved" and "smgitops/prod" in records(kept)
