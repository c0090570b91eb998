"""`smgitops validate [DIR]`: check every desired-state file; all problems at once, one per line.

Prints `path:line:col: breadcrumb: message` lines sorted by file and position and exits 1, or prints a one-line
summary and exits 0. Imports only the light loader (no boto3, no SageMaker SDK).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

DEFAULT_DIR = "desired_state"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?", default=DEFAULT_DIR, help=f"desired-state directory (default: {DEFAULT_DIR})")


def run(args: argparse.Namespace) -> int:
    from controller.desired import load

    result = load(args.dir)
    if result.state is None:
        print_problems(result.problems)
        return 1
    state = result.state
    environments = _count(len(state.environments), "environment")
    deployments = _count(len(state.deployments), "deployment")
    print(f"{state.root}: {environments}, {deployments}, all valid")
    for deployment in state.unannounced_groups():
        print(
            f"note: {deployment.source}: notifications: no rule announces new {deployment.model_package_group} "
            f"versions awaiting approval: SageMaker emits version events only in the registry's account "
            f"({state.registry.account}, {state.registry.region}), where {deployment.environment} is not; forward "
            f"them to the controller's --queue-url, which then announces them to {deployment.notifications.topic}"
        )
    return 0


def print_problems(problems: Sequence[object]) -> None:
    """The problem lines on stdout, their count on stderr."""
    for problem in problems:
        print(problem)
    print(_count(len(problems), "problem"), file=sys.stderr)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
