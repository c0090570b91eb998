"""What people do outside git, by hand in the AWS console: the demo and the tests play it with these calls.

Each function makes the same API calls the console would, so the controller sees exactly the drift a person
would leave behind.
"""

from __future__ import annotations

from typing import Any

from controller.aws.clients import Clients, Target

SCHEDULE_FIELDS = (
    "Name",
    "GroupName",
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "Description",
    "State",
    "Target",
    "FlexibleTimeWindow",
    "ActionAfterCompletion",
)


def set_approval(clients: Clients, registry: Target, *, group: str, version: int, status: str = "Approved") -> None:
    """Approve (or reject) a model version by hand, keeping everything else on it."""
    sagemaker = clients.client("sagemaker", registry)
    arn = f"arn:aws:sagemaker:{registry.region}:{registry.account}:model-package/{group}/{version}"
    package = sagemaker.describe_model_package(ModelPackageName=arn)
    sagemaker.update_model_package(
        ModelPackageArn=arn,
        ModelApprovalStatus=status,
        ApprovalDescription="changed in the console",
        CustomerMetadataProperties=package.get("CustomerMetadataProperties") or {},
    )


def approval_status(clients: Clients, registry: Target, *, group: str, version: int) -> str:
    arn = f"arn:aws:sagemaker:{registry.region}:{registry.account}:model-package/{group}/{version}"
    return clients.client("sagemaker", registry).describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"]


def edit_schedule(clients: Clients, target: Target, *, group: str, name: str, **changes: Any) -> dict[str, Any]:
    """Change fields of a schedule (e.g. ScheduleExpression="cron(0 9 * * ? *)"); returns the schedule as it was."""
    scheduler = clients.client("scheduler", target)
    current = scheduler.get_schedule(GroupName=group, Name=name)
    request = {key: current[key] for key in SCHEDULE_FIELDS if key in current}
    scheduler.update_schedule(**{**request, **changes})
    return current


def edit_pipeline(clients: Clients, target: Target, *, name: str, **changes: Any) -> dict[str, Any]:
    """Change fields of a pipeline (e.g. RoleArn=...), keeping its definition and description unless given;
    returns the pipeline as it was."""
    sagemaker = clients.client("sagemaker", target)
    current = sagemaker.describe_pipeline(PipelineName=name)
    request = {key: current[key] for key in ("PipelineDefinition", "PipelineDescription", "RoleArn") if key in current}
    sagemaker.update_pipeline(PipelineName=name, **{**request, **changes})
    return current
