"""One problem found in the desired-state files, and how its breadcrumb is spelled.

Every layer of the loader (structure, schema, semantics) reports `Problem`s; `smgitops validate` prints them
one per line, sorted, as `path:line:col: breadcrumb: message`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

# Breadcrumbs for problems that are not about one field.
DIRECTORY = "(directory)"
FILE = "(file)"
YAML = "(yaml)"
TOP_LEVEL = "(top level)"

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True, order=True)
class Problem:
    """A single finding, positioned at a 1-based line and column of `path`."""

    path: str
    line: int
    column: int
    breadcrumb: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.breadcrumb}: {self.message}"


def breadcrumb(parts: Iterable[str | int]) -> str:
    """`("batchInference", "schedule")` -> `batchInference.schedule`; list indices as `[0]`."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        key = part if _PLAIN_KEY.match(part) else json.dumps(part)
        text += f".{key}" if text else key
    return text or TOP_LEVEL


def shorten(text: str, limit: int = 40) -> str:
    """`text` quoted for a message, cut to `limit` characters."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")
