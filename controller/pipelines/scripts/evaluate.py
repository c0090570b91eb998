"""Evaluate predictions against labels and write a model quality report: the `Evaluate` step of training.

Runs as a SageMaker processing job on the scikit-learn image, and locally the same way:

    python3 evaluate.py --predictions DIR --labels DIR --problem-type regression --report FILE

Every `<name>.out` under --predictions (what batch transform writes for input `<name>`) is paired with
`<name>` under --labels: one value per line, in the same order. The report has the layout of SageMaker model
quality reports, e.g. `{"regression_metrics": {"mse": {"value": 3.2}, ...}}`; the pipeline's condition step
reads the metric from it. `model_quality.py` reuses the functions here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn import metrics as skmetrics

PREDICTION_SUFFIX = ".out"
SECTIONS = {"regression": "regression_metrics", "binary_classification": "binary_classification_metrics"}
METRIC_PROBLEM_TYPES = {
    **{name: "regression" for name in ("mse", "rmse", "mae", "r2")},
    **{name: "binary_classification" for name in ("accuracy", "auc", "f1", "precision", "recall")},
}


class EvaluationError(Exception):
    """The inputs cannot be evaluated; the message says which file and why."""


def read_values(path: Path) -> np.ndarray:
    """The first column of every non-empty line of a CSV file, as floats."""
    values = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        cell = line.split(",")[0].strip()
        try:
            values.append(float(cell))
        except ValueError:
            raise EvaluationError(f"{path}:{number}: {cell!r} is not a number") from None
    return np.asarray(values, dtype=float)


def paired_values(predictions_dir: Path, labels_dir: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """All predictions and their labels, concatenated; plus the prediction files that have no labels."""
    predicted, actual, unmatched = [], [], []
    for prediction_file in sorted(predictions_dir.rglob(f"*{PREDICTION_SUFFIX}")):
        relative = prediction_file.relative_to(predictions_dir).as_posix()[: -len(PREDICTION_SUFFIX)]
        label_file = labels_dir / relative
        if not label_file.is_file():
            unmatched.append(relative)
            continue
        predictions, labels = read_values(prediction_file), read_values(label_file)
        if len(predictions) != len(labels):
            raise EvaluationError(
                f"{prediction_file} has {len(predictions)} predictions but {label_file} has {len(labels)} labels"
            )
        predicted.append(predictions)
        actual.append(labels)
    if not predicted:
        return np.empty(0), np.empty(0), unmatched
    return np.concatenate(predicted), np.concatenate(actual), unmatched


def compute_metrics(problem_type: str, predictions: np.ndarray, labels: np.ndarray) -> dict:
    if len(predictions) < 2:
        raise EvaluationError(f"need at least 2 labelled predictions to evaluate, got {len(predictions)}")
    if problem_type == "regression":
        mse = float(skmetrics.mean_squared_error(labels, predictions))
        return {
            "mse": mse,
            "rmse": float(np.sqrt(mse)),
            "mae": float(skmetrics.mean_absolute_error(labels, predictions)),
            "r2": float(skmetrics.r2_score(labels, predictions)),
        }
    if problem_type == "binary_classification":
        return _binary_metrics(predictions, labels)
    raise EvaluationError(f"unknown problem type {problem_type!r}; expected one of {', '.join(SECTIONS)}")


def build_report(problem_type: str, predictions: np.ndarray, labels: np.ndarray) -> dict:
    values = compute_metrics(problem_type, predictions, labels)
    return {
        SECTIONS[problem_type]: {name: {"value": value} for name, value in values.items()},
        "record_count": len(predictions),
    }


def write_json(path: Path, document: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Evaluate batch transform predictions against labels.")
    parser.add_argument("--predictions", type=Path, required=True, help="directory of <name>.out files")
    parser.add_argument("--labels", type=Path, required=True, help="directory of <name> label files")
    parser.add_argument("--problem-type", choices=sorted(SECTIONS), required=True)
    parser.add_argument("--report", type=Path, required=True, help="where to write the report JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        predictions, labels, unmatched = paired_values(args.predictions, args.labels)
        report = build_report(args.problem_type, predictions, labels)
    except EvaluationError as error:
        print(f"evaluate: {error}", file=sys.stderr)
        return 2
    if unmatched:
        print(f"evaluate: no labels for {len(unmatched)} prediction file(s): {', '.join(unmatched)}", file=sys.stderr)
    write_json(args.report, report)
    section = report[SECTIONS[args.problem_type]]
    summary = ", ".join(f"{name} {entry['value']:.6g}" for name, entry in section.items())
    print(f"evaluate: {summary} over {len(predictions)} records")
    return 0


def _binary_metrics(predictions: np.ndarray, labels: np.ndarray) -> dict:
    if not set(np.unique(labels)) <= {0.0, 1.0}:
        raise EvaluationError("binary classification labels must be 0 or 1")
    predicted_class = (predictions >= 0.5).astype(int)
    values = {
        "accuracy": float(skmetrics.accuracy_score(labels, predicted_class)),
        "precision": float(skmetrics.precision_score(labels, predicted_class, zero_division=0)),
        "recall": float(skmetrics.recall_score(labels, predicted_class, zero_division=0)),
        "f1": float(skmetrics.f1_score(labels, predicted_class, zero_division=0)),
    }
    if len(np.unique(labels)) == 2:
        values["auc"] = float(skmetrics.roc_auc_score(labels, predictions))
    return values


if __name__ == "__main__":
    sys.exit(main())
