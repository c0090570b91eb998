from __future__ import annotations

import pytest
from helpers import environment

from controller.desired.model import Account, DesiredState


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
