"""The frozen model objects built from valid files: values, defaults, revision, and the Problem type."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from controller.desired import LoadResult, Problem, load
from controller.desired.model import ChangeWindow, HyperparameterRange, MetricThreshold
from controller.desired.revision import revision_of

EXAMPLES = Path(__file__).resolve().parents[2] / "desired_state"


@pytest.fixture(scope="module")
def state():
    return load(EXAMPLES).state


def deployment(state, environment: str, model: str):
    return next(d for d in state.deployments if d.key == (environment, model))


def test_environments_and_registry(state):
    prod = state.environments["prod"]

    assert state.registry.account == "111111111111"
    assert (prod.account, prod.region, prod.promotes_from, prod.drift, prod.prune) == (
        "333333333333", "us-east-1", "staging", "warn", False,
    )
    assert prod.pipeline_role == "arn:aws:iam::333333333333:role/sagemaker-pipelines"
    assert prod.target.role == "arn:aws:iam::333333333333:role/smgitops-deploy"
    assert (prod.suspended, prod.change_windows) == (False, ())
    assert state.environments["dev"].promotes_from is None


def test_a_deployment_with_training_and_tuning(state):
    churn = deployment(state, "dev", "churn")

    assert (churn.source, churn.model_package_group, churn.approved_version) == ("dev/churn.yaml", "churn", 8)
    assert churn.thresholds.model_quality == MetricThreshold(metric="mse", max=12.0)
    assert churn.thresholds.data_quality_max_violations == 2
    assert churn.training.template == "training-hpo"
    assert churn.training.on_new_data is True
    assert churn.training.register_when == MetricThreshold(metric="mse", max=10.0)
    assert churn.training.tuning.ranges == (
        HyperparameterRange(name="max_depth", type="integer", min=2, max=8),
        HyperparameterRange(name="eta", type="continuous", min=0.05, max=0.5),
    )
    assert churn.notifications.emails == ("churn-team@example.com",)


def test_defaults_fill_what_a_file_leaves_out(state):
    ltv = deployment(state, "prod", "ltv")

    assert ltv.batch_inference.ground_truth is None
    assert ltv.thresholds.model_quality is None
    assert (ltv.training, ltv.rejected_versions, ltv.suspended, ltv.adopt) == (None, (), False, False)
    assert deployment(state, "prod", "churn").rejected_versions == (5,)
    assert state.model_package_arn(ltv) == "arn:aws:sagemaker:us-east-1:111111111111:model-package/customer-ltv/3"


def test_optional_fields_and_change_windows(tmp_path):
    root = tmp_path / "desired_state"
    shutil.copytree(EXAMPLES, root)
    with (root / "environments.yaml").open("a") as stream:
        stream.write('    suspended: true\n    changeWindows:\n')
        stream.write('      - {schedule: "cron(0 9 ? * MON *)", duration: 1h30m}\n')
    ltv = root / "prod" / "ltv.yaml"
    ltv.write_text(ltv.read_text().replace("  instanceCount: 1\n", "").replace("  enabled: true\n", "")
                   + "adopt: true\nsuspended: true\n")

    state = load(root).state

    assert state.environments["prod"].suspended is True
    assert state.environments["prod"].change_windows == (
        ChangeWindow(schedule="cron(0 9 ? * MON *)", duration_minutes=90, timezone="UTC"),
    )
    built = deployment(state, "prod", "ltv")
    assert (built.adopt, built.suspended) == (True, True)
    assert (built.batch_inference.enabled, built.batch_inference.instance_count) == (True, 1)


def test_model_objects_are_frozen(state):
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.deployments[0].approved_version = 9


def test_revision_is_a_content_hash_outside_git_unless_given(tmp_path):
    root = tmp_path / "desired_state"
    shutil.copytree(EXAMPLES, root)
    before = load(root).state.revision
    (root / "prod" / "ltv.yaml").write_text((root / "prod" / "ltv.yaml").read_text().replace("3", "4", 1))

    after = load(root).state.revision

    assert before.startswith("sha256-") and len(before) == 19 and before != after
    assert after == revision_of(root)
    assert load(root).state.revision == after
    assert load(root, revision="abc123").state.revision == "abc123"


def test_a_result_has_a_state_or_problems_never_both(tmp_path):
    valid = load(EXAMPLES)
    broken = load(tmp_path / "nowhere")

    assert isinstance(valid, LoadResult) and valid.problems == () and valid.state is not None
    assert broken.state is None and broken.problems


def test_problems_sort_by_path_line_column_and_print_as_one_line():
    late = Problem("d/prod/churn.yaml", 10, 3, "batchInference", "unknown field 'x'")
    early = Problem("d/prod/churn.yaml", 9, 13, "batchInference.schedule", "must be cron(...) or rate(...)")
    other = Problem("d/environments.yaml", 30, 1, "environments.prod", "missing required field 'role'")

    assert sorted([late, early, other]) == [other, early, late]
    assert str(early) == "d/prod/churn.yaml:9:13: batchInference.schedule: must be cron(...) or rate(...)"
