"""Schedule, duration, S3 and time zone checks, on the examples the AWS documentation gives and their near misses."""

from __future__ import annotations

import pytest

from controller.desired.expressions import (
    duration_minutes,
    role_problem,
    s3_prefix_problem,
    schedule_problem,
    timezone_problem,
)

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
    assert schedule_problem(expression) is None


@pytest.mark.parametrize("expression, message", INVALID_SCHEDULES.items())
def test_invalid_schedules(expression, message):
    assert schedule_problem(expression) == message


@pytest.mark.parametrize("duration, minutes", [(45, 45), ("2h", 120), ("90m", 90), ("1h30m", 90), ("0h", 0),
                                               ("2 hours", None), ("h", None), ("", None), (True, None)])
def test_durations(duration, minutes):
    assert duration_minutes(duration) == minutes


@pytest.mark.parametrize("uri, message", [
    ("s3://acme-prod/churn/", None),
    ("s3://a.b-c/", None),
    ("s3://ab/x/", "bucket name 'ab' is not valid: 3-63 lowercase letters, digits, dots and hyphens, "
                   "starting and ending with a letter or digit"),
    ("s3://acme..prod/x/", "bucket name 'acme..prod' is not valid: 3-63 lowercase letters, digits, dots and "
                           "hyphens, starting and ending with a letter or digit"),
    ("s3://acme-prod/a//b/", "has an empty path segment ('//')"),
    ("s3://acme-prod", "must end with '/': it is a prefix"),
])
def test_s3_prefixes(uri, message):
    assert s3_prefix_problem(uri) == message


def test_role_names_are_at_most_64_characters():
    assert role_problem("arn:aws:iam::111111111111:role/team/" + "r" * 64) is None
    assert role_problem("arn:aws:iam::111111111111:role/" + "r" * 65) == (
        "role name is 65 characters long; IAM allows at most 64"
    )


def test_time_zones():
    assert timezone_problem("UTC") is None
    assert timezone_problem("America/New_York") is None
    assert timezone_problem("america/new_york") == (
        "unknown time zone 'america/new_york': use an IANA name like UTC or Europe/Berlin"
        " (did you mean 'America/New_York'?)"
    )
