"""An in-process AWS emulator (moto's server over HTTP on 127.0.0.1) and the seed data the demo and tests share.

`smgitops demo` and the pytest fixtures in `tests/conftest.py` start an `Emulator` and reach it through
`Clients(endpoint_url=emulator.url)`, exactly as the controller reaches AWS. The emulator never reads or
changes the process environment: `Emulator.clients()` builds the `Clients` on a boto3 session holding fake
static base credentials, so no real credentials are ever sent to it and none are needed. moto maps AssumeRole
of `arn:aws:iam::<account>:role/<name>` to that account, so accounts are isolated as in AWS.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from datetime import datetime
from typing import Any

import boto3
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from controller.aws.clients import Clients, Target
from controller.aws.errors import error_code

FAKE_ACCESS_KEY = "testing"
FAKE_SECRET_KEY = "testing"
DEFAULT_REGION = "us-east-1"
EMULATOR_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def fake_base_session(region: str = DEFAULT_REGION) -> boto3.Session:
    """A boto3 session with fixed fake credentials, for talking to the emulator only."""
    return boto3.Session(
        aws_access_key_id=FAKE_ACCESS_KEY, aws_secret_access_key=FAKE_SECRET_KEY, region_name=region
    )


def quiet_request_log() -> None:
    """The server logs every request at INFO on the `werkzeug` logger; keep that out unless asked for."""
    werkzeug_logger = logging.getLogger("werkzeug")
    if werkzeug_logger.level == logging.NOTSET:
        werkzeug_logger.setLevel(logging.WARNING)


def route_without_rescanning() -> None:
    """moto's server finds the service of every request under one global lock, and on the way lists its own
    package directory (`list_of_moto_modules`: a listdir and ~150 isdir calls). Under concurrent requests that
    lock, not the emulated services, bounds how fast the emulator answers; AWS has no such bottleneck. The
    directory does not change while the server runs, so list it once. Idempotent."""
    from moto import backends

    listed = backends.list_of_moto_modules
    if getattr(listed, "listed_once", False):
        return
    modules = tuple(listed())

    def list_of_moto_modules() -> tuple[str, ...]:
        return modules

    list_of_moto_modules.listed_once = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = list_of_moto_modules  # type: ignore[assignment]


def behave_like_aws() -> None:
    """Where moto answers differently from AWS in a way the controller relies on, make it answer as AWS does:
    UpdatePipeline moves the pipeline's LastModifiedTime (the service's cheap resync compares it). Idempotent."""
    from moto.core.utils import utcnow
    from moto.sagemaker.models import SageMakerModelBackend

    update = SageMakerModelBackend.update_pipeline
    if getattr(update, "moves_last_modified_time", False):
        return

    def update_pipeline(self: Any, pipeline_name: str, **kwargs: Any) -> str:
        arn = update(self, pipeline_name, **kwargs)
        self.pipelines[pipeline_name].last_modified_time = utcnow()
        return arn

    update_pipeline.moves_last_modified_time = True  # type: ignore[attr-defined]
    SageMakerModelBackend.update_pipeline = update_pipeline  # type: ignore[method-assign]


class Emulator:
    """moto's threaded server bound to 127.0.0.1 on a free port; use as a context manager."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self.url = ""

    def start(self) -> Emulator:
        quiet_request_log()
        route_without_rescanning()
        behave_like_aws()
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget every resource in every account.

        Credentials issued by AssumeRole are forgotten too (moto would then map them to its default account),
        so a `Clients` made before a reset must not be used after it: make a new one.
        """
        request = urllib.request.Request(f"{self.url}/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            json.load(response)

    def clients(self, *, region: str = DEFAULT_REGION, **options: Any) -> Clients:
        """A fresh `Clients` pointed at this emulator, on fake base credentials."""
        return Clients(endpoint_url=self.url, base_session=fake_base_session(region), **options)


def create_bucket(clients: Clients, target: Target, bucket: str) -> None:
    """Create `bucket` in `target`'s account and region; a bucket it already owns is fine."""
    s3 = clients.client("s3", target)
    options: dict[str, Any] = {}
    if target.region != "us-east-1":
        options["CreateBucketConfiguration"] = {"LocationConstraint": target.region}
    try:
        s3.create_bucket(Bucket=bucket, **options)
    except Exception as exc:
        if error_code(exc) != "BucketAlreadyOwnedByYou":
            raise


def put_json(clients: Clients, target: Target, *, bucket: str, key: str, document: Any) -> str:
    """Write `document` as JSON to s3://bucket/key and return that URI."""
    body = json.dumps(document, indent=2, sort_keys=True).encode()
    clients.client("s3", target).put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return f"s3://{bucket}/{key}"


def seed_registry(
    clients: Clients, registry_target: Target, *, group: str, versions: int, bucket: str
) -> list[str]:
    """Register `versions` versions of `group` in PendingManualApproval, as a training pipeline would.

    Each version carries a model quality report (`ModelMetrics`) and data quality statistics and constraints
    (`DriftCheckBaselines`) whose S3 objects exist. Returns the version ARNs, oldest first.
    """
    sagemaker = clients.client("sagemaker", registry_target)
    create_bucket(clients, registry_target, bucket)
    sagemaker.create_model_package_group(
        ModelPackageGroupName=group,
        ModelPackageGroupDescription=f"{group} models registered by training",
        Tags=[{"Key": "team", "Value": group}],
    )
    return [
        register_version(clients, registry_target, group=group, number=number, bucket=bucket)
        for number in range(1, versions + 1)
    ]


def register_version(clients: Clients, registry_target: Target, *, group: str, number: int, bucket: str) -> str:
    """Register version `number` of `group` in PendingManualApproval, with its metrics and baselines."""
    uris = _put_version_artifacts(clients, registry_target, bucket=bucket, group=group, number=number)
    response = clients.client("sagemaker", registry_target).create_model_package(
        ModelPackageGroupName=group,
        ModelPackageDescription=f"{group} version {number}",
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [{"Image": EMULATOR_IMAGE, "ModelDataUrl": uris["model"]}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelMetrics={
            "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": uris["evaluation"]}}
        },
        DriftCheckBaselines={
            "ModelDataQuality": {
                "Statistics": {"ContentType": "application/json", "S3Uri": uris["statistics"]},
                "Constraints": {"ContentType": "application/json", "S3Uri": uris["constraints"]},
            }
        },
        CustomerMetadataProperties={"training/mse": str(_mse(number))},
    )
    return response["ModelPackageArn"]


def _mse(number: int) -> float:
    """Later versions are a little better, so promotion stories read naturally."""
    return round(9.0 - 0.5 * number, 2)


def _put_version_artifacts(
    clients: Clients, target: Target, *, bucket: str, group: str, number: int
) -> dict[str, str]:
    prefix = f"{group}/{number}"
    model_key = f"{prefix}/model.tar.gz"
    clients.client("s3", target).put_object(Bucket=bucket, Key=model_key, Body=b"model")
    statistics = {
        "version": 0.0,
        "dataset": {"item_count": 1000},
        "features": [{"name": "tenure", "inferred_type": "Integral", "numerical_statistics": {"mean": 32.4}}],
    }
    constraints = {
        "version": 0.0,
        "features": [{"name": "tenure", "inferred_type": "Integral", "completeness": 1.0}],
        "monitoring_config": {"evaluate_constraints": "Enabled", "emit_metrics": "Enabled"},
    }
    evaluation = {"regression_metrics": {"mse": {"value": _mse(number), "standard_deviation": 0.1}}}
    put = {"target": target, "bucket": bucket}
    return {
        "model": f"s3://{bucket}/{model_key}",
        "statistics": put_json(clients, **put, key=f"{prefix}/baseline/statistics.json", document=statistics),
        "constraints": put_json(clients, **put, key=f"{prefix}/baseline/constraints.json", document=constraints),
        "evaluation": put_json(clients, **put, key=f"{prefix}/evaluation.json", document=evaluation),
    }


def seed_fleet(
    clients: Clients,
    *,
    registry: Target,
    registry_bucket: str,
    groups: dict[str, int],
    buckets: list[tuple[Target, str]],
) -> None:
    """The starting point of a fleet: buckets in each account, and each model package group with N versions."""
    for target, bucket in buckets:
        create_bucket(clients, target, bucket)
    for group, count in sorted(groups.items()):
        seed_registry(clients, registry, group=group, versions=count, bucket=registry_bucket)


def set_execution_outcome(
    execution_arn: str,
    *,
    status: str,
    started: datetime,
    ended: datetime | None,
    failure_reason: str | None = None,
) -> None:
    """Give a pipeline execution the outcome a real run would have had: moto starts no steps, and every
    execution it records is `Succeeded` at once. Only for the emulator running in this process."""
    from moto.sagemaker.models import sagemaker_backends

    _, _, _, region, account, resource = execution_arn.split(":", 5)
    pipeline = resource.split("/")[1]
    execution = sagemaker_backends[account][region].pipelines[pipeline].pipeline_executions[execution_arn]
    execution.pipeline_execution_status = status
    execution.pipeline_execution_failure_reason = failure_reason
    execution.start_time = execution.creation_time = started
    execution.last_modified_time = ended or started
