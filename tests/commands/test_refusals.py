"""Bad command lines and bad saved plans: one line, exit 1, before any account is read, never a traceback, and
never the exit code 2 that `plan --detailed-exitcode` gives a plan with differences."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from controller.commands.common import calls_per_second
from controller.main import main

ROOT = Path(__file__).resolve().parents[2]
NOWHERE = "http://127.0.0.1:9"  # any AWS call would fail here, with a different message


@pytest.fixture
def desired(tmp_path) -> Path:
    directory = tmp_path / "desired_state"
    shutil.copytree(ROOT / "desired_state", directory)
    return directory


@pytest.mark.parametrize("rate", ["-1", "nan", "NaN", "inf", "-inf", "1e-9", "0.05", "10001", "1e308", "fast", ""])
def test_calls_per_second_refuses_what_would_hang_or_mean_nothing(rate):
    with pytest.raises(argparse.ArgumentTypeError):
        calls_per_second(rate)


@pytest.mark.parametrize(("rate", "value"), [("0", 0.0), ("0.1", 0.1), ("20", 20.0), ("10000", 10000.0)])
def test_calls_per_second_accepts_no_limit_and_sane_rates(rate, value):
    assert calls_per_second(rate) == value


@pytest.mark.parametrize("verb", ["plan", "apply"])
@pytest.mark.parametrize("rate", ["-1", "nan", "1e-300"])
def test_a_bad_rate_is_a_usage_error_that_exits_1(capsys, desired, verb, rate):
    with pytest.raises(SystemExit) as raised:
        main([verb, f"--calls-per-second={rate}", str(desired)])
    assert raised.value.code == 1
    assert capsys.readouterr().err.splitlines()[-1].startswith(f"smgitops {verb}: error: argument --calls-per-second")


def test_usage_errors_never_exit_2(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["plan", "--detailed-exitcode", "--format", "yaml"])
    assert raised.value.code == 1


@pytest.mark.parametrize(
    ("arguments", "line"),
    [
        (["--model", "typo"], "--model typo: no deployment file in {d} declares this model"),
        (["--model", "churn", "--model", "Churn"], "--model Churn: no deployment file in {d} declares this model"),
        (["--env", "prod", "--model", "fraud"], "--model fraud: no deployment file in {d} declares this model"),
        (["--env", "qa"], "--env qa: no such environment in {d}/environments.yaml"),
    ],
)
@pytest.mark.parametrize("verb", ["plan", "apply"])
def test_an_unknown_selection_exits_1_with_one_line(capsys, desired, verb, arguments, line):
    code = main(["--endpoint-url", NOWHERE, verb, "--yes" if verb == "apply" else "--stats", *arguments, str(desired)])
    assert (code, capsys.readouterr().err.splitlines()) == (1, [line.format(d=desired)])


@pytest.mark.parametrize(
    ("out", "line"),
    [
        ("missing/plan.json", "plan --out {out}: no such directory: {parent}"),
        ("", "plan --out {out}: is a directory; give a file name"),
        ("desired_state/prod/churn.yaml/plan.json", "plan --out {out}: no such directory: {parent}"),
    ],
)
def test_plan_out_is_checked_before_any_account_is_read(capsys, desired, tmp_path, out, line):
    path = str(tmp_path / out) if out else str(tmp_path)
    code = main(["--endpoint-url", NOWHERE, "plan", "--out", path, str(desired)])
    expected = line.format(out=path, parent=str(Path(path).parent))
    assert (code, capsys.readouterr().err.splitlines()) == (1, [expected])


def _plan(**changes) -> str:
    document = {
        "format": 1, "revision": "abc", "environments": ["dev"], "errors": [], "overrides": [], "changes": [],
        "summary": {"create": 0, "update": 0, "delete": 0, "held": 0, "in_sync": 0},
    }
    return json.dumps({**document, **changes})


CHANGE = {
    "address": "dev/topic/t", "kind": "topic", "name": "t", "environment": "dev", "action": "create",
    "target": {"account": "111111111111", "region": "us-east-1", "role": "arn:aws:iam::111111111111:role/r"},
    "reason": "desired-change", "source": "dev/churn.yaml", "before": None, "after": {}, "diff": [], "model": "churn",
    "hold": None, "payload": {},
}
BAD_PLANS = {
    "deeply nested": '{"format": 1, "changes": ' + "[" * 50000 + "]" * 50000 + "}",
    "nested past the limit": _plan(changes=[{**CHANGE, "after": json.loads('{"a":' * 100 + "1" + "}" * 100)}]),
    "revision a number": _plan(revision=7),
    "changes a mapping": _plan(changes={"a": 1}),
    "change a list": _plan(changes=[[1, 2]]),
    "target a string": _plan(changes=[{**CHANGE, "target": "111111111111"}]),
    "diff items strings": _plan(changes=[{**CHANGE, "diff": ["x"]}]),
    "unknown action": _plan(changes=[{**CHANGE, "action": "explode"}]),
    "extra field in a change": _plan(changes=[{**CHANGE, "extra\n/tmp/x:1:1: forged": 1}]),
    "summary missing": json.dumps({"format": 1, "revision": "abc"}),
    "not JSON": "{format: 1",
    "a list": "[1, 2]",
    "huge number": '{"format": 1e999999}',
    "not UTF-8": b"\xff\xfe{".decode("latin-1"),
}


@pytest.mark.parametrize("content", BAD_PLANS.values(), ids=BAD_PLANS.keys())
def test_a_malformed_saved_plan_is_one_line(capsys, desired, tmp_path, content):
    saved = tmp_path / "plan.json"
    saved.write_text(content, encoding="latin-1")
    code = main(["--endpoint-url", NOWHERE, "apply", "--plan", str(saved), str(desired)])
    [line] = capsys.readouterr().err.splitlines()
    assert code == 1 and line.startswith(f"{saved}: cannot read the saved plan: ")


def test_a_saved_plan_that_is_a_directory_is_one_line(capsys, desired, tmp_path):
    code = main(["--endpoint-url", NOWHERE, "apply", "--plan", str(tmp_path), str(desired)])
    [line] = capsys.readouterr().err.splitlines()
    assert code == 1 and line.startswith(f"{tmp_path}: cannot read the saved plan: ")
