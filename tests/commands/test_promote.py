"""`smgitops promote` writes the one-line edit: along the path from git alone, for the first environment from
the registry (the newest version meeting its thresholds); bad requests are one line and exit 1."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from controller.aws.emulator import put_json, register_version
from controller.commands.demo import registry_bucket
from controller.main import main

EXAMPLE = Path(__file__).resolve().parents[2] / "desired_state"


@pytest.fixture
def desired(tmp_path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "desired_state")
    return tmp_path / "desired_state"


def test_promoting_along_the_path_takes_the_source_environments_version(desired, capsys):
    before = (desired / "staging" / "churn.yaml").read_text()
    assert main(["promote", "churn", "--to", "staging", "--dir", str(desired)]) == 0
    assert capsys.readouterr().out == f"{desired}/staging/churn.yaml: approvedVersion 7 -> 8\n"
    after = (desired / "staging" / "churn.yaml").read_text()
    assert after == before.replace("approvedVersion: 7", "approvedVersion: 8")
    assert main(["promote", "churn", "--to", "staging", "--dir", str(desired)]) == 0
    assert "already declares approvedVersion 8; nothing to change" in capsys.readouterr().out


def test_the_first_environment_gets_the_newest_version_meeting_its_threshold(
    desired, aws, fleet, emulator, capsys, monkeypatch
):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}.items():
        monkeypatch.setenv(name, value)
    bucket = registry_bucket(fleet)
    register_version(aws, fleet.registry, group="churn", number=9, bucket=bucket)
    register_version(aws, fleet.registry, group="churn", number=10, bucket=bucket)
    put_json(aws, fleet.registry, bucket=bucket, key="churn/10/evaluation.json",
             document={"regression_metrics": {"mse": {"value": 12.5}}})  # dev allows mse up to 12
    code = main(["--endpoint-url", emulator.url, "promote", "churn", "--to", "dev", "--dir", str(desired)])
    assert (code, capsys.readouterr().out) == (0, f"{desired}/dev/churn.yaml: approvedVersion 8 -> 9\n")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["churn", "--to", "qa"], "{d}/qa/churn.yaml: no such deployment file"),
        (
            ["churn", "--to", "prod", "--version", "5"],
            "{d}/prod/churn.yaml:5:19: rejectedVersions: version 5 is rejected",
        ),
    ],
)
def test_a_request_that_cannot_be_written_is_one_line_and_exit_1(desired, capsys, arguments, message):
    assert main(["promote", *arguments, "--dir", str(desired)]) == 1
    assert capsys.readouterr().err == message.format(d=desired) + "\n"
