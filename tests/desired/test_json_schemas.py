"""The JSON Schemas: valid draft 2020-12, hover text on every field, shipped where editors find them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from controller.desired import schemas
from controller.main import main

REPO = Path(__file__).resolve().parents[2]
PACKAGED = REPO / "controller" / "schemas"


def _fields(schema: dict, where: str = ""):
    """(breadcrumb, field schema) of every named property in a schema, $defs included."""
    for name, child in schema.get("properties", {}).items():
        yield f"{where}.{name}", child
        yield from _fields(child, f"{where}.{name}")
    for name, child in schema.get("$defs", {}).items():
        yield f"$defs.{name}", child
        yield from _fields(child, f"$defs.{name}")


def _resolve(schema: dict, root: dict) -> dict:
    while "description" not in schema and "$ref" in schema:
        schema = root["$defs"][schema["$ref"].removeprefix("#/$defs/")]
    return schema


def test_schemas_returns_both_file_kinds_as_fresh_copies():
    first = schemas()
    first["deployment.schema.json"]["title"] = "changed"

    assert sorted(first) == ["deployment.schema.json", "environments.schema.json"]
    assert schemas()["deployment.schema.json"]["title"] != "changed"


@pytest.mark.parametrize("name", sorted(schemas()))
def test_each_schema_is_valid_draft_2020_12(name):
    schema = schemas()[name]

    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("name", sorted(schemas()))
def test_every_field_has_a_description_for_hover_text(name):
    schema = schemas()[name]

    undocumented = [where for where, field in _fields(schema) if not _resolve(field, schema).get("description")]

    assert undocumented == []
    assert schema["description"]


def test_the_repository_schemas_directory_is_the_packaged_one():
    root_schemas = REPO / "schemas"

    assert root_schemas.is_symlink()
    assert root_schemas.resolve() == PACKAGED.resolve()


def test_schema_command_writes_every_schema_and_leaves_equal_files_alone(tmp_path, capsys):
    out = tmp_path / "schemas"

    assert main(["schema", "--out", str(out)]) == 0
    first = capsys.readouterr().out
    assert main(["schema", "--out", str(out)]) == 0
    second = capsys.readouterr().out

    for name in schemas():
        assert json.loads((out / name).read_text()) == schemas()[name]
        assert f"{out / name}: written" in first
        assert f"{out / name}: up to date" in second


def test_schema_command_reports_a_directory_it_cannot_write(tmp_path, capsys):
    blocker = tmp_path / "schemas"
    blocker.write_text("a file, not a directory")

    assert main(["schema", "--out", str(blocker)]) == 1
    assert capsys.readouterr().err.startswith(f"{blocker}:1:1: (directory): cannot write the schemas: ")
