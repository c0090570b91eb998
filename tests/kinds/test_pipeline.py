"""The pipeline kind on the emulator: definitions from the templates, code uploaded once, drift, ownership."""

from __future__ import annotations

import dataclasses
import json

import pytest
from helpers import converge, only

from controller.aws import console
from controller.engine.reconcile import make_plan, reconcile
from controller.kinds.pipeline import WRITTEN_TAG

PIPELINE = only("pipeline")


def sagemaker(aws, state, environment):
    return aws.client("sagemaker", state.environments[environment].target)


def test_processing_code_is_uploaded_before_the_pipeline_and_only_once(aws, fleet):
    plan = make_plan(fleet, clients=aws, kinds=PIPELINE)
    uris = {artifact["s3_uri"] for change in plan.changes for artifact in change.payload["artifacts"]}
    assert uris and all("/code/" in uri for uri in uris)
    before = aws.calls.snapshot()
    converge(fleet, aws, "pipeline")
    assert aws.calls.since(before).by_operation()["s3:PutObject"] == len(uris)
    for uri in uris:
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        account = next(e for e in fleet.environments.values() if e.artifacts.startswith(f"s3://{bucket}/"))
        aws.client("s3", account.target).head_object(Bucket=bucket, Key=key)
    stricter = tuple(
        dataclasses.replace(d, thresholds=dataclasses.replace(d.thresholds, data_quality_max_violations=5))
        for d in fleet.deployments
    )
    changed = dataclasses.replace(fleet, deployments=stricter, revision="rev2")
    before = aws.calls.snapshot()
    outcome, _ = converge(changed, aws, "pipeline")
    assert outcome.reason == "applied" and len(outcome.result.applied) == len(fleet.deployments)
    assert aws.calls.since(before).by_operation().get("s3:PutObject", 0) == 0


def test_a_console_edit_of_a_parameter_default_is_drift_and_reverted(aws, fleet):
    converge(fleet, aws, "pipeline")
    client = sagemaker(aws, fleet, "staging")
    described = client.describe_pipeline(PipelineName="churn-batch-inference")
    definition = json.loads(described["PipelineDefinition"])
    for parameter in definition["Parameters"]:
        if parameter["Name"] == "InstanceType":
            parameter["DefaultValue"] = "ml.m5.24xlarge"
    client.update_pipeline(
        PipelineName="churn-batch-inference",
        PipelineDefinition=json.dumps(definition),
        PipelineDescription=described["PipelineDescription"],
        RoleArn=described["RoleArn"],
    )
    before = aws.calls.snapshot()
    [change] = make_plan(fleet, clients=aws, kinds=PIPELINE).changes
    assert aws.calls.since(before).by_operation()["sagemaker:DescribePipeline"] == 1  # only the one touched
    assert (change.address, change.reason) == ("staging/pipeline/churn-batch-inference", "drift")
    assert [(row.path, row.before, row.after) for row in change.diff] == [
        ("definition.Parameters.InstanceType.DefaultValue", "ml.m5.24xlarge", "ml.m5.xlarge")
    ]
    converge(fleet, aws, "pipeline")


def test_a_no_change_plan_describes_no_pipeline_smgitops_wrote_and_nothing_touched_since(aws, fleet):
    converge(fleet, aws, "pipeline")
    pipelines = sum(
        len(sagemaker(aws, fleet, name).list_pipelines()["PipelineSummaries"]) for name in fleet.environments
    )
    before = aws.calls.snapshot()
    plan = make_plan(fleet, clients=aws, kinds=PIPELINE)
    made = aws.calls.since(before).by_operation()
    assert plan.changes == () and pipelines > len(fleet.environments)
    assert made.get("sagemaker:DescribePipeline", 0) == 0
    assert made["resourcegroupstaggingapi:GetResources"] == len(fleet.environments)  # one page of stamps each


def test_a_pipeline_without_its_written_at_stamp_is_described_and_in_sync(aws, fleet):
    converge(fleet, aws, "pipeline")
    client = sagemaker(aws, fleet, "dev")
    arn = client.describe_pipeline(PipelineName="churn-training")["PipelineArn"]
    assert WRITTEN_TAG in {tag["Key"] for tag in client.list_tags(ResourceArn=arn)["Tags"]}
    client.delete_tags(ResourceArn=arn, TagKeys=[WRITTEN_TAG])
    before = aws.calls.snapshot()
    assert make_plan(fleet, clients=aws, kinds=PIPELINE).changes == ()
    assert aws.calls.since(before).by_operation()["sagemaker:DescribePipeline"] == 1


def test_a_console_update_that_keeps_definition_and_description_is_described_once(aws, fleet):
    """An update that changes nothing still moves LastModifiedTime: the stamp no longer matches, so the pipeline
    is described (and found in sync); the plan writes nothing, so it stays described until smgitops writes it."""
    converge(fleet, aws, "pipeline")
    console.edit_pipeline(aws, fleet.environments["prod"].target, name="ltv-batch-inference")
    for _ in range(2):
        before = aws.calls.snapshot()
        assert make_plan(fleet, clients=aws, kinds=PIPELINE).changes == ()
        assert aws.calls.since(before).by_operation()["sagemaker:DescribePipeline"] == 1


def test_prod_drift_is_only_reported(aws, fleet):
    converge(fleet, aws, "pipeline")
    client = sagemaker(aws, fleet, "prod")
    described = client.describe_pipeline(PipelineName="ltv-batch-inference")
    client.update_pipeline(
        PipelineName="ltv-batch-inference",
        PipelineDefinition=described["PipelineDefinition"],
        PipelineDescription=described["PipelineDescription"],
        RoleArn="arn:aws:iam::333333333333:role/someone-elses",
    )
    outcome = reconcile(fleet, clients=aws, kinds=PIPELINE)
    [change] = outcome.plan.changes
    assert (change.reason, change.hold, outcome.reason) == ("drift", "drift: warn", "held")
    assert client.describe_pipeline(PipelineName="ltv-batch-inference")["RoleArn"].endswith("/someone-elses")


def test_an_unowned_pipeline_of_the_same_name_is_left_alone(aws, fleet):
    client = sagemaker(aws, fleet, "dev")
    client.create_pipeline(
        PipelineName="churn-training",
        PipelineDefinition=json.dumps({"Version": "2020-12-01", "Parameters": [], "Steps": []}),
        RoleArn="arn:aws:iam::111111111111:role/hand-made",
    )
    outcome = reconcile(fleet, clients=aws, kinds=PIPELINE)
    [conflict] = [change for change in outcome.plan.changes if change.name == "churn-training"]
    assert (conflict.reason, conflict.action) == ("conflict", "none")
    assert client.describe_pipeline(PipelineName="churn-training")["RoleArn"].endswith("/hand-made")


@pytest.mark.parametrize("prune", [True, False])
def test_a_pipeline_whose_file_is_gone_is_an_orphan_deleted_only_with_prune(aws, fleet, prune):
    environments = {**fleet.environments, "staging": dataclasses.replace(fleet.environments["staging"], prune=prune)}
    state = dataclasses.replace(fleet, environments=environments)
    converge(state, aws, "pipeline")
    without_ltv = dataclasses.replace(
        state, deployments=tuple(d for d in state.deployments if d.source != "staging/ltv.yaml")
    )
    outcome = reconcile(without_ltv, clients=aws, kinds=PIPELINE)
    [change] = outcome.plan.changes
    assert change.address == "staging/pipeline/ltv-batch-inference"
    assert (change.action, change.reason) == ("delete", "orphan")
    names = [p["PipelineName"] for p in sagemaker(aws, state, "staging").list_pipelines()["PipelineSummaries"]]
    assert ("ltv-batch-inference" in names) is not prune


def test_environments_sharing_an_account_keep_their_own_pipelines(aws, fleet):
    dev = fleet.environments["dev"]
    sandbox = dataclasses.replace(dev, name="sandbox", prune=True)
    state = dataclasses.replace(fleet, environments={**fleet.environments, "sandbox": sandbox})
    converge(state, aws, "pipeline")
    plan = make_plan(state, clients=aws, kinds=PIPELINE)
    assert plan.changes == ()
