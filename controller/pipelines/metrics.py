"""The model metrics smgitops knows: which problem type each belongs to and where it sits in a report.

Used on both sides of a render: `parameters` names threshold parameters after the metric
(`RegisterMaxMse`), and the templates read `regression_metrics.mse.value` from the evaluation report. The
report layout is the one SageMaker Model Monitor uses for model quality, and the processing scripts write it.
"""

from __future__ import annotations

REGRESSION_METRICS = ("mse", "rmse", "mae", "r2")
BINARY_CLASSIFICATION_METRICS = ("accuracy", "auc", "f1", "precision", "recall")
LOWER_IS_BETTER = ("mse", "rmse", "mae")

REPORT_SECTIONS = {
    "regression": "regression_metrics",
    "binary_classification": "binary_classification_metrics",
}
XGBOOST_OBJECTIVES = {"regression": "reg:squarederror", "binary_classification": "binary:logistic"}
XGBOOST_TUNING_METRICS = {
    "mse": "validation:mse",
    "rmse": "validation:rmse",
    "mae": "validation:mae",
    "auc": "validation:auc",
    "accuracy": "validation:accuracy",
    "f1": "validation:f1",
}


class UnknownMetric(ValueError):
    pass


def problem_type(metric: str) -> str:
    if metric in REGRESSION_METRICS:
        return "regression"
    if metric in BINARY_CLASSIFICATION_METRICS:
        return "binary_classification"
    known = ", ".join(REGRESSION_METRICS + BINARY_CLASSIFICATION_METRICS)
    raise UnknownMetric(f"unknown metric {metric!r}; known metrics: {known}")


def report_path(metric: str) -> str:
    """The JSON path of a metric's value in an evaluation or model quality report."""
    return f"{REPORT_SECTIONS[problem_type(metric)]}.{metric}.value"


def threshold_parameter(prefix: str, bound: str, metric: str) -> str:
    """`threshold_parameter("Register", "max", "mse")` is `RegisterMaxMse`."""
    words = [prefix, bound, *metric.split("_")]
    return "".join(word[:1].upper() + word[1:] for word in words)


def tuning_objective(metric: str) -> tuple[str, str]:
    """The XGBoost metric name and the direction (`Minimize` or `Maximize`) tuning a metric uses."""
    problem_type(metric)
    if metric not in XGBOOST_TUNING_METRICS:
        known = ", ".join(XGBOOST_TUNING_METRICS)
        raise UnknownMetric(f"the built-in algorithm cannot tune for {metric!r}; it can tune for {known}")
    direction = "Minimize" if metric in LOWER_IS_BETTER else "Maximize"
    return XGBOOST_TUNING_METRICS[metric], direction
