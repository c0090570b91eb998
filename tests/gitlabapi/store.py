"""What the test GitLab knows: users and tokens, projects, merge requests, notes, commits and branches; one lock.

Tests seed it through `GitLabServer` (`add_user`, `add_project`, `add_merge_request`) and read it back to
assert on behaviour. Resource modules keep their records in the tables here; a new resource adds its own
table (a dict attribute) rather than reusing another's. Ids come from one counter per kind, as in GitLab.
"""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from gitlabapi.protocol import ApiError


def now() -> str:
    """GitLab's timestamp format: ISO 8601 with milliseconds and Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Store:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.users_by_token: dict[str, dict[str, Any]] = {}
        self.projects: dict[int, dict[str, Any]] = {}
        self.merge_requests: dict[tuple[int, int], dict[str, Any]] = {}  # (project id, iid) -> MR
        self.notes: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)  # (project id, MR iid)
        self.commits: dict[str, dict[str, Any]] = {}  # sha -> commit, with its whole tree in `files`
        self.branches: dict[tuple[int, str], str] = {}  # (project id, branch name) -> head commit sha
        self._ids: dict[str, itertools.count[int]] = defaultdict(lambda: itertools.count(1))

    def next_id(self, kind: str) -> int:
        return next(self._ids[kind])

    def project(self, reference: str) -> dict[str, Any]:
        """A project by numeric id or full path (`acme/ml-fleet`), or GitLab's 404."""
        for project in self.projects.values():
            if reference in (str(project["id"]), project["path_with_namespace"]):
                return project
        raise ApiError(404, "404 Project Not Found")

    def merge_request(self, project_reference: str, iid: str) -> dict[str, Any]:
        project = self.project(project_reference)
        found = self.merge_requests.get((project["id"], int(iid))) if iid.isdigit() else None
        if found is None:
            raise ApiError(404, "404 Not found")
        return found

    @staticmethod
    def user_summary(user: dict[str, Any]) -> dict[str, Any]:
        """The short user object GitLab embeds as `author`."""
        keys = ("id", "username", "name", "state", "avatar_url", "web_url")
        return {key: user[key] for key in keys}
