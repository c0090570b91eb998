"""`checkov -d terraform` finds nothing: every check passes or is skipped inline, next to the resource, with the
reason it does not apply. checkov lives in `.tools/checkov` (`make tools`): it pins a boto3 older than the
SageMaker SDK accepts, so it cannot share the test virtualenv."""

from __future__ import annotations

import json
import subprocess

from terraformrun import REPOSITORY, workspace

CHECKOV = REPOSITORY / ".tools" / "checkov" / "bin" / "checkov"


def test_checkov_reports_no_failed_check_and_every_skip_has_a_reason(tmp_path):
    assert CHECKOV.exists(), "run `make tools` (make test does)"
    copy = workspace(tmp_path)
    completed = subprocess.run(
        [str(CHECKOV), "-d", str(copy), "--framework", "terraform", "--skip-download", "--compact", "-o", "json"],
        capture_output=True, text=True, check=False,
    )
    report = json.loads(completed.stdout)
    summary = report["summary"]
    failed = [f"{item['check_id']} {item['resource']}" for item in report["results"]["failed_checks"]]
    assert summary["failed"] == 0 and summary["parsing_errors"] == 0, "\n".join(failed)
    assert summary["passed"] > 100 and summary["resource_count"] > 50
    for item in report["results"]["skipped_checks"]:
        assert len(item["check_result"].get("suppress_comment", "")) > 20, f"{item['check_id']} {item['resource']}"
