"""A fleet on an empty render cache: one render per template shape, and a render that fails is a plan error."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path

import pytest
from state_factory import churn, example_state, ltv

from controller.engine.reconcile import make_plan
from controller.kinds import pipeline
from controller.pipelines import RenderError, pipelines_of

render = importlib.import_module("controller.pipelines.render")  # the package exports a function of that name
MODELS = 200


def fleet_of(models: int, *, root: str = "."):
    """`models` copies of churn (ground truth; dev also trains with HPO) and ltv, alternating, in 3 environments."""
    deployments = []
    for index in range(models):
        name = f"m{index:03d}"
        make = churn if index % 2 == 0 else ltv
        for environment in ("dev", "staging", "prod"):
            deployment = make(environment, model=name, source=f"{environment}/{name}.yaml", model_package_group=name)
            batch = dataclasses.replace(deployment.batch_inference, pipeline=f"{name}-batch-inference")
            training = deployment.training and dataclasses.replace(deployment.training, pipeline=f"{name}-training")
            deployments.append(dataclasses.replace(deployment, batch_inference=batch, training=training))
    return example_state(*deployments, root=root)


@pytest.fixture
def worker_runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The cache keys (template shapes) each render worker run was asked to build."""
    runs: list[list[str]] = []
    real = render._run_worker

    def recording(region, batch):
        runs.append(list(batch))
        return real(region, batch)

    monkeypatch.setattr(render, "_run_worker", recording)
    return runs


def test_a_fleet_plans_from_an_empty_cache_rendering_each_shape_once(
    aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, worker_runs: list[list[str]]
) -> None:
    monkeypatch.setenv("SMGITOPS_CACHE_DIR", str(tmp_path / "empty-cache"))
    state = fleet_of(MODELS)

    plan = make_plan(state, clients=aws, kinds={"pipeline": pipeline})

    assert plan.errors == ()
    creates = [change for change in plan.changes if change.action == "create"]
    assert len(creates) == MODELS * 3 + MODELS // 2  # batch inference everywhere, training in dev for churn copies
    shapes = [key for run in worker_runs for key in run]
    assert len(shapes) == len(set(shapes))
    # dev: batch inference with and without ground truth, training; staging and prod: both batch inferences
    assert len(shapes) == 7
    training = next(change for change in creates if change.name == "m000-training")
    assert "s3://acme-dev-mlops/smgitops/runs/m000-training/" in training.payload["definition"]
    assert all(render.NAME_PLACEHOLDER not in change.payload["definition"] for change in creates)

    again = make_plan(state, clients=aws, kinds={"pipeline": pipeline})

    assert again.errors == () and len(worker_runs) == 1  # the second plan renders nothing


FAILING_TEMPLATE = "def build(context):\n    raise RuntimeError('the feature store is not configured')\n"


def test_a_render_that_fails_is_a_plan_error(aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMGITOPS_CACHE_DIR", str(tmp_path / "empty-cache"))
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "scoring.py").write_text(FAILING_TEMPLATE)
    failing = churn("prod", model="scoring", source="prod/scoring.yaml")
    failing = dataclasses.replace(
        failing, batch_inference=dataclasses.replace(failing.batch_inference, template="templates/scoring.py")
    )
    state = example_state(failing, ltv("prod"), root=str(tmp_path))

    plan = make_plan(state, clients=aws, kinds={"pipeline": pipeline})

    assert plan.errors == (
        "prod/scoring.yaml: templates/scoring.py: RuntimeError: the feature store is not configured",
    )
    assert plan.changes == ()


def test_a_render_that_never_ends_is_stopped_and_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "WORKER_TIMEOUT_SECONDS", 2)
    monkeypatch.setenv("SMGITOPS_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "slow.py").write_text("import time\n\n\ndef build(context):\n    time.sleep(3600)\n")
    slow = churn("prod", model="slow", source="prod/slow.yaml")
    batch = dataclasses.replace(slow.batch_inference, template="templates/slow.py")
    slow = dataclasses.replace(slow, batch_inference=batch)
    state = example_state(slow, root=str(tmp_path))

    with pytest.raises(RenderError) as raised:
        pipelines_of(state)

    assert str(raised.value) == (
        "prod/slow.yaml: templates/slow.py: not rendered: "
        "the pipeline render worker took longer than 2 s and was stopped"
    )
