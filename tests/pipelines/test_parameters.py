"""The one mapping from a deployment file to pipeline specs: parameter defaults, options, environment."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from state_factory import churn, churn_training, example_state, ltv

from controller.desired.model import MetricThreshold, Thresholds
from controller.pipelines import RenderError, specs_for
from controller.pipelines.metrics import report_path, threshold_parameter, tuning_objective
from controller.pipelines.parameters import TEMPLATES_DIR


def test_batch_inference_parameters_come_from_the_deployment_file() -> None:
    state = example_state()
    (spec,) = specs_for(state, churn("prod"))
    assert spec.name == "churn-batch-inference"
    assert spec.parameters == {
        "ModelPackageArn": "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/7",
        "InputS3Uri": "s3://acme-prod/churn/inference/",
        "OutputS3Uri": "s3://acme-prod/churn/predictions/",
        "GroundTruthS3Uri": "s3://acme-prod/churn/ground-truth/",
        "InstanceType": "ml.m5.xlarge",
        "InstanceCount": 2,
        "MaxDataQualityViolations": 0,
        "ModelQualityMaxMse": 10.0,
    }
    assert spec.options == {"model_quality": {"metric": "mse", "bounds": ["max"]}}


def test_the_model_package_arn_is_the_approved_version_in_the_registry_account() -> None:
    state = example_state()
    deployment = churn("prod", approved_version=9)
    (spec,) = specs_for(state, deployment)
    assert spec.parameters["ModelPackageArn"] == state.model_package_arn(deployment)
    assert spec.parameters["ModelPackageArn"].endswith(":111111111111:model-package/churn/9")


def test_the_environment_gives_region_role_and_artifacts_prefix() -> None:
    (spec,) = specs_for(example_state(), churn("prod"))
    assert (spec.region, spec.role, spec.artifacts) == (
        "us-east-1",
        "arn:aws:iam::333333333333:role/sagemaker-pipelines",
        "s3://acme-prod-mlops/smgitops/",
    )
    assert Path(spec.template_path) == TEMPLATES_DIR / "batch_inference.py"


def test_without_ground_truth_there_is_no_model_quality_check() -> None:
    (spec,) = specs_for(example_state(), ltv("prod"))
    assert spec.options == {"model_quality": None}
    assert "GroundTruthS3Uri" not in spec.parameters
    assert not [name for name in spec.parameters if name.startswith("ModelQuality")]


def test_ground_truth_without_a_model_quality_threshold_checks_nothing() -> None:
    deployment = churn("prod", thresholds=Thresholds(data_quality_max_violations=1))
    (spec,) = specs_for(example_state(), deployment)
    assert spec.options == {"model_quality": None}
    assert spec.parameters["MaxDataQualityViolations"] == 1


def test_both_bounds_of_a_threshold_become_parameters() -> None:
    thresholds = Thresholds(model_quality=MetricThreshold(metric="auc", min=0.7, max=0.99))
    (spec,) = specs_for(example_state(), churn("prod", thresholds=thresholds))
    assert spec.options["model_quality"] == {"metric": "auc", "bounds": ["max", "min"]}
    assert (spec.parameters["ModelQualityMaxAuc"], spec.parameters["ModelQualityMinAuc"]) == (0.99, 0.7)


def test_an_integer_threshold_is_still_a_float_parameter() -> None:
    thresholds = Thresholds(model_quality=MetricThreshold(metric="mse", max=10))
    (spec,) = specs_for(example_state(), churn("prod", thresholds=thresholds))
    assert spec.parameters["ModelQualityMaxMse"] == 10.0
    assert isinstance(spec.parameters["ModelQualityMaxMse"], float)


def test_training_with_hpo_parameters_and_tuning_options() -> None:
    batch, training = specs_for(example_state(), churn("dev"))
    assert batch.template == "batch-inference"
    assert training.template == "training-hpo"
    assert training.name == "churn-training"
    assert training.parameters == {
        "TrainingInputS3Uri": "s3://acme-dev/churn/training/",
        "InstanceType": "ml.m5.xlarge",
        "ModelPackageGroup": "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/churn",
        "RegisterMaxMse": 10.0,
        "TuningMaxJobs": 8,
        "TuningMaxParallelJobs": 2,
    }
    assert training.options == {
        "register": {"metric": "mse", "bounds": ["max"]},
        "tuning": {
            "objective": "mse",
            "ranges": [
                {"name": "eta", "type": "continuous", "min": 0.05, "max": 0.5, "values": []},
                {"name": "max_depth", "type": "integer", "min": 2, "max": 8, "values": []},
            ],
        },
    }


def test_changing_a_value_changes_parameters_but_not_structure() -> None:
    state = example_state()
    before = specs_for(state, churn("prod"))[0]
    thresholds = Thresholds(data_quality_max_violations=3, model_quality=MetricThreshold(metric="mse", max=4.5))
    after = specs_for(state, churn("prod", approved_version=8, thresholds=thresholds))[0]
    assert after.parameters != before.parameters
    assert after.structure() == before.structure()


def test_changing_the_metric_changes_structure() -> None:
    state = example_state()
    before = specs_for(state, churn("prod"))[0]
    thresholds = Thresholds(model_quality=MetricThreshold(metric="mae", max=3.0))
    after = specs_for(state, churn("prod", thresholds=thresholds))[0]
    assert after.structure() != before.structure()


def test_a_team_template_is_a_path_relative_to_the_desired_state_directory(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "scoring.py").write_text("def build(context):\n    return []\n")
    deployment = churn("prod")
    deployment = dataclasses.replace(
        deployment, batch_inference=dataclasses.replace(deployment.batch_inference, template="templates/scoring.py")
    )
    (spec,) = specs_for(example_state(deployment, root=str(tmp_path)), deployment)
    assert spec.template_path == str((tmp_path / "templates" / "scoring.py").resolve())
    assert spec.parameters == specs_for(example_state(), churn("prod"))[0].parameters


@pytest.mark.parametrize("template", ["../outside.py", "templates/link.py", "/tmp/outside.py"])
def test_a_template_outside_the_desired_state_directory_is_never_loaded(tmp_path: Path, template: str) -> None:
    root = tmp_path / "desired_state"
    (root / "templates").mkdir(parents=True)
    (tmp_path / "outside.py").write_text("def build(context):\n    return []\n")
    (root / "templates" / "link.py").symlink_to(tmp_path / "outside.py")
    deployment = churn("prod")
    deployment = dataclasses.replace(
        deployment, batch_inference=dataclasses.replace(deployment.batch_inference, template=template)
    )
    with pytest.raises(RenderError) as raised:
        specs_for(example_state(deployment, root=str(root)), deployment)
    message = "prod/churn.yaml: batchInference.template: the template is outside the desired-state directory"
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("deployment", "message"),
    [
        (
            churn("dev", training=churn_training(tuning=None)),
            "dev/churn.yaml: training.tuning: the training-hpo template needs a tuning section",
        ),
        (
            churn("prod", thresholds=Thresholds(model_quality=MetricThreshold(metric="logcosh", max=1.0))),
            "prod/churn.yaml: thresholds.modelQuality.metric: unknown metric 'logcosh'; known metrics: "
            "mse, rmse, mae, r2, accuracy, auc, f1, precision, recall",
        ),
        (
            churn("dev", training=churn_training(register_when=MetricThreshold(metric="mse"))),
            "dev/churn.yaml: training.registerWhen: set max, min or both",
        ),
        (
            churn("prod", batch_inference=dataclasses.replace(churn("prod").batch_inference, template="nope.py")),
            "prod/churn.yaml: batchInference.template: no template module at nope.py",
        ),
    ],
)
def test_bad_deployments_give_one_clear_line(deployment, message: str) -> None:
    with pytest.raises(RenderError) as raised:
        specs_for(example_state(deployment), deployment)
    assert str(raised.value) == message


def test_metric_helpers() -> None:
    assert threshold_parameter("Register", "max", "mse") == "RegisterMaxMse"
    assert threshold_parameter("ModelQuality", "min", "f1") == "ModelQualityMinF1"
    assert report_path("mse") == "regression_metrics.mse.value"
    assert report_path("auc") == "binary_classification_metrics.auc.value"
    assert tuning_objective("mse") == ("validation:mse", "Minimize")
    assert tuning_objective("auc") == ("validation:auc", "Maximize")


@pytest.mark.parametrize("link", ["helpers.py", "nested/helpers.py", "package"])
def test_a_template_whose_directory_links_out_is_never_loaded(tmp_path: Path, link: str) -> None:
    root = tmp_path / "desired_state"
    (root / "templates" / "nested").mkdir(parents=True)
    (root / "templates" / "team.py").write_text("import helpers\n\ndef build(context):\n    return []\n")
    (tmp_path / "helpers.py").write_text("print('ran')\n")
    (tmp_path / "package").mkdir()
    (root / "templates" / link).symlink_to(tmp_path / Path(link).name)
    deployment = churn("prod")
    deployment = dataclasses.replace(
        deployment, batch_inference=dataclasses.replace(deployment.batch_inference, template="templates/team.py")
    )
    with pytest.raises(RenderError) as raised:
        specs_for(example_state(deployment, root=str(root)), deployment)
    message = (
        "prod/churn.yaml: batchInference.template: the template's directory holds a link that leads out of the"
        " desired-state directory"
    )
    assert str(raised.value) == message
