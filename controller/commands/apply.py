"""`smgitops apply`: converge every account to git, or apply exactly a saved plan (`--plan FILE`)."""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import nullcontext
from pathlib import Path

from controller.commands.common import Stopwatch, add_selection, load_state, make_clients

LEASE_TABLE_VARIABLE = "SMGITOPS_LEASE_TABLE"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_selection(parser)
    parser.add_argument(
        "--plan", metavar="FILE", help="apply exactly this saved plan; refused if live state moved"
    )
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--format", choices=("text", "markdown", "json"), default="text", help="how to show the plan"
    )
    lease = parser.add_argument_group("lease (never write while the controller does)")
    lease.add_argument(
        "--lease-table", default=os.environ.get(LEASE_TABLE_VARIABLE) or None,
        help=f"the controller's DynamoDB lease table: hold its lease while applying (default ${LEASE_TABLE_VARIABLE})",
    )
    lease.add_argument("--lease-name", default="smgitops", help="the lease's key, as the controller's --lease-name")
    lease.add_argument("--lease-role", help="role in the lease table's account (default: the registry role)")
    lease.add_argument("--lease-region", help="the lease table's region (default: the registry's)")
    lease.add_argument(
        "--lease-wait", type=_seconds, default=0.0,
        help="seconds to wait for the lease while another writer holds it (default: 0, refuse at once)",
    )
    lease.add_argument("--lease-duration", type=_seconds, default=30.0, help="seconds (default: 30)")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"expected 0 to 86400 seconds, got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    from controller.engine.plan import Plan
    from controller.engine.reconcile import reconcile
    from controller.engine.reports import render, summary_line

    state = load_state(args)
    if state is None:
        return 1
    saved = None
    if args.plan:
        try:
            saved = Plan.from_json(Path(args.plan).read_text())
        except (OSError, ValueError, KeyError, TypeError) as error:
            print(f"{args.plan}: cannot read the saved plan: {error}", file=sys.stderr)
            return 1
    if saved is None and not args.yes and not sys.stdin.isatty():
        print("apply: not on a terminal; pass --yes to apply without confirmation", file=sys.stderr)
        return 1
    stopwatch = Stopwatch()
    clients = make_clients(args)

    def confirm(plan: Plan) -> bool:
        if saved is not None or args.yes:
            # Unattended: the summary, then one line per change as it is written, is the record.
            print(summary_line(plan))
            return True
        sys.stdout.write(render(plan, args.format))
        answer = input("Apply these changes? Only 'yes' is accepted: ")
        return answer.strip() == "yes"

    from controller.service.apply_lease import LeaseError, LeaseHeld, one_writer

    writer = nullcontext(lambda: False)
    if args.lease_table:
        writer = one_writer(
            clients, state, table=args.lease_table, name=args.lease_name, role=args.lease_role,
            region=args.lease_region, wait=args.lease_wait, duration=args.lease_duration,
            environments=args.environments,
        )
    try:
        with writer as lease_lost:
            outcome = reconcile(
                state,
                clients=clients,
                environments=args.environments,
                models=args.models,
                ignore_change_windows=args.ignore_change_windows,
                saved_plan=saved,
                confirm=confirm,
                on_change=_print_change,
                should_stop=lease_lost,
            )
            lost = outcome.result is not None and lease_lost()
    except (LeaseHeld, LeaseError) as error:
        print(f"apply: {error}; nothing was written", file=sys.stderr)
        return 1
    if lost:
        print("apply: stopped between write batches: the lease could not be renewed", file=sys.stderr)
    if args.stats:
        stopwatch.report(clients)
    return max(_report(outcome, render), 1 if lost else 0)


def _print_change(change, error: str | None) -> None:
    verb = {"create": "created", "update": "updated", "delete": "deleted"}[change.action]
    if error is None:
        print(f"  {change.address}: {verb}")
    else:
        print(f"  {change.address}: FAILED: {error}")


def _report(outcome, render) -> int:
    if outcome.reason == "plan-error":
        for error in outcome.plan.errors:
            print(error, file=sys.stderr)
        print(f"apply: {outcome.message}", file=sys.stderr)
        return 1
    if outcome.reason == "stale-plan":
        print(f"apply: the saved plan is stale, nothing was written: {outcome.message}", file=sys.stderr)
        return 1
    if outcome.reason in ("in-sync", "held") and outcome.result is None:
        if outcome.message:
            print(f"apply: {outcome.message}")
        else:
            sys.stdout.write(render(outcome.plan, "text"))
        return 0
    result = outcome.result
    print(
        f"Apply complete: {len(result.applied)} applied, {len(result.failed)} failed, {len(result.skipped)} skipped."
    )
    return 0 if result.ok else 1
