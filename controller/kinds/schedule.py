"""EventBridge Scheduler schedules that start each deployment's SageMaker pipelines on time.

Every deployment gets one schedule for its batch inference pipeline (`batchInference.schedule`, `timezone`,
`enabled`) and, when the file has `training.schedule`, one for its training pipeline; a schedule is named after
the pipeline it starts. The ownership boundary is one schedule group per environment, `smgitops-<environment>`,
created with ownership tags by the first apply that needs it: smgitops reads, writes and deletes schedules in
that group only, and only when the group carries those tags (a same-name group someone else made is a plan
error, and nothing is written into it). Schedules cannot be tagged, so ownership, source, revision and the spec
hash last written are kept in the schedule's `Description`; a schedule in the group without that marker counts
as not managed (a same-name declaration is then a conflict, left alone unless the file says `adopt: true`).
Reads: one ListSchedules and one ListTagsForResource (of the group) per environment, then one GetSchedule per
schedule in the group (ListSchedules returns no Description and only the target ARN), on the account's pool,
except where the list answer proves the schedule is what git declares:

- In `plan` and `apply`, a schedule is not read when nothing touched it since smgitops wrote git's spec. Right
  after it writes a schedule, apply records `<LastModificationDate>;<spec-hash>;<revision>` in the
  `smgitops:schedule-written-at` tag of the pipeline the schedule starts (a schedule is named after its pipeline,
  and cannot be tagged itself); a plan reads those stamps for the whole account from the tagging index and
  skips GetSchedule when ListSchedules shows the same LastModificationDate, git's target and git's state, and
  the stamp's hash is git's. Every UpdateSchedule moves LastModificationDate, so any change since is read; a
  stale or missing stamp (an older smgitops, a crash between the write and the tag, a recreated pipeline)
  means a GetSchedule, never a wrong "no change".
- In the service, only for schedules whose LastModificationDate moved, and the group's tags only at a full read.

The engine calls `desired`, `read`, `orphan` and `apply`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from controller.aws.errors import error_code, is_not_found, paginate
from controller.desired.model import Deployment, DesiredState, Environment
from controller.kinds.arns import arn, pipeline_arn
from controller.kinds.base import (
    MANAGED_TAG,
    Live,
    ReadScope,
    Resource,
    live_from_marker,
    marker,
    pipeline_stamps,
    spec_hash,
    tags_to_dict,
    tags_to_list,
    written_at,
)
from controller.kinds.grants import PIPELINE, SCHEDULE_GROUP, SCHEDULES, Grant, pass_role
from controller.kinds.memory import described, held_fact

NAME = "schedule"
SCOPE = "environment"
ORDER = 40
CREATABLE = True
READS = (
    "scheduler:ListSchedules", "scheduler:GetSchedule", "scheduler:GetScheduleGroup", "scheduler:ListTagsForResource",
    "resourcegroupstaggingapi:GetResources", "sagemaker:DescribePipeline",
)
WRITES = (
    "scheduler:CreateScheduleGroup",
    "scheduler:CreateSchedule",
    "scheduler:UpdateSchedule",
    "scheduler:DeleteSchedule",
    "sagemaker:DeleteTags",
    "sagemaker:AddTags",
)
STAMP_TAG = "smgitops:schedule-written-at"
"""On the pipeline a schedule starts: `<LastModificationDate>;<spec-hash>;<revision>` of the schedule as smgitops
last wrote it (see the module's docstring)."""
GROUP_ACTIONS = (
    "scheduler:GetScheduleGroup", "scheduler:CreateScheduleGroup", "scheduler:TagResource",
    "scheduler:ListTagsForResource",
)
PERMISSIONS = (
    Grant("deploy", "List", ("scheduler:ListSchedules",), ("*",), unscoped="ListSchedules names no resource"),
    Grant("deploy", "Group", GROUP_ACTIONS, (SCHEDULE_GROUP,)),
    Grant("deploy", "Schedules", tuple(op for op in (*READS, *WRITES) if op.endswith("Schedule")), (SCHEDULES,)),
    Grant("deploy", "Stamps", ("sagemaker:DescribePipeline", "sagemaker:DeleteTags", "sagemaker:AddTags"), (PIPELINE,)),
    Grant("deploy", "FindStamps", ("tag:GetResources",), ("*",),
          unscoped="the tagging API's GetResources names no resource"),
    pass_role("deploy", fact="scheduler_role", service="scheduler.amazonaws.com"),
    Grant("scheduler", "StartPipelines", ("sagemaker:StartPipelineExecution",), (PIPELINE,)),
)
"""Every schedule lives in the environment's group `smgitops-<environment>` (created with tags, hence
TagResource) and starts a declared pipeline as the environment's `schedulerRole`."""

GROUP_PREFIX = "smgitops-"
ENVIRONMENT_TAG = "smgitops:environment"
GROUP_ADDRESS = "group:"
"""The service remembers that the group is smgitops's under `group:<name>`, a name no schedule can have."""


def group_name(environment: str) -> str:
    """The schedule group that holds every schedule smgitops manages in `environment`."""
    return f"{GROUP_PREFIX}{environment}"


def desired(state: DesiredState) -> list[Resource]:
    resources = []
    for deployment in sorted(state.deployments, key=lambda item: item.source):
        environment = state.environments[deployment.environment]
        batch = deployment.batch_inference
        state_name = "ENABLED" if batch.enabled else "DISABLED"
        resources.append(
            _resource(state, deployment, environment, pipeline=batch.pipeline, expression=batch.schedule,
                      timezone=batch.timezone, state_name=state_name, breadcrumb="batchInference.schedule")
        )
        training = deployment.training
        if training is not None and training.schedule:
            resources.append(
                _resource(state, deployment, environment, pipeline=training.pipeline, expression=training.schedule,
                          timezone=training.timezone, state_name="ENABLED", breadcrumb="training.schedule")
            )
    return resources


def _resource(
    state: DesiredState,
    deployment: Deployment,
    environment: Environment,
    *,
    pipeline: str,
    expression: str,
    timezone: str,
    state_name: str,
    breadcrumb: str,
) -> Resource:
    spec = {
        "expression": expression,
        "timezone": timezone,
        "state": state_name,
        "target": pipeline_arn(environment, pipeline),
        "role": environment.scheduler_role,
        "flexibleTimeWindow": {"Mode": "OFF"},
    }
    owned_by = marker(source=deployment.source, spec=spec, environment=deployment.environment)
    description = f"{owned_by}; revision={state.revision}"
    return Resource(
        kind=NAME,
        name=pipeline,
        environment=deployment.environment,
        target=environment.target,
        spec=spec,
        source=deployment.source,
        breadcrumb=breadcrumb,
        model=deployment.model,
        payload={"description": description, "revision": state.revision},
        adopt=deployment.adopt,
    )


def normalise(schedule: Mapping[str, Any]) -> dict[str, Any]:
    """GetSchedule's answer in the shape of a desired spec: only the fields smgitops sets (server-filled
    ARNs, dates, RetryPolicy defaults, ActionAfterCompletion and the like are dropped)."""
    target = schedule.get("Target") or {}
    window = schedule.get("FlexibleTimeWindow") or {"Mode": "OFF"}
    spec: dict[str, Any] = {
        "expression": schedule.get("ScheduleExpression"),
        "timezone": schedule.get("ScheduleExpressionTimezone") or "UTC",
        "state": schedule.get("State") or "ENABLED",
        "target": target.get("Arn"),
        "role": target.get("RoleArn"),
        "flexibleTimeWindow": {key: window[key] for key in ("Mode", "MaximumWindowInMinutes") if key in window},
    }
    parameters = (target.get("SageMakerPipelineParameters") or {}).get("PipelineParameterList") or []
    if parameters:
        spec["pipelineParameters"] = {item["Name"]: item["Value"] for item in parameters}
    return spec


def read(clients: Any, scope: ReadScope) -> list[Live]:
    scheduler = clients.client("scheduler", scope.target)
    group = group_name(scope.environment)
    try:
        summaries = paginate(scheduler, "list_schedules", "Schedules", GroupName=group)
    except Exception as error:
        if is_not_found(error):
            return []
        raise
    owned = held_fact(
        scope.memory, GROUP_ADDRESS + group, lambda: _check_owned(scheduler, scope.target, group, scope.environment)
    )
    if not owned:
        return []

    declared = {resource.name: resource for resource in scope.resources}
    stamped = scope.memory is None and declared and summaries
    stamps = pipeline_stamps(clients, scope.target, STAMP_TAG) if stamped else {}

    def read_one(summary: Mapping[str, Any]) -> Live | None:
        name = summary["Name"]
        untouched = _untouched_since_written(summary, declared.get(name), stamps)
        if untouched is not None:
            return untouched
        stamp = (str(summary.get("LastModificationDate")), summary.get("State"), str(summary.get("Target")))
        return described(scope.memory, name, stamp, lambda: _read_schedule(scheduler, group, name, scope))

    return [live for live in clients.map(scope.target, read_one, summaries) if live is not None]


def _untouched_since_written(
    summary: Mapping[str, Any], declared: Resource | None, stamps: Mapping[str, str]
) -> Live | None:
    """The live schedule without GetSchedule, when its list summary and its pipeline's stamp prove it is git's
    spec as smgitops wrote it (see the module's docstring); else None."""
    modified = summary.get("LastModificationDate")
    if declared is None or modified is None or summary.get("State") != declared.spec["state"]:
        return None
    target = (summary.get("Target") or {}).get("Arn")
    recorded = stamps.get((target or "").lower(), "").split(";")
    if target != declared.spec["target"] or len(recorded) != 3:
        return None
    when, applied, revision = recorded
    if when != written_at(modified) or applied != spec_hash(declared.spec):
        return None
    return Live(
        name=summary["Name"], spec=declared.spec, managed=True, applied_hash=applied, source=declared.source,
        arn=summary.get("Arn"), revision=revision or None, modified=modified,
    )


class ForeignGroup(Exception):
    """The environment's schedule group exists but smgitops did not create it: nothing is written into it."""


def _check_owned(scheduler: Any, target: Any, group: str, environment: str) -> bool:
    """True when the group exists with smgitops's ownership tags for `environment`, False when it does not
    exist; raises `ForeignGroup` when it exists without them."""
    group_arn = arn(target, "scheduler", f"schedule-group/{group}")
    try:
        tags = tags_to_dict(scheduler.list_tags_for_resource(ResourceArn=group_arn).get("Tags"))
    except Exception as error:
        if is_not_found(error):
            return False
        raise
    if tags.get(MANAGED_TAG) == "true" and tags.get(ENVIRONMENT_TAG) == environment:
        return True
    try:
        scheduler.get_schedule_group(Name=group)
    except Exception as error:
        if is_not_found(error):
            return False
        raise
    raise ForeignGroup(
            f"schedule group {group} exists in account {target.account} but smgitops did not create it (no "
            f"{MANAGED_TAG}=true and {ENVIRONMENT_TAG}={environment} tags): smgitops writes no schedule into it; "
            f"delete or rename it, or tag it so if it is smgitops's"
        )


def _read_schedule(scheduler: Any, group: str, name: str, scope: ReadScope) -> Live | None:
    """The schedule, or None when it was deleted since it was listed."""
    try:
        schedule = scheduler.get_schedule(Name=name, GroupName=group)
    except Exception as error:
        if is_not_found(error):
            return None
        raise
    return live_from_marker(
        schedule["Name"], normalise(schedule), schedule.get("Description"), environment=scope.environment,
        arn=schedule.get("Arn"), modified=schedule.get("LastModificationDate"),
    )


def orphan(live: Live) -> None:
    """A schedule whose file is gone starts a pipeline nobody declares: delete it (under `prune: true`)."""
    return None


def apply(clients: Any, change: Any) -> None:
    scheduler = clients.client("scheduler", change.target)
    group = group_name(change.environment)
    if change.action == "delete":
        _delete(scheduler, group, change.name)
    elif change.action == "create":
        target = change.target
        clients.once.run(
            ("schedule-group", target.account, target.region, group),
            lambda: _ensure_group(scheduler, group, change.environment, target),
        )
        scheduler.create_schedule(**_request(change, group))
        _record_written(clients, scheduler, change, group)
    elif change.action == "update":
        scheduler.update_schedule(**_request(change, group))
        _record_written(clients, scheduler, change, group)


def _record_written(clients: Any, scheduler: Any, change: Any, group: str) -> None:
    """The schedule's written-at stamp on the pipeline it starts, after the write (a hint for the next plan's
    reads, not part of the write: a schedule without it is read with GetSchedule)."""
    sagemaker = clients.client("sagemaker", change.target)
    try:
        pipeline = sagemaker.describe_pipeline(PipelineName=change.name)["PipelineArn"]
    except Exception as error:
        if is_not_found(error):  # no pipeline to carry the stamp: the schedule is read with GetSchedule
            return
        raise
    if pipeline.lower() != change.after["target"].lower():
        return
    modified = scheduler.get_schedule(Name=change.name, GroupName=group)["LastModificationDate"]
    value = ";".join((written_at(modified), spec_hash(change.after), change.payload.get("revision") or ""))
    sagemaker.delete_tags(ResourceArn=pipeline, TagKeys=[STAMP_TAG])  # AddTags of a key already there appends
    sagemaker.add_tags(ResourceArn=pipeline, Tags=[{"Key": STAMP_TAG, "Value": value}])


def _request(change: Any, group: str) -> dict[str, Any]:
    """Create and update take the whole schedule: every field smgitops manages, nothing else."""
    spec = change.after
    target: dict[str, Any] = {"Arn": spec["target"], "RoleArn": spec["role"]}
    parameters = spec.get("pipelineParameters") or {}
    if parameters:
        listed = [{"Name": key, "Value": value} for key, value in parameters.items()]
        target["SageMakerPipelineParameters"] = {"PipelineParameterList": listed}
    return {
        "Name": change.name,
        "GroupName": group,
        "Description": change.payload["description"],
        "ScheduleExpression": spec["expression"],
        "ScheduleExpressionTimezone": spec["timezone"],
        "State": spec["state"],
        "FlexibleTimeWindow": dict(spec["flexibleTimeWindow"]),
        "Target": target,
    }


def _ensure_group(scheduler: Any, group: str, environment: str, target: Any) -> None:
    """Create the environment's group on first use, once per apply (`clients.once`: the schedules of one
    environment are created in parallel). Looked up first, because creating a group that exists must never be
    attempted blindly (the emulator replaces the group, and every schedule in it, instead of answering
    ConflictException as AWS does)."""
    if _check_owned(scheduler, target, group, environment):
        return
    tags = {MANAGED_TAG: "true", ENVIRONMENT_TAG: environment}
    try:
        scheduler.create_schedule_group(Name=group, Tags=tags_to_list(tags))
    except Exception as error:
        if error_code(error) != "ConflictException":
            raise


def _delete(scheduler: Any, group: str, name: str) -> None:
    try:
        scheduler.delete_schedule(Name=name, GroupName=group)
    except Exception as error:
        if not is_not_found(error):
            raise
