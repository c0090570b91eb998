"""Checks of the small languages inside string fields: schedules, durations, S3 URIs, role ARNs, time zones.

Each function takes the text as written and returns what is wrong with it (a message), or None. The semantic
rules (`rules.py`) call them; they know nothing about files or positions.
"""

from __future__ import annotations

import ipaddress
import re
import zoneinfo
from functools import cache

from controller.desired.problems import shorten

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# (name, lowest, highest, names for the values from `lowest` on)
_CRON_FIELDS = (
    ("minutes", 0, 59, ()),
    ("hours", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2199, ()),
)
_RATE_UNITS = ("minute", "hour", "day")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?$")


def schedule_problem(expression: str) -> str | None:
    """What is wrong with an EventBridge Scheduler expression for a recurring run."""
    if expression.startswith("cron(") and expression.endswith(")"):
        return cron_problem(expression)
    if expression.startswith("rate(") and expression.endswith(")"):
        return _rate_problem(expression[len("rate(") : -1])
    return "must be cron(...) or rate(...), like cron(0 4 * * ? *) or rate(1 day)"


def cron_problem(expression: str) -> str | None:
    if not (expression.startswith("cron(") and expression.endswith(")")):
        return "must be a cron(...) expression, like cron(0 9 ? * MON-FRI *)"
    fields = expression[len("cron(") : -1].split()
    if len(fields) != 6:
        hint = "; add the year: * for every year" if len(fields) == 5 else ""
        names = "minutes hours day-of-month month day-of-week year"
        return f"cron(...) takes six fields ({names}), got {len(fields)}{hint}"
    day_of_month, day_of_week = fields[2], fields[4]
    if day_of_month == "?" and day_of_week == "?":
        return "day-of-month and day-of-week cannot both be '?'; give one of them"
    if "?" not in (day_of_month, day_of_week):
        return "one of day-of-month and day-of-week must be '?', like cron(0 4 * * ? *) or cron(0 4 ? * MON *)"
    for text, field in zip(fields, _CRON_FIELDS, strict=True):
        problem = _cron_field_problem(text, field)
        if problem:
            return problem
    return None


def _cron_field_problem(text: str, field: tuple[str, int, int, tuple[str, ...]]) -> str | None:
    name = field[0]
    if text == "?":
        days = ("day-of-month", "day-of-week")
        return None if name in days else f"'?' is only for day-of-month or day-of-week, not {name}"
    for item in text.split(","):
        if not _cron_item_ok(item, field):
            return f"{name} {shorten(item)} is not valid: use {_cron_help(field)}"
    return None


def _cron_help(field: tuple[str, int, int, tuple[str, ...]]) -> str:
    name, lowest, highest, names = field
    words = f"{lowest}-{highest}" + (f" or {names[0]}-{names[-1]}" if names else "")
    extras = {"day-of-month": ", L or W", "day-of-week": ", L or #"}.get(name, "")
    return f"{words}, with * , - /{extras}"


def _cron_item_ok(item: str, field: tuple[str, int, int, tuple[str, ...]]) -> bool:
    name = field[0]
    base, slash, step = item.partition("/")
    if slash and not (step.isdigit() and int(step) > 0):
        return False
    if base == "*":
        return True
    if name == "day-of-month" and (base in ("L", "LW") or (base.endswith("W") and _value(base[:-1], field))):
        return not slash
    if name == "day-of-week" and _day_of_week_special(base):
        return not slash
    low, dash, high = base.partition("-")
    if dash:
        return _value(low, field) is not None and _value(high, field) is not None
    return _value(base, field) is not None


def _day_of_week_special(base: str) -> bool:
    field = _CRON_FIELDS[4]
    if base == "L":
        return True
    if base.endswith("L"):
        return _value(base[:-1], field) is not None
    day, hash_sign, nth = base.partition("#")
    return bool(hash_sign) and _value(day, field) is not None and nth in ("1", "2", "3", "4", "5")


def _value(text: str, field: tuple[str, int, int, tuple[str, ...]]) -> int | None:
    _, lowest, highest, names = field
    if text.upper() in names:
        return lowest + names.index(text.upper())
    if text.isascii() and text.isdigit() and lowest <= int(text) <= highest:
        return int(text)
    return None


def _rate_problem(inner: str) -> str | None:
    parts = inner.split()
    if len(parts) != 2:
        return "rate(...) takes a value and a unit, like rate(7 days)"
    value, unit = parts
    if not (value.isascii() and value.isdigit() and int(value) > 0):
        return f"rate value {shorten(value)} must be a whole number greater than 0"
    singular = unit.removesuffix("s")
    if singular not in _RATE_UNITS:
        return f"rate unit {shorten(unit)} must be minutes, hours or days"
    expected = singular if int(value) == 1 else f"{singular}s"
    if unit != expected:
        return f"write rate({value} {expected})"
    return None


def duration_minutes(duration: int | str) -> int | None:
    """Minutes of a change window duration (`90`, `"2h"`, `"90m"`, `"1h30m"`), None if unreadable."""
    if isinstance(duration, int) and not isinstance(duration, bool):
        return duration
    match = _DURATION.match(duration) if isinstance(duration, str) else None
    if not match or not any(match.groups()):
        return None
    hours, minutes = (int(group or 0) for group in match.groups())
    return hours * 60 + minutes


def s3_prefix_problem(uri: str) -> str | None:
    """What is wrong with an S3 prefix URI (`s3://bucket/some/prefix/`)."""
    if not uri.startswith("s3://"):
        return "must be an S3 URI, like s3://bucket/prefix/"
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        return "has no bucket name: write s3://bucket/prefix/"
    if not _bucket_ok(bucket):
        return (
            f"bucket name {shorten(bucket)} is not valid: 3-63 lowercase letters, digits, dots and hyphens, "
            "starting and ending with a letter or digit"
        )
    if not uri.endswith("/"):
        return "must end with '/': it is a prefix"
    if "//" in key:
        return "has an empty path segment ('//')"
    return None


def _bucket_ok(bucket: str) -> bool:
    if not _BUCKET.match(bucket) or ".." in bucket or ".-" in bucket or "-." in bucket:
        return False
    try:
        ipaddress.IPv4Address(bucket)
    except ValueError:
        return True
    return False


def is_account(value: object) -> bool:
    return isinstance(value, str) and len(value) == 12 and value.isascii() and value.isdigit()


def role_account(arn: str) -> str | None:
    """The account of an IAM role ARN, or None when it is not one."""
    match = re.match(r"^arn:aws(?:-[a-z]+)*:iam::(\d{12}):role/(?:[^/]+/)*([^/]+)$", arn)
    return match.group(1) if match else None


def role_problem(arn: str) -> str | None:
    name = arn.rsplit("/", 1)[-1]
    if role_account(arn) and len(name) > 64:
        return f"role name is {len(name)} characters long; IAM allows at most 64"
    return None


def timezone_problem(name: str) -> str | None:
    if name in _time_zones():
        return None
    message = f"unknown time zone {shorten(name)}: use an IANA name like UTC or Europe/Berlin"
    guess = _time_zones_lowered().get(name.lower())
    return message + (f" (did you mean '{guess}'?)" if guess else "")


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


@cache
def _time_zones_lowered() -> dict[str, str]:
    return {zone.lower(): zone for zone in _time_zones()}
