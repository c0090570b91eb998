"""`smgitops codeowners`: the CODEOWNERS block that `owners` in environments.yaml implies, written and checked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from controller.main import main

EXAMPLE = Path(__file__).resolve().parents[2] / "desired_state"
BLOCK = """\
# smgitops:begin: written by `smgitops codeowners` from desired_state/environments.yaml; change the owners there
/desired_state/prod/ @acme/model-review-board
# smgitops:end
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    shutil.copytree(EXAMPLE, tmp_path / "desired_state")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_example_gives_prod_to_the_model_review_board(repo, capsys):
    assert main(["codeowners"]) == 0
    assert capsys.readouterr().out == BLOCK


def test_the_owners_of_environments_yaml_come_first(repo, capsys):
    environments = repo / "desired_state" / "environments.yaml"
    environments.write_text('owners: ["@acme/ml-platform", "platform-lead@example.com"]\n' + environments.read_text())
    assert main(["codeowners"]) == 0
    assert capsys.readouterr().out.splitlines()[1:3] == [
        "/desired_state/environments.yaml @acme/ml-platform platform-lead@example.com",
        "/desired_state/prod/ @acme/model-review-board",
    ]


def test_out_keeps_the_teams_own_lines_and_replaces_the_block_in_place(repo, capsys):
    codeowners = repo / ".gitlab" / "CODEOWNERS"
    codeowners.parent.mkdir()
    codeowners.write_text("* @acme/everyone\n")
    assert main(["codeowners", "--out", str(codeowners)]) == 0
    assert codeowners.read_text() == "* @acme/everyone\n\n" + BLOCK
    assert main(["codeowners", "--out", str(codeowners)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"{codeowners}: up to date"

    codeowners.write_text(codeowners.read_text() + "/docs/ @acme/writers\n")
    environments = repo / "desired_state" / "environments.yaml"
    environments.write_text(environments.read_text().replace("@acme/model-review-board", "@acme/risk"))
    assert main(["codeowners", "--out", str(codeowners)]) == 0
    assert codeowners.read_text() == (
        "* @acme/everyone\n\n" + BLOCK.replace("@acme/model-review-board", "@acme/risk") + "/docs/ @acme/writers\n"
    )


def test_check_fails_on_a_stale_block_with_its_line_and_the_command_that_fixes_it(repo, capsys):
    codeowners = repo / "CODEOWNERS"
    codeowners.write_text("* @acme/everyone\n" + BLOCK.replace("@acme/model-review-board", "@someone-else"))
    assert main(["codeowners", "--check", "CODEOWNERS"]) == 1
    assert capsys.readouterr().err == (
        "CODEOWNERS:2:1: (file): differs from the owners in desired_state/environments.yaml; "
        "run: smgitops codeowners desired_state --out CODEOWNERS\n"
    )
    assert main(["codeowners", "--out", "CODEOWNERS"]) == 0
    assert main(["codeowners", "--check", "CODEOWNERS"]) == 0


def test_an_owner_that_is_neither_a_user_group_nor_email_is_a_located_error(repo, capsys):
    environments = repo / "desired_state" / "environments.yaml"
    lines = environments.read_text().splitlines(keepends=True)
    owners_line = next(number for number, line in enumerate(lines, 1) if "@acme/model-review-board" in line)
    environments.write_text(environments.read_text().replace('"@acme/model-review-board"', "model-review-board"))
    assert main(["validate", "desired_state"]) == 1
    column = lines[owners_line - 1].index('"@acme') + 1
    assert capsys.readouterr().out == (
        f"desired_state/environments.yaml:{owners_line}:{column}: environments.prod.owners[0]: "
        "must be a GitLab user or group (@name, @group/subgroup) or an email address\n"
    )
