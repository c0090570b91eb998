"""Render a `FleetStatus`: a fleet table for the terminal, and JSON whose shape is `schemas/status.schema.json`.

`smgitops status` prints one of them; the dashboard serves the JSON at `/api/status`. Rendering decides
nothing: every word comes from the status model.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from controller.engine.runs import Run
from controller.engine.status import DeploymentStatus, FleetStatus, PipelineStatus
from controller.pipelines.scripts.verdicts import DataQualityVerdict, ModelQualityVerdict

STATUS_FORMAT = 1
HEADERS = ("ENVIRONMENT", "MODEL", "VERSION", "SYNC", "LAST RUN", "DATA QUALITY", "MODEL QUALITY", "NEXT RUN")


def render(status: FleetStatus, fmt: str) -> str:
    return to_json(status) if fmt == "json" else text(status)


def text(status: FleetStatus) -> str:
    """One line per deployment, then what is not in sync and which versions wait for approval."""
    lines = [f"smgitops status at revision {status.revision} ({_when(status.generated_at)})", ""]
    rows = [_row(deployment, status.generated_at) for deployment in status.deployments]
    lines += _table(HEADERS, rows)
    notes = []
    for deployment in status.deployments:
        name = f"{deployment.environment}/{deployment.model}"
        notes += [f"  {name} {deployment.sync}: {reason}" for reason in deployment.sync_reasons]
        notes += [f"  {name}: {problem}" for problem in deployment.problems]
        if deployment.pending_versions:
            versions = ", ".join(str(version) for version in deployment.pending_versions)
            notes.append(f"  {name}: awaiting approval: version {versions}")
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


def version_cell(deployment: DeploymentStatus) -> str:
    """`7` when git and the pipeline agree, `7 (live 6)` when they do not, `7 (live -)` with no pipeline."""
    if deployment.live_version == deployment.declared_version:
        return str(deployment.declared_version)
    live = "-" if deployment.live_version is None else str(deployment.live_version)
    return f"{deployment.declared_version} (live {live})"


def run_cell(run: Run | None, now: datetime) -> str:
    if run is None:
        return "no runs"
    duration = run.duration(now)
    took = "" if duration is None else f" ({_duration(duration)})"
    return f"{run.status} {_when(run.started)}{took}"


def data_quality_cell(verdict: DataQualityVerdict | None) -> str:
    if verdict is None:
        return "-"
    limit = "?" if verdict.max_violations is None else str(verdict.max_violations)
    word = {True: "ok", False: "FAILED", None: ""}[verdict.passed]
    return f"{verdict.violations}/{limit} {word}".strip()


def model_quality_cell(verdict: ModelQualityVerdict | None) -> str:
    if verdict is None:
        return "-"
    bounds = []
    if verdict.max is not None:
        bounds.append(f"<={verdict.max:g}")
    if verdict.min is not None:
        bounds.append(f">={verdict.min:g}")
    return f"{verdict.metric} {verdict.value:.4g} {' '.join(bounds)} {'ok' if verdict.passed else 'FAILED'}"


def next_run_cell(pipeline: PipelineStatus) -> str:
    if not pipeline.enabled:
        return "disabled"
    return _when(pipeline.next_run) if pipeline.next_run else "-"


def to_dict(status: FleetStatus) -> dict[str, Any]:
    counts = {state: 0 for state in ("synced", "pending", "held", "drifted", "conflict", "failed")}
    for deployment in status.deployments:
        counts[deployment.sync] += 1
    return {
        "format": STATUS_FORMAT,
        "revision": status.revision,
        "generated_at": _iso(status.generated_at),
        "environments": list(status.environments),
        "summary": counts,
        "errors": list(status.errors),
        "deployments": [_deployment(deployment, status.generated_at) for deployment in status.deployments],
    }


def to_json(status: FleetStatus) -> str:
    return json.dumps(to_dict(status), indent=2, sort_keys=True) + "\n"


def _deployment(deployment: DeploymentStatus, now: datetime) -> dict[str, Any]:
    return {
        "environment": deployment.environment,
        "model": deployment.model,
        "source": deployment.source,
        "version": {
            "declared": deployment.declared_version,
            "live": deployment.live_version,
            "registry_status": deployment.registry_status,
        },
        "sync": {"state": deployment.sync, "reasons": list(deployment.sync_reasons)},
        "max_violations": deployment.max_violations,
        "batch_inference": _pipeline(deployment.batch, now),
        "training": _pipeline(deployment.training, now) if deployment.training else None,
        "pending_versions": list(deployment.pending_versions),
        "last_changes": [
            {"what": change.what, "revision": change.revision, "at": _iso(change.at)}
            for change in deployment.last_changes
        ],
        "problems": list(deployment.problems),
    }


def _pipeline(pipeline: PipelineStatus, now: datetime) -> dict[str, Any]:
    return {
        "pipeline": pipeline.pipeline,
        "template": pipeline.template,
        "schedule": pipeline.schedule,
        "timezone": pipeline.timezone,
        "enabled": pipeline.enabled,
        "next_run": _iso(pipeline.next_run),
        "runs": [_run(run, now) for run in pipeline.runs],
    }


def _run(run: Run, now: datetime) -> dict[str, Any]:
    duration = run.duration(now)
    return {
        "execution_arn": run.arn,
        "status": run.status,
        "started_at": _iso(run.started),
        "ended_at": _iso(run.ended),
        "duration_seconds": None if duration is None else round(duration, 1),
        "failure_reason": run.failure_reason,
        "data_quality": _data_quality(run.data_quality),
        "model_quality": _model_quality(run.model_quality),
    }


def _data_quality(verdict: DataQualityVerdict | None) -> dict[str, Any] | None:
    if verdict is None:
        return None
    return {
        "violations": verdict.violations,
        "max_violations": verdict.max_violations,
        "passed": verdict.passed,
        "summary": verdict.summary,
    }


def _model_quality(verdict: ModelQualityVerdict | None) -> dict[str, Any] | None:
    if verdict is None:
        return None
    return {"metric": verdict.metric, "value": verdict.value, "max": verdict.max, "min": verdict.min,
            "passed": verdict.passed}


def _row(deployment: DeploymentStatus, now: datetime) -> tuple[str, ...]:
    run = deployment.last_run
    return (
        deployment.environment,
        deployment.model,
        version_cell(deployment),
        deployment.sync,
        run_cell(run, now),
        data_quality_cell(run.data_quality if run else None),
        model_quality_cell(run.model_quality if run else None),
        next_run_cell(deployment.batch),
    )


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzinfo}"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _duration(seconds: float) -> str:
    """`45s`, `14m`, `1h35m`."""
    if seconds < 60:
        return f"{round(seconds)}s"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in (headers, *rows)]
