"""Benchmark: a no-change plan by smgitops and by Terraform, managing the same objects, as users run them.

    .venv/bin/python bench/plan_vs_terraform.py --models 50 --latency-ms 50 --repeat 5

Writes a desired state of N models × 3 environments (3 accounts) and starts two identical emulators, each in
its own process counting every request it answers: one for smgitops's objects, one for Terraform's (the same
objects as `main.tf.json`). Both tools apply once; the inventories of the two emulators must match (exit 1 if
not). Then, with every emulator request delayed by `--latency-ms` (as on AWS), it times one `smgitops plan` on
an empty render cache (the first plan of a new CI job or ECS task) and `--repeat` rounds of `smgitops plan`
and `terraform plan`, run by run in turn, both with their defaults. Prints a Markdown table (medians and every
run) and writes every number, with the machine's load average, to `bench/results/<date>-models<N>-<ms>ms.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from contextlib import ExitStack
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
from measure import series
from terraform_config import resource_count, terraform_config

from controller.kinds import approval

RESULTS = Path(__file__).resolve().parent / "results"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, required=True, help="models per environment (3 environments)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of one plan by each tool (medians reported)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay of every emulator request while timing")
    parser.add_argument("--no-terraform", action="store_true", help="smgitops only (when Terraform takes too long)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory for the JSON results")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="smgitops-bench-") as scratch_name, ExitStack() as stack:
        scratch = Path(scratch_name)
        ours = stack.enter_context(EmulatorProcess())
        theirs = None if args.no_terraform else stack.enter_context(EmulatorProcess())
        root = write_fleet(scratch / "desired_state", models=args.models)
        state = smgitops_side.load_state(root)
        results = header(args, state)
        results["load_average"] = {"start": os.getloadavg()}
        warm_cache = scratch / "render-cache"
        set_up_smgitops(ours, root, warm_cache, results)
        found = _inventory(ours, state)
        results["objects"]["aws"] = inventory.counts(found)
        if theirs is not None:
            set_up_terraform(theirs, state, root, scratch / "terraform", results)
            results["objects"]["differences"] = inventory.differences(found, _inventory(theirs, state))
        for server in (ours, theirs):
            if server is not None:
                server.set_latency(args.latency_ms / 1000)
        results["load_average"]["before_plans"] = os.getloadavg()
        _say("smgitops plan on an empty render cache")
        cold = smgitops_side.cli_plan(ours, root, scratch / "empty-render-cache")
        samples: dict[str, list] = {"smgitops": [], "terraform": []}
        for round_number in range(1, args.repeat + 1):
            samples["smgitops"].append(smgitops_side.cli_plan(ours, root, warm_cache))
            if theirs is not None:
                samples["terraform"].append(terraform_side.plan(theirs, scratch / "terraform"))
            _say(f"round {round_number}: " + ", ".join(f"{tool} {runs[-1].seconds:.2f} s" for tool, runs in
                                                        samples.items() if runs))
        results["load_average"]["end"] = os.getloadavg()
    results["plans"] = {
        "smgitops": series(samples["smgitops"]),
        "smgitops_cold_render_cache": series([cold]),
        **({"terraform": series(samples["terraform"])} if samples["terraform"] else {}),
    }
    results["paired_ratios"] = report.paired_ratios(samples)
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    output = args.out / f"{date.today().isoformat()}-models{args.models}-{args.latency_ms:g}ms.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(report.table(results))
    same = not results["objects"].get("differences")
    print(f"\nsame objects: {same if theirs is not None else 'not compared'}; results in {output}")
    return 0 if same else 1


def header(args: argparse.Namespace, state) -> dict[str, Any]:
    command = f".venv/bin/python bench/plan_vs_terraform.py --models {args.models} --repeat {args.repeat}"
    command += f" --latency-ms {args.latency_ms:g}" + (" --no-terraform" if args.no_terraform else "")
    return {
        "date": date.today().isoformat(),
        "command": command,
        "models": args.models,
        "deployments": len(state.deployments),
        "latency_ms": args.latency_ms,
        "environments": sorted(state.environments),
        "accounts": sorted({environment.account for environment in state.environments.values()}),
        "repeat": args.repeat,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            **{name: metadata.version(name) for name in ("moto", "boto3", "botocore")},
        },
        "left_out": {"approval": "Terraform has no resource for a model package version's approval status"},
        "objects": {"smgitops_approvals": len(approval.desired(state))},
    }


def set_up_smgitops(server: EmulatorProcess, root: Path, cache_dir: Path, results: dict) -> None:
    smgitops_side.seed(server.url, root)
    applied = smgitops_side.apply_cli(server, root, cache_dir)
    _say(f"smgitops apply: {applied.seconds:.1f} s (renders every template shape on an empty cache)")
    results["smgitops"] = {"apply_seconds": round(applied.seconds, 1), "apply_requests": sum(applied.requests.values())}


def set_up_terraform(server: EmulatorProcess, state, root: Path, workdir: Path, results: dict) -> None:
    smgitops_side.seed(server.url, root)
    config = terraform_config(state, server.url)
    init_seconds = terraform_side.prepare(workdir, config)
    apply_seconds = terraform_side.apply(workdir)
    _say(f"terraform apply: {apply_seconds:.1f} s")
    results["terraform"] = {
        "versions": terraform_side.versions(workdir),
        "init_seconds": round(init_seconds, 1),
        "apply_seconds": round(apply_seconds, 1),
        "config_bytes": (workdir / "main.tf.json").stat().st_size,
    }
    results["objects"]["terraform_resources"] = terraform_side.state_count(workdir)
    results["objects"]["terraform_by_type"] = resource_count(config)


def _inventory(server: EmulatorProcess, state) -> dict:
    with smgitops_side.new_clients(server.url) as clients:
        return inventory.inventory(clients, state)


def _say(message: str) -> None:
    print(f"-- {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
