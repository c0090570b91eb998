"""Benchmark: `smgitops validate` of a large fleet, with its wall time, CPU time and peak memory.

    .venv/bin/python bench/validate_fleet.py --models 334    # 1,002 deployment files in 3 environments

Writes the same fleet as `plan_vs_terraform.py` (no AWS involved: validate reads only the files), runs the
real command line `--repeat` times and writes the numbers to `bench/results/<date>-validate-models<N>.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

from fleet import write_fleet
from measure import run, series
from smgitops_side import compile_bytecode

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=334, help="models per environment (3 environments)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="smgitops-bench-") as scratch:
        root = write_fleet(Path(scratch) / "desired_state", models=args.models)
        files = len(list(root.rglob("*.yaml"))) - 1
        load_before = os.getloadavg()
        command = [sys.executable, "-m", "controller.main", "validate", str(root)]
        compile_bytecode()
        samples = [run(None, command, env=os.environ) for _ in range(args.repeat)]
    measured = series(samples)
    results = {
        "date": date.today().isoformat(),
        "command": f".venv/bin/python bench/validate_fleet.py --models {args.models} --repeat {args.repeat}",
        "deployment_files": files,
        "load_average": {"start": load_before, "end": os.getloadavg()},
        **{key: measured[key] for key in ("seconds", "median_seconds", "cpu_seconds", "median_cpu_seconds",
                                          "median_peak_mib")},
    }
    output = args.out / f"{date.today().isoformat()}-validate-models{args.models}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"smgitops validate, {files} deployment files: {results['median_seconds']:.2f} s wall, "
          f"{results['median_cpu_seconds']:.2f} s CPU, {results['median_peak_mib']:.0f} MiB peak (median of "
          f"{args.repeat}); results in {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
