"""The README's worked merge request shows the plan comment smgitops really produces for that change."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from helpers import converge

from controller.engine.reconcile import make_plan
from controller.engine.reports import render

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_plan_comment() -> str:
    text = README.read_text()
    found = re.search(r"<!-- mr-plan:start -->\n````markdown\n(.*?)````\n<!-- mr-plan:end -->", text, re.S)
    assert found, "the worked example's plan comment block is missing from the README"
    return found.group(1)


def test_the_readme_plan_comment_is_what_plan_prints(aws, fleet):
    converge(dataclasses.replace(fleet, revision="3b1f0c2a9d4e"), aws)
    promoted = tuple(
        dataclasses.replace(d, approved_version=8) if d.source == "staging/churn.yaml" else d
        for d in fleet.deployments
    )
    merge_request = dataclasses.replace(fleet, deployments=promoted, revision="8e7d6c5b4a39")
    plan = make_plan(merge_request, clients=aws)
    assert render(plan, "markdown") == readme_plan_comment()
