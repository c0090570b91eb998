"""No schedule or rule starts a pipeline smgitops does not own: when a declared pipeline's name is taken by
someone else's (a conflict, left alone), every schedule and rule that would start it is held too."""

from __future__ import annotations

import json

import pytest

from controller.engine.reconcile import make_plan

pytestmark = pytest.mark.aws


def someone_elses_pipeline(aws, state, environment: str, name: str) -> None:
    target = state.environments[environment].target
    aws.client("sagemaker", target).create_pipeline(
        PipelineName=name,
        PipelineDefinition=json.dumps({"Version": "2020-12-01", "Steps": []}),
        RoleArn=f"arn:aws:iam::{target.account}:role/their-own",
    )


@pytest.mark.parametrize(
    ("environment", "pipeline"),
    [("dev", "churn-training"), ("prod", "churn-batch-inference"), ("staging", "ltv-batch-inference")],
)
def test_what_starts_a_conflicting_pipeline_is_held(aws, fleet, environment, pipeline):
    someone_elses_pipeline(aws, fleet, environment, pipeline)
    plan = make_plan(fleet, clients=aws)
    by_address = {change.address: change for change in plan.changes}
    assert by_address[f"{environment}/pipeline/{pipeline}"].reason == "conflict"
    starters = [
        change for change in plan.changes
        if change.kind in ("schedule", "trigger") and pipeline in json.dumps(change.after or {})
        and f":{fleet.environments[environment].account}:pipeline/" in json.dumps(change.after or {})
    ]
    assert starters, "the example starts this pipeline with a schedule or a rule"
    for change in starters:
        assert change.hold == f"it starts pipeline {pipeline}, which smgitops does not own", change.address
    assert all(change.hold is None for change in plan.actionable)
    others = [c for c in plan.actionable if c.kind in ("schedule", "trigger")]
    assert others, "schedules and rules of other pipelines go ahead"
