"""The IAM documents `smgitops permissions` prints: every role's policy and trust, filled in from the desired state.

The grants are data declared next to the code that needs them (`PERMISSIONS` of every kind and of the lease, the
event queue and notifications, see `controller.kinds.grants`); this module only gathers the facts each grant's
ARN patterns use — per environment its pipelines, topics, model package groups, schedule group, artifacts prefix,
data locations and roles; for the registry its groups and the lease table; for the controller the queue and the
roles it assumes — and writes one document per role. Keys, statements and resources come out in a stable order,
so the output can be committed and compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from controller.desired.model import DesiredState, Environment
from controller.engine import runs
from controller.kinds import KINDS
from controller.kinds.arns import arn, default_bus_arn, partition
from controller.kinds.grants import Grant, statement
from controller.kinds.schedule import group_name
from controller.kinds.trigger_rules import RULE_PREFIX, desired_rules
from controller.service import lease, notify, poller

VERSION = "2012-10-17"


@dataclass(frozen=True)
class Controller:
    """Where the controller runs: its task role, its event queue and the lease table (in the registry account)."""

    role_arn: str
    queue_arn: str
    lease_table: str
    create_lease_table: bool = False


def sources() -> dict[str, tuple[Grant, ...]]:
    """Every module that declares grants, by the name its statements' Sids start with."""
    declared = {name: tuple(kind.PERMISSIONS) for name, kind in KINDS.items()}
    return {
        **declared,
        "status": runs.PERMISSIONS,
        "lease": lease.PERMISSIONS,
        "notify": notify.PERMISSIONS,
        "controller": poller.PERMISSIONS,
    }


def documents(state: DesiredState, controller: Controller) -> dict[str, dict[str, Any]]:
    """`{key: document}`: controller, registry, then per environment deploy, pipeline and scheduler, each with
    its trust policy as `<key>-trust`."""
    result = {
        "controller": policy("controller", controller_facts(state, controller)),
        "controller-trust": trust_service(("ecs-tasks.amazonaws.com",), _arn_account(controller.role_arn)),
        "registry": policy("registry", registry_facts(state, controller)),
        "registry-trust": trust_role(controller.role_arn),
    }
    for environment in state.environments.values():
        facts = environment_facts(state, environment)
        name = environment.name
        result[f"{name}-deploy"] = policy("deploy", facts)
        result[f"{name}-deploy-trust"] = trust_role(controller.role_arn)
        result[f"{name}-pipeline"] = policy("pipeline", facts)
        result[f"{name}-pipeline-trust"] = trust_service(("sagemaker.amazonaws.com",))
        result[f"{name}-scheduler"] = policy("scheduler", facts)
        result[f"{name}-scheduler-trust"] = trust_scheduler(environment)
    for group in sorted({deployment.model_package_group for deployment in state.deployments}):
        result[f"registry-group-{group}"] = group_policy(state, group)
    return result


def group_policy(state: DesiredState, group: str) -> dict[str, Any]:
    """The model package group's resource policy: the pipeline roles of the environments that deploy the group
    read its versions (to create models and read baselines); those of the environments that train it register
    new ones."""
    registry = state.registry
    group_arn = arn(registry, "sagemaker", f"model-package-group/{group}")
    versions = arn(registry, "sagemaker", f"model-package/{group}/*")

    def roles(deployments) -> list[str]:
        return sorted({state.environments[item.environment].pipeline_role for item in deployments})

    of_group = [item for item in state.deployments if item.model_package_group == group]
    statements = [
        _resource_statement("EnvironmentsReadGroup", roles(of_group), ("sagemaker:DescribeModelPackageGroup",),
                            group_arn),
        _resource_statement("EnvironmentsReadVersions", roles(of_group),
                            ("sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"), versions),
    ]
    trainers = roles(item for item in of_group if item.training)
    if trainers:
        statements.append(_resource_statement("TrainersRegisterVersions", trainers,
                                              ("sagemaker:CreateModelPackage",), [group_arn, versions]))
    return {"Version": VERSION, "Statement": statements}


def _resource_statement(sid: str, principals: list[str], actions, resource) -> dict[str, Any]:
    return {
        "Sid": sid, "Effect": "Allow", "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
        "Action": sorted(actions), "Resource": resource,
    }


def policy(role: str, facts: Mapping[str, Any]) -> dict[str, Any]:
    statements: list[dict[str, Any]] = []
    seen: set[str] = set()
    for module, grants in sources().items():
        for grant in grants:
            if grant.role != role:
                continue
            found = statement(_sid(module, grant.name), grant, facts)
            body = found and repr({key: value for key, value in found.items() if key != "Sid"})
            if found and body not in seen:
                seen.add(body)
                statements.append(found)
    return {"Version": VERSION, "Statement": statements}


def trust_role(role_arn: str) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": [{
        "Sid": "ControllerAssumes", "Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": "sts:AssumeRole",
    }]}


def trust_service(services: Iterable[str], account: str | None = None) -> dict[str, Any]:
    services = sorted(services)
    trusted: dict[str, Any] = {
        "Sid": "ServiceAssumes", "Effect": "Allow",
        "Principal": {"Service": services[0] if len(services) == 1 else services}, "Action": "sts:AssumeRole",
    }
    if account:
        trusted["Condition"] = {"StringEquals": {"aws:SourceAccount": account}}
    return {"Version": VERSION, "Statement": [trusted]}


def trust_scheduler(environment: Environment) -> dict[str, Any]:
    """EventBridge Scheduler for the environment's schedule group, and EventBridge for its `smgitops-*` rules."""
    sources = {
        "scheduler.amazonaws.com": arn(environment, "scheduler", f"schedule-group/{group_name(environment.name)}"),
        "events.amazonaws.com": arn(environment, "events", f"rule/{RULE_PREFIX}*"),
    }
    return {"Version": VERSION, "Statement": [
        {
            "Sid": f"{service.split('.')[0].title()}Assumes", "Effect": "Allow", "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": environment.account},
                          "ArnLike": {"aws:SourceArn": source}},
        }
        for service, source in sorted(sources.items())
    ]}


def controller_facts(state: DesiredState, controller: Controller) -> dict[str, Any]:
    roles = [state.registry.role, *(environment.role for environment in state.environments.values())]
    return {"queue": controller.queue_arn, "assumed_role": roles}


def registry_facts(state: DesiredState, controller: Controller) -> dict[str, Any]:
    registry = state.registry
    return {
        "partition": partition(registry.region),
        "region": registry.region,
        "account": registry.account,
        "registry_region": registry.region,
        "registry_account": registry.account,
        "group": [deployment.model_package_group for deployment in state.deployments],
        "report_bucket": sorted({
            _s3(state.environments[d.environment].artifacts)[0] for d in state.deployments if d.training
        }),
        "lease_region": registry.region,
        "lease_account": registry.account,
        "lease_table": controller.lease_table,
        "created_lease_table": [controller.lease_table] if controller.create_lease_table else [],
    }


def environment_facts(state: DesiredState, environment: Environment) -> dict[str, Any]:
    deployments = [item for item in state.deployments if item.environment == environment.name]
    pipelines = [item.batch_inference.pipeline for item in deployments]
    pipelines += [item.training.pipeline for item in deployments if item.training]
    deployed = {item.model_package_group for item in deployments}
    trainers = {
        item.environment for item in state.deployments if item.training and item.model_package_group in deployed
    }
    read = [
        *(item.batch_inference.input for item in deployments),
        *(item.batch_inference.ground_truth for item in deployments if item.batch_inference.ground_truth),
        *(item.training.input for item in deployments if item.training),
        *(state.environments[name].artifacts for name in trainers),
    ]
    written = [item.batch_inference.output for item in deployments]
    bucket, key = _s3(environment.artifacts)
    return {
        "partition": partition(environment.region),
        "region": environment.region,
        "account": environment.account,
        "registry_region": state.registry.region,
        "registry_account": state.registry.account,
        "pipeline": [*pipelines, *(name.lower() for name in pipelines)],
        "topic": [item.notifications.topic for item in deployments if item.notifications],
        "deployed_group": sorted(deployed),
        "trained_group": [item.model_package_group for item in deployments if item.training],
        "schedule_group": group_name(environment.name),
        "rule_prefix": RULE_PREFIX,
        "artifacts_bucket": bucket,
        "artifacts_key": key,
        "read_object": ["/".join(_s3(uri)) + "*" for uri in read],
        "read_bucket": [_s3(uri)[0] for uri in read],
        "write_object": ["/".join(_s3(uri)) + "*" for uri in written],
        "pipeline_role": environment.pipeline_role,
        "scheduler_role": environment.scheduler_role,
        "forward_bus": _forward_buses(state, environment),
        "trainer_account": sorted({state.environments[name].account for name in trainers} - {environment.account}),
    }


def _forward_buses(state: DesiredState, environment: Environment) -> list[str]:
    """The other environments' default buses that this environment's rules forward events to."""
    buses = {
        target["arn"]
        for rule in desired_rules(state) if rule.environment == environment.name
        for target in rule.spec["targets"] if ":event-bus/" in target["arn"]
    }
    return sorted(buses - {default_bus_arn(environment)})


def queue_arn(queue_url: str) -> str:
    """`https://sqs.<region>.amazonaws.com/<account>/<name>` → `arn:<partition>:sqs:<region>:<account>:<name>`."""
    host, _, path = queue_url.removeprefix("https://").removeprefix("http://").partition("/")
    account, _, name = path.strip("/").partition("/")
    region = host.split(".")[1] if host.startswith("sqs.") else host.split(".")[0]
    return arn(_Place(account, region), "sqs", name)


@dataclass(frozen=True)
class _Place:
    account: str
    region: str


def _s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _sid(module: str, name: str) -> str:
    return "".join(part.title() for part in module.split("_")) + name


def _arn_account(role_arn: str) -> str:
    return role_arn.split(":")[4]
