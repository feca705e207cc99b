"""Training data: arrays keyed by input and head names, read from `.npz` files or folders of
`.npy` files (memory-mapped), arrays in memory, or a data function of the user's own (a
`tf.data.Dataset` or `keras.utils.PyDataset`), and checked against the spec's Plan before the
first step (GS801-GS814, docs/data.md).

`read_data` never raises for bad data: what it cannot read travels in `TrainingData.problems`,
and `check_data` reports it beside every other problem, all at once. Neither imports Keras or
TensorFlow, unless a data function's dataset is inspected.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from graphspec.analyse.plan import Plan
from graphspec.diagnostics import Diagnostic, codes
from graphspec.train.data_checks import Column, check_columns, columns_of
from graphspec.train.data_function import (
    DataFunction,
    DataFunctions,
    allowed_data_functions,
    is_dataset,
    load_function,
)
from graphspec.train.data_read import ReadProblem, read_path

Role = Literal["training", "validation", "evaluation"]

__all__ = [
    "DataFunction",
    "DataFunctions",
    "Role",
    "TrainingData",
    "allowed_data_functions",
    "check_data",
    "fit_arguments",
    "read_data",
    "split_xy",
]


@dataclass(frozen=True)
class TrainingData:
    """Named arrays (numpy, memory-mapped for a `.npy` folder or an uncompressed `.npz`), or a
    dataset from a data function, and where they came from."""

    arrays: Mapping[str, Any]
    """Arrays by key (input or head name); empty for a dataset."""
    origin: str
    """The file, folder or function, for messages: ``train.npz``, ``mypkg.data.load_train()``."""
    sources: Mapping[str, str] = field(default_factory=dict)
    """Each array's place, for messages: ``train.npz['image']``, ``train/image.npy``."""
    problems: tuple[ReadProblem, ...] = ()
    """What could not be read (GS801, GS802, GS813, GS814); `check_data` reports them."""
    dataset: Any = None
    """A `tf.data.Dataset` or `keras.utils.PyDataset` yielding ``(x, y)`` dicts: `model.fit`
    takes it as ``x`` (`fit_arguments`); None for arrays."""
    elements: tuple[Column, ...] = ()
    """A dataset's arrays as its element spec (tf.data) or first batch (PyDataset) shows them."""

    @property
    def is_dataset(self) -> bool:
        return self.dataset is not None

    def columns(self) -> list[Column]:
        if self.is_dataset:
            return list(self.elements)
        return columns_of(self.arrays, self.sources, self.origin)


DataSource = str | os.PathLike[str] | Mapping[str, Any] | DataFunction | Callable[[], Any] | Any
"""A path, arrays by name, an allowed data function (or a name of one), a callable, a
dataset."""


def read_data(source: DataSource, functions: DataFunctions | None = None) -> TrainingData:
    """A `.npz` file, a folder of `.npy` files, arrays already in memory, or a dataset: a
    `tf.data.Dataset` / `keras.utils.PyDataset` given directly, or returned by a data function
    (a `DataFunction`, a callable, or a name ``functions`` allows: ``load_train`` or
    ``mypkg.data.load_train``; without ``functions``, a name that is no file or folder is
    looked up among the ``data-functions`` of the nearest pyproject.toml)."""
    if isinstance(source, Mapping):
        return _in_memory(source, "<arrays>")
    if isinstance(source, str) and (functions is not None or not Path(source).exists()):
        allowed = (functions if functions is not None else _project_functions()).get(source)
        if allowed is not None:
            source = allowed
    if isinstance(source, DataFunction) or (callable(source) and not is_dataset(source)):
        return _from_function(source)
    if is_dataset(source):
        return _from_dataset(source, type(source).__name__)
    if not isinstance(source, str | os.PathLike):
        kind = type(source).__name__
        problem = ReadProblem(codes.DATA_UNREADABLE, f"cannot read data from a {kind}")
        return TrainingData({}, repr(source)[:60], problems=(problem,))
    path = Path(source)
    read = read_path(path)
    return TrainingData(read.arrays, str(path), read.sources, read.problems)


def _project_functions() -> DataFunctions:
    """The data functions the nearest pyproject.toml allows; none when it cannot be read (the
    command's own reading of it reports that)."""
    from graphspec.catalogue.custom import CustomLayerError

    try:
        return allowed_data_functions()
    except CustomLayerError:
        return DataFunctions()


def _in_memory(arrays: Mapping[str, Any], origin: str) -> TrainingData:
    import numpy as np

    values = {str(key): np.asarray(value) for key, value in arrays.items()}
    sources = {key: f"{origin}['{key}']" for key in values}
    return TrainingData(values, origin, sources)


def _from_function(function: DataFunction | Callable[[], Any]) -> TrainingData:
    loaded = load_function(function)
    if loaded.problem is not None:
        return TrainingData({}, loaded.origin, problems=(loaded.problem,))
    if isinstance(loaded.value, Mapping):
        return _in_memory(loaded.value, loaded.origin)
    return _from_dataset(loaded.value, loaded.origin)


def _from_dataset(dataset: Any, origin: str) -> TrainingData:
    from graphspec.train.data_function import describe_dataset

    elements, problems = describe_dataset(dataset, origin)
    return TrainingData({}, origin, problems=problems, dataset=dataset, elements=elements)


def check_data(plan: Plan, data: TrainingData, role: Role) -> tuple[Diagnostic, ...]:
    """Every problem of `data` against the spec's inputs and heads (GS8xx), all at once."""
    return check_columns(plan, data.columns(), data.problems, role, data.origin)


def split_xy(plan: Plan, data: TrainingData) -> tuple[dict[str, Any], dict[str, Any]]:
    """(inputs by live input name, targets by head name), as `model.fit(x, y)` takes them; a
    dataset has no arrays to split (pass `TrainingData.dataset`, see `fit_arguments`)."""
    if data.is_dataset:
        raise TypeError(f"{data.origin} is a dataset: pass data.dataset to model.fit as x")
    inputs = {name: data.arrays[name] for name in plan.top.live_inputs if name in data.arrays}
    targets = {name: data.arrays[name] for name in plan.spec.outputs if name in data.arrays}
    return inputs, targets


def fit_arguments(plan: Plan, data: TrainingData) -> dict[str, Any]:
    """``x`` and ``y`` for `model.fit` / `model.evaluate` / ``validation_data``: the arrays
    split by name, or the dataset as ``x`` alone."""
    if data.is_dataset:
        return {"x": data.dataset}
    inputs, targets = split_xy(plan, data)
    return {"x": inputs, "y": targets}
