"""Change windows: the recurring periods in which an environment may be changed (like Argo CD sync windows).

An environment's `changeWindows` each open at the times of an EventBridge cron expression, read in the window's
time zone, and stay open for `duration_minutes`; with no windows an environment is always open. The planner
asks `closed_windows` which environments are closed at its `now` and holds their changes (drift reverts too)
with the hold text given here. Time-zone rules follow EventBridge Scheduler: a local opening time that a
daylight-saving jump skips does not happen, and one that the clock passes twice opens once (the first time).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from controller.desired.model import ChangeWindow, Environment

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
LAST_YEAR = 2199

DaySpec = tuple[str, int, int]
"""One item of a day field: (`set`, value, 0), (`last`, 0, 0), (`last-weekday`, 0, 0), (`weekday-near`, day, 0),
(`last-of`, weekday, 0) or (`nth`, weekday, n); a `set` item is expanded to one tuple per value."""


@dataclass(frozen=True)
class Cron:
    """A parsed `cron(minutes hours day-of-month month day-of-week year)` expression."""

    times: tuple[tuple[int, int], ...]
    """(hour, minute) pairs it fires at on a matching day, in clock order."""
    months: frozenset[int]
    years: frozenset[int]
    day_of_month: tuple[DaySpec, ...] | None
    """None for `?` or `*`: any day of the month."""
    day_of_week: tuple[DaySpec, ...] | None

    def matches_day(self, day: date) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        if self.day_of_month is not None and not any(_dom_item(item, day) for item in self.day_of_month):
            return False
        return self.day_of_week is None or any(_dow_item(item, day) for item in self.day_of_week)


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
    cron, zone = parse(window.schedule), ZoneInfo(window.timezone)
    earliest = now - timedelta(minutes=window.duration_minutes)
    day, first_day = now.astimezone(zone).date(), earliest.astimezone(zone).date()
    while day >= first_day:
        if cron.matches_day(day):
            for hour, minute in reversed(cron.times):
                opening = _local_instant(day, hour, minute, zone)
                if opening is not None and opening <= now:
                    return opening if opening > earliest else None
        day -= timedelta(days=1)
    return None


def _next_opening(window: ChangeWindow, now: datetime) -> datetime | None:
    cron, zone = parse(window.schedule), ZoneInfo(window.timezone)
    day: date | None = now.astimezone(zone).date()
    while (day := _next_matching_day(cron, day)) is not None:
        for hour, minute in cron.times:
            opening = _local_instant(day, hour, minute, zone)
            if opening is not None and opening > now:
                return opening
        day += timedelta(days=1)
    return None


def _next_matching_day(cron: Cron, day: date) -> date | None:
    while day.year <= LAST_YEAR:
        if day.year not in cron.years:
            day = date(day.year + 1, 1, 1)
        elif day.month not in cron.months:
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        elif cron.matches_day(day):
            return day
        else:
            day += timedelta(days=1)
    return None


def _local_instant(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime | None:
    """The instant a local clock in `zone` shows this time (the first one when it shows it twice), or None
    when a daylight-saving jump skips it."""
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return local


@cache
def parse(expression: str) -> Cron:
    """Parse an EventBridge cron expression; raises ValueError naming what is wrong."""
    if not (expression.startswith("cron(") and expression.endswith(")")):
        raise ValueError(f"{expression}: not a cron(...) expression")
    fields = expression[len("cron(") : -1].split()
    if len(fields) != 6:
        raise ValueError(f"{expression}: cron(...) takes six fields, got {len(fields)}")
    minutes, hours, day_of_month, month, day_of_week, year = fields
    try:
        return Cron(
            times=tuple(
                (hour, minute) for hour in sorted(_values(hours, 0, 23)) for minute in sorted(_values(minutes, 0, 59))
            ),
            months=_values(month, 1, 12, MONTHS),
            years=_values(year, 1970, LAST_YEAR),
            day_of_month=_day_items(day_of_month, weekday=False),
            day_of_week=_day_items(day_of_week, weekday=True),
        )
    except (ValueError, IndexError) as error:
        raise ValueError(f"{expression}: {error}") from None


def _values(text: str, low: int, high: int, names: Sequence[str] = ()) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        step = int(step_text) if slash else 1
        if step < 1:
            raise ValueError(f"step {item} must be at least 1")
        if base == "*":
            first, last = low, high
        elif "-" in base:
            first, last = (_number(part, low, high, names) for part in base.split("-", 1))
        else:
            first = _number(base, low, high, names)
            last = high if slash else first
        span = list(range(first, last + 1)) if first <= last else [*range(first, high + 1), *range(low, last + 1)]
        values.update(span[::step])
    return frozenset(values)


def _number(text: str, low: int, high: int, names: Sequence[str]) -> int:
    if text.upper() in names:
        return low + names.index(text.upper())
    if not (text.isascii() and text.isdigit() and low <= int(text) <= high):
        raise ValueError(f"{text} is not between {low} and {high}")
    return int(text)


def _day_items(text: str, *, weekday: bool) -> tuple[DaySpec, ...] | None:
    if text in ("?", "*"):
        return None
    items: list[DaySpec] = []
    low, high, names = (1, 7, DAYS) if weekday else (1, 31, ())
    for item in text.split(","):
        special = _weekday_special(item) if weekday else _month_day_special(item)
        if special is not None:
            items.append(special)
        else:
            items += [("set", value, 0) for value in sorted(_values(item, low, high, names))]
    return tuple(items)


def _month_day_special(item: str) -> DaySpec | None:
    if item == "L":
        return ("last", 0, 0)
    if item == "LW":
        return ("last-weekday", 0, 0)
    if item.endswith("W"):
        return ("weekday-near", _number(item[:-1], 1, 31, ()), 0)
    return None


def _weekday_special(item: str) -> DaySpec | None:
    if item == "L":
        return ("set", 7, 0)
    if item.endswith("L"):
        return ("last-of", _number(item[:-1], 1, 7, DAYS), 0)
    if "#" in item:
        day, _, nth = item.partition("#")
        return ("nth", _number(day, 1, 7, DAYS), _number(nth, 1, 5, ()))
    return None


def _dom_item(item: DaySpec, day: date) -> bool:
    kind, value, _ = item
    last = _days_in_month(day)
    if kind == "set":
        return day.day == value
    if kind == "last":
        return day.day == last
    if kind == "last-weekday":
        return day == _nearest_weekday(day.replace(day=last))
    return value <= last and day == _nearest_weekday(day.replace(day=value))


def _dow_item(item: DaySpec, day: date) -> bool:
    kind, weekday, nth = item
    if _cron_weekday(day) != weekday:
        return False
    if kind == "last-of":
        return day.day + 7 > _days_in_month(day)
    if kind == "nth":
        return (day.day - 1) // 7 + 1 == nth
    return True


def _cron_weekday(day: date) -> int:
    """1 for Sunday through 7 for Saturday, as cron counts."""
    return (day.weekday() + 1) % 7 + 1


def _days_in_month(day: date) -> int:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def _nearest_weekday(day: date) -> date:
    """The weekday nearest to `day` within its month (Saturday moves to Friday, Sunday to Monday)."""
    weekday = day.weekday()
    if weekday == 5:
        return day - timedelta(days=1) if day.day > 1 else day + timedelta(days=2)
    if weekday == 6:
        return day + timedelta(days=1) if day.day < _days_in_month(day) else day - timedelta(days=2)
    return day
