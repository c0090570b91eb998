"""`smgitops demo`: the whole story on an embedded AWS emulator, with the real commands, no account needed.

It starts moto's server on 127.0.0.1, seeds a central model registry and the three accounts' buckets, copies the
example desired state into a temporary git repository, and then runs `plan`, `apply`, a merge-request edit,
console drift, and, after a few nights of runs, `status`, narrating each step.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

GIT = ["git", "-c", "user.name=Dana Scientist", "-c", "user.email=dana@example.com", "-c", "init.defaultBranch=main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", nargs="?", default="desired_state", help="desired state to start from")


def run(args: argparse.Namespace) -> int:
    from controller.aws import console
    from controller.aws.emulator import Emulator, register_version
    from controller.desired import load

    loaded = load(args.directory)
    if loaded.problems:
        for problem in loaded.problems:
            print(problem)
        return 1
    state = loaded.state
    with Emulator() as emulator, tempfile.TemporaryDirectory(prefix="smgitops-demo-") as scratch:
        _use_emulator(emulator.url)
        clients = emulator.clients()
        repo = Path(scratch) / "fleet"
        shutil.copytree(args.directory, repo / "desired_state")
        _git(repo, "init", "-q")
        _commit(repo, "Declare the fleet")
        desired = "desired_state"
        os.chdir(repo)
        groups = seed_example(clients, state)
        churn_versions = groups.get("churn", 0)

        _step("The emulated accounts start empty, but for a model registry with a few trained versions.")
        print(", ".join(f"{group}: versions 1-{count}, all PendingManualApproval" for group, count in groups.items()))
        _step("What git declares (smgitops show):")
        smgitops(["show", desired])
        _step("smgitops plan: everything is to be created, versions approved (registry and staging shown).")
        smgitops(["plan", "--env", "staging", desired])
        _step("smgitops apply: converge every account.")
        smgitops(["apply", "--yes", desired])
        _step("smgitops plan again: nothing to do.")
        smgitops(["plan", desired])

        new_version = churn_versions + 1
        _step(f"Training registers churn version {new_version}; it waits for approval.")
        register_version(clients, state.registry, group="churn", number=new_version, bucket=registry_bucket(state))
        _step("A data scientist proposes it for dev, the start of the promotion path (one line changes):")
        smgitops(["promote", "churn", "--to", "dev", "--dir", desired])
        print(_git(repo, "diff", "--", "desired_state").stdout.strip())
        _step("The plan posted on the merge request (smgitops plan --format markdown):")
        smgitops(["plan", "--format", "markdown", desired])
        _commit(repo, f"Promote churn {new_version} to dev")
        _step("The merge lands; smgitops apply converges dev.")
        smgitops(["apply", "--yes", desired])

        _step(f"Someone tries to put churn {new_version} straight into prod; the promotion rules refuse it:")
        smgitops(["promote", "churn", "--to", "prod", "--version", str(new_version), "--dir", desired])
        smgitops(["plan", "--env", "prod", desired])
        _git(repo, "checkout", "--", "desired_state")

        _step("Someone approves churn version 2 in the console and moves the staging schedule to 09:00.")
        console.set_approval(clients, state.registry, group="churn", version=2)
        staging_env = state.environments["staging"]
        console.edit_schedule(
            clients, staging_env.target, group="smgitops-staging", name="churn-batch-inference",
            ScheduleExpression="cron(0 9 * * ? *)",
        )
        _step("smgitops plan shows the drift:")
        smgitops(["plan", desired])
        _step("smgitops apply reverts it; git stays the truth.")
        smgitops(["apply", "--yes", desired])
        status = console.approval_status(clients, state.registry, group="churn", version=2)
        print(f"churn version 2 is {status} again.")
        _step("Final plan:")
        planned = smgitops(["plan", "--detailed-exitcode", desired])
        _step("Three nights of batch inference later (the emulator runs no steps: the demo leaves the verdict files "
              f"they would write). prod's churn broke its model quality threshold last night, and training "
              f"registered churn version {new_version + 1}.")
        _nights_of_runs(clients, load(desired).state)
        register_version(clients, state.registry, group="churn", number=new_version + 1, bucket=registry_bucket(state))
        _step("smgitops status: versions, sync, last runs with their quality verdicts, next runs.")
        shown = smgitops(["status", desired])
        return planned or shown


def _nights_of_runs(clients, state) -> None:
    from controller.commands.demo_runs import record_run

    now = datetime.now(UTC)
    last_night = now.replace(hour=3, minute=0, second=0, microsecond=0)
    last_night -= timedelta(days=1) if last_night > now - timedelta(minutes=30) else timedelta(0)
    for deployment in state.deployments:
        for nights_ago, mse in ((2, 7.4), (1, 7.9), (0, 8.3)):
            if deployment.key == ("prod", "churn") and nights_ago == 0:
                mse = 11.2
            record_run(clients, state, deployment, started=last_night - timedelta(days=nights_ago), metric_value=mse)
        if deployment.training is not None:
            record_run(clients, state, deployment, started=last_night - timedelta(days=1), training=True, minutes=95)


def seed_example(clients, state) -> dict[str, int]:
    """Buckets for every environment's artifacts, and enough versions for every version the files name."""
    from controller.aws.emulator import seed_fleet

    groups: dict[str, int] = {}
    for deployment in state.deployments:
        declared = max([deployment.approved_version, *deployment.rejected_versions])
        groups[deployment.model_package_group] = max(groups.get(deployment.model_package_group, 0), declared)
    buckets = [
        (environment.target, environment.artifacts.removeprefix("s3://").split("/", 1)[0])
        for environment in state.environments.values()
    ]
    seed_fleet(clients, registry=state.registry, registry_bucket=registry_bucket(state), groups=groups,
               buckets=buckets)
    return groups


def registry_bucket(state) -> str:
    return f"registry-{state.registry.account}-models"


def _use_emulator(url: str) -> None:
    """The commands below find the emulator the way they find AWS: endpoint and credentials from the environment."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="demo",
        AWS_SECRET_ACCESS_KEY="demo",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )


def smgitops(argv: list[str]) -> int:
    """Run a real `smgitops` command, as a user would type it."""
    print(f"$ smgitops {' '.join(argv)}", flush=True)
    return subprocess.run([sys.executable, "-m", "controller.main", *argv], check=False).returncode


def _git(repo: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([*GIT, *arguments], cwd=repo, check=True, capture_output=True, text=True)


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


def _step(text: str) -> None:
    print(f"\n== {text}\n", flush=True)
