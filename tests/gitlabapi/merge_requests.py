"""Merge requests: list (filters `state`, `source_branch`, `target_branch`, `labels`, `author_id`; `order_by`,
`sort`; paginated), get, create and update (`title`, `description`, `labels`, `state_event`), as GitLab documents
them under `/projects/:id/merge_requests`.

As in GitLab, a second open merge request from the same source branch into the same target is refused with
409, the source branch must exist, and `labels` is a comma-separated string in requests and a list in answers.
"""

from __future__ import annotations

from typing import Any

from gitlabapi.protocol import ApiError, Request, Response, paginated, route
from gitlabapi.store import Store, now

BASE = "/projects/{project}/merge_requests"
STATES = ("opened", "closed", "locked", "merged", "all")


def list_merge_requests(request: Request, store: Store) -> Response:
    project = store.project(request.params["project"])
    state = request.query.get("state", "all")
    if state not in STATES:
        raise ApiError(400, "state does not have a valid value")
    order_by = request.query.get("order_by", "created_at")
    if order_by not in ("created_at", "updated_at", "title"):
        raise ApiError(400, "order_by does not have a valid value")
    wanted_labels = [label for label in request.query.get("labels", "").split(",") if label]
    found = [
        merge_request
        for (project_id, _), merge_request in store.merge_requests.items()
        if project_id == project["id"]
        and state in ("all", merge_request["state"])
        and _matches(merge_request, request.query, "source_branch")
        and _matches(merge_request, request.query, "target_branch")
        and all(label in merge_request.get("labels", []) for label in wanted_labels)
        and (
            "author_id" not in request.query
            or str((merge_request.get("author") or {}).get("id")) == request.query["author_id"]
        )
    ]
    ordered = sorted(found, key=lambda merge_request: (merge_request.get(order_by) or "", merge_request["iid"]))
    if request.query.get("sort", "desc") == "desc":
        ordered.reverse()
    return paginated(request, ordered)


def get_merge_request(request: Request, store: Store) -> Response:
    return Response(200, store.merge_request(request.params["project"], request.params["iid"]))


def create_merge_request(request: Request, store: Store) -> Response:
    project = store.project(request.params["project"])
    source, target = str(request.require("source_branch")), str(request.require("target_branch"))
    title = str(request.require("title"))
    for branch in (source, target):
        if (project["id"], branch) not in store.branches:
            raise ApiError(422, [f'Branch "{branch}" does not exist'])
    for other in store.merge_requests.values():
        same = (other["project_id"], other["source_branch"], other["target_branch"]) == (project["id"], source, target)
        if same and other["state"] == "opened":
            raise ApiError(409, [f"Another open merge request already exists for this source branch: !{other['iid']}"])
    iid = max((iid for project_id, iid in store.merge_requests if project_id == project["id"]), default=0) + 1
    created_at = now()
    merge_request = {
        "id": store.next_id("merge_request"),
        "iid": iid,
        "project_id": project["id"],
        "title": title,
        "description": str(request.body.get("description") or ""),
        "state": "opened",
        "source_branch": source,
        "target_branch": target,
        "labels": _labels(request.body.get("labels")),
        "author": store.user_summary(request.user),
        "force_remove_source_branch": bool(request.body.get("remove_source_branch", False)),
        "created_at": created_at,
        "updated_at": created_at,
        "web_url": f"{project['web_url']}/-/merge_requests/{iid}",
    }
    store.merge_requests[(project["id"], iid)] = merge_request
    return Response(201, merge_request)


def update_merge_request(request: Request, store: Store) -> Response:
    merge_request = store.merge_request(request.params["project"], request.params["iid"])
    for field in ("title", "description"):
        if field in request.body:
            merge_request[field] = str(request.body[field])
    if "labels" in request.body:
        merge_request["labels"] = _labels(request.body["labels"])
    event = request.body.get("state_event")
    if event is not None:
        if event not in ("close", "reopen"):
            raise ApiError(400, "state_event does not have a valid value")
        merge_request["state"] = "closed" if event == "close" else "opened"
    merge_request["updated_at"] = now()
    return Response(200, merge_request)


def _matches(merge_request: dict[str, Any], query: dict[str, str], field: str) -> bool:
    return field not in query or merge_request.get(field) == query[field]


def _labels(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(label) for label in value]
    return [label.strip() for label in str(value or "").split(",") if label.strip()]


ROUTES = (
    route("GET", BASE, list_merge_requests),
    route("POST", BASE, create_merge_request),
    route("GET", BASE + "/{iid}", get_merge_request),
    route("PUT", BASE + "/{iid}", update_merge_request),
)
