"""`smgitops permissions`: the least-privilege IAM policies of the roles smgitops uses, from declared data.

Every kind declares the IAM actions it needs (`PERMISSIONS`); registry kinds go to the registry role's policy,
the others to each environment's deploy role. The service adds its own: the lease (held through the registry
role by default), notifications (each deploy role) and, for the controller's own task role, assuming those
roles and reading the event queue. A meta-test checks that every call a kind makes is declared.
"""

from __future__ import annotations

import argparse
import json

ROLES = ("registry", "deploy", "controller")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--role", choices=ROLES, help="print only this role's policy document")


def policies() -> dict[str, dict]:
    from controller.kinds import KINDS
    from controller.service import lease, notify, poller

    statements: dict[str, list[dict]] = {role: [] for role in ROLES}
    for name, kind in KINDS.items():
        role = "registry" if kind.SCOPE == "registry" else "deploy"
        statements[role].append(_statement(name, kind.PERMISSIONS))
    statements["registry"].append(_statement("lease", lease.PERMISSIONS))
    statements["deploy"].append(_statement("notifications", notify.PERMISSIONS))
    statements["controller"].append(_statement("assume", ("sts:AssumeRole",)))
    statements["controller"].append(_statement("events", poller.PERMISSIONS))
    return {role: {"Version": "2012-10-17", "Statement": items} for role, items in statements.items()}


def _statement(name: str, actions) -> dict:
    return {"Sid": f"Smgitops{name.title()}", "Effect": "Allow", "Action": sorted(set(actions)), "Resource": "*"}


def run(args: argparse.Namespace) -> int:
    documents = policies()
    chosen = documents[args.role] if args.role else documents
    print(json.dumps(chosen, indent=2))
    return 0
