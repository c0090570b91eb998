"""The revision a desired-state directory is at: its git commit (with `-dirty` when edited), else a content hash.

The revision is what ownership tags and approval records carry, so it must name exactly what was applied. It is
the one revision of every verb: `load` records it unless told another (the controller's checkout), and `show`,
`plan` and `apply` print it. The content hash covers the files `load` reads and the team's templates, never a
file behind a link that leads out of the directory.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from controller.desired.layout import TEMPLATES_DIR, discover


def revision_of(root: str | Path) -> str:
    directory = Path(root)
    commit = _git(directory, "rev-parse", "--short=12", "HEAD")
    if commit is None:
        return content_hash(directory)
    status = _git(directory, "status", "--porcelain", "--", ".")
    return f"{commit}-dirty" if status else commit


def content_hash(directory: Path) -> str:
    layout = discover(str(directory))
    files = [path for path, _ in layout.deployment_files] + [layout.environments_file or ""]
    templates = directory / TEMPLATES_DIR
    files += [str(path) for path in templates.rglob("*.py") if _inside(path, directory)] if templates.is_dir() else []
    digest = hashlib.sha256()
    for path in sorted(file for file in files if file):
        digest.update(Path(path).relative_to(directory).as_posix().encode() + b"\0")
        try:
            digest.update(Path(path).read_bytes() + b"\0")
        except OSError:
            digest.update(b"unreadable\0")
    return "sha256-" + digest.hexdigest()[:12]


def _inside(path: Path, directory: Path) -> bool:
    return path.resolve().is_relative_to(directory.resolve())


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
