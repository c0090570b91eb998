"""One Markdown table from several result files of `plan_vs_terraform.py`, one row per file and tool.

    .venv/bin/python bench/summary.py bench/results/*-models*.json

This is the table in `docs/performance.md`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from report import ROWS


def summary(results: list[dict[str, Any]]) -> str:
    lines = [
        "| models (deployments) | latency | no-change plan | wall s, median (runs) | CPU s | peak MiB | requests "
        "| Terraform / smgitops, wall |",
        "|---|---:|---|---|---:|---:|---:|---:|",
    ]
    for item in sorted(results, key=lambda found: (found["latency_ms"], found["models"])):
        ratio = item.get("paired_ratios", {}).get("median_wall")
        for key, label in ROWS:
            run = item["plans"].get(key)
            if run is None:
                continue
            runs = ", ".join(f"{value:.1f}" for value in run["seconds"])
            shown_ratio = f"**{ratio}×**" if key == "smgitops" and ratio else ""
            lines.append(
                f"| {item['models']} ({item['deployments']}) | {item['latency_ms']:g} ms | {label} | "
                f"{run['median_seconds']:.2f} ({runs}) | {run['median_cpu_seconds']:.2f} | "
                f"{run['median_peak_mib']:.0f} | {run['requests']} | {shown_ratio} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary([json.loads(Path(path).read_text()) for path in sys.argv[1:]]))
