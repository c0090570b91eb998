"""A python-gitlab client and the merge request a CI job runs for, from GitLab CI's predefined variables.

GitLab gives every merge-request pipeline `CI_API_V4_URL` (`https://gitlab.example.com/api/v4`),
`CI_PROJECT_ID` and `CI_MERGE_REQUEST_IID`. The token is not one of them: the job token may not write notes,
so teams store a project access token (scope `api`, role Reporter or above) in a masked CI/CD variable
(not protected: merge-request branches are not), `SMGITOPS_GITLAB_TOKEN` by default. A missing or malformed
variable is one line naming it, never a traceback; the token itself is never printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import gitlab

from controller.gitlab.errors import translated

API_SUFFIX = "/api/v4"
DEFAULT_TOKEN_VARIABLE = "SMGITOPS_GITLAB_TOKEN"
TIMEOUT_SECONDS = 30


class CiSetupError(Exception):
    """A CI variable smgitops needs is missing or malformed; the message is one line naming it."""


@dataclass(frozen=True)
class ProjectRef:
    """A GitLab project: the API root (`.../api/v4`), the project (numeric id or `group/name`) and a token."""

    api_url: str
    project_id: str
    token: str

    def __repr__(self) -> str:  # never show the token
        return f"ProjectRef({self.api_url!r}, {self.project_id!r})"


@dataclass(frozen=True)
class MergeRequestRef:
    """A merge request of a project, by its iid (the `!7` number people see)."""

    project: ProjectRef
    iid: int


def project_from_environment(environ: Mapping[str, str], *, token_variable: str = DEFAULT_TOKEN_VARIABLE) -> ProjectRef:
    """The project this pipeline runs in, or CiSetupError naming the first variable that is missing."""
    api_url = _required(environ, "CI_API_V4_URL").rstrip("/")
    if not api_url.endswith(API_SUFFIX):
        raise CiSetupError(f"CI_API_V4_URL: expected a URL ending in {API_SUFFIX}, got {api_url!r}")
    project_id = _required(environ, "CI_PROJECT_ID")
    token = _required(environ, token_variable, hint=" (a masked CI/CD variable holding a project access token)")
    return ProjectRef(api_url=api_url, project_id=project_id, token=token)


def merge_request_from_environment(
    environ: Mapping[str, str], *, token_variable: str = DEFAULT_TOKEN_VARIABLE
) -> MergeRequestRef:
    """The merge request of this pipeline, or CiSetupError naming the first variable that is missing."""
    project = project_from_environment(environ, token_variable=token_variable)
    iid = _required(environ, "CI_MERGE_REQUEST_IID", hint=" (only merge-request pipelines have it)")
    if not iid.isdigit():
        raise CiSetupError(f"CI_MERGE_REQUEST_IID: expected a number, got {iid!r}")
    return MergeRequestRef(project=project, iid=int(iid))


def _required(environ: Mapping[str, str], name: str, *, hint: str = "") -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise CiSetupError(f"{name} is not set{hint}")
    return value


def connect(project: ProjectRef, *, retry: bool = True) -> gitlab.Gitlab:
    """A python-gitlab client for the project's instance, authenticated (`client.user` is the token's user).
    `retry` retries 5xx answers and lost connections with python-gitlab's backoff (up to ten times, for a CI
    job); the long-running controller passes False and tries again at its next resync instead of waiting."""
    base_url = project.api_url.rstrip("/").removesuffix(API_SUFFIX)
    client = gitlab.Gitlab(base_url, private_token=project.token, timeout=TIMEOUT_SECONDS, retry_transient_errors=retry)
    with translated("authenticating"):
        client.auth()
    return client
