"""Merge request notes: list (paginated, `sort`, `order_by`), get, create, update, delete.

As GitLab documents them under `/projects/:id/merge_requests/:merge_request_iid/notes`. A body over
1,000,000 characters is refused with 400 as GitLab refuses it; only a note's author may edit or delete it.
"""

from __future__ import annotations

from gitlabapi.protocol import ApiError, Request, Response, paginated, route
from gitlabapi.store import Store, now

NOTE_LIMIT = 1_000_000
BASE = "/projects/{project}/merge_requests/{iid}/notes"


def list_notes(request: Request, store: Store) -> Response:
    merge_request = store.merge_request(request.params["project"], request.params["iid"])
    notes = store.notes[(merge_request["project_id"], merge_request["iid"])]
    order_by = request.query.get("order_by", "created_at")
    if order_by not in ("created_at", "updated_at"):
        raise ApiError(400, "order_by does not have a valid value")
    ordered = sorted(notes, key=lambda note: (note[order_by], note["id"]))
    if request.query.get("sort", "desc") == "desc":
        ordered.reverse()
    return paginated(request, ordered)


def get_note(request: Request, store: Store) -> Response:
    return Response(200, _note(request, store))


def create_note(request: Request, store: Store) -> Response:
    merge_request = store.merge_request(request.params["project"], request.params["iid"])
    body = _valid_body(request)
    created_at = now()
    note = {
        "id": store.next_id("note"),
        "type": None,
        "body": body,
        "attachment": None,
        "author": store.user_summary(request.user),
        "created_at": created_at,
        "updated_at": created_at,
        "system": False,
        "noteable_id": merge_request["id"],
        "noteable_type": "MergeRequest",
        "project_id": merge_request["project_id"],
        "noteable_iid": merge_request["iid"],
        "resolvable": False,
        "confidential": False,
        "internal": bool(request.body.get("internal", False)),
    }
    store.notes[(merge_request["project_id"], merge_request["iid"])].append(note)
    return Response(201, note)


def update_note(request: Request, store: Store) -> Response:
    note = _own_note(request, store)
    note["body"] = _valid_body(request)
    note["updated_at"] = now()
    return Response(200, note)


def delete_note(request: Request, store: Store) -> Response:
    note = _own_note(request, store)
    store.notes[(note["project_id"], note["noteable_iid"])].remove(note)
    return Response(204, None)


def _valid_body(request: Request) -> str:
    body = str(request.require("body"))
    if len(body) > NOTE_LIMIT:
        raise ApiError(400, {"note": [f"is too long (maximum is {NOTE_LIMIT} characters)"]})
    return body


def _note(request: Request, store: Store) -> dict:
    merge_request = store.merge_request(request.params["project"], request.params["iid"])
    for note in store.notes[(merge_request["project_id"], merge_request["iid"])]:
        if str(note["id"]) == request.params["note_id"]:
            return note
    raise ApiError(404, "404 Note Not Found")


def _own_note(request: Request, store: Store) -> dict:
    note = _note(request, store)
    if note["author"]["id"] != request.user["id"]:
        raise ApiError(403, "403 Forbidden")
    return note


ROUTES = (
    route("GET", BASE, list_notes),
    route("POST", BASE, create_note),
    route("GET", BASE + "/{note_id}", get_note),
    route("PUT", BASE + "/{note_id}", update_note),
    route("DELETE", BASE + "/{note_id}", delete_note),
)
