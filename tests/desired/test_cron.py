"""EventBridge schedule expressions: what validates (with today's messages for what does not), and that every
expression that validates can be evaluated, with EventBridge Scheduler's time-zone rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controller.desired import cron
from controller.desired.cron import Cron, Rate, ScheduleError, next_fire, parse, problem

VALID_SCHEDULES = [
    "cron(0 10 * * ? *)", "cron(15 12 * * ? *)", "cron(0 18 ? * MON-FRI *)", "cron(0 8 1 * ? *)",
    "cron(0/15 * * * ? *)", "cron(0/10 * ? * MON-FRI *)", "cron(0/5 8-17 ? * MON-FRI *)",
    "cron(0 9 ? * 2#1 *)", "cron(0 10 ? * 6L 2022-2023)", "cron(0 0 L * ? *)", "cron(0 0 3W * ? *)",
    "cron(30 2 ? * SUN,WED *)", "cron(0 12 ? JAN-MAR mon *)", "cron(5,35 14 * * ? 2030)", "cron(0 0 LW * ? *)",
    "rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(12 hours)", "rate(1 day)", "rate(7 days)",
]
INVALID_SCHEDULES = {
    "cron(60 * * * ? *)": "minutes '60' is not valid: use 0-59, with * , - /",
    "cron(0 0 32 * ? *)": "day-of-month '32' is not valid: use 1-31, with * , - /, L or W",
    "cron(0 0 ? 13 MON *)": "month '13' is not valid: use 1-12 or JAN-DEC, with * , - /",
    "cron(0 0 ? * 8 *)": "day-of-week '8' is not valid: use 1-7 or SUN-SAT, with * , - /, L or #",
    "cron(0 0 ? * MON#6 *)": "day-of-week 'MON#6' is not valid: use 1-7 or SUN-SAT, with * , - /, L or #",
    "cron(0 0 * * ? 1969)": "year '1969' is not valid: use 1970-2199, with * , - /",
    "cron(0/0 * * * ? *)": "minutes '0/0' is not valid: use 0-59, with * , - /",
    "cron(0 L * * ? *)": "hours 'L' is not valid: use 0-23, with * , - /",
    "cron(0 0 * * ? * *)": "cron(...) takes six fields (minutes hours day-of-month month day-of-week year), got 7",
    "cron()": "cron(...) takes six fields (minutes hours day-of-month month day-of-week year), got 0",
    "rate(1.5 hours)": "rate value '1.5' must be a whole number greater than 0",
    "rate(2 hour)": "write rate(2 hours)",
    "rate(1 Day)": "rate unit 'Day' must be minutes, hours or days",
    "rate(day)": "rate(...) takes a value and a unit, like rate(7 days)",
    "every day": "must be cron(...) or rate(...), like cron(0 4 * * ? *) or rate(1 day)",
}


@pytest.mark.parametrize("expression", VALID_SCHEDULES)
def test_valid_schedules(expression):
    assert problem(expression) is None


@pytest.mark.parametrize("expression, message", INVALID_SCHEDULES.items())
def test_invalid_schedules(expression, message):
    assert problem(expression) == message


CONTROL_AND_OVERSIZE = {
    "cron(0\t4 * * ? *)": "cron(...) takes six fields (minutes hours day-of-month month day-of-week year), got 5;"
    " add the year: * for every year",
    "cron(0 4 * * ?\n*)": "cron(...) takes six fields (minutes hours day-of-month month day-of-week year), got 5;"
    " add the year: * for every year",
    "cron(0 4 1 *\n* ? *)": "month '*\\n*' is not valid: use 1-12 or JAN-DEC, with * , - /",
    "cron(0 4 * * ? *)\n": "must be cron(...) or rate(...), like cron(0 4 * * ? *) or rate(1 day)",
    "cron(0 4\u00a0* * ? *)": "cron(...) takes six fields (minutes hours day-of-month month day-of-week year), got 5;"
    " add the year: * for every year",
    "cron(0 4 * * ? *\x00)": "year '*\\x00' is not valid: use 1970-2199, with * , - /",
    "rate(1\nday)": "rate(...) takes a value and a unit, like rate(7 days)",
    "rate(\u0661 day)": "rate value '١' must be a whole number greater than 0",
    "cron(0 4 * * ? " + "9" * 5000 + ")": "year '" + "9" * 37 + "...' is not valid: use 1970-2199, with * , - /",
    "cron(0/" + "1" * 5000 + " 4 * * ? *)": "minutes '0/" + "1" * 35 + "...' is not valid: use 0-59, with * , - /",
    "rate(" + "1" * 5000 + " days)": "rate value '" + "1" * 37 + "...' must be a whole number greater than 0",
    "cron(0 4 * * ? 2030-2030-2031)": "year '2030-2030-2031' is not valid: use 1970-2199, with * , - /",
    "cron(0 4 ? * MON#0 *)": "day-of-week 'MON#0' is not valid: use 1-7 or SUN-SAT, with * , - /, L or #",
    "cron(0 4 L/2 * ? *)": "day-of-month 'L/2' is not valid: use 1-31, with * , - /, L or W",
    "cron(0 4 ? * 6L/2 *)": "day-of-week '6L/2' is not valid: use 1-7 or SUN-SAT, with * , - /, L or #",
    "cron(? 4 * * ? *)": "'?' is only for day-of-month or day-of-week, not minutes",
}


@pytest.mark.parametrize("expression, message", CONTROL_AND_OVERSIZE.items())
def test_control_characters_other_whitespace_and_oversized_numbers_are_refused(expression, message):
    assert problem(expression) == message
    with pytest.raises(ScheduleError) as raised:
        parse(expression)
    assert str(raised.value) == message


def test_parse_gives_values():
    assert parse("rate(2 hours)") == Rate("rate(2 hours)", 2, "hour")
    assert parse("rate(2 hours)").interval == timedelta(hours=2)
    weekdays = parse("cron(0/30 9 ? * MON-FRI *)")
    assert isinstance(weekdays, Cron) and weekdays.times == ((9, 0), (9, 30))
    assert weekdays.day_of_week == tuple(("set", day, 0) for day in range(2, 7))
    assert cron.cron_problem("rate(1 day)") == "must be a cron(...) expression, like cron(0 9 ? * MON-FRI *)"


def at(text: str, zone: str = "UTC") -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    ("expression", "after", "zone", "expected"),
    [
        ("cron(0 4 * * ? *)", "2024-06-01 03:00", "UTC", "2024-06-01 04:00"),
        ("cron(0 4 * * ? *)", "2024-06-01 04:00", "UTC", "2024-06-02 04:00"),  # strictly after
        ("cron(0 9 ? * MON-FRI *)", "2024-06-01 00:00", "Europe/Berlin", "2024-06-03 09:00"),
        ("cron(30 2 * * ? *)", "2024-03-31 00:00", "Europe/Berlin", "2024-04-01 02:30"),  # skipped by the jump
        ("cron(0 0 29 2 ? *)", "2025-01-01 00:00", "UTC", "2028-02-29 00:00"),
        ("cron(0 9 1 1 ? 2030)", "2026-05-01 00:00", "UTC", "2030-01-01 09:00"),
        ("cron(0 9 1 1 ? 2020)", "2026-05-01 00:00", "UTC", None),
        ("cron(0 0 30 2 ? *)", "2026-05-01 00:00", "UTC", None),  # valid, never fires
        ("cron(59 23 31 12 ? 2199)", "2199-12-31 23:58", "UTC", "2199-12-31 23:59"),
    ],
)
def test_next_fire_of_a_cron_in_its_time_zone(expression, after, zone, expected):
    fire = next_fire(expression, at(after, zone), timezone=zone)
    assert fire == (None if expected is None else at(expected, zone))
    assert fire is None or str(fire.tzinfo) == zone


def test_a_time_shown_twice_by_the_autumn_jump_fires_once():
    first = next_fire("cron(30 2 * * ? *)", at("2024-10-27 00:00"), timezone="Europe/Berlin")
    assert first.astimezone(UTC) == at("2024-10-27 00:30")
    following = next_fire("cron(30 2 * * ? *)", first, timezone="Europe/Berlin")
    assert following.astimezone(UTC) == at("2024-10-28 01:30")


def test_next_fire_of_a_rate_counts_from_its_start():
    start = at("2024-06-01 10:00")
    assert next_fire("rate(1 day)", at("2024-06-01 09:00"), start=start) == start
    assert next_fire("rate(1 day)", at("2024-06-01 10:00"), start=start) == at("2024-06-02 10:00")
    assert next_fire("rate(90 minutes)", at("2024-06-01 13:01"), start=start) == at("2024-06-01 14:30")
    assert next_fire("rate(1 day)", at("2024-06-01 09:00")) is None  # the start is unknown
    assert next_fire("rate(7 days)", datetime(2024, 6, 9, 0, 0), start=start, timezone="Asia/Tokyo") == at(
        "2024-06-15 19:00", "Asia/Tokyo"
    )


def test_last_fire_respects_its_bounds():
    nightly = cron.parse_cron("cron(0 2 * * ? *)")
    now = at("2024-06-03 05:00")
    assert cron.last_fire(nightly, now, after=now - timedelta(hours=4)) == at("2024-06-03 02:00")
    assert cron.last_fire(nightly, now, after=now - timedelta(hours=3)) is None
    assert cron.last_fire(nightly, now, after=datetime.min.replace(tzinfo=UTC)) == at("2024-06-03 02:00")


def _field(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    item = st.one_of(
        st.just("*"),
        values,
        st.builds(lambda low, high: f"{low}-{high}", values, values),
        st.builds(lambda base, step: f"{base}/{step}", st.one_of(st.just("*"), values), st.integers(1, 70)),
    )
    return st.lists(item, min_size=1, max_size=3).map(",".join)


def _numbers(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low - 1, high + 1).map(str)


_DAY_OF_MONTH = st.one_of(_field(_numbers(1, 31)), st.sampled_from(["L", "LW", "15W", "1W", "31W"]))
_DAY_OF_WEEK = st.one_of(
    _field(st.one_of(_numbers(1, 7), st.sampled_from(["MON", "sun", "SAT"]))),
    st.sampled_from(["L", "6L", "MON#1", "2#5", "SAT#6"]),
)
_DAYS = st.one_of(_DAY_OF_MONTH.map(lambda dom: (dom, "?")), _DAY_OF_WEEK.map(lambda dow: ("?", dow)))
_EXPRESSIONS = st.builds(
    lambda minutes, hours, days, month, year: f"cron({minutes} {hours} {days[0]} {month} {days[1]} {year})",
    _field(_numbers(0, 59)),
    _field(_numbers(0, 23)),
    _DAYS,
    _field(st.one_of(_numbers(1, 12), st.sampled_from(["JAN", "dec"]))),
    st.one_of(st.just("*"), _field(_numbers(2020, 2199)), _field(_numbers(1970, 1975))),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expression=_EXPRESSIONS, after=st.datetimes(datetime(2000, 1, 1), datetime(2150, 1, 1)),
       zone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]))
def test_whatever_validates_can_be_evaluated(expression, after, zone):
    if problem(expression) is not None:
        with pytest.raises(ScheduleError):
            parse(expression)
        return
    fire = next_fire(expression, after, timezone=zone)
    if fire is not None:
        local = fire.astimezone(ZoneInfo(zone))
        assert fire > after.replace(tzinfo=UTC) and parse(expression).matches_day(local.date())
        assert (local.hour, local.minute) in parse(expression).times
        assert cron.last_fire(parse(expression), fire, timezone=zone, after=fire - timedelta(minutes=1)) == fire

