"""The README and the pages under docs/, read by the tests that keep them true to the code."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGES = ("README.md", *sorted(f"docs/{path.name}" for path in (REPO / "docs").glob("*.md")))


def read(page: str) -> str:
    return (REPO / page).read_text(encoding="utf-8")


def section(page: str, heading: str) -> str:
    """The text under `heading` (a whole heading line, e.g. "## Metrics") up to the next heading of its level."""
    text = read(page)
    level = heading.split(" ", 1)[0]
    assert f"\n{heading}\n" in f"\n{text}", f"{page} has no heading {heading!r}"
    after = f"\n{text}".split(f"\n{heading}\n", 1)[1]
    return re.split(rf"^{level} ", after, maxsplit=1, flags=re.MULTILINE)[0]


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
