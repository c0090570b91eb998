"""`smgitops comment FILE`: post a Markdown plan on the merge request of this CI pipeline, one note kept current.

Run in a merge-request pipeline after `smgitops plan --format markdown > plan.md`. The merge request comes
from GitLab's predefined variables (`CI_API_V4_URL`, `CI_PROJECT_ID`, `CI_MERGE_REQUEST_IID`), the token from
a masked variable (`SMGITOPS_GITLAB_TOKEN` by default, a project access token with the `api` scope). The
first run creates the note; every later push edits that same note in place, found by a hidden marker (one
per `--key`, so several plan jobs can each keep their own). A plan over GitLab's note limit is cut and
points at `--artifact`, the job artifact with the whole text. Errors are one line; the token is never shown.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEFAULT_KEY = "plan"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the Markdown to post (`-` reads standard input)")
    parser.add_argument(
        "--key", default=DEFAULT_KEY, help=f"which note to keep current: one note per key (default: {DEFAULT_KEY})"
    )
    parser.add_argument(
        "--token-variable",
        default="SMGITOPS_GITLAB_TOKEN",
        metavar="NAME",
        help="the environment variable holding the GitLab token (default: SMGITOPS_GITLAB_TOKEN)",
    )
    parser.add_argument(
        "--artifact",
        metavar="PATH",
        help="the job artifact holding the whole text, linked when the note must be cut (e.g. plan.md)",
    )


def run(args: argparse.Namespace) -> int:
    from controller.gitlab import CiSetupError, GitLabError, connect, merge_request_from_environment, upsert_note

    body = _read(args.file)
    if body is None:
        return 1
    if not body.strip():
        print(f"comment: {args.file} is empty; nothing posted", file=sys.stderr)
        return 1
    try:
        merge_request = merge_request_from_environment(os.environ, token_variable=args.token_variable)
        result = upsert_note(
            connect(merge_request.project),
            merge_request,
            key=args.key,
            body=body,
            pointer=_pointer(args.artifact, os.environ.get("CI_JOB_URL", "")),
        )
    except CiSetupError as error:
        print(f"comment: {error}", file=sys.stderr)
        return 1
    except GitLabError as error:
        print(f"comment: GitLab refused: {error}", file=sys.stderr)
        return 1
    cut = " (cut to GitLab's note limit)" if result.cut else ""
    print(f"comment: note {result.note_id} {result.action} on !{merge_request.iid}{cut}")
    return 0


def _read(file: str) -> str | None:
    if file == "-":
        return sys.stdin.read()
    try:
        return Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"comment: {file}: cannot read: {getattr(error, 'strerror', None) or error}", file=sys.stderr)
        return None


def _pointer(artifact: str | None, job_url: str) -> str:
    if artifact and job_url:
        where = f"[{artifact}]({job_url}/artifacts/file/{artifact})"
    elif job_url:
        where = f"the [job's artifacts]({job_url}/artifacts/browse)"
    else:
        where = f"`{artifact}` in the job's artifacts" if artifact else "the job's artifacts"
    return f"**Cut here: the whole text is too long for one comment.** Read it in {where}."
