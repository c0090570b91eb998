"""Compare batch predictions with ground truth and fail when the metric breaks its threshold.

The `ModelQualityCheck` step of the batch-inference pipeline (event rules match that step name to start
re-tuning). Runs on the SageMaker scikit-learn image, and locally the same way:

    python3 model_quality.py --predictions DIR --ground-truth DIR --metric mse --max 10 --report FILE

The report (its `threshold` part holds metric, value, bounds and verdict, as `verdicts.py` says) is written
either way. Predictions and ground truth are paired as in `evaluate.py`: `<name>.out` with `<name>`, line by
line. Exit status 0 when the metric is within its bounds; 1 with the reason on stderr (and in --exit-message, which the
pipeline points at the file SageMaker reports as the job's ExitMessage) when it is not; 2 when the inputs
cannot be evaluated.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import evaluate
import verdicts

THRESHOLD_BROKEN = 1
UNUSABLE_INPUT = 2


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Check model quality of batch predictions against ground truth.")
    parser.add_argument("--predictions", type=Path, required=True, help="directory of <name>.out files")
    parser.add_argument("--ground-truth", type=Path, required=True, help="directory of <name> label files")
    parser.add_argument("--metric", choices=sorted(evaluate.METRIC_PROBLEM_TYPES), required=True)
    parser.add_argument("--max", type=float, help="fail when the metric is above this")
    parser.add_argument("--min", type=float, help="fail when the metric is below this")
    parser.add_argument("--report", type=Path, required=True, help="where to write the report JSON")
    parser.add_argument("--exit-message", type=Path, help="also write the failure reason here")
    args = parser.parse_args(argv)
    if args.max is None and args.min is None:
        parser.error("give --max, --min or both")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    problem_type = evaluate.METRIC_PROBLEM_TYPES[args.metric]
    try:
        predictions, labels, unmatched = evaluate.paired_values(args.predictions, args.ground_truth)
        if not len(predictions):
            raise evaluate.EvaluationError(
                f"no ground truth to compare with: none of the {len(unmatched)} prediction file(s) under "
                f"{args.predictions} has a file of the same name under {args.ground_truth}"
            )
        report = evaluate.build_report(problem_type, predictions, labels)
        value = _metric(report, problem_type, args.metric)
    except evaluate.EvaluationError as error:
        return _fail(f"model quality: {error}", args.exit_message, UNUSABLE_INPUT)
    breaches = _breaches(value, maximum=args.max, minimum=args.min)
    report[verdicts.THRESHOLD] = verdicts.threshold_section(args.metric, value, maximum=args.max, minimum=args.min)
    evaluate.write_json(args.report, report)
    if breaches:
        reason = f"model quality: {args.metric} {value:.6g} is {' and '.join(breaches)} ({len(predictions)} records)"
        return _fail(reason, args.exit_message, THRESHOLD_BROKEN)
    print(f"model quality: {args.metric} {value:.6g} is within its threshold ({len(predictions)} records)")
    return 0


def _metric(report: dict, problem_type: str, metric: str) -> float:
    section = report[evaluate.SECTIONS[problem_type]]
    if metric not in section:
        raise evaluate.EvaluationError(f"{metric} is undefined for this data (the ground truth has one class)")
    return section[metric]["value"]


def _breaches(value: float, *, maximum: float | None, minimum: float | None) -> list[str]:
    breaches = []
    if maximum is not None and value > maximum:
        breaches.append(f"above the maximum {maximum:g}")
    if minimum is not None and value < minimum:
        breaches.append(f"below the minimum {minimum:g}")
    return breaches


def _fail(reason: str, exit_message: Path | None, status: int) -> int:
    print(reason, file=sys.stderr)
    if exit_message is not None:
        exit_message.parent.mkdir(parents=True, exist_ok=True)
        exit_message.write_text(reason + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
