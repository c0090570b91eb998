"""The pytest fixture `gitlab_api`: a fresh test GitLab per test, started and stopped around it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gitlabapi.server import GitLabServer


@pytest.fixture
def gitlab_api() -> Iterator[GitLabServer]:
    with GitLabServer() as server:
        yield server
