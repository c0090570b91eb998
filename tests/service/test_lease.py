"""The DynamoDB lease against the emulator: one holder at a time, renewal, takeover after expiry, release, and
the table created only when asked."""

from __future__ import annotations

import time

import pytest

from controller.desired.model import Account
from controller.service.lease import Clock, Lease, LeaseError, LeaseKeeper

pytestmark = pytest.mark.aws

REGISTRY = Account("111111111111", "us-east-1", "arn:aws:iam::111111111111:role/smgitops-registry")
TABLE = "smgitops-lease"


def lease(aws, holder: str, duration: float = 30.0) -> Lease:
    return Lease(aws.client("dynamodb", REGISTRY), table=TABLE, name="smgitops", holder=holder, duration=duration)


def test_the_table_is_created_only_when_asked(aws_one_attempt):
    first = lease(aws_one_attempt, "a")
    with pytest.raises(LeaseError, match=r"^lease table smgitops-lease does not exist; .* --create-lease-table$"):
        first.ensure_table(create=False)
    first.ensure_table(create=True)
    first.ensure_table(create=False)
    first.ensure_table(create=True)


def test_one_holder_at_a_time_with_its_revision(aws):
    first, second = lease(aws, "replica-a"), lease(aws, "replica-b")
    first.ensure_table(create=True)
    assert first.refresh("abc123") and first.held
    assert not second.refresh("abc123") and not second.held
    assert first.refresh("def456"), "the holder renews"
    record = second.current()
    assert (record.holder, record.revision) == ("replica-a", "def456")
    assert record.expires_at > time.time() + 25


def test_the_standby_takes_over_an_expired_lease_and_the_old_holder_stops_trusting_it(aws):
    first, second = lease(aws, "replica-a", duration=0.4), lease(aws, "replica-b", duration=0.4)
    first.ensure_table(create=True)
    assert first.refresh("abc123")
    time.sleep(0.5)
    assert not first.held, "past three quarters of the duration without renewal, the holder stops writing"
    assert second.refresh("abc123")
    assert not first.refresh("abc123"), "taken over: the old holder cannot renew"
    assert second.current().holder == "replica-b"


def test_release_lets_the_standby_in_at_once(aws):
    first, second = lease(aws, "replica-a"), lease(aws, "replica-b")
    first.ensure_table(create=True)
    assert first.refresh("abc123")
    second.release()  # not the holder: changes nothing
    assert not second.refresh("abc123")
    first.release()
    assert not first.held
    assert second.refresh("abc123")


def test_the_keeper_reports_the_first_answer_and_each_change(aws):
    clock = DrivenClock()
    first, second = (
        Lease(aws.client("dynamodb", REGISTRY), table=TABLE, name="smgitops", holder=holder, duration=0.8, clock=clock)
        for holder in ("replica-a", "replica-b")
    )
    first.ensure_table(create=True)
    reported: list[bool] = []
    assert first.refresh("abc")
    keeper = LeaseKeeper(second, revision=lambda: "abc", on_change=reported.append)
    keeper.start()
    try:
        wait_until(lambda: reported == [False])
        time.sleep(0.3)  # several more tries, however slow: the lease has not expired on the driven clock
        assert reported == [False], "standing by is reported once"
        clock.advance(1.0)
        wait_until(lambda: reported == [False, True])
    finally:
        keeper.stop()
        keeper.join(timeout=5)


def wait_until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


class DrivenClock(Clock):
    """Time moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def wall(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_every_call_the_lease_makes_is_in_its_declared_permissions(aws):
    from controller.service.lease import PERMISSIONS

    declared = {action for grant in PERMISSIONS for action in grant.actions}

    first, second = lease(aws, "replica-a"), lease(aws, "replica-b")
    first.ensure_table(create=True)
    before = aws.calls.snapshot()
    first.ensure_table(create=False)
    assert first.refresh("abc123") and not second.refresh("abc123")
    second.current()
    first.release()
    made = {operation for operation in aws.calls.since(before).by_operation() if not operation.startswith("sts:")}
    assert made and made <= declared, made - declared
