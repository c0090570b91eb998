"""One problem found in the desired-state files, and how its breadcrumb is spelled.

Every layer of the loader (structure, schema, semantics) reports `Problem`s; `smgitops validate` prints them
one per line, sorted, as `path:line:col: breadcrumb: message`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# Breadcrumbs for problems that are not about one field.
DIRECTORY = "(directory)"
FILE = "(file)"
YAML = "(yaml)"
TOP_LEVEL = "(top level)"

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
_CONTROL_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")  # controls, invisible formatting (bidi overrides), line breaks


@dataclass(frozen=True, order=True)
class Problem:
    """A single finding, positioned at a 1-based line and column of `path`."""

    path: str
    line: int
    column: int
    breadcrumb: str
    message: str

    def __str__(self) -> str:
        """One line, whatever the names in it hold: a path with control characters or `:` is quoted."""
        where = f"{shown_path(self.path)}:{self.line}:{self.column}"
        return f"{where}: {printable(self.breadcrumb)}: {printable(self.message)}"


def shown_path(path: str) -> str:
    """`path` as printed before `:line:col`: as it is, or quoted and escaped when it could be misread."""
    if control_character(path) is None and ":" not in path and not path.startswith('"'):
        return path
    return '"' + printable(path.replace("\\", "\\\\").replace('"', '\\"')) + '"'


def control_character(text: str) -> str | None:
    """The first control character in `text` (newline, tab, escape, bidi override...), or None."""
    if text.isprintable():  # no character in the "Other" or "Separator" categories but the space: none of ours
        return None
    return next((char for char in text if unicodedata.category(char) in _CONTROL_CATEGORIES), None)


def printable(text: str) -> str:
    """`text` with every control character written as its escape: `\\n`, `\\x1b`, `\\u202e`."""
    if control_character(text) is None:
        return text
    return "".join(
        char.encode("unicode_escape").decode("ascii") if unicodedata.category(char) in _CONTROL_CATEGORIES else char
        for char in text
    )


def breadcrumb(parts: Iterable[str | int]) -> str:
    """`("batchInference", "schedule")` -> `batchInference.schedule`; list indices as `[0]`."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        key = part if _PLAIN_KEY.fullmatch(part) else json.dumps(part)
        text += f".{key}" if text else key
    return text or TOP_LEVEL


def shorten(text: str, limit: int = 40) -> str:
    """`text` quoted for a message, cut to `limit` characters."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")
