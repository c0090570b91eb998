"""Fixtures of the service tests: a moto server of their own and a seeded fleet (see `service_fleet`).

The subprocess tests get a moto server of their own (`service_emulator`, one per test process), so resets made
by other areas' tests never pull the accounts from under a controller that is still running.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from service_fleet import EXAMPLE, Fleet

from controller.aws.emulator import Emulator
from controller.desired import load
from controller.desired.model import DesiredState


@pytest.fixture(scope="session")
def service_emulator() -> Iterator[Emulator]:
    with Emulator() as running:
        yield running


@pytest.fixture(scope="session")
def example_state() -> DesiredState:
    """The example desired state, its pipelines rendered once so the subprocesses find them in the cache."""
    from controller.service.loop import render_problems

    state = load(EXAMPLE, revision="example").state
    assert state is not None
    assert render_problems(state) == []
    return state


@pytest.fixture
def fleet(service_emulator: Emulator, example_state: DesiredState, tmp_path: Path) -> Iterator[Fleet]:
    service_emulator.reset()
    created = Fleet(service_emulator, tmp_path, example_state)
    try:
        created.seed()
        yield created
    finally:
        created.close()
