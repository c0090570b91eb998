"""Who approved what, where and when: git's approval changes joined with the registry's approval records.

`smgitops history` calls `join_registry` with the changes `controller.desired.history` found in git. For each
change the registry says when smgitops applied it and at which revision: the version's
`smgitops/first-approved/<environment>` and `smgitops/last-approved/<environment>` records (written by the
approval kind). A record belongs to the change whose commit it names; a record naming a later revision (the
service applied several merged commits at once) belongs to the first change of that version in that
environment, or for the last record to the latest one. Reads: one DescribeModelPackage per version named.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from controller.aws.errors import is_not_found
from controller.desired.history import ApprovalChange
from controller.desired.model import Account
from controller.kinds import approval


@dataclass(frozen=True)
class Applied:
    at: str
    """UTC time smgitops recorded the approval (`2026-11-29T10:01:12Z`)."""
    revision: str


@dataclass(frozen=True)
class Entry:
    change: ApprovalChange
    applied: Applied | None = None
    """When smgitops applied this change, by the registry's records; None when they do not say."""
    recorded_override: str | None = None
    """The override the registry recorded with this approval (`<by>: <reason>`)."""


def join_registry(changes: Sequence[ApprovalChange], *, registry: Account, clients) -> list[Entry]:
    records = _records(changes, registry=registry, clients=clients)
    by_key: dict[tuple, list[ApprovalChange]] = defaultdict(list)
    for change in changes:
        by_key[_key(change)].append(change)
    entries = []
    for change in changes:
        history = records.get((change.model_package_group, change.after), {}).get(change.environment, {})
        applied = _applied(change, history, by_key[_key(change)])
        override = history.get("override", "")
        recorded = None
        if applied and override.split(" ", 1)[0] == applied.revision:
            recorded = override.split(" ", 1)[1] if " " in override else ""
        entries.append(Entry(change=change, applied=applied, recorded_override=recorded))
    return entries


def _key(change: ApprovalChange) -> tuple:
    return (change.environment, change.model_package_group, change.after)


def _records(changes: Sequence[ApprovalChange], *, registry: Account, clients) -> dict[tuple, dict]:
    """(group, version) → the version's approval history per environment, for every version a change names."""
    wanted = sorted({(c.model_package_group, c.after) for c in changes if c.model_package_group and c.after})
    records = {}
    for group, version in wanted:
        arn = f"arn:aws:sagemaker:{registry.region}:{registry.account}:model-package/{group}/{version}"
        try:
            live = approval.describe_version(clients, registry, group, arn)
        except Exception as error:
            if is_not_found(error) or "does not exist" in str(error):
                continue
            raise
        records[(group, version)] = live.details.get("history", {})
    return records


def _applied(change: ApprovalChange, history: dict[str, str], same: list[ApprovalChange]) -> Applied | None:
    stamps = [_parse(history.get("first", "")), _parse(history.get("last", ""))]
    for stamp in stamps:
        if stamp and _same_commit(stamp.revision, change.commit):
            return stamp
    first, last = stamps
    if first and change is same[0] and not any(_same_commit(first.revision, c.commit) for c in same):
        return first
    if last and len(same) > 1 and change is same[-1] and not any(_same_commit(last.revision, c.commit) for c in same):
        return last
    return None


def _parse(record: str) -> Applied | None:
    at, _, revision = record.partition(" ")
    return Applied(at=at, revision=revision) if at and revision else None


def _same_commit(revision: str, commit: str) -> bool:
    """Revisions are short commits, `-dirty` when applied from an edited work tree."""
    short = revision.removesuffix("-dirty")
    return len(short) >= 7 and commit.startswith(short)
