"""How much a resync reads: reads per managed object, for the cheap resyncs and for the full reads.

The reconciler records every quiet full reconcile (nothing to change) here (`record`); the `stopped` log line
carries `summary()`, `smgitops run --stats` prints `print()`, and the metric `smgitops_resync_reads_per_object`
shows the last value of each kind of read. A *cheap* resync describes only the objects whose list stamp moved (see
`controller.kinds.memory`), a *full* one describes every object; a managed object is one the plan compares
(in sync or with a change).
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from typing import Any, TextIO


@dataclass
class ReadStats:
    """Totals of one kind of resync (`cheap` or `full`)."""

    resyncs: int = 0
    reads: int = 0
    objects: int = 0
    last: float | None = None
    """Reads per managed object of the most recent one."""

    def per_object(self) -> float | None:
        return round(self.reads / self.objects, 4) if self.objects else None


@dataclass
class ResyncStats:
    by_read: dict[str, ReadStats] = field(default_factory=lambda: {"cheap": ReadStats(), "full": ReadStats()})
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, read: str, *, reads: int, objects: int) -> float | None:
        """One full reconcile of `read` kind; returns its reads per managed object (None with no object)."""
        per_object = round(reads / objects, 4) if objects else None
        with self._lock:
            stats = self.by_read[read]
            stats.resyncs += 1
            stats.reads += reads
            stats.objects += objects
            stats.last = per_object
        return per_object

    def summary(self) -> dict[str, Any]:
        """Fields for the `stopped` log line."""
        with self._lock:
            return {
                f"{read}_resyncs": stats.resyncs for read, stats in self.by_read.items()
            } | {f"{read}_reads_per_object": stats.per_object() for read, stats in self.by_read.items()}

    def print(self, calls: Any, *, stream: TextIO = sys.stderr) -> None:
        """The `--stats` lines: AWS calls of the reconciles, then reads per managed object by kind of resync."""
        print(f"AWS calls: {calls.reads} reads, {calls.writes} writes, {calls.throttles} throttled", file=stream)
        for operation, count in sorted(calls.by_operation().items()):
            print(f"  {operation}: {count}", file=stream)
        with self._lock:
            for read, stats in self.by_read.items():
                per_object = stats.per_object()
                shown = "-" if per_object is None else f"{per_object:.3f}"
                print(
                    f"{read} resyncs: {stats.resyncs}, {stats.reads} reads for {stats.objects} managed objects: "
                    f"{shown} reads per managed object",
                    file=stream,
                )
