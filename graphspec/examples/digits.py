"""scikit-learn's 8×8 handwritten digits as `graphspec fit` data: ``train.npz`` and
``test.npz`` keyed by the digits specs' input (``image``, float32 (8, 8, 1) in [0, 1]) and head
(``digit``, the class id 0–9, int64).

``python -m graphspec.examples.digits OUT_DIR`` writes both files. The held-out split is fixed
(`TEST_FRACTION` of each class, drawn with `SPLIT_SEED`, stratified), so every machine trains
and tests on the same samples. The data ships with scikit-learn: nothing is downloaded.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graphspec.atomic import replacing

TEST_FRACTION = 0.25
SPLIT_SEED = 0
INPUT = "image"
HEAD = "digit"


def digits_split() -> tuple[dict[str, Any], dict[str, Any]]:
    """(training arrays, held-out test arrays): 1,347 and 450 of the 1,797 digits."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[..., np.newaxis]
    labels = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=TEST_FRACTION, random_state=SPLIT_SEED, stratify=labels
    )
    return {INPUT: x_train, HEAD: y_train}, {INPUT: x_test, HEAD: y_test}


def write_digits(out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``train.npz`` and ``test.npz`` into `out_dir` (made if missing); their paths."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "train.npz", folder / "test.npz"
    import numpy as np

    for path, arrays in zip(paths, digits_split(), strict=True):
        with replacing(path, suffix=".npz") as temporary:
            np.savez(temporary, **arrays)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m graphspec.examples.digits",
        description="Write scikit-learn's 8x8 digits as train.npz and test.npz"
        " (a fixed held-out split).",
    )
    parser.add_argument("out_dir", help="folder to write train.npz and test.npz into")
    args = parser.parse_args(argv)
    try:
        train, test = write_digits(args.out_dir)
    except ImportError:
        print("the digits need scikit-learn: pip install 'graphspec[examples]'", file=sys.stderr)
        return 2
    print(f"wrote {train} and {test}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
