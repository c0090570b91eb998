"""`smgitops promote MODEL --to ENV [--version N] [--dir DIR]`: write the one-line edit that promotes a version.

It changes `approvedVersion` in `DIR/ENV/MODEL.yaml` and nothing else in the file (comments, order and
formatting stay byte for byte), so the change can be committed and reviewed as a merge request. The version
is `--version`, else the one the environment ENV promotes from declares, else (for the first environment of
the model's path) the newest registered version that meets ENV's model quality threshold, which reads the
registry. Whether the promotion is allowed is for `plan` to judge (promotion rules), not for this command.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from controller.commands.common import add_calls_per_second


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="the model (the file name: churn for <env>/churn.yaml)")
    parser.add_argument("--to", required=True, dest="environment", metavar="ENV", help="the environment to change")
    parser.add_argument("--version", type=int, help="the version to declare (default: see above)")
    parser.add_argument(
        "--dir", dest="directory", default="desired_state", help="desired-state directory (default: desired_state)"
    )
    add_calls_per_second(parser)


def run(args: argparse.Namespace) -> int:
    from controller.commands.validate import print_problems
    from controller.desired import load
    from controller.desired.edit import EditError, set_approved_version

    loaded = load(args.directory, revision="local")
    if loaded.state is None:
        print_problems(loaded.problems)
        return 1
    state = loaded.state
    deployment = next((d for d in state.deployments if d.key == (args.environment, args.model)), None)
    if deployment is None:
        print(f"{args.directory}/{args.environment}/{args.model}.yaml: no such deployment file", file=sys.stderr)
        return 1
    version = args.version if args.version is not None else _version_to_promote(args, state, deployment)
    if version is None:
        return 1
    where = f"{deployment.path or deployment.source}"
    if version in deployment.rejected_versions:
        rejected = deployment.locate("rejectedVersions")
        print(f"{rejected}: rejectedVersions: version {version} is rejected", file=sys.stderr)
        return 1
    if version == deployment.approved_version:
        print(f"{where}: already declares approvedVersion {version}; nothing to change")
        return 0
    try:
        set_approved_version(Path(args.directory) / deployment.source, version)
    except (EditError, OSError) as error:
        print(f"{deployment.locate('approvedVersion')}: approvedVersion: cannot edit: {error}", file=sys.stderr)
        return 1
    print(f"{where}: approvedVersion {deployment.approved_version} -> {version}")
    return 0


def _version_to_promote(args: argparse.Namespace, state, deployment) -> int | None:
    from controller.engine.candidates import newest_candidate, source_deployment

    source = source_deployment(state, deployment)
    if source is not None:
        return source.approved_version
    from controller.commands.common import make_clients

    try:
        candidate = newest_candidate(state, deployment, clients=make_clients(args))
    except Exception as error:  # no credentials, access denied, no such group: one line
        print(f"{args.environment}: reading the registry failed: {' '.join(str(error).split())}", file=sys.stderr)
        return None
    if candidate is None:
        print(
            f"{deployment.path or deployment.source}: no registered version of {deployment.model_package_group} "
            f"newer than the declared ones meets {args.environment}'s thresholds",
            file=sys.stderr,
        )
    return candidate.version if candidate else None
