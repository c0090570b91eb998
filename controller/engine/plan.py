"""The plan: frozen data saying what apply would change and why.

The planner builds it, the reports render it (text, Markdown, JSON) and the applier executes it; nothing else
decides what to write. `Plan.to_json()` / `Plan.from_json()` round-trip it for `plan --out` and `apply --plan`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from controller.desired.model import Account
from controller.desired.schemacheck import plan_problem

Action = Literal["create", "update", "delete", "none"]
Reason = Literal["desired-change", "drift", "orphan", "conflict"]
PLAN_FORMAT = 1
MAX_NESTING = 64
"""How deeply a saved plan may nest; deeper documents are refused before anything compares them."""


@dataclass(frozen=True)
class FieldDiff:
    path: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Change:
    """One object to create, update or delete, or to report without touching (`hold` says why)."""

    kind: str
    name: str
    environment: str
    target: Account
    action: Action
    reason: Reason
    source: str | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    diff: tuple[FieldDiff, ...] = ()
    model: str | None = None
    hold: str | None = None
    """Why apply will not execute this change (drift: warn, prune: false, suspended, not owned...)."""
    payload: Mapping[str, Any] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"{self.environment}/{self.kind}/{self.name}"

    @property
    def actionable(self) -> bool:
        return self.action != "none" and self.hold is None


@dataclass(frozen=True)
class Plan:
    revision: str
    changes: tuple[Change, ...]
    errors: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    in_sync: int = 0
    """How many managed objects already match git."""
    in_sync_by: Mapping[tuple[str, str], int] = field(default_factory=dict, compare=False)
    """`in_sync` by (environment, kind), for metrics; not saved in the plan JSON."""
    overrides: tuple[str, ...] = ()
    """Safety rules this plan was told to skip (`--ignore-change-windows`), one line each."""
    retryable: frozenset[str] = field(default=frozenset(), compare=False)
    """The `errors` that are temporary (throttling, 5xx, connection trouble): trying again later may help."""

    @property
    def actionable(self) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if change.actionable)

    @property
    def held(self) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if not change.actionable)

    @property
    def has_changes(self) -> bool:
        return bool(self.actionable)

    def summary(self) -> dict[str, int]:
        counts = Counter(change.action for change in self.actionable)
        return {
            "create": counts["create"],
            "update": counts["update"],
            "delete": counts["delete"],
            "held": len(self.held),
            "in_sync": self.in_sync,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT,
            "revision": self.revision,
            "environments": list(self.environments),
            "summary": self.summary(),
            "errors": list(self.errors),
            "overrides": list(self.overrides),
            "changes": [_change_to_dict(change) for change in self.changes],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, default=str) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """The plan a saved JSON document holds; ValueError (one line) when it is not one `to_json` writes."""
        try:
            data = json.loads(text)
        except RecursionError:
            raise ValueError(f"nested more than {MAX_NESTING} levels") from None
        if not isinstance(data, dict) or data.get("format") != PLAN_FORMAT:
            raise ValueError(f"not a smgitops plan (format {PLAN_FORMAT})")
        if _nesting(data) > MAX_NESTING:
            raise ValueError(f"nested more than {MAX_NESTING} levels")
        problem = plan_problem(data)
        if problem:
            raise ValueError(problem)
        return cls(
            revision=data["revision"],
            environments=tuple(data.get("environments", ())),
            errors=tuple(data.get("errors", ())),
            overrides=tuple(data.get("overrides", ())),
            in_sync=data.get("summary", {}).get("in_sync", 0),
            changes=tuple(_change_from_dict(item) for item in data["changes"]),
        )


def _nesting(value: Any) -> int:
    """How deeply lists and mappings nest in `value` (counted without recursion)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list) and depth <= MAX_NESTING:
            deepest = max(deepest, depth)
            pending += [(child, depth + 1) for child in (item.values() if isinstance(item, dict) else item)]
        elif isinstance(item, dict | list):
            return depth
    return deepest


def _change_to_dict(change: Change) -> dict[str, Any]:
    data = asdict(change)
    data["address"] = change.address
    data["diff"] = [asdict(item) for item in change.diff]
    return data


def _change_from_dict(data: Mapping[str, Any]) -> Change:
    fields = dict(data)
    fields.pop("address", None)
    fields["target"] = Account(**fields["target"])
    fields["diff"] = tuple(FieldDiff(**item) for item in fields.get("diff", ()))
    return Change(**fields)
