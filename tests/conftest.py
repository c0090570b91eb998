"""Fixtures shared by every test area.

`emulator` is one moto server per test process (each xdist worker gets its own, on its own free port);
`aws` resets it before the test and hands out a fresh `Clients` pointed at it, on fake base credentials, so
tests need no AWS variables or files and cannot reach a real account.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from controller.aws.clients import Clients
from controller.aws.emulator import Emulator


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
