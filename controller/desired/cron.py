"""EventBridge schedule expressions, parsed once into a value that both validation and evaluation use.

`parse` reads `cron(minutes hours day-of-month month day-of-week year)` or `rate(value unit)` and returns a `Cron`
or a `Rate`, or raises `ScheduleError` whose text is the message validation prints; so whatever validates can be
evaluated. `next_fire` and `last_fire` compute fire times in a time zone the way EventBridge Scheduler does: a
local time that a daylight-saving jump skips does not fire, and one the clock shows twice fires once (the first).
Fields are separated by spaces only; any other character (tab, newline) makes the field invalid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from controller.desired.problems import shorten

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
FIRST_YEAR, LAST_YEAR = 1970, 2199
FIELD_NAMES = "minutes hours day-of-month month day-of-week year"
RATE_UNITS = {"minute": 1, "hour": 60, "day": 24 * 60}
LOOK_BACK = timedelta(days=3660)
_NUMBER_DIGITS = 9  # longer numbers are never valid values or steps; this keeps int() cheap

DaySpec = tuple[str, int, int]
"""One item of a day field: (`set`, value, 0), (`last`, 0, 0), (`last-weekday`, 0, 0), (`weekday-near`, day, 0),
(`last-of`, weekday, 0) or (`nth`, weekday, n)."""


class ScheduleError(ValueError):
    """An expression EventBridge would refuse; `str(error)` says what is wrong, as validation prints it."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()

    def help(self) -> str:
        words = f"{self.low}-{self.high}" + (f" or {self.names[0]}-{self.names[-1]}" if self.names else "")
        extras = {"day-of-month": ", L or W", "day-of-week": ", L or #"}.get(self.name, "")
        return f"{words}, with * , - /{extras}"

    def invalid(self, item: str) -> ScheduleError:
        return ScheduleError(f"{self.name} {shorten(item)} is not valid: use {self.help()}")


MINUTES, HOURS = _Field("minutes", 0, 59), _Field("hours", 0, 23)
DAY_OF_MONTH, MONTH = _Field("day-of-month", 1, 31), _Field("month", 1, 12, MONTHS)
DAY_OF_WEEK, YEAR = _Field("day-of-week", 1, 7, DAYS), _Field("year", FIRST_YEAR, LAST_YEAR)


@dataclass(frozen=True)
class Cron:
    """A parsed `cron(...)` expression."""

    expression: str
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


@dataclass(frozen=True)
class Rate:
    """A parsed `rate(value unit)` expression: it fires every `interval`, counted from the schedule's start."""

    expression: str
    value: int
    unit: str
    """minute, hour or day (singular)."""

    @property
    def interval(self) -> timedelta:
        return timedelta(minutes=self.value * RATE_UNITS[self.unit])


@lru_cache(maxsize=1024)
def parse(expression: str) -> Cron | Rate:
    """A recurring EventBridge Scheduler expression as a value; raises ScheduleError naming what is wrong."""
    if expression.startswith("cron(") and expression.endswith(")"):
        return parse_cron(expression)
    if expression.startswith("rate(") and expression.endswith(")"):
        return _parse_rate(expression)
    raise ScheduleError("must be cron(...) or rate(...), like cron(0 4 * * ? *) or rate(1 day)")


@lru_cache(maxsize=1024)
def parse_cron(expression: str) -> Cron:
    """A `cron(...)` expression as a value; raises ScheduleError naming what is wrong."""
    if not (expression.startswith("cron(") and expression.endswith(")")):
        raise ScheduleError("must be a cron(...) expression, like cron(0 9 ? * MON-FRI *)")
    fields = [field for field in expression[len("cron(") : -1].split(" ") if field]
    if len(fields) != 6:
        hint = "; add the year: * for every year" if len(fields) == 5 else ""
        raise ScheduleError(f"cron(...) takes six fields ({FIELD_NAMES}), got {len(fields)}{hint}")
    minutes, hours, day_of_month, month, day_of_week, year = fields
    if day_of_month == "?" and day_of_week == "?":
        raise ScheduleError("day-of-month and day-of-week cannot both be '?'; give one of them")
    if "?" not in (day_of_month, day_of_week):
        raise ScheduleError(
            "one of day-of-month and day-of-week must be '?', like cron(0 4 * * ? *) or cron(0 4 ? * MON *)"
        )
    minute_values, hour_values = _values(minutes, MINUTES), _values(hours, HOURS)
    dom_items, month_values = _day_items(day_of_month, DAY_OF_MONTH), _values(month, MONTH)
    dow_items, year_values = _day_items(day_of_week, DAY_OF_WEEK), _values(year, YEAR)
    return Cron(
        expression=expression,
        times=tuple((hour, minute) for hour in sorted(hour_values) for minute in sorted(minute_values)),
        months=month_values,
        years=year_values,
        day_of_month=dom_items,
        day_of_week=dow_items,
    )


def problem(expression: str) -> str | None:
    """What is wrong with a recurring schedule expression, or None."""
    try:
        parse(expression)
    except ScheduleError as error:
        return str(error)
    return None


def cron_problem(expression: str) -> str | None:
    """What is wrong with a `cron(...)` expression (rate(...) is not one), or None."""
    try:
        parse_cron(expression)
    except ScheduleError as error:
        return str(error)
    return None


def next_fire(
    schedule: Cron | Rate | str, after: datetime, *, timezone: str = "UTC", start: datetime | None = None
) -> datetime | None:
    """The first time strictly after `after` the schedule fires, in `timezone`; None if it never fires again.

    A rate fires every interval counted from `start` (the schedule's start or creation time); without `start`
    its next fire time is unknown (None). Naive datetimes are read as UTC.
    """
    parsed = parse(schedule) if isinstance(schedule, str) else schedule
    after, zone = _aware(after), ZoneInfo(timezone)
    if isinstance(parsed, Rate):
        if start is None:
            return None
        start = _aware(start)
        if start > after:
            return start.astimezone(zone)
        periods = (after - start) // parsed.interval + 1
        return (start + periods * parsed.interval).astimezone(zone)
    day: date | None = after.astimezone(zone).date()
    while (day := _next_matching_day(parsed, day)) is not None:
        for hour, minute in parsed.times:
            fire = _local_instant(day, hour, minute, zone)
            if fire is not None and fire > after:
                return fire
        day += timedelta(days=1)
    return None


def last_fire(cron: Cron, at: datetime, *, timezone: str = "UTC", after: datetime) -> datetime | None:
    """The latest time at or before `at`, and strictly after `after`, that `cron` fires, in `timezone`; None
    when there is none. It looks back at most `LOOK_BACK` from `at`."""
    at, after, zone = _aware(at), _aware(after), ZoneInfo(timezone)
    day, first_day = at.astimezone(zone).date(), max(after, at - LOOK_BACK).astimezone(zone).date()
    while day >= first_day:
        if cron.matches_day(day):
            for hour, minute in reversed(cron.times):
                fire = _local_instant(day, hour, minute, zone)
                if fire is not None and fire <= at:
                    return fire if fire > after else None
        day -= timedelta(days=1)
    return None


def _parse_rate(expression: str) -> Rate:
    parts = [part for part in expression[len("rate(") : -1].split(" ") if part]
    if len(parts) != 2:
        raise ScheduleError("rate(...) takes a value and a unit, like rate(7 days)")
    value_text, unit = parts
    value = _number(value_text)
    if value is None or value == 0:
        raise ScheduleError(f"rate value {shorten(value_text)} must be a whole number greater than 0")
    singular = unit.removesuffix("s")
    if singular not in RATE_UNITS:
        raise ScheduleError(f"rate unit {shorten(unit)} must be minutes, hours or days")
    expected = singular if value == 1 else f"{singular}s"
    if unit != expected:
        raise ScheduleError(f"write rate({value_text} {expected})")
    return Rate(expression=expression, value=value, unit=singular)


def _number(text: str) -> int | None:
    """A plain decimal number (ASCII digits only), or None."""
    if text.isascii() and text.isdigit() and len(text) <= _NUMBER_DIGITS:
        return int(text)
    return None


def _value(text: str, field: _Field) -> int | None:
    if text.upper() in field.names:
        return field.low + field.names.index(text.upper())
    number = _number(text)
    return number if number is not None and field.low <= number <= field.high else None


def _values(text: str, field: _Field) -> frozenset[int]:
    if text == "?":
        raise ScheduleError(f"'?' is only for day-of-month or day-of-week, not {field.name}")
    values: set[int] = set()
    for item in text.split(","):
        values.update(_item_values(item, field))
    return frozenset(values)


def _item_values(item: str, field: _Field) -> list[int]:
    base, slash, step_text = item.partition("/")
    step = _number(step_text) if slash else 1
    if not step:
        raise field.invalid(item)
    if base == "*":
        first, last = field.low, field.high
    else:
        low_text, dash, high_text = base.partition("-")
        first, last = _value(low_text, field), _value(high_text, field) if dash else None
        if first is None or (dash and last is None):
            raise field.invalid(item)
        last = last if last is not None else (field.high if slash else first)
    if first <= last:
        span = list(range(first, last + 1))
    else:  # a range that wraps around, like FRI-MON
        span = [*range(first, field.high + 1), *range(field.low, last + 1)]
    return span[::step]


def _day_items(text: str, field: _Field) -> tuple[DaySpec, ...] | None:
    if text in ("?", "*"):
        return None
    items: list[DaySpec] = []
    for item in text.split(","):
        special = _weekday_special(item) if field is DAY_OF_WEEK else _month_day_special(item)
        if special is not None:
            items.append(special)
        else:
            items += [("set", value, 0) for value in sorted(_item_values(item, field))]
    return tuple(items)


def _month_day_special(item: str) -> DaySpec | None:
    if item == "L":
        return ("last", 0, 0)
    if item == "LW":
        return ("last-weekday", 0, 0)
    if item.endswith("W") and (day := _value(item[:-1], DAY_OF_MONTH)) is not None:
        return ("weekday-near", day, 0)
    return None


def _weekday_special(item: str) -> DaySpec | None:
    if item == "L":
        return ("set", 7, 0)
    if item.endswith("L") and (weekday := _value(item[:-1], DAY_OF_WEEK)) is not None:
        return ("last-of", weekday, 0)
    day, hash_sign, nth = item.partition("#")
    if hash_sign and (weekday := _value(day, DAY_OF_WEEK)) is not None and nth in ("1", "2", "3", "4", "5"):
        return ("nth", weekday, int(nth))
    if hash_sign or item.endswith("L"):
        raise DAY_OF_WEEK.invalid(item)
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


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


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
