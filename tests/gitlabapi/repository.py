"""The repository: files (get), commits (create with actions, get) and branches (list, get), as GitLab documents
them under `/projects/:id/repository`.

A commit keeps the whole tree it makes (`files`: path -> bytes), so a branch is just a name for a commit.
Creating a commit follows the documented rules: `branch` is the branch to commit to; when it does not exist,
`start_branch` (or `start_sha`) says where it starts; when it does exist and `start_branch` is given, GitLab
refuses unless `force` is true, which rebuilds the branch from `start_branch` with the new commit on top.
Actions `create`, `update` and `delete` with `encoding` `text` or `base64`.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from gitlabapi.protocol import ApiError, Request, Response, paginated, route
from gitlabapi.store import Store, now

BASE = "/projects/{project}/repository"


def commit_files(
    store: Store, project_id: int, *, branch: str, files: dict[str, bytes], message: str, parent: str | None = None
) -> dict[str, Any]:
    """Record a commit of `files` (the whole tree) on `branch`, on top of `parent`; the commit."""
    created_at = now()
    sha = hashlib.sha1(f"{project_id}{branch}{message}{created_at}{store.next_id('commit')}".encode()).hexdigest()
    commit = {
        "id": sha,
        "short_id": sha[:8],
        "title": message.splitlines()[0] if message else "",
        "message": message,
        "author_name": "Bot",
        "author_email": "bot@example.com",
        "committer_name": "Bot",
        "committer_email": "bot@example.com",
        "created_at": created_at,
        "authored_date": created_at,
        "committed_date": created_at,
        "parent_ids": [parent] if parent else [],
        "files": dict(files),
        "project_id": project_id,
    }
    store.commits[sha] = commit
    store.branches[(project_id, branch)] = sha
    return commit


def get_file(request: Request, store: Store) -> Response:
    project = store.project(request.params["project"])
    ref = request.query.get("ref")
    if not ref:
        raise ApiError(400, "ref is missing")
    path = request.params["file_path"]
    commit = _resolve(store, project["id"], ref)
    if commit is None or path not in commit["files"]:
        raise ApiError(404, "404 File Not Found")
    content = commit["files"][path]
    return Response(
        200,
        {
            "file_name": path.rsplit("/", 1)[-1],
            "file_path": path,
            "size": len(content),
            "encoding": "base64",
            "content": base64.b64encode(content).decode("ascii"),
            "content_sha256": hashlib.sha256(content).hexdigest(),
            "ref": ref,
            "blob_id": hashlib.sha1(content).hexdigest(),
            "commit_id": commit["id"],
            "last_commit_id": commit["id"],
        },
    )


def create_commit(request: Request, store: Store) -> Response:
    project = store.project(request.params["project"])
    branch = str(request.require("branch"))
    message = str(request.require("commit_message"))
    actions = request.require("actions")
    exists = (project["id"], branch) in store.branches
    start_branch = request.body.get("start_branch")
    start = request.body.get("start_sha") or start_branch
    if exists and start_branch and start_branch != branch and not request.body.get("force"):
        message = f"A branch called '{branch}' already exists. Switch to that branch in order to make changes"
        raise ApiError(400, message)
    if exists and not (start and request.body.get("force")):
        start = branch
    parent = _resolve(store, project["id"], start) if start else None
    if parent is None:
        raise ApiError(400, "You can only create or edit files when you are on a branch")
    files = dict(parent["files"])
    for action in actions:
        _apply(files, action)
    commit = commit_files(store, project["id"], branch=branch, files=files, message=message, parent=parent["id"])
    return Response(201, _public(commit, project))


def get_commit(request: Request, store: Store) -> Response:
    project = store.project(request.params["project"])
    commit = _resolve(store, project["id"], request.params["sha"])
    if commit is None:
        raise ApiError(404, "404 Commit Not Found")
    return Response(200, _public(commit, project))


def list_branches(request: Request, store: Store) -> Response:
    project = store.project(request.params["project"])
    names = sorted(name for project_id, name in store.branches if project_id == project["id"])
    return paginated(request, [_branch(store, project, name) for name in names])


def get_branch(request: Request, store: Store) -> Response:
    project = store.project(request.params["project"])
    name = request.params["branch"]
    if (project["id"], name) not in store.branches:
        raise ApiError(404, "404 Branch Not Found")
    return Response(200, _branch(store, project, name))


def _apply(files: dict[str, bytes], action: dict[str, Any]) -> None:
    kind, path = action.get("action"), action.get("file_path")
    if not path:
        raise ApiError(400, "actions[0][file_path] is missing")
    if kind == "delete":
        if path not in files:
            raise ApiError(400, "A file with this name doesn't exist")
        del files[path]
        return
    if kind not in ("create", "update"):
        raise ApiError(400, "actions[0][action] does not have a valid value")
    if kind == "update" and path not in files:
        raise ApiError(400, "A file with this name doesn't exist")
    if kind == "create" and path in files:
        raise ApiError(400, "A file with this name already exists")
    content = str(action.get("content", ""))
    files[path] = base64.b64decode(content) if action.get("encoding") == "base64" else content.encode("utf-8")


def _resolve(store: Store, project_id: int, ref: str) -> dict[str, Any] | None:
    sha = store.branches.get((project_id, ref), ref)
    commit = store.commits.get(sha)
    return commit if commit is not None and commit["project_id"] == project_id else None


def _public(commit: dict[str, Any], project: dict[str, Any]) -> dict[str, Any]:
    shown = {key: value for key, value in commit.items() if key not in ("files", "project_id")}
    return {**shown, "web_url": f"{project['web_url']}/-/commit/{commit['id']}"}


def _branch(store: Store, project: dict[str, Any], name: str) -> dict[str, Any]:
    commit = store.commits[store.branches[(project["id"], name)]]
    return {
        "name": name,
        "merged": False,
        "protected": name == project["default_branch"],
        "default": name == project["default_branch"],
        "developers_can_push": False,
        "developers_can_merge": False,
        "can_push": True,
        "web_url": f"{project['web_url']}/-/tree/{name}",
        "commit": _public(commit, project),
    }


ROUTES = (
    route("GET", BASE + "/files/{file_path}", get_file),
    route("POST", BASE + "/commits", create_commit),
    route("GET", BASE + "/commits/{sha}", get_commit),
    route("GET", BASE + "/branches", list_branches),
    route("GET", BASE + "/branches/{branch}", get_branch),
)
