"""A tiny classifier spec and data for the training tests: trains in well under a second."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

TINY = """\
graphspec: 1.1
name: tiny
inputs:
  x: {shape: [4]}
nodes:
  hidden: {layer: Dense, from: x, units: 8, activation: relu}
  probs: {layer: Dense, from: hidden, units: 3, activation: softmax}
outputs:
  digit: {from: probs, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
compile:
  optimizer: {name: adam, learning_rate: 0.01}
training:
  epochs: 2
  batch_size: 8
  seed: 1
"""

ROWS = 40


def tiny_data(rows: int = ROWS, seed: int = 0) -> dict[str, Any]:
    """Inputs that decide the class (the first feature's sign and size), so a model learns."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 4)).astype("float32")
    digit = np.digitize(x[:, 0], [-0.4, 0.4]).astype("int64")
    return {"x": x, "digit": digit}


def write_tiny(folder: Path, text: str = TINY, rows: int = ROWS) -> tuple[Path, Path, Path]:
    """The spec, a training .npz and a validation .npz in ``folder``."""
    spec = folder / "tiny.yaml"
    spec.write_text(text)
    train, validation = folder / "train.npz", folder / "val.npz"
    np.savez(train, **tiny_data(rows))
    np.savez(validation, **tiny_data(rows // 2, seed=1))
    return spec, train, validation
