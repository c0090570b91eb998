"""Which jobs each kind of pipeline gets, as gitlab-ci-local evaluates the rules (it lists them, runs none)."""

from __future__ import annotations

import shutil

from gitlab_ci_local import REPO, change_staging, git, jobs_when

APPLY_JOBS = ("smgitops:apply:dev", "smgitops:apply:staging", "smgitops:apply:prod")


def merged_to_main(repo) -> None:
    """The merge-request branch merged; `origin/main` is the commit before it, as for a push pipeline."""
    change_staging(repo, "schedule: cron(0 5 * * ? *)", "schedule: cron(0 6 * * ? *)")
    git(repo, "checkout", "--quiet", "main")
    git(repo, "merge", "--quiet", "--ff-only", "staging-earlier")


def test_on_the_default_branch_nothing_runs_while_the_controller_follows_it(team_repo):
    merged_to_main(team_repo)
    assert set(jobs_when(team_repo).values()) == {"never"}


def test_without_the_controller_the_default_branch_applies_prod_only_by_hand(team_repo):
    merged_to_main(team_repo)
    jobs = jobs_when(team_repo, SMGITOPS_APPLY="ci")
    assert {name: jobs[name] for name in APPLY_JOBS} == {
        "smgitops:apply:dev": "on_success",
        "smgitops:apply:staging": "on_success",
        "smgitops:apply:prod": "manual",
    }
    assert jobs["smgitops:plan"] == "never"


def test_the_projects_own_merge_request_pipeline_lints_tests_and_validates_the_example(tmp_path):
    repo = tmp_path / "smgitops"
    repo.mkdir()
    for name in (".gitlab-ci.yml", "Makefile"):
        shutil.copy(REPO / name, repo / name)
    for directory in ("ci", "desired_state"):
        shutil.copytree(REPO / directory, repo / directory)
    (repo / "terraform").mkdir()
    (repo / "terraform" / "main.tf").write_text("")
    (repo / "Dockerfile").write_text("FROM python:3.11-slim\n")
    git(repo, "init", "--quiet", "--initial-branch", "main")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", "smgitops")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(repo, "checkout", "--quiet", "-b", "feature")
    change_staging(repo, "schedule: cron(0 5 * * ? *)", "schedule: cron(0 6 * * ? *)")

    merge_request = jobs_when(repo, CI_PIPELINE_SOURCE="merge_request_event", CI_MERGE_REQUEST_IID="3")
    assert {name for name, when in merge_request.items() if when != "never"} == {
        "lint",
        "test",
        "terraform",
        "smgitops:validate",
    }

    git(repo, "checkout", "--quiet", "main")
    git(repo, "merge", "--quiet", "--ff-only", "feature")
    default_branch = jobs_when(repo)
    assert {name for name, when in default_branch.items() if when != "never"} == {
        "lint",
        "test",
        "terraform",
        "container-image",
    }


def test_a_scheduled_pipeline_on_the_default_branch_only_proposes(team_repo):
    merged_to_main(team_repo)
    scheduled = jobs_when(team_repo, CI_PIPELINE_SOURCE="schedule")
    assert {name for name, when in scheduled.items() if when != "never"} == {"smgitops:propose"}
    assert jobs_when(team_repo, CI_PIPELINE_SOURCE="schedule", SMGITOPS_PROPOSE="false")["smgitops:propose"] == "never"
    assert jobs_when(team_repo)["smgitops:propose"] == "never"
