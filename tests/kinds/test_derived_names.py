"""Every name smgitops derives from inputs that validate fits the limits AWS sets for it.

The limits come from the AWS API models botocore ships (the same ones the services enforce): for the longest and
oddest names the schemas accept, each kind's desired objects, the schedule group, and the descriptions and tags
written with them must fit, or validation must have refused the input.
"""

from __future__ import annotations

import re
from pathlib import Path

import botocore.session
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controller.desired.loader import load
from controller.kinds import approval, pipeline, schedule, topic, trigger

_MODELS = botocore.session.get_session()
TOPIC_NAME = (1, 256, "[A-Za-z0-9_-]+")  # SNS documents this; its API model has no constraint to read


def limits(service: str, operation: str, member: str) -> tuple[int, int, str]:
    shape = _MODELS.get_service_model(service).operation_model(operation).input_shape.members[member]
    return shape.metadata.get("min", 0), shape.metadata["max"], shape.metadata.get("pattern", ".*")


NAME_LIMITS = {
    pipeline.NAME: limits("sagemaker", "CreatePipeline", "PipelineName"),
    schedule.NAME: limits("scheduler", "CreateSchedule", "Name"),
    trigger.NAME: limits("events", "PutRule", "Name"),
    topic.NAME: TOPIC_NAME,
}
DESCRIPTION_LIMITS = {
    pipeline.NAME: limits("sagemaker", "CreatePipeline", "PipelineDescription"),
    schedule.NAME: limits("scheduler", "CreateSchedule", "Description"),
}
TAG_VALUE = _MODELS.get_service_model("events").shape_for("TagValue").metadata["max"]
GROUP = limits("scheduler", "CreateScheduleGroup", "Name")
PACKAGE_GROUP = limits("sagemaker", "CreateModelPackageGroup", "ModelPackageGroupName")


def fits(value: str, limit: tuple[int, int, str]) -> bool:
    low, high, pattern = limit
    return low <= len(value) <= high and re.fullmatch(pattern, value) is not None


ENVIRONMENTS = """registry: {{account: "111111111111", region: us-east-1, role: "arn:aws:iam::111111111111:role/r"}}
environments:
  {env}:
    account: "222222222222"
    region: us-east-1
    role: arn:aws:iam::222222222222:role/deploy
    pipelineRole: arn:aws:iam::222222222222:role/pipelines
    schedulerRole: arn:aws:iam::222222222222:role/scheduler
    artifacts: s3://acme-artifacts/smgitops/
"""
DEPLOYMENT = """model: {model}
modelPackageGroup: {group}
approvedVersion: 3
batchInference:
  pipeline: {batch}
  template: batch-inference
  schedule: cron(0 4 * * ? *)
  instanceType: ml.m5.large
  input: s3://acme/in/
  output: s3://acme/out/
  groundTruth: s3://acme/truth/
thresholds:
  dataQuality: {{maxViolations: 0}}
  modelQuality: {{metric: mse, max: 1.0}}
training:
  pipeline: {training}
  template: training-hpo
  {training_schedule}
  instanceType: ml.m5.large
  input: s3://acme/train/
  onNewData: true
  registerWhen: {{metric: mse, max: 1.0}}
  tuning: {{objective: mse, maxJobs: 2, maxParallelJobs: 1, ranges: {{depth: {{type: integer, min: 1, max: 3}}}}}}
  retuneOnModelQualityFailure: true
notifications: {{topic: {topic}, emails: [a@example.com]}}
"""


def write_state(root: Path, *, scheduled_training: bool = False, **names: str) -> Path:
    names["training_schedule"] = "schedule: rate(7 days)" if scheduled_training else ""
    (root / names["env"]).mkdir(parents=True)
    (root / "environments.yaml").write_text(ENVIRONMENTS.format(**names))
    (root / names["env"] / f"{names['model']}.yaml").write_text(DEPLOYMENT.format(**names))
    return root


def derived_names_problems(state) -> list[str]:
    """What would not fit; pipelines are named as declared (rendering them here would only be slow)."""
    problems = [
        f"pipeline name {name!r}"
        for deployment in state.deployments
        for name in (deployment.batch_inference.pipeline, deployment.training and deployment.training.pipeline)
        if name and not fits(name, NAME_LIMITS[pipeline.NAME])
    ]
    for kind in (schedule, trigger, topic, approval):
        for resource in kind.desired(state):
            if kind.NAME in NAME_LIMITS and not fits(resource.name, NAME_LIMITS[kind.NAME]):
                problems.append(f"{kind.NAME} name {resource.name!r}")
            description = (resource.payload or {}).get("description")
            if kind.NAME in DESCRIPTION_LIMITS and not fits(description, DESCRIPTION_LIMITS[kind.NAME]):
                problems.append(f"{kind.NAME} description of {len(description)} characters")
            tags = (resource.payload or {}).get("tags") or {}
            problems += [f"{kind.NAME} tag {key}" for key, value in tags.items() if len(value) > TAG_VALUE]
    for name in state.environments:
        if not fits(schedule.group_name(name), GROUP):
            problems.append(f"schedule group {schedule.group_name(name)!r}")
    for deployment in state.deployments:
        if not fits(deployment.model_package_group, PACKAGE_GROUP):
            problems.append(f"model package group {deployment.model_package_group!r}")
    return problems


LONGEST = {
    "env": "e" * 31 + "9",
    "model": "m" + "-" * 61 + "1",
    "group": "G" + "-" * 61 + "1",
    "batch": "b" + "-" * 62 + "1",
    "training": "t" + "-" * 254 + "1",
    "topic": "T" * 256,
}


def test_the_longest_names_that_validate_give_names_aws_accepts(tmp_path):
    result = load(write_state(tmp_path / "desired_state", **LONGEST))
    assert result.problems == ()
    assert derived_names_problems(result.state) == []


SCHEDULE_TOO_LONG = "is 65 characters long; its schedule takes this name and EventBridge Scheduler allows at most 64"
TOPIC = "must be an SNS topic name: letters, digits, hyphens and underscores, at most 256 characters"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("batch", "b" * 65, SCHEDULE_TOO_LONG),
        ("scheduled training", "t" + "-" * 63 + "1", SCHEDULE_TOO_LONG),
        ("training", "t" + "-" * 256 + "1", "must be at most 256 characters long"),
        ("batch", "b" + "-" * 300 + "1", "must be at most 256 characters long"),
        ("group", "G" + "-" * 62 + "1", "must be at most 63 characters long"),
        ("topic", "T" * 257, TOPIC),
    ],
)
def test_names_aws_would_refuse_do_not_validate(tmp_path, field, value, message):
    scheduled = field.startswith("scheduled ")
    names = {**LONGEST, field.removeprefix("scheduled "): value}
    result = load(write_state(tmp_path / "desired_state", scheduled_training=scheduled, **names))
    assert [problem.message for problem in result.problems] == [message]


def _name(alphabet: str, size: int) -> st.SearchStrategy[str]:
    """Mostly names the schemas accept, up to and past their limits, with runs of hyphens."""
    letters = alphabet.replace("-", "")
    accepted = st.from_regex(rf"[{letters}](-*[{letters}]){{0,{size}}}", fullmatch=True)
    return st.one_of(accepted, accepted.map(lambda name: name[:size]), st.text(alphabet, min_size=1, max_size=size))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    env=st.from_regex(r"[a-z][a-z0-9-]{0,34}", fullmatch=True),
    model=st.from_regex(r"[a-z][a-z0-9-]{0,66}", fullmatch=True),
    group=_name("aZ9-", 70),
    batch=_name("aZ9-", 70),
    training=_name("aZ9-", 300),
    topic=_name("aZ9-_", 260),
    scheduled=st.booleans(),
)
def test_whatever_validates_derives_names_aws_accepts(
    tmp_path_factory, env, model, group, batch, training, topic, scheduled
):
    root = tmp_path_factory.mktemp("state") / "desired_state"
    names = {"env": env, "model": model, "group": group, "batch": batch, "training": training, "topic": topic}
    result = load(write_state(root, scheduled_training=scheduled, **names))
    if result.ok:
        assert derived_names_problems(result.state) == []
