"""Error helpers read the real errors each service returns: missing objects, bad input, unreachable endpoints."""

from __future__ import annotations

import json
import socket

import pytest

from controller.aws.clients import Clients
from controller.aws.emulator import create_bucket, fake_base_session
from controller.aws.errors import classify, describe, error_code, is_not_found, paginate
from controller.desired.model import Account

STAGING = Account("222222222222", "us-east-1", "arn:aws:iam::222222222222:role/smgitops-deploy")

pytestmark = pytest.mark.aws


def raised(call, **kwargs) -> Exception:
    with pytest.raises(Exception) as caught:
        call(**kwargs)
    return caught.value


def test_missing_objects_are_not_found_in_every_service(aws):
    sagemaker = aws.client("sagemaker", STAGING)
    create_bucket(aws, STAGING, "acme-staging-errors")
    missing = {
        "sagemaker pipeline": raised(sagemaker.describe_pipeline, PipelineName="nope"),
        "sagemaker model package": raised(
            sagemaker.describe_model_package,
            ModelPackageName="arn:aws:sagemaker:us-east-1:222222222222:model-package/churn/9",
        ),
        "scheduler": raised(aws.client("scheduler", STAGING).get_schedule, Name="nope"),
        "events": raised(aws.client("events", STAGING).describe_rule, Name="nope"),
        "sns": raised(
            aws.client("sns", STAGING).get_topic_attributes, TopicArn="arn:aws:sns:us-east-1:222222222222:nope"
        ),
        "s3 head": raised(aws.client("s3", STAGING).head_object, Bucket="acme-staging-errors", Key="nope"),
        "s3 get": raised(aws.client("s3", STAGING).get_object, Bucket="acme-staging-errors", Key="nope"),
        "dynamodb": raised(aws.client("dynamodb", STAGING).describe_table, TableName="nope"),
    }

    assert {name: is_not_found(exc) for name, exc in missing.items()} == dict.fromkeys(missing, True)
    assert {name: classify(exc) for name, exc in missing.items()} == dict.fromkeys(missing, "permanent")
    assert error_code(missing["scheduler"]) == "ResourceNotFoundException"
    assert error_code(missing["s3 get"]) == "NoSuchKey"
    assert describe(missing["events"]) == "ResourceNotFoundException: Rule nope does not exist."


def test_bad_input_is_permanent_and_not_a_missing_object(aws):
    events = aws.client("events", STAGING)
    events.put_rule(Name="with-target", EventPattern=json.dumps({"source": ["smgitops.test"]}))
    events.put_targets(Rule="with-target", Targets=[{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:222222222222:q"}])

    exc = raised(events.delete_rule, Name="with-target")

    assert error_code(exc) == "ValidationException"
    assert not is_not_found(exc)
    assert classify(exc) == "permanent"
    assert describe(exc) == "ValidationException: Rule can't be deleted since it has targets."


def test_an_unreachable_endpoint_is_temporary():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    clients = Clients(
        endpoint_url=f"http://127.0.0.1:{closed_port}", base_session=fake_base_session(), max_attempts=1
    )

    exc = raised(clients.client("sts", STAGING).get_caller_identity)

    assert error_code(exc) is None
    assert not is_not_found(exc)
    assert classify(exc) == "temporary"
    assert describe(exc).startswith("EndpointConnectionError: Could not connect to the endpoint URL")


def test_plain_exceptions_are_not_aws_errors():
    assert error_code(ValueError("x")) is None
    assert not is_not_found(KeyError("x"))
    assert classify(ValueError("x")) == "permanent"
    assert classify(TimeoutError()) == "temporary"
    assert describe(ValueError("bad value")) == "ValueError: bad value"


def test_paginate_follows_botocore_paginators(aws):
    sagemaker = aws.client("sagemaker", STAGING)
    for number in range(3):
        sagemaker.create_pipeline(
            PipelineName=f"pipeline-{number}",
            PipelineDefinition="{}",
            RoleArn="arn:aws:iam::222222222222:role/x",
        )
    before = aws.calls.snapshot()

    summaries = paginate(sagemaker, "list_pipelines", "PipelineSummaries", PaginationConfig={"PageSize": 2})

    assert sorted(summary["PipelineName"] for summary in summaries) == ["pipeline-0", "pipeline-1", "pipeline-2"]
    assert aws.calls.since(before).by_operation() == {"sagemaker:ListPipelines": 2}


def test_paginate_follows_next_token_where_botocore_has_no_paginator(aws):
    events = aws.client("events", STAGING)
    for number in range(3):
        events.create_event_bus(Name=f"bus-{number}")
    assert not events.can_paginate("list_event_buses")
    before = aws.calls.snapshot()

    buses = paginate(events, "ListEventBuses", "EventBuses", Limit=1)

    assert sorted(bus["Name"] for bus in buses) == ["bus-0", "bus-1", "bus-2", "default"]
    assert aws.calls.since(before).by_operation() == {"events:ListEventBuses": 4}
