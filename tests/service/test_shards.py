"""Shard leases against the emulator, on a clock the test drives: every replica computes the same split, every
shard gets exactly one holder, a replica that joins takes its share from the others (released, not waited
out), and the shards of a replica that dies move to the survivors once its lease and its membership expire."""

from __future__ import annotations

import itertools

import pytest
from test_lease import DrivenClock

from controller.desired.model import Account
from controller.service.lease import Lease
from controller.service.shards import ShardLeases, owner, share

pytestmark = pytest.mark.aws

REGISTRY = Account("111111111111", "us-east-1", "arn:aws:iam::111111111111:role/smgitops-registry")
TABLE = "smgitops-lease"
SHARDS = ("dev", "staging", "prod", "registry")
DURATION = 30.0


def test_every_replica_computes_the_same_split_and_a_join_or_death_moves_only_its_own_shards():
    shards = [f"env-{number}" for number in range(200)]
    members = ("replica-a", "replica-b", "replica-c")
    shares = {member: share(shards, members=members, member=member) for member in members}
    assert sorted(itertools.chain(*shares.values())) == sorted(shards), "each shard exactly once"
    assert all(40 <= len(mine) <= 95 for mine in shares.values()), {m: len(s) for m, s in shares.items()}
    assert share(shards, members=members, member="replica-d") == frozenset(), "not a member: no share"

    after_join = {shard: owner(shard, (*members, "replica-d")) for shard in shards}
    moved = {shard for shard in shards if after_join[shard] != owner(shard, members)}
    assert moved and all(after_join[shard] == "replica-d" for shard in moved), "a newcomer takes, nobody swaps"

    survivors = ("replica-a", "replica-c")
    for shard in shards:
        if owner(shard, members) != "replica-b":
            assert owner(shard, survivors) == owner(shard, members), "a death moves only the dead one's shards"
    assert share(shards, members=("replica-a",), member="replica-a") == frozenset(shards), "alone: everything"


def replicas(aws, clock: DrivenClock, *names: str) -> dict[str, ShardLeases]:
    dynamodb = aws.client("dynamodb", REGISTRY)
    made = {
        name: ShardLeases(
            dynamodb, table=TABLE, lease_name="smgitops", holder=name, duration=DURATION, by="environment", clock=clock
        )
        for name in names
    }
    Lease(dynamodb, table=TABLE, name="smgitops", holder="-", duration=1).ensure_table(create=True)
    return made


def rounds(fleet: dict[str, ShardLeases], count: int = 2) -> dict[str, frozenset[str]]:
    for _ in range(count):
        held = {name: leases.tick(SHARDS, revision="abc123") for name, leases in fleet.items()}
    return held


def holders(aws) -> dict[str, str]:
    dynamodb = aws.client("dynamodb", REGISTRY)
    found = {}
    for shard in SHARDS:
        item = dynamodb.get_item(TableName=TABLE, Key={"name": {"S": f"smgitops/{shard}"}}, ConsistentRead=True)
        found[shard] = item["Item"]["holder"]["S"] if "Item" in item else ""
    return found


def assert_split(held: dict[str, frozenset[str]]) -> None:
    assert sorted(itertools.chain(*held.values())) == sorted(SHARDS), held


def test_one_replica_alone_holds_every_shard(aws):
    clock = DrivenClock()
    fleet = replicas(aws, clock, "replica-a")
    assert rounds(fleet, 1) == {"replica-a": frozenset(SHARDS)}
    assert set(holders(aws).values()) == {"replica-a"}


def test_a_joining_replica_takes_its_share_which_the_others_release(aws):
    clock = DrivenClock()
    fleet = replicas(aws, clock, "replica-a", "replica-b", "replica-c")
    alone = {"replica-a": fleet["replica-a"]}
    assert rounds(alone, 1)["replica-a"] == frozenset(SHARDS)

    held = rounds(fleet)  # the others joined: a releases what is theirs, they take it, no time passes
    assert_split(held)
    expected = {name: share(SHARDS, members=tuple(fleet), member=name) for name in fleet}
    assert held == expected
    assert holders(aws) == {shard: owner(shard, tuple(fleet)) for shard in SHARDS}


def test_the_shards_of_a_dead_replica_move_once_its_lease_expires_and_not_before(aws):
    clock = DrivenClock()
    fleet = replicas(aws, clock, "replica-a", "replica-b", "replica-c")
    held = rounds(fleet)
    dead = max(held, key=lambda name: len(held[name]))
    orphaned = held[dead]
    survivors = {name: leases for name, leases in fleet.items() if name != dead}

    clock.advance(DURATION / 2)  # the dead one's membership and leases are still valid
    still = rounds(survivors)
    assert not set(itertools.chain(*still.values())) & orphaned, "nobody takes a lease that has not expired"
    assert holders(aws) == {shard: owner(shard, tuple(fleet)) for shard in SHARDS}

    clock.advance(DURATION / 2 + 1)  # now expired: the survivors split the dead one's shards between them
    moved = rounds(survivors)
    assert_split(moved)
    assert set(holders(aws).values()) == set(survivors)
    for name in survivors:
        assert held[name] <= moved[name], "a survivor keeps what it had"
    assert not fleet[dead].owned(), "past its trust the dead one (were it only paused) would not write"


def test_a_shard_being_written_is_kept_until_the_write_ends_and_is_not_writable_meanwhile(aws):
    clock = DrivenClock()
    fleet = replicas(aws, clock, "replica-a", "replica-b")
    first = fleet["replica-a"]
    assert rounds({"replica-a": first}, 1)["replica-a"] == frozenset(SHARDS)
    theirs = share(SHARDS, members=tuple(fleet), member="replica-b")
    assert theirs, "the split gives replica-b something"
    with first.writing(SHARDS):
        assert first.writable(SHARDS)
        rounds(fleet)
        assert not first.writable(SHARDS), "a shard given up stops the write before its next batch"
        assert first.writable(set(SHARDS) - theirs)
        assert holders(aws)[next(iter(theirs))] == "replica-a", "kept while written to"
        assert not fleet["replica-b"].owned() & theirs
    held = rounds(fleet)
    assert held == {name: share(SHARDS, members=tuple(fleet), member=name) for name in fleet}


def test_the_keys_of_an_event_reach_the_holders_of_their_shards_at_their_next_renewal(aws):
    clock = DrivenClock()
    fleet = replicas(aws, clock, "replica-a", "replica-b", "replica-c")
    held = rounds(fleet)
    receiver = next(name for name in fleet if "dev" not in held[name] and "registry" not in held[name])
    fleet[receiver].forward({("dev", "churn"), ("dev", "customer-ltv")})
    forwarded = {name: leases.take_forwarded() for name, leases in fleet.items()}
    assert forwarded == {name: set() for name in fleet}, "nothing arrives before a renewal"

    clock.advance(DURATION / 4)
    rounds(fleet, 1)
    forwarded = {name: leases.take_forwarded() for name, leases in fleet.items()}
    dev, registry = owner("dev", tuple(fleet)), owner("registry", tuple(fleet))
    assert forwarded[dev] == {("dev", "churn"), ("dev", "customer-ltv")}
    assert forwarded[registry] >= {("dev", "churn"), ("dev", "customer-ltv")}, "the registry's holder too"
    assert forwarded[receiver] == set()
    clock.advance(DURATION / 4)
    rounds(fleet, 1)
    assert all(not leases.take_forwarded() for leases in fleet.values()), "handed over once"


def test_a_replica_that_stops_before_any_heartbeat_leaves_the_members_usable(aws):
    clock = DrivenClock()
    fleet = replicas(aws, clock, "replica-a", "replica-b")
    fleet["replica-b"].release_all()  # SIGTERM before its first round: nothing to leave, nothing created
    assert rounds(fleet) == {name: share(SHARDS, members=tuple(fleet), member=name) for name in fleet}
    fleet["replica-b"].release_all()
    assert rounds({"replica-a": fleet["replica-a"]}, 1)["replica-a"] == frozenset(SHARDS), "left: a takes all"
