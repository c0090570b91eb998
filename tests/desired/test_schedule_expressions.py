"""Duration, S3, role and time zone checks, on the examples the AWS documentation gives and their near misses."""

from __future__ import annotations

import pytest

from controller.desired.expressions import (
    duration_minutes,
    role_problem,
    s3_prefix_problem,
    timezone_problem,
)


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
