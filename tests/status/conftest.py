"""The example fleet applied on the emulator with a few days of runs behind it, and the CLI pointed at it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from fleet_runs import apply_with_runs


@pytest.fixture
def running_fleet(aws, fleet):
    """The example applied, with a few days of runs behind it (`fleet_runs.apply_with_runs`)."""
    apply_with_runs(aws, fleet)
    return fleet


@pytest.fixture
def cli(emulator, tmp_path):
    """Run `smgitops ARGS...` as a user would, against the emulator; returns the completed process."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=emulator.url,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )

    def run(*arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "controller.main", *arguments], env=environment, cwd=tmp_path,
            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300, check=False,
        )

    run.environment = environment
    return run
