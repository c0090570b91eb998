"""`smgitops run` with GitLab configured answers a newly registered version (the `SageMaker Model Package State
Change` event on its queue) with a proposal for the first environment; a GitLab that cannot serve it yet is
logged without the token and tried again at the next resync, and the controller keeps running."""

from __future__ import annotations

import pytest
from service_fleet import EXAMPLE, package_state_change, send

from controller.aws.emulator import register_version

pytestmark = pytest.mark.aws
TOKEN = "glpat-service-secret"
DEV = "desired_state/dev/churn.yaml"


def registered(fleet, version: int) -> dict:
    """Training registers `version` of churn (mse 4.0: within dev's 12) and EventBridge says so."""
    registry = fleet.state.registry
    register_version(fleet.clients, registry, group="churn", number=version, bucket="registry-models")
    return package_state_change(fleet, group="churn", version=version, status="PendingManualApproval")


def test_a_registered_version_is_proposed_and_a_failure_is_retried(fleet, gitlab_api, monkeypatch):
    gitlab_api.add_user("smgitops", token=TOKEN)
    monkeypatch.setenv("SMGITOPS_GITLAB_TOKEN", TOKEN)
    controller = fleet.start(
        "--interval", "0.5", "--resync", "1", "--jitter", "0", "--queue-url", fleet.queue_url, "--queue-wait", "1",
        "--gitlab-url", gitlab_api.url, "--gitlab-project", "acme/ml-fleet",
    )
    controller.wait_for("reconciled", scope="full", outcome="applied", timeout=120)

    event = registered(fleet, 10)
    send(fleet, event)
    failed = controller.wait_for("proposal failed; tried again at the next resync", timeout=60)
    assert failed["environment"] == "dev" and "404 File Not Found" in failed["error"]

    files = {f"desired_state/{path.relative_to(EXAMPLE)}": path.read_bytes() for path in EXAMPLE.rglob("*.yaml")}
    gitlab_api.commit_files(gitlab_api.project, files, message="Declare the fleet")
    opened = controller.wait_for("proposal opened", after=failed["at"], timeout=60)

    [proposal] = [mr for mr in gitlab_api.merge_requests() if mr["source_branch"] == "smgitops/propose/dev/churn"]
    assert (opened["merge_request"], opened["version"]) == (proposal["iid"], 10)
    assert proposal["author"]["username"] == "smgitops"
    assert gitlab_api.file(gitlab_api.project, DEV, ref=proposal["source_branch"]) == files[DEV].replace(
        b"approvedVersion: 8\n", b"approvedVersion: 10\n"
    )
    assert "| `mse` | 4 | max 12 |" in proposal["description"]
    assert controller.process.poll() is None, "the controller keeps running"
    assert controller.stop() == 0
    assert TOKEN not in controller.tail(count=len(controller.lines))
