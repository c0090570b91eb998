"""A first apply writes what several changes share once: the schedule group of an environment, each uploaded
script, each bus permission; applying again writes nothing. Apply's calls counted through the clients'
call counter."""

from __future__ import annotations

from helpers import copies

from controller.commands.demo import seed_example
from controller.engine.applier import apply_plan
from controller.engine.reconcile import make_plan, reconcile
from controller.kinds import KINDS, pipeline, trigger

COPIES = 3


def test_a_first_apply_of_a_fleet_does_shared_work_once_and_a_second_writes_nothing(aws, example_state):
    state = copies(example_state, COPIES)
    seed_example(aws, state)
    artifacts = {
        artifact["s3_uri"] for resource in pipeline.desired(state) for artifact in resource.payload["artifacts"]
    }
    senders = {
        (resource.target.account, resource.spec["acceptFrom"])
        for resource in trigger.desired(state)
        if resource.spec.get("acceptFrom")
    }
    assert len(senders) == 2 and len(artifacts) > 1

    plan = make_plan(state, clients=aws)
    before = aws.calls.snapshot()
    result = apply_plan(plan, kinds=KINDS, clients=aws)
    calls = aws.calls.since(before).by_operation()

    assert result.failed == [] and result.applied
    assert calls.get("scheduler:GetScheduleGroup", 0) <= len(state.environments), calls
    assert calls["scheduler:ListTagsForResource"] <= len(state.environments), calls
    assert calls["scheduler:CreateScheduleGroup"] == len(state.environments), calls
    assert calls["s3:HeadObject"] <= len(artifacts), calls
    assert calls["s3:PutObject"] <= len(artifacts), calls
    assert calls["events:PutPermission"] == len(senders), calls

    before = aws.calls.snapshot()
    second = reconcile(state, clients=aws)
    assert second.reason == "in-sync" and aws.calls.since(before).writes == 0
