"""Measuring one run of either tool the same way: wall time, CPU time, the emulator's CPU time and requests.

`smgitops_side` and `terraform_side` wrap every timed run in `measure`; `series` summarises a list of runs.
CPU time is reported next to wall time because the machine may be shared: wall time moves with other load,
CPU time much less. A tool's CPU is this process's own (`in_process=True`, every thread) or that of the
subprocesses it waited for, their children included (Terraform's provider plugins).
"""

from __future__ import annotations

import resource
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from counting_emulator import EmulatorProcess


@dataclass(frozen=True)
class Sample:
    seconds: float
    cpu_seconds: float
    emulator_cpu_seconds: float
    requests: Counter


def measure(server: EmulatorProcess, run: Callable[[], Any], *, in_process: bool) -> tuple[Sample, Any]:
    cpu = time.process_time if in_process else _children_cpu
    requests_before, emulator_before, cpu_before = server.counts(), server.cpu_seconds(), cpu()
    started = time.perf_counter()
    outcome = run()
    seconds = time.perf_counter() - started
    sample = Sample(
        seconds=seconds,
        cpu_seconds=cpu() - cpu_before,
        emulator_cpu_seconds=server.cpu_seconds() - emulator_before,
        requests=server.counts() - requests_before,
    )
    return sample, outcome


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def series(samples: list[Sample]) -> dict[str, Any]:
    """Medians and every run's values; the requests of the last run (every run must make the same)."""
    return {
        "seconds": [round(sample.seconds, 3) for sample in samples],
        "median_seconds": _median([sample.seconds for sample in samples]),
        "median_cpu_seconds": _median([sample.cpu_seconds for sample in samples]),
        "median_emulator_cpu_seconds": _median([sample.emulator_cpu_seconds for sample in samples]),
        "requests_per_run": [sum(sample.requests.values()) for sample in samples],
        **request_summary(samples[-1].requests),
    }


def one(sample: Sample) -> dict[str, Any]:
    return {
        "seconds": round(sample.seconds, 3),
        "cpu_seconds": round(sample.cpu_seconds, 3),
        "emulator_cpu_seconds": round(sample.emulator_cpu_seconds, 3),
        **request_summary(sample.requests),
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
    return round(statistics.median(values), 3)
