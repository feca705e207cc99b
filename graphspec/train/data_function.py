"""Data functions: a function of the user's own that loads the data, allowed outside the spec
by import path as custom layers are (`graphspec.catalogue.custom`)::

    [tool.graphspec]
    data-functions = ["mypkg.data.load_train", "mypkg.data.load_val"]

    graphspec fit spec.yaml --data load_train --validation-data load_val
    graphspec fit spec.yaml --data-function mypkg.data.load_train --data load_train

``--data`` then names the function by its last component or its whole path. The function
takes no arguments and returns a `tf.data.Dataset` or a `keras.utils.PyDataset` of ``(x, y)``
batches, each a dict keyed by input names (x) and head names (y), or a dict of arrays. Only
calling it imports anything (its module, and whatever that imports: TensorFlow for a
tf.data pipeline); what the dataset shows before training (the element spec, or a
PyDataset's first batch) is checked like arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from graphspec.catalogue.custom import _checked_path, import_user_module
from graphspec.diagnostics import codes
from graphspec.train.data_read import ReadProblem


@dataclass(frozen=True)
class DataFunction:
    """One allowed data function: the name ``--data`` may use and its import path."""

    name: str
    path: str
    source: str = ""
    """Where it was allowed (a pyproject.toml, or ``--data-function``)."""


@dataclass(frozen=True)
class DataFunctions:
    """The allowed data functions, by the name ``--data`` uses (the path's last component)."""

    functions: Mapping[str, DataFunction] = field(default_factory=lambda: MappingProxyType({}))

    def __bool__(self) -> bool:
        return bool(self.functions)

    def get(self, name: str) -> DataFunction | None:
        """The function ``--data NAME`` means: by its name or its whole import path."""
        found = self.functions.get(name)
        if found is not None:
            return found
        return next((f for f in self.functions.values() if f.path == name), None)

    def merged(self, other: DataFunctions) -> DataFunctions:
        return DataFunctions(MappingProxyType({**self.functions, **other.functions}))

    @classmethod
    def from_paths(cls, paths: Iterable[str], source: str = "--data-function") -> DataFunctions:
        """From import paths (``mypkg.data.load_train``); a usage error
        (`graphspec.catalogue.custom.CustomLayerError`) names a path that is not one."""
        found: dict[str, DataFunction] = {}
        for path in paths:
            checked = _checked_path(path, source, "package.module.function")
            name = checked.rpartition(".")[2]
            found[name] = DataFunction(name, checked, source)
        return cls(MappingProxyType(found))


def allowed_data_functions(paths: Iterable[str] = (), project: Path | None = None) -> DataFunctions:
    """``data-functions`` of ``[tool.graphspec]`` in the nearest pyproject.toml from
    ``project`` (the working directory), then ``--data-function`` paths on top; a usage error
    (`graphspec.catalogue.custom.CustomLayerError`) names a bad path or table."""
    from graphspec.settings import project_settings

    found = project_settings(project)
    allowed = DataFunctions()
    if found is not None:
        settings, where = found
        allowed = DataFunctions.from_paths(settings.data_functions, str(where))
    return allowed.merged(DataFunctions.from_paths(paths, "--data-function"))


@dataclass(frozen=True)
class Loaded:
    """What calling a data function gave: its value, or the problem (GS813)."""

    value: Any
    origin: str
    problem: ReadProblem | None = None


def is_dataset(value: Any) -> bool:
    """A `tf.data.Dataset` (it has an element spec) or a `keras.utils.PyDataset`, known
    without importing TensorFlow or Keras."""
    if hasattr(value, "element_spec"):
        return True
    return any(kind.__name__ == "PyDataset" for kind in type(value).__mro__)


_RETURNS = "return a tf.data.Dataset or keras.utils.PyDataset of (x, y) dicts, or a dict of arrays"


def _refused(origin: str, message: str, hint: str = _RETURNS) -> Loaded:
    return Loaded(None, origin, ReadProblem(codes.DATA_FUNCTION, message, None, hint))


def load_function(function: DataFunction | Callable[[], Any]) -> Loaded:
    """Import (for a `DataFunction`) and call the function; never raises."""
    if isinstance(function, DataFunction):
        origin = f"{function.path}()"
        module, _, attribute = function.path.rpartition(".")
        try:
            loaded = getattr(import_user_module(module, function.source), attribute)
        except (ImportError, AttributeError) as error:
            return _refused(
                origin,
                f"data function {function.path} cannot be imported: {error}",
                "check the import path; the module is looked for beside pyproject.toml first",
            )
        if not callable(loaded):
            return _refused(origin, f"{function.path} is not a function")
    else:
        loaded = function
        module = getattr(function, "__module__", "?")
        origin = f"{module}.{getattr(function, '__qualname__', '?')}()"
    try:
        value = loaded()
    except Exception as error:  # the user's code: any failure is theirs to read
        return _refused(
            origin,
            f"{origin} raised {type(error).__name__}: {error}",
            "run the function alone to see the whole traceback",
        )
    if isinstance(value, Mapping) or is_dataset(value):
        return Loaded(value, origin)
    return _refused(
        origin,
        f"{origin} returned a {type(value).__name__}, not a tf.data.Dataset, a "
        "keras.utils.PyDataset or a dict of arrays",
    )


def _pair(element: Any) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    """(x, y) of an element when both are dicts (a third part, sample weights, is allowed)."""
    if isinstance(element, tuple | list) and len(element) in (2, 3):
        x, y = element[0], element[1]
        if isinstance(x, Mapping) and isinstance(y, Mapping):
            return x, y
    return None


def describe_dataset(dataset: Any, origin: str) -> tuple[tuple[Any, ...], tuple[ReadProblem, ...]]:
    """The dataset's arrays as `Column`s, from its element spec (tf.data: shapes and dtypes,
    nothing is iterated) or its first batch (PyDataset: values too, scanned like arrays)."""
    from graphspec.train.data_checks import Column

    def refused(message: str) -> tuple[tuple[Any, ...], tuple[ReadProblem, ...]]:
        hint = "yield ({'input': x, ...}, {'head': y, ...}) pairs"
        return (), (ReadProblem(codes.DATA_ELEMENTS, message, None, hint),)

    if hasattr(dataset, "element_spec"):
        pair = _pair(dataset.element_spec)
        if pair is None:
            return refused(f"{origin}'s elements are {dataset.element_spec}, not (x, y) dicts")
        columns = []
        for side, part in zip("xy", pair, strict=True):
            for key, spec in part.items():
                dims = getattr(spec.shape, "rank", None)
                shape = tuple(spec.shape.as_list()) if dims is not None else ()
                where = f"{origin} {side}['{key}']"
                columns.append(Column(str(key), where, shape, spec.dtype.name, None, side))
        return tuple(columns), ()
    import numpy as np

    try:
        batch = dataset[0]
    except Exception as error:  # the user's code
        return refused(f"{origin}'s first batch cannot be read: {type(error).__name__}: {error}")
    pair = _pair(batch)
    if pair is None:
        return refused(f"{origin}'s batches are {type(batch).__name__}, not (x, y) dicts")
    columns = []
    for side, part in zip("xy", pair, strict=True):
        for key, value in part.items():
            array = np.asarray(value)
            where = f"{origin} batch 0 {side}['{key}']"
            columns.append(Column(str(key), where, array.shape, array.dtype.name, array, side))
    return tuple(columns), ()
