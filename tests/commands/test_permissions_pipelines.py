"""The pipeline role's policy covers what the rendered pipelines do when they run, environment by environment.

Every step creates a job (or a model, or a model version) the policy allows; every S3 location a definition
names is readable or writable and its bucket listable; the approved version the batch pipeline starts from is
readable in the registry, and the group a training pipeline registers in accepts new versions.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

import pytest

from controller.commands.policies import Controller, documents
from controller.kinds import pipeline

STEP_CREATES = {
    "Processing": ("sagemaker:CreateProcessingJob", "processing-job"),
    "QualityCheck": ("sagemaker:CreateProcessingJob", "processing-job"),
    "Training": ("sagemaker:CreateTrainingJob", "training-job"),
    "Tuning": ("sagemaker:CreateHyperParameterTuningJob", "hyper-parameter-tuning-job"),
    "Transform": ("sagemaker:CreateTransformJob", "transform-job"),
    "Model": ("sagemaker:CreateModel", "model"),
    "RegisterModel": None,  # in the registry account: see the last test
    "Condition": None,
    "Fail": None,
}
"""What each step type creates when it runs: the IAM action and the SageMaker resource type."""
CONTROLLER = Controller("arn:aws:iam::111111111111:role/smgitops-controller",
                        "arn:aws:sqs:us-east-1:111111111111:smgitops-events", "smgitops-lease")


def allows(document: dict, action: str, resource_arn: str) -> bool:
    for statement in document["Statement"]:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if action in statement["Action"] and any(fnmatch.fnmatchcase(resource_arn, item) for item in resources):
            return True
    return False


def walk(value: Any) -> Iterator[Any]:
    yield value
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        yield from walk(child)


@pytest.fixture(scope="module")
def rendered():
    from controller.desired import load

    state = load("desired_state").state
    return state, documents(state, CONTROLLER), pipeline.desired(state)


def test_every_step_creates_what_the_pipeline_role_may_create(rendered):
    _, printed, pipelines = rendered
    assert {resource.name for resource in pipelines} == {"churn-batch-inference", "churn-training",
                                                         "ltv-batch-inference"}
    for resource in pipelines:
        policy = printed[f"{resource.environment}-pipeline"]
        steps = [item for item in walk(resource.spec["definition"]) if isinstance(item, dict) and "Type" in item
                 and ("Arguments" in item or item["Type"] in ("Condition", "Fail"))]
        assert steps
        for step in steps:
            assert step["Type"] in STEP_CREATES, f"{resource.address}: a step of a new type: {step['Type']}"
            if STEP_CREATES[step["Type"]]:
                action, resource_type = STEP_CREATES[step["Type"]]
                created = f"arn:aws:sagemaker:{resource.target.region}:{resource.target.account}:{resource_type}/p-1"
                assert allows(policy, action, created), (resource.address, step["Type"])


def test_every_s3_location_is_readable_or_writable_and_listable(rendered):
    _, printed, pipelines = rendered
    for resource in pipelines:
        policy = printed[f"{resource.environment}-pipeline"]
        locations = {item for item in walk(resource.spec["definition"])
                     if isinstance(item, str) and item.startswith("s3://")}
        assert locations
        for location in locations:
            bucket, _, key = location.removeprefix("s3://").partition("/")
            object_arn = f"arn:aws:s3:::{bucket}/{key.rstrip('/')}/part-0001"
            assert allows(policy, "s3:GetObject", object_arn) or allows(policy, "s3:PutObject", object_arn), (
                resource.address, location)
            assert allows(policy, "s3:ListBucket", f"arn:aws:s3:::{bucket}"), (resource.address, location)


def test_the_registry_versions_and_groups_the_pipelines_name_are_allowed(rendered):
    _, printed, pipelines = rendered
    for resource in pipelines:
        policy = printed[f"{resource.environment}-pipeline"]
        parameters = resource.spec["definition"]["Parameters"]
        if "ModelPackageArn" in parameters:
            assert allows(policy, "sagemaker:DescribeModelPackage", parameters["ModelPackageArn"]["DefaultValue"])
        if "ModelPackageGroup" in parameters:
            group = parameters["ModelPackageGroup"]["DefaultValue"]
            assert allows(policy, "sagemaker:CreateModelPackage", group)
            assert allows(policy, "sagemaker:CreateModelPackage", group.replace("-group/", "/") + "/9")
