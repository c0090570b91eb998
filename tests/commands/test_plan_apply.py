"""`smgitops plan` and `apply` as a user runs them: real subprocesses against the emulator over HTTP."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from controller.aws import console

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def desired(tmp_path, fleet) -> Path:
    directory = tmp_path / "desired_state"
    shutil.copytree(ROOT / "desired_state", directory)
    return directory


def pipelines_in(aws, state, environment: str) -> list[str]:
    target = state.environments[environment].target
    summaries = aws.client("sagemaker", target).list_pipelines()["PipelineSummaries"]
    return sorted(item["PipelineName"] for item in summaries)


def test_plan_apply_plan_exit_codes(smgitops, desired, aws, fleet):
    first = smgitops("plan", "--detailed-exitcode", str(desired))
    assert first.returncode == 2, first.stderr
    assert "+ pipeline churn-batch-inference" in first.stdout
    applied = smgitops("apply", "--yes", "--stats", str(desired))
    assert applied.returncode == 0, applied.stderr
    assert "Apply complete: 33 applied, 0 failed, 0 skipped." in applied.stdout
    assert "AWS calls:" in applied.stderr
    assert pipelines_in(aws, fleet, "prod") == ["churn-batch-inference", "ltv-batch-inference"]
    second = smgitops("plan", "--detailed-exitcode", str(desired))
    assert second.returncode == 0, second.stdout + second.stderr
    assert "No changes." in second.stdout


def test_invalid_files_stop_everything_with_one_line_each(smgitops, desired, aws, fleet):
    path = desired / "prod" / "churn.yaml"
    path.write_text(path.read_text().replace("schedule: cron(0 4 * * ? *)", "schedule: cron(0 4 * * *)"))
    result = smgitops("apply", "--yes", str(desired))
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"{desired}/prod/churn.yaml:9:13: batchInference.schedule: ")
    assert "Traceback" not in result.stderr
    assert pipelines_in(aws, fleet, "dev") == [] and pipelines_in(aws, fleet, "prod") == []


def test_unknown_version_is_one_line_and_nothing_is_written(smgitops, desired, aws, fleet):
    path = desired / "prod" / "churn.yaml"
    path.write_text(path.read_text().replace("approvedVersion: 7", "approvedVersion: 42"))
    result = smgitops("apply", "--yes", str(desired))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{desired}/prod/churn.yaml:4:18: approvedVersion: version 42 does not exist in model package group churn "
        "(account 111111111111)",
        "apply: 1 error(s); nothing was written",
    ]
    assert pipelines_in(aws, fleet, "dev") == []


def test_apply_refuses_to_run_unattended_without_yes(smgitops, desired, aws, fleet):
    result = smgitops("apply", str(desired))
    assert result.returncode == 1
    assert result.stderr.strip() == "apply: not on a terminal; pass --yes to apply without confirmation"
    assert pipelines_in(aws, fleet, "dev") == []


def test_a_saved_plan_applies_exactly_and_is_refused_once_live_state_moved(smgitops, desired, aws, fleet, tmp_path):
    assert smgitops("apply", "--yes", str(desired)).returncode == 0
    console.set_approval(aws, fleet.registry, group="churn", version=3)
    saved = tmp_path / "plan.json"
    assert smgitops("plan", "--out", str(saved), str(desired)).returncode == 0
    console.set_approval(aws, fleet.registry, group="churn", version=4)
    refused = smgitops("apply", "--plan", str(saved), str(desired))
    assert refused.returncode == 1
    assert "the saved plan is stale, nothing was written: registry/approval/churn/4: needs a change" in refused.stderr
    assert console.approval_status(aws, fleet.registry, group="churn", version=3) == "Approved"
    assert smgitops("plan", "--out", str(saved), str(desired)).returncode == 0
    exact = smgitops("apply", "--plan", str(saved), str(desired))
    assert exact.returncode == 0, exact.stderr
    assert console.approval_status(aws, fleet.registry, group="churn", version=3) == "PendingManualApproval"


def test_json_and_markdown_formats(smgitops, desired, fleet):
    as_json = smgitops("plan", "--calls-per-second", "0", "--format", "json", str(desired))
    document = json.loads(as_json.stdout)
    schema = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(document)
    assert document["summary"]["create"] == 29
    markdown = smgitops("plan", "--format", "markdown", "--env", "prod", "--model", "ltv", str(desired))
    assert markdown.stdout.startswith("### smgitops plan for ")
    assert "#### prod — account `333333333333`, us-east-1" in markdown.stdout
    assert "churn-batch-inference" not in markdown.stdout


@pytest.mark.parametrize(("answer", "applied"), [("no", False), ("yes", True)])
def test_apply_on_a_terminal_asks_and_only_yes_applies(emulator, desired, aws, fleet, tmp_path, answer, applied):
    import pty

    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
                       AWS_ENDPOINT_URL=emulator.url, AWS_CONFIG_FILE=os.devnull,
                       AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    controller, terminal = pty.openpty()
    os.write(controller, f"{answer}\n".encode())
    result = subprocess.run([sys.executable, "-m", "controller.main", "apply", str(desired)], env=environment,
                            cwd=tmp_path, stdin=terminal, capture_output=True, text=True, timeout=300, check=False)
    os.close(controller)
    os.close(terminal)
    assert result.returncode == 0, result.stderr
    assert "Apply these changes? Only 'yes' is accepted: " in result.stdout
    assert ("Apply complete: 33 applied" in result.stdout) is applied
    assert ("apply: not confirmed; nothing was written" in result.stdout) is not applied
    assert (pipelines_in(aws, fleet, "prod") != []) is applied


def test_detailed_exitcode_is_2_whenever_the_plan_shows_a_difference_even_a_held_one(smgitops, desired, aws, fleet):
    assert smgitops("apply", "--yes", str(desired)).returncode == 0
    assert smgitops("plan", "--detailed-exitcode", str(desired)).returncode == 0
    # prod has drift: warn, so this change is only reported: a difference all the same.
    console.edit_schedule(aws, fleet.environments["prod"].target, group="smgitops-prod", name="ltv-batch-inference",
                          ScheduleExpression="cron(0 9 * * ? *)")
    drifted = smgitops("plan", "--detailed-exitcode", str(desired))
    assert drifted.returncode == 2, drifted.stdout + drifted.stderr
    assert "~ schedule ltv-batch-inference  (drift" in drifted.stdout and "1 reported, not applied" in drifted.stdout
    applied = smgitops("apply", "--yes", str(desired))
    assert applied.returncode == 0
    still = smgitops("plan", "--detailed-exitcode", "--env", "prod", str(desired))
    assert still.returncode == 2, still.stdout
    assert smgitops("plan", "--detailed-exitcode", "--env", "dev", str(desired)).returncode == 0
