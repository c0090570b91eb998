"""`smgitops history [DIR] [--env E] [--model M] [--format text|json]`: every approval and rollback, per
environment, from git (commit, author, date, merge request) joined with the registry's records (when smgitops
applied it, at which revision, with which override). `--git-only` skips the registry.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from controller.commands.common import add_calls_per_second

COLUMNS = ("DATE (UTC)", "ENVIRONMENT", "MODEL", "VERSION", "KIND", "COMMIT", "AUTHOR", "MERGE REQUEST", "APPLIED")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", nargs="?", default="desired_state", help="desired-state directory in git")
    parser.add_argument("--env", action="append", dest="environments", metavar="ENV", help="only this environment")
    parser.add_argument("--model", action="append", dest="models", metavar="MODEL", help="only this model")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--git-only", action="store_true", help="do not read the registry's records")
    add_calls_per_second(parser)


def run(args: argparse.Namespace) -> int:
    from controller.desired import load
    from controller.desired.history import HistoryError, approval_changes
    from controller.engine.history import Entry, join_registry

    try:
        changes = approval_changes(args.directory)
    except HistoryError as error:
        print(f"{args.directory}: cannot read its git history: {error}", file=sys.stderr)
        return 1
    changes = [
        change
        for change in changes
        if (not args.environments or change.environment in args.environments)
        and (not args.models or change.model in args.models)
    ]
    entries = [Entry(change=change) for change in changes]
    if not args.git_only and changes:
        loaded = load(args.directory, revision="history")
        if loaded.state is None:
            for problem in loaded.problems:
                print(problem, file=sys.stderr)
            return 1
        from controller.commands.common import make_clients

        try:
            entries = join_registry(changes, registry=loaded.state.registry, clients=make_clients(args))
        except Exception as error:  # credentials, access: one line; --git-only still works
            print(f"registry: reading approval records failed: {' '.join(str(error).split())}", file=sys.stderr)
            return 1
    if args.format == "json":
        sys.stdout.write(json.dumps([_as_dict(entry) for entry in entries], indent=2) + "\n")
    else:
        sys.stdout.write(render_text(entries))
    return 0


def render_text(entries) -> str:
    if not entries:
        return "No approvals in git yet.\n"
    rows, notes = [], []
    for entry in entries:
        change = entry.change
        rows.append((
            _utc(change.date),
            change.environment,
            change.model,
            _versions(change.before, change.after),
            change.kind,
            change.commit[:12],
            change.author,
            change.merge_request or "",
            f"{entry.applied.at.replace('T', ' ').removesuffix('Z')[:16]} at {entry.applied.revision}"
            if entry.applied else "",
        ))
        notes.append(_notes(entry))
    widths = [max(len(row[index]) for row in [COLUMNS, *rows]) for index in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(COLUMNS, widths, strict=True)).rstrip()]
    for row, extra in zip(rows, notes, strict=True):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        lines.extend(f"    {note}" for note in extra)
    return "\n".join(lines) + "\n"


def _notes(entry) -> list[str]:
    change = entry.change
    notes = []
    if change.reverts:
        notes.append(f"rollback: reverts {change.reverts[:12]} ({change.subject})")
    if change.override:
        notes.append(f"override by {change.override['by']}: {change.override['reason']}")
    if entry.recorded_override:
        notes.append(f"registry recorded the override: {entry.recorded_override}")
    return notes


def _versions(before: int | None, after: int | None) -> str:
    if before is None:
        return f"{after} (new file)"
    if after is None:
        return f"{before} (file removed)"
    return f"{before} -> {after}"


def _utc(date: str) -> str:
    try:
        return datetime.fromisoformat(date).astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return date


def _as_dict(entry) -> dict:
    change = entry.change
    return {
        "environment": change.environment,
        "model": change.model,
        "source": change.source,
        "kind": change.kind,
        "before": change.before,
        "after": change.after,
        "commit": change.commit,
        "author": change.author,
        "email": change.email,
        "date": change.date,
        "subject": change.subject,
        "mergeRequest": change.merge_request,
        "reverts": change.reverts,
        "override": change.override,
        "modelPackageGroup": change.model_package_group,
        "applied": {"at": entry.applied.at, "revision": entry.applied.revision} if entry.applied else None,
        "recordedOverride": entry.recorded_override,
    }
