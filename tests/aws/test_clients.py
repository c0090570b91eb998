"""Clients: AssumeRole per target with real account isolation, shared clients, cached credentials, counting."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from controller.desired.model import Account

DEV = Account("111111111111", "us-east-1", "arn:aws:iam::111111111111:role/smgitops-deploy")
STAGING = Account("222222222222", "us-east-1", "arn:aws:iam::222222222222:role/smgitops-deploy")
PROD = Account("333333333333", "eu-central-1", "arn:aws:iam::333333333333:role/smgitops-deploy")
DEFINITION = json.dumps({"Version": "2020-12-01", "Parameters": [], "Steps": []})

pytestmark = pytest.mark.aws


def create_pipeline(clients, target, name: str) -> None:
    clients.client("sagemaker", target).create_pipeline(
        PipelineName=name, PipelineDefinition=DEFINITION, RoleArn=f"arn:aws:iam::{target.account}:role/x"
    )


def pipeline_names(clients, target) -> list[str]:
    summaries = clients.client("sagemaker", target).list_pipelines()["PipelineSummaries"]
    return [summary["PipelineName"] for summary in summaries]


def test_assume_role_lands_in_the_target_account(aws):
    for target in (DEV, STAGING, PROD):
        identity = aws.client("sts", target).get_caller_identity()
        assert identity["Account"] == target.account
        assert identity["Arn"] == f"arn:aws:sts::{target.account}:assumed-role/smgitops-deploy/smgitops"


def test_accounts_are_isolated(aws):
    create_pipeline(aws, STAGING, "churn-batch-inference")

    assert pipeline_names(aws, STAGING) == ["churn-batch-inference"]
    assert pipeline_names(aws, PROD) == []
    assert pipeline_names(aws, DEV) == []


def test_regions_are_isolated_within_an_account(aws):
    prod_us = Account(PROD.account, "us-east-1", PROD.role)
    create_pipeline(aws, PROD, "ltv-batch-inference")

    assert pipeline_names(aws, PROD) == ["ltv-batch-inference"]
    assert pipeline_names(aws, prod_us) == []


def test_one_client_per_account_region_service_role_shared_across_threads(aws):
    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = list(pool.map(lambda _: aws.client("sagemaker", STAGING), range(32)))

    assert all(found is seen[0] for found in seen)
    assert aws.client("sagemaker", PROD) is not seen[0]
    assert aws.client("scheduler", STAGING) is not seen[0]
    other_role = Account(STAGING.account, STAGING.region, "arn:aws:iam::222222222222:role/other")
    assert aws.client("sagemaker", other_role) is not seen[0]


def test_credentials_are_assumed_once_per_role_and_shared_by_services(aws):
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: pipeline_names(aws, STAGING), range(16)))
    aws.client("scheduler", STAGING).list_schedules()
    aws.client("events", STAGING).list_rules()

    assert aws.calls.by_operation()["sts:AssumeRole"] == 1
    assert aws.calls.by_operation()["sagemaker:ListPipelines"] == 16


def test_credentials_are_refreshed_before_they_expire(emulator):
    # Sessions of 15 minutes are always inside botocore's refresh window, so every call renews them.
    with emulator.clients(role_session_seconds=900) as short_lived:
        for _ in range(3):
            pipeline_names(short_lived, STAGING)
        assert short_lived.calls.by_operation()["sts:AssumeRole"] >= 3
        assert short_lived.client("sts", STAGING).get_caller_identity()["Account"] == STAGING.account


def test_calls_are_counted_and_classified(aws):
    create_pipeline(aws, STAGING, "churn-batch-inference")
    before = aws.calls.snapshot()
    pipeline_names(aws, STAGING)
    aws.client("sagemaker", STAGING).describe_pipeline(PipelineName="churn-batch-inference")
    aws.client("sagemaker", STAGING).add_tags(
        ResourceArn="arn:aws:sagemaker:us-east-1:222222222222:pipeline/churn-batch-inference",
        Tags=[{"Key": "smgitops:managed", "Value": "true"}],
    )
    step = aws.calls.since(before)

    assert step.by_operation() == {
        "sagemaker:ListPipelines": 1,
        "sagemaker:DescribePipeline": 1,
        "sagemaker:AddTags": 1,
    }
    assert (step.reads, step.writes, step.auth, step.throttles, step.retries) == (2, 1, 0, 0, 0)
    assert aws.calls.auth == 1  # the AssumeRole made for the first call
    assert aws.calls.writes == 2
    assert aws.calls.reads == 2


def test_failed_calls_are_counted_too(aws):
    with pytest.raises(Exception, match="ResourceNotFoundException"):
        aws.client("scheduler", STAGING).get_schedule(Name="missing")

    assert aws.calls.by_operation()["scheduler:GetSchedule"] == 1
    assert aws.calls.retries == 0
