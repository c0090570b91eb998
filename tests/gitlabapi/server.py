"""`GitLabServer`: the test GitLab's HTTP front, on 127.0.0.1 and a free port, in a thread.

It authenticates as GitLab does (`PRIVATE-TOKEN` or `Authorization: Bearer`, else 401), decodes JSON or form
bodies, dispatches to the routes of `routes.RESOURCES` under `/api/v4`, and answers JSON. Every request is
recorded in `requests` as `(method, path)` so tests can say what the client did. Seed it with `add_user`,
`add_project`, `add_merge_request` and `commit_files`; a fresh server already has one user (`bot`, token
`bot-token`), one project (`42`, `acme/ml-fleet`, no commits yet) and its merge request `!7`.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gitlabapi.protocol import ApiError, Request, Response, match
from gitlabapi.repository import commit_files
from gitlabapi.routes import all_routes
from gitlabapi.store import Store, now

API_PREFIX = "/api/v4"


class GitLabServer:
    def __init__(self) -> None:
        self.store = Store()
        self.requests: list[tuple[str, str]] = []
        self.routes = all_routes()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._http.daemon_threads = True
        self._thread: threading.Thread | None = None
        host, port = self._http.server_address[:2]
        self.url = f"http://{host}:{port}"
        self.api_url = self.url + API_PREFIX
        self.bot = self.add_user("bot", token="bot-token")
        self.project = self.add_project("acme/ml-fleet", project_id=42)
        self.merge_request = self.add_merge_request(self.project, iid=7, title="churn: approve version 9 in staging")

    def __enter__(self) -> GitLabServer:
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, name="gitlab-api", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._http.shutdown()
        self._http.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def add_user(self, username: str, *, token: str) -> dict[str, Any]:
        with self.store.lock:
            user_id = self.store.next_id("user")
            user = {
                "id": user_id,
                "username": username,
                "name": username.title(),
                "state": "active",
                "avatar_url": None,
                "web_url": f"{self.url}/{username}",
            }
            self.store.users_by_token[token] = user
            return user

    def add_project(self, path: str, *, project_id: int | None = None) -> dict[str, Any]:
        with self.store.lock:
            project_id = project_id or self.store.next_id("project")
            project = {
                "id": project_id,
                "path_with_namespace": path,
                "name": path.rsplit("/", 1)[-1],
                "default_branch": "main",
                "web_url": f"{self.url}/{path}",
            }
            self.store.projects[project_id] = project
            return project

    def add_merge_request(self, project: dict[str, Any], *, iid: int, title: str, **fields: Any) -> dict[str, Any]:
        with self.store.lock:
            merge_request = {
                "id": self.store.next_id("merge_request"),
                "iid": iid,
                "project_id": project["id"],
                "title": title,
                "description": "",
                "state": "opened",
                "source_branch": f"mr-{iid}",
                "target_branch": project["default_branch"],
                "created_at": now(),
                "web_url": f"{project['web_url']}/-/merge_requests/{iid}",
                **fields,
            }
            self.store.merge_requests[(project["id"], iid)] = merge_request
            return merge_request

    def commit_files(
        self, project: dict[str, Any], files: dict[str, bytes], *, branch: str | None = None, message: str = "Seed"
    ) -> dict[str, Any]:
        """Commit `files` on top of `branch` (default: the project's default branch), as a push would."""
        branch = branch or project["default_branch"]
        with self.store.lock:
            parent = self.store.branches.get((project["id"], branch))
            tree = {**(self.store.commits[parent]["files"] if parent else {}), **files}
            return commit_files(self.store, project["id"], branch=branch, files=tree, message=message, parent=parent)

    def file(self, project: dict[str, Any], path: str, *, ref: str) -> bytes | None:
        """The bytes of `path` at the head of branch `ref`, None when it is not there."""
        with self.store.lock:
            head = self.store.branches.get((project["id"], ref))
            return self.store.commits[head]["files"].get(path) if head else None

    def merge_requests(self, project: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The merge requests of a project (default `acme/ml-fleet`), by iid."""
        project = project or self.project
        with self.store.lock:
            found = sorted(self.store.merge_requests.items())
            return [merge_request for (project_id, _), merge_request in found if project_id == project["id"]]

    def notes(self, merge_request: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The notes of a merge request (default `!7`), oldest first."""
        merge_request = merge_request or self.merge_request
        with self.store.lock:
            return list(self.store.notes[(merge_request["project_id"], merge_request["iid"])])

    def dispatch(self, method: str, raw_path: str, headers, raw_body: bytes) -> Response:
        path, _, query_string = raw_path.partition("?")
        self.requests.append((method, path))
        if not path.startswith(API_PREFIX + "/"):
            return Response(404, {"message": "404 Not Found"})
        path = path[len(API_PREFIX) :]
        found = match(self.routes, method, path)
        if found is None:
            return Response(404, {"error": "404 Not Found"})
        entry, params = found
        with self.store.lock:
            user = self.store.users_by_token.get(_token(headers))
            if user is None:
                return Response(401, {"message": "401 Unauthorized"})
            request = Request(
                method=method,
                path=path,
                params=params,
                query=dict(urllib.parse.parse_qsl(query_string)),
                body=_body(headers, raw_body),
                user=user,
                base_url=self.api_url,
            )
            try:
                return entry.handler(request, self.store)
            except ApiError as error:
                return Response(error.status, {"message": error.message})


def _token(headers) -> str:
    bearer = headers.get("Authorization", "")
    return headers.get("PRIVATE-TOKEN") or (bearer[7:] if bearer.startswith("Bearer ") else "")


def _body(headers, raw_body: bytes) -> dict[str, Any]:
    if not raw_body:
        return {}
    if headers.get("Content-Type", "").startswith("application/json"):
        return json.loads(raw_body)
    return dict(urllib.parse.parse_qsl(raw_body.decode()))


def _handler_class(server: GitLabServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw_body = self.rfile.read(length) if length else b""
            response = server.dispatch(self.command, self.path, self.headers, raw_body)
            payload = b"" if response.body is None else json.dumps(response.body).encode()
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    return Handler
