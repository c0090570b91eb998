"""The approvals git remembers: every change of `approvedVersion` in a deployment file, commit by commit.

`smgitops history` reads these and joins them with the registry's records (`controller.engine.history`).
The log follows the first parent, so on the default branch a merged merge request is one entry: the merge
commit, whose author merged it and whose message names it (`See merge request acme/ml-fleet!7`). A commit
made by `git revert` is a rollback and says which commit it reverts. Reads only git, through its CLI.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_RECORD, _FIELD = "\x1e", "\x1f"
_FORMAT = _FIELD.join(("%H", "%an", "%ae", "%aI", "%B")) + _RECORD
_DEPLOYMENT_FILE = re.compile(r"^(?P<environment>[a-z][a-z0-9-]*)/(?P<model>[a-z][a-z0-9-]*)\.yaml$")
_VERSION_LINE = re.compile(r"""^(?P<sign>[-+])approvedVersion:\s*["']?(?P<version>\d+)""")
_MERGE_REQUEST = re.compile(r"See merge request (?P<reference>\S+![0-9]+)")
_SHORT_REFERENCE = re.compile(r"(?<![\w!])(?P<reference>![0-9]+)\b")
_REVERTS = re.compile(r"This reverts commit (?P<commit>[0-9a-f]{7,40})")


class HistoryError(Exception):
    """git could not be read (not a repository, git missing...)."""


@dataclass(frozen=True)
class ApprovalChange:
    """One commit that changed which version an environment declares for a model."""

    commit: str
    author: str
    email: str
    date: str
    """ISO 8601 with the author's offset, as git records it."""
    environment: str
    model: str
    source: str
    """The deployment file, relative to the desired-state directory (`staging/churn.yaml`)."""
    before: int | None
    """The version declared before the commit; None when the commit created the file."""
    after: int | None
    """The version declared after it; None when the commit deleted the file."""
    model_package_group: str | None
    subject: str
    merge_request: str | None = None
    """`acme/ml-fleet!7` (or `!7`) when the commit message names a merge request."""
    reverts: str | None = None
    """The commit this one reverts, when it is a rollback made by `git revert`."""
    override: dict[str, str] | None = None
    """The file's `override: {reason, by}` at this commit, if it had one."""

    @property
    def kind(self) -> str:
        return "rollback" if self.reverts else "approval"


def approval_changes(directory: str | Path) -> list[ApprovalChange]:
    """Every approvedVersion change under `directory`, oldest first."""
    root = Path(directory)
    log = _git(root, "log", "--first-parent", "-m", "--reverse", "--relative", "-p", "-U0", "--no-color",
               "--no-renames", f"--format={_RECORD}{_FORMAT}", "--", ".")
    parts = log.split(_RECORD)[1:]
    changes: list[ApprovalChange] = []
    for header, patch in zip(parts[0::2], parts[1::2], strict=False):
        changes.extend(_changes_of(root, header, patch))
    return changes


def _changes_of(root: Path, header: str, patch: str) -> list[ApprovalChange]:
    commit, author, email, date, message = header.split(_FIELD, 4)
    found: dict[str, dict[str, int | None]] = {}
    current: str | None = None
    for line in patch.splitlines():
        if line.startswith("diff --git "):
            name = line.split(" b/", 1)[-1]
            current = name if _DEPLOYMENT_FILE.match(name) else None
            continue
        matched = _VERSION_LINE.match(line) if current else None
        if matched and current:
            side = "before" if matched["sign"] == "-" else "after"
            found.setdefault(current, {"before": None, "after": None})[side] = int(matched["version"])
    changes = []
    for source, versions in sorted(found.items()):
        if versions["before"] == versions["after"]:
            continue
        file_match = _DEPLOYMENT_FILE.match(source)
        assert file_match is not None
        data = _file_at(root, commit if versions["after"] is not None else f"{commit}^", source)
        changes.append(
            ApprovalChange(
                commit=commit,
                author=author,
                email=email,
                date=date,
                environment=file_match["environment"],
                model=file_match["model"],
                source=source,
                before=versions["before"],
                after=versions["after"],
                model_package_group=_text(data.get("modelPackageGroup")),
                subject=message.strip().splitlines()[0] if message.strip() else "",
                merge_request=_merge_request(message),
                reverts=_reverted(message),
                override=_override(data) if versions["after"] is not None else None,
            )
        )
    return changes


def _merge_request(message: str) -> str | None:
    found = _MERGE_REQUEST.search(message) or _SHORT_REFERENCE.search(message)
    return found["reference"] if found else None


def _reverted(message: str) -> str | None:
    found = _REVERTS.search(message)
    return found["commit"] if found else None


def _override(data: dict[str, Any]) -> dict[str, str] | None:
    override = data.get("override")
    if not isinstance(override, dict):
        return None
    return {"reason": str(override.get("reason", "")), "by": str(override.get("by", ""))}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _file_at(root: Path, revision: str, source: str) -> dict[str, Any]:
    try:
        text = _git(root, "show", f"{revision}:./{source}")
        data = yaml.safe_load(text)
    except (HistoryError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _git(root: Path, *arguments: str) -> str:
    try:
        completed = subprocess.run(
            ["git", *arguments], cwd=root, capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise HistoryError(f"git: {error}") from error
    if completed.returncode != 0:
        raise HistoryError(" ".join(completed.stderr.split()) or f"git {arguments[0]} failed")
    return completed.stdout
