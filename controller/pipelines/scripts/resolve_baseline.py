"""Find the data quality baseline registered with a model package: the `ResolveBaseline` step.

Batch inference checks new data against the baseline of the version it scores with. That version arrives as
a pipeline parameter, so the baseline is looked up at run time, not rendered in:

    python3 resolve_baseline.py --model-package-arn ARN --output FILE

writes `{"statistics": <S3 URI>, "constraints": <S3 URI>, ...}` from the package's
`DriftCheckBaselines.ModelDataQuality` (what the training pipeline registers), or from
`ModelMetrics.ModelDataQuality` when a package was registered without drift-check baselines. Exits 1 with
the reason when the package cannot be read or has no data quality baseline. Uses boto3, which every
SageMaker image has; it honours AWS_ENDPOINT_URL, so it runs against an emulator too.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import boto3

SOURCES = ("DriftCheckBaselines", "ModelMetrics")


class BaselineError(Exception):
    pass


def baseline_of(description: dict) -> dict:
    """The statistics and constraints URIs of a DescribeModelPackage response."""
    for source in SOURCES:
        quality = description.get(source, {}).get("ModelDataQuality", {})
        statistics = quality.get("Statistics", {}).get("S3Uri")
        constraints = quality.get("Constraints", {}).get("S3Uri")
        if statistics and constraints:
            return {"statistics": statistics, "constraints": constraints, "source": f"{source}.ModelDataQuality"}
    raise BaselineError(
        f"{description.get('ModelPackageArn', 'the model package')} has no data quality baseline: register "
        "it with DriftCheckBaselines.ModelDataQuality (statistics and constraints)"
    )


def describe(model_package_arn: str) -> dict:
    parts = model_package_arn.split(":")
    if len(parts) < 6 or parts[2] != "sagemaker":
        raise BaselineError(f"{model_package_arn!r} is not a SageMaker model package ARN")
    client = boto3.client("sagemaker", region_name=parts[3])
    try:
        return client.describe_model_package(ModelPackageName=model_package_arn)
    except Exception as error:  # botocore's errors carry the service's own message
        raise BaselineError(f"cannot read model package {model_package_arn}: {error}") from None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Write the data quality baseline of a model package.")
    parser.add_argument("--model-package-arn", required=True)
    parser.add_argument("--output", type=Path, required=True, help="where to write the baseline JSON")
    parser.add_argument("--exit-message", type=Path, help="also write the failure reason here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        baseline = baseline_of(describe(args.model_package_arn))
    except BaselineError as error:
        reason = f"resolve baseline: {error}"
        print(reason, file=sys.stderr)
        if args.exit_message is not None:
            args.exit_message.parent.mkdir(parents=True, exist_ok=True)
            args.exit_message.write_text(reason + "\n")
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"model_package_arn": args.model_package_arn, **baseline}, indent=2) + "\n")
    print(f"resolve baseline: {baseline['statistics']} and {baseline['constraints']} ({baseline['source']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
