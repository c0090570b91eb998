"""Fixtures shared by every test area.

`emulator` is one moto server per test process (each xdist worker gets its own, on its own free port);
`aws` resets it before the test and hands out a fresh `Clients` pointed at it, on fake base credentials, so
tests need no AWS variables or files and cannot reach a real account.
"""

from __future__ import annotations

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
