"""`smgitops propose [DIR] [--model M ...] [--env E ...]`: open or update the merge requests that approve new versions.

For every deployment that starts its model's promotion path (dev in the example), the newest registered version
that meets its `thresholds.modelQuality` (read from the registry) is proposed as a merge request that changes
only `approvedVersion` in its file, one open merge request per (model, environment) on the branch
`smgitops/propose/<env>/<model>`, updated when a newer version qualifies (see `controller.gitlab.proposals`).
Run in CI (a scheduled pipeline on the default branch): the project comes from `CI_API_V4_URL` and
`CI_PROJECT_ID`, the token from `SMGITOPS_GITLAB_TOKEN`, the target branch from `CI_DEFAULT_BRANCH`. One line per
deployment; exit 1 when anything failed. The environments after the first are promoted by people
(`smgitops promote`), where promotion rules and soak times apply.
"""

from __future__ import annotations

import argparse
import os
import sys

from controller.commands.common import add_calls_per_second


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", nargs="?", default="desired_state", help="desired-state directory")
    parser.add_argument("--env", action="append", dest="environments", metavar="ENV", help="only this environment")
    parser.add_argument("--model", action="append", dest="models", metavar="MODEL", help="only this model")
    parser.add_argument(
        "--target-branch",
        default=os.environ.get("CI_DEFAULT_BRANCH") or None,
        metavar="BRANCH",
        help="the branch proposals start from and merge into (default: $CI_DEFAULT_BRANCH, else the project's "
        "default branch)",
    )
    parser.add_argument(
        "--token-variable",
        default="SMGITOPS_GITLAB_TOKEN",
        metavar="NAME",
        help="the environment variable holding the GitLab token (default: SMGITOPS_GITLAB_TOKEN)",
    )
    add_calls_per_second(parser)
    parser.set_defaults(revision=None)


def run(args: argparse.Namespace) -> int:
    from controller.commands.common import load_state, make_clients
    from controller.engine.candidates import first_deployment
    from controller.gitlab import CiSetupError, GitLabError, connect, project_from_environment
    from controller.service.proposals import propose_deployment

    state = load_state(args)
    if state is None:
        return 1
    directory = _path_in_repository(args.directory)
    if directory is None:
        print(f"propose: {args.directory}: neither in $CI_PROJECT_DIR nor in the working directory, so its path "
              "in the repository is unknown", file=sys.stderr)
        return 1
    try:
        project = project_from_environment(os.environ, token_variable=args.token_variable)
        client = connect(project)
    except CiSetupError as error:
        print(f"propose: {error}", file=sys.stderr)
        return 1
    except GitLabError as error:
        print(f"propose: GitLab refused: {error}", file=sys.stderr)
        return 1
    starts = {group: first_deployment(state, group) for group in {d.model_package_group for d in state.deployments}}
    chosen = sorted(
        (
            deployment
            for deployment in starts.values()
            if deployment is not None
            and (not args.environments or deployment.environment in args.environments)
            and (not args.models or deployment.model in args.models)
        ),
        key=lambda deployment: deployment.key,
    )
    clients = make_clients(args)
    failed = False
    try:
        for deployment in chosen:
            outcome = propose_deployment(
                state, deployment, clients=clients, gitlab_client=client, project=project,
                directory=directory, target_branch=args.target_branch,
            )
            failed |= outcome.action == "failed"
            print(f"propose: {outcome.line()}", file=sys.stderr if outcome.action == "failed" else sys.stdout)
    finally:
        clients.close()
    if not chosen:
        print("propose: no deployment starts a promotion path in this selection; nothing to propose")
    return 1 if failed else 0


def _path_in_repository(directory: str) -> str | None:
    """The desired-state directory as a path in the repository: relative to `$CI_PROJECT_DIR` when it lies there,
    else to the working directory (a job starts in its checkout; gitlab-ci-local's shell executor names a job with
    an `image:` by the container's `/builds/...` path); None when it lies in neither."""
    target = os.path.abspath(directory)
    for root in (os.environ.get("CI_PROJECT_DIR"), os.getcwd()):
        if not root:
            continue
        relative = os.path.relpath(target, os.path.abspath(root))
        if relative != os.pardir and not relative.startswith(os.pardir + os.sep):
            return "" if relative == os.curdir else relative.replace(os.sep, "/")
    return None
