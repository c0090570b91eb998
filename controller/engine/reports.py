"""Render a `Plan` for people: terminal text (like `terraform plan`), Markdown for a merge-request comment,
and JSON (`Plan.to_json`, whose shape is `schemas/plan.schema.json`). Rendering never decides anything.
"""

from __future__ import annotations

import json
from itertools import groupby
from typing import Any

from controller.engine.plan import Change, Plan
from controller.kinds import KINDS

SYMBOLS = {"create": "+", "update": "~", "delete": "-", "none": "!"}
MAX_VALUE = 100


def render(plan: Plan, fmt: str) -> str:
    if fmt == "json":
        return plan.to_json()
    if fmt == "markdown":
        return markdown(plan)
    return text(plan)


def summary_line(plan: Plan) -> str:
    counts = plan.summary()
    if plan.errors:
        return f"{len(plan.errors)} error(s): nothing can be applied until they are fixed."
    if not plan.changes:
        return f"No changes. {counts['in_sync']} objects match revision {plan.revision}."
    line = f"Plan: {counts['create']} to create, {counts['update']} to update, {counts['delete']} to delete"
    if counts["held"]:
        line += f"; {counts['held']} reported, not applied"
    return line + "."


def text(plan: Plan) -> str:
    """The terminal report; errors are not in it: the commands print them to stderr, one line each."""
    lines = [f"smgitops plan at revision {plan.revision}", ""]
    lines += [f"override: {override}" for override in plan.overrides]
    if plan.overrides:
        lines.append("")
    for environment, changes in _by_environment(plan):
        target = changes[0].target
        lines.append(f"{environment} ({target.account} {target.region})")
        for change in changes:
            lines.append(f"  {SYMBOLS[change.action]} {change.kind} {change.name}  {_why(change)}")
            lines += [f"      {row}" for row in _diff_rows(change)]
        lines.append("")
    lines.append(summary_line(plan))
    return "\n".join(lines) + "\n"


def markdown(plan: Plan) -> str:
    counts = plan.summary()
    lines = [
        f"### smgitops plan for `{plan.revision}`",
        "",
        f"**{counts['create']}** to create · **{counts['update']}** to update · **{counts['delete']}** to delete"
        f" · {counts['held']} reported only · {counts['in_sync']} in sync",
        "",
    ]
    for error in plan.errors:
        lines.append(f"> :x: `{error}`")
    for override in plan.overrides:
        lines.append(f"> :warning: override: {override}")
    if plan.errors or plan.overrides:
        lines.append("")
    for environment, changes in _by_environment(plan):
        target = changes[0].target
        lines += [f"#### {environment} — account `{target.account}`, {target.region}", ""]
        lines += ["| | kind | name | why |", "|---|---|---|---|"]
        for change in changes:
            lines.append(f"| `{SYMBOLS[change.action]}` | {change.kind} | `{change.name}` | {_why_cell(change)} |")
        detailed = [change for change in changes if change.diff or change.action == "create"]
        if detailed:
            lines += ["", "<details><summary>Field changes</summary>", "", "```diff"]
            for change in detailed:
                lines.append(f"# {change.address}")
                if change.action == "create":
                    lines += [f"+ {row}" for row in _diff_rows(change)]
                for row in change.diff:
                    lines.append(f"- {row.path}: {_value(row.before)}")
                    lines.append(f"+ {row.path}: {_value(row.after)}")
            lines += ["```", "", "</details>"]
        lines.append("")
    if not plan.changes:
        lines.append("No changes: every account matches git.")
    return "\n".join(lines).rstrip() + "\n"


def _by_environment(plan: Plan):
    """Registry first, then environments in the order environments.yaml lists them."""
    order = {name: index for index, name in enumerate(("registry", *plan.environments))}
    ordered = sorted(plan.changes, key=lambda change: (order.get(change.environment, len(order)), change.environment))
    for environment, group in groupby(ordered, key=lambda change: change.environment):
        yield environment, list(group)


def _why(change: Change) -> str:
    why = f"({change.reason}"
    if change.source:
        why += f", {change.source}"
    why += ")"
    if change.hold:
        why += f" not applied: {change.hold}"
    return why


def _why_cell(change: Change) -> str:
    cell = change.reason + (f" in `{change.source}`" if change.source else "")
    return cell + (f" — **not applied**: {change.hold}" if change.hold else "")


def _diff_rows(change: Change) -> list[str]:
    if change.action == "create":
        kind, after = KINDS.get(change.kind), change.after or {}
        shown = kind.summary(after) if hasattr(kind, "summary") else dict(sorted(after.items()))
        return [f"{key}: {_value(value)}" for key, value in shown.items()]
    return [f"{row.path}: {_value(row.before)} -> {_value(row.after)}" for row in change.diff]


def _value(value: Any) -> str:
    rendered = json.dumps(value, sort_keys=True, default=str)
    return rendered if len(rendered) <= MAX_VALUE else rendered[: MAX_VALUE - 3] + "..."
