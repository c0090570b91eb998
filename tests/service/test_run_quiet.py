"""A hundred quiet resync cycles: with nothing changed in git or in the accounts, `smgitops run` reads and
reads again but makes no write call and sends no notification (the `stopped` line counts both). After the
first (full) read, a quiet resync only lists (one call per kind and account), and `--stats` prints its reads
per managed object. The fleet is cut down to the dev account (churn: two pipelines, two schedules, six
rules, a topic, approvals) so that a hundred cycles take seconds."""

from __future__ import annotations

import shutil
import time

import pytest
import yaml

from controller.desired import load
from controller.desired.revision import revision_of
from controller.engine.reconcile import reconcile

pytestmark = pytest.mark.aws


def test_a_hundred_quiet_resync_cycles_make_no_write_and_send_no_notification(fleet):
    directory = dev_only(fleet.repo / "desired_state", fleet.repo / "dev-only")
    state = load(directory, revision=revision_of(directory)).state
    assert reconcile(state, clients=fleet.clients).reason == "applied"

    started = time.monotonic()
    controller = fleet.start(
        "--resync", "0", "--interval", "3600", "--max-cycles", "100", "--stats", source=str(directory)
    )
    assert controller.wait(timeout=120) == 0, controller.tail()
    elapsed = time.monotonic() - started

    summary = controller.summary()
    print(f"100 quiet cycles in {elapsed:.1f} s: {summary['reads']} reads, {summary['writes']} writes")
    assert summary["full_cycles"] == 100
    assert summary["writes"] == 0, summary["calls"]
    assert summary["notifications"] == 0
    assert summary["reads"] >= 100 * 5, "every cycle lists every kind in every account"
    assert (summary["full_resyncs"], summary["cheap_resyncs"]) == (1, 99)
    print(f"reads per object: {summary['cheap_reads_per_object']} cheap, {summary['full_reads_per_object']} full")
    assert summary["cheap_reads_per_object"] < 1 < summary["full_reads_per_object"]
    cheap = controller.events("reconciled", read="cheap")
    assert {line["reads"] for line in cheap} == {6 + 1}, "a list per kind and group"
    assert abs(cheap[-1]["reads_per_object"] - cheap[-1]["reads"] / cheap[-1]["objects"]) < 1e-3
    printed = [line["event"] for line in controller.lines if line.get("unparsed")]
    assert any(text.startswith("cheap resyncs: 99, ") for text in printed), printed
    outcomes = {line["outcome"] for line in controller.events("reconciled")}
    assert outcomes == {"in-sync"}
    assert not controller.events("change applied")
    assert not controller.events("notification sent")


def dev_only(example, directory):
    """A copy of the example desired state with the dev environment only."""
    shutil.copytree(example / "dev", directory / "dev")
    environments = yaml.safe_load((example / "environments.yaml").read_text())
    environments["environments"] = {"dev": environments["environments"]["dev"]}
    (directory / "environments.yaml").write_text(yaml.safe_dump(environments, sort_keys=False))
    return directory
