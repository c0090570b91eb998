"""Turn the plain data of valid files into the frozen model objects of `model.py`.

The loader calls `build_state` only when structure, schema and semantic checks found nothing, so this module
may index the data directly; the defaults it fills in are the ones the schemas document.
"""

from __future__ import annotations

from typing import Any

from controller.desired import expressions
from controller.desired.documents import Document
from controller.desired.model import (
    Account,
    BatchInference,
    ChangeWindow,
    Deployment,
    DesiredState,
    Environment,
    HyperparameterRange,
    MetricThreshold,
    Notifications,
    Override,
    Thresholds,
    Training,
    Tuning,
)


def build_state(environments: Document, deployments: list[Document], *, revision: str, root: str) -> DesiredState:
    data = environments.data
    declared = {name: _environment(name, value) for name, value in data["environments"].items()}
    order = {name: index for index, name in enumerate(declared)}
    built = sorted((_deployment(document) for document in deployments), key=lambda d: (order[d.environment], d.model))
    return DesiredState(
        registry=Account(**data["registry"]),
        environments=declared,
        deployments=tuple(built),
        revision=revision,
        root=root,
        owners=tuple(data.get("owners", ())),
    )


def _environment(name: str, data: dict[str, Any]) -> Environment:
    return Environment(
        name=name,
        account=data["account"],
        region=data["region"],
        role=data["role"],
        pipeline_role=data["pipelineRole"],
        scheduler_role=data["schedulerRole"],
        artifacts=data["artifacts"],
        promotes_from=data.get("promotesFrom"),
        min_soak_minutes=expressions.duration_minutes(data.get("minSoak", 0)) or 0,
        drift=data.get("drift", "enforce"),
        prune=data.get("prune", False),
        suspended=data.get("suspended", False),
        change_windows=tuple(_change_window(window) for window in data.get("changeWindows", ())),
        owners=tuple(data.get("owners", ())),
    )


def _change_window(data: dict[str, Any]) -> ChangeWindow:
    return ChangeWindow(
        schedule=data["schedule"],
        duration_minutes=expressions.duration_minutes(data["duration"]) or 0,
        timezone=data.get("timezone", "UTC"),
    )


def _deployment(document: Document) -> Deployment:
    data = document.data
    return Deployment(
        environment=document.environment,
        model=data["model"],
        source=document.relative,
        path=document.path,
        positions={key: document.position((key,)) for key in document.data},
        model_package_group=data["modelPackageGroup"],
        approved_version=int(data["approvedVersion"]),
        batch_inference=_batch_inference(data["batchInference"]),
        thresholds=_thresholds(data["thresholds"]),
        rejected_versions=tuple(int(version) for version in data.get("rejectedVersions", ())),
        training=_training(data["training"]) if "training" in data else None,
        notifications=_notifications(data["notifications"]) if "notifications" in data else None,
        suspended=data.get("suspended", False),
        override=Override(**data["override"]) if "override" in data else None,
        adopt=data.get("adopt", False),
    )


def _batch_inference(data: dict[str, Any]) -> BatchInference:
    return BatchInference(
        pipeline=data["pipeline"],
        template=data["template"],
        schedule=data["schedule"],
        timezone=data.get("timezone", "UTC"),
        enabled=data.get("enabled", True),
        instance_type=data["instanceType"],
        instance_count=int(data.get("instanceCount", 1)),
        input=data["input"],
        output=data["output"],
        ground_truth=data.get("groundTruth"),
    )


def _metric(data: dict[str, Any]) -> MetricThreshold:
    return MetricThreshold(metric=data["metric"], max=_float(data.get("max")), min=_float(data.get("min")))


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _thresholds(data: dict[str, Any]) -> Thresholds:
    model_quality = data.get("modelQuality")
    return Thresholds(
        data_quality_max_violations=int(data["dataQuality"]["maxViolations"]),
        model_quality=_metric(model_quality) if model_quality is not None else None,
    )


def _training(data: dict[str, Any]) -> Training:
    return Training(
        pipeline=data["pipeline"],
        template=data["template"],
        input=data["input"],
        instance_type=data["instanceType"],
        register_when=_metric(data["registerWhen"]),
        schedule=data.get("schedule"),
        timezone=data.get("timezone", "UTC"),
        on_new_data=data.get("onNewData", False),
        tuning=_tuning(data["tuning"]) if "tuning" in data else None,
        retune_on_model_quality_failure=data.get("retuneOnModelQualityFailure", False),
    )


def _tuning(data: dict[str, Any]) -> Tuning:
    return Tuning(
        objective=data["objective"],
        max_jobs=int(data["maxJobs"]),
        max_parallel_jobs=int(data["maxParallelJobs"]),
        ranges=tuple(_range(name, value) for name, value in data["ranges"].items()),
    )


def _range(name: str, data: dict[str, Any]) -> HyperparameterRange:
    return HyperparameterRange(
        name=name,
        type=data["type"],
        min=_float(data.get("min")),
        max=_float(data.get("max")),
        values=tuple(_categorical(value) for value in data.get("values", ())),
    )


def _categorical(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _notifications(data: dict[str, Any]) -> Notifications:
    return Notifications(topic=data["topic"], emails=tuple(data.get("emails", ())))
