"""`smgitops run`: the long-running controller (an ECS service) — git source, loop, events, lease, health.

Parses the options into `controller.service.settings.Settings`, configures structlog, builds the source,
the clients, the health server, metrics and notifier, and runs `controller.service.loop.Controller` until
SIGTERM (or `--max-cycles` full reconciles). Exit code 0 after a clean stop, 1 when it cannot start.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from controller.commands.common import add_calls_per_second

TOKEN_VARIABLE = "SMGITOPS_GITLAB_TOKEN"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source", nargs="?", default="desired_state",
        help="desired-state directory, or git URL (https://, ssh://, git@..., file://)",
    )
    source = parser.add_argument_group("git source")
    source.add_argument("--branch", default="main", help="branch to follow (default: main)")
    source.add_argument(
        "--path", default="desired_state", help="directory in the repository holding environments.yaml"
    )
    source.add_argument("--workdir", type=Path, help="where to keep the clone (default: a temporary directory)")
    loop = parser.add_argument_group("loop")
    loop.add_argument("--interval", type=_seconds, default=60.0, help="seconds between fetches (default: 60)")
    loop.add_argument("--resync", type=_seconds, default=600.0, help="seconds between full reconciles (600)")
    loop.add_argument(
        "--full-read", type=_seconds, default=3600.0,
        help="seconds between resyncs that describe every object; the others describe only what their list "
        "calls show changed (default: 3600; 0: every resync)",
    )
    loop.add_argument(
        "--stats", action="store_true", help="at stop, print AWS calls and reads per managed object of the resyncs"
    )
    loop.add_argument("--jitter", type=float, default=0.1, help="resync jitter, a fraction (default: 0.1)")
    loop.add_argument("--max-cycles", type=int, help="exit 0 after this many full reconciles")
    add_calls_per_second(loop)
    loop.add_argument("--backoff-base", type=_seconds, default=1.0, help="first retry delay (default: 1 s)")
    loop.add_argument("--backoff-max", type=_seconds, default=300.0, help="longest retry delay (300 s)")
    events = parser.add_argument_group("events")
    events.add_argument("--queue-url", help="SQS queue that EventBridge rules deliver events to")
    events.add_argument("--queue-role", help="role to assume to read the queue (default: own credentials)")
    events.add_argument("--queue-region", help="the queue's region (default: from its URL, else the registry's)")
    events.add_argument("--queue-wait", type=int, default=10, choices=range(21), metavar="0-20",
                        help="SQS long-poll seconds (default: 10)")
    lease = parser.add_argument_group("lease (one writer among replicas)")
    lease.add_argument("--lease-table", help="DynamoDB table holding the lease (default: no lease)")
    lease.add_argument("--create-lease-table", action="store_true", help="create the table when missing")
    lease.add_argument("--lease-name", default="smgitops", help="the lease's key; replicas share it")
    lease.add_argument("--lease-duration", type=_seconds, default=30.0, help="seconds (default: 30)")
    lease.add_argument("--lease-role", help="role in the lease table's account (default: the registry role)")
    lease.add_argument("--lease-region", help="the lease table's region (default: the registry's)")
    lease.add_argument("--holder", default="", help="this replica's name in the lease (default: host-pid-random)")
    lease.add_argument(
        "--shard-by", choices=("none", "environment"), default="none",
        help="none: one replica writes everything (default); environment: replicas split the environments "
        "(and the registry), each under its own lease",
    )
    proposals = parser.add_argument_group(
        "proposals (a merge request for each new version that meets the first environment's thresholds)"
    )
    proposals.add_argument(
        "--gitlab-url", default=os.environ.get("SMGITOPS_GITLAB_URL") or None,
        help="GitLab's URL (https://gitlab.example.com, or its /api/v4 root); default $SMGITOPS_GITLAB_URL; "
        "with --gitlab-project it turns proposals on, with the token in $SMGITOPS_GITLAB_TOKEN",
    )
    proposals.add_argument(
        "--gitlab-project", default=os.environ.get("SMGITOPS_GITLAB_PROJECT") or None,
        help="the project holding the desired state: id or group/name (default $SMGITOPS_GITLAB_PROJECT)",
    )
    parser.add_argument(
        "--health-port", type=int, default=8080,
        help="port of /healthz, /readyz and /metrics (default: 8080; 0: any free port, logged)",
    )
    parser.add_argument(
        "--health-address", default="0.0.0.0",
        help="address the health server binds (default: 0.0.0.0, every interface; 127.0.0.1: loopback only)",
    )
    dashboard = parser.add_argument_group("dashboard (/ and /api/status on the health port; read-only)")
    dashboard.add_argument("--dashboard-refresh", type=_seconds, default=60.0,
                           help="read live state for the dashboard at most this often (default: 60 s)")
    dashboard.add_argument("--dashboard-runs", type=int, default=10, help="runs shown per pipeline (default: 10)")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    import sys

    from controller.service.logging import configure_logging
    from controller.service.source import looks_like_git_url

    if not looks_like_git_url(args.source) and not Path(args.source).is_dir():
        print(f"{args.source}:1:1: (directory): no such directory, and not a git URL", file=sys.stderr)
        return 1
    problem = _gitlab_problem(args)
    if problem:
        print(f"run: {problem}", file=sys.stderr)
        return 1
    configure_logging(log_format=args.log_format, level=args.log_level)
    from controller.service.app import serve

    return serve(_settings(args))


def _gitlab_problem(args: argparse.Namespace) -> str | None:
    """Why the proposal settings cannot work (one line, never the token), or None."""
    if not args.gitlab_url and not args.gitlab_project:
        return None
    if not args.gitlab_project:
        return "--gitlab-url needs --gitlab-project too (or $SMGITOPS_GITLAB_PROJECT)"
    if not args.gitlab_url:
        return "--gitlab-project needs --gitlab-url too (or $SMGITOPS_GITLAB_URL)"
    if not args.gitlab_url.startswith(("https://", "http://")):
        return f"--gitlab-url: expected an http(s) URL, got {args.gitlab_url!r}"
    if not os.environ.get(TOKEN_VARIABLE, "").strip():
        return f"{TOKEN_VARIABLE} is not set (proposals need a GitLab token with the api scope)"
    return None


def _settings(args: argparse.Namespace):
    from controller.service.settings import Settings

    return Settings(
        source=args.source,
        branch=args.branch,
        path=args.path,
        workdir=args.workdir,
        interval=args.interval,
        resync=args.resync,
        jitter=args.jitter,
        full_read=args.full_read,
        stats=args.stats,
        queue_url=args.queue_url,
        queue_role=args.queue_role,
        queue_region=args.queue_region,
        queue_wait=args.queue_wait,
        lease_table=args.lease_table,
        lease_name=args.lease_name,
        lease_duration=args.lease_duration,
        lease_role=args.lease_role,
        lease_region=args.lease_region,
        create_lease_table=args.create_lease_table,
        holder=args.holder,
        shard_by=args.shard_by,
        health_port=args.health_port,
        health_address=args.health_address,
        dashboard_refresh=args.dashboard_refresh,
        dashboard_runs=args.dashboard_runs,
        max_cycles=args.max_cycles,
        endpoint_url=args.endpoint_url,
        calls_per_second=args.calls_per_second or None,
        backoff_base=args.backoff_base,
        backoff_max=args.backoff_max,
        gitlab_url=_api_url(args.gitlab_url) if args.gitlab_url else None,
        gitlab_project=args.gitlab_project,
        gitlab_token=os.environ.get(TOKEN_VARIABLE, "").strip() if args.gitlab_url else "",
    )


def _api_url(url: str) -> str:
    root = url.rstrip("/")
    return root if root.endswith("/api/v4") else f"{root}/api/v4"
