"""Create-model and register-model steps built directly on the SDK's `Step`, for offline rendering.

In SDK v3 these steps come from `ModelBuilder.build()`/`register()`, which inspect the model, upload code and
look up the default S3 bucket while the pipeline is being defined: AWS calls that an offline render must not
make. These two classes emit the same `Model` and `RegisterModel` step types with the request written out
here, using the SDK's pipeline variables, `ModelMetrics` and `DriftCheckBaselines` for the values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sagemaker.core.drift_check_baselines import DriftCheckBaselines
from sagemaker.core.model_metrics import ModelMetrics
from sagemaker.core.workflow.properties import Properties
from sagemaker.mlops.workflow.steps import Step, StepTypeEnum


class CreateModelStep(Step):
    """`CreateModel` from one container definition (an image and model data, or a model package)."""

    def __init__(
        self,
        name: str,
        *,
        role: Any,
        container: Mapping[str, Any],
        depends_on: Sequence[Any] | None = None,
    ) -> None:
        super().__init__(name, step_type=StepTypeEnum.CREATE_MODEL, depends_on=list(depends_on or []) or None)
        self._request = {"ExecutionRoleArn": role, "PrimaryContainer": dict(container)}
        self._properties = Properties(step_name=name, step=self, shape_name="DescribeModelOutput")

    @property
    def arguments(self) -> dict[str, Any]:
        return dict(self._request)

    @property
    def properties(self) -> Properties:
        return self._properties


class RegisterModelStep(Step):
    """`CreateModelPackage` of a new version in a model package group, with its metrics and baselines."""

    def __init__(
        self,
        name: str,
        *,
        group: Any,
        image_uri: Any,
        model_data: Any,
        content_types: Sequence[str],
        model_metrics: ModelMetrics,
        drift_check_baselines: DriftCheckBaselines,
        approval_status: str = "PendingManualApproval",
        customer_metadata: Mapping[str, Any] | None = None,
        depends_on: Sequence[Any] | None = None,
    ) -> None:
        super().__init__(name, step_type=StepTypeEnum.REGISTER_MODEL, depends_on=list(depends_on or []) or None)
        self._request: dict[str, Any] = {
            "ModelPackageGroupName": group,
            "ModelApprovalStatus": approval_status,
            "InferenceSpecification": {
                "Containers": [{"Image": image_uri, "ModelDataUrl": model_data}],
                "SupportedContentTypes": list(content_types),
                "SupportedResponseMIMETypes": list(content_types),
            },
            "ModelMetrics": model_metrics._to_request_dict(),
            "DriftCheckBaselines": drift_check_baselines._to_request_dict(),
        }
        if customer_metadata:
            self._request["CustomerMetadataProperties"] = dict(customer_metadata)
        self._properties = Properties(step_name=name, step=self, shape_name="DescribeModelPackageOutput")

    @property
    def arguments(self) -> dict[str, Any]:
        return dict(self._request)

    @property
    def properties(self) -> Properties:
        return self._properties
