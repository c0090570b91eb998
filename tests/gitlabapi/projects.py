"""`GET /projects/:id`: a project by id or URL-encoded path (python-gitlab reads `default_branch` from it)."""

from __future__ import annotations

from gitlabapi.protocol import Request, Response, route
from gitlabapi.store import Store


def get_project(request: Request, store: Store) -> Response:
    return Response(200, store.project(request.params["project"]))


ROUTES = (route("GET", "/projects/{project}", get_project),)
