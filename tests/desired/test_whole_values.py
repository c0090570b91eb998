"""Every string of a desired-state file is checked whole: a value or key with a newline at its end, or a
control character anywhere, is refused at that field. Built from every string and key of the examples."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from controller.desired.loader import load
from controller.desired.problems import Problem, breadcrumb, control_character

EXAMPLES = Path(__file__).resolve().parents[2] / "desired_state"
FILES = ["environments.yaml", *sorted(str(path.relative_to(EXAMPLES)) for path in EXAMPLES.glob("*/*.yaml"))]
CONTROLS = ["\n", "\r", "\t", "\x00", "\x1b[31m", "\x7f", "\x85", "\u2028", "\u202e", "\ufeff"]


def _strings(data, path=()):
    """(path, is_key) of every string value and every mapping key."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield [*path, key], True
            yield from _strings(value, [*path, key])
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, [*path, index])
    elif isinstance(data, str):
        yield list(path), False


def _spoiled(data, path, is_key, spoil):
    *parents, last = path
    holder = data
    for part in parents:
        holder = holder[part]
    if is_key:
        holder[spoil(last)] = holder.pop(last)
    else:
        holder[last] = spoil(holder[last])


CASES = [
    pytest.param(file, path, is_key, CONTROLS[number % len(CONTROLS)], id=f"{file}:{breadcrumb(path)}:{is_key}")
    for file in FILES
    for number, (path, is_key) in enumerate(_strings(yaml.safe_load((EXAMPLES / file).read_text())))
    if path[-1] != "model" or is_key  # the model name is also the file name: checked by the next case
]


@pytest.mark.parametrize("file, path, is_key, control", CASES)
def test_a_value_ending_in_a_newline_or_holding_a_control_character_is_refused(tmp_path, file, path, is_key, control):
    for spoil in (lambda text: text + "\n", lambda text: text[:1] + control + text[1:]):
        root = tmp_path / spoil("x").strip().replace("\x00", "0").replace("/", "_")[:1]
        shutil.copytree(EXAMPLES, root)
        data = yaml.safe_load((root / file).read_text())
        _spoiled(data, path, is_key, spoil)
        (root / file).write_text(yaml.safe_dump(data, allow_unicode=False))

        result = load(root)

        assert not result.ok, f"{spoil('value')!r} at {breadcrumb(path)} in {file} was accepted"
        shutil.rmtree(root)


@given(path=st.text(), breadcrumb_text=st.text(), message=st.text())
def test_a_problem_prints_as_exactly_one_line_whatever_its_names_hold(path, breadcrumb_text, message):
    line = str(Problem(path, 1, 2, breadcrumb_text, message))
    assert len(line.splitlines()) == 1
    assert ":1:2: " in line and not any(control_character(char) for char in line)
    shown = line.split(":1:2: ")[0]
    assert shown == path or (shown.startswith('"') and shown.endswith('"'))
