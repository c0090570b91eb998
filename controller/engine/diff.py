"""Field-level differences between a live spec and a desired spec, as `FieldDiff` rows for the plan.

Kinds normalise both sides into the same shape first (server-filled defaults removed, lists keyed by name),
so an unchanged object never shows a diff. deepdiff finds the differences; this module only names them. It is
imported on the first diff, not at start-up: it loads pandas and numpy, a cost a plan with nothing to change
should not pay.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from controller.engine.plan import FieldDiff

_ABSENT = None


def field_diffs(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> tuple[FieldDiff, ...]:
    from deepdiff import DeepDiff

    old, new = dict(before or {}), dict(after or {})
    difference = DeepDiff(old, new, view="tree", verbose_level=2)
    rows: dict[str, FieldDiff] = {}
    for levels in difference.values():
        for level in levels:
            parts = _up_to_first_list(level.path(output_format="list"))
            path = _dotted(parts)
            rows[path] = FieldDiff(path=path, before=_lookup(old, parts), after=_lookup(new, parts))
    return tuple(rows[path] for path in sorted(rows))


def _up_to_first_list(parts: list[Any]) -> list[Any]:
    """A change inside a list is shown as the whole list before and after: `[a] -> [a, b]` reads better."""
    for index, part in enumerate(parts):
        if isinstance(part, int):
            return parts[:index]
    return parts


def _lookup(document: Any, parts: list[Any]) -> Any:
    for part in parts:
        if not isinstance(document, Mapping) or part not in document:
            return _ABSENT
        document = document[part]
    return document


def _dotted(parts: list[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text

