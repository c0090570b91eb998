"""Three `smgitops run --shard-by environment` replicas on the emulator split dev, staging, prod and the
registry, each shard held by exactly one; one is killed (no chance to release) and its shards move to the
survivors, whose new owner corrects a console change in a moved shard when its event arrives: that owner
reads no queue, so the event reaches the other survivor, which forwards its keys; and no shard was ever
written by two replicas during overlapping terms. Then one survivor stops (SIGTERM): the last one takes
everything.

The no-double-writer check reads every replica's log: each `change applied` (with its environment, the shard) must
fall inside a term of that replica on that shard (from the `shards held` line that gained it to its `shard released`
line, or the `shards held` line that lost it, or the kill), and a write by one replica after another's write to the
same shard must belong to a term that began after that earlier write: the lease changed hands in between. Leases
last 10 s: nothing here depends on how fast the processes run, only on waiting for conditions.
"""

from __future__ import annotations

import json
import signal
import time
from datetime import datetime

import pytest
from service_fleet import PIPELINE, edit_in_the_console, send

from controller.service import events
from controller.service.shards import owner, share

pytestmark = pytest.mark.aws

SHARDS = ("dev", "staging", "prod", "registry")
NAMES = ("replica-a", "replica-b", "replica-c")
OPTIONS = (
    "--interval", "0.5", "--resync", "600", "--queue-wait", "1",
    "--lease-table", "smgitops-lease", "--create-lease-table", "--lease-duration", "10", "--shard-by", "environment",
)


def wall(line: dict) -> float:
    return datetime.fromisoformat(line["timestamp"].replace("Z", "+00:00")).timestamp()


def held(replica) -> list[str]:
    status, body = replica.http("/shards")
    assert status == 200
    return json.loads(body)["shards"]


def wait_for_split(replicas, expected: dict[str, list[str]], timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        now = {replica.name: held(replica) for replica in replicas}
        if now == expected:
            return
        assert time.monotonic() < deadline, f"shards held {now}, expected {expected}"
        time.sleep(0.5)


def wait_for_holder(replicas, shard: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while True:
        holders = [replica for replica in replicas if shard in held(replica)]
        if len(holders) == 1:
            return holders[0]
        assert time.monotonic() < deadline, f"{shard} held by {[replica.name for replica in holders]}"
        time.sleep(0.5)


def send_console_event(fleet, environment: str) -> None:
    target = fleet.state.environments[environment].target
    event = {
        "detail-type": events.API_CALL, "source": "aws.sagemaker", "account": target.account, "region": target.region,
        "detail": {
            "eventSource": "sagemaker.amazonaws.com", "eventName": "UpdatePipeline", "awsRegion": target.region,
            "recipientAccountId": target.account, "requestParameters": {"pipelineName": PIPELINE},
            "userIdentity": {"arn": f"arn:aws:sts::{target.account}:assumed-role/Admin/dana"},
        },
    }
    send(fleet, event)


def converged(replica, timeout: float = 240.0) -> dict:
    """The first full reconcile after the replica's last change of shards, once it wrote all it had to."""
    changed = replica.events("shards held")[-1]
    done = replica.wait_for("reconciled", scope="full", after=changed["at"], timeout=timeout)
    assert done["outcome"] in ("applied", "in-sync"), done
    return done


def terms(replica, *, ended: float) -> dict[str, list[tuple[float, float]]]:
    """(start, end) wall times of each shard's terms in this replica's log; an open term ends at `ended`. A term
    ends when the shard stops being held: at its `shard released` line when the replica gave it up (a shard
    given up during a write stays leased, and is released, once that write has finished), else at the `shards
    held` line that lost it."""
    found: dict[str, list[tuple[float, float]]] = {shard: [] for shard in SHARDS}
    began: dict[str, float] = {}
    released = sorted((wall(line), line["shard"]) for line in replica.events("shard released"))
    for line in replica.events("shards held"):
        for shard in line["gained"]:
            began[shard] = wall(line)
        for shard in line["lost"]:
            lost = wall(line)
            end = next((at for at, name in released if name == shard and at >= lost), lost)
            found[shard].append((began.pop(shard), end))
    for shard, start in began.items():
        found[shard].append((start, ended))
    return found


def assert_one_writer_per_shard(replicas, ended: dict[str, float]) -> int:
    """The check described above; returns how many writes it judged."""
    writes = sorted(
        (wall(line), line["environment"], replica.name)
        for replica in replicas
        for line in replica.events("change applied")
    )
    held_terms = {replica.name: terms(replica, ended=ended[replica.name]) for replica in replicas}
    last: dict[str, tuple[float, str]] = {}
    for at, shard, name in writes:
        term = [(start, end) for start, end in held_terms[name][shard] if start <= at <= end]
        assert term, f"{name} wrote {shard} at {at} outside its terms {held_terms[name][shard]}"
        previous = last.get(shard)
        if previous is not None and previous[1] != name:
            assert term[0][0] > previous[0], f"{name} wrote {shard} in a term that began before {previous[1]}'s write"
        last[shard] = (at, name)
    return len(writes)


def test_three_replicas_split_the_shards_and_a_dead_ones_move_without_two_writers(fleet):
    expected = {name: sorted(share(SHARDS, members=NAMES, member=name)) for name in NAMES}
    victim = "replica-c"
    moved = [shard for shard in expected[victim] if shard in ("dev", "staging")]
    assert moved and all(expected.values()), f"the names give every replica a shard: {expected}"
    heir = owner(moved[0], [name for name in NAMES if name != victim])
    queue = {name: ("--queue-url", fleet.queue_url) if name != heir else () for name in NAMES}
    replicas = [fleet.start(*OPTIONS, *queue[name], "--holder", name, name=name) for name in NAMES]
    for replica in replicas:
        replica.wait_for("health server", timeout=120)
    wait_for_split(replicas, expected)
    for replica in replicas:
        converged(replica)
    assert_one_writer_per_shard(replicas, {name: float("inf") for name in NAMES})

    killed = time.time()
    dead = next(replica for replica in replicas if replica.name == victim)
    dead.process.send_signal(signal.SIGKILL)
    dead.wait(timeout=30)
    survivors = [replica for replica in replicas if replica is not dead]
    after = {name: sorted(share(SHARDS, members=[s.name for s in survivors], member=name)) for name in expected}
    after.pop(victim)
    wait_for_split(survivors, after, timeout=120)
    new_owner = next(replica for replica in survivors if replica.name == heir)
    assert moved[0] in held(new_owner)
    gained = [line for line in new_owner.events("shards held") if moved[0] in line["gained"]][-1]
    assert wall(gained) > killed
    settled = converged(new_owner)
    assert f'smgitops_shard_held{{shard="{moved[0]}"}} 1.0' in new_owner.http("/metrics")[1]
    assert new_owner.http("/readyz")[0] == 200
    assert moved[0] in settled["shards"]
    if settled["outcome"] == "applied":  # the dead one was cut short (a loaded machine): the heir finished it
        finished = [line["address"] for line in new_owner.events("change applied") if line["at"] > gained["at"]]
        print(f"{heir} finished after taking over: {finished}")

    receiver = next(replica for replica in survivors if replica is not new_owner)
    edit_in_the_console(fleet, moved[0])
    send_console_event(fleet, moved[0])
    receiver.wait_for("event queued", environment=moved[0], timeout=60)
    new_owner.wait_for("event keys forwarded", keys=[f"{moved[0]}/churn"], timeout=60)
    fixed = new_owner.wait_for(
        "change applied", environment=moved[0], address=f"{moved[0]}/pipeline/{PIPELINE}", reason="drift",
        after=settled["at"], timeout=120,
    )
    assert wall(fixed) > killed

    assert receiver.stop() == 0  # SIGTERM: it releases its shards and leaves, the last one takes them at once
    stopped = time.time()
    wait_for_split([new_owner], {heir: sorted(SHARDS)}, timeout=60)
    converged(new_owner)
    assert new_owner.stop() == 0
    ended = {heir: float("inf"), receiver.name: stopped, victim: killed}
    judged = assert_one_writer_per_shard(replicas, ended)
    assert judged > 10, "the fleet was created and corrected through these replicas"
    writers = {line["environment"] for replica in replicas for line in replica.events("change applied")}
    assert writers == set(SHARDS), "every shard was written by someone"
