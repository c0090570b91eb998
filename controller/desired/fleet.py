"""Rules that span files: environment directories must be declared, pipeline names unique per account.

The loader calls `fleet_rules` once, after every file was read; like the per-file rules it reads the plain
data defensively, since some files may have schema problems of their own.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from controller.desired.documents import Document
from controller.desired.problems import DIRECTORY, Problem, breadcrumb
from controller.desired.rules import get

PIPELINE_FIELDS = (("batchInference", "pipeline"), ("training", "pipeline"))


def declared_environments(environments: Document | None) -> dict[str, Any] | None:
    """Name -> data of every environment in environments.yaml, or None if it could not be read or its
    `environments` is not a mapping (then the schema says so, and no directory is called unknown)."""
    if environments is None:
        return None
    declared = get(environments.data, ["environments"])
    return declared if isinstance(declared, dict) else None


def unknown_directories(directories: dict[str, str], declared: dict[str, Any]) -> Iterator[Problem]:
    for name, path in directories.items():
        if name in declared:
            continue
        message = f"unknown environment {name!r}: not in environments.yaml"
        guess = difflib.get_close_matches(name.lower(), list(declared), n=1, cutoff=0.6)
        yield Problem(path, 1, 1, DIRECTORY, message + (f" (did you mean '{guess[0]}'?)" if guess else ""))


def unique_pipelines(deployments: list[Document], declared: dict[str, Any]) -> Iterator[Problem]:
    """Each pipeline name once per account, across the deployment files of every environment there."""
    first_use: dict[tuple[str, str], tuple[Document, tuple[str, str]]] = {}
    for document in sorted(deployments, key=lambda doc: doc.path):
        account = get(declared, [document.environment, "account"])
        if not isinstance(account, str):
            continue
        for path in PIPELINE_FIELDS:
            name = get(document.data, path)
            if not isinstance(name, str):
                continue
            if (account, name) not in first_use:
                first_use[(account, name)] = (document, path)
                continue
            other, other_path = first_use[(account, name)]
            where = f"{other.relative} {breadcrumb(other_path)}"
            message = f"pipeline {name!r} is already declared in account {account} by {where}"
            yield document.problem(path, message)
