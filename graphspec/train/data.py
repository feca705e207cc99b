"""Training data: arrays keyed by input and head names, read from `.npz` files or folders of
`.npy` files (memory-mapped), and checked against the spec's Plan before the first step.

INTERFACE STUB (issue 12): the owner of this module replaces the bodies; the names and
signatures below are what `graphspec.train.run` calls.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from graphspec.analyse.plan import Plan
from graphspec.diagnostics import Diagnostic

Role = Literal["training", "validation", "evaluation"]


@dataclass(frozen=True)
class TrainingData:
    """Named arrays (numpy, memory-mapped for a `.npy` folder), and where they came from."""

    arrays: Mapping[str, Any]
    origin: str


def read_data(source: str | os.PathLike[str] | Mapping[str, Any]) -> TrainingData:
    """A `.npz` file, a folder of `.npy` files, or arrays already in memory."""
    import numpy as np

    if isinstance(source, Mapping):
        return TrainingData(dict(source), "<arrays>")
    path = Path(source)
    if path.is_dir():
        arrays = {p.stem: np.load(p, mmap_mode="r") for p in sorted(path.glob("*.npy"))}
        return TrainingData(arrays, str(path))
    with np.load(path) as archive:
        return TrainingData({key: archive[key] for key in archive.files}, str(path))


def check_data(plan: Plan, data: TrainingData, role: Role) -> tuple[Diagnostic, ...]:
    """Every problem of `data` against the spec's inputs and heads (GS8xx), all at once."""
    return ()


def split_xy(plan: Plan, data: TrainingData) -> tuple[dict[str, Any], dict[str, Any]]:
    """(inputs by live input name, targets by head name), as `model.fit(x, y)` takes them."""
    inputs = {name: data.arrays[name] for name in plan.top.live_inputs if name in data.arrays}
    targets = {name: data.arrays[name] for name in plan.spec.outputs if name in data.arrays}
    return inputs, targets
