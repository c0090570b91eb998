"""What the verbs that touch AWS share: the arguments, loading a valid desired state, clients, the stats line."""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

IGNORE_CHANGE_WINDOWS_VARIABLE = "SMGITOPS_IGNORE_CHANGE_WINDOWS"


def add_selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", nargs="?", default="desired_state", help="desired-state directory")
    parser.add_argument(
        "--env", action="append", dest="environments", metavar="ENV", help="only this environment"
    )
    parser.add_argument("--model", action="append", dest="models", metavar="MODEL", help="only this model")
    parser.add_argument("--revision", help="the revision to record (default: the directory's git commit)")
    parser.add_argument("--stats", action="store_true", help="print AWS calls made and time taken")
    add_calls_per_second(parser)
    add_change_window_override(parser)


LOWEST_RATE, HIGHEST_RATE = 0.1, 10000.0


def calls_per_second(text: str) -> float:
    """`--calls-per-second`: 0 (no limit of smgitops' own), or a finite rate from 0.1 to 10000."""
    try:
        rate = float(text)
    except ValueError:
        rate = math.nan
    if rate == 0 or (math.isfinite(rate) and LOWEST_RATE <= rate <= HIGHEST_RATE):
        return rate
    raise argparse.ArgumentTypeError(f"{text!r}: use 0 (no limit) or a number from {LOWEST_RATE:g} to {HIGHEST_RATE:g}")


def add_calls_per_second(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--calls-per-second",
        type=calls_per_second,
        default=0.0,
        help="a hard cap on AWS calls per second per account (default 0: none; calls slow down by themselves "
        "when AWS throttles them)",
    )


def add_change_window_override(parser: argparse.ArgumentParser) -> None:
    """`--ignore-change-windows`, on by default when $SMGITOPS_IGNORE_CHANGE_WINDOWS is 1, true, yes or on."""
    enabled = os.environ.get(IGNORE_CHANGE_WINDOWS_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on")
    parser.add_argument(
        "--ignore-change-windows",
        action="store_true",
        default=enabled,
        help=f"emergency: change environments outside their change windows; the plan records it "
        f"(also ${IGNORE_CHANGE_WINDOWS_VARIABLE}=1)",
    )


def load_state(args: argparse.Namespace):
    """The valid desired state, or None after printing every problem (one line each) to stderr."""
    from controller.desired import load
    from controller.desired.revision import revision_of

    loaded = load(args.directory, revision=args.revision or revision_of(args.directory))
    for problem in loaded.problems:
        print(problem, file=sys.stderr)
    unknown = [
        name for name in args.environments or () if loaded.state and name not in loaded.state.environments
    ]
    for name in unknown:
        print(f"--env {name}: no such environment in {args.directory}/environments.yaml", file=sys.stderr)
    models = {deployment.model for deployment in loaded.state.deployments} if loaded.state else set()
    unknown_models = [name for name in args.models or () if loaded.state and name not in models]
    for name in unknown_models:
        print(f"--model {name}: no deployment file in {args.directory} declares this model", file=sys.stderr)
    return None if loaded.problems or unknown or unknown_models else loaded.state


def output_problem(path: str) -> str | None:
    """Why a file cannot be written at `path` (checked before any account is read), or None."""
    target = os.path.abspath(path)
    parent = os.path.dirname(target)
    if os.path.isdir(target):
        return f"{path}: is a directory; give a file name"
    if not os.path.isdir(parent):
        return f"{path}: no such directory: {os.path.dirname(path) or '.'}"
    if not os.access(parent, os.W_OK) or (os.path.exists(target) and not os.access(target, os.W_OK)):
        return f"{path}: not writable"
    return None


def make_clients(args: argparse.Namespace):
    from controller.aws.clients import Clients

    return Clients(endpoint_url=args.endpoint_url, calls_per_second_per_account=args.calls_per_second or None)


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.monotonic()

    def report(self, clients, *, stream=sys.stderr) -> None:
        calls = clients.calls
        elapsed = time.monotonic() - self.started
        print(
            f"AWS calls: {calls.reads} reads, {calls.writes} writes, {calls.throttles} throttled; {elapsed:.2f} s",
            file=stream,
        )
        for operation, count in sorted(calls.by_operation().items()):
            print(f"  {operation}: {count}", file=stream)
