"""Change windows: when they are open across time zones and daylight-saving jumps, when they open next, and the
planner holding every change of an environment outside its windows."""

from __future__ import annotations

import types
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from controller.desired.model import ChangeWindow
from controller.engine.planner import build_plan
from controller.engine.windows import is_open, next_open, window_hold
from controller.kinds.base import Live, Resource, spec_hash

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAY_MORNINGS = ChangeWindow("cron(0 9 ? * MON-FRI *)", 180, "Europe/Berlin")


def at(text: str, zone: str = "UTC") -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def test_no_windows_is_always_open():
    now = at("2024-06-01 03:00")
    assert is_open((), now) and next_open((), now) == now and window_hold((), now) is None


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2024-06-03 08:59", False),  # Monday, one minute before it opens
        ("2024-06-03 09:00", True),
        ("2024-06-03 11:59", True),
        ("2024-06-03 12:00", False),  # 180 minutes later it is closed again
        ("2024-06-01 10:00", False),  # Saturday
    ],
)
def test_open_in_the_windows_own_time_zone(moment, expected):
    assert is_open([WEEKDAY_MORNINGS], at(moment, "Europe/Berlin")) is expected


def test_the_same_instant_is_inside_one_zones_window_and_outside_anothers():
    now = at("2024-06-03 13:30")  # 09:30 in New York, 22:30 in Tokyo
    assert is_open([ChangeWindow("cron(0 9 ? * MON-FRI *)", 60, "America/New_York")], now)
    assert not is_open([ChangeWindow("cron(0 9 ? * MON-FRI *)", 60, "Asia/Tokyo")], now)
    assert is_open([ChangeWindow("cron(0 13 ? * MON-FRI *)", 60)], now)  # timezone defaults to UTC


def test_naive_times_are_read_as_utc():
    assert is_open([ChangeWindow("cron(0 13 * * ? *)", 60)], datetime(2024, 6, 3, 13, 30))


def test_a_window_opened_on_friday_evening_stays_open_over_the_weekend():
    weekend = ChangeWindow("cron(0 22 ? * FRI *)", 3 * 24 * 60, "Europe/Berlin")
    assert is_open([weekend], at("2024-06-09 12:00", "Europe/Berlin"))  # Sunday noon
    assert not is_open([weekend], at("2024-06-10 22:00", "Europe/Berlin"))  # Monday night
    assert not is_open([weekend], at("2024-06-07 21:59", "Europe/Berlin"))


def test_daylight_saving_moves_the_utc_opening_time():
    window = ChangeWindow("cron(0 9 ? * MON-FRI *)", 30, "Europe/Berlin")
    assert is_open([window], at("2024-01-08 08:10"))  # winter: 09:00 in Berlin is 08:00 UTC
    assert is_open([window], at("2024-07-08 07:10"))  # summer: 09:00 in Berlin is 07:00 UTC
    assert not is_open([window], at("2024-07-08 08:10"))


def test_an_opening_time_skipped_by_the_spring_jump_does_not_happen():
    nightly = ChangeWindow("cron(30 2 * * ? *)", 60, "Europe/Berlin")
    # On 2024-03-31 Berlin clocks go from 02:00 straight to 03:00: 02:30 never shows.
    assert is_open([nightly], at("2024-03-30 02:45", "Europe/Berlin"))
    assert not is_open([nightly], at("2024-03-31 03:10", "Europe/Berlin"))
    assert next_open([nightly], at("2024-03-31 00:00", "Europe/Berlin")) == at("2024-04-01 02:30", "Europe/Berlin")


def test_an_opening_time_shown_twice_by_the_autumn_jump_opens_once():
    nightly = ChangeWindow("cron(30 2 * * ? *)", 30, "Europe/Berlin")
    # On 2024-10-27 Berlin shows 02:30 at 00:30 UTC (summer time) and again at 01:30 UTC (winter time).
    assert is_open([nightly], at("2024-10-27 00:40"))
    assert not is_open([nightly], at("2024-10-27 01:40"))
    opening = next_open([nightly], at("2024-10-27 00:00"))
    # (compared in UTC: Python never calls a time in the repeated hour equal to one in another zone)
    assert opening.astimezone(UTC) == at("2024-10-27 00:30") and opening.tzinfo == BERLIN


def test_next_open_is_now_when_open_and_the_next_opening_in_its_zone_otherwise():
    saturday = at("2024-06-01 10:00", "Europe/Berlin")
    assert next_open([WEEKDAY_MORNINGS], saturday) == at("2024-06-03 09:00", "Europe/Berlin")
    monday = at("2024-06-03 10:00", "Europe/Berlin")
    assert next_open([WEEKDAY_MORNINGS], monday) == monday


def test_next_open_picks_the_earliest_of_several_windows():
    tokyo = ChangeWindow("cron(0 8 ? * SAT *)", 60, "Asia/Tokyo")  # Friday 23:00 UTC
    opening = next_open([WEEKDAY_MORNINGS, tokyo], at("2024-05-31 20:00"))
    assert opening == at("2024-06-01 08:00", "Asia/Tokyo") and str(opening.tzinfo) == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("schedule", "open_at", "closed_at"),
    [
        ("cron(0/15 9,17 ? * * *)", "2024-06-04 17:31", "2024-06-04 17:36"),  # steps and lists
        ("cron(10-20/5 * * * ? *)", "2024-06-04 06:15", "2024-06-04 06:25"),  # a range with a step
        ("cron(0 0 ? * FRI-MON *)", "2024-06-09 00:01", "2024-06-04 00:01"),  # a range over the week's end
        ("cron(0 0 ? JAN,JUN SUN *)", "2024-06-02 00:01", "2024-07-07 00:01"),  # month names
        ("cron(0 0 L * ? *)", "2024-02-29 00:01", "2024-02-28 00:01"),  # last day of the month
        ("cron(0 0 15W * ? *)", "2024-06-14 00:01", "2024-06-15 00:01"),  # weekday nearest the 15th (a Saturday)
        ("cron(0 0 ? * 2#1 *)", "2024-06-03 00:01", "2024-06-10 00:01"),  # first Monday
        ("cron(0 0 ? * 6L *)", "2024-06-28 00:01", "2024-06-21 00:01"),  # last Friday
        ("cron(0 0 1 1 ? 2024)", "2024-01-01 00:01", "2025-01-01 00:01"),  # one year only
    ],
)
def test_eventbridge_cron_fields(schedule, open_at, closed_at):
    window = ChangeWindow(schedule, 5)
    assert is_open([window], at(open_at))
    assert not is_open([window], at(closed_at))


def test_next_open_jumps_to_a_later_year_and_knows_when_a_window_never_opens_again():
    assert next_open([ChangeWindow("cron(0 9 1 1 ? 2030)", 60)], at("2026-05-01 00:00")) == at("2030-01-01 09:00")
    gone = [ChangeWindow("cron(0 9 1 1 ? 2020)", 60)]
    assert next_open(gone, at("2026-05-01 00:00")) is None
    assert window_hold(gone, at("2026-05-01 00:00")) == "outside change window (no window opens again)"


def test_hold_names_the_next_opening_in_local_time():
    assert window_hold([WEEKDAY_MORNINGS], at("2024-06-01 10:00")) == (
        "outside change window (next opens 2024-06-03 09:00 Europe/Berlin)"
    )


# The planner, on plain data (see test_planner.py for the style).

SATURDAY = at("2024-06-01 10:00")
MONDAY = at("2024-06-03 09:30", "Europe/Berlin")
HOLD = "outside change window (next opens 2024-06-03 09:00 Europe/Berlin)"


def thing(state, environment, name, spec) -> Resource:
    return Resource(
        kind="thing",
        name=name,
        environment=environment,
        target=state.environments[environment].target,
        spec=spec,
        source=f"{environment}/churn.yaml",
        model="churn",
    )


def owned(name, spec, applied) -> Live:
    return Live(name=name, spec=spec, managed=True, applied_hash=spec_hash(applied), source="prod/churn.yaml")


def plan_at(state, now, **options):
    """prod: one object to create, one drifted, one orphan; dev (no windows): one object to create."""
    return build_plan(
        state,
        kinds={"thing": types.SimpleNamespace(NAME="thing", ORDER=1, CREATABLE=True, orphan=lambda live: None)},
        desired={
            ("thing", "prod"): [thing(state, "prod", "new", {"size": 1}), thing(state, "prod", "edited", {"size": 1})],
            ("thing", "dev"): [thing(state, "dev", "new", {"size": 1})],
        },
        live={("thing", "prod"): [owned("edited", {"size": 5}, {"size": 1}), owned("gone", {"size": 1}, {"size": 1})]},
        now=now,
        **options,
    )


def holds(plan) -> dict[str, str | None]:
    return {change.address: change.hold for change in plan.changes}


def test_outside_its_window_every_change_of_the_environment_is_held(make_state):
    state = make_state(prod={"change_windows": (WEEKDAY_MORNINGS,), "prune": True})
    plan = plan_at(state, SATURDAY)
    assert holds(plan) == {
        "prod/thing/new": HOLD,
        "prod/thing/edited": HOLD,
        "prod/thing/gone": HOLD,
        "dev/thing/new": None,
    }
    assert [change.address for change in plan.actionable] == ["dev/thing/new"]
    assert plan.overrides == ()


def test_inside_its_window_changes_apply(make_state):
    state = make_state(prod={"change_windows": (WEEKDAY_MORNINGS,), "prune": True})
    plan = plan_at(state, MONDAY)
    assert set(holds(plan).values()) == {None} and len(plan.actionable) == 4


def test_a_change_already_held_for_another_reason_keeps_that_reason(make_state):
    state = make_state(prod={"change_windows": (WEEKDAY_MORNINGS,), "prune": False, "drift": "warn"})
    plan = plan_at(state, SATURDAY)
    assert holds(plan)["prod/thing/gone"] == "prune: false"
    assert holds(plan)["prod/thing/edited"] == "drift: warn"


def test_ignoring_change_windows_applies_and_is_recorded_in_the_plan(make_state):
    state = make_state(prod={"change_windows": (WEEKDAY_MORNINGS,), "prune": True})
    plan = plan_at(state, SATURDAY, ignore_change_windows=True)
    assert set(holds(plan).values()) == {None}
    assert plan.overrides == (f"prod: {HOLD}; applied anyway (--ignore-change-windows)",)
    assert plan.to_dict()["overrides"] == list(plan.overrides)


@pytest.mark.parametrize(
    ("variable", "flag", "expected"),
    [(None, [], False), ("1", [], True), (None, ["--ignore-change-windows"], True), ("no", [], False)],
)
def test_the_override_comes_from_the_flag_or_the_environment_variable(monkeypatch, variable, flag, expected):
    from controller.main import build_parser

    if variable is None:
        monkeypatch.delenv("SMGITOPS_IGNORE_CHANGE_WINDOWS", raising=False)
    else:
        monkeypatch.setenv("SMGITOPS_IGNORE_CHANGE_WINDOWS", variable)
    for verb in ("plan", "apply"):
        assert build_parser().parse_args([verb, *flag]).ignore_change_windows is expected


@pytest.mark.parametrize("minutes", [10**9, 2 * 10**9, 10**12, 10**20])
def test_a_window_longer_than_the_calendar_is_open_after_its_first_opening(minutes):
    window = ChangeWindow("cron(0 9 * * ? *)", minutes)
    assert is_open([window], at("2024-06-03 09:00")) and window_hold([window], at("2024-06-03 10:00")) is None
    late = ChangeWindow("cron(0 9 1 1 ? 2030)", minutes)
    assert not is_open([late], at("2024-06-03 09:00"))
