"""Which deployments an EventBridge event touches, on the example desired state (dev and the registry share
account 111111111111; staging is 222222222222 and prod 333333333333, all in us-east-1)."""

from __future__ import annotations

import pytest

from controller.service.events import KeyIndex, awaiting_approval, keys_for_event

DEV, STAGING, PROD = ("111111111111", "us-east-1"), ("222222222222", "us-east-1"), ("333333333333", "us-east-1")


@pytest.fixture(scope="module")
def index(example_state) -> KeyIndex:
    return KeyIndex.build(example_state)


def event(detail_type: str, detail: dict, *, place=DEV, source: str = "aws.sagemaker") -> dict:
    return {"version": "0", "detail-type": detail_type, "source": source, "account": place[0], "region": place[1],
            "detail": detail}


def api_call(source: str, name: str, parameters: dict, *, place=DEV, caller: str = "assumed-role/Admin/dana") -> dict:
    detail = {
        "eventSource": f"{source}.amazonaws.com",
        "eventName": name,
        "awsRegion": place[1],
        "recipientAccountId": place[0],
        "userIdentity": {"arn": f"arn:aws:sts::{place[0]}:{caller}"},
        "requestParameters": parameters,
    }
    return event("AWS API Call via CloudTrail", detail, place=place, source=f"aws.{source}")


def test_a_model_package_state_change_touches_every_deployment_of_the_group(index):
    change = event("SageMaker Model Package State Change",
                   {"ModelPackageGroupName": "churn", "ModelPackageVersion": 2, "ModelApprovalStatus": "Approved"})
    assert keys_for_event(change, index) == {("dev", "churn"), ("staging", "churn"), ("prod", "churn")}
    other = event("SageMaker Model Package State Change", {"ModelPackageGroupName": "customer-ltv"})
    assert keys_for_event(other, index) == {("staging", "ltv"), ("prod", "ltv")}


def test_a_pipeline_event_touches_the_deployment_whose_pipeline_it_is(index):
    arn = "arn:aws:sagemaker:us-east-1:333333333333:pipeline/ltv-batch-inference"
    status = event("SageMaker Model Building Pipeline Execution Status Change",
                   {"pipelineArn": arn, "currentPipelineExecutionStatus": "Failed"}, place=PROD)
    assert keys_for_event(status, index) == {("prod", "ltv")}
    step = event("SageMaker Model Building Pipeline Execution Step Status Change",
                 {"pipelineArn": "arn:aws:sagemaker:us-east-1:111111111111:pipeline/churn-training",
                  "stepName": "Train", "currentStepStatus": "Failed"})
    assert keys_for_event(step, index) == {("dev", "churn")}
    elsewhere = event("SageMaker Model Building Pipeline Execution Status Change",
                      {"pipelineArn": "arn:aws:sagemaker:us-east-1:999999999999:pipeline/ltv-batch-inference"})
    assert keys_for_event(elsewhere, index) == set(), "same name, an account smgitops does not manage"


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (api_call("sagemaker", "UpdatePipeline", {"pipelineName": "churn-batch-inference"}, place=STAGING),
         {("staging", "churn")}),
        (api_call("sagemaker", "DeletePipeline", {"pipelineName": "Churn-Training"}), {("dev", "churn")}),
        (api_call("scheduler", "UpdateSchedule", {"name": "ltv-batch-inference", "groupName": "smgitops-prod"},
                  place=PROD), {("prod", "ltv")}),
        (api_call("events", "DisableRule", {"name": "smgitops-staging-ltv-pipeline-failed"}, place=STAGING),
         {("staging", "ltv")}),
        (api_call("events", "RemoveTargets", {"rule": "smgitops-dev-churn-retune-from-prod", "ids": ["1"]}),
         {("dev", "churn")}),
        (api_call("sns", "DeleteTopic", {"topicArn": "arn:aws:sns:us-east-1:333333333333:churn-alerts"},
                  place=PROD), {("prod", "churn")}),
        (api_call("sns", "Unsubscribe",
                  {"subscriptionArn": "arn:aws:sns:us-east-1:222222222222:ltv-alerts:0b6f7a7e-1c2d-4e5f"},
                  place=STAGING), {("staging", "ltv")}),
        (api_call("sagemaker", "UpdateModelPackage",
                  {"modelPackageArn": "arn:aws:sagemaker:us-east-1:111111111111:model-package/customer-ltv/3",
                   "modelApprovalStatus": "Approved"}), {("staging", "ltv"), ("prod", "ltv")}),
    ],
)
def test_a_cloudtrail_call_touches_the_deployment_owning_that_name(index, call, expected):
    assert keys_for_event(call, index) == expected


def test_calls_the_controller_made_itself_and_unknown_events_touch_nothing(index):
    own = api_call("sagemaker", "UpdatePipeline", {"pipelineName": "churn-training"},
                   caller="assumed-role/smgitops-deploy/smgitops")
    assert keys_for_event(own, index) == set()
    assert keys_for_event(api_call("sagemaker", "UpdatePipeline", {"pipelineName": "not-ours"}), index) == set()
    assert keys_for_event(event("Object Created", {"bucket": {"name": "x"}}, source="aws.s3"), index) == set()
    assert keys_for_event({"detail-type": "SageMaker Model Package State Change"}, index) == set()
    assert keys_for_event({"detail": "not a mapping"}, index) == set()


def test_only_a_version_newer_than_every_declared_one_awaits_approval(example_state):
    def pending(group, version, status="PendingManualApproval"):
        detail = {"ModelPackageGroupName": group, "ModelPackageVersion": version, "ModelApprovalStatus": status}
        return awaiting_approval(event("SageMaker Model Package State Change", detail), example_state)

    assert pending("churn", 9) == ("churn", 9)
    assert pending("churn", 2) is None, "an old version put back to pending is no news"
    assert pending("churn", 10, status="Approved") is None
    assert pending("unknown-group", 5) is None
    assert pending("churn", "x") is None


def test_groups_announced_by_an_eventbridge_rule_are_known(index):
    assert index.announced == {"churn"}, "dev trains churn in the registry account: its rule announces versions"
