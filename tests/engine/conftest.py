from __future__ import annotations

import pytest

from controller.desired.model import Account, DesiredState, Environment


def environment(name: str, account: str, **overrides) -> Environment:
    fields = dict(
        name=name,
        account=account,
        region="us-east-1",
        role=f"arn:aws:iam::{account}:role/smgitops-deploy",
        pipeline_role=f"arn:aws:iam::{account}:role/sagemaker-pipelines",
        scheduler_role=f"arn:aws:iam::{account}:role/smgitops-scheduler",
        artifacts=f"s3://{name}-mlops/smgitops/",
    )
    fields.update(overrides)
    return Environment(**fields)


@pytest.fixture
def make_state():
    def build(**environment_overrides) -> DesiredState:
        environments = {
            "dev": environment("dev", "111111111111", **environment_overrides.get("dev", {})),
            "prod": environment("prod", "333333333333", **environment_overrides.get("prod", {})),
        }
        registry = Account("111111111111", "us-east-1", "arn:aws:iam::111111111111:role/smgitops-registry")
        return DesiredState(registry=registry, environments=environments, deployments=(), revision="abc123")

    return build
