"""The emulator fixture itself: no AWS setup needed, reset forgets everything, the registry seed is realistic."""

from __future__ import annotations

import json
import os

import pytest

from controller.aws.emulator import create_bucket, seed_registry
from controller.aws.errors import paginate
from controller.desired.model import Account

REGISTRY = Account("111111111111", "us-east-1", "arn:aws:iam::111111111111:role/smgitops-registry")
PROD = Account("333333333333", "eu-central-1", "arn:aws:iam::333333333333:role/smgitops-deploy")

pytestmark = pytest.mark.aws


def test_needs_no_aws_configuration(emulator, monkeypatch, tmp_path):
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))

    with emulator.clients() as clients:
        identity = clients.client("sts", PROD).get_caller_identity()
        assert identity["Account"] == PROD.account
        assert clients.client("sagemaker", PROD).list_pipelines()["PipelineSummaries"] == []


def test_reset_forgets_every_account(emulator):
    with emulator.clients() as clients:
        create_bucket(clients, PROD, "acme-prod-reset")
        clients.client("sns", REGISTRY).create_topic(Name="alerts")
    emulator.reset()

    with emulator.clients() as clients:
        assert clients.client("s3", PROD).list_buckets()["Buckets"] == []
        assert clients.client("sns", REGISTRY).list_topics()["Topics"] == []


def test_create_bucket_outside_us_east_1_and_twice(aws):
    create_bucket(aws, PROD, "acme-prod-mlops")
    create_bucket(aws, PROD, "acme-prod-mlops")

    location = aws.client("s3", PROD).get_bucket_location(Bucket="acme-prod-mlops")
    assert location["LocationConstraint"] == "eu-central-1"


def test_seed_registry_registers_pending_versions_with_baselines(aws):
    arns = seed_registry(aws, REGISTRY, group="churn", versions=3, bucket="acme-registry")

    assert arns == [f"arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/{n}" for n in (1, 2, 3)]
    sagemaker = aws.client("sagemaker", REGISTRY)
    summaries = paginate(sagemaker, "list_model_packages", "ModelPackageSummaryList", ModelPackageGroupName="churn")
    assert [summary["ModelApprovalStatus"] for summary in summaries] == ["PendingManualApproval"] * 3

    version = sagemaker.describe_model_package(ModelPackageName=arns[1])
    baseline = version["DriftCheckBaselines"]["ModelDataQuality"]
    uris = {
        "statistics": baseline["Statistics"]["S3Uri"],
        "constraints": baseline["Constraints"]["S3Uri"],
        "evaluation": version["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"],
        "model": version["InferenceSpecification"]["Containers"][0]["ModelDataUrl"],
    }
    assert uris == {
        "statistics": "s3://acme-registry/churn/2/baseline/statistics.json",
        "constraints": "s3://acme-registry/churn/2/baseline/constraints.json",
        "evaluation": "s3://acme-registry/churn/2/evaluation.json",
        "model": "s3://acme-registry/churn/2/model.tar.gz",
    }
    s3 = aws.client("s3", REGISTRY)
    for uri in uris.values():
        s3.head_object(Bucket="acme-registry", Key=uri.removeprefix("s3://acme-registry/"))
    evaluation = json.load(s3.get_object(Bucket="acme-registry", Key="churn/2/evaluation.json")["Body"])
    assert evaluation["regression_metrics"]["mse"]["value"] == 8.0
    assert version["CustomerMetadataProperties"] == {"training/mse": "8.0"}
