"""`smgitops plan`: read live state in every account and print what apply would change."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from controller.commands.common import Stopwatch, add_selection, load_state, make_clients


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_selection(parser)
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    parser.add_argument("--out", metavar="FILE", help="also save the plan as JSON, for `apply --plan FILE`")
    parser.add_argument(
        "--detailed-exitcode", action="store_true", help="exit 0 when nothing changes, 2 when something does"
    )


def run(args: argparse.Namespace) -> int:
    from controller.engine.reconcile import make_plan
    from controller.engine.reports import render

    state = load_state(args)
    if state is None:
        return 1
    stopwatch = Stopwatch()
    clients = make_clients(args)
    plan = make_plan(
        state,
        clients=clients,
        environments=args.environments,
        models=args.models,
        ignore_change_windows=args.ignore_change_windows,
    )
    sys.stdout.write(render(plan, args.format))
    if args.out:
        Path(args.out).write_text(plan.to_json())
    if args.stats:
        stopwatch.report(clients)
    if plan.errors:
        for error in plan.errors:
            print(error, file=sys.stderr)
        return 1
    return 2 if args.detailed_exitcode and plan.has_changes else 0
