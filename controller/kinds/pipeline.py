"""SageMaker pipelines (batch inference, training, training with HPO) rendered from the templates.

Desired definitions come from `controller.pipelines.pipelines_of`, one batch per fleet (cached per shape; the SDK
is imported only for a new shape). Both sides are normalised so the plan shows the parameter or step that changed rather
than one long JSON string. Reads: one ListPipelines per account (its summaries carry the description holding the
ownership marker and the LastModifiedTime), then one DescribePipeline per pipeline smgitops declares or owns, on the
account's pool (`Clients.map`), except where a list answer already proves the pipeline is what git declares:

- In `plan` and `apply`, a pipeline is not described when nothing touched it since smgitops wrote git's spec: its
  marker records git's spec-hash, its role is git's, and its LastModifiedTime is still the one smgitops recorded in
  the `smgitops:written-at` tag right after its last write (read for the whole account from the tagging index, a
  page per 100 pipelines). Every UpdatePipeline, from the console or an SDK, moves LastModifiedTime, so any change
  to the definition, role or description since then makes it described. A stale index only ever shows an older
  stamp, which does not match, so the pipeline is described; a missing stamp (an older smgitops, a crash between
  the write and the tag) is described too.
- In the service, only when its LastModifiedTime or description moved since it was last described
  (`controller.kinds.memory`).

Apply uploads the content-addressed processing code the definition refers to (HeadObject first, once per object
and apply), then creates or updates the pipeline with its ownership tags, and records the written-at stamp last.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from controller.aws.errors import is_not_found, paginate
from controller.desired.model import DesiredState
from controller.kinds.base import (
    Live,
    ReadScope,
    Resource,
    live_from_marker,
    marked_environment,
    marker,
    ownership_tags,
    pipeline_stamps,
    spec_hash,
    tags_to_list,
    written_at,
)
from controller.kinds.grants import (
    ARTIFACTS,
    ARTIFACTS_BUCKET,
    MANAGED,
    PIPELINE,
    REGISTRY_SAGEMAKER,
    SAGEMAKER,
    Grant,
    pass_role,
)
from controller.kinds.memory import described
from controller.pipelines import pipelines_of

NAME = "pipeline"
SCOPE = "environment"
ORDER = 20
CREATABLE = True
READS = (
    "sagemaker:ListPipelines",
    "resourcegroupstaggingapi:GetResources",
    "sagemaker:DescribePipeline",
    "s3:HeadObject",
)
WRITES = (
    "sagemaker:CreatePipeline",
    "sagemaker:UpdatePipeline",
    "sagemaker:DeletePipeline",
    "sagemaker:AddTags",
    "sagemaker:DeleteTags",
    "s3:PutObject",
)
PIPELINE_WRITES = tuple(operation for operation in WRITES if operation.startswith("sagemaker:"))
WRITTEN_TAG = "smgitops:written-at"
"""The pipeline's LastModifiedTime right after smgitops last wrote it (ISO 8601, as botocore parses it)."""
JOBS = ("processing-job", "training-job", "hyper-parameter-tuning-job", "transform-job", "model")
PERMISSIONS = (
    Grant("deploy", "List", ("sagemaker:ListPipelines",), ("*",), unscoped="ListPipelines names no resource"),
    Grant("deploy", "FindWritten", ("tag:GetResources",), ("*",),
          unscoped="the tagging API's GetResources names no resource"),
    Grant("deploy", "Declared", ("sagemaker:DescribePipeline", *PIPELINE_WRITES), (PIPELINE,)),
    Grant("deploy", "Owned", ("sagemaker:DescribePipeline", "sagemaker:DeletePipeline"), (SAGEMAKER + ":pipeline/*",),
          MANAGED),
    Grant("deploy", "Code", ("s3:GetObject", "s3:PutObject"), (ARTIFACTS,)),  # HeadObject is s3:GetObject
    Grant("deploy", "CodeBucket", ("s3:ListBucket",), (ARTIFACTS_BUCKET,)),  # a missing object answers 404, not 403
    pass_role("deploy", fact="pipeline_role", service="sagemaker.amazonaws.com"),
    # What the pipelines need when they run, as the environment's pipelineRole:
    Grant("pipeline", "Jobs", (
        *(f"sagemaker:{verb}{job}" for verb in ("Create", "Describe", "Stop") for job in (
            "ProcessingJob", "TrainingJob", "HyperParameterTuningJob", "TransformJob")),
        "sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:AddTags",
    ), tuple(f"{SAGEMAKER}:{job}/*" for job in JOBS)),
    Grant("pipeline", "ReadVersions", ("sagemaker:DescribeModelPackage",),
          (REGISTRY_SAGEMAKER + ":model-package/{deployed_group}/*",)),
    Grant("pipeline", "RegisterVersions", ("sagemaker:CreateModelPackage",), (
        REGISTRY_SAGEMAKER + ":model-package-group/{trained_group}",
        REGISTRY_SAGEMAKER + ":model-package/{trained_group}/*",
    )),
    Grant("pipeline", "ReadData", ("s3:GetObject",), ("arn:{partition}:s3:::{read_object}",)),
    Grant("pipeline", "ListData", ("s3:ListBucket",), ("arn:{partition}:s3:::{read_bucket}",)),
    Grant("pipeline", "WriteData", ("s3:PutObject",), ("arn:{partition}:s3:::{write_object}",)),
    Grant("pipeline", "Artifacts", ("s3:GetObject", "s3:PutObject"), (ARTIFACTS,)),
    Grant("pipeline", "ArtifactsBucket", ("s3:ListBucket",), (ARTIFACTS_BUCKET,)),  # inputs are S3 prefixes
    Grant("pipeline", "TrainersKeys", ("kms:Decrypt",), ("arn:{partition}:kms:{region}:{trainer_account}:key/*",),
          {"StringEquals": {"kms:ViaService": "s3.{region}.amazonaws.com"}}),  # models trained in another account
    Grant("pipeline", "Logs", (
        "logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents",
    ), ("arn:{partition}:logs:{region}:{account}:log-group:/aws/sagemaker/*",)),
    Grant("pipeline", "Metrics", ("cloudwatch:PutMetricData",), ("*",),
          unscoped="CloudWatch metrics have no ARN; jobs publish their training metrics"),
    pass_role("pipeline", fact="pipeline_role", service="sagemaker.amazonaws.com"),
)
"""The deploy role writes the declared pipelines and uploads their code; the pipelines run as `pipelineRole`."""

def desired(state: DesiredState) -> list[Resource]:
    resources = []
    rendered_by_source = pipelines_of(state)
    for deployment in state.deployments:
        environment = state.environments[deployment.environment]
        for rendered in rendered_by_source[deployment.source]:
            spec = {"role": rendered.role, "definition": normalise(json.loads(rendered.definition))}
            resources.append(
                Resource(
                    kind=NAME,
                    name=rendered.name,
                    environment=environment.name,
                    target=environment.target,
                    spec=spec,
                    source=deployment.source,
                    model=deployment.model,
                    adopt=deployment.adopt,
                    payload={
                        "definition": rendered.definition,
                        "description": f"{rendered.template} pipeline of {deployment.model} in {environment.name}"
                        f" ({marker(source=deployment.source, spec=spec, environment=environment.name)}"
                        f"; revision={state.revision})",
                        "artifacts": [
                            {"local_path": item.local_path, "s3_uri": item.s3_uri, "sha256": item.sha256}
                            for item in rendered.artifacts
                        ],
                        "tags": ownership_tags(source=deployment.source, revision=state.revision, spec=spec),
                    },
                )
            )
    return resources


def normalise(definition: Mapping[str, Any]) -> dict[str, Any]:
    """Key parameters and steps by name so a diff reads `definition.Parameters.ModelPackageArn.DefaultValue`."""
    result = dict(definition)
    result["Parameters"] = {
        item["Name"]: {key: value for key, value in item.items() if key != "Name"}
        for item in definition.get("Parameters", [])
    }
    result["Steps"] = {
        item["Name"]: {key: value for key, value in item.items() if key != "Name"}
        for item in definition.get("Steps", [])
    }
    return result


def summary(spec: Mapping[str, Any]) -> dict[str, Any]:
    """What a reviewer reads of a new pipeline: its role, top-level steps and parameter defaults."""
    definition = spec.get("definition") or {}
    rows: dict[str, Any] = {"role": spec.get("role"), "steps": ", ".join(definition.get("Steps", {}))}
    for name, parameter in sorted(definition.get("Parameters", {}).items()):
        rows[f"parameter {name}"] = parameter.get("DefaultValue")
    return rows


def read(clients: Any, scope: ReadScope) -> list[Live]:
    sagemaker = clients.client("sagemaker", scope.target)
    declared = {resource.name: resource for resource in scope.resources}
    chosen = [
        summary for summary in paginate(sagemaker, "list_pipelines", "PipelineSummaries")
        if summary["PipelineName"] in declared
        or marked_environment(summary.get("PipelineDescription")) == scope.environment
    ]
    stamped = scope.memory is None and declared and chosen
    written = pipeline_stamps(clients, scope.target, WRITTEN_TAG) if stamped else {}

    def read_one(summary: Mapping[str, Any]) -> Live | None:
        name = summary["PipelineName"]
        untouched = _untouched_since_written(summary, declared.get(name), written, scope.environment)
        if untouched is not None:
            return untouched
        stamp = (str(summary.get("LastModifiedTime")), summary.get("PipelineDescription"), summary.get("RoleArn"))
        return described(scope.memory, name, stamp, lambda: _read_pipeline(sagemaker, name, scope.environment))

    return [live for live in clients.map(scope.target, read_one, chosen) if live is not None]


def _untouched_since_written(
    summary: Mapping[str, Any], declared: Resource | None, written: Mapping[str, str], environment: str
) -> Live | None:
    """The live pipeline without describing it, when its list summary proves it is git's spec as smgitops wrote
    it (see the module's docstring); else None."""
    modified = summary.get("LastModifiedTime")
    stamp = written.get(summary.get("PipelineArn", "").lower())
    if declared is None or modified is None or stamp != written_at(modified):
        return None
    live = live_from_marker(
        summary["PipelineName"], declared.spec, summary.get("PipelineDescription"), environment=environment,
        arn=summary.get("PipelineArn"), modified=modified,
    )
    settled = live.managed and not live.pending and live.applied_hash == spec_hash(declared.spec)
    return live if settled and summary.get("RoleArn") == declared.spec["role"] else None


def _read_pipeline(sagemaker: Any, name: str, environment: str) -> Live:
    described = sagemaker.describe_pipeline(PipelineName=name)
    spec = {
        "role": described.get("RoleArn"),
        "definition": normalise(json.loads(described.get("PipelineDefinition") or "{}")),
    }
    return live_from_marker(
        name, spec, described.get("PipelineDescription"), environment=environment, arn=described.get("PipelineArn"),
        modified=described.get("LastModifiedTime"),
    )


def orphan(live: Live) -> None:
    return None


def apply(clients: Any, change: Any) -> None:
    sagemaker = clients.client("sagemaker", change.target)
    if change.action == "delete":
        try:
            sagemaker.delete_pipeline(PipelineName=change.name, ClientRequestToken=_token(change))
        except Exception as error:
            if not is_not_found(error):
                raise
        return
    _upload_artifacts(clients, change)
    payload = change.payload
    arguments = {
        "PipelineName": change.name,
        "PipelineDefinition": payload["definition"],
        "PipelineDescription": payload["description"],
        "RoleArn": change.after["role"],
    }
    if change.action == "create":
        arn = sagemaker.create_pipeline(
            **arguments, Tags=tags_to_list(payload["tags"]), ClientRequestToken=_token(change)
        )["PipelineArn"]
    else:
        # Replace our tags rather than append: delete the keys first so no key is ever listed twice (the old
        # written-at stamp too). The update, whose description carries the new spec-hash, comes last: a
        # pipeline an apply left with its tags written but its definition not is still a change to make.
        arn = payload.get("arn") or sagemaker.update_pipeline(**arguments)["PipelineArn"]
        sagemaker.delete_tags(ResourceArn=arn, TagKeys=sorted({*payload["tags"], WRITTEN_TAG}))
        sagemaker.add_tags(ResourceArn=arn, Tags=tags_to_list(payload["tags"]))
        sagemaker.update_pipeline(**arguments)
    modified = sagemaker.describe_pipeline(PipelineName=change.name)["LastModifiedTime"]
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": WRITTEN_TAG, "Value": written_at(modified)}])


def _upload_artifacts(clients: Any, change: Any) -> None:
    """Pipelines share their scripts and are applied in parallel: each object is looked at (and uploaded if
    missing) once per apply, by the first pipeline that needs it, while the others wait for it."""
    s3 = clients.client("s3", change.target)
    for artifact in change.payload.get("artifacts", ()):
        bucket, key = artifact["s3_uri"].removeprefix("s3://").split("/", 1)
        clients.once.run(("s3-object", bucket, key), lambda artifact=artifact: _upload(s3, artifact))


def _upload(s3: Any, artifact: dict) -> None:
    bucket, key = artifact["s3_uri"].removeprefix("s3://").split("/", 1)
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return
    except Exception as error:
        if not is_not_found(error):
            raise
    body = Path(artifact["local_path"]).read_bytes()
    if hashlib.sha256(body).hexdigest() != artifact["sha256"]:
        raise ValueError(f"{artifact['local_path']} changed since the plan was made; plan again")
    s3.put_object(Bucket=bucket, Key=key, Body=body)


def _token(change: Any) -> str:
    """Idempotency token: the same change retried after a crash is the same request."""
    request = json.dumps(
        {"name": change.name, "action": change.action, "after": change.after}, sort_keys=True
    )
    return hashlib.sha256(request.encode()).hexdigest()
