"""The corpus: broken (and a few odd but valid) desired states, each with the exact lines `validate` prints.

Cases live in `corpus/*.yaml` as edits of a copy of `desired_state/` plus the expected output; adding a case
is adding a few lines of YAML there.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from corpus_edits import build

from controller.main import main

CORPUS = Path(__file__).parent / "corpus"
CASES = [
    pytest.param(case, id=f"{file.stem}: {case['case']}")
    for file in sorted(CORPUS.glob("*.yaml"))
    for case in yaml.safe_load(file.read_text(encoding="utf-8"))
]
# One fragment of the message of every rule; each must be produced by at least one case.
RULES = [
    "no such directory", "not a directory", "missing: a desired-state directory", "unexpected file",
    "misplaced: a deployment file", "desired-state files end in .yaml", "unexpected directory",
    "unknown environment", "file is empty", "not valid UTF-8", "UTF-16", "control character",
    "a tab cannot indent", "invalid YAML", "duplicate key", "one YAML document",
    "once aliases are expanded", "refers to itself", "has no anchor", "larger than", "nested more than",
    "unsupported tag", "a key must be plain text", "cannot read",
    "unknown field", "did you mean", "missing required field", "must be one of", "expected an integer",
    "which YAML reads as a number; quote it", "12-digit AWS account id", "AWS region", "IAM role ARN",
    "environment name", "reserved", "must not be empty", "exactly one of max", "SageMaker instance type",
    "must be at least", "duplicate of", "SNS topic name", "pipeline name", "model package group name",
    "email address", "expected true or false", "got nothing", "expected a list", "categorical range",
    "at(...) runs only once", "must be cron(...) or rate(...)", "number of minutes",
    "takes six fields", "must be '?'", "cannot both be '?'", "hours '24'", "is only for day-of-month",
    "write rate(1 day)", "greater than 0", "rate unit", "unknown time zone", "bucket name",
    "must end with '/'", "has no bucket name", "role is in account", "IAM allows at most 64",
    "they must match", "already declared in account", "is an error metric", "is a score",
    "lies within [0, 1]", "is never negative", "r2 is at most 1", "finite number",
    "needs batchInference.groundTruth", "unknown template", "does not fit here",
    "must be relative to the desired-state directory", "not found (paths are relative",
    "tuning needs template training-hpo", "training-hpo needs tuning", "needs template training-hpo",
    "needs thresholds.modelQuality", "at most maxJobs", "greater than min",
    "unknown environment 'development'", "cannot promote from itself", "promotion cycle",
    "also listed in rejectedVersions", "longer than 0 minutes",
    "must not contain control characters", "leads out of the desired-state directory",
    "the template must be inside the desired-state directory",
]


@pytest.mark.parametrize("case", CASES)
def test_validate_prints_exactly_the_expected_lines(case, tmp_path, monkeypatch, capsys):
    build(tmp_path / "desired_state", case["edits"])
    monkeypatch.chdir(tmp_path)

    exit_code = main(["validate", "desired_state"])

    captured = capsys.readouterr()
    if case["expect"]:
        count = len(case["expect"])
        assert captured.out.splitlines() == case["expect"]
        assert captured.err == f"{count} problem{'' if count == 1 else 's'}\n"
        assert exit_code == 1
    else:
        assert re.fullmatch(r"desired_state: \d+ environments, \d+ deployments?, all valid\n", captured.out)
        assert exit_code == 0


def test_the_corpus_is_large_and_covers_every_rule():
    broken = [param.values[0] for param in CASES if param.values[0]["expect"]]
    expected_lines = [line for case in broken for line in case["expect"]]

    uncovered = [rule for rule in RULES if not any(rule in line for line in expected_lines)]

    assert len(broken) >= 40
    assert uncovered == []
