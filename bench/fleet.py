"""A desired state of N models in the three example environments, written from the files in `desired_state/`.

`plan_vs_terraform.py` calls `write_fleet`. Every model gets batch inference with a schedule and an SNS topic
with email subscribers in dev, staging and prod (the example `ltv` files are the pattern); every fifth model
also trains in dev with HPO, on a schedule and on new data, and re-tunes on a model quality failure seen in
any environment (the example `churn` files are the pattern), which adds cross-account EventBridge rules.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import yaml

EXAMPLE = Path(__file__).resolve().parents[1] / "desired_state"
ENVIRONMENTS = ("dev", "staging", "prod")
BUCKETS = {"dev": "acme-dev", "staging": "acme-staging", "prod": "acme-prod"}
APPROVED = {"dev": 3, "staging": 2, "prod": 2}
TRAINS_EVERY = 5


def model_name(index: int) -> str:
    return f"m{index:03d}"


def trains(index: int) -> bool:
    return index % TRAINS_EVERY == 0


def write_fleet(root: Path, *, models: int) -> Path:
    """Write environments.yaml and one file per (environment, model) under `root`; return `root`."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLE / "environments.yaml", root / "environments.yaml")
    serving = _example("prod/ltv.yaml")
    training = _example("dev/churn.yaml")
    checked = _example("staging/churn.yaml")
    for environment in ENVIRONMENTS:
        (root / environment).mkdir(exist_ok=True)
        for index in range(models):
            if not trains(index):
                document = _serving(serving, environment, index)
            elif environment == "dev":
                document = _training(training, index)
            else:
                document = _serving(checked, environment, index)
            text = yaml.safe_dump(document, sort_keys=False)
            (root / environment / f"{model_name(index)}.yaml").write_text(text)
    return root


def _example(relative: str) -> dict[str, Any]:
    return yaml.safe_load((EXAMPLE / relative).read_text())


def _serving(pattern: dict[str, Any], environment: str, index: int) -> dict[str, Any]:
    name = model_name(index)
    bucket = BUCKETS[environment]
    document = copy.deepcopy(pattern)
    document.pop("rejectedVersions", None)
    document.update(model=name, modelPackageGroup=name, approvedVersion=APPROVED[environment])
    batch = document["batchInference"]
    batch.update(
        pipeline=f"{name}-batch-inference",
        schedule=f"cron({index % 60} {index % 24} * * ? *)",
        input=f"s3://{bucket}/{name}/inference/",
        output=f"s3://{bucket}/{name}/predictions/",
    )
    if "groundTruth" in batch:
        batch["groundTruth"] = f"s3://{bucket}/{name}/ground-truth/"
    document["notifications"] = {
        "topic": f"{name}-alerts",
        "emails": [f"{name}-team@example.com"] + (["ml-oncall@example.com"] if environment == "prod" else []),
    }
    return document


def _training(pattern: dict[str, Any], index: int) -> dict[str, Any]:
    name = model_name(index)
    document = _serving(pattern, "dev", index)
    document["training"].update(pipeline=f"{name}-training", input=f"s3://acme-dev/{name}/training/")
    return document
