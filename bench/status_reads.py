"""Benchmark: the AWS reads `smgitops status` makes per deployment, on a fleet of N models × 3 environments.

    .venv/bin/python bench/status_reads.py --models 67 --runs 3

Writes the fleet of `fleet.py`, applies it on the in-process emulator, leaves `--runs` finished batch-inference
runs (with their verdict files) behind every deployment and one training run behind every training pipeline
(`controller.commands.demo_runs`), then runs the real `smgitops status --stats` in a subprocess (cold: every run
read) and reads the status twice more in-process with one `RunCache`, as the dashboard does (warm: finished
runs are not read again). Prints the reads per deployment and writes them to
`bench/results/<date>-status-models<N>.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fleet import write_fleet

from controller.aws.emulator import Emulator
from controller.commands.demo import seed_example
from controller.commands.demo_runs import record_run
from controller.desired import load
from controller.engine.reconcile import reconcile
from controller.engine.runs import RunCache
from controller.engine.status import read_status
from controller.pipelines import render

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=67, help="models per environment (3 environments)")
    parser.add_argument("--runs", type=int, default=3, help="runs behind every pipeline, and shown per pipeline")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    render.WORKER_TIMEOUT_SECONDS = 3600  # the first apply renders every model's pipelines, cold
    with tempfile.TemporaryDirectory(prefix="smgitops-status-bench-") as scratch, Emulator() as emulator:
        root = write_fleet(Path(scratch) / "desired_state", models=args.models)
        state = load(root, revision="bench").state
        clients = emulator.clients()
        seed_example(clients, state)
        started = time.perf_counter()
        outcome = reconcile(state, clients=clients, max_workers=8)
        assert outcome.reason == "applied", outcome.plan.errors[:3]
        _say(f"applied {len(state.deployments)} deployments in {time.perf_counter() - started:.0f} s")
        now = datetime.now(UTC)
        for deployment in state.deployments:
            for days_ago in range(args.runs, 0, -1):
                record_run(clients, state, deployment, started=now - timedelta(days=days_ago), metric_value=7.0)
            if deployment.training is not None:
                record_run(clients, state, deployment, started=now - timedelta(days=1), training=True)
        cold = _cli_status(emulator.url, root, runs=args.runs)
        cache, warm_clients = RunCache(), emulator.clients()
        read_status(state, clients=warm_clients, runs=args.runs, cache=cache)
        before = warm_clients.calls.snapshot()
        status = read_status(state, clients=warm_clients, runs=args.runs, cache=cache)
        warm = warm_clients.calls.since(before)
        deployments = len(status.deployments)
        results = {
            "date": date.today().isoformat(),
            "command": f".venv/bin/python bench/status_reads.py --models {args.models} --runs {args.runs}",
            "deployments": deployments,
            "pipelines": deployments + sum(1 for item in state.deployments if item.training),
            "runs_per_pipeline": args.runs,
            "cold_cli": cold,
            "warm_dashboard_refresh": {
                "reads": warm.reads,
                "reads_per_deployment": round(warm.reads / deployments, 2),
                "by_operation": dict(sorted(warm.by_operation().items())),
            },
        }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{results['date']}-status-models{args.models}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"{deployments} deployments, {args.runs} runs per pipeline:")
    print(f"  smgitops status --stats (cold): {cold['reads_per_deployment']} reads per deployment")
    print(f"  dashboard refresh (finished runs cached): {results['warm_dashboard_refresh']['reads_per_deployment']}"
          " reads per deployment")
    print(f"written to {path}")
    return 0


def _cli_status(url: str, root: Path, *, runs: int) -> dict:
    """The real `smgitops status --stats`; its stderr says the reads, in total and by operation."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                       AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull,
                       AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    command = [sys.executable, "-m", "controller.main", "status", "--stats", "--runs", str(runs),
               "--calls-per-second", "0", "--format", "json", "--revision", "bench", str(root)]
    started = time.perf_counter()
    completed = subprocess.run(command, env=environment, capture_output=True, text=True, check=False, timeout=3600)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(completed.stderr[-2000:])
    totals = re.search(r"AWS calls: (\d+) reads, (\d+) writes", completed.stderr)
    per_deployment = re.search(r"per deployment: ([\d.]+) reads \((\d+) deployments\)", completed.stderr)
    operations = dict(re.findall(r"^  (\w+:\w+): (\d+)$", completed.stderr, flags=re.MULTILINE))
    return {
        "reads": int(totals[1]),
        "writes": int(totals[2]),
        "reads_per_deployment": float(per_deployment[1]),
        "seconds": round(seconds, 1),
        "by_operation": {operation: int(count) for operation, count in sorted(operations.items())},
        "stderr_head": completed.stderr.splitlines()[:1],
    }


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
