"""`smgitops status` as a user runs it: the fleet table, JSON that follows its schema, reads it made."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from fleet_runs import NOW, deployment

from controller.commands.demo_runs import record_run

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "desired_state")


def test_the_fleet_table_shows_versions_sync_runs_verdicts_and_next_runs(cli, aws, running_fleet):
    record_run(aws, running_fleet, deployment(running_fleet, "prod", "churn"), started=NOW, metric_value=12.5)
    result = cli("status", "--revision", "rev1", EXAMPLE)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("smgitops status at revision rev1 (")
    header = lines[2].split()
    assert header[:4] == ["ENVIRONMENT", "MODEL", "VERSION", "SYNC"]
    rows = {tuple(line.split()[:2]): line for line in lines[3:8]}
    assert set(rows) == {("dev", "churn"), ("staging", "churn"), ("staging", "ltv"), ("prod", "churn"), ("prod", "ltv")}
    prod = rows[("prod", "churn")].split()
    assert prod[2:5] == ["7", "synced", "Failed"]
    assert "0/0 ok" in rows[("prod", "churn")] and "mse 12.5 <=10 FAILED" in rows[("prod", "churn")]
    assert rows[("prod", "churn")].endswith("04:00 Europe/Berlin")
    assert "mse 7 <=12 ok" in rows[("dev", "churn")] and "0/2 ok" in rows[("dev", "churn")]


def test_json_follows_the_published_schema_and_stats_count_reads(cli, running_fleet):
    result = cli("status", "--format", "json", "--runs", "2", "--stats", "--env", "prod", EXAMPLE)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    schema = json.loads((ROOT / "schemas" / "status.schema.json").read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    assert [item["model"] for item in document["deployments"]] == ["churn", "ltv"]
    assert document["summary"]["synced"] == 2
    runs = document["deployments"][0]["batch_inference"]["runs"]
    assert len(runs) == 2 and runs[0]["model_quality"]["value"] == 7.0
    assert "AWS calls: " in result.stderr and "0 writes" in result.stderr
    assert "  per deployment: " in result.stderr


def test_an_unknown_model_is_one_line(cli, running_fleet):
    result = cli("status", "--model", "fraud", EXAMPLE)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"--model fraud: no deployment file in {EXAMPLE} declares this model\n"
