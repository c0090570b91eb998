"""smgitops's half of the benchmark: seed, apply once, then time no-change plans and count their requests.

`plan_vs_terraform.py` calls `seed`, `apply_cli`, `timed_plans` and `cli_plan`. In-process plans run the
engine (`controller.engine.reconcile.make_plan`) on the kinds Terraform can express too (`COMPARED`); the
registry's approvals are applied but left out of timed plans, as Terraform has no resource for a model
package's approval status. The CLI plan is the real `smgitops plan` in a subprocess, with every kind.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from counting_emulator import EmulatorProcess
from measure import measure, one, series

from controller.aws.clients import Clients
from controller.aws.emulator import fake_base_session
from controller.commands.demo import seed_example
from controller.desired import load
from controller.desired.revision import revision_of
from controller.engine.reconcile import make_plan
from controller.kinds import KINDS

COMPARED = ("pipeline", "topic", "schedule", "trigger")
SHIPPED_RATE = 20.0
"""`Clients`' default per-account rate limit (calls per second), what `smgitops plan` runs with."""


def load_state(root: Path):
    loaded = load(root, revision=revision_of(root))
    if loaded.problems:
        raise SystemExit("\n".join(str(problem) for problem in loaded.problems))
    return loaded.state


def new_clients(url: str, *, rate: float | None) -> Clients:
    return Clients(endpoint_url=url, base_session=fake_base_session(), calls_per_second_per_account=rate)


def seed(url: str, root: Path) -> None:
    """Buckets in every account and the registry's model package groups with their versions."""
    with new_clients(url, rate=None) as clients:
        seed_example(clients, load_state(root))


def cli_environment(url: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    return environment


def smgitops(url: str, *arguments: str) -> tuple[float, subprocess.CompletedProcess]:
    command = [sys.executable, "-m", "controller.main", *arguments]
    started = time.perf_counter()
    completed = subprocess.run(command, env=cli_environment(url), capture_output=True, text=True, check=False)
    return time.perf_counter() - started, completed


def apply_cli(url: str, root: Path) -> float:
    """`smgitops apply --yes` of every kind; the seconds it took."""
    seconds, completed = smgitops(url, "apply", "--yes", str(root))
    if completed.returncode != 0:
        raise SystemExit(f"smgitops apply failed:\n{completed.stdout}\n{completed.stderr}")
    return seconds


def cli_plan(server: EmulatorProcess, root: Path) -> dict[str, Any]:
    """One `smgitops plan --detailed-exitcode` subprocess, every kind, shipped defaults."""
    sample, (_, completed) = measure(
        server, lambda: smgitops(server.url, "plan", "--detailed-exitcode", str(root)), in_process=False
    )
    if completed.returncode != 0:
        raise SystemExit(f"smgitops plan found changes or failed:\n{completed.stdout}\n{completed.stderr}")
    return one(sample)


def timed_plans(
    server: EmulatorProcess, root: Path, *, repeat: int, rate: float | None, fresh_clients: bool, workers: int = 8
) -> dict[str, Any]:
    """`repeat` no-change plans (load the files, read every account, plan), each timed and counted, after one
    untimed plan that warms the process up (imports, the pipeline render cache, shared clients).

    With `fresh_clients` each plan builds its own `Clients` (new boto3 clients, AssumeRole again), as one
    `smgitops plan` run does; otherwise one warmed-up `Clients` serves every plan, as in the service."""
    kinds = {name: KINDS[name] for name in COMPARED}
    shared = None if fresh_clients else new_clients(server.url, rate=rate)
    with new_clients(server.url, rate=rate) as warm_up:
        _plan(root, shared or warm_up, kinds, workers)

    def run() -> int:
        if shared is not None:
            return _plan(root, shared, kinds, workers)
        with new_clients(server.url, rate=rate) as clients:
            return _plan(root, clients, kinds, workers)

    samples, resources = [], 0
    for _ in range(repeat):
        sample, resources = measure(server, run, in_process=True)
        samples.append(sample)
    if shared is not None:
        shared.close()
    return {
        "rate_limit_per_account": rate,
        "fresh_clients": fresh_clients,
        "workers": workers,
        "resources": resources,
        **series(samples),
    }


def _plan(root: Path, clients: Clients, kinds: dict, workers: int) -> int:
    """One no-change plan; the number of resources found in sync. Anything to change stops the benchmark."""
    state = load_state(root)
    plan = make_plan(state, clients=clients, kinds=kinds, max_workers=workers)
    if plan.errors or plan.changes:
        problems = list(plan.errors) + [f"{change.address}: {change.reason}" for change in plan.changes]
        raise SystemExit(f"smgitops: the plan is not empty: {problems[:10]}")
    return plan.in_sync
