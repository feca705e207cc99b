"""Batch, layer, group and feature-wise (Normalization) normalization."""

from __future__ import annotations

from collections.abc import Sequence

from graphspec.catalogue.shape_rules.base import (
    Args,
    LayerShape,
    ShapeError,
    Unknown,
    axis_index,
    prod,
    register,
    tensor,
)
from graphspec.shape import Shape, is_int


def _axis_dims(
    layer: str, shape: Shape, axes: Sequence[int], written: object, known: bool = True
) -> list[int]:
    """Sizes of the normalized ``axes`` (which count the batch); unknown ones raise, or count
    as 1 when ``known`` is False (a layer without weights does not need them)."""
    sized = "its weights are sized by the normalized axis; axis counts the batch dimension"
    unknown = f"whose size is not known when {layer} builds its weights"
    if known and 0 in axes:  # the batch axis whatever the input
        raise ShapeError(f"axis {written!r} names the batch axis, {unknown}", sized, "axis")
    rank = len(shape) + 1
    dims: list[int] = []
    for axis in axes:
        try:
            position = axis_index(axis, len(shape))
        except IndexError:
            raise ShapeError(
                f"axis {written!r} is out of range for the rank-{rank} input {tensor(shape)}",
                "axis counts the batch dimension; -1 is the last dimension",
            ) from None
        size = None if position is None else shape[position]
        if size is None and known:
            if position is None:
                raise ShapeError(
                    f"axis {written!r} names the batch axis of the rank-{rank} input "
                    f"{tensor(shape)}, {unknown}",
                    sized,
                )
            raise ShapeError(
                f"{layer} needs a known size on axis {axis}, but received {tensor(shape)}", sized
            )
        dims.append(1 if size is None else size)
    return dims


def _batch_norm(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    axis = a.raw("axis")
    if not is_int(axis):
        raise Unknown("axis")
    center, scale, renorm = a.flag("center"), a.flag("scale"), a.flag("renorm")
    (size,) = _axis_dims(a.layer, shape, [axis], axis)
    return LayerShape((shape,), size * (center + scale), size * (2 + 3 * renorm))


register(
    "BatchNormalization",
    _batch_norm,
    {"axis": -1, "center": True, "scale": True, "renorm": False},
)


def _layer_norm(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    axis = a.raw("axis")
    axes = list(axis) if isinstance(axis, list | tuple) else [axis]
    if not all(is_int(x) for x in axes):
        raise Unknown("axis")
    axes.sort()
    center, scale = a.flag("center"), a.flag("scale")
    size = prod(_axis_dims(a.layer, shape, axes, axis, known=center or scale))
    return LayerShape((shape,), size * (center + scale))


register("LayerNormalization", _layer_norm, {"axis": -1, "center": True, "scale": True})


def _normalization(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    """Normalization: the statistics are weights (not trainable) unless mean and variance are
    given, which makes them constants."""
    (shape,) = inputs
    if a.raw("mean") is not None and a.raw("variance") is not None:
        return LayerShape((shape,), 0)
    axis = a.raw("axis")
    axes = [] if axis is None else list(axis) if isinstance(axis, list | tuple) else [axis]
    if not all(is_int(x) for x in axes):
        raise Unknown("axis")
    axes.sort()
    size = prod(_axis_dims(a.layer, shape, axes, axis))
    return LayerShape((shape,), 0, 2 * size + 1)


register("Normalization", _normalization, {"axis": -1, "mean": None, "variance": None})


def _group_norm(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    groups = a.raw("groups")
    if not is_int(groups):
        raise Unknown("groups")
    if groups <= 0 and groups != -1:
        raise ShapeError(
            f"groups must be positive (or -1), but received {groups!r}", argument="groups"
        )
    axis = a.raw("axis")
    if not is_int(axis):
        raise Unknown("axis")
    center, scale = a.flag("center"), a.flag("scale")
    (size,) = _axis_dims(a.layer, shape, [axis], axis)
    groups = size if groups == -1 else groups
    if size < groups or size % groups:
        raise ShapeError(
            f"GroupNormalization with groups {groups} needs a channel count that is a "
            f"multiple of {groups}, but received {tensor(shape)} ({size} channels on axis "
            f"{axis})"
        )
    return LayerShape((shape,), size * (center + scale))


register(
    "GroupNormalization",
    _group_norm,
    {"groups": 32, "axis": -1, "center": True, "scale": True},
)
