"""`smgitops permissions`: scoped policies and trust for the example desired state, exactly; both formats; errors."""

from __future__ import annotations

import json

import pytest

from controller.main import main

CONTROLLER = "arn:aws:iam::111111111111:role/smgitops-controller"


def printed(capsys, *arguments: str) -> dict:
    assert main(["permissions", "desired_state", *arguments]) == 0
    return json.loads(capsys.readouterr().out)


def resources_by_sid(document: dict) -> dict:
    return {statement["Sid"]: statement["Resource"] for statement in document["Statement"]}


def test_one_document_per_role_and_environment(capsys):
    documents = printed(capsys)

    assert sorted(documents) == sorted([
        "controller", "controller-trust", "registry", "registry-trust",
        *(f"{env}-{role}{trust}" for env in ("dev", "staging", "prod")
          for role in ("deploy", "pipeline", "scheduler") for trust in ("", "-trust")),
        "registry-group-churn", "registry-group-customer-ltv",
    ])


def test_the_controller_reads_its_queue_and_assumes_only_the_roles_environments_yaml_names(capsys):
    assert printed(capsys, "--role", "controller") == {"Version": "2012-10-17", "Statement": [
        {"Sid": "ControllerQueue", "Effect": "Allow", "Action": ["sqs:DeleteMessage", "sqs:ReceiveMessage"],
         "Resource": "arn:aws:sqs:us-east-1:111111111111:smgitops-events"},
        {"Sid": "ControllerAssumeRoles", "Effect": "Allow", "Action": ["sts:AssumeRole"], "Resource": [
            "arn:aws:iam::111111111111:role/smgitops-deploy", "arn:aws:iam::111111111111:role/smgitops-registry",
            "arn:aws:iam::222222222222:role/smgitops-deploy", "arn:aws:iam::333333333333:role/smgitops-deploy",
        ]},
    ]}


def test_the_registry_role_approves_the_declared_groups_and_holds_the_lease(capsys):
    registry = printed(capsys, "--role", "registry", "--lease-table", "leases", "--create-lease-table")

    assert resources_by_sid(registry) == {
        "ApprovalListVersions": [
            "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/churn",
            "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/customer-ltv",
            "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/*",
            "arn:aws:sagemaker:us-east-1:111111111111:model-package/customer-ltv/*",
        ],
        "ApprovalApprove": [
            "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/*",
            "arn:aws:sagemaker:us-east-1:111111111111:model-package/customer-ltv/*",
        ],
        "ApprovalReadQualityReports": "arn:aws:s3:::acme-dev-mlops/*",
        "LeaseTable": "arn:aws:dynamodb:us-east-1:111111111111:table/leases",
        "LeaseCreateTable": "arn:aws:dynamodb:us-east-1:111111111111:table/leases",
    }


def test_the_deploy_role_is_scoped_to_what_prod_declares(capsys):
    prod = printed(capsys, "--role", "prod-deploy")
    account = "us-east-1:333333333333"

    assert resources_by_sid(prod) == {
        "PipelineList": "*",
        "PipelineFindWritten": "*",
        "PipelineDeclared": [f"arn:aws:sagemaker:{account}:pipeline/churn-batch-inference",
                             f"arn:aws:sagemaker:{account}:pipeline/ltv-batch-inference"],
        "PipelineOwned": f"arn:aws:sagemaker:{account}:pipeline/*",
        "PipelineCode": "arn:aws:s3:::acme-prod-mlops/smgitops/*",
        "PipelineCodeBucket": "arn:aws:s3:::acme-prod-mlops",
        "PipelinePassRoleToSagemaker": "arn:aws:iam::333333333333:role/sagemaker-pipelines",
        "TriggerList": "*",
        "TriggerRules": f"arn:aws:events:{account}:rule/smgitops-*",
        "TriggerBus": f"arn:aws:events:{account}:event-bus/default",
        "TriggerBusPolicy": "*",
        "TriggerPassRoleToEvents": "arn:aws:iam::333333333333:role/smgitops-scheduler",
        "ScheduleList": "*",
        "ScheduleGroup": f"arn:aws:scheduler:{account}:schedule-group/smgitops-prod",
        "ScheduleSchedules": f"arn:aws:scheduler:{account}:schedule/smgitops-prod/*",
        "ScheduleStamps": [f"arn:aws:sagemaker:{account}:pipeline/churn-batch-inference",
                           f"arn:aws:sagemaker:{account}:pipeline/ltv-batch-inference"],
        "SchedulePassRoleToScheduler": "arn:aws:iam::333333333333:role/smgitops-scheduler",
        "TopicList": "*",
        "TopicUnsubscribe": "*",
        "TopicDeclared": [f"arn:aws:sns:{account}:churn-alerts", f"arn:aws:sns:{account}:ltv-alerts"],
        "TopicOwned": f"arn:aws:sns:{account}:*",
        "NotifyPublish": [f"arn:aws:sns:{account}:churn-alerts", f"arn:aws:sns:{account}:ltv-alerts"],
        "StatusRuns": [f"arn:aws:sagemaker:{account}:pipeline/churn-batch-inference",
                       f"arn:aws:sagemaker:{account}:pipeline/ltv-batch-inference"],
        "StatusRunDetails": [f"arn:aws:sagemaker:{account}:pipeline/churn-batch-inference/execution/*",
                             f"arn:aws:sagemaker:{account}:pipeline/ltv-batch-inference/execution/*"],
    }
    conditions = {statement["Sid"]: statement.get("Condition") for statement in prod["Statement"]}
    managed = {"StringEquals": {"aws:ResourceTag/smgitops:managed": "true"}}
    assert conditions["PipelineOwned"] == conditions["TopicOwned"] == managed
    assert conditions["SchedulePassRoleToScheduler"] == {
        "StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}
    }


def test_the_pipeline_role_reads_inputs_and_the_trainers_artifacts_and_writes_outputs(capsys):
    prod = resources_by_sid(printed(capsys, "--role", "prod-pipeline"))

    assert prod["PipelineReadVersions"] == [
        "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/*",
        "arn:aws:sagemaker:us-east-1:111111111111:model-package/customer-ltv/*",
    ]
    assert prod["PipelineReadData"] == [
        "arn:aws:s3:::acme-dev-mlops/smgitops/*",  # churn is trained in dev: its models and baselines
        "arn:aws:s3:::acme-prod/churn/ground-truth/*",
        "arn:aws:s3:::acme-prod/churn/inference/*",
        "arn:aws:s3:::acme-prod/ltv/inference/*",
    ]
    assert prod["PipelineListData"] == ["arn:aws:s3:::acme-dev-mlops", "arn:aws:s3:::acme-prod"]
    assert prod["PipelineArtifactsBucket"] == "arn:aws:s3:::acme-prod-mlops"  # code and baselines are listed
    assert prod["PipelineWriteData"] == ["arn:aws:s3:::acme-prod/churn/predictions/*",
                                         "arn:aws:s3:::acme-prod/ltv/predictions/*"]
    assert "PipelineRegisterVersions" not in prod  # prod trains nothing
    assert prod["PipelineTrainersKeys"] == "arn:aws:kms:us-east-1:111111111111:key/*"  # dev's account, via S3 only
    [keys] = [item for item in printed(capsys, "--role", "prod-pipeline")["Statement"]
              if item["Sid"] == "PipelineTrainersKeys"]
    assert keys["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
    dev = resources_by_sid(printed(capsys, "--role", "dev-pipeline"))
    assert "PipelineTrainersKeys" not in dev  # it trains churn itself, in its own account
    assert dev["PipelineRegisterVersions"] == [
        "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/churn",
        "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/*",
    ]


def test_the_scheduler_role_starts_the_environments_pipelines_and_forwards_retuning(capsys):
    staging = printed(capsys, "--role", "staging-scheduler")

    assert staging["Statement"] == [
        {"Sid": "TriggerStartPipelines", "Effect": "Allow", "Action": ["sagemaker:StartPipelineExecution"],
         "Resource": ["arn:aws:sagemaker:us-east-1:222222222222:pipeline/churn-batch-inference",
                      "arn:aws:sagemaker:us-east-1:222222222222:pipeline/ltv-batch-inference"]},
        {"Sid": "TriggerForward", "Effect": "Allow", "Action": ["events:PutEvents"],
         "Resource": "arn:aws:events:us-east-1:111111111111:event-bus/default"},
    ]


def test_trust_policies_name_only_the_controller_or_the_service(capsys):
    documents = printed(capsys, "--controller-role-arn", "arn:aws:iam::444444444444:role/ops/smgitops")
    controller = "arn:aws:iam::444444444444:role/ops/smgitops"

    for key in ("registry-trust", "dev-deploy-trust", "staging-deploy-trust", "prod-deploy-trust"):
        assert documents[key]["Statement"] == [{"Sid": "ControllerAssumes", "Effect": "Allow",
                                                "Principal": {"AWS": controller}, "Action": "sts:AssumeRole"}]
    assert documents["prod-scheduler-trust"]["Statement"] == [
        {"Sid": "EventsAssumes", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
         "Action": "sts:AssumeRole", "Condition": {
             "StringEquals": {"aws:SourceAccount": "333333333333"},
             "ArnLike": {"aws:SourceArn": "arn:aws:events:us-east-1:333333333333:rule/smgitops-*"}}},
        {"Sid": "SchedulerAssumes", "Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"},
         "Action": "sts:AssumeRole", "Condition": {
             "StringEquals": {"aws:SourceAccount": "333333333333"},
             "ArnLike": {"aws:SourceArn": "arn:aws:scheduler:us-east-1:333333333333:schedule-group/smgitops-prod"}}},
    ]
    assert documents["prod-pipeline-trust"]["Statement"][0]["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert documents["controller-trust"]["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "444444444444"}
    }
    assert documents["controller"]["Statement"][0]["Resource"] == (
        "arn:aws:sqs:us-east-1:444444444444:smgitops-events"
    )


def test_the_group_policy_lets_deploying_environments_read_and_trainers_register(capsys):
    churn = printed(capsys, "--role", "registry-group-churn")
    pipelines = [f"arn:aws:iam::{account}:role/sagemaker-pipelines" for account in ("111111111111", "222222222222",
                                                                                     "333333333333")]

    assert [(s["Sid"], s["Principal"]["AWS"], s["Action"]) for s in churn["Statement"]] == [
        ("EnvironmentsReadGroup", pipelines, ["sagemaker:DescribeModelPackageGroup"]),
        ("EnvironmentsReadVersions", pipelines, ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"]),
        ("TrainersRegisterVersions", pipelines[0], ["sagemaker:CreateModelPackage"]),
    ]


def test_terraform_format_writes_one_stable_file_per_document(tmp_path, capsys):
    documents = printed(capsys, "--queue-url", "https://sqs.us-east-1.amazonaws.com/111111111111/events")

    for attempt in ("first", "second"):
        out = tmp_path / attempt
        assert main(["permissions", "desired_state", "--format", "terraform", "--out", str(out),
                     "--queue-url", "https://sqs.us-east-1.amazonaws.com/111111111111/events"]) == 0
        assert capsys.readouterr().out == f"wrote {len(documents)} policy documents to {out}\n"
    files = sorted(path.name for path in (tmp_path / "first").iterdir())
    assert files == sorted(f"{key}.json" for key in documents)
    for name in files:
        text = (tmp_path / "first" / name).read_text()
        assert text == (tmp_path / "second" / name).read_text()
        assert text == json.dumps(documents[name.removesuffix(".json")], indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize("arguments, message", [
    (["--format", "terraform"], "permissions: --format terraform needs --out DIR\n"),
    (["--role", "qa-deploy"], "permissions: --role qa-deploy: no such document (one of: controller, "),
])
def test_usage_errors_are_one_line(arguments, message, capsys):
    assert main(["permissions", "desired_state", *arguments]) == 1
    assert capsys.readouterr().err.startswith(message)


def test_an_invalid_desired_state_prints_its_problems_and_nothing_else(tmp_path, capsys):
    (tmp_path / "environments.yaml").write_text("registry: {}\n")

    assert main(["permissions", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"{tmp_path}/environments.yaml:1:1: ")
