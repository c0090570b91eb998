"""`smgitops validate`: the exit code, the summary line, the problem lines and their count."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from controller.main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "desired_state"


@pytest.fixture
def desired_state(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "desired_state"
    shutil.copytree(EXAMPLES, root)
    monkeypatch.chdir(tmp_path)
    return root


def test_valid_files_give_one_summary_line_and_exit_0(desired_state, capsys):
    exit_code = main(["validate"])

    captured = capsys.readouterr()
    assert exit_code == 0
    assert captured.out == "desired_state: 3 environments, 5 deployments, all valid\n"
    assert captured.err == ""


def test_the_directory_is_shown_as_given(desired_state, capsys):
    (desired_state / "prod" / "ltv.yaml").unlink()
    (desired_state / "staging" / "ltv.yaml").unlink()
    (desired_state / "prod" / "churn.yaml").unlink()
    (desired_state / "staging" / "churn.yaml").unlink()

    exit_code = main(["validate", "./desired_state/"])

    assert exit_code == 0
    assert capsys.readouterr().out == "desired_state: 3 environments, 1 deployment, all valid\n"


def test_every_problem_of_every_file_at_once_sorted(desired_state, capsys):
    churn = desired_state / "prod" / "churn.yaml"
    churn.write_text(churn.read_text().replace("approvedVersion: 7", "approvedVersion: seven"))
    (desired_state / "dev" / "notes.txt").write_text("todo\n")
    environments = desired_state / "environments.yaml"
    environments.write_text(environments.read_text().replace("drift: warn", "drift: loud"))

    exit_code = main(["validate", "desired_state"])

    captured = capsys.readouterr()
    assert exit_code == 1
    assert captured.out.splitlines() == [
        "desired_state/dev/notes.txt:1:1: (file): unexpected file: an environment directory holds only <model>.yaml"
        " files",
        "desired_state/environments.yaml:34:12: environments.prod.drift: must be one of: enforce, warn, ignore",
        "desired_state/prod/churn.yaml:4:18: approvedVersion: expected an integer, got 'seven'",
    ]
    assert captured.err == "3 problems\n"


def test_the_console_script_never_prints_a_traceback(tmp_path):
    junk = tmp_path / "junk"
    (junk / "prod").mkdir(parents=True)
    (junk / "environments.yaml").write_bytes(b"\x00\xff" * 64)
    (junk / "prod" / "churn.yaml").write_text("a: &a [*a]\n")

    completed = subprocess.run(
        [sys.executable, "-m", "controller.main", "validate", str(junk)], capture_output=True, text=True, timeout=60
    )

    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert completed.stdout.splitlines() == [
        f"{junk}/environments.yaml:1:2: (file): not valid UTF-8 (byte 0xff); save the file as UTF-8 text",
        f"{junk}/prod/churn.yaml:1:8: (yaml): alias '*a' refers to itself",
    ]


@pytest.mark.parametrize("account", ["444444444444", "999999999999", "333333333333"])
def test_a_registry_no_environment_shares_is_noted_where_no_rule_can_announce_versions(desired_state, capsys, account):
    region = "us-east-1"
    environments = desired_state / "environments.yaml"
    text = environments.read_text()
    registry, rest = text.split("environments:", 1)
    registry = registry.replace('account: "111111111111"', f'account: "{account}"').replace(
        "arn:aws:iam::111111111111:", f"arn:aws:iam::{account}:"
    )
    environments.write_text(registry + "environments:" + rest)

    assert main(["validate"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "desired_state: 3 environments, 5 deployments, all valid"
    assert lines[1:] == [
        "note: dev/churn.yaml: notifications: no rule announces new churn versions awaiting approval: SageMaker "
        f"emits version events only in the registry's account ({account}, {region}), where dev is not; forward "
        "them to the controller's --queue-url, which then announces them to churn-alerts"
    ]
