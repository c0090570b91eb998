"""Change windows: the recurring periods in which an environment may be changed (like Argo CD sync windows).

An environment's `changeWindows` each open at the times of an EventBridge cron expression, read in the window's
time zone, and stay open for `duration_minutes`; with no windows an environment is always open. The planner
asks `closed_windows` which environments are closed at its `now` and holds their changes (drift reverts too)
with the hold text given here. The expressions are parsed and evaluated by `controller.desired.cron`, which
follows EventBridge Scheduler's time-zone rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from controller.desired import cron
from controller.desired.model import ChangeWindow, Environment


def is_open(windows: Sequence[ChangeWindow], now: datetime) -> bool:
    """True when no windows are declared or one of them is open at `now` (naive times are read as UTC)."""
    now = _aware(now)
    return not windows or any(_last_opening(window, now) is not None for window in windows)


def next_open(windows: Sequence[ChangeWindow], now: datetime) -> datetime | None:
    """`now` when open; otherwise when the next window opens, in that window's time zone; None if never again."""
    now = _aware(now)
    if is_open(windows, now):
        return now
    openings = [opening for window in windows if (opening := _next_opening(window, now)) is not None]
    return min(openings, default=None)


def window_hold(windows: Sequence[ChangeWindow], now: datetime) -> str | None:
    """The planner's hold text for changes of an environment with these windows, None when they may apply."""
    if is_open(windows, now):
        return None
    opening = next_open(windows, now)
    if opening is None:
        return "outside change window (no window opens again)"
    return f"outside change window (next opens {describe(opening)})"


def closed_windows(environments: Iterable[Environment], now: datetime) -> dict[str, str]:
    """Environment name → hold text, for every environment whose change windows are all closed at `now`."""
    holds = {}
    for environment in environments:
        hold = window_hold(environment.change_windows, now)
        if hold is not None:
            holds[environment.name] = hold
    return holds


def describe(moment: datetime) -> str:
    """`2024-06-03 09:00 Europe/Berlin`: a local time people can read, with the zone it is in."""
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzinfo}"


def _aware(now: datetime) -> datetime:
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now


def _last_opening(window: ChangeWindow, now: datetime) -> datetime | None:
    """The opening of the window that is open at `now`, or None when it is closed."""
    return cron.last_fire(cron.parse_cron(window.schedule), now, timezone=window.timezone, after=_earliest(window, now))


def _earliest(window: ChangeWindow, now: datetime) -> datetime:
    """The earliest opening that can still be open at `now`: `duration_minutes` before it, or the start of time
    when the window is longer than the calendar reaches back."""
    try:
        return now - timedelta(minutes=window.duration_minutes)
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


def _next_opening(window: ChangeWindow, now: datetime) -> datetime | None:
    return cron.next_fire(cron.parse_cron(window.schedule), now, timezone=window.timezone)
