"""Measuring one run of either tool the same way: a command line in a child process, as a user runs it.

`smgitops_side` and `terraform_side` run every timed command through `run`; `series` summarises the runs of
one row. Per run: wall time, CPU time (user + system of the process and of the children it waited for:
Terraform's provider plugins, smgitops's render worker), peak memory (the largest resident set among them),
the emulator's CPU time and the requests the emulator answered. The machine may be shared, so CPU time is
reported next to wall time: wall time moves with other load, CPU time much less.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from counting_emulator import EmulatorProcess


@dataclass(frozen=True)
class Sample:
    seconds: float
    cpu_seconds: float
    peak_mib: float
    emulator_cpu_seconds: float
    requests: Counter
    exit_code: int
    output: str


def run(
    server: EmulatorProcess | None,
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | None = None,
    ok: tuple[int, ...] = (0,),
) -> Sample:
    """Run `command` to its end and measure it; an exit code outside `ok` stops the benchmark."""
    requests_before = server.counts() if server else Counter()
    emulator_before = server.cpu_seconds() if server else 0.0
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=dict(env), cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    if process.returncode not in ok:
        tail = "\n".join(text.splitlines()[-40:])
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}:\n{tail}")
    return Sample(
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_mib=usage.ru_maxrss / 1024,
        emulator_cpu_seconds=(server.cpu_seconds() - emulator_before) if server else 0.0,
        requests=(server.counts() - requests_before) if server else Counter(),
        exit_code=process.returncode,
        output=text,
    )


def series(samples: list[Sample]) -> dict[str, Any]:
    """Medians, the spread (every run's value) and the requests of the last run (every run makes the same)."""
    return {
        "runs": len(samples),
        "seconds": [round(sample.seconds, 2) for sample in samples],
        "median_seconds": _median([sample.seconds for sample in samples]),
        "cpu_seconds": [round(sample.cpu_seconds, 2) for sample in samples],
        "median_cpu_seconds": _median([sample.cpu_seconds for sample in samples]),
        "median_peak_mib": _median([sample.peak_mib for sample in samples]),
        "median_emulator_cpu_seconds": _median([sample.emulator_cpu_seconds for sample in samples]),
        "requests_per_run": [sum(sample.requests.values()) for sample in samples],
        **request_summary(samples[-1].requests),
    }


def request_summary(requests: Counter) -> dict[str, Any]:
    """Requests by `service:Operation` (the caller dropped), their total, and the total without STS."""
    by_operation: Counter[str] = Counter()
    for key, count in requests.items():
        by_operation[key.split(" ", 1)[1]] += count
    auth = sum(count for operation, count in by_operation.items() if operation.startswith("sts:"))
    total = sum(by_operation.values())
    return {"requests": total, "requests_without_sts": total - auth, "by_operation": dict(sorted(by_operation.items()))}


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2)
