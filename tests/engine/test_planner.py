"""The planner's rules on plain data: create, update, drift, conflicts, orphans, holds."""

from __future__ import annotations

import types

import pytest

from controller.engine.planner import build_plan
from controller.kinds.base import Live, Resource, spec_hash


def kind(name: str = "thing", *, creatable: bool = True, orphan=lambda live: None):
    return types.SimpleNamespace(NAME=name, ORDER=1, CREATABLE=creatable, orphan=orphan)


def resource(state, name="a", spec=None, **extra) -> Resource:
    spec = {"size": 1} if spec is None else spec
    return Resource(
        kind="thing",
        name=name,
        environment="prod",
        target=state.environments["prod"].target,
        spec=spec,
        source="prod/churn.yaml",
        model="churn",
        **extra,
    )


def live(name="a", spec=None, *, managed=True, applied=None, source="prod/churn.yaml") -> Live:
    spec = {"size": 1} if spec is None else spec
    return Live(name=name, spec=spec, managed=managed, applied_hash=applied, source=source)


def plan_of(state, resources, lives, kind_module=None):
    module = kind_module or kind()
    return build_plan(
        state,
        kinds={"thing": module},
        desired={("thing", "prod"): resources},
        live={("thing", "prod"): lives},
    )


def test_missing_object_is_created(make_state):
    state = make_state()
    plan = plan_of(state, [resource(state)], [])
    [change] = plan.changes
    assert (change.action, change.reason, change.hold, change.address) == (
        "create",
        "desired-change",
        None,
        "prod/thing/a",
    )


def test_equal_object_is_in_sync(make_state):
    state = make_state()
    plan = plan_of(state, [resource(state)], [live(applied=spec_hash({"size": 1}))])
    assert plan.changes == () and plan.in_sync == 1 and not plan.has_changes


def test_git_change_is_a_desired_change_with_field_diff(make_state):
    state = make_state()
    plan = plan_of(state, [resource(state, spec={"size": 2})], [live(applied=spec_hash({"size": 1}))])
    [change] = plan.changes
    assert (change.action, change.reason) == ("update", "desired-change")
    assert [(row.path, row.before, row.after) for row in change.diff] == [("size", 1, 2)]


def test_live_edit_after_apply_is_drift(make_state):
    state = make_state()
    plan = plan_of(state, [resource(state)], [live(spec={"size": 5}, applied=spec_hash({"size": 1}))])
    [change] = plan.changes
    assert (change.action, change.reason, change.hold) == ("update", "drift", None)


@pytest.mark.parametrize(("mode", "expected"), [("warn", "drift: warn"), ("ignore", None)])
def test_drift_mode_holds_or_ignores(make_state, mode, expected):
    state = make_state(prod={"drift": mode})
    plan = plan_of(state, [resource(state)], [live(spec={"size": 5}, applied=spec_hash({"size": 1}))])
    if expected is None:
        assert plan.changes == ()
    else:
        [change] = plan.changes
        assert change.hold == expected and not plan.has_changes


def test_unmanaged_same_name_object_is_a_held_conflict(make_state):
    state = make_state()
    plan = plan_of(state, [resource(state)], [live(spec={"size": 9}, managed=False)])
    [change] = plan.changes
    assert (change.action, change.reason) == ("none", "conflict")
    assert "adopt: true" in change.hold
    assert plan.actionable == ()


def test_adopt_takes_over_an_unmanaged_object(make_state):
    state = make_state()
    plan = plan_of(state, [resource(state, adopt=True)], [live(managed=False)])
    [change] = plan.changes
    assert (change.action, change.hold) == ("update", None)


@pytest.mark.parametrize(("prune", "hold"), [(False, "prune: false"), (True, None)])
def test_owned_orphan_is_deleted_only_with_prune(make_state, prune, hold):
    state = make_state(prod={"prune": prune})
    plan = plan_of(state, [], [live(name="gone", applied="x"), live(name="theirs", managed=False)])
    [change] = plan.changes
    assert (change.name, change.action, change.reason, change.hold) == ("gone", "delete", "orphan", hold)


def test_orphan_converging_kind_updates_instead_of_deleting(make_state):
    state = make_state()
    reverting = kind(orphan=lambda item: {"size": 0})
    plan = plan_of(
        state, [], [live(name="hand-made"), live(name="ours", applied=spec_hash({"size": 1}))], reverting
    )
    reasons = {change.name: (change.action, change.reason) for change in plan.changes}
    assert reasons == {"hand-made": ("update", "drift"), "ours": ("update", "orphan")}


def test_missing_object_of_a_kind_that_cannot_create_is_an_error(make_state):
    state = make_state()
    plan = plan_of(state, [resource(state, breadcrumb="approvedVersion")], [], kind(creatable=False))
    assert plan.changes == ()
    assert plan.errors == (
        "prod/churn.yaml: approvedVersion: thing a does not exist in account 333333333333",
    )


def test_suspended_environment_is_planned_but_held(make_state):
    state = make_state(prod={"suspended": True})
    plan = plan_of(state, [resource(state)], [])
    [change] = plan.changes
    assert change.hold == "environment prod is suspended" and not plan.has_changes


def test_a_kind_that_cannot_compute_desired_objects_is_an_error_not_an_empty_fleet(make_state):
    from controller.engine.reader import take_snapshot

    def broken(state):
        raise ValueError("prod/churn.yaml: template ../templates/mine.py: NameError: name 'x' is not defined")

    failing = types.SimpleNamespace(NAME="thing", SCOPE="environment", desired=broken)
    snapshot = take_snapshot(make_state(), kinds={"thing": failing}, clients=None)
    assert snapshot.errors == ("prod/churn.yaml: template ../templates/mine.py: NameError: name 'x' is not defined",)
    assert snapshot.live == {} and snapshot.desired == {}


def test_the_same_read_failure_everywhere_is_one_error_line(make_state):
    from controller.engine.reader import take_snapshot

    def no_credentials(clients, scope):
        raise RuntimeError("Unable to locate credentials")

    def desired(state):
        return []

    kinds = {
        name: types.SimpleNamespace(NAME=name, SCOPE="environment", desired=desired, read=no_credentials)
        for name in ("one", "two")
    }
    snapshot = take_snapshot(make_state(), kinds=kinds, clients=None)
    assert snapshot.errors == (
        "dev, prod: reading live state failed (4 kinds and accounts): Unable to locate credentials",
    )


def test_a_plan_with_errors_never_reads_as_no_changes(make_state):
    from controller.engine.plan import Plan
    from controller.engine.reports import render

    failed = Plan(revision="abc123", changes=(), errors=("prod: pipeline: reading live state failed: x",))
    report = render(failed, "text")
    assert report.rstrip().endswith("1 error(s): nothing can be applied until they are fixed.")
    assert "No changes" not in report


@pytest.mark.parametrize("mode", ["enforce", "warn", "ignore"])
@pytest.mark.parametrize("live_spec", [{"size": 1}, {"size": 2}, {}], ids=["same fields", "other fields", "empty"])
def test_an_unfinished_write_is_a_change_to_make_whatever_its_fields_and_drift_mode(make_state, mode, live_spec):
    state = make_state(prod={"drift": mode})
    pending = Live(name="a", spec=live_spec, managed=True, pending=True, arn="arn:thing/a")
    [change] = plan_of(state, [resource(state)], [pending]).changes
    assert (change.action, change.reason, change.hold) == ("update", "desired-change", None)
    assert change.payload["arn"] == "arn:thing/a"
    assert change.diff[-1].path == "smgitops:spec-hash" and change.diff[-1].after == spec_hash({"size": 1})


def test_an_unfinished_write_in_a_suspended_environment_waits(make_state):
    state = make_state(prod={"suspended": True})
    pending = Live(name="a", spec={"size": 1}, managed=True, pending=True)
    [change] = plan_of(state, [resource(state)], [pending]).changes
    assert (change.reason, change.hold) == ("desired-change", "environment prod is suspended")
