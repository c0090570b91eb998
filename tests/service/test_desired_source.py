"""Where the controller reads git: a branch cloned once and fetched, one checkout per commit (the last good one
kept), credentials taken from the environment and never shown; or a plain directory."""

from __future__ import annotations

import io
import json
import subprocess

import pytest
import structlog

from controller.service.logging import configure_logging, redact
from controller.service.source import (
    DirectorySource,
    GitSource,
    SourceError,
    credential_options,
    looks_like_git_url,
)

GIT = ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"]


def git(repo, *arguments: str) -> str:
    return subprocess.run([*GIT, *arguments], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    path = tmp_path / "fleet"
    (path / "desired_state").mkdir(parents=True)
    (path / "desired_state" / "environments.yaml").write_text("registry: {}\n")
    git(path, "init", "-q")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "one")
    return path


def test_a_branch_is_cloned_then_fetched_and_each_commit_checked_out(repo, tmp_path):
    source = GitSource(f"file://{repo}", branch="main", path="desired_state", workdir=tmp_path / "work")
    first = source.fetch()
    assert first.revision == git(repo, "rev-parse", "HEAD")[:12]
    assert (first.root / "environments.yaml").read_text() == "registry: {}\n"
    assert source.fetch() == first, "nothing new: the same checkout"

    (repo / "desired_state" / "environments.yaml").write_text("registry: {changed: true}\n")
    git(repo, "commit", "-q", "-am", "two")
    second = source.fetch()
    assert second.revision == git(repo, "rev-parse", "HEAD")[:12] != first.revision
    assert (second.root / "environments.yaml").read_text() == "registry: {changed: true}\n"
    assert (first.root / "environments.yaml").exists(), "the older checkout stays until told otherwise"

    source.keep(first)
    assert (first.root / "environments.yaml").exists()
    assert not second.root.exists(), "keep(good) drops every other checkout (a rejected commit's)"
    assert source.fetch() == second and not second.root.exists(), "the same commit again: nothing to check out"
    assert second.shown(str(second.root / "prod" / "churn.yaml")) == "desired_state/prod/churn.yaml"
    assert second.shown_in(f"{second.root}/prod/churn.yaml:4:18: x") == "desired_state/prod/churn.yaml:4:18: x"


def test_a_missing_branch_is_one_clear_error(repo, tmp_path):
    source = GitSource(f"file://{repo}", branch="release", path=".", workdir=tmp_path / "work")
    with pytest.raises(SourceError, match=r"^git clone failed: .*release"):
        source.fetch()


def test_credentials_come_from_the_environment_and_never_show(repo, tmp_path, monkeypatch):
    """A deploy token reaches git through the credential helper; a URL carrying one is masked in every message."""
    assert credential_options() == [], "no password in the environment: git's own configuration applies"
    monkeypatch.setenv("SMGITOPS_GIT_USERNAME", "gitlab+deploy-token-7")
    monkeypatch.setenv("SMGITOPS_GIT_PASSWORD", "s3cr3t-token")
    options = credential_options()
    assert "s3cr3t-token" not in " ".join(options), "the secret is read when git asks, not put on a command line"
    asked = subprocess.run(
        ["git", *options, "credential", "fill"], input="protocol=https\nhost=gitlab.example.com\n\n",
        capture_output=True, text=True, check=True,
    )
    assert "username=gitlab+deploy-token-7\npassword=s3cr3t-token\n" in asked.stdout
    source = GitSource(f"file://{repo}", branch="main", path="desired_state", workdir=tmp_path / "work")
    assert source.fetch().revision

    leaky = GitSource("https://gitlab+deploy:s3cr3t-token@127.0.0.1:9/acme/fleet.git", branch="main", path=".",
                      workdir=tmp_path / "leaky")
    assert "s3cr3t-token" not in leaky.description
    with pytest.raises(SourceError) as failure:
        leaky.fetch()
    assert "s3cr3t-token" not in str(failure.value)


@pytest.fixture
def restore_logging():
    yield
    structlog.reset_defaults()


def test_log_lines_never_carry_secrets(restore_logging):
    stream = io.StringIO()
    configure_logging(log_format="json", level="info", stream=stream)
    log = structlog.get_logger("test")
    log.info("fetching", source="https://user:s3cr3t@gitlab.example.com/acme/fleet.git", password="hunter2",
             headers={"Authorization": "Bearer abc"}, nested=["ssh://git:pw@host/repo"])
    log.debug("not shown at info")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 1
    line = lines[0]
    assert line["source"] == "https://***@gitlab.example.com/acme/fleet.git"
    assert line["password"] == "***"
    assert line["headers"] == {"Authorization": "***"}
    assert line["nested"] == ["ssh://***@host/repo"]
    assert line["level"] == "info" and line["event"] == "fetching"
    assert redact("no url here") == "no url here"


def test_a_directory_source_reloads_when_its_files_change(tmp_path):
    (tmp_path / "environments.yaml").write_text("a: 1\n")
    source = DirectorySource(tmp_path)
    first = source.fetch()
    assert source.fetch().fingerprint == first.fingerprint
    (tmp_path / "environments.yaml").write_text("a: 2\n")
    assert source.fetch().fingerprint != first.fingerprint
    with pytest.raises(SourceError, match=r"no environments\.yaml"):
        DirectorySource(tmp_path / "missing").fetch()


def test_what_counts_as_a_git_url():
    assert all(map(looks_like_git_url, ["https://gitlab.com/a/b.git", "ssh://git@h/r", "git@gitlab.com:a/b.git",
                                        "file:///srv/fleet"]))
    assert not any(map(looks_like_git_url, ["desired_state", "/srv/fleet/desired_state"]))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://gitlab.example.com/acme/fleet.git?token=glpat-abc123",
         "https://gitlab.example.com/acme/fleet.git?token=***"),
        ("fatal: unable to access 'https://host/r.git?ref=main&private_token=s3cr3t&x=1'",
         "fatal: unable to access 'https://host/r.git?ref=main&private_token=***&x=1'"),
        ("https://oauth2:p@ss@word@gitlab.example.com/r.git", "https://***@gitlab.example.com/r.git"),
        ("https://user@host/r.git?access_token=a.b-c#frag", "https://***@host/r.git?access_token=***#frag"),
        ("s3 presigned ?X-Amz-Credential=AKIA/x&X-Amz-Signature=deadbeef",
         "s3 presigned ?X-Amz-Credential=***&X-Amz-Signature=***"),
        ("https://host/r.git?ref=main", "https://host/r.git?ref=main"),
        ("git@gitlab.example.com:acme/fleet.git", "git@gitlab.example.com:acme/fleet.git"),
    ],
)
def test_tokens_in_urls_are_masked_wherever_they_sit(text, shown):
    assert redact(text) == shown
    assert "s3cr3t" not in redact(text) and "glpat" not in redact(text) and "deadbeef" not in redact(text)


def test_a_git_source_with_a_token_in_its_url_never_logs_it(tmp_path):
    source = GitSource(
        "https://gitlab.example.com/acme/fleet.git?token=glpat-secret", branch="main", path="desired_state",
        workdir=tmp_path,
    )
    assert "glpat-secret" not in source.description and "token=***" in source.description
