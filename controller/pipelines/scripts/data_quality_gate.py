"""Count the violations Model Monitor found in new data: the `DataQualityGate` step of batch inference.

The data quality check step runs with fail_on_violation off, because a deployment allows up to
`maxViolations`; this script turns its report into a property file the pipeline's condition reads:

    python3 data_quality_gate.py --check-output DIR --output FILE [--max-violations N]

writes `{"violations": N, "summary": "2 violations: _c3 data_type_check; ...", "details": [...]}`, plus
`maxViolations` and `passed` when given the limit (the shape is `verdicts.py`'s). Exits 1 when the check left
no `constraint_violations.json`: a missing report must not pass as clean data.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import verdicts

REPORT = "constraint_violations.json"
SUMMARY_LIMIT = 5


class GateError(Exception):
    pass


def read_violations(check_output: Path) -> list[dict]:
    reports = sorted(check_output.rglob(REPORT))
    if not reports:
        raise GateError(f"no {REPORT} under {check_output}: the data quality check wrote no report")
    try:
        document = json.loads(reports[0].read_text())
    except ValueError as error:
        raise GateError(f"{reports[0]} is not JSON: {error}") from None
    violations = document.get("violations", [])
    if not isinstance(violations, list):
        raise GateError(f"{reports[0]}: 'violations' is not a list")
    return violations


def verdict(violations: list[dict], max_violations: int | None = None) -> dict:
    details = [
        f"{item.get('feature_name', '?')} {item.get('constraint_check_type', '?')}".strip() for item in violations
    ]
    if not details:
        summary = "no violations"
    else:
        shown = "; ".join(details[:SUMMARY_LIMIT])
        more = f"; and {len(details) - SUMMARY_LIMIT} more" if len(details) > SUMMARY_LIMIT else ""
        summary = f"{len(details)} violation{'s' if len(details) != 1 else ''}: {shown}{more}"
    return verdicts.data_quality_document(details, summary=summary, max_violations=max_violations)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Count data quality violations for the pipeline's condition.")
    parser.add_argument("--check-output", type=Path, required=True, help="the data quality check's output")
    parser.add_argument("--output", type=Path, required=True, help="where to write the verdict JSON")
    parser.add_argument("--max-violations", type=int, help="the deployment's limit, recorded in the verdict")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        result = verdict(read_violations(args.check_output), args.max_violations)
    except GateError as error:
        print(f"data quality gate: {error}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"data quality gate: {result['summary']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
