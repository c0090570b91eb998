"""Every `smgitops` command line in the README and docs/ shell blocks is one the CLI accepts."""

from __future__ import annotations

import shlex

import pytest
from docs_text import PAGES, code_blocks, read

from controller.main import build_parser

COMMANDS = [
    (page, line)
    for page in PAGES
    for block in code_blocks(read(page), "sh")
    for line in block.replace("\\\n", " ").splitlines()
    if line.startswith("smgitops ")
]


def test_the_pages_show_commands():
    assert any(page == "README.md" for page, _ in COMMANDS)


@pytest.mark.parametrize("page, line", COMMANDS, ids=[f"{page}:{line[:40]}" for page, line in COMMANDS])
def test_the_command_parses(page, line):
    argv = shlex.split(line, comments=True)
    build_parser().parse_args(argv[1:])
