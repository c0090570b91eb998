"""The example fleet applied on the emulator with a few days of runs behind it, and the CLI pointed at it."""

from __future__ import annotations

import pytest
from fleet_runs import apply_with_runs


@pytest.fixture
def running_fleet(aws, fleet):
    """The example applied, with a few days of runs behind it (`fleet_runs.apply_with_runs`)."""
    apply_with_runs(aws, fleet)
    return fleet


@pytest.fixture
def cli(smgitops):
    return smgitops
