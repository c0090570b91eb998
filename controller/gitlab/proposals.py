"""Proposals: one merge request per (model, environment) that asks to declare a newer version, kept current.

A proposal lives on a branch of its own, `smgitops/propose/<environment>/<model>`, holds one commit on top of the
target branch that changes one file, and carries the label `smgitops::proposal` and a hidden marker naming the
pair and the version (`<!-- smgitops:proposal dev/churn version=9 -->`). `propose` finds the open one by its
branch and marker and answers a newer version by rebuilding the branch from the target branch (a commit with
`force`) and editing the same merge request; an equal or older version writes nothing, and so does a version a
closed or merged proposal already asked for (a person declined it, or it was merged and rolled back). The file is
read from the target branch and edited by the caller's `edit`, so the branch differs from the target in exactly
what `edit` changed. `close_stale` closes, with a note, an open proposal the target branch has caught up with or
whose version it rejects. Commands and the service call these; nothing here knows AWS.
"""

from __future__ import annotations

import base64
import difflib
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

import gitlab

from controller.gitlab.ci import ProjectRef
from controller.gitlab.errors import translated

LABEL = "smgitops::proposal"
BRANCH_PREFIX = "smgitops/propose"
MARKER = re.compile(r"<!-- smgitops:proposal (?P<pair>\S+) version=(?P<version>\d+) -->")


@dataclass(frozen=True)
class Draft:
    """What to propose: `edit` turns the target branch's file at `path` into the proposed one, or answers None
    when that file already declares `version` or a newer one."""

    environment: str
    model: str
    path: str
    """The file's path in the repository (`desired_state/dev/churn.yaml`)."""
    version: int
    title: str
    description: str
    edit: Callable[[bytes], bytes | None]


@dataclass(frozen=True)
class ProposalResult:
    """`opened`, `updated`, `unchanged`, `closed` or `current` (the target branch declares it already)."""

    action: str
    iid: int | None = None
    web_url: str = ""
    version: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class _Found:
    merge_request: object
    version: int

    @property
    def state(self) -> str:
        return self.merge_request.state


def branch_for(environment: str, model: str) -> str:
    return f"{BRANCH_PREFIX}/{environment}/{model}"


def marker_for(environment: str, model: str, version: int) -> str:
    return f"<!-- smgitops:proposal {environment}/{model} version={int(version)} -->"


def propose(
    client: gitlab.Gitlab, project_ref: ProjectRef, draft: Draft, *, target_branch: str | None = None
) -> ProposalResult:
    """Open or update the proposal of `draft`'s pair so it asks for `draft.version` (see the module docstring)."""
    project = client.projects.get(project_ref.project_id, lazy=True)
    target = target_branch or _default_branch(client, project_ref)
    found = _proposals(client, project, draft.environment, draft.model)
    current = next((item for item in found if item.state == "opened"), None)
    if current is not None and current.version >= draft.version:
        return _result("unchanged", current, detail=f"already proposes version {current.version}")
    done = next((item for item in found if item.state != "opened" and item.version >= draft.version), None)
    if current is None and done is not None:
        return _result("unchanged", done, detail=f"version {done.version} was proposed before ({done.state})")
    with translated(f"reading {draft.path} on {target}"):
        base = project.files.get(file_path=draft.path, ref=target).decode()
    edited = draft.edit(base)
    if edited is None:
        if current is not None:
            return _close(current, note=f"`{target}` already declares version {draft.version} or newer.")
        return ProposalResult("current", version=draft.version, detail=f"{target} declares it already")
    branch = branch_for(draft.environment, draft.model)
    with translated(f"committing to {branch}"):
        project.commits.create(
            {
                "branch": branch,
                "start_branch": target,
                "force": True,
                "commit_message": draft.title,
                "actions": [
                    {
                        "action": "update",
                        "file_path": draft.path,
                        "content": base64.b64encode(edited).decode("ascii"),
                        "encoding": "base64",
                    }
                ],
            }
        )
    description = _description(draft, base, edited)
    if current is not None:
        merge_request = current.merge_request
        merge_request.title = draft.title
        merge_request.description = description
        with translated(f"updating !{merge_request.iid}"):
            merge_request.save()
        return _result("updated", _Found(merge_request, draft.version))
    with translated(f"opening a merge request from {branch}"):
        created = project.mergerequests.create(
            {
                "source_branch": branch,
                "target_branch": target,
                "title": draft.title,
                "description": description,
                "labels": LABEL,
                "remove_source_branch": True,
            }
        )
    return _result("opened", _Found(created, draft.version))


def close_stale(
    client: gitlab.Gitlab,
    project_ref: ProjectRef,
    *,
    environment: str,
    model: str,
    declared: int,
    rejected: Collection[int] = (),
    target: str,
) -> ProposalResult | None:
    """Close the open proposal of (environment, model) when `declared` (the target branch's version) has
    caught up with it, or the target branch rejects its version; None when there is no such proposal."""
    project = client.projects.get(project_ref.project_id, lazy=True)
    found = _proposals(client, project, environment, model)
    current = next((item for item in found if item.state == "opened"), None)
    if current is None:
        return None
    if current.version in rejected:
        return _close(current, note=f"`{target}` rejects version {current.version} (`rejectedVersions`).")
    if current.version > declared:
        return None
    return _close(current, note=f"`{target}` already declares version {declared}.")


def _close(found: _Found, *, note: str) -> ProposalResult:
    merge_request = found.merge_request
    with translated(f"closing !{merge_request.iid}"):
        merge_request.notes.create({"body": f"Closed by smgitops: {note} Nothing is left to propose."})
        merge_request.state_event = "close"
        merge_request.save()
    return _result("closed", found, detail=note.rstrip("."))


def _proposals(client: gitlab.Gitlab, project, environment: str, model: str) -> list[_Found]:
    """The proposals of the pair, newest first: merge requests from its branch with its marker (whoever opened
    them: a rotated project access token is a new bot user, and the branch is smgitops' own)."""
    pair = f"{environment}/{model}"
    found = []
    with translated(f"listing the merge requests of {branch_for(environment, model)}"):
        listed = project.mergerequests.list(
            source_branch=branch_for(environment, model),
            state="all",
            order_by="created_at",
            sort="desc",
            iterator=True,
            per_page=100,
        )
        for merge_request in listed:
            marked = MARKER.search(merge_request.description or "")
            if marked is None or marked["pair"] != pair:
                continue
            found.append(_Found(merge_request, int(marked["version"])))
    return found


def _default_branch(client: gitlab.Gitlab, project_ref: ProjectRef) -> str:
    with translated("reading the project"):
        return client.projects.get(project_ref.project_id).default_branch


def _description(draft: Draft, base: bytes, edited: bytes) -> str:
    changed = [
        line
        for line in difflib.unified_diff(
            base.decode("utf-8").splitlines(), edited.decode("utf-8").splitlines(), lineterm="", n=0
        )
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    diff = "\n".join(changed)
    return (
        f"{marker_for(draft.environment, draft.model, draft.version)}\n"
        f"{draft.description.rstrip()}\n\n`{draft.path}`:\n\n```diff\n{diff}\n```\n"
    )


def _result(action: str, found: _Found, *, detail: str = "") -> ProposalResult:
    merge_request = found.merge_request
    return ProposalResult(action, merge_request.iid, merge_request.web_url, found.version, detail)
