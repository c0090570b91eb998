"""`smgitops render`: the definitions git implies, written offline, deterministic, filtered by --env/--model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from controller.desired import load
from controller.main import main
from controller.pipelines import pipelines_for

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "desired_state"
ALL_FILES = [
    "dev/churn-batch-inference.json",
    "dev/churn-training.json",
    "prod/churn-batch-inference.json",
    "prod/ltv-batch-inference.json",
    "staging/churn-batch-inference.json",
    "staging/ltv-batch-inference.json",
]

OFFLINE_MAIN = """
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("the render command tried to use the network")
socket.socket.connect = socket.socket.connect_ex = refuse
socket.getaddrinfo = refuse
from controller.main import main
sys.exit(main(sys.argv[1:]))
"""


def offline_environment(home: Path, cache: Path) -> dict[str, str]:
    """No AWS variables (so no credentials, profile or endpoint), an empty home, a cold render cache."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment.update({"HOME": str(home), "SMGITOPS_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)})
    return environment


@pytest.fixture(scope="module")
def offline_render(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    """`smgitops render desired_state --out DIR` in a process without credentials or network, cache cold."""
    root = tmp_path_factory.mktemp("render")
    (root / "home").mkdir()
    out, cache = root / "out", root / "cache"
    completed = subprocess.run(
        [sys.executable, "-c", OFFLINE_MAIN, "render", str(EXAMPLES), "--out", str(out)],
        capture_output=True,
        text=True,
        env=offline_environment(root / "home", cache),
        cwd=root,
        timeout=600,
        check=False,
    )
    return out, cache, completed


def test_render_works_without_credentials_or_network(offline_render) -> None:
    out, cache, completed = offline_render
    assert completed.returncode == 0, completed.stderr
    assert sorted(str(path.relative_to(out)) for path in out.rglob("*/*.json")) == ALL_FILES
    assert completed.stdout.splitlines()[0] == (
        f"{out}/dev/churn-batch-inference.json: batch-inference pipeline from dev/churn.yaml"
    )
    assert list(cache.rglob("*.json"))


def test_the_files_are_the_definitions_the_engine_applies(offline_render, monkeypatch: pytest.MonkeyPatch) -> None:
    out, cache, _ = offline_render
    monkeypatch.setenv("SMGITOPS_CACHE_DIR", str(cache))
    state = load(EXAMPLES).state
    for deployment in state.deployments:
        for pipeline in pipelines_for(state, deployment):
            written = json.loads((out / deployment.environment / f"{pipeline.name}.json").read_text())
            assert written == json.loads(pipeline.definition)
    manifest = json.loads((out / "manifest.json").read_text())
    prod_churn = next(entry for entry in manifest if entry["file"] == "prod/churn-batch-inference.json")
    assert prod_churn["source"] == "prod/churn.yaml"
    assert prod_churn["role"] == "arn:aws:iam::333333333333:role/sagemaker-pipelines"
    assert (
        prod_churn["parameters"]["ModelPackageArn"] == "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/7"
    )
    assert all(item["s3_uri"].startswith("s3://acme-prod-mlops/smgitops/code/") for item in prod_churn["artifacts"])


def test_rendering_again_writes_identical_bytes(
    offline_render, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, cache, _ = offline_render
    monkeypatch.setenv("SMGITOPS_CACHE_DIR", str(cache))
    assert main(["render", str(EXAMPLES), "--out", str(tmp_path / "again")]) == 0
    for path in out.rglob("*.json"):
        assert (tmp_path / "again" / path.relative_to(out)).read_bytes() == path.read_bytes(), path


def test_env_and_model_select_pipelines(offline_render, tmp_path: Path, monkeypatch, capsys) -> None:
    _, cache, _ = offline_render
    monkeypatch.setenv("SMGITOPS_CACHE_DIR", str(cache))
    assert main(["render", str(EXAMPLES), "--env", "prod", "--model", "churn", "--out", str(tmp_path)]) == 0
    assert sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*.json")) == [
        "manifest.json",
        "prod/churn-batch-inference.json",
    ]
    capsys.readouterr()
    assert main(["render", str(EXAMPLES), "--env", "staging", "--model", "ltv"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert list(printed) == ["staging/ltv-batch-inference"]
    assert printed["staging/ltv-batch-inference"]["Parameters"][0]["Name"] == "InputS3Uri"


def test_an_unknown_environment_is_one_line(capsys) -> None:
    assert main(["render", str(EXAMPLES), "--env", "qa"]) == 1
    assert capsys.readouterr().err == f"--env qa: no such environment in {EXAMPLES}/environments.yaml\n"


def test_an_invalid_desired_state_is_reported_not_rendered(tmp_path: Path, capsys) -> None:
    broken = tmp_path / "desired_state"
    shutil.copytree(EXAMPLES, broken)
    path = broken / "prod" / "churn.yaml"
    path.write_text(path.read_text().replace("approvedVersion: 7", "approvedVersion: seven"))
    assert main(["render", str(broken), "--out", str(tmp_path / "out")]) == 1
    problems = capsys.readouterr().err.splitlines()
    assert problems and all(line.startswith(f"{broken}/prod/churn.yaml:") for line in problems)
    assert not (tmp_path / "out").exists()
