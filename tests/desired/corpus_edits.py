"""Apply a corpus case's edits to a fresh copy of the example desired state.

Each edit names a `file` relative to the copy (`prod/churn.yaml`, `.` for the directory itself) and one of:
`replace` + `with` (the text must occur exactly once), `append`, `write` (text), `write_hex` (bytes),
`write_size` (a file of that many bytes of YAML comments), `mkdir`, `delete`, `symlink` (to that target).
"""

from __future__ import annotations

import shutil
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "desired_state"


def build(root: Path, edits: list[dict]) -> None:
    shutil.copytree(EXAMPLES, root)
    for edit in edits:
        _apply(root / edit["file"], edit)


def _apply(target: Path, edit: dict) -> None:
    if "replace" in edit:
        text = target.read_text(encoding="utf-8")
        assert text.count(edit["replace"]) == 1, f"{edit['replace']!r} must occur once in {target}"
        target.write_text(text.replace(edit["replace"], edit["with"]), encoding="utf-8")
    elif "append" in edit:
        with target.open("a", encoding="utf-8") as stream:
            stream.write(edit["append"])
    elif "delete" in edit:
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    elif "symlink" in edit:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(edit["symlink"])
    elif "mkdir" in edit:
        target.mkdir(parents=True, exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_content(edit))


def _content(edit: dict) -> bytes:
    if "write_hex" in edit:
        return bytes.fromhex(edit["write_hex"])
    if "write_size" in edit:
        line = b"# " + b"x" * 77 + b"\n"
        return (line * (edit["write_size"] // len(line) + 1))[: edit["write_size"]]
    return edit["write"].encode("utf-8")
