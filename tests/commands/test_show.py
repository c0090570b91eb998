"""`smgitops show`: the fleet at a glance, or the same problem lines as validate."""

from __future__ import annotations

import shutil
from pathlib import Path

from controller.main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "desired_state"


def test_show_prints_environments_versions_and_deployments(monkeypatch, capsys):
    monkeypatch.chdir(EXAMPLES.parent)

    exit_code = main(["show"])

    lines = capsys.readouterr().out.splitlines()
    assert exit_code == 0
    assert lines[0].startswith("desired_state @ ")
    assert lines[0].endswith(": model registry in 111111111111 (us-east-1)")
    assert lines[2:6] == [
        "ENVIRONMENT  ACCOUNT       REGION     PROMOTES FROM  DRIFT    PRUNE  NOTES",
        "dev          111111111111  us-east-1  -              enforce  yes    -",
        "staging      222222222222  us-east-1  dev            enforce  yes    -",
        "prod         333333333333  us-east-1  staging        warn     no     -",
    ]
    assert lines[7:10] == [
        "APPROVED VERSION  dev  staging  prod",
        "churn             8    7        7",
        "ltv               -    3        3",
    ]
    rows = {tuple(line.split()[:2]): line for line in lines[12:]}
    assert set(rows) == {("dev", "churn"), ("staging", "churn"), ("staging", "ltv"), ("prod", "churn"), ("prod", "ltv")}
    assert "cron(0 6 ? * MON-FRI *) Europe/Berlin" in rows["dev", "churn"]
    assert "violations<=2, mse<=12" in rows["dev", "churn"]
    assert rows["dev", "churn"].endswith(
        "training-hpo: rate(7 days) UTC, new data, retune on model quality; registers if mse<=10"
    )
    assert "7 (rejected: 5)" in rows["prod", "churn"]
    assert rows["prod", "ltv"].endswith("cron(30 2 ? * SUN *) UTC               violations<=0           -")


def test_show_marks_suspended_disabled_and_change_windows(tmp_path, monkeypatch, capsys):
    root = tmp_path / "desired_state"
    shutil.copytree(EXAMPLES, root)
    with (root / "environments.yaml").open("a") as stream:
        stream.write('    suspended: true\n    changeWindows:\n')
        stream.write('      - {schedule: "cron(0 9 ? * MON *)", duration: 2h}\n')
    ltv = root / "prod" / "ltv.yaml"
    ltv.write_text(ltv.read_text().replace("enabled: true", "enabled: false") + "suspended: true\n")
    monkeypatch.chdir(tmp_path)

    assert main(["show", "desired_state"]) == 0

    out = capsys.readouterr().out
    assert "no     suspended; changes only in cron(0 9 ? * MON *) UTC for 120m" in out
    assert "prod         ltv (suspended)  3                cron(30 2 ? * SUN *) UTC (disabled)" in out


def test_show_on_invalid_files_prints_the_problems_and_exits_1(tmp_path, capsys):
    exit_code = main(["show", str(tmp_path / "missing")])

    captured = capsys.readouterr()
    assert exit_code == 1
    assert captured.out == f"{tmp_path / 'missing'}:1:1: (directory): no such directory\n"
    assert captured.err == "1 problem\n"


def _git(directory: Path, *arguments: str) -> None:
    import subprocess

    subprocess.run(["git", *arguments], cwd=directory, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin:/usr/local/bin"})


def test_show_names_the_revision_plan_records_the_commit_or_the_content_hash(tmp_path, capsys):
    from controller.desired.revision import revision_of

    root = tmp_path / "desired_state"
    shutil.copytree(EXAMPLES, root)
    main(["show", str(root)])
    hashed = capsys.readouterr().out.splitlines()[0].split(" @ ")[1].split(":")[0]
    assert hashed == revision_of(root) and hashed.startswith("sha256-")
    (root / "templates").mkdir()
    (root / "templates" / "mine.py").write_text("def build(context):\n    return []\n")
    assert revision_of(root) != hashed  # a template is part of what is applied

    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "x")
    main(["show", str(root)])
    committed = capsys.readouterr().out.splitlines()[0].split(" @ ")[1].split(":")[0]
    assert committed == revision_of(root) and len(committed) == 12 and not committed.startswith("sha256-")
    (root / "prod" / "ltv.yaml").write_text((root / "prod" / "ltv.yaml").read_text() + "\n")
    main(["show", str(root)])
    assert capsys.readouterr().out.splitlines()[0].split(" @ ")[1].split(":")[0] == f"{committed}-dirty"
