"""Every number a desired-state file may hold is bounded in the schema, so no valid file carries a number the
engine cannot compute with; and the largest valid change window is evaluated without error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from controller.desired.model import ChangeWindow
from controller.desired.schemacheck import schemas
from controller.engine.windows import is_open, next_open, window_hold


def _numeric_schemas(node, path="#"):
    if isinstance(node, dict):
        types = node.get("type")
        types = types if isinstance(types, list) else [types]
        if any(kind in ("integer", "number") for kind in types):
            yield path, node
        for key, value in node.items():
            yield from _numeric_schemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _numeric_schemas(value, f"{path}/{index}")


NUMBERS = [(name, path, node) for name, schema in schemas().items() for path, node in _numeric_schemas(schema)]


def test_the_schemas_have_numbers():
    assert len(NUMBERS) >= 10


@pytest.mark.parametrize(("name", "path", "node"), NUMBERS, ids=[f"{name}{path}" for name, path, _ in NUMBERS])
def test_every_number_has_a_lower_and_an_upper_bound(name, path, node):
    assert {"minimum", "exclusiveMinimum"} & set(node), f"{name} {path} has no lower bound"
    assert {"maximum", "exclusiveMaximum"} & set(node), f"{name} {path} has no upper bound"
    assert abs(node.get("maximum", node.get("exclusiveMaximum"))) <= 2**53


@pytest.mark.parametrize("schedule", ["cron(0 9 * * ? *)", "cron(0 9 ? * MON#1 *)", "cron(0 0 29 2 ? *)"])
def test_the_longest_valid_window_is_evaluated(schedule):
    window = ChangeWindow(schedule, 366 * 24 * 60, "Pacific/Kiritimati")
    now = datetime(2199, 12, 31, 23, 59, tzinfo=UTC)
    assert is_open([window], now) is (next_open([window], now) == now)
    early = window_hold([window], datetime(1970, 1, 1, 0, 1, tzinfo=UTC))
    assert early is None or early.startswith("outside change window (next opens 19")
