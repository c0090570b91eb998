"""`smgitops propose` keeps one merge request per (model, environment) asking for the newest qualifying version,
driven by python-gitlab against the test GitLab and by the registry on the AWS emulator."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from controller.aws.emulator import put_json, register_version
from controller.commands.demo import registry_bucket
from controller.main import main

EXAMPLE = Path(__file__).resolve().parents[2] / "desired_state"
DEV = "desired_state/dev/churn.yaml"
BRANCH = "smgitops/propose/dev/churn"
RUN = "arn:aws:sagemaker:us-east-1:111111111111:pipeline/churn-training/execution/k2x9f0a1b3c4"
WRITES = ("POST", "PUT", "DELETE", "PATCH")


def commented(text: str) -> str:
    """The file with a comment on every line and between them, so only a byte-exact edit keeps it whole."""
    lines = []
    for number, line in enumerate(text.splitlines()):
        lines.append(f"{line}   # note {number}: why this value" if number and line.strip() else line)
        if number and not line.startswith(" "):
            lines.append(f"# section note {number}\r")  # a stray carriage return stays a carriage return
    return "\n".join(lines) + "\n"


@pytest.fixture
def project(tmp_path, gitlab_api, monkeypatch, emulator):
    """A repository of the example (dev's churn file full of comments) checked out in the job's directory and
    pushed to the test GitLab's default branch; the variables of a scheduled pipeline on that branch."""
    desired = tmp_path / "desired_state"
    shutil.copytree(EXAMPLE, desired)
    dev = desired / "dev" / "churn.yaml"
    dev.write_bytes(commented(dev.read_text()).encode())
    files = {f"desired_state/{path.relative_to(desired)}": path.read_bytes() for path in desired.rglob("*.yaml")}
    gitlab_api.commit_files(gitlab_api.project, files, message="Declare the fleet")
    variables = {
        "CI_API_V4_URL": gitlab_api.api_url, "CI_PROJECT_ID": "42", "CI_DEFAULT_BRANCH": "main",
        "CI_PROJECT_DIR": str(tmp_path), "SMGITOPS_GITLAB_TOKEN": "bot-token",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_ENDPOINT_URL": emulator.url,
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    return gitlab_api


def register(aws, state, number: int, *, mse: float | None = None) -> None:
    """Training registers version `number` (its registered mse: the emulator's default, or `mse`)."""
    bucket = registry_bucket(state)
    arn = register_version(aws, state.registry, group="churn", number=number, bucket=bucket)
    if mse is not None:
        put_json(aws, state.registry, bucket=bucket, key=f"churn/{number}/evaluation.json",
                 document={"regression_metrics": {"mse": {"value": mse}}})
    sagemaker = aws.client("sagemaker", state.registry)
    metadata = sagemaker.describe_model_package(ModelPackageName=arn).get("CustomerMetadataProperties") or {}
    sagemaker.update_model_package(
        ModelPackageArn=arn,
        CustomerMetadataProperties={**metadata, "smgitops/pipeline": "churn-training", "smgitops/execution": RUN},
    )


def propose(*arguments: str) -> int:
    return main(["propose", "desired_state", *arguments])


def proposals(server) -> list[dict]:
    return [mr for mr in server.merge_requests() if mr["source_branch"].startswith("smgitops/propose/")]


def writes(server) -> list[tuple[str, str]]:
    return [request for request in server.requests if request[0] in WRITES]


def test_a_qualifying_version_opens_one_merge_request_that_changes_one_value(project, aws, fleet, capsys, monkeypatch):
    monkeypatch.delenv("CI_DEFAULT_BRANCH")  # then the project's default branch is the target
    register(aws, fleet, 9)

    assert propose() == 0

    [proposal] = proposals(project)
    out = capsys.readouterr().out
    assert f"propose: dev/churn: opened !{proposal['iid']} for version 9: {proposal['web_url']}\n" in out
    assert "propose: staging/ltv: none: no registered version newer than the declared ones meets" in out
    main_file, proposed = project.file(project.project, DEV, ref="main"), project.file(project.project, DEV, ref=BRANCH)
    assert b"\r" in main_file and b"# note" in main_file
    assert proposed == main_file.replace(b"approvedVersion: 8   # note", b"approvedVersion: 9   # note", 1)
    assert proposed != main_file
    assert (proposal["target_branch"], proposal["labels"], proposal["title"]) == (
        "main", ["smgitops::proposal"], "churn: approve version 9 in dev"
    )
    description = proposal["description"]
    assert description.startswith("<!-- smgitops:proposal dev/churn version=9 -->\n")
    assert "| `mse` | 4.5 | max 12 |" in description
    assert "#/pipelines/churn-training/executions/k2x9f0a1b3c4)" in description and RUN in description
    assert "```diff\n-approvedVersion: 8   # note 3: why this value\n+approvedVersion: 9   # note 3: why" in description


def test_a_newer_version_updates_the_same_merge_request_and_a_rerun_writes_nothing(
    project, aws, fleet, capsys, monkeypatch
):
    register(aws, fleet, 9)
    assert propose("--model", "churn") == 0
    [first] = proposals(project)

    before = len(writes(project))
    assert propose("--model", "churn") == 0
    assert writes(project)[before:] == []
    assert f"dev/churn: unchanged !{first['iid']} for version 9 (already proposes version 9)" in capsys.readouterr().out

    project.add_user("bot-rotated", token="rotated-token")  # a new project access token is a new bot user
    monkeypatch.setenv("SMGITOPS_GITLAB_TOKEN", "rotated-token")
    register(aws, fleet, 10)
    assert propose("--model", "churn") == 0
    [updated] = proposals(project)
    assert updated["iid"] == first["iid"]
    assert f"dev/churn: updated !{first['iid']} for version 10" in capsys.readouterr().out
    assert "version=10 -->" in updated["description"] and "| `mse` | 4 | max 12 |" in updated["description"]
    main_file = project.file(project.project, DEV, ref="main")
    assert project.file(project.project, DEV, ref=BRANCH) == main_file.replace(
        b"approvedVersion: 8   #", b"approvedVersion: 10   #", 1
    )


def test_a_version_below_the_threshold_opens_nothing(project, aws, fleet, capsys):
    register(aws, fleet, 9, mse=12.5)  # dev allows mse up to 12
    assert propose("--env", "dev") == 0
    assert proposals(project) == []
    assert writes(project) == []
    assert capsys.readouterr().out == (
        "propose: dev/churn: none: no registered version newer than the declared ones meets dev's thresholds\n"
    )


def on_main(server, change) -> None:
    """A commit on the default branch changing dev's churn file, checked out where the next job runs."""
    edited = change(server.file(server.project, DEV, ref="main"))
    server.commit_files(server.project, {DEV: edited}, message="Edit dev/churn.yaml by hand")
    Path(DEV).write_bytes(edited)


def test_a_proposal_the_default_branch_caught_up_with_or_rejects_is_closed_with_a_note(project, aws, fleet, capsys):
    register(aws, fleet, 9)
    assert propose("--model", "churn") == 0
    on_main(project, lambda text: text.replace(b"approvedVersion: 8", b"approvedVersion: 9"))
    assert propose("--model", "churn") == 0
    [first] = proposals(project)
    assert first["state"] == "closed"
    assert [note["body"] for note in project.notes(first)] == [
        "Closed by smgitops: `main` already declares version 9. Nothing is left to propose."
    ]

    register(aws, fleet, 10)
    assert propose("--model", "churn") == 0
    second = proposals(project)[-1]
    assert (second["state"], second["iid"] != first["iid"]) == ("opened", True)
    on_main(project, lambda text: text.replace(b"approvedVersion: 9", b"approvedVersion: 9\nrejectedVersions: [10]"))
    assert propose("--model", "churn") == 0
    assert [mr["state"] for mr in proposals(project)] == ["closed", "closed"]
    assert project.notes(second)[0]["body"].startswith("Closed by smgitops: `main` rejects version 10")
    out = capsys.readouterr().out
    assert f"dev/churn: closed !{first['iid']} for version 9" in out
    assert f"dev/churn: opened !{second['iid']} for version 10" in out


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SMGITOPS_GITLAB_TOKEN", "", "propose: SMGITOPS_GITLAB_TOKEN is not set (a masked CI/CD variable holding a "
                                     "project access token)\n"),
        ("SMGITOPS_GITLAB_TOKEN", "glpat-wrong-secret", "propose: GitLab refused: authenticating: HTTP 401: "
                                                       "401 Unauthorized\n"),
        ("CI_PROJECT_ID", "", "propose: CI_PROJECT_ID is not set\n"),
    ],
)
def test_a_bad_setup_is_one_line_without_the_token(project, capsys, monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    assert propose() == 1
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", message)
    assert writes(project) == []


def test_a_directory_outside_the_checkout_is_one_line_and_writes_nothing(project, tmp_path, capsys, monkeypatch):
    (tmp_path / "job").mkdir()
    monkeypatch.setenv("CI_PROJECT_DIR", str(tmp_path / "job"))
    monkeypatch.chdir(tmp_path / "job")

    assert main(["propose", "../desired_state"]) == 1

    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "propose: ../desired_state: neither in $CI_PROJECT_DIR nor in the "
                                                "working directory, so its path in the repository is unknown\n")
    assert writes(project) == []
