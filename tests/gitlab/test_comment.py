"""`smgitops comment` keeps one plan note per merge request, driven by python-gitlab against the test GitLab."""

from __future__ import annotations

import pytest

from controller.main import main

PLAN_V1 = "### smgitops plan for `8e7d6c5b4a39`\n\n**0** to create · **1** to update\n"
PLAN_V2 = "### smgitops plan for `9f8e7d6c5b4a`\n\n**0** to create · **2** to update\n"


@pytest.fixture
def ci(gitlab_api, monkeypatch):
    """The variables GitLab gives a merge-request job, pointed at the test GitLab's `!7`."""
    monkeypatch.setenv("CI_API_V4_URL", gitlab_api.api_url)
    monkeypatch.setenv("CI_PROJECT_ID", "42")
    monkeypatch.setenv("CI_MERGE_REQUEST_IID", "7")
    monkeypatch.setenv("CI_JOB_URL", f"{gitlab_api.url}/acme/ml-fleet/-/jobs/991")
    monkeypatch.setenv("SMGITOPS_GITLAB_TOKEN", "bot-token")
    return gitlab_api


def post(tmp_path, text: str, *extra: str) -> int:
    plan = tmp_path / "plan.md"
    plan.write_text(text)
    return main(["comment", str(plan), *extra])


def human_notes(server, count: int) -> None:
    """Review comments by a person, enough to fill more than one page of 100."""
    reviewer = server.add_user("reviewer", token="reviewer-token")
    for number in range(count):
        server.store.notes[(42, 7)].append(
            {
                "id": server.store.next_id("note"),
                "body": f"looks good {number}",
                "author": reviewer,
                "created_at": f"2026-01-01T00:00:{number % 60:02d}.000Z",
                "updated_at": "2026-01-01T00:00:00.000Z",
                "system": False,
                "project_id": 42,
                "noteable_iid": 7,
            }
        )


def test_the_first_push_creates_the_note_and_the_second_edits_it(ci, tmp_path, capsys):
    human_notes(ci, 150)

    assert post(tmp_path, PLAN_V1) == 0
    [first] = [note for note in ci.notes() if note["author"]["id"] == ci.bot["id"]]
    assert "note {} created on !7".format(first["id"]) in capsys.readouterr().out
    assert first["body"] == f"<!-- smgitops:plan -->\n{PLAN_V1}"

    assert post(tmp_path, PLAN_V2) == 0
    [second] = [note for note in ci.notes() if note["author"]["id"] == ci.bot["id"]]
    assert second["id"] == first["id"]
    assert second["body"] == f"<!-- smgitops:plan -->\n{PLAN_V2}"
    assert len(ci.notes()) == 151
    assert ("PUT", f"/api/v4/projects/42/merge_requests/7/notes/{first['id']}") in ci.requests
    assert [request for request in ci.requests if request[0] == "POST"] == [
        ("POST", "/api/v4/projects/42/merge_requests/7/notes")
    ]


def test_an_unchanged_plan_writes_nothing_and_keys_keep_separate_notes(ci, tmp_path, capsys):
    assert post(tmp_path, PLAN_V1) == 0
    assert post(tmp_path, PLAN_V1) == 0
    assert "unchanged" in capsys.readouterr().out
    assert post(tmp_path, PLAN_V2, "--key", "plan-prod") == 0
    bodies = sorted(note["body"].splitlines()[0] for note in ci.notes())
    assert bodies == ["<!-- smgitops:plan -->", "<!-- smgitops:plan-prod -->"]
    assert not [request for request in ci.requests if request[0] == "PUT"]


def test_a_marked_note_written_by_someone_else_is_left_alone(ci, tmp_path):
    someone = ci.add_user("mallory", token="mallory-token")
    ci.store.notes[(42, 7)].append(
        {
            "id": ci.store.next_id("note"),
            "body": "<!-- smgitops:plan -->\nfake plan",
            "author": someone,
            "created_at": "2026-01-01T00:00:00.000Z",
            "updated_at": "2026-01-01T00:00:00.000Z",
            "system": False,
            "project_id": 42,
            "noteable_iid": 7,
        }
    )
    assert post(tmp_path, PLAN_V1) == 0
    assert [note["body"] for note in ci.notes()] == [
        "<!-- smgitops:plan -->\nfake plan",
        f"<!-- smgitops:plan -->\n{PLAN_V1}",
    ]


def test_a_plan_over_the_note_limit_is_cut_with_a_link_to_the_artifact(ci, tmp_path, capsys):
    line = "| `~` | pipeline | `churn-batch-inference` | desired-change in `staging/churn.yaml` |\n"
    huge = "### smgitops plan\n\n```diff\n" + line * 14_000 + "```\n"
    assert len(huge) > 1_000_000

    assert post(tmp_path, huge, "--artifact", "plan.md") == 0

    [note] = ci.notes()
    assert len(note["body"]) <= 1_000_000
    assert note["body"].startswith("<!-- smgitops:plan -->\n### smgitops plan\n")
    assert note["body"].endswith(
        "\n```\n\n**Cut here: the whole text is too long for one comment.** Read it in "
        f"[plan.md]({ci.url}/acme/ml-fleet/-/jobs/991/artifacts/file/plan.md).\n"
    )
    assert "(cut to GitLab's note limit)" in capsys.readouterr().out


def test_outside_a_merge_request_pipeline_it_says_which_variable_is_missing(ci, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("CI_MERGE_REQUEST_IID")
    assert post(tmp_path, PLAN_V1) == 1
    assert capsys.readouterr().err == (
        "comment: CI_MERGE_REQUEST_IID is not set (only merge-request pipelines have it)\n"
    )
    assert ci.notes() == []


def test_a_refused_token_is_one_line_that_does_not_show_it(ci, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SMGITOPS_GITLAB_TOKEN", "glpat-wrong-secret")
    assert post(tmp_path, PLAN_V1) == 1
    err = capsys.readouterr().err
    assert err == "comment: GitLab refused: authenticating: HTTP 401: 401 Unauthorized\n"
    assert ci.notes() == []
