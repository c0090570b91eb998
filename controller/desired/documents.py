"""A parsed desired-state file: where it is, its plain data, and where each key and value was written.

The loader reads every file found by `layout` into a `Document`; the schema and semantic checks walk its
plain data and ask it for the line and column of any JSON path, so each problem points at the right place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from controller.desired.problems import FILE, Problem, breadcrumb
from controller.desired.yamlsource import Node, SourceError, read_file, to_plain

ENVIRONMENTS = "environments"
DEPLOYMENT = "deployment"

Path = Sequence[str | int]


@dataclass
class Document:
    kind: str
    """ENVIRONMENTS or DEPLOYMENT."""
    path: str
    """As shown to the user: the directory as given, joined with `relative`."""
    relative: str
    """Relative to the desired-state directory: `prod/churn.yaml`."""
    raw: bytes
    root: Node

    def __post_init__(self) -> None:
        self.data: Any = to_plain(self.root)

    @property
    def environment(self) -> str:
        """For a deployment file, the environment directory it sits in."""
        return self.relative.split("/")[0]

    @property
    def stem(self) -> str:
        """The file name without `.yaml`: the model name a deployment file must declare."""
        return self.relative.rsplit("/", 1)[-1].removesuffix(".yaml")

    def position(self, path: Path, *, at_key: bool = False) -> tuple[int, int]:
        """Line and column of the value at `path` (or of its key), or of the deepest part that exists."""
        node = self.root
        where = (node.line, node.column)
        for part in path:
            child, key_where = _child(node, part)
            if child is None:
                return where
            node, where = child, (child.line, child.column)
            if at_key and key_where is not None:
                where = key_where
        return where if at_key else (node.line, node.column)

    def node(self, path: Path) -> Node | None:
        node: Node | None = self.root
        for part in path:
            node, _ = _child(node, part)
            if node is None:
                return None
        return node

    def problem(self, path: Path, message: str, *, at_key: bool = False, crumb: Path | None = None) -> Problem:
        """A problem at the value (or key) of `path`, named by `crumb` (default: `path`)."""
        line, column = self.position(path, at_key=at_key)
        return Problem(self.path, line, column, breadcrumb(path if crumb is None else crumb), message)


def _child(node: Node, part: str | int) -> tuple[Node | None, tuple[int, int] | None]:
    if isinstance(node.value, dict) and isinstance(part, str) and part in node.value:
        return node.value[part], node.key_positions[part]
    if isinstance(node.value, list) and isinstance(part, int) and 0 <= part < len(node.value):
        child = node.value[part]
        return child, (child.line, child.column)
    return None, None


def read_document(*, kind: str, path: str, relative: str) -> Document | Problem:
    """Parse one file; a file that cannot be read gives a problem instead of a document."""
    try:
        raw, root = read_file(path)
    except SourceError as error:
        return Problem(path, error.line, error.column, error.crumb, error.message)
    if root is None or (root.value is None and root.text == ""):
        what = "the registry and the environments" if kind == ENVIRONMENTS else "a deployment of one model"
        return Problem(path, 1, 1, FILE, f"file is empty; expected {what}")
    return Document(kind=kind, path=path, relative=relative, raw=raw, root=root)
