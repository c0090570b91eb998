"""`smgitops permissions`: the least-privilege IAM policies of the roles smgitops assumes, from the kinds' data.

Every kind declares the IAM actions it needs (`PERMISSIONS`); registry kinds go to the registry role's policy,
the others to each environment's deploy role. A meta-test checks that every call a kind makes is declared.
"""

from __future__ import annotations

import argparse
import json

ROLES = ("registry", "deploy")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--role", choices=ROLES, help="print only this role's policy document")


def policies() -> dict[str, dict]:
    from controller.kinds import KINDS

    statements: dict[str, list[dict]] = {role: [] for role in ROLES}
    for name, kind in KINDS.items():
        role = "registry" if kind.SCOPE == "registry" else "deploy"
        statements[role].append(
            {
                "Sid": f"Smgitops{name.title()}",
                "Effect": "Allow",
                "Action": sorted(set(kind.PERMISSIONS)),
                "Resource": "*",
            }
        )
    return {role: {"Version": "2012-10-17", "Statement": items} for role, items in statements.items()}


def run(args: argparse.Namespace) -> int:
    documents = policies()
    chosen = documents[args.role] if args.role else documents
    print(json.dumps(chosen, indent=2))
    return 0
