"""`GitLabError`: every failure talking to GitLab, as one line without the token, for the commands above.

python-gitlab raises its own exception tree, and requests raises connection errors under it; `translated()`
turns both into `GitLabError` naming the HTTP status and GitLab's message, or the host that could not be
reached, so no command needs to import python-gitlab or print a traceback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import gitlab
import requests


class GitLabError(Exception):
    """GitLab refused a request or could not be reached; the message is one line."""


@contextlib.contextmanager
def translated(action: str) -> Iterator[None]:
    try:
        yield
    except gitlab.exceptions.GitlabError as error:
        status = f"HTTP {error.response_code}: " if error.response_code else ""
        raise GitLabError(f"{action}: {status}{_one_line(error.error_message)}") from None
    except requests.exceptions.RequestException as error:
        host = error.request.url.split("/api/")[0] if error.request is not None and error.request.url else "GitLab"
        raise GitLabError(f"{action}: cannot reach {host}: {type(error).__name__}") from None


def _one_line(message: object) -> str:
    return " ".join(str(message).split())[:300]
