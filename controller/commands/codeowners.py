"""`smgitops codeowners [DIR]`: the GitLab CODEOWNERS entries that `owners` in environments.yaml implies.

Each environment's `owners` own its directory (`/desired_state/prod/ @acme/model-review-board`) and the
top-level `owners` own environments.yaml itself, so with "Code Owner approval" on the protected default branch
a merge request that changes prod cannot merge without the model review board. The entries are one block
between `# smgitops:begin` and `# smgitops:end`: `--out FILE` writes that block into FILE (created, or the
block replaced in place, the team's other lines kept; a new block goes at the end, where CODEOWNERS' last
match wins), and `--check FILE` exits 1 when FILE's block is missing or stale, for the merge-request pipeline.
Paths are written relative to the current directory, which is the repository root in CI.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

BEGIN = "# smgitops:begin"
END = "# smgitops:end"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", nargs="?", default="desired_state", help="desired-state directory")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--out", metavar="FILE", help="write the block into FILE (e.g. .gitlab/CODEOWNERS)")
    target.add_argument("--check", metavar="FILE", help="exit 1 when FILE's block differs from what git implies")


def run(args: argparse.Namespace) -> int:
    from controller.desired import load

    loaded = load(args.directory)
    for problem in loaded.problems:
        print(problem, file=sys.stderr)
    if loaded.state is None or loaded.problems:
        return 1
    prefix = _repository_path(args.directory)
    if prefix is None:
        print(f"{args.directory}: must be inside the current directory (run from the repository root)", file=sys.stderr)
        return 1
    block = render_block(loaded.state, prefix=prefix, source=f"{args.directory.rstrip('/')}/environments.yaml")
    if args.out:
        return _write(Path(args.out), block)
    if args.check:
        return _check(Path(args.check), block, directory=args.directory)
    sys.stdout.write(block)
    return 0


def render_block(state, *, prefix: str, source: str) -> str:
    """The CODEOWNERS block: environments.yaml's owners, then each environment's, in the file's order."""
    lines = [f"{BEGIN}: written by `smgitops codeowners` from {source}; change the owners there"]
    if state.owners:
        lines.append(f"/{prefix}/environments.yaml {' '.join(state.owners)}")
    lines += [
        f"/{prefix}/{name}/ {' '.join(environment.owners)}"
        for name, environment in state.environments.items()
        if environment.owners
    ]
    lines.append(END)
    return "\n".join(lines) + "\n"


def _repository_path(directory: str) -> str | None:
    relative = os.path.relpath(Path(directory).resolve(), Path.cwd().resolve())
    return None if relative.startswith("..") else Path(relative).as_posix().strip("/")


def _existing_block(text: str) -> tuple[int, int] | None:
    """Start and end offsets of the smgitops block in `text`, end included with its newline."""
    start = text.find(BEGIN)
    end = text.find(END, start)
    if start < 0 or end < 0 or (start > 0 and text[start - 1] != "\n"):
        return None
    return start, end + len(END) + (1 if text[end + len(END) : end + len(END) + 1] == "\n" else 0)


def _write(path: Path, block: str) -> int:
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        found = _existing_block(text)
        if found:
            updated = text[: found[0]] + block + text[found[1] :]
        else:
            updated = text + ("\n" if text and not text.endswith("\n") else "") + ("\n" if text else "") + block
        if updated == text:
            print(f"{path}: up to date")
            return 0
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(updated, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"{path}:1:1: (file): cannot write: {getattr(error, 'strerror', None) or error}", file=sys.stderr)
        return 1
    print(f"{path}: written")
    return 0


def _check(path: Path, block: str, *, directory: str) -> int:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"{path}:1:1: (file): cannot read: {getattr(error, 'strerror', None) or error}", file=sys.stderr)
        return 1
    found = _existing_block(text)
    if found and text[found[0] : found[1]].rstrip("\n") == block.rstrip("\n"):
        print(f"{path}: up to date")
        return 0
    line = text.count("\n", 0, found[0]) + 1 if found else 1
    state = "differs from the owners in" if found else "has no smgitops block for"
    print(
        f"{path}:{line}:1: (file): {state} {directory.rstrip('/')}/environments.yaml; "
        f"run: smgitops codeowners {directory} --out {path}",
        file=sys.stderr,
    )
    return 1
