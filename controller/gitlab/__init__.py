"""GitLab, reached through python-gitlab: the only package that imports it.

`ci` builds a client from the variables a GitLab CI job sees (`CI_API_V4_URL`, `CI_PROJECT_ID`,
`CI_MERGE_REQUEST_IID`, a token from a masked variable) and `notes` keeps one note per marker on a merge
request, edited in place; `proposals` keeps one merge request per (model, environment) asking to declare a
newer version. The commands and the service use these; nothing here knows about plans or AWS.
"""

from controller.gitlab.ci import (
    CiSetupError,
    MergeRequestRef,
    ProjectRef,
    connect,
    merge_request_from_environment,
    project_from_environment,
)
from controller.gitlab.errors import GitLabError
from controller.gitlab.notes import NOTE_LIMIT, NoteResult, fit_note, upsert_note
from controller.gitlab.proposals import Draft, ProposalResult, branch_for, close_stale, propose

__all__ = [
    "NOTE_LIMIT",
    "CiSetupError",
    "Draft",
    "GitLabError",
    "MergeRequestRef",
    "NoteResult",
    "ProjectRef",
    "ProposalResult",
    "branch_for",
    "close_stale",
    "connect",
    "fit_note",
    "merge_request_from_environment",
    "project_from_environment",
    "propose",
    "upsert_note",
]
