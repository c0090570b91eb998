"""The revision a desired-state directory is at: its git commit (with `-dirty` when edited), else a content hash.

The revision is what ownership tags and approval records carry, so it must name exactly what was applied.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path


def revision_of(root: str | Path) -> str:
    directory = Path(root)
    commit = _git(directory, "rev-parse", "--short=12", "HEAD")
    if commit is None:
        return content_hash(directory)
    status = _git(directory, "status", "--porcelain", "--", ".")
    return f"{commit}-dirty" if status else commit


def content_hash(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*.yaml")):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(path.read_bytes())
    return "sha256-" + digest.hexdigest()[:12]


def _git(directory: Path, *arguments: str) -> str | None:
    if not directory.is_dir():
        return None
    try:
        completed = subprocess.run(
            ["git", *arguments], cwd=directory, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None
