"""`smgitops status [DIR]`: the live fleet per (environment, model), for a terminal, a script or a browser.

Loads and validates the files (problems as in `validate`, exit 1), reads the live state once through
`controller.engine.status.read_status` and prints the fleet table or JSON (`schemas/status.schema.json`).
With `--serve` it keeps reading and serves the dashboard (`controller.service.dashboard_server`) until
interrupted. Read-only: it never writes to AWS. Exit 1 when the status could not be read completely, else 0.
"""

from __future__ import annotations

import argparse
import sys

from controller.commands.common import Stopwatch, add_calls_per_second, load_state, make_clients


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", nargs="?", default="desired_state", help="desired-state directory")
    parser.add_argument("--env", action="append", dest="environments", metavar="ENV", help="only this environment")
    parser.add_argument("--model", action="append", dest="models", metavar="MODEL", help="only this model")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--runs", type=_count, default=3, help="runs shown per pipeline, newest first (default: 3)")
    parser.add_argument("--revision", help="the revision to compare with (default: the directory's git commit)")
    parser.add_argument("--stats", action="store_true", help="print AWS calls made (per deployment) and time taken")
    add_calls_per_second(parser)
    serve = parser.add_argument_group("dashboard (read-only; put it behind your authenticating load balancer)")
    serve.add_argument("--serve", action="store_true", help="serve the dashboard until stopped, not print")
    serve.add_argument("--bind", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, loopback only)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default: 8080; 0: any free port)")
    serve.add_argument("--refresh", type=float, default=60.0,
                       help="read live state at most this often, in seconds (default: 60)")


def _count(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 100:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 100, got {text!r}")
    return int(text)


def run(args: argparse.Namespace) -> int:
    from controller.engine.status import read_status
    from controller.engine.status_report import render

    state = load_state(args)
    if state is None:
        return 1
    clients = make_clients(args)
    if args.serve:
        return _serve(args, state, clients)
    stopwatch = Stopwatch()
    status = read_status(
        state, clients=clients, environments=args.environments, models=args.models, runs=args.runs
    )
    sys.stdout.write(render(status, args.format))
    if args.stats:
        stopwatch.report(clients)
        deployments = len(status.deployments)
        if deployments:
            print(f"  per deployment: {clients.calls.reads / deployments:.1f} reads ({deployments} deployments)",
                  file=sys.stderr)
    for error in status.errors:
        print(error, file=sys.stderr)
    return 1 if status.errors else 0


def _serve(args: argparse.Namespace, state, clients) -> int:
    from controller.service.dashboard_server import serve_status

    selection = {"environments": args.environments, "models": args.models}
    return serve_status(state, clients=clients, host=args.bind, port=args.port, refresh=args.refresh, runs=args.runs,
                        **selection)
