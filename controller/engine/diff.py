"""Field-level differences between a live spec and a desired spec, as `FieldDiff` rows for the plan.

Kinds normalise both sides into the same shape first (server-filled defaults removed, lists keyed by name),
so an unchanged object never shows a diff. deepdiff finds the differences; this module only names them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deepdiff import DeepDiff

from controller.engine.plan import FieldDiff

_ABSENT = None


def field_diffs(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> tuple[FieldDiff, ...]:
    difference = DeepDiff(dict(before or {}), dict(after or {}), view="tree", verbose_level=2)
    rows = []
    for levels in difference.values():
        for level in levels:
            rows.append(
                FieldDiff(
                    path=_dotted(level.path(output_format="list")),
                    before=_present(level.t1),
                    after=_present(level.t2),
                )
            )
    return tuple(sorted(rows, key=lambda row: row.path))


def _dotted(parts: list[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _present(value: Any) -> Any:
    return _ABSENT if type(value).__name__ == "NotPresent" else value
