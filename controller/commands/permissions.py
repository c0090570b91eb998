"""`smgitops permissions [DIR]`: the least-privilege IAM policies and trust policies of every role smgitops uses.

Reads the desired state and prints, per role and per environment, statements scoped to what git declares there
(see `controller.commands.policies`). `--format json` prints one JSON object `{key: document}`; `--format
terraform --out DIR` writes one file per document, `<key>.json`, for Terraform to attach. Both are sorted and
stable, so generated files can be committed and compared. Reads nothing outside DIR and calls no AWS API.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEFAULT_DIR = "desired_state"
CONTROLLER_ROLE = "smgitops-controller"
QUEUE = "smgitops-events"
LEASE_TABLE = "smgitops-lease"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?", default=DEFAULT_DIR, help=f"desired-state directory (default: {DEFAULT_DIR})")
    parser.add_argument("--format", choices=("json", "terraform"), default="json",
                        help="json: one document on stdout; terraform: one <key>.json file per document in --out")
    parser.add_argument("--out", metavar="DIR", help="with --format terraform: the directory to write the files to")
    parser.add_argument("--role", metavar="KEY", help="print only this document (registry, prod-deploy...)")
    parser.add_argument("--controller-role-arn", metavar="ARN",
                        help=f"the controller's task role (default: role/{CONTROLLER_ROLE} in the registry account)")
    parser.add_argument("--queue-url", metavar="URL",
                        help=f"the event queue (default: {QUEUE} in the controller's account, the registry's region)")
    parser.add_argument("--lease-table", metavar="NAME", default=LEASE_TABLE,
                        help=f"the lease table, in the registry account and region (default: {LEASE_TABLE})")
    parser.add_argument("--create-lease-table", action="store_true", help="the controller may create the lease table")


def run(args: argparse.Namespace) -> int:
    from controller.commands.policies import Controller, documents, queue_arn
    from controller.desired import load
    from controller.kinds.arns import partition

    loaded = load(args.dir)
    if loaded.problems or loaded.state is None:
        for problem in loaded.problems:
            print(problem, file=sys.stderr)
        return 1
    if args.format == "terraform" and not args.out:
        print("permissions: --format terraform needs --out DIR", file=sys.stderr)
        return 1
    registry = loaded.state.registry
    default_role = f"arn:{partition(registry.region)}:iam::{registry.account}:role/{CONTROLLER_ROLE}"
    role_arn = args.controller_role_arn or default_role
    account = role_arn.split(":")[4]
    queue_url = args.queue_url or f"https://sqs.{registry.region}.amazonaws.com/{account}/{QUEUE}"
    controller = Controller(role_arn, queue_arn(queue_url), args.lease_table, args.create_lease_table)
    chosen = documents(loaded.state, controller)
    if args.role:
        if args.role not in chosen:
            print(f"permissions: --role {args.role}: no such document (one of: {', '.join(chosen)})", file=sys.stderr)
            return 1
        chosen = {args.role: chosen[args.role]}
    if args.format == "terraform":
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for key, document in chosen.items():
            (out / f"{key}.json").write_text(render(document))
        print(f"wrote {len(chosen)} policy documents to {out}")
        return 0
    print(render(chosen[args.role] if args.role else chosen), end="")
    return 0


def render(document: object) -> str:
    """The one way a document is written: sorted keys, two-space indent, a final newline."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
