"""`GET /user`: the token's own user (python-gitlab's `auth()` calls it)."""

from __future__ import annotations

from gitlabapi.protocol import Request, Response, route


def current_user(request: Request, store) -> Response:
    return Response(200, request.user)


ROUTES = (route("GET", "/user", current_user),)
