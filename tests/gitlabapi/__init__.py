"""A small GitLab REST API (v4) server for tests, answering the way GitLab's API documentation describes.

`GitLabServer` serves on 127.0.0.1 on a free port from a thread; the code under test reaches it with the real
python-gitlab client at `server.api_url`, exactly as it reaches gitlab.com. State lives in a `Store`
(users and their tokens, projects, merge requests, notes); each resource's routes live in their own module
(`users`, `notes`, ...) listed in `routes.RESOURCES`. To add a resource: write a module with a `ROUTES` tuple
of `route(...)` entries whose handlers take `(request, store)` and return a `Response`, then add it to
`RESOURCES`.
"""

from gitlabapi.server import GitLabServer
from gitlabapi.store import Store

__all__ = ["GitLabServer", "Store"]
