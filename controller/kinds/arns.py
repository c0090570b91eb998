"""ARNs of the objects smgitops manages or points at, built one way everywhere (kinds, rules, notifications).

`target` is anything with `.account` and `.region` (an `Account` or an `Environment`). China and GovCloud
regions have partitions of their own.
"""

from __future__ import annotations

from typing import Protocol


class Place(Protocol):
    account: str
    region: str


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def arn(target: Place, service: str, resource: str) -> str:
    return f"arn:{partition(target.region)}:{service}:{target.region}:{target.account}:{resource}"


def pipeline_arn(target: Place, pipeline: str) -> str:
    """SageMaker reports pipeline ARNs with the name in lower case; targets and patterns use the same form."""
    return arn(target, "sagemaker", f"pipeline/{pipeline.lower()}")


def topic_arn(target: Place, topic: str) -> str:
    return arn(target, "sns", topic)


def default_bus_arn(target: Place) -> str:
    return arn(target, "events", "event-bus/default")
