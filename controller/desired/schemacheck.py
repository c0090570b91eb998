"""The JSON Schemas of the desired-state files, and their violations as messages a person would write.

The schemas in `controller/schemas/` (also `schemas/` at the repository root) are the single source of the
structural rules: editors read them through the `# yaml-language-server: $schema=...` line, and the loader
validates every document against them here. Each jsonschema error becomes a `Problem` that points at the
offending key or value; `patternErrorMessage` and `errorMessage` in a schema give the wording where a generic
message would be vague (both are understood by the YAML language server too).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators

from controller.desired.documents import DEPLOYMENT, ENVIRONMENTS, Document
from controller.desired.problems import Problem, breadcrumb, printable, shorten

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
SCHEMA_FILES = {ENVIRONMENTS: "environments.schema.json", DEPLOYMENT: "deployment.schema.json"}
_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "nothing",
}
_OWN_WORDING = {"required", "additionalProperties", "type"}


def schemas() -> dict[str, dict[str, Any]]:
    """`{file name: schema}` of every desired-state file kind; fresh copies, safe to change."""
    return {name: json.loads(_schema_text(name)) for name in SCHEMA_FILES.values()}


@cache
def _schema_text(name: str) -> str:
    return (SCHEMA_DIR / name).read_text(encoding="utf-8")


@cache
def _validator(kind: str) -> Draft202012Validator:
    return _EcmaValidator(json.loads(_schema_text(SCHEMA_FILES[kind])))


@cache
def ecma_regex(pattern: str) -> re.Pattern[str]:
    """A JSON Schema `pattern` compiled with the meaning JSON Schema gives it (ECMA-262), as editors read it:
    `$` is the end of the text (in Python it also matches before a final newline) and `\\d`, `\\w` are ASCII."""
    translated, in_class, index = [], False, 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            translated.append(pattern[index : index + 2])
            index += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        translated.append(r"\Z" if char == "$" and not in_class else char)
        index += 1
    return re.compile("".join(translated), re.ASCII)


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not ecma_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: dict[str, Any], instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if ecma_regex(pattern).search(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


_EcmaValidator = validators.extend(
    Draft202012Validator, {"pattern": _pattern, "patternProperties": _pattern_properties}
)


def plan_problem(data: Any) -> str | None:
    """What makes `data` not a plan as `plan.schema.json` describes it (the first problem), or None."""
    error = next(iter(_plan_validator().iter_errors(data)), None)
    if error is None:
        return None
    where = breadcrumb([part for part in error.absolute_path if isinstance(part, str | int)])
    wording = "wrong type" if error.validator == "type" else _worded(error, {}) if error.validator else "not allowed"
    return printable(f"{where}: {wording} (expected by the plan schema: {error.validator})")


@cache
def _plan_validator() -> Draft202012Validator:
    return _EcmaValidator(json.loads((SCHEMA_DIR / "plan.schema.json").read_text(encoding="utf-8")))


def check(document: Document) -> list[Problem]:
    problems: list[Problem] = []
    for error in _validator(document.kind).iter_errors(document.data):
        problems.extend(_translate(document, error))
    return problems


def _translate(document: Document, error: ValidationError) -> list[Problem]:
    path = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if "propertyNames" in error.relative_schema_path:
        return [document.problem([*path, error.instance], _worded(error, schema), at_key=True)]
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return [document.problem(path, f"missing required field '{name}'", at_key=True) for name in missing]
    if error.validator == "additionalProperties":
        return [_unknown_field(document, path, key, schema) for key in _extra_keys(error.instance, schema)]
    if error.validator is None:
        return [document.problem(path, "a value here is not allowed", at_key=_is_container(error))]
    if error.validator == "uniqueItems":
        return [_duplicate_item(document, path, error.instance)]
    if error.validator == "type":
        return [document.problem(path, _type_message(document, path, error), at_key=_is_container(error))]
    return [document.problem(path, _worded(error, schema), at_key=_is_container(error))]


def _is_container(error: ValidationError) -> bool:
    return isinstance(error.instance, dict | list)


def _worded(error: ValidationError, schema: dict[str, Any]) -> str:
    if error.validator == "pattern" and "patternErrorMessage" in schema:
        return schema["patternErrorMessage"]
    if "errorMessage" in schema and error.validator not in _OWN_WORDING:
        return schema["errorMessage"]
    value = error.validator_value
    wording = {
        "enum": lambda: "must be one of: " + ", ".join(str(item) for item in value),
        "const": lambda: f"must be {value}",
        "pattern": lambda: f"must match the pattern {value}",
        "minimum": lambda: f"must be at least {value}",
        "maximum": lambda: f"must be at most {value}",
        "exclusiveMinimum": lambda: f"must be greater than {value}",
        "exclusiveMaximum": lambda: f"must be less than {value}",
        "minLength": lambda: "must not be empty" if value == 1 else f"must be at least {value} characters long",
        "maxLength": lambda: f"must be at most {value} characters long",
        "minItems": lambda: "must not be empty" if value == 1 else f"must have at least {value} items",
        "maxItems": lambda: f"must have at most {value} items",
        "minProperties": lambda: "must not be empty",
        "not": lambda: "is not allowed here",
    }
    if error.validator in wording:
        return wording[error.validator]()
    if error.context:
        return _worded(error.context[0], error.context[0].schema if isinstance(error.context[0].schema, dict) else {})
    return error.message.splitlines()[0]


def _type_message(document: Document, path: list[str | int], error: ValidationError) -> str:
    expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
    wanted = " or ".join(_TYPE_NAMES.get(name, name) for name in expected)
    node = document.node(path)
    if node is None or node.text is None:
        got = "a mapping" if isinstance(error.instance, dict) else "a list"
        return f"expected {wanted}, got {got}"
    if node.text == "" and error.instance is None:
        return f"expected {wanted}, got nothing"
    if "string" in expected and node.plain:
        kind = "a number"
        if isinstance(error.instance, bool) or error.instance is None:
            kind = "true or false" if error.instance is not None else "nothing"
        return f"expected {wanted}, got {node.text}, which YAML reads as {kind}; quote it: \"{node.text}\""
    got = shorten(error.instance) if isinstance(error.instance, str) else node.text
    return f"expected {wanted}, got {got}"


def _extra_keys(instance: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    known = schema.get("properties", {})
    patterns = [ecma_regex(pattern) for pattern in schema.get("patternProperties", {})]
    return [key for key in instance if key not in known and not any(p.search(key) for p in patterns)]


def _unknown_field(document: Document, path: list[str | int], key: str, schema: dict[str, Any]) -> Problem:
    message = f"unknown field {shorten(key)}"
    known = list(schema.get("properties", {}))
    lowered = {name.lower(): name for name in known}
    guess = lowered.get(key.lower()) or next(iter(difflib.get_close_matches(key, known, n=1, cutoff=0.7)), None)
    if guess:
        message += f" (did you mean '{guess}'?)"
    return document.problem([*path, key], message, at_key=True, crumb=path)


def _duplicate_item(document: Document, path: list[str | int], items: list[Any]) -> Problem:
    seen: list[Any] = []
    for index, item in enumerate(items):
        first = next((number for number, earlier in enumerate(seen) if _same(earlier, item)), None)
        if first is not None:
            return document.problem([*path, index], f"duplicate of {breadcrumb([*path, first])}")
        seen.append(item)
    return document.problem(path, "must not repeat an item")


def _same(left: Any, right: Any) -> bool:
    """Equal as JSON values: 1 == 1.0, but true != 1."""
    return isinstance(left, bool) == isinstance(right, bool) and left == right
