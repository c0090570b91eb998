"""The processing scripts, run for real on small generated data: in-process through `main(argv)`, and as
processes where the exit status is the contract (model quality, baseline lookup against the emulator)."""

from __future__ import annotations

import csv
import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression

from controller.desired.model import Account
from controller.pipelines.metrics import report_path
from controller.pipelines.parameters import SCRIPTS_DIR

SCRIPT_NAMES = ("preprocess", "evaluate", "model_quality", "data_quality_gate", "resolve_baseline")


@pytest.fixture
def scripts(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, ModuleType]]:
    """The scripts imported as the container runs them: from their own directory, as top-level modules."""
    monkeypatch.syspath_prepend(str(SCRIPTS_DIR))
    loaded = {name: importlib.import_module(name) for name in SCRIPT_NAMES}
    yield loaded
    for name in SCRIPT_NAMES:
        sys.modules.pop(name, None)


def write_csv(path: Path, header: list[str], rows: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows.tolist())


def read_matrix(path: Path) -> np.ndarray:
    return np.loadtxt(path, delimiter=",", ndmin=2)


def run_script(name: str, *arguments: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPTS_DIR / f"{name}.py"), *map(str, arguments)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def regression_run(tmp_path: Path, scripts: dict[str, ModuleType]) -> Path:
    """Generated data → preprocess → a linear model's predictions of the test rows, as batch transform writes them."""
    features, target = make_regression(n_samples=200, n_features=4, noise=5.0, random_state=7)
    rows = np.column_stack([target, features])
    header = ["target", "tenure", "spend", "visits", "tickets"]
    write_csv(tmp_path / "raw" / "part-1.csv", header, rows[:120])
    write_csv(tmp_path / "raw" / "part-2.csv", header, rows[120:])
    assert scripts["preprocess"].main(["--input", str(tmp_path / "raw"), "--output", str(tmp_path / "out")]) == 0
    train = read_matrix(tmp_path / "out" / "train" / "train.csv")
    model = LinearRegression().fit(train[:, 1:], train[:, 0])
    test_features = read_matrix(tmp_path / "out" / "test_features" / "test.csv")
    predictions = tmp_path / "predictions" / "test.csv.out"
    predictions.parent.mkdir()
    np.savetxt(predictions, model.predict(test_features), fmt="%.6f")
    return tmp_path


def test_preprocess_splits_for_the_builtin_algorithm(regression_run: Path) -> None:
    out = regression_run / "out"
    train = read_matrix(out / "train" / "train.csv")
    validation = read_matrix(out / "validation" / "validation.csv")
    features = read_matrix(out / "test_features" / "test.csv")
    labels = read_matrix(out / "test_labels" / "test.csv")
    baseline = read_matrix(out / "baseline" / "baseline.csv")
    assert (len(train), len(validation), len(features), len(labels)) == (140, 30, 30, 30)
    assert train.shape[1] == 5 and features.shape[1] == 4 and labels.shape[1] == 1
    assert np.array_equal(baseline, train[:, 1:])
    source = np.vstack([read_matrix_with_header(path) for path in sorted((regression_run / "raw").glob("*.csv"))])
    together = np.vstack([train, validation, np.column_stack([labels, features])])
    assert sorted(map(tuple, np.round(together, 6))) == sorted(map(tuple, np.round(source, 6)))


def read_matrix_with_header(path: Path) -> np.ndarray:
    return np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)


def test_preprocess_is_repeatable(regression_run: Path, scripts: dict[str, ModuleType]) -> None:
    again = regression_run / "again"
    assert scripts["preprocess"].main(["--input", str(regression_run / "raw"), "--output", str(again)]) == 0
    for name in ("train/train.csv", "test_features/test.csv", "baseline/baseline.csv"):
        assert (again / name).read_bytes() == (regression_run / "out" / name).read_bytes()


def test_preprocess_rejects_text_features(tmp_path: Path, scripts, capsys) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "data.csv").write_text("target,plan\n1.0,gold\n2.0,silver\n3.0,gold\n4.0,basic\n")
    assert scripts["preprocess"].main(["--input", str(tmp_path / "raw"), "--output", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == "preprocess: column 'plan' is not numeric; the built-in algorithm needs numbers\n"


def test_evaluate_writes_the_report_the_condition_reads(regression_run: Path, scripts) -> None:
    report_file = regression_run / "evaluation" / "evaluation.json"
    arguments = ["--predictions", regression_run / "predictions", "--labels", regression_run / "out" / "test_labels"]
    status = scripts["evaluate"].main(
        [*map(str, arguments), "--problem-type", "regression", "--report", str(report_file)]
    )
    assert status == 0
    report = json.loads(report_file.read_text())
    value = report
    for key in report_path("mse").split("."):  # the JsonGet path of CheckRegisterThreshold
        value = value[key]
    labels = read_matrix(regression_run / "out" / "test_labels" / "test.csv")[:, 0]
    predictions = np.loadtxt(regression_run / "predictions" / "test.csv.out")
    assert value == pytest.approx(float(np.mean((predictions - labels) ** 2)), rel=1e-9)
    assert set(report["regression_metrics"]) == {"mse", "rmse", "mae", "r2"}
    assert report["record_count"] == 30
    assert 0 < value < 100  # noise 5.0 on a linear target: a good fit


def model_quality(run: Path, *bounds: str, exit_message: Path | None = None) -> subprocess.CompletedProcess:
    extra = ["--exit-message", exit_message] if exit_message else []
    return run_script(
        "model_quality",
        "--predictions",
        run / "predictions",
        "--ground-truth",
        run / "out" / "test_labels",
        "--metric",
        "mse",
        *bounds,
        "--report",
        run / "quality" / "model_quality.json",
        *extra,
    )


def test_model_quality_passes_within_the_threshold(regression_run: Path) -> None:
    completed = model_quality(regression_run, "--max", "1000")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("model quality: mse ")
    assert "is within its threshold (30 records)" in completed.stdout
    report = json.loads((regression_run / "quality" / "model_quality.json").read_text())
    value = report["regression_metrics"]["mse"]["value"]
    assert report["threshold"] == {"metric": "mse", "value": value, "max": 1000.0, "min": None, "passed": True}


def test_model_quality_fails_and_says_why_when_the_threshold_is_broken(regression_run: Path) -> None:
    exit_message = regression_run / "opt-ml-output" / "message"
    completed = model_quality(regression_run, "--max", "0.5", exit_message=exit_message)
    assert completed.returncode == 1
    mse = json.loads((regression_run / "quality" / "model_quality.json").read_text())["regression_metrics"]["mse"]
    reason = f"model quality: mse {mse['value']:.6g} is above the maximum 0.5 (30 records)"
    assert completed.stderr == reason + "\n"
    assert exit_message.read_text() == reason + "\n"
    report = json.loads((regression_run / "quality" / "model_quality.json").read_text())
    assert report["threshold"] == {"metric": "mse", "value": mse["value"], "max": 0.5, "min": None, "passed": False}


def test_model_quality_needs_ground_truth_for_the_predictions(regression_run: Path) -> None:
    (regression_run / "predictions" / "test.csv.out").rename(regression_run / "predictions" / "other.csv.out")
    completed = model_quality(regression_run, "--max", "1000")
    assert completed.returncode == 2
    assert completed.stderr.startswith("model quality: no ground truth to compare with: none of the 1 prediction")


def test_model_quality_rejects_predictions_and_labels_of_different_lengths(regression_run: Path) -> None:
    predictions = regression_run / "predictions" / "test.csv.out"
    predictions.write_text("\n".join(predictions.read_text().splitlines()[:-1]) + "\n")
    completed = model_quality(regression_run, "--max", "1000")
    assert completed.returncode == 2
    assert "has 29 predictions but" in completed.stderr and "has 30 labels" in completed.stderr


def test_model_quality_checks_a_minimum_for_classification(tmp_path: Path) -> None:
    features, labels = make_classification(n_samples=300, n_features=5, random_state=3)
    model = LogisticRegression().fit(features[:200], labels[:200])
    (tmp_path / "predictions").mkdir()
    (tmp_path / "truth").mkdir()
    np.savetxt(tmp_path / "predictions" / "batch.csv.out", model.predict_proba(features[200:])[:, 1], fmt="%.6f")
    np.savetxt(tmp_path / "truth" / "batch.csv", labels[200:], fmt="%d")
    common = ["--predictions", tmp_path / "predictions", "--ground-truth", tmp_path / "truth", "--metric", "auc"]
    report = ["--report", tmp_path / "report.json"]
    assert run_script("model_quality", *common, "--min", "0.6", *report).returncode == 0
    broken = run_script("model_quality", *common, "--min", "0.9999", *report)
    assert broken.returncode == 1
    assert "is below the minimum 0.9999 (100 records)" in broken.stderr


def test_data_quality_gate_counts_violations(tmp_path: Path, scripts) -> None:
    violations = [
        {"feature_name": "_c1", "constraint_check_type": "data_type_check", "description": "..."},
        {"feature_name": "_c3", "constraint_check_type": "completeness_check", "description": "..."},
    ]
    (tmp_path / "check").mkdir()
    (tmp_path / "check" / "constraint_violations.json").write_text(json.dumps({"violations": violations}))
    output = tmp_path / "verdict" / "data_quality.json"
    assert scripts["data_quality_gate"].main(["--check-output", str(tmp_path / "check"), "--output", str(output)]) == 0
    assert json.loads(output.read_text()) == {
        "violations": 2,
        "summary": "2 violations: _c1 data_type_check; _c3 completeness_check",
        "details": ["_c1 data_type_check", "_c3 completeness_check"],
    }


def test_data_quality_gate_records_the_limit_and_its_verdict(tmp_path: Path, scripts) -> None:
    violations = [{"feature_name": "_c1", "constraint_check_type": "data_type_check"}]
    (tmp_path / "check").mkdir()
    (tmp_path / "check" / "constraint_violations.json").write_text(json.dumps({"violations": violations}))
    output = tmp_path / "data_quality.json"
    arguments = ["--check-output", str(tmp_path / "check"), "--output", str(output), "--max-violations", "0"]
    assert scripts["data_quality_gate"].main(arguments) == 0
    written = json.loads(output.read_text())
    assert (written["violations"], written["maxViolations"], written["passed"]) == (1, 0, False)


def test_data_quality_gate_fails_without_a_report(tmp_path: Path, scripts, capsys) -> None:
    (tmp_path / "check").mkdir()
    output = tmp_path / "verdict.json"
    assert scripts["data_quality_gate"].main(["--check-output", str(tmp_path / "check"), "--output", str(output)]) == 1
    assert "no constraint_violations.json under" in capsys.readouterr().err
    assert not output.exists()


@pytest.mark.aws
def test_resolve_baseline_reads_the_baseline_registered_with_the_version(tmp_path: Path, aws, emulator) -> None:
    from controller.aws.emulator import FAKE_ACCESS_KEY, FAKE_SECRET_KEY, seed_registry

    registry = Account("123456789012", "us-east-1", "arn:aws:iam::123456789012:role/registry")
    first, second = seed_registry(aws, registry, group="churn", versions=2, bucket="registry-artifacts")
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith("AWS_")},
        "AWS_ENDPOINT_URL": emulator.url,
        "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY,
    }
    output = tmp_path / "baseline.json"
    completed = run_script("resolve_baseline", "--model-package-arn", second, "--output", output, env=environment)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(output.read_text()) == {
        "model_package_arn": second,
        "statistics": "s3://registry-artifacts/churn/2/baseline/statistics.json",
        "constraints": "s3://registry-artifacts/churn/2/baseline/constraints.json",
        "source": "DriftCheckBaselines.ModelDataQuality",
    }
    assert first != second


@pytest.mark.aws
def test_resolve_baseline_fails_for_a_version_without_a_baseline(tmp_path: Path, aws, emulator) -> None:
    from controller.aws.emulator import EMULATOR_IMAGE, FAKE_ACCESS_KEY, FAKE_SECRET_KEY

    registry = Account("123456789012", "us-east-1", "arn:aws:iam::123456789012:role/registry")
    sagemaker = aws.client("sagemaker", registry)
    sagemaker.create_model_package_group(ModelPackageGroupName="bare")
    arn = sagemaker.create_model_package(
        ModelPackageGroupName="bare",
        InferenceSpecification={
            "Containers": [{"Image": EMULATOR_IMAGE, "ModelDataUrl": "s3://registry-artifacts/bare/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith("AWS_")},
        "AWS_ENDPOINT_URL": emulator.url,
        "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY,
    }
    exit_message = tmp_path / "message"
    completed = run_script(
        "resolve_baseline",
        "--model-package-arn",
        arn,
        "--output",
        tmp_path / "b.json",
        "--exit-message",
        exit_message,
        env=environment,
    )
    assert completed.returncode == 1
    reason = (
        f"resolve baseline: {arn} has no data quality baseline: register it with "
        "DriftCheckBaselines.ModelDataQuality (statistics and constraints)\n"
    )
    assert completed.stderr == reason
    assert exit_message.read_text() == reason
    assert not (tmp_path / "b.json").exists()
