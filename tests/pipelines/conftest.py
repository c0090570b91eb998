"""One shared render of every built-in template, and a render cache all xdist workers share.

`rendered` renders every pipeline of the example state (see `state_factory`) plus a plain `training`
variant once per test session, because a cold render starts the SageMaker SDK in a worker process.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from state_factory import example_state, plain_training_deployment

from controller.pipelines import PipelineSpec, RenderedPipeline, render_many, specs_for


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One render cache for the whole session, shared by xdist workers (entries are written atomically)."""
    root = tmp_path_factory.getbasetemp()
    shared = (root.parent if root.name.startswith("popen-gw") else root) / "pipeline-cache"
    shared.mkdir(exist_ok=True)
    return shared


@pytest.fixture
def cache_env(shared_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SMGITOPS_CACHE_DIR", str(shared_cache))
    yield shared_cache


@pytest.fixture(scope="session")
def example_specs() -> dict[tuple[str, str], PipelineSpec]:
    """Every pipeline of the example state plus a plain `training` one, keyed by (source, template)."""
    state = example_state()
    specs = {
        (spec.source, spec.template): spec for deployment in state.deployments for spec in specs_for(state, deployment)
    }
    plain = example_state(plain_training_deployment())
    (training,) = [spec for spec in specs_for(plain, plain.deployments[0]) if spec.template == "training"]
    specs[(training.source, "training")] = training
    return specs


@pytest.fixture(scope="session")
def rendered(example_specs: dict, shared_cache: Path) -> dict[tuple[str, str], RenderedPipeline]:
    keys = list(example_specs)
    results = render_many([example_specs[key] for key in keys], cache_dir=shared_cache)
    return dict(zip(keys, results, strict=True))
