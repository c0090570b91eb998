"""Semantic rules of one file: what a schema cannot say (schedules, time zones, S3 URIs, metric bounds...).

The loader runs these after the schema check on every document, valid or not, so each rule reads the plain
data defensively (`_text`, `_number`...) and skips what is missing or of the wrong type: the schema has
already reported that. Rules that span files live in `fleet.py`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Any

from controller.desired import cron, expressions
from controller.desired.documents import Document, Path
from controller.desired.model import BUILTIN_TEMPLATES
from controller.desired.problems import Problem, control_character

ERROR_METRICS = ("mse", "rmse", "mae")
SCORES = ("r2", "accuracy", "precision", "recall", "f1", "auc")
RATIOS = ("accuracy", "precision", "recall", "f1", "auc")
_ROLES = ("role", "pipelineRole", "schedulerRole")
SCHEDULE_NAME_LIMIT = 64
LONGEST_WINDOW_MINUTES = 366 * 24 * 60  # the schema's maximum for a duration in minutes


def get(data: Any, path: Path) -> Any:
    for part in path:
        if isinstance(part, str) and isinstance(data, dict):
            data = data.get(part)
        elif isinstance(part, int) and isinstance(data, list) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _text(document: Document, path: Path) -> str | None:
    """The string at `path`; None when there is none or it holds control characters (`printable_text` says so)."""
    value = get(document.data, path)
    return value if isinstance(value, str) and control_character_problem(value) is None else None


def _number(document: Document, path: Path) -> float | None:
    value = get(document.data, path)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _mapping(document: Document, path: Path) -> dict[str, Any]:
    value = get(document.data, path)
    return value if isinstance(value, dict) else {}


def _check(document: Document, path: Path, problem_of: Any) -> Iterator[Problem]:
    """Apply `problem_of(text) -> message | None` to the string at `path`, if there is one."""
    text = _text(document, path)
    message = problem_of(text) if text is not None else None
    if message:
        yield document.problem(path, message)


def finite_numbers(document: Document) -> Iterator[Problem]:
    """No number anywhere is infinite or NaN (`.inf`, `.nan`): no AWS field takes one."""
    for path, value in _values(document.data, ()):
        if isinstance(value, float) and not math.isfinite(value):
            yield document.problem(path, f"expected a finite number, got {document.node(path).text}")


def printable_text(document: Document) -> Iterator[Problem]:
    """No key or string value anywhere holds a control character (a newline, a tab, an escape...): AWS names and
    ARNs never do, and such text would forge lines in logs and messages."""
    for path, value in _values(document.data, ()):
        if isinstance(value, str) and (message := control_character_problem(value)):
            yield document.problem(path, message)
        elif isinstance(value, dict):
            for key in value:
                if isinstance(key, str) and (message := control_character_problem(key)):
                    yield document.problem([*path, key], f"the key {message}", at_key=True)


def _values(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every value in the document with its path, parents before children; only text keys are entered, and not
    one holding a control character (`printable_text` reports it)."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and control_character_problem(key) is None:
                yield from _values(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _values(item, (*path, index))


def control_character_problem(text: str) -> str | None:
    found = control_character(text)
    return None if found is None else f"must not contain control characters: found {found!r}"


def environments_rules(document: Document) -> Iterator[Problem]:
    yield from finite_numbers(document)
    yield from printable_text(document)
    registry = _mapping(document, ["registry"])
    yield from _role_rules(document, ["registry"], registry.get("account"), ("role",))
    environments = _mapping(document, ["environments"])
    for name in environments:
        path = ["environments", name]
        yield from _role_rules(document, path, _mapping(document, path).get("account"), _ROLES)
        yield from _check(document, [*path, "artifacts"], expressions.s3_prefix_problem)
        yield from _promotion_rules(document, name, environments)
        yield from _region_rule(document, path, _text(document, ["registry", "region"]))
        windows = get(document.data, [*path, "changeWindows"])
        for index in range(len(windows) if isinstance(windows, list) else 0):
            yield from _change_window_rules(document, [*path, "changeWindows", index])


def _region_rule(document: Document, path: Path, registry_region: str | None) -> Iterator[Problem]:
    region = _text(document, [*path, "region"])
    if region and registry_region and region != registry_region:
        message = (
            f"must be the registry's region, {registry_region}: SageMaker creates a model only from a model "
            "package in its own region"
        )
        yield document.problem([*path, "region"], message)


def _role_rules(document: Document, path: Path, account: Any, fields: tuple[str, ...]) -> Iterator[Problem]:
    for field in fields:
        yield from _check(document, [*path, field], expressions.role_problem)
        arn = _text(document, [*path, field])
        role_account = expressions.role_account(arn) if arn else None
        if role_account and expressions.is_account(account) and role_account != account:
            where = "the registry" if path == ["registry"] else f"environment '{path[-1]}'"
            message = f"role is in account {role_account}, but {where} is account {account}"
            yield document.problem([*path, field], message)


def _promotion_rules(document: Document, name: str, environments: dict[str, Any]) -> Iterator[Problem]:
    path = ["environments", name, "promotesFrom"]
    source = _text(document, path)
    if source is None:
        if _text(document, ["environments", name, "minSoak"]) is not None:
            message = "a soak time needs promotesFrom: the environment the version soaks in first"
            yield document.problem(["environments", name, "minSoak"], message)
        return
    if source == name:
        yield document.problem(path, "an environment cannot promote from itself")
    elif source not in environments:
        known = ", ".join(sorted(environments))
        yield document.problem(path, f"unknown environment {source!r}; environments are: {known}")
    else:
        chain = [name, source]
        while (upstream := _promoted_from(environments, chain[-1])) in environments and upstream not in chain:
            chain.append(upstream)
        if upstream == name:
            yield document.problem(path, "promotion cycle: " + " <- ".join([*chain, name]))


def _promoted_from(environments: dict[str, Any], name: str) -> str | None:
    environment = environments.get(name)
    source = environment.get("promotesFrom") if isinstance(environment, dict) else None
    return source if isinstance(source, str) else None


def _change_window_rules(document: Document, path: Path) -> Iterator[Problem]:
    yield from _check(document, [*path, "schedule"], cron.cron_problem)
    yield from _check(document, [*path, "timezone"], expressions.timezone_problem)
    duration = get(document.data, [*path, "duration"])
    minutes = expressions.duration_minutes(duration) if isinstance(duration, str) else None
    if minutes == 0:
        yield document.problem([*path, "duration"], "must be longer than 0 minutes")
    elif minutes is not None and minutes > LONGEST_WINDOW_MINUTES:
        longest = f"at most 366 days ({LONGEST_WINDOW_MINUTES} minutes)"
        message = f"is {minutes} minutes; a change window stays open {longest}"
        yield document.problem([*path, "duration"], message)


def deployment_rules(document: Document, *, root: str) -> Iterator[Problem]:
    yield from finite_numbers(document)
    yield from printable_text(document)
    model = _text(document, ["model"])
    if model is not None and model != document.stem:
        message = f"model is {model!r} but the file is {document.stem}.yaml; they must match"
        yield document.problem(["model"], message)
    approved = get(document.data, ["approvedVersion"])
    rejected = get(document.data, ["rejectedVersions"])
    if isinstance(approved, int) and isinstance(rejected, list) and approved in rejected:
        message = f"version {approved} is also listed in rejectedVersions"
        yield document.problem(["approvedVersion"], message)
    yield from _batch_rules(document, root=root)
    yield from _threshold_rules(document, ["thresholds", "modelQuality"])
    if isinstance(get(document.data, ["training"]), dict):
        yield from _training_rules(document, root=root)


def _batch_rules(document: Document, *, root: str) -> Iterator[Problem]:
    path = ["batchInference"]
    yield from _schedule_rules(document, path)
    for field in ("input", "output", "groundTruth"):
        yield from _check(document, [*path, field], expressions.s3_prefix_problem)
    yield from _template_rules(document, [*path, "template"], allowed=("batch-inference",), root=root)
    has_ground_truth = "groundTruth" in _mapping(document, path)
    if isinstance(get(document.data, ["thresholds", "modelQuality"]), dict) and not has_ground_truth:
        message = "modelQuality needs batchInference.groundTruth: without ground truth it is never checked"
        yield document.problem(["thresholds", "modelQuality"], message, at_key=True)


def _schedule_rules(document: Document, path: Path) -> Iterator[Problem]:
    yield from _check(document, [*path, "schedule"], _recurring_schedule_problem)
    yield from _check(document, [*path, "timezone"], expressions.timezone_problem)
    pipeline = _text(document, [*path, "pipeline"])
    if pipeline and len(pipeline) > SCHEDULE_NAME_LIMIT and "schedule" in _mapping(document, path):
        message = (
            f"is {len(pipeline)} characters long; its schedule takes this name and EventBridge Scheduler allows at "
            f"most {SCHEDULE_NAME_LIMIT}"
        )
        yield document.problem([*path, "pipeline"], message)


def _recurring_schedule_problem(expression: str) -> str | None:
    if expression.startswith("at("):
        return None  # the schema says why at(...) is refused
    return cron.problem(expression)


def _template_rules(document: Document, path: Path, *, allowed: tuple[str, ...], root: str) -> Iterator[Problem]:
    template = _text(document, path)
    if template is None or template in allowed:
        return
    choices = " or ".join(allowed)
    if template in BUILTIN_TEMPLATES:
        message = f"template {template!r} does not fit here: use {choices}"
    elif "/" in template or template.endswith(".py"):
        message = _template_path_problem(template, root=root)
    else:
        message = f"unknown template {template!r}: use {choices}, or the path of a template module (.py)"
    if message:
        yield document.problem(path, message)


def _template_path_problem(template: str, *, root: str) -> str | None:
    if os.path.isabs(template):
        return "a template path must be relative to the desired-state directory"
    if not template.endswith(".py"):
        return "a template module is a .py file"
    inside = os.path.realpath(root)
    if os.path.commonpath([inside, os.path.realpath(os.path.join(root, template))]) != inside:
        return "the template must be inside the desired-state directory (a path or a link leads out of it)"
    if not os.path.isfile(os.path.join(root, template)):
        return f"template {template!r} not found (paths are relative to the desired-state directory)"
    escaping = links_leading_out(os.path.dirname(os.path.join(root, template)), inside=inside)
    if escaping:
        return (
            f"the template's directory holds {escaping[0]!r}, a link that leads out of the desired-state directory:"
            " the template could import it"
        )
    return None


def links_leading_out(directory: str, *, inside: str) -> list[str]:
    """Paths (relative to `directory`) of the links below it that lead out of `inside`. The render puts a team
    template's directory on the import path, so every module there is as much the template as its own file."""
    inside = os.path.realpath(inside)
    found = []
    for current, dirs, files in os.walk(directory):
        for name in sorted(dirs) + sorted(files):
            path = os.path.join(current, name)
            if os.path.islink(path) and os.path.commonpath([inside, os.path.realpath(path)]) != inside:
                found.append(os.path.relpath(path, directory))
    return sorted(found)


def _threshold_rules(document: Document, path: Path) -> Iterator[Problem]:
    metric = _text(document, [*path, "metric"])
    threshold = _mapping(document, path)
    if metric in ERROR_METRICS and "min" in threshold and "max" not in threshold:
        yield document.problem([*path, "min"], f"{metric} is an error metric (lower is better): use max, not min")
    if metric in SCORES and "max" in threshold and "min" not in threshold:
        yield document.problem([*path, "max"], f"{metric} is a score (higher is better): use min, not max")
    for bound in ("max", "min"):
        value = _number(document, [*path, bound])
        if value is None or not math.isfinite(value):
            continue
        if metric in RATIOS and not 0 <= value <= 1:
            yield document.problem([*path, bound], f"{metric} lies within [0, 1]; {value} is outside")
        elif metric in ERROR_METRICS and value < 0:
            yield document.problem([*path, bound], f"{metric} is never negative; {value} can never be reached")
        elif metric == "r2" and value > 1:
            yield document.problem([*path, bound], f"r2 is at most 1; {value} can never be reached")


def _training_rules(document: Document, *, root: str) -> Iterator[Problem]:
    path = ["training"]
    yield from _schedule_rules(document, path)
    yield from _check(document, [*path, "input"], expressions.s3_prefix_problem)
    yield from _template_rules(document, [*path, "template"], allowed=("training", "training-hpo"), root=root)
    yield from _threshold_rules(document, [*path, "registerWhen"])
    yield from _tuning_rules(document)


def _tuning_rules(document: Document) -> Iterator[Problem]:
    training = _mapping(document, ["training"])
    template = training.get("template")
    if template == "training-hpo" and "tuning" not in training:
        yield document.problem(["training"], "template training-hpo needs tuning", at_key=True)
    if template == "training" and "tuning" in training:
        yield document.problem(["training", "tuning"], "tuning needs template training-hpo", at_key=True)
    if training.get("retuneOnModelQualityFailure") is True:
        path = ["training", "retuneOnModelQualityFailure"]
        if template == "training":
            yield document.problem(path, "needs template training-hpo")
        elif not isinstance(get(document.data, ["thresholds", "modelQuality"]), dict):
            yield document.problem(path, "needs thresholds.modelQuality: without it model quality never fails")
    tuning = ["training", "tuning"]
    max_jobs, parallel = _number(document, [*tuning, "maxJobs"]), _number(document, [*tuning, "maxParallelJobs"])
    if max_jobs is not None and parallel is not None and parallel > max_jobs:
        yield document.problem([*tuning, "maxParallelJobs"], f"must be at most maxJobs ({max_jobs})")
    for name in _mapping(document, [*tuning, "ranges"]):
        path = [*tuning, "ranges", name]
        low, high = _number(document, [*path, "min"]), _number(document, [*path, "max"])
        if low is not None and high is not None and low >= high:
            yield document.problem([*path, "max"], f"must be greater than min ({low})")
