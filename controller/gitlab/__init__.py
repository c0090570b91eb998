"""GitLab, reached through python-gitlab: the only package that imports it.

`ci` builds a client from the variables a GitLab CI job sees (`CI_API_V4_URL`, `CI_PROJECT_ID`,
`CI_MERGE_REQUEST_IID`, a token from a masked variable) and `notes` keeps one note per marker on a merge
request, edited in place. The commands above use these; nothing here knows about plans or AWS.
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

__all__ = [
    "NOTE_LIMIT",
    "CiSetupError",
    "GitLabError",
    "MergeRequestRef",
    "NoteResult",
    "ProjectRef",
    "connect",
    "fit_note",
    "merge_request_from_environment",
    "project_from_environment",
    "upsert_note",
]
