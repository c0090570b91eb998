"""`smgitops run` serves the dashboard on its health port: the fleet and the controller's own state (leader,
applied revision, last reconcile, rejected commits with their problems), `/api/status` as JSON; read-only."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import jsonschema
import pytest
from service_fleet import FAKE_AWS, replace

pytestmark = pytest.mark.aws

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "status.schema.json").read_text())


def test_the_running_controller_serves_its_dashboard(fleet):
    controller = fleet.start("--interval", "0.5", "--resync", "60", "--dashboard-refresh", "0")
    controller.wait_for("reconciled", scope="full", outcome="applied", timeout=60)
    applied = fleet.git("rev-parse", "HEAD")[:12]
    broken = fleet.commit("Typo", {"staging/churn.yaml": replace(r"^approvedVersion: 7$", "approvedVersion: seven")})
    controller.wait_for("revision rejected: its files do not validate", rejected=broken, timeout=10)

    code, page = controller.http("/")
    assert code == 200 and "Reading live state" in page  # the first look starts the first read
    deadline = time.monotonic() + 30
    while "cell-prod-churn" not in page and time.monotonic() < deadline:
        time.sleep(0.2)
        page = controller.http("/")[1]
    assert '<td id="cell-prod-churn" class="cell sync-synced"' in page
    assert "<tr><th>lease</th><td>leader</td></tr>" in page
    assert f"<tr><th>applied revision</th><td><code>{applied}</code></td></tr>" in page
    assert f"Rejected commit <code>{broken}</code>" in page
    assert "desired_state/staging/churn.yaml:4:18: approvedVersion: expected an integer, got &#x27;seven&#x27;" in page
    assert all(value not in page for value in FAKE_AWS.values() if len(value) > 5)  # no credentials shown

    code, body = controller.http("/api/status")
    document = json.loads(body)
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    assert code == 200 and document["revision"] == applied and document["summary"]["synced"] == 5
    assert controller.http("/deployments/prod/churn")[0] == 200
    assert controller.http("/deployments/prod/fraud")[0] == 404

    bound = controller.wait_for("health server")
    request = urllib.request.Request(f"http://{bound['address']}:{bound['port']}/", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 501
    assert controller.stop() == 0
