"""The benchmark's table and ratios, from the results `plan_vs_terraform.py` collected.

`table(results)` returns Markdown (printed, and pasted into docs/performance.md);
`ratios(results)` compares Terraform's default plan with smgitops as shipped.
"""

from __future__ import annotations

from typing import Any

SMGITOPS_ROWS = (
    (
        "in_process_fresh_clients_rate_limited",
        "smgitops, in-process, as `smgitops plan` runs (fresh clients, 20 calls/s/account)",
    ),
    ("in_process_fresh_clients", "smgitops, in-process, fresh clients, no rate limit"),
    ("in_process_reused_clients", "smgitops, in-process, clients reused (as the service), no rate limit"),
    ("in_process_reused_clients_one_worker", "the same, one read at a time (`max_workers=1`)"),
)
HEADLINE = ("in_process_fresh_clients_rate_limited", "parallelism_10")


def ratios(results: dict[str, Any]) -> dict[str, float]:
    smgitops = results["smgitops"]["plans"][HEADLINE[0]]
    terraform = results["terraform"]["plans"][HEADLINE[1]]
    cli = results["smgitops"]["cli_plan"]
    return {
        "seconds_terraform_over_smgitops": _ratio(terraform["median_seconds"], smgitops["median_seconds"]),
        "requests_terraform_over_smgitops": _ratio(terraform["requests"], smgitops["requests"]),
        "seconds_terraform_over_smgitops_cli": _ratio(terraform["median_seconds"], cli["seconds"]),
        "requests_terraform_over_smgitops_cli": _ratio(terraform["requests"], cli["requests"]),
    }


def table(results: dict[str, Any]) -> str:
    repeat = results["repeat"]
    objects = results["objects"]
    aws_objects = objects["aws"]["total"]
    lines = [
        f"| {results['models']} models × 3 environments | AWS objects (tool's resources) | seconds per no-change "
        f"plan (median of {repeat}) | tool CPU s | emulator CPU s | API requests per plan (of which STS) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    managed = f"{aws_objects} ({objects['smgitops_resources']})"
    for key, label in SMGITOPS_ROWS:
        lines.append(_row(label, managed, results["smgitops"]["plans"][key]))
    cli = results["smgitops"]["cli_plan"]
    with_approvals = f"{aws_objects} + {objects['smgitops_approvals']} approvals"
    cli_label = "`smgitops plan` CLI subprocess, once (every kind, approvals too)"
    once = {f"median_{key}": cli[key] for key in ("seconds", "cpu_seconds", "emulator_cpu_seconds")}
    lines.append(_row(cli_label, with_approvals, {**cli, **once}))
    for run in results["terraform"]["plans"].values():
        label = f"`terraform plan -refresh={'true' if run['refresh'] else 'false'} -parallelism={run['parallelism']}`"
        if not run["refresh"]:
            label += " (fixed cost: no reads)"
        lines.append(_row(label, f"{aws_objects} ({objects['terraform_resources']})", run))
    found = ratios(results)
    lines.append("")
    lines.append(
        f"Terraform (`-parallelism=10`) / smgitops (as `smgitops plan` runs): "
        f"**{found['seconds_terraform_over_smgitops']}× the time, "
        f"{found['requests_terraform_over_smgitops']}× the API requests**; against the `smgitops plan` "
        f"subprocess: {found['seconds_terraform_over_smgitops_cli']}× the time, "
        f"{found['requests_terraform_over_smgitops_cli']}× the requests."
    )
    return "\n".join(lines)


def _row(label: str, objects: str, run: dict[str, Any]) -> str:
    sts = run["requests"] - run["requests_without_sts"]
    times = " | ".join(f"{run[f'median_{key}']:.2f}" for key in ("seconds", "cpu_seconds", "emulator_cpu_seconds"))
    return f"| {label} | {objects} | {times} | {run['requests']} ({sts}) |"


def _ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 1) if denominator else float("inf")
