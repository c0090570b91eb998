"""`smgitops run` refuses a source that can never work with one line, instead of retrying for ever."""

from __future__ import annotations

from controller.main import main


def test_a_missing_local_directory_is_one_line_and_exit_1(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert main(["run", str(missing), "--max-cycles", "1", "--health-port", "0"]) == 1
    assert capsys.readouterr().err == f"{missing}:1:1: (directory): no such directory, and not a git URL\n"


def test_proposal_settings_that_cannot_work_are_one_line_without_the_token(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SMGITOPS_GITLAB_TOKEN", raising=False)
    source = str(tmp_path)
    base = ["run", source, "--max-cycles", "1", "--health-port", "0"]
    assert main([*base, "--gitlab-url", "https://gitlab.example.com"]) == 1
    assert capsys.readouterr().err == "run: --gitlab-url needs --gitlab-project too (or $SMGITOPS_GITLAB_PROJECT)\n"
    assert main([*base, "--gitlab-url", "https://gitlab.example.com", "--gitlab-project", "acme/ml-fleet"]) == 1
    assert capsys.readouterr().err == (
        "run: SMGITOPS_GITLAB_TOKEN is not set (proposals need a GitLab token with the api scope)\n"
    )
    monkeypatch.setenv("SMGITOPS_GITLAB_TOKEN", "glpat-secret")
    assert main([*base, "--gitlab-url", "gitlab.example.com", "--gitlab-project", "acme/ml-fleet"]) == 1
    err = capsys.readouterr().err
    assert err == "run: --gitlab-url: expected an http(s) URL, got 'gitlab.example.com'\n" and "glpat" not in err
