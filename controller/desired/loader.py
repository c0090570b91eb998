"""`load`: read a desired-state directory, check it in three layers, and build the frozen model.

Structure (layout, YAML syntax, duplicate keys, unknown environments), then schema (every violation), then
semantics (schedules, time zones, URIs, ARNs, metric bounds, templates, promotion, unique pipeline names).
Every problem of every layer is collected; the model is built only when there is none. Callers: the
`validate` and `show` commands, and everything that plans or applies.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from controller.desired import fleet, rules, schemacheck
from controller.desired.build import build_state
from controller.desired.documents import DEPLOYMENT, ENVIRONMENTS, Document, read_document
from controller.desired.layout import ENVIRONMENTS_FILE, discover
from controller.desired.model import DesiredState
from controller.desired.problems import Problem
from controller.desired.revision import revision_of


@dataclass(frozen=True)
class LoadResult:
    """The desired state, or (never both) the problems that stopped it from being built."""

    state: DesiredState | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return self.state is not None


def load(root: str | os.PathLike[str], *, revision: str | None = None) -> LoadResult:
    """Read and check every file under `root`; `revision` defaults to `revision_of(root)`: its git commit, or a
    hash of its files."""
    layout = discover(os.fspath(root))
    problems = list(layout.problems)
    environments = None
    if layout.environments_file:
        environments = _read(ENVIRONMENTS, layout.environments_file, ENVIRONMENTS_FILE, problems)
    deployments = [
        document
        for path, relative in layout.deployment_files
        if (document := _read(DEPLOYMENT, path, relative, problems)) is not None
    ]
    if environments is not None:
        problems.extend(_checked(environments, rules.environments_rules(environments)))
    for document in deployments:
        problems.extend(_checked(document, rules.deployment_rules(document, root=layout.root)))
    declared = fleet.declared_environments(environments)
    if declared is not None:
        problems.extend(fleet.unknown_directories(layout.environment_dirs, declared))
        problems.extend(fleet.unique_pipelines([d for d in deployments if d.environment in declared], declared))
    if problems or environments is None:
        return LoadResult(state=None, problems=tuple(sorted(set(problems))))
    state = build_state(environments, deployments, revision=revision or revision_of(layout.root), root=layout.root)
    return LoadResult(state=state, problems=())


def _read(kind: str, path: str, relative: str, problems: list[Problem]) -> Document | None:
    outcome = read_document(kind=kind, path=path, relative=relative)
    if isinstance(outcome, Problem):
        problems.append(outcome)
        return None
    return outcome


def _checked(document: Document, semantic: object) -> list[Problem]:
    """Schema problems, then semantic ones where the schema found nothing at the same place."""
    found = schemacheck.check(document)
    reported = {problem.breadcrumb for problem in found}
    found.extend(problem for problem in semantic if problem.breadcrumb not in reported)
    return found
