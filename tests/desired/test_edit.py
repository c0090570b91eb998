"""Editing approvedVersion changes that one value and leaves every other byte of the file as it was."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controller.desired import load
from controller.desired.edit import EditError, replace_scalar, set_approved_version

COMMENTED = """\
# yaml-language-server: $schema=../../schemas/deployment.schema.json  # the editor's schema
model: churn                       # the model's name, as the file is named
modelPackageGroup: churn           # where training registers versions
approvedVersion: 7                 # merging a change to this line is the approval
rejectedVersions: [5]              # version 5 failed in prod: never again
batchInference:                    # the nightly scoring run
  pipeline: churn-batch-inference  # its name in this account
  template: batch-inference        # built in
  schedule: cron(0 5 * * ? *)      # 05:00 ...
  timezone: Europe/Berlin          # ... Berlin time
  enabled: true                    # it runs
  instanceType: ml.m5.xlarge       # one
  instanceCount: 1                 # machine
  input: s3://acme-staging/churn/inference/     # what it scores
  output: s3://acme-staging/churn/predictions/  # where predictions go
thresholds:                        # what must hold
  dataQuality: {maxViolations: 0}  # against the registered baseline
  modelQuality: {metric: mse, max: 10.0}  # approvedVersion: 7 is not this line
notifications:                     # who hears of it
  topic: churn-alerts              # SNS, in this account
  emails: [churn-team@example.com] # the team
"""

EXAMPLE = Path(__file__).resolve().parents[2] / "desired_state"


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_a_file_with_a_comment_on_every_line_changes_in_exactly_one_value(tmp_path):
    path = tmp_path / "staging" / "churn.yaml"
    path.parent.mkdir()
    path.write_text(COMMENTED)
    assert set_approved_version(path, 8) == 7
    after = path.read_text()
    assert changed_lines(COMMENTED, after) == [
        "-approvedVersion: 7                 # merging a change to this line is the approval\n",
        "+approvedVersion: 8                 # merging a change to this line is the approval\n",
    ]
    assert after == COMMENTED.replace("approvedVersion: 7   ", "approvedVersion: 8   ", 1)


def test_the_edit_keeps_line_endings_quotes_and_a_byte_order_mark(tmp_path):
    path = tmp_path / "churn.yaml"
    original = '\ufeffmodel: churn\r\napprovedVersion: "7"   # quoted\r\n\r\nmodelPackageGroup: churn\r\n'
    path.write_bytes(original.encode("utf-8"))
    set_approved_version(path, 12)
    assert path.read_bytes() == original.replace('"7"', "12").encode("utf-8")


def test_the_example_files_stay_valid_and_change_in_one_line(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "desired_state")
    staging = tmp_path / "desired_state" / "staging" / "churn.yaml"
    before = staging.read_text()
    set_approved_version(staging, 8)
    assert changed_lines(before, staging.read_text()) == ["-approvedVersion: 7\n", "+approvedVersion: 8\n"]
    loaded = load(tmp_path / "desired_state")
    assert loaded.problems == ()
    assert {d.source: d.approved_version for d in loaded.state.deployments}["staging/churn.yaml"] == 8


def test_a_value_that_is_not_a_scalar_is_refused_and_nothing_changes():
    with pytest.raises(EditError, match="approvedVersion: not a single value"):
        replace_scalar("approvedVersion: [7]\n", ["approvedVersion"], "8")
    with pytest.raises(EditError, match="not valid YAML"):
        replace_scalar("approvedVersion: [7\n", ["approvedVersion"], "8")


comment_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


@given(comments=st.lists(comment_text, min_size=6, max_size=6), version=st.integers(1, 10**6))
def test_any_comments_survive_and_only_the_version_changes(comments, version):
    lines = ["model: churn", "modelPackageGroup: churn", "approvedVersion: 3", "thresholds:", "  x: 1", "y: [1, 2]"]
    def text(approved: str) -> str:
        written = [line.replace("3", approved) if line.startswith("approved") else line for line in lines]
        return "".join(f"{line}  # {comment}\n" for line, comment in zip(written, comments, strict=True))

    assert replace_scalar(text("3"), ["approvedVersion"], str(version)) == text(str(version))
