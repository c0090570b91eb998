"""`smgitops schema [--out DIR]`: write the JSON Schemas (draft 2020-12) of the desired-state files.

A repository of desired state runs this once (and after upgrades) so that the
`# yaml-language-server: $schema=../schemas/...` line of every file lets editors validate while typing.
Writes every `*.schema.json` shipped in `controller/schemas/`; unchanged files are left untouched.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_OUT = "schemas"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", default=DEFAULT_OUT, metavar="DIR", help=f"directory to write them to (default: {DEFAULT_OUT})"
    )


def run(args: argparse.Namespace) -> int:
    from controller.desired.schemacheck import SCHEMA_DIR

    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for source in sorted(SCHEMA_DIR.glob("*.schema.json")):
            _write(source.read_bytes(), out / source.name)
    except OSError as error:
        print(f"{args.out}:1:1: (directory): cannot write the schemas: {error.strerror or error}", file=sys.stderr)
        return 1
    return 0


def _write(content: bytes, target: Path) -> None:
    if target.is_file() and target.read_bytes() == content:
        print(f"{target}: up to date")
        return
    target.write_bytes(content)
    print(f"{target}: written")
