"""`smgitops history` on a repository with approvals, a merged merge request, a rollback (a revert commit) and an
override: each from git (commit, author, date, merge request) joined with when smgitops applied it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import only

from controller.aws.emulator import register_version
from controller.commands.demo import registry_bucket, seed_example
from controller.desired import load
from controller.desired.edit import set_approved_version
from controller.desired.revision import revision_of
from controller.engine.reconcile import reconcile
from controller.main import main

pytestmark = pytest.mark.aws

EXAMPLE = Path(__file__).resolve().parents[2] / "desired_state"
OVERRIDE = 'override: {reason: "7 leaks memory", by: Dana}\n'


def git(repo: Path, *arguments: str, author: str = "Dana Scientist") -> str:
    identity = ["-c", f"user.name={author}", "-c", "user.email=people@example.com", "-c", "init.defaultBranch=main"]
    done = subprocess.run(["git", *identity, *arguments], cwd=repo, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def apply(aws, desired: Path) -> str:
    """What the controller does after each merge: apply the approvals at the checked-out commit."""
    loaded = load(desired, revision=revision_of(desired))
    assert loaded.problems == ()
    outcome = reconcile(loaded.state, clients=aws, kinds=only("approval"))
    assert outcome.reason == "applied", outcome.plan.errors
    return git(desired, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path, aws, emulator, monkeypatch):
    """A fleet repository: declared, a merge request promoting churn 9 in dev, 8 to staging and its revert, and
    9 straight to prod with an override; each applied."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}.items():
        monkeypatch.setenv(name, value)
    root = tmp_path / "fleet"
    desired = root / "desired_state"
    shutil.copytree(EXAMPLE, desired)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "Declare the fleet")
    state = load(desired, revision="seed").state
    seed_example(aws, state)
    register_version(aws, state.registry, group="churn", number=9, bucket=registry_bucket(state))
    commits = {"declared": apply(aws, desired)}

    git(root, "checkout", "-qb", "promote-churn-9")
    set_approved_version(desired / "dev" / "churn.yaml", 9)
    git(root, "commit", "-qam", "Promote churn 9 to dev")
    git(root, "checkout", "-q", "main")
    message = "Merge branch 'promote-churn-9' into 'main'\n\nPromote churn 9 to dev\n\n"
    message += "See merge request acme/ml-fleet!7"
    git(root, "merge", "-q", "--no-ff", "-m", message, "promote-churn-9", author="Maya Reviewer")
    commits["merged"] = apply(aws, desired)

    set_approved_version(desired / "staging" / "churn.yaml", 8)
    git(root, "commit", "-qam", "Promote churn 8 to staging (!8)")
    commits["staging"] = apply(aws, desired)
    git(root, "revert", "--no-edit", "HEAD", author="Ops Oncall")
    commits["rollback"] = apply(aws, desired)

    prod = desired / "prod" / "churn.yaml"
    set_approved_version(prod, 9)
    prod.write_text(prod.read_text().replace("rejectedVersions: [5]\n", f"rejectedVersions: [5]\n{OVERRIDE}"))
    git(root, "commit", "-qam", "Hotfix: churn 9 to prod")
    commits["override"] = apply(aws, desired)
    return desired, commits, emulator.url


def history(url: str, *arguments: str, capsys) -> str:
    assert main(["--endpoint-url", url, "history", *arguments]) == 0
    return capsys.readouterr().out


def test_history_joins_git_with_the_registry_records_as_json(repo, capsys):
    desired, commits, url = repo
    entries = json.loads(history(url, str(desired), "--model", "churn", "--format", "json", capsys=capsys))
    summary = [(e["environment"], e["before"], e["after"], e["kind"], e["commit"]) for e in entries]
    assert summary == [
        ("dev", None, 8, "approval", commits["declared"]),
        ("prod", None, 7, "approval", commits["declared"]),
        ("staging", None, 7, "approval", commits["declared"]),
        ("dev", 8, 9, "approval", commits["merged"]),
        ("staging", 7, 8, "approval", commits["staging"]),
        ("staging", 8, 7, "rollback", commits["rollback"]),
        ("prod", 7, 9, "approval", commits["override"]),
    ]
    merged, staging, rollback, override = entries[3:]
    assert (merged["author"], merged["mergeRequest"]) == ("Maya Reviewer", "acme/ml-fleet!7")
    assert staging["mergeRequest"] == "!8"
    assert (rollback["author"], rollback["reverts"]) == ("Ops Oncall", commits["staging"])
    for entry in (merged, staging, override):
        assert entry["applied"]["revision"] == entry["commit"][:12], entry
    assert rollback["applied"]["revision"] == commits["rollback"][:12]  # the last approval of 7 in staging
    assert entries[2]["applied"]["revision"] == commits["declared"][:12]  # and its first
    assert override["override"] == {"reason": "7 leaks memory", "by": "Dana"}
    assert override["recordedOverride"] == "Dana: 7 leaks memory"


def test_history_as_text_shows_the_rollback_and_the_override_and_filters_by_environment(repo, capsys):
    desired, commits, url = repo
    text = history(url, str(desired), "--env", "staging", capsys=capsys)
    lines = text.splitlines()
    assert lines[0].split() == ["DATE", "(UTC)", "ENVIRONMENT", "MODEL", "VERSION", "KIND", "COMMIT", "AUTHOR",
                                "MERGE", "REQUEST", "APPLIED"]
    assert {line.split()[2] for line in lines[1:] if not line.startswith("    ")} == {"staging"}
    rollback = next(index for index, line in enumerate(lines) if " rollback " in line)
    assert "8 -> 7" in lines[rollback] and commits["rollback"][:12] in lines[rollback]
    reverted = commits["staging"][:12]
    assert lines[rollback + 1] == f'    rollback: reverts {reverted} (Revert "Promote churn 8 to staging (!8)")'
    prod = history(url, str(desired), "--env", "prod", "--git-only", capsys=capsys)
    assert "    override by Dana: 7 leaks memory" in prod.splitlines()
