"""`terraform/examples/organisation` applied to the emulator, then the example fleet converged through what it made.

One module-scoped emulator holds five provider aliases' worth of accounts. Terraform creates the roles, buckets,
lease table, queue, bus and rules (with `emulator = true`, which turns off only the model package group policies
moto has no API for); the registry's model versions are seeded first, as training would have registered them.
Then the real `smgitops` CLI, holding the credentials of the task role Terraform made, applies `desired_state/`
through the roles Terraform made, and `smgitops run` takes the lease in Terraform's table and drains an event
that travelled from an environment account through the forwarding rule, the controller's bus and its rule into
Terraform's queue. Finally both tools plan again and find nothing to do. The other tests read what Terraform
left in the emulator: the IAM policies equal `policies/`, the task definition agrees with the Dockerfile, and
the rules carry the patterns of docs/events.md. Proposals are on (`GITLAB`), so the task's GitLab variables and
token secret are applied and read back too. Applying takes minutes, so all of this is one test on one emulator;
each check is a function named for what it shows.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
from dockerfile import stages
from terraformrun import EXAMPLE, REPOSITORY, Terraform, workspace

from controller.aws.emulator import Emulator, fake_base_session, seed_fleet
from controller.commands.demo import registry_bucket
from controller.commands.run import TOKEN_VARIABLE
from controller.desired import load
from controller.desired.model import Account
from controller.main import build_parser
from controller.service.source import PASSWORD_VARIABLE, USERNAME_VARIABLE

pytestmark = pytest.mark.aws

SERVICES = (
    "cloudtrail", "dynamodb", "ecr", "ecs", "events", "iam", "kms", "logs", "s3", "sagemaker", "secretsmanager",
    "sqs", "sts",
)
ALIASES = ("controller", "registry", "dev", "staging", "prod")
GITLAB = {"gitlab_url": "https://gitlab.example.com", "gitlab_project": "acme/ml-fleet"}
"""Proposals on, so the task definition's GitLab variables and token secret are applied and checked too."""


def compact_redrive_policy() -> None:
    """moto writes a queue's RedrivePolicy with spaces after separators, SQS without; Terraform sees the
    difference as a change on every plan. Make the emulator answer as SQS does (the value is unchanged)."""
    from moto.sqs.models import Queue

    original = Queue.attributes.fget
    if getattr(original, "compact", False):
        return

    def attributes(queue):
        result = original(queue)
        if queue.redrive_policy:
            result["RedrivePolicy"] = json.dumps(queue.redrive_policy, separators=(",", ":"))
        return result

    attributes.compact = True
    Queue.attributes = property(attributes)


@dataclass
class Organisation:
    emulator: Emulator
    terraform: Terraform
    outputs: dict
    state: object
    desired_state: Path
    environment: dict[str, str]
    logs: dict[str, str]

    def smgitops(self, *arguments: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        completed = subprocess.run(
            [sys.executable, "-m", "controller.main", *arguments], env=self.environment, cwd=self.desired_state.parent,
            capture_output=True, text=True, check=False, timeout=600,
        )
        assert completed.returncode in ok, f"smgitops {' '.join(arguments)}: {completed.stdout}{completed.stderr}"
        self.logs[" ".join(arguments[:2])] = completed.stdout + completed.stderr
        return completed

    def client(self, service: str, account: str):
        registry = self.state.registry
        clients = self.emulator.clients(region=registry.region)
        return clients.client(service, Account(account, registry.region, f"arn:aws:iam::{account}:role/test-reader"))


def emulator_override(url: str) -> dict:
    """Provider settings that point every alias at the emulator; merged into `main.tf` as an override file."""
    settings = {
        "access_key": "test", "secret_key": "test", "skip_credentials_validation": True,
        "skip_requesting_account_id": True, "skip_metadata_api_check": True, "s3_use_path_style": True,
        "endpoints": [{service: url for service in SERVICES}],
    }
    return {"provider": {"aws": [{"alias": alias, **settings} for alias in ALIASES]}}


def test_the_example_organisation_on_the_emulator(organisation):
    """One test, so that one apply serves every check whatever the distribution of tests over workers."""
    converges_through_what_terraform_made_and_both_plans_are_clean(organisation)
    attached_policies_are_those_smgitops_prints(organisation)
    task_definition_runs_the_image_as_the_dockerfile_builds_it(organisation)
    every_account_forwards_the_documented_events_to_the_queue(organisation)


@pytest.fixture(scope="module")
def organisation(tmp_path_factory) -> Organisation:
    compact_redrive_policy()
    base = tmp_path_factory.mktemp("organisation")
    example = workspace(base) / EXAMPLE
    desired_state = base / "desired_state"
    state = load(desired_state, revision="terraform").state
    with Emulator() as emulator:
        registry = state.registry
        clients = emulator.clients(region=registry.region)
        groups = {deployment.model_package_group: 9 for deployment in state.deployments}
        seed_fleet(clients, registry=registry, registry_bucket=registry_bucket(state), groups=groups, buckets=[])
        ec2 = clients.client("ec2", Account(registry.account, registry.region, f"{registry.role}-network"))
        subnets = [subnet["SubnetId"] for subnet in ec2.describe_subnets()["Subnets"]][:2]
        groups_ = [group["GroupId"] for group in ec2.describe_security_groups()["SecurityGroups"]][:1]
        (example / "emulator_override.tf.json").write_text(json.dumps(emulator_override(emulator.url)))
        (example / "terraform.auto.tfvars.json").write_text(json.dumps({
            "git_url": "https://git.example.com/acme/ml-fleet.git", "subnet_ids": subnets,
            "security_group_ids": groups_, "emulator": True, **GITLAB,
        }))
        terraform = Terraform(example).init()
        terraform.run("apply", "-auto-approve", "-input=false")
        outputs = {name: item["value"] for name, item in json.loads(terraform.run("output", "-json").stdout).items()}
        yield Organisation(
            emulator=emulator, terraform=terraform, outputs=outputs, state=state, desired_state=desired_state,
            environment=controller_credentials(emulator, outputs["controller"]["task_role_arn"], registry.region),
            logs={},
        )


def controller_credentials(emulator: Emulator, task_role: str, region: str) -> dict[str, str]:
    """The environment of a process running as the controller's task role, as ECS would give it."""
    credentials = fake_base_session(region).client("sts", endpoint_url=emulator.url).assume_role(
        RoleArn=task_role, RoleSessionName="ecs-task"
    )["Credentials"]
    variables = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    variables.update(
        AWS_ENDPOINT_URL=emulator.url, AWS_DEFAULT_REGION=region, AWS_ACCESS_KEY_ID=credentials["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=credentials["SecretAccessKey"], AWS_SESSION_TOKEN=credentials["SessionToken"],
        AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    return variables


def queued(organisation: Organisation) -> int:
    sqs = organisation.client("sqs", organisation.state.registry.account)
    attributes = sqs.get_queue_attributes(
        QueueUrl=organisation.outputs["controller"]["queue_url"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def converges_through_what_terraform_made_and_both_plans_are_clean(organisation: Organisation) -> None:
    environments = organisation.outputs["environments"]
    for name, environment in organisation.state.environments.items():
        assert environments[name]["role"] == environment.role
        assert environments[name]["artifacts"] == environment.artifacts.removeprefix("s3://").split("/")[0]
    applied = organisation.smgitops("apply", "desired_state", "--yes")
    assert "created" in applied.stdout or "+" in applied.stdout

    staging = organisation.state.environments["staging"]
    organisation.client("events", staging.account).put_events(Entries=[{
        "Source": "aws.sagemaker", "DetailType": "SageMaker Model Package State Change",
        "Detail": json.dumps({"ModelPackageGroupName": "churn", "ModelPackageVersion": 9}),
    }])
    assert queued(organisation) == 1, "staging's rule → the controller's bus → its rule → the queue"

    controller = organisation.outputs["controller"]
    organisation.smgitops(
        "run", "desired_state", "--max-cycles", "1", "--health-port", "0", "--queue-wait", "1",
        "--lease-table", controller["lease_table_name"], "--queue-url", controller["queue_url"],
    )
    lease = organisation.client("dynamodb", organisation.state.registry.account).scan(
        TableName=controller["lease_table_name"]
    )["Items"]
    assert [item["name"]["S"] for item in lease] == ["smgitops"]
    assert queued(organisation) == 0, "the controller took the event off the queue"

    organisation.smgitops("plan", "desired_state", "--detailed-exitcode")
    organisation.terraform.run("plan", "-input=false", "-detailed-exitcode", "-refresh=true")


def policy_keys(organisation: Organisation) -> dict[str, str]:
    """Each role Terraform made (ARN) → the `policies/` file (key) its policy comes from."""
    task_role = organisation.outputs["controller"]["task_role_arn"]
    keys = {task_role: "controller", organisation.state.registry.role: "registry"}
    for name, environment in organisation.state.environments.items():
        keys.update({environment.role: f"{name}-deploy", environment.pipeline_role: f"{name}-pipeline",
                     environment.scheduler_role: f"{name}-scheduler"})
    return keys


def attached_policies_are_those_smgitops_prints(organisation: Organisation) -> None:
    printed = json.loads(organisation.smgitops("permissions", "desired_state", "--format", "json").stdout)
    committed = REPOSITORY / "terraform" / EXAMPLE / "policies"
    keys = policy_keys(organisation)
    for arn, key in keys.items():
        account, name = arn.split(":")[4], arn.split("/")[-1]
        iam = organisation.client("iam", account)
        assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["smgitops"], arn
        assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == [], arn
        attached = iam.get_role_policy(RoleName=name, PolicyName="smgitops")["PolicyDocument"]
        assert attached == printed[key] == json.loads((committed / f"{key}.json").read_text()), key
        trust = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
        assert trust == printed[f"{key}-trust"] == json.loads((committed / f"{key}-trust.json").read_text()), key
    roles_and_groups = {*keys.values(), *(f"{key}-trust" for key in keys.values())}
    groups = {key for key in printed if key.startswith("registry-group-")}
    assert set(printed) == roles_and_groups | groups, "every document smgitops prints is attached (groups: below)"
    assert organisation.terraform.run("state", "list").stdout.count(
        "aws_sagemaker_model_package_group_policy"
    ) == 0, "moto has no PutModelPackageGroupPolicy: `emulator = true` turns the group policies off"


def task_definition_runs_the_image_as_the_dockerfile_builds_it(organisation: Organisation) -> None:
    account = organisation.state.registry.account
    ecs = organisation.client("ecs", account)
    definition = ecs.describe_task_definition(taskDefinition="smgitops")["taskDefinition"]
    [container] = definition["containerDefinitions"]
    _, image = stages()
    assert container.get("entryPoint", image.exec_form("ENTRYPOINT")) == image.exec_form("ENTRYPOINT")
    arguments = build_parser().parse_args(container["command"])
    assert arguments.verb == image.exec_form("CMD")[0] == "run"
    assert container["user"] == image.last("USER")
    assert [mapping["containerPort"] for mapping in container["portMappings"]] == [arguments.health_port]
    assert image.last("EXPOSE") == str(arguments.health_port)
    dockerfile_check = json.loads(image.last("HEALTHCHECK").split(" CMD ", 1)[1])
    assert container["healthCheck"]["command"] == ["CMD", *dockerfile_check]
    assert f"127.0.0.1:{arguments.health_port}/healthz" in " ".join(dockerfile_check)
    assert container["readonlyRootFilesystem"] is True
    writable = {mount["containerPath"] for mount in container["mountPoints"]}
    assert {"/tmp", image.environment()["SMGITOPS_CACHE_DIR"]} <= writable
    assert 0 < container["stopTimeout"] <= 120
    controller = organisation.outputs["controller"]
    secrets = {secret["name"]: secret["valueFrom"] for secret in container["secrets"]}
    assert set(secrets) == {USERNAME_VARIABLE, PASSWORD_VARIABLE, TOKEN_VARIABLE}
    assert secrets[TOKEN_VARIABLE] == controller["gitlab_secret_arn"]
    with mock.patch.dict(os.environ, {item["name"]: item["value"] for item in container["environment"]}):
        proposals = build_parser().parse_args(container["command"])
    assert (proposals.gitlab_url, proposals.gitlab_project) == (GITLAB["gitlab_url"], GITLAB["gitlab_project"])
    secret = organisation.client("secretsmanager", account).describe_secret(SecretId=controller["gitlab_secret_arn"])
    assert secret["KmsKeyId"] == organisation.client("secretsmanager", account).describe_secret(
        SecretId=controller["git_secret_arn"]
    )["KmsKeyId"], "both secrets are encrypted with the module's key"
    execution = organisation.client("iam", account).get_role_policy(
        RoleName=definition["executionRoleArn"].split("/")[-1], PolicyName="ecs-execution"
    )["PolicyDocument"]
    readable = [statement["Resource"] for statement in execution["Statement"]
                if statement["Action"] == "secretsmanager:GetSecretValue"]
    assert readable == [controller["git_secret_arn"], controller["gitlab_secret_arn"]]
    assert (arguments.queue_url, arguments.lease_table) == (controller["queue_url"], controller["lease_table_name"])
    [service] = ecs.describe_services(cluster="smgitops", services=["smgitops"])["services"]
    assert (service["desiredCount"], service["launchType"]) == (2, "FARGATE")
    assert service["taskDefinition"] == definition["taskDefinitionArn"]


def documented_patterns() -> list[dict]:
    text = (REPOSITORY / "docs" / "events.md").read_text()
    return [json.loads(block) for block in re.findall(r"^```json\n(.*?)^```", text, re.MULTILINE | re.DOTALL)]


def every_account_forwards_the_documented_events_to_the_queue(organisation: Organisation) -> None:
    documented = sorted(documented_patterns(), key=json.dumps)
    assert len(documented) == 2
    bus = organisation.outputs["controller"]["event_bus_arn"]
    registry = organisation.state.registry.account
    on_bus = organisation.client("events", registry).list_rules(EventBusName=bus.split("/")[-1])["Rules"]
    assert sorted((json.loads(rule["EventPattern"]) for rule in on_bus), key=json.dumps) == documented
    accounts = {registry, *(environment.account for environment in organisation.state.environments.values())}
    for account in sorted(accounts):
        events = organisation.client("events", account)
        forwarding = events.list_rules(NamePrefix="forward-to-smgitops-")["Rules"]
        by_source = {}
        for rule in forwarding:
            [target] = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
            assert target["Arn"] == bus
            by_source.setdefault(rule["Name"].split("-")[3], []).append(json.loads(rule["EventPattern"]))
        for patterns in by_source.values():
            assert sorted(patterns, key=json.dumps) == documented, account
