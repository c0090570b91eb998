"""The request and response types every route handler sees, path templates, errors and GitLab's pagination.

A route is `route("GET", "/projects/{project}/merge_requests/{iid}/notes", handler)`: each `{name}` matches one
path segment, URL-decoded (so `{project}` takes `42` or `acme%2Fml-fleet`), and reaches the handler as
`request.params[name]`. Handlers raise `ApiError(status, message)` for GitLab's error answers
(`{"message": ...}`) and return `Response`s, `paginated(request, items)` for lists.
"""

from __future__ import annotations

import math
import re
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100


class ApiError(Exception):
    def __init__(self, status: int, message: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: dict[str, Any]
    user: dict[str, Any] | None
    base_url: str  # http://127.0.0.1:PORT/api/v4

    def require(self, name: str) -> Any:
        """A required body attribute, or GitLab's 400 `<name> is missing`."""
        value = self.body.get(name)
        if value is None or value == "":
            raise ApiError(400, f"{name} is missing")
        return value

    def integer(self, name: str, default: int) -> int:
        raw = self.query.get(name, "")
        return int(raw) if raw.isdigit() else default


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request, Any], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


def route(method: str, template: str, handler: Handler) -> Route:
    """A route for `template` below `/api/v4`, `{name}` matching one path segment."""
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return Route(method, re.compile(f"^{regex}$"), handler)


def match(routes: Sequence[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route for `method` and the raw (still encoded) `path`, with its decoded parameters."""
    for candidate in routes:
        found = candidate.pattern.match(path)
        if found and candidate.method == method:
            return candidate, {name: urllib.parse.unquote(value) for name, value in found.groupdict().items()}
    return None


def paginated(request: Request, items: Sequence[Any]) -> Response:
    """One page of `items` with GitLab's offset-pagination headers and `Link` (first, prev, next, last)."""
    per_page = min(max(request.integer("per_page", DEFAULT_PER_PAGE), 1), MAX_PER_PAGE)
    page = max(request.integer("page", 1), 1)
    total_pages = max(math.ceil(len(items) / per_page), 1)
    chunk = list(items[(page - 1) * per_page : page * per_page])
    headers = {
        "X-Page": str(page),
        "X-Per-Page": str(per_page),
        "X-Total": str(len(items)),
        "X-Total-Pages": str(total_pages),
        "X-Next-Page": str(page + 1) if page < total_pages else "",
        "X-Prev-Page": str(page - 1) if page > 1 else "",
    }
    links = {"first": 1, "last": total_pages}
    if page < total_pages:
        links["next"] = page + 1
    if page > 1:
        links["prev"] = page - 1
    headers["Link"] = ", ".join(
        f'<{_page_url(request, number, per_page)}>; rel="{rel}"' for rel, number in links.items()
    )
    return Response(200, chunk, headers)


def _page_url(request: Request, page: int, per_page: int) -> str:
    query = {**request.query, "page": str(page), "per_page": str(per_page)}
    return f"{request.base_url}{request.path}?{urllib.parse.urlencode(query)}"
