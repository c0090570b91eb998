"""Checks of the small languages inside string fields: durations, S3 URIs, role ARNs, time zones.

Each function takes the text as written and returns what is wrong with it (a message), or None. The semantic
rules (`rules.py`) call them; they know nothing about files or positions. Schedules have their own module,
`cron.py`, because they are evaluated too.
"""

from __future__ import annotations

import ipaddress
import re
import zoneinfo
from functools import cache

from controller.desired.problems import shorten

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_DURATION = re.compile(r"(?:([0-9]{1,9})h)?(?:([0-9]{1,9})m)?")


def duration_minutes(duration: int | str) -> int | None:
    """Minutes of a change window duration (`90`, `"2h"`, `"90m"`, `"1h30m"`), None if unreadable."""
    if isinstance(duration, int) and not isinstance(duration, bool):
        return duration
    match = _DURATION.fullmatch(duration) if isinstance(duration, str) else None
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
    if not _BUCKET.fullmatch(bucket) or ".." in bucket or ".-" in bucket or "-." in bucket:
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
    match = re.fullmatch(r"arn:aws(?:-[a-z]+)*:iam::([0-9]{12}):role/(?:[^/]+/)*([^/]+)", arn)
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
