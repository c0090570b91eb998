"""When a pipeline's schedule starts it next, for the status: `controller.desired.cron` does the arithmetic.

`controller.engine.status` calls `next_run` for each schedule a deployment declares. A `cron(...)` fires at
its next matching local time. EventBridge Scheduler counts a `rate(...)` from the schedule's start, which the
status does not read; the newest run it started is one of its fire times, so the next one is counted from
there (unknown before the first run).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from controller.desired import cron
from controller.engine.runs import Run


def next_run(
    expression: str | None, timezone: str, *, now: datetime, enabled: bool = True, runs: Sequence[Run] = ()
) -> datetime | None:
    """The next start after `now`, in the schedule's time zone; None when disabled, unscheduled or unknown."""
    if not expression or not enabled:
        return None
    try:
        schedule = cron.parse(expression)
    except cron.ScheduleError:
        return None
    started = max((run.started for run in runs if run.started is not None), default=None)
    return cron.next_fire(schedule, now, timezone=timezone, start=started)
