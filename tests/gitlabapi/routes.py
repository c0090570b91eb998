"""Every resource module the test GitLab serves; adding a resource is one module and one line here."""

from __future__ import annotations

from gitlabapi import merge_requests, notes, projects, repository, users
from gitlabapi.protocol import Route

RESOURCES = {
    "users": users,
    "notes": notes,
    "projects": projects,
    "repository": repository,
    "merge_requests": merge_requests,
}


def all_routes() -> tuple[Route, ...]:
    return tuple(entry for module in RESOURCES.values() for entry in module.ROUTES)
