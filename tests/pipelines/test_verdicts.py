"""The verdict files the processing scripts write are the ones `smgitops status` reads: one shape, one module."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from controller.pipelines.parameters import SCRIPTS_DIR
from controller.pipelines.scripts import verdicts


def script(name: str, *arguments: object) -> subprocess.CompletedProcess:
    """Run a processing script as the container does: `python3 <script>.py` from its own directory."""
    command = [sys.executable, str(SCRIPTS_DIR / f"{name}.py"), *map(str, arguments)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_the_data_quality_gate_writes_what_status_reads(tmp_path: Path) -> None:
    (tmp_path / "check").mkdir()
    found = [{"feature_name": f"_c{index}", "constraint_check_type": "data_type_check"} for index in range(3)]
    (tmp_path / "check" / "constraint_violations.json").write_text(json.dumps({"violations": found}))
    written = tmp_path / verdicts.DATA_QUALITY_FILE
    completed = script("data_quality_gate", "--check-output", tmp_path / "check", "--output", written,
                       "--max-violations", 2)
    assert completed.returncode == 0, completed.stderr
    verdict = verdicts.read_data_quality(json.loads(written.read_text()))
    assert (verdict.violations, verdict.max_violations, verdict.passed) == (3, 2, False)
    assert verdict.summary.startswith("3 violations: _c0 data_type_check")


def test_the_model_quality_step_writes_what_status_reads(tmp_path: Path) -> None:
    (tmp_path / "predictions").mkdir()
    (tmp_path / "truth").mkdir()
    (tmp_path / "predictions" / "batch.csv.out").write_text("1\n2\n3\n4\n")
    (tmp_path / "truth" / "batch.csv").write_text("1\n2\n3\n8\n")  # mse 4
    report = tmp_path / verdicts.MODEL_QUALITY_FILE
    completed = script("model_quality", "--predictions", tmp_path / "predictions", "--ground-truth",
                       tmp_path / "truth", "--metric", "mse", "--max", 3, "--report", report)
    assert completed.returncode == 1
    verdict = verdicts.read_model_quality(json.loads(report.read_text()))
    assert (verdict.metric, verdict.value, verdict.max, verdict.min, verdict.passed) == ("mse", 4.0, 3.0, None, False)


def test_a_verdict_without_its_limit_takes_the_declared_one() -> None:
    older = {"violations": 1, "summary": "1 violation: _c1 data_type_check", "details": ["_c1 data_type_check"]}
    assert verdicts.read_data_quality(older, declared_max=1).passed is True
    assert verdicts.read_data_quality(older).passed is None


@pytest.mark.parametrize("document", [{}, {"violations": "2"}, [], None])
def test_a_file_of_another_shape_is_a_clear_error(document) -> None:
    with pytest.raises(ValueError, match="not a data quality verdict"):
        verdicts.read_data_quality(document)
    with pytest.raises(ValueError, match="not a model quality report"):
        verdicts.read_model_quality(document)
