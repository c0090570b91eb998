"""What changes a definition how: values change parameter defaults only, from the cache; renders repeat exactly."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from state_factory import churn, churn_training, example_state, without_defaults

from controller.desired.model import MetricThreshold, Thresholds
from controller.pipelines import render, render_many, specs_for, uncached


def test_a_version_bump_or_threshold_change_changes_only_parameter_defaults(rendered, shared_cache: Path) -> None:
    thresholds = Thresholds(data_quality_max_violations=3, model_quality=MetricThreshold(metric="mse", max=4.5))
    batch = dataclasses.replace(churn("prod").batch_inference, instance_count=4, instance_type="ml.c5.2xlarge")
    deployment = churn("prod", approved_version=9, thresholds=thresholds, batch_inference=batch)
    (spec,) = specs_for(example_state(deployment), deployment)
    assert uncached([spec], cache_dir=shared_cache) == []  # no re-render: the structure is cached

    bumped = render(spec, cache_dir=shared_cache)
    original = rendered[("prod/churn.yaml", "batch-inference")]
    assert without_defaults(bumped) == without_defaults(original)
    assert bumped.definition != original.definition
    changed = {name: value for name, value in bumped.parameters.items() if original.parameters[name] != value}
    assert changed == {
        "ModelPackageArn": "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/9",
        "MaxDataQualityViolations": 3,
        "ModelQualityMaxMse": 4.5,
        "InstanceCount": 4,
        "InstanceType": "ml.c5.2xlarge",
    }


def test_training_threshold_and_tuning_limits_change_only_parameter_defaults(rendered, shared_cache: Path) -> None:
    training = churn_training(register_when=MetricThreshold(metric="mse", max=7.5))
    training = dataclasses.replace(
        training, tuning=dataclasses.replace(training.tuning, max_jobs=20, max_parallel_jobs=4)
    )
    deployment = churn("dev", training=training)
    (_, spec) = specs_for(example_state(deployment), deployment)
    assert uncached([spec], cache_dir=shared_cache) == []

    changed = render(spec, cache_dir=shared_cache)
    original = rendered[("dev/churn.yaml", "training-hpo")]
    assert without_defaults(changed) == without_defaults(original)
    assert {name for name, value in changed.parameters.items() if original.parameters[name] != value} == {
        "RegisterMaxMse",
        "TuningMaxJobs",
        "TuningMaxParallelJobs",
    }


def test_a_different_metric_or_new_ranges_is_a_structural_change(shared_cache: Path, rendered) -> None:
    metric = churn("prod", thresholds=Thresholds(model_quality=MetricThreshold(metric="mae", max=3.0)))
    training = churn_training()
    wider = dataclasses.replace(training.tuning, ranges=(*training.tuning.ranges[:1],))
    ranges = churn("dev", training=dataclasses.replace(training, tuning=wider))
    specs = [specs_for(example_state(metric), metric)[0], specs_for(example_state(ranges), ranges)[1]]
    assert uncached(specs, cache_dir=shared_cache) == specs


def test_rendering_twice_gives_identical_bytes(rendered, example_specs, shared_cache: Path) -> None:
    again = render_many(list(example_specs.values()), cache_dir=shared_cache)
    assert [pipeline.definition for pipeline in again] == [pipeline.definition for pipeline in rendered.values()]


def test_two_cold_renders_give_identical_bytes(rendered, example_specs, tmp_path: Path) -> None:
    """Not just the cache talking: the SDK builds the same definition from scratch."""
    keys = [key for key, spec in example_specs.items() if spec.region == "us-east-1"]
    cold = render_many([example_specs[key] for key in keys], cache_dir=tmp_path / "cold-cache")
    for key, pipeline in zip(keys, cold, strict=True):
        assert pipeline.definition == rendered[key].definition, key
        assert pipeline.artifacts == rendered[key].artifacts
