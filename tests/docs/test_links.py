"""The README and docs/ hold together: every relative link resolves, and the README links every page of docs/."""

from __future__ import annotations

import re

import pytest
from docs_text import PAGES, REPO, read

LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", PAGES)
def test_every_relative_link_resolves(page):
    targets = [target for target in LINK.findall(read(page)) if "://" not in target]
    missing = [target for target in targets if not ((REPO / page).parent / target).exists()]
    assert missing == []


def test_the_readme_links_every_page_of_docs():
    linked = set(LINK.findall(read("README.md")))
    assert {page for page in PAGES if page.startswith("docs/")} <= linked
