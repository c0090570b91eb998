"""docs/merge-requests.md and the README's worked merge request say what the template and the commands do."""

from __future__ import annotations

import re
import shutil

import yaml
from docs_text import REPO, read, section

from controller.main import main


class GitLabLoader(yaml.SafeLoader):
    """YAML with GitLab's `!reference [job, key]` tag, kept as a list."""


GitLabLoader.add_constructor("!reference", lambda loader, node: loader.construct_sequence(node))


def template() -> dict:
    return yaml.load((REPO / "ci" / "smgitops.gitlab-ci.yml").read_text(), Loader=GitLabLoader)


def table_rows(text: str) -> list[list[str]]:
    rows = [line.strip("|").split(" | ") for line in text.splitlines() if line.startswith("| `")]
    return [[cell.strip() for cell in row] for row in rows]


def test_the_variables_table_is_the_templates_variables_with_their_defaults():
    rows = table_rows(section("docs/merge-requests.md", "## Variables"))
    documented = {row[0].strip("`"): row[1].strip("`") for row in rows}
    assert documented == {name: str(value) for name, value in template()["variables"].items()}


def test_the_jobs_table_names_every_job_of_the_template():
    rows = table_rows(section("docs/merge-requests.md", "## Jobs"))
    names = {name.strip("`") for row in rows for name in row[0].split(", ")}
    names = {f"smgitops:apply{name}" if name.startswith(":") else name for name in names}
    jobs = {name for name in template() if name.startswith("smgitops:")}
    assert names == jobs


def test_the_codeowners_example_is_what_the_command_prints(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert main(["codeowners"]) == 0
    found = re.search(
        r"<!-- codeowners:start -->\n```\n(.*?)```\n<!-- codeowners:end -->", read("docs/merge-requests.md"), re.S
    )
    assert found and found.group(1) == capsys.readouterr().out


def test_the_worked_examples_job_lines_are_what_validate_prints(tmp_path, capsys, monkeypatch):
    example = section("README.md", "### Worked example: promoting churn version 8 to staging")
    shutil.copytree(REPO / "desired_state", tmp_path / "desired_state")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "desired_state"]) == 0
    assert f"\n{capsys.readouterr().out}" in example

    staging = tmp_path / "desired_state" / "staging" / "churn.yaml"
    staging.write_text(staging.read_text().replace("approvedVersion: 7", "approvedVersion: nine"))
    assert main(["validate", "desired_state"]) == 1
    [line] = capsys.readouterr().out.splitlines()
    assert f"`{line}`" in " ".join(example.split())
