"""`smgitops demo` tells the whole story on its embedded emulator, with no AWS credentials or network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_runs_the_story_end_to_end(tmp_path):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment["HOME"] = str(tmp_path)  # no ~/.aws either
    result = subprocess.run(
        [sys.executable, "-m", "controller.main", "demo", str(ROOT / "desired_state")],
        env=environment, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    story = result.stdout + result.stderr
    for line in (
        "Plan: 29 to create, 4 to update, 0 to delete.",
        "Apply complete: 33 applied, 0 failed, 0 skipped.",
        "-approvedVersion: 8",
        "+approvedVersion: 9",
        "| `~` | pipeline | `churn-batch-inference` | desired-change in `dev/churn.yaml` |",
        "desired_state/prod/churn.yaml:4:18: approvedVersion: promotesFrom: version 9 of churn has never been "
        "approved in staging, which prod promotes from",
        "  ~ schedule churn-batch-inference  (drift, staging/churn.yaml)",
        "churn version 2 is PendingManualApproval again.",
    ):
        assert line in story, line
    assert "No changes. 33 objects match revision " in story
    table = story.split("$ smgitops status desired_state\n", 1)[1].splitlines()
    assert table[2].split() == ["ENVIRONMENT", "MODEL", "VERSION", "SYNC", "LAST", "RUN", "DATA", "QUALITY", "MODEL",
                                "QUALITY", "NEXT", "RUN"]
    prod_churn = next(row for row in table[3:8] if row.startswith("prod         churn"))
    assert " 7        synced  Failed " in prod_churn and "mse 11.2 <=10 FAILED" in prod_churn
    assert prod_churn.endswith(" 04:00 Europe/Berlin")
    assert "  dev/churn: awaiting approval: version 10" in table
