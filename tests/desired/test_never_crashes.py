"""Whatever the bytes, the loader answers with problems, never an exception (property-based).

Three sources of input: arbitrary text and bytes, arbitrary YAML documents (random values under a mix of
real and random field names), and the valid example with one value replaced or removed.
"""

from __future__ import annotations

import copy
import re
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controller.desired import Problem, load

EXAMPLES = Path(__file__).resolve().parents[2] / "desired_state"
ENVIRONMENTS = (EXAMPLES / "environments.yaml").read_bytes()
DEPLOYMENT = yaml.safe_load((EXAMPLES / "dev" / "churn.yaml").read_text())
LINE = re.compile(r"[^\n]+:\d+:\d+: [^\n]+: [^\n]+")
FIELDS = sorted({
    "model", "modelPackageGroup", "approvedVersion", "rejectedVersions", "batchInference", "thresholds",
    "training", "notifications", "pipeline", "template", "schedule", "timezone", "input", "output",
    "groundTruth", "registerWhen", "tuning", "ranges", "metric", "max", "min", "type", "values",
    "registry", "environments", "account", "role", "promotesFrom", "changeWindows", "duration", "<<",
})
SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
    | st.sampled_from(["cron(0 4 * * ? *)", "rate(1 day)", "at(2030-01-01T00:00:00)", "s3://b/p/", "UTC",
                       "training-hpo", "mse", "auc", "categorical", "dev", "prod", "111111111111", "../x.py"])
)
KEYS = st.sampled_from(FIELDS) | st.text(max_size=12)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
                      max_leaves=25)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def validate(*, environments: bytes = ENVIRONMENTS, deployment: bytes) -> tuple[Problem, ...]:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory) / "desired_state"
        (root / "dev").mkdir(parents=True)
        (root / "environments.yaml").write_bytes(environments)
        (root / "dev" / "churn.yaml").write_bytes(deployment)
        result = load(root)
    assert (result.state is None) == bool(result.problems)
    assert list(result.problems) == sorted(result.problems)
    for problem in result.problems:
        assert LINE.fullmatch(str(problem)), str(problem)
    return result.problems


@SETTINGS
@given(st.text())
def test_arbitrary_text(text):
    validate(deployment=text.encode("utf-8", errors="surrogatepass"))
    validate(environments=text.encode("utf-8", errors="surrogatepass"), deployment=b"model: churn\n")


@SETTINGS
@given(st.binary())
def test_arbitrary_bytes(data):
    validate(deployment=data)


@SETTINGS
@given(VALUES)
def test_arbitrary_yaml_documents(value):
    document = yaml.safe_dump(value, allow_unicode=True).encode("utf-8", errors="surrogatepass")
    assert validate(deployment=document)
    validate(environments=document, deployment=b"model: churn\n")


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


ENVIRONMENTS_DATA = yaml.safe_load(ENVIRONMENTS)
PATHS = [("deployment", path) for path in _paths(DEPLOYMENT) if path]
PATHS += [("environments", path) for path in _paths(ENVIRONMENTS_DATA) if path]


@SETTINGS
@given(st.sampled_from(PATHS), VALUES | st.just("<remove>"))
def test_the_examples_with_one_value_changed(where, replacement):
    kind, path = where
    mutated = copy.deepcopy(DEPLOYMENT if kind == "deployment" else ENVIRONMENTS_DATA)
    parent = mutated
    for part in path[:-1]:
        parent = parent[part]
    if replacement == "<remove>":
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    text = yaml.safe_dump(mutated, allow_unicode=True).encode("utf-8", errors="surrogatepass")
    if kind == "deployment":
        validate(deployment=text)
    else:
        validate(environments=text, deployment=yaml.safe_dump(DEPLOYMENT).encode())
