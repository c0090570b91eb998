"""Benchmark: a no-change plan by smgitops and by Terraform, managing the same objects on the same emulator.

    .venv/bin/python bench/plan_vs_terraform.py --models 20 --repeat 3

Writes a desired state of N models × 3 environments (3 accounts), starts the emulator in a child process that
counts every HTTP request it answers, then measures each tool in turn on a freshly reset and seeded emulator:
smgitops (`smgitops apply`, then timed no-change plans in-process and one `smgitops plan` subprocess) and
Terraform (the same objects as `main.tf.json`, `terraform apply`, then timed `terraform plan
-detailed-exitcode`). Checks that both left the same objects (exit 1 if not), prints a Markdown table and
writes every number to `bench/results/<date>-models<N>.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

import inventory
import report
import smgitops_side
import terraform_side
from counting_emulator import EmulatorProcess
from fleet import write_fleet
from terraform_config import resource_count, terraform_config

from controller.kinds import approval

RESULTS = Path(__file__).resolve().parent / "results"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, required=True, help="models per environment (3 environments)")
    parser.add_argument("--repeat", type=int, default=3, help="timed plans per variant (median reported)")
    parser.add_argument("--parallelism", type=int, nargs="+", default=[10, 1], help="terraform -parallelism values")
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory for the JSON results")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="smgitops-bench-") as scratch, EmulatorProcess() as server:
        root = write_fleet(Path(scratch) / "desired_state", models=args.models)
        state = smgitops_side.load_state(root)
        results = header(args, state)
        _say(f"emulator at {server.url}; smgitops first")
        results["load_average"] = {"start": os.getloadavg()}
        smgitops_inventory = run_smgitops(server, root, state, args, results)
        results["load_average"]["after_smgitops"] = os.getloadavg()
        _say("Terraform next, on the reset emulator")
        server.reset()
        terraform_inventory = run_terraform(server, root, state, args, results, Path(scratch) / "terraform")
        results["load_average"]["after_terraform"] = os.getloadavg()
    results["objects"]["aws"] = inventory.counts(smgitops_inventory)
    results["objects"]["differences"] = inventory.differences(smgitops_inventory, terraform_inventory)
    results["ratios"] = report.ratios(results)
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    output = args.out / f"{date.today().isoformat()}-models{args.models}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(report.table(results))
    same = not results["objects"]["differences"]
    print(f"\nsame objects: {same}; results in {output}")
    return 0 if same else 1


def header(args: argparse.Namespace, state) -> dict[str, Any]:
    return {
        "date": date.today().isoformat(),
        "command": f".venv/bin/python bench/plan_vs_terraform.py --models {args.models} --repeat {args.repeat}",
        "models": args.models,
        "environments": sorted(state.environments),
        "accounts": sorted({environment.account for environment in state.environments.values()}),
        "repeat": args.repeat,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            **{name: metadata.version(name) for name in ("moto", "boto3", "botocore")},
        },
        "compared_kinds": list(smgitops_side.COMPARED),
        "left_out": {"approval": "Terraform has no resource for a model package version's approval status"},
        "objects": {"smgitops_approvals": len(approval.desired(state))},
    }


def run_smgitops(server: EmulatorProcess, root: Path, state, args: argparse.Namespace, results: dict) -> dict:
    smgitops_side.seed(server.url, root)
    apply_seconds = smgitops_side.apply_cli(server.url, root)
    _say(f"smgitops apply: {apply_seconds:.1f} s")
    found = _inventory(server.url, state)
    variants = {
        "in_process_fresh_clients_rate_limited": {"rate": smgitops_side.SHIPPED_RATE, "fresh_clients": True},
        "in_process_fresh_clients": {"rate": None, "fresh_clients": True},
        "in_process_reused_clients": {"rate": None, "fresh_clients": False},
        "in_process_reused_clients_one_worker": {"rate": None, "fresh_clients": False, "workers": 1},
    }
    plans = {}
    for name, options in variants.items():
        plans[name] = smgitops_side.timed_plans(server, root, repeat=args.repeat, **options)
        _say(f"smgitops {name}: {plans[name]['median_seconds']} s, {plans[name]['requests']} requests")
    cli = smgitops_side.cli_plan(server, root)
    _say(f"smgitops plan (CLI): {cli['seconds']} s, {cli['requests']} requests")
    results["smgitops"] = {"apply_seconds": round(apply_seconds, 1), "plans": plans, "cli_plan": cli}
    results["objects"]["smgitops_resources"] = plans["in_process_reused_clients"]["resources"]
    return found


def run_terraform(
    server: EmulatorProcess, root: Path, state, args: argparse.Namespace, results: dict, workdir: Path
) -> dict:
    smgitops_side.seed(server.url, root)
    config = terraform_config(state, server.url)
    init_seconds = terraform_side.prepare(workdir, config)
    apply_seconds = terraform_side.apply(workdir)
    _say(f"terraform apply: {apply_seconds:.1f} s")
    found = _inventory(server.url, state)
    plans = {}
    for parallelism in args.parallelism:
        run = terraform_side.timed_plans(server, workdir, repeat=args.repeat, parallelism=parallelism)
        plans[f"parallelism_{parallelism}"] = run
        _say(f"terraform plan -parallelism={parallelism}: {run['median_seconds']} s, {run['requests']} requests")
    plans["no_refresh"] = terraform_side.timed_plans(server, workdir, repeat=args.repeat, refresh=False)
    results["terraform"] = {
        "versions": terraform_side.versions(workdir),
        "init_seconds": round(init_seconds, 1),
        "apply_seconds": round(apply_seconds, 1),
        "config_bytes": (workdir / "main.tf.json").stat().st_size,
        "plans": plans,
    }
    results["objects"]["terraform_resources"] = terraform_side.state_count(workdir)
    results["objects"]["terraform_by_type"] = resource_count(config)
    return found


def _inventory(url: str, state) -> dict:
    with smgitops_side.new_clients(url, rate=None) as clients:
        return inventory.inventory(clients, state)


def _say(message: str) -> None:
    print(f"-- {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
