"""Fixtures shared by every test area.

`emulator` is one moto server per test process (each xdist worker gets its own, on its own free port);
`aws` resets it before the test and hands out a fresh `Clients` pointed at it, on fake base credentials, so
tests need no AWS variables or files and cannot reach a real account.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from gitlabapi.fixtures import gitlab_api  # noqa: F401  (the test GitLab, for every area)

from controller.aws.clients import Clients
from controller.aws.emulator import Emulator
from controller.commands.demo import seed_example
from controller.desired import load


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with Emulator() as running:
        yield running


@pytest.fixture
def aws(emulator: Emulator) -> Iterator[Clients]:
    emulator.reset()
    with emulator.clients(region="us-east-1") as clients:
        yield clients


@pytest.fixture
def aws_one_attempt(emulator: Emulator) -> Iterator[Clients]:
    """Like `aws`, but every call is tried once: for tests that expect an error, so retries don't slow them."""
    emulator.reset()
    with emulator.clients(region="us-east-1", max_attempts=1) as clients:
        yield clients


EXAMPLE = Path(__file__).resolve().parents[1] / "desired_state"


@pytest.fixture
def example_state():
    """The example desired state of the repository, loaded and valid."""
    loaded = load(EXAMPLE, revision="rev1")
    assert loaded.problems == ()
    return loaded.state


@pytest.fixture
def fleet(aws: Clients, example_state):
    """The emulated accounts' starting point for the example: buckets and registry versions. Yields the state."""
    seed_example(aws, example_state)
    return example_state


@pytest.fixture
def smgitops(emulator, tmp_path):
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
