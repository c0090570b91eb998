"""The examples people copy from stay valid: `desired_state/` and every desired-state snippet in the README and
the pages under docs/.

A snippet is a desired-state file when its top-level mapping has `environments` (an environments.yaml,
validated on its own) or `model` (a deployment file, validated in a copy of the example directory at the path
named by its first-line comment `# desired_state/<environment>/<model>.yaml`, else `prod/<model>.yaml`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from corpus_edits import build
from docs_text import PAGES, code_blocks, read, section

from controller.desired import load
from controller.main import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "desired_state"
SNIPPETS = [snippet for page in PAGES for snippet in code_blocks(read(page), "yaml")]


def _desired_state_snippets(snippets=SNIPPETS) -> list[tuple[str, str]]:
    found = []
    for snippet in snippets:
        try:
            data = yaml.safe_load(snippet)
        except yaml.YAMLError:
            continue
        if isinstance(data, dict) and "environments" in data:
            found.append(("environments", snippet))
        elif isinstance(data, dict) and "model" in data:
            found.append(("deployment", snippet))
    return found


def test_the_example_directory_is_valid():
    result = load(EXAMPLES)

    assert result.problems == ()
    assert list(result.state.environments) == ["dev", "staging", "prod"]
    assert [deployment.source for deployment in result.state.deployments] == [
        "dev/churn.yaml", "staging/churn.yaml", "staging/ltv.yaml", "prod/churn.yaml", "prod/ltv.yaml",
    ]


@pytest.mark.parametrize("path", sorted(EXAMPLES.rglob("*.yaml")), ids=lambda path: str(path.relative_to(EXAMPLES)))
def test_every_example_file_names_its_schema_on_the_first_line(path):
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    kind = "environments" if path.name == "environments.yaml" else "deployment"

    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first_line)

    assert match, first_line
    schema = (path.parent / match.group(1)).resolve()
    assert schema.name == f"{kind}.schema.json"
    assert schema.is_file()


def test_the_readme_has_both_kinds_of_snippet():
    kinds = [kind for kind, _ in _desired_state_snippets(code_blocks(read("README.md"), "yaml"))]

    assert "environments" in kinds
    assert "deployment" in kinds


@pytest.mark.parametrize("kind, snippet", _desired_state_snippets())
def test_readme_snippet_is_valid(kind, snippet, tmp_path):
    root = tmp_path / "desired_state"
    if kind == "environments":
        root.mkdir()
        (root / "environments.yaml").write_text(snippet, encoding="utf-8")
    else:
        shutil.copytree(EXAMPLES, root)
        named = re.match(r"# desired_state/(\S+\.yaml)\n", snippet)
        relative = named.group(1) if named else f"prod/{yaml.safe_load(snippet)['model']}.yaml"
        (root / relative).write_text(snippet, encoding="utf-8")

    assert [str(problem) for problem in load(root).problems] == []


def test_the_readme_sample_output_is_what_validate_prints(tmp_path, monkeypatch, capsys):
    sample = section("docs/validate.md", "# What `smgitops validate` checks").split("```\n", 2)[1]
    build(tmp_path / "desired_state", [
        {"file": "environments.yaml", "replace": 'account: "222222222222"', "with": "account: 222222222222"},
        {"file": "prod/churn.yaml", "replace": "cron(0 4 * * ? *)", "with": "cron(0 4 * * * *)"},
        {"file": "prod/ltv.yaml", "replace": "  timezone: UTC", "with": "  timezon: UTC"},
    ])
    monkeypatch.chdir(tmp_path)

    assert main(["validate"]) == 1
    assert capsys.readouterr().out == sample


def test_validate_imports_neither_boto3_nor_the_sagemaker_sdk():
    probe = (
        "import sys\n"
        "from controller.main import main\n"
        "code = main(['validate', 'desired_state'])\n"
        "heavy = sorted(name for name in sys.modules if name.split('.')[0] in ('boto3', 'botocore', 'sagemaker'))\n"
        "print('heavy modules:', heavy)\n"
        "sys.exit(code)\n"
    )

    completed = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines() == [
        "desired_state: 3 environments, 5 deployments, all valid",
        "heavy modules: []",
    ]
