"""One Markdown table from several result files of `plan_vs_terraform.py`, one column group per fleet size.

    .venv/bin/python bench/summary.py bench/results/2026-11-26-models5.json bench/results/2026-11-26-models20.json

This is the table in docs/performance.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SHIPPED = "in_process_fresh_clients_rate_limited"
ROWS = (
    ("smgitops", SHIPPED, "smgitops, as `smgitops plan` runs: fresh clients, 20 calls/s/account"),
    ("smgitops", "in_process_fresh_clients", "smgitops, fresh clients, no rate limit"),
    ("smgitops", "in_process_reused_clients", "smgitops, clients reused as in the service, no rate limit"),
    ("smgitops", "in_process_reused_clients_one_worker", "the same, one account and kind at a time"),
    ("smgitops", "cli_plan", "`smgitops plan` subprocess, once (approvals read too)"),
    ("terraform", "parallelism_10", "`terraform plan` (`-parallelism=10`, the default)"),
    ("terraform", "parallelism_1", "`terraform plan -parallelism=1`"),
    ("terraform", "no_refresh", "`terraform plan -refresh=false`: fixed cost, no reads"),
)


def summary(results: list[dict[str, Any]]) -> str:
    sizes = " | ".join(f"{item['models']} models: s | CPU s | requests" for item in results)
    lines = [
        f"| no-change plan, median of {results[0]['repeat']} | {sizes} |",
        "|---" + "|---:" * 3 * len(results) + "|",
    ]
    for tool, key, label in ROWS:
        lines.append(_row(label, [_cells(item, tool, key) for item in results]))
    for label, key in (("smgitops as `smgitops plan` runs", SHIPPED), ("`smgitops plan` subprocess", "cli_plan")):
        lines.append(_row(f"Terraform (default) / {label}", [_ratios(item, key) for item in results]))
    return "\n".join(lines)


def _measured(results: dict[str, Any], tool: str, key: str) -> tuple[float, float, int]:
    """(seconds, CPU seconds, requests): medians, or the single CLI run."""
    if key == "cli_plan":
        run = results[tool]["cli_plan"]
        return run["seconds"], run["cpu_seconds"], run["requests"]
    run = results[tool]["plans"][key]
    return run["median_seconds"], run["median_cpu_seconds"], run["requests"]


def _cells(results: dict[str, Any], tool: str, key: str) -> list[Any]:
    seconds, cpu_seconds, requests = _measured(results, tool, key)
    return [f"{seconds:.2f}", f"{cpu_seconds:.2f}", requests]


def _ratios(results: dict[str, Any], smgitops_key: str) -> list[str]:
    smgitops = _measured(results, "smgitops", smgitops_key)
    terraform = _measured(results, "terraform", "parallelism_10")
    return [f"{theirs / ours:.1f}×" for theirs, ours in zip(terraform, smgitops, strict=True)]


def _row(label: str, groups: list[list[Any]]) -> str:
    return f"| {label} | " + " | ".join(str(cell) for group in groups for cell in group) + " |"


if __name__ == "__main__":
    print(summary([json.loads(Path(path).read_text()) for path in sys.argv[1:]]))
