"""The `smgitops` command line: global options, then a flat dispatch to `controller.commands.<verb>`.

Each verb module exposes `add_arguments(parser)` and `run(args) -> int`. Verb modules are imported only
when chosen, so `smgitops validate` stays light (no boto3, no SageMaker SDK).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys

from controller import __version__

COLLECT_AFTER_ALLOCATIONS = 50_000
"""Python's cycle collector runs after 700 net allocations by default. A plan allocates hundreds of thousands
of short-lived objects (botocore requests and responses, YAML nodes) beside large long-lived ones (service
models, schemas), and every collection walks the young ones again: at 50 models that was 0.2 of 1.9 CPU
seconds, plus a slow interpreter exit. Collecting every 50,000 keeps cycles bounded and memory flat."""

VERBS = {
    "validate": "check every desired-state file (structure, schema, semantics)",
    "show": "print the fleet: what git says runs where",
    "schema": "write the JSON Schemas of the desired-state files",
    "plan": "read live state and show what apply would change",
    "status": "the live fleet: versions, sync, runs and their quality verdicts, next runs (or a dashboard)",
    "apply": "converge every account to git (or apply a saved plan)",
    "promote": "write the one-line edit that promotes a model version to an environment",
    "propose": "open or update the merge requests that approve newly registered versions (CI)",
    "history": "every approval and rollback per environment, from git and the registry's records",
    "run": "the long-running controller: follow git, react to events, keep every account converged",
    "permissions": "print the least-privilege IAM policies of the roles smgitops assumes",
    "demo": "the whole story on an embedded AWS emulator, no account needed",
    "render": "write the SageMaker pipeline definitions git implies (offline)",
    "comment": "post a Markdown plan on this CI pipeline's merge request, one note kept current",
    "codeowners": "write the GitLab CODEOWNERS entries the owners in environments.yaml imply",
}


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 1, like any bad input: 2 is `plan --detailed-exitcode`'s "the plan shows differences"."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="smgitops", description="GitOps for SageMaker batch inference.")
    parser.add_argument("--version", action="version", version=f"smgitops {__version__}")
    parser.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL"),
        help="send every AWS call here (an emulator); default $AWS_ENDPOINT_URL",
    )
    parser.add_argument("--log-format", choices=("json", "console"), default=None)
    parser.add_argument("--log-level", default="warning", choices=("debug", "info", "warning", "error"))
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for verb, help_text in VERBS.items():
        sub = verbs.add_parser(verb, help=help_text, description=help_text)
        _verb_module(verb).add_arguments(sub)
    return parser


def _verb_module(verb: str):
    return importlib.import_module(f"controller.commands.{verb.replace('-', '_')}")


def main(argv: list[str] | None = None) -> int:
    gc.set_threshold(COLLECT_AFTER_ALLOCATIONS, 20, 10)
    args = build_parser().parse_args(argv)
    try:
        return _verb_module(args.verb).run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
