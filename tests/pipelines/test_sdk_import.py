"""The controller process never imports the SageMaker SDK: a warm render starts nothing, a cold one a worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CHILD = """
import json, subprocess, sys
started = []
if sys.argv[1] == "warm":
    def refuse(*args, **kwargs):
        raise AssertionError("a render with a warm cache started a process")
    subprocess.run = subprocess.Popen = refuse
else:
    run = subprocess.run
    def counting(*args, **kwargs):
        started.append(args[0])
        return run(*args, **kwargs)
    subprocess.run = counting
from state_factory import churn, example_state, ltv
from controller.pipelines import pipelines_of
state = example_state() if sys.argv[1] == "warm" else example_state(churn("staging"), ltv("staging"))
definitions = {
    f"{source}:{pipeline.template}": pipeline.definition
    for source, pipelines in pipelines_of(state).items()
    for pipeline in pipelines
}
sdk = sorted(name for name in sys.modules if name.split(".")[0] == "sagemaker")
print(json.dumps({"sdk": sdk, "started": len(started), "definitions": definitions}))
"""


def run_child(mode: str, cache: Path) -> dict:
    environment = {
        **os.environ,
        "SMGITOPS_CACHE_DIR": str(cache),
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(REPO)]),
    }
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, mode], capture_output=True, text=True, env=environment, timeout=300, check=False
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_a_warm_render_imports_no_sdk_and_starts_no_process(rendered, shared_cache: Path) -> None:
    child = run_child("warm", shared_cache)
    assert child["sdk"] == []
    assert child["started"] == 0
    expected = {f"{source}:{template}": pipeline.definition for (source, template), pipeline in rendered.items()}
    expected.pop("dev/churn.yaml:training")  # the plain-training variant is not in the example state
    assert child["definitions"] == expected


def test_a_cold_render_builds_every_deployment_in_one_worker_not_in_the_controller(tmp_path: Path, rendered) -> None:
    child = run_child("cold", tmp_path / "empty-cache")
    assert child["sdk"] == []
    assert child["started"] == 1  # one worker renders every deployment
    assert child["definitions"] == {
        f"staging/{model}.yaml:batch-inference": rendered[(f"staging/{model}.yaml", "batch-inference")].definition
        for model in ("churn", "ltv")
    }
    assert len(list((tmp_path / "empty-cache").rglob("*.json"))) == 2
