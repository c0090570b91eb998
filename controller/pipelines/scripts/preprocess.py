"""Split the training data for the built-in XGBoost algorithm: the `Preprocess` step of training.

Runs as a SageMaker processing job on the scikit-learn image, and locally the same way:

    python3 preprocess.py --input DIR --output DIR [--target COLUMN]

Reads every CSV file under --input (header row; numeric columns; the target is the first column unless
--target names another), drops rows without a target, shuffles with a fixed seed and writes, under --output:
`train/train.csv` and `validation/validation.csv` (target first, no header, as the algorithm expects),
`test_features/test.csv` and `test_labels/test.csv` (the held-out rows, for evaluation through batch
transform), and `baseline/baseline.csv` (training features, no header: the data quality baseline, in the
same layout as batch inference input).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd


class PreprocessError(Exception):
    pass


def load(input_dir: Path) -> pd.DataFrame:
    files = sorted(path for path in input_dir.rglob("*.csv") if path.is_file())
    if not files:
        raise PreprocessError(f"no CSV files under {input_dir}")
    frames = [pd.read_csv(path) for path in files]
    columns = list(frames[0].columns)
    for path, frame in zip(files, frames):  # noqa: B905 - the image's Python predates zip(strict=)
        if list(frame.columns) != columns:
            raise PreprocessError(f"{path}: columns {list(frame.columns)} differ from {files[0]}: {columns}")
    return pd.concat(frames, ignore_index=True)


def target_first(data: pd.DataFrame, target: str | None) -> pd.DataFrame:
    target = target or data.columns[0]
    if target not in data.columns:
        raise PreprocessError(f"no target column {target!r}; columns are {list(data.columns)}")
    features = [column for column in data.columns if column != target]
    if not features:
        raise PreprocessError("the data has a target but no feature columns")
    for column in [*features, target]:
        if not pd.api.types.is_numeric_dtype(data[column]):
            raise PreprocessError(f"column {column!r} is not numeric; the built-in algorithm needs numbers")
    return data[[target, *features]].dropna(subset=[target])


def split(
    data: pd.DataFrame, *, validation_fraction: float, test_fraction: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rows = len(data)
    test_rows = max(1, round(rows * test_fraction))
    validation_rows = max(1, round(rows * validation_fraction))
    if rows - test_rows - validation_rows < 1:
        raise PreprocessError(f"{rows} labelled rows are too few to split into train, validation and test")
    shuffled = data.iloc[np.random.RandomState(seed).permutation(rows)]
    test = shuffled.iloc[:test_rows]
    validation = shuffled.iloc[test_rows : test_rows + validation_rows]
    train = shuffled.iloc[test_rows + validation_rows :]
    return train, validation, test


def write(output_dir: Path, train: pd.DataFrame, validation: pd.DataFrame, test: pd.DataFrame) -> None:
    files = {
        "train/train.csv": train,
        "validation/validation.csv": validation,
        "test_features/test.csv": test.iloc[:, 1:],
        "test_labels/test.csv": test.iloc[:, :1],
        "baseline/baseline.csv": train.iloc[:, 1:],
    }
    for name, frame in files.items():
        path = output_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, header=False, index=False)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Split CSV training data for the built-in XGBoost algorithm.")
    parser.add_argument("--input", type=Path, required=True, help="directory of CSV files with a header row")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--target", help="the label column (default: the first column)")
    parser.add_argument("--validation-fraction", type=float, default=0.15)
    parser.add_argument("--test-fraction", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        data = target_first(load(args.input), args.target)
        train, validation, test = split(
            data, validation_fraction=args.validation_fraction, test_fraction=args.test_fraction, seed=args.seed
        )
    except PreprocessError as error:
        print(f"preprocess: {error}", file=sys.stderr)
        return 2
    write(args.output, train, validation, test)
    print(f"preprocess: {len(train)} train, {len(validation)} validation, {len(test)} test rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
