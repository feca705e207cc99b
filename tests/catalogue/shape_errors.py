"""Whose fault a `ShapeError` is, checked wherever a test meets one.

`ShapeError.argument` names the argument whose value a layer refuses *whatever its input*;
it is None when the input is at fault, that is when some other input would fit. The analysis
reads it to choose the code and the position of a diagnostic (the value's line for an
argument, the node's for an input), so both directions matter:

- an error that blames an argument is raised, with the same argument and the same message,
  for every input in `PANEL` (the message does not depend on the input);
- an error that blames no argument goes away for some input in `PANEL` (the rule gives a
  shape, or cannot tell one: it raises nothing).

`PANEL` holds inputs of every rank a rule takes (0 to 5 dimensions besides the batch), known
sizes large and composite enough for any window, crop or group count the tests write (96 and
120: multiples of 1 to 6, 8, 32, 40...) and unknown sizes (which a Reshape of any target
accepts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from graphspec.catalogue.shape_rules import (
    LayerShape,
    Shape,
    ShapeError,
    infer_layer,
    infer_merge,
)
from graphspec.catalogue.shape_rules.base import RULES, canonical

PANEL: tuple[Shape, ...] = tuple(
    shape
    for rank in (1, 2, 3, 4, 0, 5)
    for shape in (
        (96,) * rank,
        (None,) * rank,
        (120,) * rank,
        (*((None,) * (rank - 1)), 96) if rank else (),
    )
)
"""Batch-less input shapes: every rank from 0 to 5, known, unknown and partly known."""

_MAX_INPUTS = 3


def _panel(low: int, high: int) -> Iterator[list[Shape]]:
    """Every panel shape, given to a layer as each input count it takes (up to three)."""
    for count in range(max(low, 1), min(high, _MAX_INPUTS) + 1):
        for shape in PANEL:
            yield [shape] * count


def _check(
    error: ShapeError,
    run: Callable[[Sequence[Shape]], LayerShape | None],
    inputs: Iterable[Sequence[Shape]],
    arguments: Iterable[str],
    where: str,
) -> None:
    if error.argument is not None:
        assert error.argument in arguments, f"{where}: blames {error.argument!r}, not given"
        for candidate in inputs:
            try:
                run(candidate)
            except ShapeError as other:
                assert (other.argument, other.message) == (error.argument, error.message), (
                    f"{where}: '{error.message}' blames {error.argument!r}, but on "
                    f"{list(candidate)} the error is '{other.message}' "
                    f"(argument {other.argument!r})"
                )
            else:
                raise AssertionError(
                    f"{where}: '{error.message}' blames {error.argument!r}, but "
                    f"{list(candidate)} fits: the input is at fault"
                )
        return
    for candidate in inputs:
        try:
            run(candidate)  # None (not inferred) is no error either
        except ShapeError:
            continue
        return
    raise AssertionError(
        f"{where}: '{error.message}' blames no argument, but no input fits: "
        "an argument value is at fault"
    )


def check_layer_error(
    layer: str,
    args: Mapping[str, Any],
    error: ShapeError,
    fitting: Iterable[Sequence[Shape]] = (),
) -> None:
    """Assert that ``error`` (raised by ``infer_layer(layer, args, ...)``) blames the right one;
    ``fitting`` adds inputs to the panel (one sized by the arguments, such as an EinsumDense
    input whose sizes ``output_shape`` names)."""
    low, high = RULES[canonical(layer)].arity
    _check(
        error,
        lambda inputs: infer_layer(layer, args, inputs),
        [*_panel(low, high), *fitting],
        args,
        f"{layer}({dict(args)})",
    )


def check_merge_error(
    op: str, error: ShapeError, axis: int | None = None, axes: Any = None
) -> None:
    """Assert that ``error`` (raised by `infer_merge` for ``op``) blames the right one."""
    arguments = {"axis"} if axis is not None else {"axes"} if axes is not None else set()
    counts = (2, 2) if op in ("dot", "subtract") else (1, _MAX_INPUTS)

    def run(inputs: Sequence[Shape]) -> LayerShape:
        named = [(f"in{i}", shape) for i, shape in enumerate(inputs)]
        return infer_merge(op, named, axis=axis, axes=axes)

    _check(error, run, _panel(*counts), arguments, f"{op} (axis={axis}, axes={axes})")
