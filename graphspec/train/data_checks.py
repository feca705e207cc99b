"""The data's checks against the spec's Plan (GS803-GS812), before anything is built.

Each array is a `Column`: its key, where it came from (``train.npz['image']``), its shape with
the batch first, its dtype and, when it can be scanned, its values. Named arrays and a
dataset's elements go through the same checks; only arrays are scanned (NaN, infinite values,
label and token-id ranges), in chunks (`graphspec.train.data_scan`). Every diagnostic names
the array and the input or head, at the spec's declaration of that input or head.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graphspec.analyse.plan import Plan
from graphspec.diagnostics import Code, Diagnostic, Location, SpecPath, codes
from graphspec.diagnostics.reporter import Reporter
from graphspec.shape import Shape, format_shape
from graphspec.spec.forms import LayerNode, SequenceNode
from graphspec.spec.model import Head
from graphspec.train import data_scan
from graphspec.train.data_read import ReadProblem
from graphspec.train.smoke import target_kind


@dataclass(frozen=True)
class Column:
    """One array of the data, as the checks see it."""

    key: str
    where: str
    """For messages: ``train.npz['image']``, ``train/image.npy``, ``load_train() x['image']``."""
    shape: tuple[int | None, ...]
    """Batch first; None where a dataset does not fix a size."""
    dtype: str
    """The numpy (or TensorFlow) dtype name: ``float32``, ``str320``, ``string``."""
    values: Any = None
    """The array to scan (memory-mapped or in memory); None for a dataset's element spec."""
    side: str | None = None
    """``x`` or ``y`` for the parts of a dataset's elements; None for named arrays."""


def dtype_kind(dtype: str) -> str:
    """``f`` float, ``i`` signed, ``u`` unsigned, ``b`` bool, ``U`` text, ``O`` objects,
    ``?`` anything else, from a numpy or TensorFlow dtype name."""
    prefixes = (
        (("float", "bfloat", "half", "double"), "f"),
        (("uint",), "u"),
        (("int",), "i"),
        (("bool",), "b"),
        (("str", "bytes", "string", "<U", "|S"), "U"),
        (("object",), "O"),
    )
    for starts, kind in prefixes:
        if dtype.startswith(starts):
            return kind
    return "?"


_KIND_WORDS = {"f": "floats", "i": "integers", "u": "integers", "b": "booleans", "U": "strings"}

# what data each declared input dtype takes, by kind: floats take any number (Keras casts
# uint8 pixels and float64 alike); integers and booleans refuse fractions; strings only text
_INPUT_KINDS = {"f": "fiub", "i": "iub", "u": "iub", "b": "b", "U": "UO"}


class _Checker(Reporter):
    """Checks one data source's columns against one plan, reporting as it goes."""

    def __init__(self, plan: Plan, role: str, origin: str) -> None:
        super().__init__(plan.spec.source)
        self.plan = plan
        self.spec = plan.spec
        self.role = role
        self.origin = origin
        self.data_location = Location(origin)

    # ---- positions --------------------------------------------------------------------

    def declaration(self, key: str | None) -> SpecPath | None:
        """The spec path of the input or head named ``key``."""
        if key in self.spec.inputs:
            return ("inputs", key)
        if key in self.spec.outputs:
            return ("outputs", key)
        return None

    def report(self, code: Code, key: str | None, message: str, hint: str | None = None) -> None:
        """At the declaration of the input or head ``key``; at the data itself when the spec
        declares no such name."""
        path = self.declaration(key)
        text = f"{self.role} data: {message}"
        if path is None:
            self.error(code, text, (), hint, location=self.data_location)
        else:
            self.error(code, text, path, hint, key=True)

    # ---- the checks ---------------------------------------------------------------------

    def read_problems(self, problems: Iterable[ReadProblem]) -> None:
        for problem in problems:
            self.report(problem.code, problem.key, problem.message, problem.hint)

    def names(self, columns: list[Column], unreadable: set[str], whole: bool) -> None:
        """Missing arrays for live inputs and heads with a loss (unless nothing could be read:
        ``whole``); arrays no name declares."""
        keys = {column.key for column in columns} | unreadable
        spare = [c.key for c in columns if self.declaration(c.key) is None]
        needed = [*self.plan.top.live_inputs]
        needed += [name for name, head in self.spec.outputs.items() if head.loss is not None]
        for name in needed:
            if name not in keys and not whole:
                kind = "input" if name in self.spec.inputs else "head"
                close = self.hint(name, spare)
                self.report(
                    codes.DATA_MISSING,
                    name,
                    f"{self.origin} has no array '{name}' for {kind} '{name}'",
                    close or f"add the array '{name}'",
                )
        declared = [*self.spec.inputs, *self.spec.outputs]
        for column in columns:
            if self.declaration(column.key) is not None:
                self.wrong_side(column)
                continue
            close = self.closest(column.key, declared)
            self.report(
                codes.DATA_EXTRA,
                close,
                f"{column.where} is neither an input nor a head of '{self.spec.name}'",
                f"did you mean '{close}'?" if close else "leave it out of the data",
            )

    def wrong_side(self, column: Column) -> None:
        """A dataset's input array among the targets (y), or a target among the inputs (x)."""
        wanted = "x" if column.key in self.spec.inputs else "y"
        if column.side is not None and column.side != wanted:
            self.report(
                codes.DATA_EXTRA,
                column.key,
                f"{column.where} is in the dataset's {column.side}, but '{column.key}' is "
                f"{'an input' if wanted == 'x' else 'a head'}",
                f"yield it in {wanted} (elements are (x, y): inputs in x, targets in y)",
            )

    def samples(self, columns: list[Column]) -> None:
        """Every array holds the same number of samples, and some."""
        counted = [c for c in columns if c.values is not None and len(c.shape) >= 1]
        for column in counted:
            if column.shape[0] == 0:
                self.report(
                    codes.DATA_SAMPLES,
                    column.key,
                    f"{column.where} holds no samples",
                    "training needs at least one sample",
                )
        counts = Counter(c.shape[0] for c in counted if c.shape[0])
        if len(counts) < 2:
            return
        most = counts.most_common(1)[0][0]
        for column in counted:
            if column.shape[0] and column.shape[0] != most:
                self.report(
                    codes.DATA_SAMPLES,
                    column.key,
                    f"{column.where} holds {column.shape[0]} samples, the other arrays {most}",
                    "give every input and head one row per sample",
                )

    def input(self, column: Column) -> None:
        entry = self.spec.inputs[column.key]
        expected = tuple(entry.shape)
        if not self.batched(column, expected, f"input '{column.key}'"):
            return
        if not shapes_fit(column.shape[1:], expected):
            self.report(
                codes.DATA_INPUT_SHAPE,
                column.key,
                f"{column.where} has shape {format_shape(column.shape)} but input "
                f"'{column.key}' takes {format_shape(expected, batch=True)}",
                _reshape_hint(column.shape, expected, column.values is None),
            )
        kind = dtype_kind(column.dtype)
        if kind not in _INPUT_KINDS.get(dtype_kind(entry.dtype), ""):
            self.report(
                codes.DATA_DTYPE,
                column.key,
                f"{column.where} holds {_described(column.dtype)} but input '{column.key}' "
                f"is {entry.dtype}",
                f"convert it: x.astype('{entry.dtype}')"
                if kind in "fiub" and entry.dtype != "string"
                else f"turn the {_KIND_WORDS.get(kind, 'values')} into {entry.dtype} values "
                "before training, or declare the dtype the data has",
            )
            return
        if column.values is None:
            return
        self.finite(column)
        limit = id_limit(self.plan, column.key)
        if limit is not None and kind in "iu":
            found = data_scan.outside(column.values, 0, limit[1] - 1)
            if found is not None:
                self.report(
                    codes.DATA_LABEL_RANGE,
                    column.key,
                    f"{column.where} holds {_outside(found, 'token id', f'0..{limit[1] - 1}')}; "
                    f"{limit[0]} reads input '{column.key}'",
                    f"widen {limit[0]} or map the ids below {limit[1]}",
                )

    def target(self, column: Column) -> None:
        head = self.spec.outputs[column.key]
        output = self.plan.head_shapes.get(column.key)
        loss = head.loss_name
        kind = target_kind(loss) if loss is not None else "float"
        what = f"head '{column.key}'" + (f" (loss {loss})" if loss else "")
        data_kind = dtype_kind(column.dtype)
        if data_kind not in "fiub":
            self.report(
                codes.DATA_DTYPE,
                column.key,
                f"{column.where} holds {_described(column.dtype)} but {what} takes numbers",
                "convert the targets to numbers (class ids, one-hot rows or values)",
            )
            return
        if output is not None and self.batched(column, _target_shape(output, kind), what):
            self.target_shape(column, output, kind, what)
        if column.values is None:
            return
        self.finite(column)
        if data_kind == "b":
            return
        if kind == "sparse":
            self.labels(column, head, output, what)
        elif kind == "binary" and (loss or "").lower().replace("_", "").startswith("binary"):
            found = data_scan.outside(column.values, 0, 1)
            if found is not None:
                self.report(
                    codes.DATA_LABEL_RANGE,
                    column.key,
                    f"{column.where} holds {_outside(found, 'target', '[0, 1]')} for {what}",
                    "binary targets are 0 or 1 (or a probability between)",
                )

    def target_shape(self, column: Column, output: Shape, kind: str, what: str) -> None:
        data = column.shape[1:]
        if kind == "sparse":
            if not shapes_fit(data, output[:-1]):
                self.report(
                    codes.DATA_TARGET_SHAPE,
                    column.key,
                    f"{column.where} has shape {format_shape(column.shape)} but {what} takes "
                    f"class ids of shape {format_shape(output[:-1], batch=True)}",
                    "give one class id per sample, or use categorical_crossentropy for one-hot "
                    "targets"
                    if len(data) == len(output)
                    else None,
                )
            return
        if shapes_fit(data, output):
            return
        if kind == "one_hot" and len(data) == len(output) and shapes_fit(data[:-1], output[:-1]):
            self.report(
                codes.DATA_ONE_HOT_WIDTH,
                column.key,
                f"{column.where} has one-hot rows of width {data[-1]} but {what} has "
                f"{output[-1]} units",
                f"one-hot encode over {output[-1]} classes: keras.utils.to_categorical(y, "
                f"{output[-1]})",
            )
            return
        ids = kind == "one_hot" and len(data) == len(output) - 1
        self.report(
            codes.DATA_TARGET_SHAPE,
            column.key,
            f"{column.where} has shape {format_shape(column.shape)} but {what} gives "
            f"{format_shape(output, batch=True)}",
            "these look like class ids: use sparse_categorical_crossentropy, or one-hot encode them"
            if ids
            else "give one target row per sample, shaped like the head's output",
        )

    def labels(self, column: Column, head: Head, output: Shape | None, what: str) -> None:
        """Sparse labels: whole numbers from 0 to the head's units - 1."""
        values = column.values
        if values.dtype.kind == "f":
            fraction = data_scan.first_fraction(values)
            if fraction is not None:
                self.report(
                    codes.DATA_LABEL_FRACTION,
                    column.key,
                    f"{column.where} holds label {_number(fraction[1])} at "
                    f"{list(fraction[0])}, but {what} takes whole class ids",
                    "give integer class ids: y.astype('int64')",
                )
                return
        units = output[-1] if output else None
        if units is None:
            return
        ignored = head.loss.args.get("ignore_class") if head.loss is not None else None
        spare = ignored if isinstance(ignored, int) else None
        found = data_scan.outside(values, 0, units - 1, spare)
        if found is not None:
            self.report(
                codes.DATA_LABEL_RANGE,
                column.key,
                f"{column.where} holds {_outside(found, 'label', f'0..{units - 1}')}; {what} "
                f"has {units} units",
                "number the classes from 0, or widen the head (units)",
            )

    def finite(self, column: Column) -> None:
        if column.values.dtype.kind != "f":
            return
        found = data_scan.not_finite(column.values)
        if found is not None:
            self.report(
                codes.DATA_NOT_FINITE,
                column.key,
                f"{column.where} holds {_count(found.count, 'NaN or infinite value')}"
                f"{', the first' if found.count > 1 else ''} at {list(found.first)}",
                "clean or drop those samples",
            )

    def batched(self, column: Column, expected: Shape, what: str) -> bool:
        """Whether the column has a batch dimension; reported when it has none."""
        if len(column.shape) >= 1 and not (
            column.values is None and len(column.shape) == len(expected)
        ):
            return True
        code = codes.DATA_INPUT_SHAPE if column.key in self.spec.inputs else codes.DATA_TARGET_SHAPE
        self.report(
            code,
            column.key,
            f"{column.where} has shape {format_shape(column.shape)}, without the batch "
            f"dimension {what} takes first",
            "batch the dataset: ds.batch(32)"
            if column.values is None
            else "the batch dimension comes first: one sample is x[None]",
        )
        return False


def _target_shape(output: Shape, kind: str) -> Shape:
    return output[:-1] if kind == "sparse" and output else output


def shapes_fit(data: Shape, expected: Shape) -> bool:
    """Whether samples of shape ``data`` fit ``expected`` (both without the batch), as Keras
    takes them: None matches any size, and a trailing dimension of 1 may be added or dropped
    (Keras squeezes or expands it, for inputs and for targets alike)."""
    if len(data) == len(expected):
        return all(d is None or e is None or d == e for d, e in zip(data, expected, strict=True))
    if len(data) == len(expected) + 1 and data[-1] == 1:
        return shapes_fit(data[:-1], expected)
    if len(expected) == len(data) + 1 and expected[-1] == 1:
        return shapes_fit(data, expected[:-1])
    return False


def _reshape_hint(shape: tuple[int | None, ...], expected: Shape, dataset: bool) -> str:
    if shapes_fit(shape, expected):
        if dataset:
            return "batch the dataset: ds.batch(32)"
        return "the batch dimension comes first: one sample is x[None]"
    if None not in expected and None not in shape[1:]:
        size = 1
        for d in shape[1:]:
            size *= d or 1
        wanted = 1
        for d in expected:
            wanted *= d or 1
        if size == wanted:
            return f"reshape it: x.reshape(-1, {', '.join(str(d) for d in expected)})"
    return "reshape the array, or declare the shape the data has"


def _count(count: int, thing: str) -> str:
    return f"{count} {thing}" if count == 1 else f"{count} {thing}s"


def _outside(found: data_scan.Outside, thing: str, allowed: str) -> str:
    """``3 labels outside 0..9, the first 10 at [57]``; ``1 label outside 0..9: 10 at [57]``."""
    first = f"{_number(found.value)} at {list(found.first)}"
    if found.count == 1:
        return f"1 {thing} outside {allowed}: {first}"
    return f"{found.count} {thing}s outside {allowed}, the first {first}"


def _described(dtype: str) -> str:
    """``float32``, or ``strings`` for numpy's ``str32`` and ``bytes8``."""
    return {"U": "strings", "O": "Python objects"}.get(dtype_kind(dtype), dtype)


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def id_limit(plan: Plan, name: str) -> tuple[str, int] | None:
    """The tightest bound on an integer input's values among the layers that read it
    directly: an Embedding's ``input_dim``, a CategoryEncoding's ``num_tokens`` (as
    'Embedding 'embed'', the bound)."""
    bounds: list[tuple[str, int]] = []
    for successor in plan.top.graph.successors(name):
        node = plan.nodes.get(successor) or plan.spec.nodes.get(successor)
        layers = []
        if isinstance(node, LayerNode):
            layers = [(node.layer, node.args)]
        elif isinstance(node, SequenceNode) and node.sequence:
            layers = [(node.sequence[0].layer, node.sequence[0].args)]
        for layer, args in layers:
            argument = {"Embedding": "input_dim", "CategoryEncoding": "num_tokens"}.get(layer)
            value = args.get(argument) if argument else None
            if isinstance(value, int) and not isinstance(value, bool):
                bounds.append((f"{layer} '{successor}'", value))
    return min(bounds, key=lambda bound: bound[1]) if bounds else None


def check_columns(
    plan: Plan,
    columns: list[Column],
    problems: Iterable[ReadProblem],
    role: str,
    origin: str,
) -> tuple[Diagnostic, ...]:
    """Every problem of the data against the plan, all at once."""
    checker = _Checker(plan, role, origin)
    problems = tuple(problems)
    checker.read_problems(problems)
    unreadable = {p.key for p in problems if p.key is not None}
    checker.names(columns, unreadable, any(p.key is None for p in problems))
    checker.samples(columns)
    for column in columns:
        if column.key in plan.top.live_inputs and column.side in (None, "x"):
            checker.input(column)
        elif column.key in plan.spec.outputs and column.side in (None, "y"):
            checker.target(column)
    return tuple(checker.diagnostics)


def columns_of(arrays: Mapping[str, Any], sources: Mapping[str, str], origin: str) -> list[Column]:
    """Named arrays as columns."""
    return [
        Column(
            key,
            sources.get(key, f"{origin}['{key}']"),
            tuple(int(d) for d in getattr(values, "shape", ())),
            values.dtype.name,
            values,
        )
        for key, values in arrays.items()
    ]
