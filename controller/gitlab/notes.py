"""One note per marker on a merge request, edited in place on every push (the way Atlantis keeps its plan).

The note's body starts with a hidden HTML comment, `<!-- smgitops:<key> -->`, that GitLab does not render.
`upsert_note` pages through the merge request's notes for the first one carrying that marker and written by
the token's own user (others' notes are never touched, and GitLab would refuse to edit them anyway): it
edits that note, or creates one if there is none, so the merge request always shows one current plan.
GitLab refuses notes over 1,000,000 characters; `fit_note` cuts a longer body at a line boundary and
points at the job artifact that holds the whole text.
"""

from __future__ import annotations

from dataclasses import dataclass

import gitlab

from controller.gitlab.ci import MergeRequestRef
from controller.gitlab.errors import translated

NOTE_LIMIT = 1_000_000  # characters; GitLab's limit on a note body
CUT_MARGIN = 2_000  # room kept for the marker and the pointer to the artifact


@dataclass(frozen=True)
class NoteResult:
    """What `upsert_note` did: `created`, `updated` or `unchanged`, the note's id and whether the body was cut."""

    action: str
    note_id: int
    cut: bool = False


def marker_for(key: str) -> str:
    return f"<!-- smgitops:{key} -->"


def fit_note(body: str, *, pointer: str, limit: int = NOTE_LIMIT) -> tuple[str, bool]:
    """The body, or its first lines up to `limit` with `pointer` appended; and whether it was cut."""
    if len(body) <= limit:
        return body, False
    head = body[: max(limit - len(pointer) - CUT_MARGIN, 0)]
    head = head[: head.rfind("\n") + 1] if "\n" in head else head
    if head.count("```") % 2:  # close an open code block so the pointer renders as text
        head += "```\n"
    return f"{head}\n{pointer}\n", True


def upsert_note(
    client: gitlab.Gitlab,
    merge_request: MergeRequestRef,
    *,
    key: str,
    body: str,
    pointer: str,
) -> NoteResult:
    """Create or edit the merge request's note marked with `key` so it reads `body` (cut if too long)."""
    marker = marker_for(key)
    text, cut = fit_note(body, pointer=pointer, limit=NOTE_LIMIT - len(marker) - 1)
    text = f"{marker}\n{text}"
    project = client.projects.get(merge_request.project.project_id, lazy=True)
    notes = project.mergerequests.get(merge_request.iid, lazy=True).notes
    with translated(f"reading the notes of !{merge_request.iid}"):
        existing = _find_marked(notes, marker, author_id=client.user.id if client.user else None)
    if existing is None:
        with translated(f"creating a note on !{merge_request.iid}"):
            created = notes.create({"body": text})
        return NoteResult("created", created.id, cut)
    if existing.body == text:
        return NoteResult("unchanged", existing.id, cut)
    with translated(f"editing note {existing.id} on !{merge_request.iid}"):
        notes.update(existing.id, {"body": text})
    return NoteResult("updated", existing.id, cut)


def _find_marked(notes, marker: str, *, author_id: int | None):
    for note in notes.list(iterator=True, sort="asc", order_by="created_at", per_page=100):
        if note.system or not note.body.startswith(marker):
            continue
        if author_id is None or note.author.get("id") == author_id:
            return note
    return None
