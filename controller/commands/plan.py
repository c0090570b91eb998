"""`smgitops plan`: read live state in every account and print what apply would change."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from controller.commands.common import Stopwatch, add_selection, load_state, make_clients, output_problem


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_selection(parser)
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    parser.add_argument("--out", metavar="FILE", help="also save the plan as JSON, for `apply --plan FILE`")
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 when live state matches git, 2 when the plan shows any difference (held ones too: drift under"
        " drift: warn, conflicts, orphans), 1 on error",
    )


def run(args: argparse.Namespace) -> int:
    from controller.engine.reconcile import make_plan
    from controller.engine.reports import render

    problem = output_problem(args.out) if args.out else None
    if problem:
        print(f"plan --out {problem}", file=sys.stderr)
        return 1
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
        try:
            Path(args.out).write_text(plan.to_json())
        except OSError as error:
            print(f"plan --out {args.out}: cannot write: {error.strerror or error}", file=sys.stderr)
            return 1
    if args.stats:
        stopwatch.report(clients)
    if plan.errors:
        for error in plan.errors:
            print(error, file=sys.stderr)
        return 1
    return 2 if args.detailed_exitcode and plan.changes else 0
