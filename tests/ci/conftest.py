from __future__ import annotations

from pathlib import Path

import pytest
from gitlab_ci_local import make_team_repo


@pytest.fixture
def team_repo(tmp_path: Path) -> Path:
    return make_team_repo(tmp_path / "ml-fleet")
