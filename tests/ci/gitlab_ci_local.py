"""Running gitlab-ci-local in tests: a team's repository with the template, pipelines, job logs, job lists."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GITLAB_CI_LOCAL = REPO / ".tools" / "node_modules" / ".bin" / "gitlab-ci-local"
STAGING = "desired_state/staging/churn.yaml"
DEV = "desired_state/dev/churn.yaml"


def git(repo: Path, *args: str) -> None:
    identity = ["-c", "user.name=Data Scientist", "-c", "user.email=ds@example.com"]
    subprocess.run(["git", *identity, *args], cwd=repo, check=True, capture_output=True)


def make_team_repo(repo: Path) -> Path:
    """A team's repository: the example on `main` (also as `origin/main`) and a merge-request branch."""
    shutil.copytree(REPO / "desired_state", repo / "desired_state")
    shutil.copytree(REPO / "ci", repo / "ci")
    (repo / ".gitlab-ci.yml").write_text("include:\n  - local: ci/smgitops.gitlab-ci.yml\n")
    git(repo, "init", "--quiet", "--initial-branch", "main")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", "the fleet")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(repo, "checkout", "--quiet", "-b", "staging-earlier")
    return repo


def change_staging(repo: Path, old: str, new: str) -> None:
    path = repo / STAGING
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    git(repo, "commit", "--quiet", "--all", "--message", f"staging: {new}")


def gitlab_ci_local(repo: Path, *arguments: str, **variables: str) -> subprocess.CompletedProcess[str]:
    assert GITLAB_CI_LOCAL.exists(), f"{GITLAB_CI_LOCAL} is missing: `make test` (target ci-tools) installs it"
    command = [str(GITLAB_CI_LOCAL), *arguments]
    for name, value in variables.items():
        command += ["--variable", f"{name}={value}"]
    path = f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        command, cwd=repo, env={**os.environ, "PATH": path}, capture_output=True, text=True, timeout=600
    )


def jobs_when(repo: Path, **variables: str) -> dict[str, str]:
    """Each job of the pipeline gitlab-ci-local would run here, with its `when` (`never`: left out)."""
    result = gitlab_ci_local(repo, "--list-json", **variables)
    assert result.returncode == 0, result.stderr
    listing = result.stdout[result.stdout.index("[\n") :]  # after its warnings about overridden variables
    return {job["name"]: job["when"] for job in json.loads(listing)}


def run_pipeline(repo: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """The merge-request pipeline of `repo`'s current branch, every job a shell process."""
    merge_request = {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "7", **variables}
    return gitlab_ci_local(repo, "--force-shell-executor", "--no-color", "--concurrency", "1", **merge_request)


def run_scheduled_pipeline(repo: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """The pipeline a schedule starts on `repo`'s current branch, every job a shell process."""
    schedule = {"CI_PIPELINE_SOURCE": "schedule", **variables}
    return gitlab_ci_local(repo, "--force-shell-executor", "--no-color", "--concurrency", "1", **schedule)


def job_log(repo: Path, job: str) -> str:
    """The log gitlab-ci-local wrote for `job` (it spells the `:` of `smgitops:plan` its own way in file names)."""
    [log] = [path for path in job_logs(repo) if path.stem.endswith(job.split(":")[-1])]
    return log.read_text()


def job_logs(repo: Path) -> list[Path]:
    return sorted((repo / ".gitlab-ci-local" / "output").glob("*.log"))
