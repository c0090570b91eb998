"""Benchmark: what the service costs when nothing changes, and how fast it reverts a console change.

    .venv/bin/python bench/quiet_resync.py --models 334 --cycles 5     # 1,002 deployments in 3 environments

Writes the fleet of `plan_vs_terraform.py`, applies it to a counting emulator, then runs the real
`smgitops run` on it twice, each time for `--cycles` back-to-back resyncs and then stopping:

- defaults (`--full-read 3600`): the first resync reads every object, the others are *cheap* (list calls,
  describing only what moved);
- `--full-read 0`: every resync reads every object, as the controller did before it remembered its reads.

Per run: wall time, CPU time and peak memory of the process, requests the emulator answered, and the reads per
managed object of the cheap and full resyncs as `run --stats` prints them. Then, for each of the two, the time
from a console change (a schedule's expression edited in an account, as by hand) to its revert by the
controller, resyncing every `--resync` seconds (no events: the resync must find it), `--reverts` times. Results go to
`bench/results/<date>-resync-models<N>.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import smgitops_side
from counting_emulator import EmulatorProcess
from fleet import write_fleet
from measure import request_summary, run

from controller.aws.console import edit_schedule
from controller.kinds.schedule import group_name

RESULTS = Path(__file__).resolve().parent / "results"
STATS = re.compile(r"^(cheap|full) resyncs: (\d+), (\d+) reads for (\d+) managed objects: ([-\d.]+)", re.M)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=334, help="models per environment (3 environments)")
    parser.add_argument("--cycles", type=int, default=5, help="resyncs per run (the first one reads everything)")
    parser.add_argument("--resync", type=float, default=10.0, help="seconds between resyncs for the revert timing")
    parser.add_argument("--reverts", type=int, default=3, help="console changes timed per run (median reported)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory for the JSON results")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    with tempfile.TemporaryDirectory(prefix="smgitops-bench-") as scratch_name, EmulatorProcess() as server:
        scratch = Path(scratch_name)
        root = write_fleet(scratch / "desired_state", models=args.models)
        cache = scratch / "render-cache"
        smgitops_side.seed(server.url, root)
        started = time.perf_counter()
        smgitops_side.apply_cli(server, root, cache)
        print(f"applied {args.models * 3} deployments in {time.perf_counter() - started:.0f} s", flush=True)
        load_before = os.getloadavg()
        rows = {}
        for label, options in (("remembered", ()), ("full-read-0", ("--full-read", "0"))):
            rows[label] = quiet_run(server, root, cache, scratch, args.cycles, options)
            reverts = revert_times(server, root, cache, scratch, args.resync, args.reverts, options)
            rows[label] |= {"revert_seconds": reverts, "median_revert_seconds": statistics.median(reverts)}
            print(f"{label}: {json.dumps(rows[label] | {'by_operation': '...'})}", flush=True)
        results = {
            "date": date.today().isoformat(),
            "command": f".venv/bin/python bench/quiet_resync.py --models {args.models} --cycles {args.cycles}"
            f" --resync {args.resync:g} --reverts {args.reverts}",
            "deployments": args.models * 3,
            "cycles": args.cycles,
            "resync_seconds": args.resync,
            "cpu_count": os.cpu_count(),
            "load_average": {"start": load_before, "end": os.getloadavg()},
            "runs": rows,
        }
    output = args.out / f"{date.today().isoformat()}-resync-models{args.models}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results in {output}")
    return 0


def quiet_run(
    server: EmulatorProcess, root: Path, cache: Path, scratch: Path, cycles: int, options: tuple[str, ...]
) -> dict[str, Any]:
    """`smgitops run` for `cycles` resyncs with nothing to change, measured as a whole."""
    command = smgitops_run(root, "--resync", "0", "--max-cycles", str(cycles), "--stats", *options)
    sample = run(server, command, env=smgitops_side.cli_environment(server.url, cache), cwd=scratch)
    stats = {
        kind: {"resyncs": int(count), "reads": int(reads), "objects": int(objects), "reads_per_object": float(ratio)}
        for kind, count, reads, objects, ratio in STATS.findall(sample.output)
        if ratio != "-"
    }
    writes = [line for line in sample.output.splitlines() if '"change applied"' in line]
    if writes:
        raise SystemExit(f"a quiet resync wrote: {writes[0]}")
    return {
        "seconds": round(sample.seconds, 2),
        "seconds_per_resync": round(sample.seconds / cycles, 2),
        "cpu_seconds": round(sample.cpu_seconds, 2),
        "peak_mib": round(sample.peak_mib, 1),
        "resyncs": stats,
        **request_summary(sample.requests),
    }


def smgitops_run(root: Path, *options: str) -> list[str]:
    """The controller's command line: JSON log lines at info (they carry the events waited for), no fetch of
    the directory during the run, any free health port."""
    controller = [sys.executable, "-m", "controller.main", "--log-format", "json", "--log-level", "info"]
    return [*controller, "run", str(root), "--interval", "3600", "--health-port", "0", *options]


def revert_times(
    server: EmulatorProcess,
    root: Path,
    cache: Path,
    scratch: Path,
    resync: float,
    reverts: int,
    options: tuple[str, ...],
) -> list[float]:
    """Seconds from a hand edit of one schedule to the controller putting it back, `reverts` times."""
    command = smgitops_run(root, "--resync", f"{resync:g}", "--jitter", "0", *options)
    log = scratch / "revert.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            command,
            env=smgitops_side.cli_environment(server.url, cache) | {"PYTHONUNBUFFERED": "1"},
            cwd=scratch,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait(lambda: log.read_text().count('"reconciled"') > 0, process, log, "the first resync")
        with smgitops_side.new_clients(server.url) as clients:
            target, group, name = _a_schedule(root)
            scheduler = clients.client("scheduler", target)
            original = scheduler.get_schedule(Name=name, GroupName=group)
            seconds = []
            for round_ in range(reverts):
                edit_schedule(clients, target, group=group, name=name, ScheduleExpression=f"cron({round_} 7 * * ? *)")
                changed = time.perf_counter()
                _wait(
                    lambda: _expression(scheduler, name, group) == original["ScheduleExpression"],
                    process,
                    log,
                    "the revert",
                    interval=0.1,
                )
                seconds.append(round(time.perf_counter() - changed, 2))
                time.sleep(resync / (reverts + 1))  # the next edit lands at another point of the resync period
            return seconds
    finally:
        process.terminate()
        process.wait(timeout=60)


def _a_schedule(root: Path):
    """(account, group, name) of the first staging deployment's schedule (named after its batch pipeline)."""
    state = smgitops_side.load_state(root)
    deployment = next(d for d in state.deployments if d.environment == "staging")
    return state.environments["staging"].target, group_name("staging"), deployment.batch_inference.pipeline


def _expression(scheduler, name: str, group: str) -> str:
    return scheduler.get_schedule(Name=name, GroupName=group)["ScheduleExpression"]


def _wait(condition, process: subprocess.Popen, log: Path, what: str, *, interval: float = 0.5) -> None:
    deadline = time.monotonic() + 1800
    while not condition():
        if process.poll() is not None or time.monotonic() > deadline:
            tail = "\n".join(log.read_text().splitlines()[-20:])
            raise SystemExit(f"smgitops run did not reach {what}:\n{tail}")
        time.sleep(interval)


if __name__ == "__main__":
    sys.exit(main())
