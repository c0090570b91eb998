"""Reading through the service's memory (`LiveMemory`): a quiet read only lists; an object changed by hand whose
list stamp moved (approval status, schedule or pipeline modification time) is described again and put back;
what an apply wrote is described again next time, so applying twice still writes nothing the second time."""

from __future__ import annotations

import json

from helpers import converge

from controller.aws import console
from controller.engine.reconcile import make_plan, reconcile
from controller.kinds.memory import LiveMemory

LISTS = {"ListPipelines", "ListSchedules", "ListRules", "ListTopics", "GetResources", "ListModelPackages"}


def test_a_quiet_read_through_memory_lists_and_describes_nothing(aws, fleet):
    converge(fleet, aws)
    memory = LiveMemory()
    first = make_plan(fleet, clients=aws, memory=memory, fresh=False)
    assert first.changes == () and len(memory) >= first.in_sync

    before = aws.calls.snapshot()
    quiet = make_plan(fleet, clients=aws, memory=memory, fresh=False)
    spent = aws.calls.since(before)
    assert quiet.changes == () and quiet.in_sync == first.in_sync
    assert {key.split(":", 1)[1] for key in spent.by_operation()} <= LISTS, spent.by_operation()
    groups = {deployment.model_package_group for deployment in fleet.deployments}
    assert spent.reads == 5 * len(fleet.environments) + len(groups) + 1, "one list call per kind and account"
    print(f"quiet read: {spent.reads} reads for {quiet.in_sync} objects")

    before = aws.calls.snapshot()
    make_plan(fleet, clients=aws, memory=memory, fresh=True)
    assert aws.calls.since(before).reads > quiet.in_sync, "a fresh read describes every object again"


def test_changes_by_hand_whose_stamp_moved_are_read_and_put_back(aws, fleet):
    converge(fleet, aws)
    memory = LiveMemory()
    make_plan(fleet, clients=aws, memory=memory, fresh=False)
    dev = fleet.environments["dev"].target
    console.set_approval(aws, fleet.registry, group="churn", version=2)
    console.edit_schedule(aws, dev, group="smgitops-dev", name="churn-batch-inference",
                          ScheduleExpression="cron(0 9 * * ? *)")
    sagemaker = aws.client("sagemaker", dev)
    pipeline = sagemaker.describe_pipeline(PipelineName="churn-training")
    definition = json.loads(pipeline["PipelineDefinition"])
    definition["Parameters"][0]["DefaultValue"] = "changed in the console"
    sagemaker.update_pipeline(PipelineName="churn-training", PipelineDefinition=json.dumps(definition))

    outcome = reconcile(fleet, clients=aws, memory=memory, fresh=False)
    assert outcome.reason == "applied"
    assert {change.address for change in outcome.result.applied} == {
        "registry/approval/churn/2", "dev/schedule/churn-batch-inference", "dev/pipeline/churn-training",
    }
    assert {change.reason for change in outcome.result.applied} == {"drift"}
    writes = aws.calls.writes
    again = make_plan(fleet, clients=aws, memory=memory, fresh=False)
    assert again.changes == () and aws.calls.writes == writes


def test_what_no_stamp_shows_is_found_by_a_fresh_read(aws, fleet):
    converge(fleet, aws)
    memory = LiveMemory()
    make_plan(fleet, clients=aws, memory=memory, fresh=False)
    events = aws.client("events", fleet.environments["dev"].target)
    rule = "smgitops-dev-churn-new-data"
    targets = events.list_targets_by_rule(Rule=rule)["Targets"]
    events.remove_targets(Rule=rule, Ids=[target["Id"] for target in targets])

    assert make_plan(fleet, clients=aws, memory=memory, fresh=False).changes == (), "the rule looks unchanged"
    fresh = make_plan(fleet, clients=aws, memory=memory, fresh=True)
    assert [(change.address, change.reason) for change in fresh.changes] == [(f"dev/trigger/{rule}", "drift")]


def test_the_schedule_groups_ownership_is_remembered_until_a_fresh_read(aws, fleet):
    converge(fleet, aws)
    memory = LiveMemory()
    make_plan(fleet, clients=aws, memory=memory, fresh=False)
    dev = fleet.environments["dev"].target
    scheduler = aws.client("scheduler", dev)
    group_arn = scheduler.get_schedule_group(Name="smgitops-dev")["Arn"]
    scheduler.untag_resource(ResourceArn=group_arn, TagKeys=["smgitops:managed"])

    assert make_plan(fleet, clients=aws, memory=memory, fresh=False).errors == (), "remembered as smgitops's"
    fresh = make_plan(fleet, clients=aws, memory=memory, fresh=True)
    assert any("schedule group smgitops-dev exists" in error for error in fresh.errors), fresh.errors
