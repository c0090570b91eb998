"""The controller's image: hadolint finds nothing, and the Dockerfile keeps the promises the issue and the
ECS task definition rely on (checked here without a container engine; `make image` builds it where one exists).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from dockerfile import DOCKERFILE, stages

from controller.main import build_parser
from controller.pipelines import cache

PYPROJECT = tomllib.loads((DOCKERFILE.parent / "pyproject.toml").read_text())
HADOLINT = Path(sys.executable).parent / "hadolint"


def test_hadolint_reports_nothing():
    completed = subprocess.run([str(HADOLINT), str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert completed.returncode == 0 and completed.stdout == "", completed.stdout + completed.stderr


def test_two_stages_on_the_same_pinned_slim_python():
    build, final = stages()
    assert build.name == "build" and final.name is None
    assert build.base == final.base
    version = re.fullmatch(r"python:(\d+)\.(\d+)\.(\d+)-slim(-\w+)?", final.base)
    assert version, f"{final.base}: pin the full Python version of an official slim image"
    minimum = re.fullmatch(r">=(\d+)\.(\d+)", PYPROJECT["project"]["requires-python"])
    assert (int(version[1]), int(version[2])) >= (int(minimum[1]), int(minimum[2]))


def test_the_image_installs_what_the_tests_install():
    build, _ = stages()
    [install] = [run for run in build.all("RUN") if " install " in run]
    extras = set(re.search(r"'\.\[([\w,]+)\]'", install)[1].split(","))
    assert extras == {"pipelines"}
    test_extra = PYPROJECT["project"]["optional-dependencies"]["test"]
    tested = next(item for item in test_extra if item.startswith("smgitops["))
    assert extras <= set(tested.removeprefix("smgitops[").removesuffix("]").split(","))
    assert "--no-cache-dir" in install and "/opt/smgitops" in install


def test_final_stage_has_only_the_virtualenv_git_and_time_zones():
    _, final = stages()
    assert final.all("COPY") == ["--from=build /opt/smgitops /opt/smgitops"], "no sources, tests or build tools"
    [packages] = [run for run in final.all("RUN") if "apt-get install" in run]
    assert {"git", "tzdata"} <= set(packages.split()) and "rm -rf /var/lib/apt/lists/*" in packages
    assert not any(tool in packages.split() for tool in ("gcc", "build-essential", "make"))


def test_runs_smgitops_run_as_a_non_root_user():
    _, final = stages()
    assert final.exec_form("ENTRYPOINT") == ["smgitops"] and "smgitops" in PYPROJECT["project"]["scripts"]
    assert final.exec_form("CMD") == ["run"]
    user = final.last("USER")
    assert user.isdigit() and int(user) != 0
    assert f"--uid {user}" in " ".join(final.all("RUN"))


def test_the_render_cache_is_a_directory_the_user_owns(monkeypatch):
    _, final = stages()
    directory = final.environment()["SMGITOPS_CACHE_DIR"]
    user = final.last("USER")
    assert f"--owner={user} --group={user} {directory}" in " ".join(final.all("RUN"))
    monkeypatch.setenv("SMGITOPS_CACHE_DIR", directory)
    assert cache.cache_dir() == Path(directory)


def test_port_and_health_check_are_those_smgitops_run_serves():
    _, final = stages()
    port = build_parser().parse_args(["run", "https://git.example.com/x.git"]).health_port
    assert final.last("EXPOSE") == str(port)
    assert f"http://127.0.0.1:{port}/healthz" in final.last("HEALTHCHECK")
