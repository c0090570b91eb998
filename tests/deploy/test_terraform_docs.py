"""Each module's README lists exactly its inputs (with their defaults) and outputs, with the descriptions the
`.tf` files give them, so the tables cannot fall behind the code."""

from __future__ import annotations

import re

import pytest
from terraformrun import REPOSITORY

MODULES = sorted(path.parent for path in (REPOSITORY / "terraform" / "modules").glob("*/variables.tf"))


def declared(text: str, kind: str) -> dict[str, tuple[str, str]]:
    found = {}
    for match in re.finditer(rf'^{kind} "([\w-]+)" \{{\n(.*?)^\}}', text, re.MULTILINE | re.DOTALL):
        description = re.search(r'description\s*=\s*"((?:[^"\\]|\\.)*)"', match[2])
        default = re.search(r"^\s*default\s*=\s*(.+)$", match[2], re.MULTILINE)
        found[match[1]] = (
            f"`{default[1].strip()}`" if default else "required",
            description[1].replace('\\"', '"') if description else "",
        )
    return found


def table(readme: str, heading: str) -> dict[str, list[str]]:
    section = readme.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.removeprefix("| ").removesuffix(" |").split(" | ") for line in section.splitlines()
            if line.startswith("| `")]
    return {row[0].strip("`"): row[1:] for row in rows}


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_readme_tables_match_the_module(module):
    readme = (module / "README.md").read_text()
    variables = declared((module / "variables.tf").read_text(), "variable")
    inputs = table(readme, "Inputs")
    assert set(inputs) == set(variables)
    for name, (default, description) in variables.items():
        assert inputs[name][1:] == [default, description], name
    outputs = declared((module / "outputs.tf").read_text(), "output")
    assert {name: cells[-1] for name, cells in table(readme, "Outputs").items()} == {
        name: description for name, (_, description) in outputs.items()
    }
