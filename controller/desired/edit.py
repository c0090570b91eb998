"""Change one value of a desired-state file and nothing else: comments, key order, quoting, blank lines, line
endings and encoding stay byte for byte.

`smgitops promote` and the proposals that open merge requests call `set_approved_version`. The file is parsed
only to find where the value is written (PyYAML's marks give its exact span); the edit itself is a splice of
the text, so a reviewer's diff shows exactly one changed value.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, ScalarNode


class EditError(ValueError):
    """The file cannot be edited safely (not YAML, or the value is not a scalar at that key)."""


def replace_scalar(text: str, keys: Sequence[str], new_value: str) -> str:
    """`text` with the scalar at the mapping path `keys` written as `new_value`; everything else unchanged."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        raise EditError(f"not valid YAML: {' '.join(str(error).split())}") from error
    for key in keys:
        if not isinstance(node, MappingNode):
            raise EditError(f"{'.'.join(keys)}: not found")
        node = next((value for name, value in node.value if name.value == key), None)
    if not isinstance(node, ScalarNode):
        raise EditError(f"{'.'.join(keys)}: not a single value")
    return text[: node.start_mark.index] + new_value + text[node.end_mark.index :]


def set_approved_version(path: str | Path, version: int) -> int | None:
    """Write `approvedVersion: <version>` into the file at `path`; return the version it had (None if unreadable)."""
    target = Path(path)
    raw = target.read_bytes()
    current, edited = with_approved_version(raw, version)
    if edited != raw:
        target.write_bytes(edited)
    return current


def with_approved_version(raw: bytes, version: int) -> tuple[int | None, bytes]:
    """The version `raw` (a deployment file's bytes) declares, and the bytes declaring `version` instead."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise EditError("not UTF-8 text") from error
    edited = replace_scalar(text, ["approvedVersion"], str(int(version)))
    return _current_version(text), edited.encode("utf-8")


def _current_version(text: str) -> int | None:
    try:
        data = yaml.safe_load(text)
        return int(data["approvedVersion"])
    except (yaml.YAMLError, TypeError, KeyError, ValueError):
        return None
