"""The benchmark's Markdown table and ratios, from the results `plan_vs_terraform.py` collected.

`table(results)` is printed after a run; `paired_ratios(samples)` compares the two tools round by round
(Terraform's run over smgitops's run of the same round, which saw the same load on the machine).
"""

from __future__ import annotations

import statistics
from typing import Any

ROWS = (
    ("smgitops", "`smgitops plan` (defaults)"),
    ("smgitops_cold_render_cache", "`smgitops plan`, empty render cache (new CI job or ECS task), once"),
    ("terraform", "`terraform plan` (defaults: refresh, `-parallelism=10`)"),
)


def paired_ratios(samples: dict[str, list]) -> dict[str, Any]:
    """Per round, Terraform's wall and CPU time over smgitops's; their medians."""
    pairs = list(zip(samples.get("terraform", []), samples["smgitops"], strict=False))
    if not pairs:
        return {}
    wall = [theirs.seconds / ours.seconds for theirs, ours in pairs]
    cpu = [theirs.cpu_seconds / ours.cpu_seconds for theirs, ours in pairs]
    return {
        "wall": [round(value, 1) for value in wall],
        "median_wall": round(statistics.median(wall), 1),
        "cpu": [round(value, 1) for value in cpu],
        "median_cpu": round(statistics.median(cpu), 1),
    }


def table(results: dict[str, Any]) -> str:
    objects = results["objects"]
    lines = [
        f"{results['models']} models × 3 environments ({results['deployments']} deployment files, "
        f"{objects['aws']['total']} AWS objects + {objects['smgitops_approvals']} registry approvals), "
        f"{results['latency_ms']:g} ms per request, {results['repeat']} rounds, load average "
        f"{_load(results['load_average']['before_plans'])} → {_load(results['load_average']['end'])}:",
        "",
        "| no-change plan | wall s, median (runs) | CPU s, median | peak MiB | API requests |",
        "|---|---|---:|---:|---:|",
    ]
    for key, label in ROWS:
        run = results["plans"].get(key)
        if run is not None:
            runs = ", ".join(f"{value:.1f}" for value in run["seconds"])
            lines.append(
                f"| {label} | {run['median_seconds']:.2f} ({runs}) | {run['median_cpu_seconds']:.2f} | "
                f"{run['median_peak_mib']:.0f} | {run['requests']} |"
            )
    ratios = results.get("paired_ratios")
    if ratios:
        lines += [
            "",
            f"Terraform / smgitops, round by round: **{ratios['median_wall']}× the wall time** "
            f"({', '.join(map(str, ratios['wall']))}), {ratios['median_cpu']}× the CPU time.",
        ]
    return "\n".join(lines)


def _load(values: list[float]) -> str:
    return "/".join(f"{value:.1f}" for value in values)
