"""Backends: layers that Keras itself computes differently on the chosen backend.

Keras 3 promises the same model on TensorFlow, JAX and PyTorch, and keeps it for everything
in specs/ (tests/backends/test_parity.py), but not for every layer setting. Each known
difference is one `Difference`: the backends it shows on, the layer classes (aliases
included), and a test of the layer's arguments that says why it differs, or None. Each is
shown with a hand-written Keras model in tests/backends/test_keras_differences.py, so when a
Keras release fixes one, that test fails and the row goes.

The backend is the one a build in this process would use (`Options.keras_backend`:
``--backend``, else ``KERAS_BACKEND``, else TensorFlow), the reference the others are
compared with, so a TensorFlow run reports nothing here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphspec.analyse.state import Analysis
from graphspec.diagnostics import Diagnostic, SpecPath, codes
from graphspec.diagnostics.reporter import Reporter
from graphspec.shape import is_int
from graphspec.spec.forms import ExprNode, SharedLayer


@dataclass(frozen=True)
class Difference:
    """One setting of some layers that Keras computes differently on some backends."""

    backends: frozenset[str]
    layers: frozenset[str]
    what: str
    """What the layer does differently, as the message says it after the layer's name."""
    why: Callable[[Mapping[str, Any], int], str | None]
    """The layer's arguments and its number of spatial axes (the digit in its name) → why
    these arguments differ, or None when they do not."""
    argument: str
    """The argument the warning points at (the layer's entry when it is not written)."""
    hint: str


def _per_axis(value: Any, axes: int) -> list[int] | None:
    """An int or a list of ints, one per spatial axis; None when not written as numbers
    (a ``${param}`` of a block before substitution)."""
    if is_int(value):
        return [int(value)] * axes
    if isinstance(value, list) and len(value) == axes and all(is_int(v) for v in value):
        return [int(v) for v in value]
    return None


def _edge_copies_averaged(args: Mapping[str, Any], axes: int) -> str | None:
    """Average pooling with ``padding: same`` where Keras' PyTorch backend averages copies of
    the edge into a border window; TensorFlow and JAX leave padding out of the average.

    Keras pads for PyTorch itself, with copies of the edge values, once the padding of some
    axis is uneven (one more at the end); even padding goes to PyTorch's own, which leaves it
    out. A copy changes a window's average only where the window also holds two or more real
    values, so a pool size of 2 or less never differs. With strides 1 the padding is
    ``pool_size - 1`` on every input (uneven for an even pool size); with larger strides it
    depends on the input's size, which this check does not read: it warns that it may."""
    padding = args.get("padding", "valid")
    if not isinstance(padding, str) or padding.lower() != "same":
        return None
    pools = _per_axis(args.get("pool_size", 2), axes)
    strides = _per_axis(args.get("strides") or args.get("pool_size", 2), axes)
    if pools is None or strides is None:
        return "its pool size or strides are not numbers here"
    if all(k <= 2 for k in pools):
        return None
    if all(s == 1 for s in strides):
        if all(k % 2 == 1 for k in pools):
            return None
        return "an even pool size with strides 1 pads one more at the end"
    return "strides above 1 pad one more at the end on inputs of some sizes"


DIFFERENCES: tuple[Difference, ...] = (
    Difference(
        frozenset({"torch"}),
        frozenset(f"{name}{axes}D" for name in ("AveragePooling", "AvgPool") for axes in (1, 2, 3)),
        "with padding 'same' averages the border windows differently",
        _edge_copies_averaged,
        "padding",
        "build on TensorFlow or JAX, or use padding 'valid' (or pool sizes and strides that "
        "pad evenly)",
    ),
)
"""What Keras 3.15 computes differently, by backend (tests/backends/ shows each)."""

TITLES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def declared_layers(analysis: Analysis) -> Iterator[tuple[SpecPath, str, Mapping[str, Any]]]:
    """Every layer the spec declares, then each block instance's (``${param}`` substituted,
    reported at the block's node): (spec path, layer class, arguments)."""
    spec = analysis.spec
    for name, shared in spec.shared.items():
        if isinstance(shared, SharedLayer):
            yield ("shared", name), shared.layer, shared.args
    for base, name, node in spec.walk():
        for sub, layer, args in node.declared_layers():
            yield (*base, "nodes", name, *sub), layer, args
    if analysis.instances is not None:
        for instance in analysis.instances.instances.values():
            for name, node in instance.nodes.items():
                for sub, layer, args in node.declared_layers():
                    yield ("blocks", instance.block, "nodes", name, *sub), layer, args


STRING_BACKENDS = frozenset({"tensorflow"})
"""The backends with string tensors: Keras 3 builds a ``string`` Input on JAX and PyTorch, but
the first batch fails (``Invalid dtype: str32``)."""


def _string_inputs(analysis: Analysis) -> Iterator[tuple[SpecPath, str]]:
    """Every live model input and every block input declared ``dtype: string``."""
    spec = analysis.spec
    live = analysis.scopes.top.live_inputs if analysis.scopes else tuple(spec.inputs)
    for name in live:
        if spec.inputs[name].dtype == "string":
            yield ("inputs", name, "dtype"), f"input '{name}'"
    for block_name, block in spec.blocks.items():
        for name, declared in block.inputs.items():
            if declared.dtype == "string":
                yield (
                    ("blocks", block_name, "inputs", name, "dtype"),
                    f"block '{block_name}' input '{name}'",
                )


def _random_expressions(analysis: Analysis, report: Reporter, title: str) -> None:
    """Random functions in expressions: each backend has its own generator, so the same seed
    draws other numbers (from the same distribution) than on TensorFlow."""
    from graphspec.spec.expression import random_seeds  # only where a spec has expr nodes

    for base, name, node in analysis.spec.walk():
        if isinstance(node, ExprNode):
            for draw in random_seeds(node.expr)[:1]:
                report.error(
                    codes.BACKEND_DIFFERENCE,
                    f"{draw.function}(..., seed={draw.seed}) draws other numbers on {title} "
                    f"than on TensorFlow (each backend has its own generator; the distribution "
                    f"is the same)",
                    (*base, "nodes", name, "expr"),
                    "compare such a model across backends by its deterministic heads",
                    once=True,
                )


def check_backend(analysis: Analysis) -> list[Diagnostic]:
    """`codes.STRING_BACKEND` at each string input on a backend without strings, and
    `codes.BACKEND_DIFFERENCE` at each layer the chosen backend computes unlike TensorFlow."""
    backend = analysis.options.keras_backend
    report = Reporter(analysis.spec.source)
    title = TITLES.get(backend, backend)
    if backend not in STRING_BACKENDS:
        for path, what in _string_inputs(analysis):
            report.error(
                codes.STRING_BACKEND,
                f"{what} is declared string, but {title} has no string tensors: Keras 3 builds "
                "string inputs and their lookups on TensorFlow only",
                path,
                "build with --backend tensorflow, or map the strings to integer ids before the "
                "model and declare the input int64",
            )
    if backend == "tensorflow":
        return report.diagnostics
    _random_expressions(analysis, report, title)
    known = [d for d in DIFFERENCES if backend in d.backends]
    for path, layer, args in declared_layers(analysis):
        for difference in known:
            if layer not in difference.layers:
                continue
            why = difference.why(args, int(layer[-2]))
            if why is None:
                continue
            report.error(
                codes.BACKEND_DIFFERENCE,
                f"{layer} {difference.what} on {title} than on TensorFlow: {why}",
                (*path, difference.argument) if difference.argument in args else path,
                difference.hint,
                once=True,
            )
    return report.diagnostics
