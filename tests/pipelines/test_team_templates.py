"""A team's own template module: the example of docs/pipeline-templates.md renders; a bad one fails with one
line, offline."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from docs_text import code_blocks, section
from state_factory import churn, example_state, flatten, parameters

from controller.pipelines import RenderError, pipelines_of, render_many, specs_for, uncached


def readme_template() -> str:
    (code,) = code_blocks(section("docs/pipeline-templates.md", "## Your own template"), "python")
    return code


def with_template(environment: str, template: str, *, model: str = "churn"):
    deployment = churn(environment, model=model, source=f"{environment}/{model}.yaml")
    batch = dataclasses.replace(deployment.batch_inference, template=template, pipeline=f"{model}-scoring")
    return dataclasses.replace(deployment, batch_inference=batch)


def test_the_readme_template_renders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMGITOPS_CACHE_DIR", str(tmp_path / "cache"))
    templates = tmp_path / "desired_state" / "templates"
    templates.mkdir(parents=True)
    (templates / "scoring.py").write_text(readme_template())
    (templates / "publish.py").write_text("print('published')\n")
    (templates / "naming.py").write_text("def step_name():\n    return 'Named'\n")
    (templates / "sibling.py").write_text(SIBLING)
    deployment = with_template("prod", "templates/scoring.py")
    sibling = with_template("prod", "templates/sibling.py", model="ltv")
    state = example_state(deployment, sibling, root=str(tmp_path / "desired_state"))

    rendered = pipelines_of(state)
    (pipeline,) = rendered[deployment.source]

    document = json.loads(pipeline.definition)
    assert flatten(document) == [
        ("", "CreateModel", "Model"),
        ("", "Score", "Transform"),
        ("", "Publish", "Processing"),
    ]
    assert parameters(document) == {
        "InputS3Uri": ("String", "s3://acme-prod/churn/inference/"),
        "InstanceCount": ("Integer", 2),
        "InstanceType": ("String", "ml.m5.xlarge"),
        "ModelPackageArn": ("String", "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/7"),
        "OutputS3Uri": ("String", "s3://acme-prod/churn/predictions/"),
    }
    (artifact,) = pipeline.artifacts
    assert artifact.local_path == str(templates / "publish.py")
    assert artifact.s3_uri == f"s3://acme-prod-mlops/smgitops/code/{artifact.sha256}/publish.py"
    assert pipeline.template == "templates/scoring.py"
    assert uncached(specs_for(state, sibling)) == []  # the same worker run rendered it
    (other,) = rendered[sibling.source]
    assert flatten(json.loads(other.definition)) == [("", "Named", "Fail")]


SIBLING = """
from naming import step_name
from sagemaker.mlops.workflow.fail_step import FailStep


def build(context):
    return [FailStep(step_name(), error_message="a template may import modules next to it")]
"""


BAD_TEMPLATES = {
    "network": (
        "import socket\n\ndef build(context):\n    socket.create_connection(('example.com', 443))\n",
        "OfflineViolation: rendering is offline, but something tried to look up example.com",
    ),
    "aws": (
        "def build(context):\n    context.session.sagemaker_client.list_pipelines()\n",
        "NoCredentialsError: Unable to locate credentials",
    ),
    "unknown": (
        "def build(context):\n    context.parameter('TrainingInputS3Uri')\n    return []\n",
        "LookupError: the deployment supplies no parameter 'TrainingInputS3Uri' (it supplies: GroundTruthS3Uri, "
        "InputS3Uri, InstanceCount, InstanceType, MaxDataQualityViolations, ModelPackageArn, ModelQualityMaxMse, "
        "OutputS3Uri)",
    ),
    "nobuild": ("STEPS = []\n", "AttributeError: nobuild.py defines no build(context) function"),
    "broken": ("def build(context):\n    return [\n", "SyntaxError: '[' was never closed (broken.py, line 2)"),
}


def test_bad_templates_fail_with_one_line_each(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    deployments = []
    for name, (source, _) in BAD_TEMPLATES.items():
        (tmp_path / "templates" / f"{name}.py").write_text(source)
        deployments.append(with_template("prod", f"templates/{name}.py", model=name))
    state = example_state(*deployments, root=str(tmp_path))
    specs = [spec for deployment in deployments for spec in specs_for(state, deployment)]

    with pytest.raises(RenderError) as raised:
        render_many(specs, cache_dir=tmp_path / "cache")

    assert str(raised.value).splitlines() == [
        f"prod/{name}.yaml: templates/{name}.py: {message}" for name, (_, message) in BAD_TEMPLATES.items()
    ]
    assert not list((tmp_path / "cache").rglob("*.json"))
