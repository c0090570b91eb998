"""Desired-state model objects mirroring `desired_state/`, built directly (no YAML), for the pipeline tests.

`example_state()` is the example fleet; `churn()`, `ltv()` and `churn_training()` build its deployments with
any field changed. The helpers at the bottom read rendered definitions (steps, parameters).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from controller.desired.model import (
    Account,
    BatchInference,
    Deployment,
    DesiredState,
    Environment,
    HyperparameterRange,
    MetricThreshold,
    Notifications,
    Thresholds,
    Training,
    Tuning,
)
from controller.pipelines import RenderedPipeline

REGISTRY = Account("111111111111", "us-east-1", "arn:aws:iam::111111111111:role/smgitops-registry")
ACCOUNTS = {"dev": "111111111111", "staging": "222222222222", "prod": "333333333333"}
REGIONS = {"dev": "us-east-1", "staging": "us-east-1", "prod": "us-east-1"}


def environment(name: str) -> Environment:
    account = ACCOUNTS[name]
    return Environment(
        name=name,
        account=account,
        region=REGIONS[name],
        role=f"arn:aws:iam::{account}:role/smgitops-deploy",
        pipeline_role=f"arn:aws:iam::{account}:role/sagemaker-pipelines",
        scheduler_role=f"arn:aws:iam::{account}:role/smgitops-scheduler",
        artifacts=f"s3://acme-{name}-mlops/smgitops/",
    )


def churn(environment_name: str, **changes: Any) -> Deployment:
    """`<environment>/churn.yaml`: ground truth and an mse threshold; training (with HPO) only in dev."""
    deployment = Deployment(
        environment=environment_name,
        model="churn",
        source=f"{environment_name}/churn.yaml",
        model_package_group="churn",
        approved_version=8 if environment_name == "dev" else 7,
        batch_inference=BatchInference(
            pipeline="churn-batch-inference",
            template="batch-inference",
            schedule="cron(0 4 * * ? *)",
            timezone="Europe/Berlin",
            enabled=True,
            instance_type="ml.m5.large" if environment_name == "dev" else "ml.m5.xlarge",
            instance_count=2 if environment_name == "prod" else 1,
            input=f"s3://acme-{environment_name}/churn/inference/",
            output=f"s3://acme-{environment_name}/churn/predictions/",
            ground_truth=f"s3://acme-{environment_name}/churn/ground-truth/",
        ),
        thresholds=Thresholds(
            data_quality_max_violations=2 if environment_name == "dev" else 0,
            model_quality=MetricThreshold(metric="mse", max=12.0 if environment_name == "dev" else 10.0),
        ),
        training=churn_training() if environment_name == "dev" else None,
        notifications=Notifications(topic="churn-alerts", emails=("churn-team@example.com",)),
    )
    return dataclasses.replace(deployment, **changes)


def churn_training(**changes: Any) -> Training:
    training = Training(
        pipeline="churn-training",
        template="training-hpo",
        input="s3://acme-dev/churn/training/",
        instance_type="ml.m5.xlarge",
        register_when=MetricThreshold(metric="mse", max=10.0),
        schedule="rate(7 days)",
        on_new_data=True,
        tuning=Tuning(
            objective="mse",
            max_jobs=8,
            max_parallel_jobs=2,
            ranges=(
                HyperparameterRange(name="max_depth", type="integer", min=2, max=8),
                HyperparameterRange(name="eta", type="continuous", min=0.05, max=0.5),
            ),
        ),
        retune_on_model_quality_failure=True,
    )
    return dataclasses.replace(training, **changes)


def ltv(environment_name: str, **changes: Any) -> Deployment:
    """`<environment>/ltv.yaml`: no ground truth, so no model quality check; no training."""
    deployment = Deployment(
        environment=environment_name,
        model="ltv",
        source=f"{environment_name}/ltv.yaml",
        model_package_group="customer-ltv",
        approved_version=3,
        batch_inference=BatchInference(
            pipeline="ltv-batch-inference",
            template="batch-inference",
            schedule="cron(30 2 ? * SUN *)",
            timezone="UTC",
            enabled=True,
            instance_type="ml.m5.large",
            instance_count=1,
            input=f"s3://acme-{environment_name}/ltv/inference/",
            output=f"s3://acme-{environment_name}/ltv/predictions/",
        ),
        thresholds=Thresholds(data_quality_max_violations=1 if environment_name == "staging" else 0),
    )
    return dataclasses.replace(deployment, **changes)


def example_state(*deployments: Deployment, root: str = ".") -> DesiredState:
    chosen = deployments or (churn("dev"), churn("staging"), ltv("staging"), churn("prod"), ltv("prod"))
    return DesiredState(
        registry=REGISTRY,
        environments={name: environment(name) for name in ACCOUNTS},
        deployments=tuple(chosen),
        revision="test",
        root=root,
    )


def plain_training_deployment() -> Deployment:
    return churn("dev", training=churn_training(template="training", tuning=None))


def flatten(definition: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Every step as (branch, name, type) in definition order; branch is `if:<condition>`/`else:<condition>`."""
    steps = []

    def walk(items: list[dict[str, Any]], branch: str) -> None:
        for step in items:
            steps.append((branch, step["Name"], step["Type"]))
            if step["Type"] == "Condition":
                walk(step["Arguments"]["IfSteps"], f"if:{step['Name']}")
                walk(step["Arguments"]["ElseSteps"], f"else:{step['Name']}")

    walk(definition["Steps"], "")
    return steps


def step(definition: dict[str, Any], name: str) -> dict[str, Any]:
    found = {}

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            found[item["Name"]] = item
            if item["Type"] == "Condition":
                walk(item["Arguments"]["IfSteps"] + item["Arguments"]["ElseSteps"])

    walk(definition["Steps"])
    return found[name]


def parameters(definition: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    return {item["Name"]: (item["Type"], item.get("DefaultValue")) for item in definition["Parameters"]}


def without_defaults(rendered: RenderedPipeline) -> dict[str, Any]:
    definition = json.loads(rendered.definition)
    for parameter in definition["Parameters"]:
        parameter.pop("DefaultValue")
    return definition
