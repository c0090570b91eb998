"""The recent runs of one pipeline: status, start, duration, failure reason and, for batch inference, verdicts.

`controller.engine.status` calls `read_runs` once per pipeline a deployment declares. Reads, per pipeline: one
ListPipelineExecutions (newest first, at most `limit`); per finished run one DescribePipelineExecution (its end
time) and, for batch inference, one S3 GetObject per verdict file (`controller.pipelines.scripts.verdicts`
says where the steps write them and what they hold). A finished run never changes, so a `RunCache` keeps it
and later reads of the same run cost nothing: the dashboard's refreshes pay only for new runs. A run still
executing is read again every time.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from controller.aws.errors import is_not_found
from controller.desired.model import Account
from controller.kinds.grants import PIPELINE, Grant
from controller.pipelines.scripts import verdicts
from controller.pipelines.scripts.verdicts import DataQualityVerdict, ModelQualityVerdict

FINISHED = frozenset({"Succeeded", "Failed", "Stopped"})
READS = (
    "sagemaker:ListPipelineExecutions",
    "sagemaker:DescribePipelineExecution",
    "s3:GetObject",
)
PERMISSIONS = (
    Grant("deploy", "Runs", ("sagemaker:ListPipelineExecutions",), (PIPELINE,)),
    Grant("deploy", "RunDetails", ("sagemaker:DescribePipelineExecution",), (PIPELINE + "/execution/*",)),
)
"""The verdict files lie under the artifacts prefix, which the pipeline kind's grants already let it read."""


@dataclass(frozen=True)
class Run:
    """One pipeline execution as the status shows it."""

    arn: str
    status: str
    """`Executing`, `Stopping`, `Stopped`, `Failed` or `Succeeded`."""
    started: datetime | None
    ended: datetime | None = None
    """None while it runs."""
    failure_reason: str | None = None
    data_quality: DataQualityVerdict | None = None
    """None when the run wrote no verdict (it failed earlier, is still early, or is not batch inference)."""
    model_quality: ModelQualityVerdict | None = None
    problems: tuple[str, ...] = ()
    """Verdict files that exist but could not be read, one line each."""

    @property
    def execution_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def duration(self, now: datetime) -> float | None:
        """Seconds from start to end (to `now` while it runs)."""
        if self.started is None:
            return None
        return max(0.0, ((self.ended or now) - self.started).total_seconds())


class RunCache:
    """Finished runs by execution ARN, shared by the threads that read status."""

    def __init__(self) -> None:
        self._runs: dict[str, Run] = {}
        self._lock = threading.Lock()

    def get(self, arn: str) -> Run | None:
        with self._lock:
            return self._runs.get(arn)

    def keep(self, run: Run) -> None:
        if run.finished:
            with self._lock:
                self._runs[run.arn] = run

    def __len__(self) -> int:
        with self._lock:
            return len(self._runs)


def read_runs(
    clients: Any,
    target: Account,
    *,
    pipeline: str,
    limit: int,
    artifacts: str | None = None,
    declared_max_violations: int | None = None,
    cache: RunCache | None = None,
) -> tuple[Run, ...]:
    """The newest `limit` runs, newest first; with `artifacts` (batch inference) their verdicts too.

    A pipeline that does not exist has no runs. Other failures raise (the caller reports them).
    """
    if limit <= 0:
        return ()
    sagemaker = clients.client("sagemaker", target)
    try:
        listed = sagemaker.list_pipeline_executions(
            PipelineName=pipeline, SortBy="CreationTime", SortOrder="Descending", MaxResults=limit
        )
    except Exception as error:
        if is_not_found(error):
            return ()
        raise
    summaries = sorted(
        listed.get("PipelineExecutionSummaries", []), key=lambda item: _aware(item.get("StartTime")), reverse=True
    )[:limit]
    cache = cache if cache is not None else RunCache()
    runs = []
    for summary in summaries:
        cached = cache.get(summary["PipelineExecutionArn"])
        if cached is not None:
            runs.append(cached)
            continue
        run = _run(summary)
        if run.finished:
            ended = sagemaker.describe_pipeline_execution(PipelineExecutionArn=run.arn).get("LastModifiedTime")
            run = _with(run, ended=_aware(ended) if ended else None)
        if artifacts is not None:
            run = _with_verdicts(
                run, _object_reader(clients, target), artifacts=artifacts, pipeline=pipeline,
                declared_max=declared_max_violations,
            )
        cache.keep(run)
        runs.append(run)
    return tuple(runs)


def _run(summary: dict) -> Run:
    reason = summary.get("PipelineExecutionFailureReason")
    return Run(
        arn=summary["PipelineExecutionArn"],
        status=summary.get("PipelineExecutionStatus", "Unknown"),
        started=_aware(summary.get("StartTime")) if summary.get("StartTime") else None,
        failure_reason=reason if reason and reason != "None" else None,
    )


def _with(run: Run, **fields: Any) -> Run:
    return replace(run, **fields)


def _with_verdicts(
    run: Run, read_object: Callable[[str], Any], *, artifacts: str, pipeline: str, declared_max: int | None
) -> Run:
    problems = []
    data_quality = model_quality = None
    uri = verdicts.data_quality_uri(artifacts, pipeline, run.execution_id)
    try:
        document = read_object(uri)
        if document is not None:
            data_quality = verdicts.read_data_quality(document, declared_max=declared_max)
    except ValueError as error:
        problems.append(f"{uri}: {error}")
    uri = verdicts.model_quality_uri(artifacts, pipeline, run.execution_id)
    try:
        document = read_object(uri)
        if document is not None:
            model_quality = verdicts.read_model_quality(document)
    except ValueError as error:
        problems.append(f"{uri}: {error}")
    return _with(run, data_quality=data_quality, model_quality=model_quality, problems=tuple(problems))


def _object_reader(clients: Any, target: Account) -> Callable[[str], Any]:
    """Reads `s3://bucket/key` as JSON; None when there is no such object; ValueError when it is not JSON."""
    s3 = clients.client("s3", target)

    def read(uri: str) -> Any:
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as error:
            if is_not_found(error):
                return None
            raise
        try:
            return json.loads(body)
        except ValueError as error:
            raise ValueError(f"not JSON: {error}") from None

    return read


def _aware(moment: Any) -> datetime:
    if not isinstance(moment, datetime):
        return datetime.min.replace(tzinfo=UTC)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
