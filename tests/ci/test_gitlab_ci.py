"""The merge-request pipeline of ci/smgitops.gitlab-ci.yml, run by gitlab-ci-local on a repository of a team.

The fixture repository holds the example desired_state/ on `main` and a merge-request branch that changes one
file; its .gitlab-ci.yml includes the template as a team's would. gitlab-ci-local (`make test` installs it in
.tools/) runs the jobs as shell processes: validate, then plan against the AWS emulator (the endpoint goes in
as the `AWS_ENDPOINT_URL` variable) posting its note on the test GitLab. Three pipeline runs only, as they
cost seconds each: one passes, one fails on a broken file with the `file:line:col` line in the job log, and a
scheduled one on `main` runs smgitops:propose, which opens one merge request on the test GitLab.
"""

from __future__ import annotations

import json

from gitlab_ci_local import DEV, change_staging, git, job_log, job_logs, run_pipeline, run_scheduled_pipeline

from controller.aws.emulator import register_version
from controller.commands.demo import registry_bucket
from controller.pipelines.cache import cache_dir


def project_variables(emulator, gitlab_api) -> dict[str, str]:
    """What a team sets in Settings > CI/CD > Variables (AWS access, the token) and GitLab predefines."""
    return {
        "AWS_ENDPOINT_URL": emulator.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "SMGITOPS_CACHE_DIR": str(cache_dir()),
        "CI_API_V4_URL": gitlab_api.api_url,
        "CI_PROJECT_ID": "42",
        "SMGITOPS_GITLAB_TOKEN": "bot-token",
    }


def test_validate_and_plan_pass_and_the_plan_is_posted_on_the_merge_request(team_repo, fleet, emulator, gitlab_api):
    change_staging(team_repo, "schedule: cron(0 5 * * ? *)", "schedule: cron(0 6 * * ? *)")

    result = run_pipeline(team_repo, **project_variables(emulator, gitlab_api))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "desired_state: 3 environments" in job_log(team_repo, "smgitops:validate")
    artifacts = team_repo / "smgitops-plan"
    plan = json.loads((artifacts / "plan.json").read_text())
    assert plan["errors"] == []
    assert any(change["address"] == "staging/schedule/churn-batch-inference" for change in plan["changes"])
    assert (artifacts / "pipelines" / "manifest.json").exists()
    assert (artifacts / "pipelines" / "staging" / "churn-batch-inference.json").exists()
    [note] = gitlab_api.notes()
    assert note["body"] == "<!-- smgitops:plan -->\n" + (artifacts / "plan.md").read_text()
    assert "comment: note {} created on !7".format(note["id"]) in job_log(team_repo, "smgitops:plan")


def test_a_broken_file_fails_the_pipeline_with_its_location_in_the_job_log(team_repo):
    change_staging(team_repo, "schedule: cron(0 5 * * ? *)", "schedule: cron(0 5 * * * *)")

    result = run_pipeline(team_repo)

    assert result.returncode == 1
    assert (
        "desired_state/staging/churn.yaml:9:13: batchInference.schedule: one of day-of-month and day-of-week "
        "must be '?', like cron(0 4 * * ? *) or cron(0 4 ? * MON *)"
    ) in job_log(team_repo, "smgitops:validate").splitlines()
    assert [path.stem.endswith("validate") for path in job_logs(team_repo)] == [True]


def test_a_scheduled_pipeline_proposes_a_qualifying_version_in_one_merge_request(
    team_repo, aws, fleet, emulator, gitlab_api
):
    git(team_repo, "checkout", "--quiet", "main")
    declared = (team_repo / DEV).read_bytes()
    assert b"approvedVersion: 8\n" in declared
    files = {str(path.relative_to(team_repo)): path.read_bytes() for path in team_repo.glob("desired_state/**/*.yaml")}
    gitlab_api.commit_files(gitlab_api.project, files, message="the fleet")
    register_version(aws, fleet.registry, group="churn", number=9, bucket=registry_bucket(fleet))
    before = [merge_request["iid"] for merge_request in gitlab_api.merge_requests()]  # the plan tests' !7

    result = run_scheduled_pipeline(team_repo, **project_variables(emulator, gitlab_api))

    assert result.returncode == 0, result.stdout + result.stderr
    assert [path.stem.endswith("propose") for path in job_logs(team_repo)] == [True]
    [proposal] = [merge_request for merge_request in gitlab_api.merge_requests() if merge_request["iid"] not in before]
    assert len(gitlab_api.merge_requests()) == len(before) + 1
    assert (proposal["source_branch"], proposal["target_branch"]) == ("smgitops/propose/dev/churn", "main")
    log = job_log(team_repo, "smgitops:propose")
    assert f"propose: dev/churn: opened !{proposal['iid']} for version 9: {proposal['web_url']}" in log
    proposed = gitlab_api.file(gitlab_api.project, DEV, ref=proposal["source_branch"])
    assert proposed == declared.replace(b"approvedVersion: 8\n", b"approvedVersion: 9\n", 1) != declared
    assert "bot-token" not in log
