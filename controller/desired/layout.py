"""Find the files of a desired-state directory and report anything in the wrong place.

The layout is `DIR/environments.yaml` plus `DIR/<environment>/<model>.yaml`, and the team's own templates in
`DIR/templates/`. Hidden entries (`.gitkeep`, `.DS_Store`) and `README.md` files are ignored; every other file or
directory is a structure problem, and so is a symbolic link that leads out of `DIR`, which is never read. The
loader calls `discover` first and reads only the files it returns.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

from controller.desired.problems import DIRECTORY, FILE, Problem

ENVIRONMENTS_FILE = "environments.yaml"
TEMPLATES_DIR = "templates"
"""Where the team's own pipeline templates live, next to the environment directories; not an environment."""
IGNORED = ("README.md",)


@dataclass
class Layout:
    root: str
    """The directory as given, normalised (`desired_state`)."""
    environments_file: str | None = None
    deployment_files: list[tuple[str, str]] = field(default_factory=list)
    """(path as shown, path relative to the root) of every `<environment>/<model>.yaml`."""
    environment_dirs: dict[str, str] = field(default_factory=dict)
    """Directory name -> path as shown."""
    problems: list[Problem] = field(default_factory=list)


def discover(root: str) -> Layout:
    layout = Layout(root=os.path.normpath(root))
    entries = _entries(layout.root, layout.problems, inside=os.path.realpath(layout.root))
    for name, kind in entries or ():
        path = os.path.join(layout.root, name)
        if kind == "dir" and name == TEMPLATES_DIR:
            continue
        if kind == "dir":
            layout.environment_dirs[name] = path
            _discover_environment(layout, name)
        elif name == ENVIRONMENTS_FILE and kind == "file":
            layout.environments_file = path
        else:
            layout.problems.append(_misplaced_at_root(path, name, kind))
    if layout.environments_file is None and entries is not None:
        path = os.path.join(layout.root, ENVIRONMENTS_FILE)
        message = "missing: a desired-state directory needs environments.yaml"
        layout.problems.append(Problem(path, 1, 1, FILE, message))
    return layout


def _discover_environment(layout: Layout, name: str) -> None:
    directory = os.path.join(layout.root, name)
    for entry, kind in _entries(directory, layout.problems, inside=os.path.realpath(layout.root)) or ():
        path = os.path.join(directory, entry)
        if kind == "file" and entry.endswith(".yaml"):
            layout.deployment_files.append((path, f"{name}/{entry}"))
        elif kind == "dir":
            message = "unexpected directory: an environment directory holds only <model>.yaml files"
            layout.problems.append(Problem(path, 1, 1, DIRECTORY, message))
        else:
            layout.problems.append(Problem(path, 1, 1, FILE, _unexpected_file(entry, kind)))


def _misplaced_at_root(path: str, name: str, kind: str) -> Problem:
    if kind == "file" and name.endswith(".yaml"):
        message = f"misplaced: a deployment file goes in an environment directory, as <environment>/{name}"
    elif kind == "file" and not name.endswith(".yml"):
        message = (
            "unexpected file: the desired-state directory holds environments.yaml and one directory per environment"
        )
    else:
        message = _unexpected_file(name, kind)
    return Problem(path, 1, 1, FILE, message)


def _unexpected_file(name: str, kind: str) -> str:
    if kind != "file":
        return "not a regular file"
    if name.endswith(".yml"):
        return f"rename it to {name.removesuffix('.yml')}.yaml: desired-state files end in .yaml"
    return "unexpected file: an environment directory holds only <model>.yaml files"


def _entries(directory: str, problems: list[Problem], *, inside: str) -> list[tuple[str, str]] | None:
    """Sorted (name, "file" | "dir" | "other") of the entries that count, or None if unreadable. A symbolic
    link that leads out of `inside` (the desired-state directory) is reported and left unread."""
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        problems.append(Problem(directory, 1, 1, DIRECTORY, "no such directory"))
        return None
    except NotADirectoryError:
        problems.append(Problem(directory, 1, 1, DIRECTORY, "not a directory"))
        return None
    except OSError as error:
        message = f"cannot read the directory: {error.strerror or error}"
        problems.append(Problem(directory, 1, 1, DIRECTORY, message))
        return None
    entries = []
    for name in names:
        path = os.path.join(directory, name)
        if _ignored(name):
            continue
        if os.path.islink(path) and os.path.commonpath([inside, os.path.realpath(path)]) != inside:
            message = "a symbolic link that leads out of the desired-state directory: not read"
            problems.append(Problem(path, 1, 1, DIRECTORY if os.path.isdir(path) else FILE, message))
            continue
        entries.append((name, _kind(path)))
    return entries


def _ignored(name: str) -> bool:
    return name.startswith(".") or name in IGNORED


def _kind(path: str) -> str:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return "other"
    if stat.S_ISDIR(mode):
        return "dir"
    return "file" if stat.S_ISREG(mode) else "other"
