"""smgitops's half of the benchmark: seed, apply once, then `smgitops plan` exactly as a user runs it.

`plan_vs_terraform.py` calls `seed`, `apply_cli` and `cli_plan`. Every run is the real command line in a child
process (`python -m controller.main`, which is what the `smgitops` entry point runs), with the defaults: no
option but `--detailed-exitcode`, which only changes the exit code (2 would mean the plan is not empty and
stops the benchmark). The render cache is a directory of the benchmark's own: warm after the apply, or empty
for the cold-cache row (a new CI job or ECS task).
"""

from __future__ import annotations

import compileall
import functools
import os
import sys
from pathlib import Path

from counting_emulator import EmulatorProcess
from measure import Sample, run

import controller
from controller.aws.clients import Clients
from controller.aws.emulator import fake_base_session
from controller.commands.demo import seed_example
from controller.desired import load
from controller.desired.revision import revision_of


def load_state(root: Path):
    loaded = load(root, revision=revision_of(root))
    if loaded.problems:
        raise SystemExit("\n".join(str(problem) for problem in loaded.problems))
    return loaded.state


def new_clients(url: str) -> Clients:
    return Clients(endpoint_url=url, base_session=fake_base_session())


def seed(url: str, root: Path) -> None:
    """Buckets in every account and the registry's model package groups with their versions."""
    with new_clients(url) as clients:
        seed_example(clients, load_state(root))


def cli_environment(url: str, cache_dir: Path) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "SMGITOPS_"))}
    environment.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        SMGITOPS_CACHE_DIR=str(cache_dir),
    )
    return environment


@functools.cache
def compile_bytecode() -> None:
    """The package's bytecode, written once, as pip writes it when it installs smgitops: from an editable install
    on a machine that sets PYTHONDONTWRITEBYTECODE, every run would otherwise compile every module it imports
    (about 50 ms of each plan)."""
    compileall.compile_dir(str(Path(controller.__file__).parent), quiet=1)


def smgitops(server: EmulatorProcess, cache_dir: Path, *arguments: str, ok: tuple[int, ...] = (0,)) -> Sample:
    compile_bytecode()
    command = [sys.executable, "-m", "controller.main", *arguments]
    return run(server, command, env=cli_environment(server.url, cache_dir), ok=ok)


def apply_cli(server: EmulatorProcess, root: Path, cache_dir: Path) -> Sample:
    """`smgitops apply --yes` of every kind (renders the pipelines into `cache_dir` on the way). The emulator's
    SNS is not thread-safe and may fail a few concurrent writes of a large fleet; a second apply, as after any
    failure, finishes them."""
    first = smgitops(server, cache_dir, "apply", "--yes", str(root), ok=(0, 1))
    if first.exit_code != 0:
        smgitops(server, cache_dir, "apply", "--yes", str(root))
    return first


def cli_plan(server: EmulatorProcess, root: Path, cache_dir: Path) -> Sample:
    """One `smgitops plan`, defaults; anything to change or any error stops the benchmark."""
    return smgitops(server, cache_dir, "plan", "--detailed-exitcode", str(root))
