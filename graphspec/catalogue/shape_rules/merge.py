"""Merges: the ``op:`` merges of a spec (`infer_merge`) and the Keras merge layers by name."""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Final

from graphspec.catalogue.shape_rules.base import (
    Args,
    LayerShape,
    Rule,
    ShapeError,
    Unknown,
    axis_index,
    register,
    tensor,
)
from graphspec.shape import Shape, is_int
from graphspec.spec.base import MERGE_LAYERS, MergeOp

MERGE_OPS: Final[tuple[MergeOp, ...]] = typing.get_args(MergeOp)
"""The ``op:`` merges a spec may use, in the order the schema lists them."""


_MERGE_HINTS: Final = {
    "elementwise": "element-wise merges need equal shapes (a dimension of 1 broadcasts); "
    "check the strides, pooling and filters on both branches",
}


def _keras_elementwise(first: Shape, second: Shape) -> Shape:
    """Keras' ``Merge._compute_elemwise_op_output_shape``: an unknown size wins."""
    if len(first) < len(second):
        first, second = second, first
    if not second:
        return first
    out: list[int | None] = list(first[: len(first) - len(second)])
    for x, y in zip(first[len(first) - len(second) :], second, strict=True):
        if x is None or y is None:
            out.append(None)
        else:
            out.append(y if x == 1 else x)
    return tuple(out)


def _elementwise(op: str, inputs: Sequence[tuple[str, Shape]]) -> Shape:
    # One pass: per right-aligned position, the first input with a known size other than 1
    # is the witness every later input must agree with (linear in the number of inputs).
    witness: dict[int, tuple[int, str, Shape]] = {}
    for name_j, shape_j in inputs:
        for back, size in enumerate(reversed(shape_j)):
            if size is None or size == 1:
                continue
            seen = witness.setdefault(back, (size, name_j, shape_j))
            if seen[0] != size:
                raise ShapeError(
                    f"{op}: '{seen[1]}' gives {tensor(seen[2])} but '{name_j}' gives "
                    f"{tensor(shape_j)}",
                    _MERGE_HINTS["elementwise"],
                )
    out = inputs[0][1]
    for _, shape in inputs[1:]:
        out = _keras_elementwise(out, shape)
    return out


_AXIS_HINT: Final = (
    "the axis counts the batch dimension: 1 is the first dimension after it, -1 the last"
)


def _batch_axis(op: str, axes: Sequence[int], what: str) -> None:
    """Refuse a merge ``axis`` 0, the batch dimension whatever the inputs."""
    if 0 in axes:
        raise ShapeError(f"{op} {what} 0 is the batch dimension", _AXIS_HINT, what)


def _merge_axis(op: str, axis: int, rank: int, what: str) -> int:
    """Position in a batch-less shape of a merge ``axis`` (which counts the batch)."""
    try:
        position = axis_index(axis, rank)
    except IndexError:
        raise ShapeError(
            f"{op} {what} {axis} is out of range for rank-{rank + 1} inputs", _AXIS_HINT
        ) from None
    if position is None:
        raise ShapeError(
            f"{op} {what} {axis} is the batch dimension of rank-{rank + 1} inputs", _AXIS_HINT
        )
    return position


def _concatenate(inputs: Sequence[tuple[str, Shape]], axis: int) -> Shape:
    _batch_axis("concatenate", [axis], "axis")
    first_name, first = inputs[0]
    for name, shape in inputs[1:]:
        if len(shape) != len(first):
            raise ShapeError(
                f"concatenate on axis {axis}: '{first_name}' gives {tensor(first)} but "
                f"'{name}' gives {tensor(shape)}; all inputs must have the same rank"
            )
    position = _merge_axis("concatenate", axis, len(first), "axis")
    witness: dict[int, tuple[int, str, Shape]] = {}  # first known size per position: linear
    for name_j, shape_j in inputs:
        for p, size in enumerate(shape_j):
            if p == position or size is None:
                continue
            seen = witness.setdefault(p, (size, name_j, shape_j))
            if seen[0] != size:
                raise ShapeError(
                    f"concatenate on axis {axis}: '{seen[1]}' gives {tensor(seen[2])} but "
                    f"'{name_j}' gives {tensor(shape_j)}; all dimensions but the "
                    "concatenation axis must match",
                    "the axis counts the batch dimension: -1 joins along the last one",
                )
    lengths = [shape[position] for _, shape in inputs]
    total = None if None in lengths else sum(s for s in lengths if s is not None)
    return (*first[:position], total, *first[position + 1 :])


def _dot(inputs: Sequence[tuple[str, Shape]], axes: int | Sequence[int]) -> Shape:
    if is_int(axes):
        pair = [axes, axes]
    elif isinstance(axes, list | tuple) and len(axes) == 2 and all(is_int(x) for x in axes):
        pair = [int(x) for x in axes]
    else:
        raise ShapeError(
            f"dot axes must be an int or a list of two ints, but received {axes!r}",
            argument="axes",
        )
    _batch_axis("dot", pair, "axes")
    if len(inputs) != 2:
        raise ShapeError(f"dot takes exactly two inputs, but received {len(inputs)}")
    (name1, shape1), (name2, shape2) = inputs
    p1 = _merge_axis("dot", pair[0], len(shape1), "axes")
    p2 = _merge_axis("dot", pair[1], len(shape2), "axes")
    d1, d2 = shape1[p1], shape2[p2]
    if d1 != d2:
        raise ShapeError(
            f"dot over axes {axes!r}: '{name1}' gives {tensor(shape1)} with size {d1} there "
            f"but '{name2}' gives {tensor(shape2)} with size {d2}",
            "the summed axes must have the same known size; axes count the batch dimension",
        )
    out = shape1[:p1] + shape1[p1 + 1 :] + shape2[:p2] + shape2[p2 + 1 :]
    return out or (1,)


def infer_merge(
    op: str,
    inputs: Sequence[tuple[str, Shape]],
    axis: int | None = None,
    axes: int | list[int] | None = None,
    normalize: bool = False,
) -> LayerShape:
    """Output shape of a merge ``op`` over ``(reference name, shape)`` pairs, as Keras' merge
    layers compute it; raises `ShapeError` naming both sides of a conflict.

    ``axis`` (concatenate, default -1) and ``axes`` (dot, default -1) count the batch
    dimension as in Keras; ``normalize`` does not change the shape.
    """
    del normalize
    if op not in MERGE_OPS:
        raise ShapeError(f"unknown merge op '{op}'", f"use one of {', '.join(MERGE_OPS)}")
    if not inputs:
        raise ShapeError(f"{op} needs at least one input")
    pairs = [(name, tuple(shape)) for name, shape in inputs]
    if op == "concatenate":
        return LayerShape((_concatenate(pairs, -1 if axis is None else axis),))
    if op == "dot":
        return LayerShape((_dot(pairs, -1 if axes is None else axes),))
    if op == "subtract" and len(pairs) != 2:
        raise ShapeError(f"subtract takes exactly two inputs, but received {len(pairs)}")
    return LayerShape((_elementwise(op, pairs),))


def _merge_layer(op: str) -> Rule:
    def rule(a: Args, inputs: Sequence[Shape]) -> LayerShape:
        named = [(f"input {i}", shape) for i, shape in enumerate(inputs, start=1)]
        if op == "concatenate":
            axis = a.raw("axis")
            if not is_int(axis):
                raise Unknown("axis")
            return infer_merge(op, named, axis=axis)
        if op == "dot":
            axes = a.raw("axes")
            if not (is_int(axes) or isinstance(axes, list | tuple)):
                raise Unknown("axes")
            return infer_merge(op, named, axes=list(axes) if isinstance(axes, tuple) else axes)
        return infer_merge(op, named)

    return rule


for _op in MERGE_OPS:
    register(
        MERGE_LAYERS[_op],
        _merge_layer(_op),
        {"axis": -1} if _op == "concatenate" else {"normalize": False} if _op == "dot" else {},
        arity=(1, 1_000_000),
    )
