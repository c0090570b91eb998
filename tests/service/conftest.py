"""Fixtures of the service tests: a moto server of their own and a seeded fleet (see `service_fleet`).

The subprocess tests get a moto server of their own (`service_emulator`, one per test process), so resets made
by other areas' tests never pull the accounts from under a controller that is still running.
"""

from __future__ import annotations

import fcntl
import os
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
def render_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One pipeline render cache for the test session (shared by xdist workers, and by the pipelines tests),
    in this process's environment so that the `smgitops run` subprocesses use it too."""
    root = tmp_path_factory.getbasetemp()
    shared = (root.parent if root.name.startswith("popen-gw") else root) / "pipeline-cache"
    shared.mkdir(exist_ok=True)
    previous = os.environ.get("SMGITOPS_CACHE_DIR")
    os.environ["SMGITOPS_CACHE_DIR"] = str(shared)
    yield shared
    if previous is None:
        os.environ.pop("SMGITOPS_CACHE_DIR", None)
    else:
        os.environ["SMGITOPS_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def example_state() -> DesiredState:
    state = load(EXAMPLE, revision="example").state
    assert state is not None
    return state


@pytest.fixture(scope="session")
def rendered_example(render_cache: Path, example_state: DesiredState) -> DesiredState:
    """The example with its pipelines rendered into the cache, so the subprocesses start warm. A lock makes
    one test process render cold while the other waits for the result instead of rendering it too."""
    from controller.service.loop import render_problems

    with open(render_cache / ".warming.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert render_problems(example_state) == []
    return example_state


@pytest.fixture
def fleet(service_emulator: Emulator, rendered_example: DesiredState, tmp_path: Path) -> Iterator[Fleet]:
    service_emulator.reset()
    created = Fleet(service_emulator, tmp_path, rendered_example)
    try:
        created.seed()
        yield created
    finally:
        created.close()
