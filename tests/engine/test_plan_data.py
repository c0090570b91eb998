"""A plan is data: it round-trips through JSON, renders three ways, and a saved plan knows when it is stale."""

from __future__ import annotations

import dataclasses
import json

from controller.desired.model import Account
from controller.engine.plan import Change, FieldDiff, Plan
from controller.engine.reconcile import stale_reasons
from controller.engine.reports import render

TARGET = Account("333333333333", "eu-central-1", "arn:aws:iam::333333333333:role/smgitops-deploy")


def sample_plan() -> Plan:
    update = Change(
        kind="schedule",
        name="churn-batch-inference",
        environment="prod",
        target=TARGET,
        action="update",
        reason="drift",
        source="prod/churn.yaml",
        before={"expression": "cron(0 5 * * ? *)"},
        after={"expression": "cron(0 4 * * ? *)"},
        diff=(FieldDiff("expression", "cron(0 5 * * ? *)", "cron(0 4 * * ? *)"),),
        model="churn",
    )
    create = Change(
        kind="pipeline",
        name="ltv-batch-inference",
        environment="prod",
        target=TARGET,
        action="create",
        reason="desired-change",
        source="prod/ltv.yaml",
        before=None,
        after={"role": "arn:aws:iam::333333333333:role/sagemaker-pipelines"},
        model="ltv",
    )
    held = Change(
        kind="pipeline",
        name="old",
        environment="prod",
        target=TARGET,
        action="delete",
        reason="orphan",
        source="prod/old.yaml",
        before={"role": "r"},
        after=None,
        hold="prune: false",
    )
    return Plan(revision="abc123", changes=(update, create, held), environments=("prod",), in_sync=4)


def test_plan_round_trips_through_json():
    plan = sample_plan()
    assert Plan.from_json(plan.to_json()) == plan


def test_summary_counts_actionable_and_held():
    assert sample_plan().summary() == {"create": 1, "update": 1, "delete": 0, "held": 1, "in_sync": 4}


def test_text_report_reads_like_terraform():
    report = render(sample_plan(), "text")
    assert "  ~ schedule churn-batch-inference  (drift, prod/churn.yaml)" in report
    assert '      expression: "cron(0 5 * * ? *)" -> "cron(0 4 * * ? *)"' in report
    assert "  - pipeline old  (orphan, prod/old.yaml) not applied: prune: false" in report
    assert report.rstrip().endswith("Plan: 1 to create, 1 to update, 0 to delete; 1 reported, not applied.")


def test_markdown_report_has_a_section_per_environment_and_details():
    report = render(sample_plan(), "markdown")
    assert report.startswith("### smgitops plan for `abc123`")
    assert "#### prod — account `333333333333`, eu-central-1" in report
    assert "<details><summary>Field changes</summary>" in report
    assert '+ expression: "cron(0 4 * * ? *)"' in report


def test_json_report_is_the_plan():
    data = json.loads(render(sample_plan(), "json"))
    assert data["changes"][0]["address"] == "prod/schedule/churn-batch-inference"
    assert data["summary"]["update"] == 1


def test_saved_plan_is_stale_when_live_state_moved():
    saved = sample_plan()
    assert stale_reasons(saved, saved) == []
    moved = dataclasses.replace(saved.changes[0], before={"expression": "cron(0 6 * * ? *)"})
    fresh = dataclasses.replace(saved, changes=(moved, *saved.changes[1:]))
    assert stale_reasons(saved, fresh) == [
        "prod/schedule/churn-batch-inference: live state changed since the plan was made"
    ]
    assert stale_reasons(saved, dataclasses.replace(saved, revision="def456")) == [
        "the desired state is at revision def456, the plan was made at abc123"
    ]


def test_json_plan_matches_its_published_schema():
    from pathlib import Path

    import jsonschema

    schema = json.loads((Path(__file__).parents[2] / "schemas" / "plan.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(json.loads(sample_plan().to_json()))


def test_a_new_pipeline_shows_its_steps_and_parameter_defaults_not_raw_json(example_state):
    from controller.kinds import pipeline

    [resource] = [r for r in pipeline.desired(example_state) if r.address == "prod/pipeline/ltv-batch-inference"]
    create = Change(kind="pipeline", name=resource.name, environment="prod", target=TARGET, action="create",
                    reason="desired-change", source=resource.source, before=None, after=resource.spec)
    report = render(Plan(revision="abc123", changes=(create,), environments=("prod",)), "text")
    package = "arn:aws:sagemaker:us-east-1:111111111111:model-package/customer-ltv/3"
    assert f'      parameter ModelPackageArn: "{package}"' in report
    assert "      steps: " in report and "Parameters" not in report


def test_markdown_details_show_what_a_new_object_will_be():
    report = render(sample_plan(), "markdown")
    assert "# prod/pipeline/ltv-batch-inference\n" in report
    assert '+ role: "arn:aws:iam::333333333333:role/sagemaker-pipelines"' in report
