"""The verdict files batch inference leaves for each run: where they are and what they hold, in one place.

The `DataQualityGate` and `ModelQualityCheck` steps write them (through `data_quality_gate.py` and
`model_quality.py`, which import this file as a sibling module inside the processing container); the
batch-inference template points the steps' outputs at these places; `smgitops status` reads them back
(`controller.engine.runs`). Everything a run writes lives under `<artifacts>runs/<pipeline>/<execution id>/`:

- `data-quality-gate/data_quality.json`:
  `{"violations": 2, "maxViolations": 0, "passed": false, "summary": "2 violations: ...", "details": [...]}`
  (`maxViolations` and `passed` are absent in files written by pipelines older than them);
- `model-quality/model_quality.json`: the model quality report (`{"regression_metrics": {"mse": {"value":
  12.1}}, "record_count": 500, ...}`) with
  `"threshold": {"metric": "mse", "value": 12.1, "max": 10.0, "min": null, "passed": false}`.
  No file means the step did not get that far (or the inputs could not be evaluated).

Only the standard library here: the container has no smgitops installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RUNS_DIR = "runs"
DATA_QUALITY_OUTPUT = "data-quality-gate"
DATA_QUALITY_FILE = "data_quality.json"
MODEL_QUALITY_OUTPUT = "model-quality"
MODEL_QUALITY_FILE = "model_quality.json"

VIOLATIONS = "violations"
MAX_VIOLATIONS = "maxViolations"
PASSED = "passed"
SUMMARY = "summary"
DETAILS = "details"
THRESHOLD = "threshold"
METRIC = "metric"
VALUE = "value"
MAX = "max"
MIN = "min"


def run_prefix(artifacts: str, pipeline: str, execution_id: str) -> str:
    """`s3://bucket/prefix/runs/<pipeline>/<execution id>/`: where one execution's files go."""
    return f"{artifacts}{RUNS_DIR}/{pipeline}/{execution_id}/"


def data_quality_uri(artifacts: str, pipeline: str, execution_id: str) -> str:
    return f"{run_prefix(artifacts, pipeline, execution_id)}{DATA_QUALITY_OUTPUT}/{DATA_QUALITY_FILE}"


def model_quality_uri(artifacts: str, pipeline: str, execution_id: str) -> str:
    return f"{run_prefix(artifacts, pipeline, execution_id)}{MODEL_QUALITY_OUTPUT}/{MODEL_QUALITY_FILE}"


def data_quality_document(details: list, *, summary: str, max_violations: int | None) -> dict:
    """What `DataQualityGate` writes: the violations found, and, when it knows the limit, the verdict."""
    document: dict = {VIOLATIONS: len(details), SUMMARY: summary, DETAILS: list(details)}
    if max_violations is not None:
        document[MAX_VIOLATIONS] = max_violations
        document[PASSED] = len(details) <= max_violations
    return document


def threshold_section(metric: str, value: float, *, maximum: float | None, minimum: float | None) -> dict:
    """The `threshold` part of the model quality report: the metric, its value, its bounds and the verdict."""
    passed = (maximum is None or value <= maximum) and (minimum is None or value >= minimum)
    return {METRIC: metric, VALUE: value, MAX: maximum, MIN: minimum, PASSED: passed}


@dataclass(frozen=True)
class DataQualityVerdict:
    violations: int
    max_violations: int | None
    passed: bool | None
    """None when neither the file nor the caller knows the limit."""
    summary: str


@dataclass(frozen=True)
class ModelQualityVerdict:
    metric: str
    value: float
    max: float | None
    min: float | None
    passed: bool


def read_data_quality(document: Any, *, declared_max: int | None = None) -> DataQualityVerdict:
    """The verdict in a `data_quality.json`; `declared_max` stands in for a file without `maxViolations`.

    Raises ValueError when the document does not have the shape above.
    """
    if not isinstance(document, dict) or not isinstance(document.get(VIOLATIONS), int):
        raise ValueError(f"not a data quality verdict: '{VIOLATIONS}' is missing or not a number")
    violations = document[VIOLATIONS]
    limit = document.get(MAX_VIOLATIONS, declared_max)
    limit = limit if isinstance(limit, int) else None
    passed = document.get(PASSED)
    if not isinstance(passed, bool):
        passed = None if limit is None else violations <= limit
    return DataQualityVerdict(violations, limit, passed, str(document.get(SUMMARY, "")))


def read_model_quality(document: Any) -> ModelQualityVerdict:
    """The verdict in a `model_quality.json`; raises ValueError when it has none."""
    threshold = document.get(THRESHOLD) if isinstance(document, dict) else None
    if not isinstance(threshold, dict) or not isinstance(threshold.get(METRIC), str):
        raise ValueError(f"not a model quality report: '{THRESHOLD}.{METRIC}' is missing")
    value = threshold.get(VALUE)
    if not isinstance(value, (int, float)):
        value = _section_value(document, threshold[METRIC])
    maximum, minimum = _number(threshold.get(MAX)), _number(threshold.get(MIN))
    verdict = threshold_section(threshold[METRIC], float(value), maximum=maximum, minimum=minimum)
    passed = threshold.get(PASSED)
    return ModelQualityVerdict(
        metric=threshold[METRIC],
        value=float(value),
        max=maximum,
        min=minimum,
        passed=passed if isinstance(passed, bool) else verdict[PASSED],
    )


def _section_value(document: dict, metric: str) -> float:
    """Reports written before `threshold.value` existed keep the value in their metrics section only."""
    for section in document.values():
        if isinstance(section, dict) and isinstance(section.get(metric), dict):
            value = section[metric].get(VALUE)
            if isinstance(value, (int, float)):
                return float(value)
    raise ValueError(f"not a model quality report: no value for {metric}")


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
