"""When a pipeline's schedule starts it next: `cron(...)` through the cron reader, `rate(...)` from the last run.

`controller.engine.status` calls `next_run` for each schedule a deployment declares. EventBridge Scheduler
counts a `rate()` from when the schedule was created, which no read returns; the next run is then one period
after the newest run, or unknown before the first one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from controller.desired.model import ChangeWindow
from controller.engine.runs import Run
from controller.engine.windows import next_open

RATE = re.compile(r"rate\((?P<count>\d+) (?P<unit>minute|minutes|hour|hours|day|days)\)")


def next_run(
    expression: str | None, timezone: str, *, now: datetime, enabled: bool = True, runs: Sequence[Run] = ()
) -> datetime | None:
    """The next start after `now`, in the schedule's time zone; None when disabled, unscheduled or unknown."""
    if not expression or not enabled:
        return None
    if expression.startswith("cron("):
        # A zero-length window "opens" exactly when the cron expression fires.
        return next_open((ChangeWindow(schedule=expression, duration_minutes=0, timezone=timezone),), now)
    rate = RATE.fullmatch(expression)
    if rate:
        unit = rate["unit"].rstrip("s") + "s"
        period = timedelta(**{unit: int(rate["count"])})
        started = [run.started for run in runs if run.started is not None]
        if not started:
            return None
        upcoming = max(started) + period
        while upcoming <= now:
            upcoming += period
        return upcoming.astimezone(ZoneInfo(timezone))
    return None
