"""Flatten, Reshape, Permute, RepeatVector; zero padding, cropping and up-sampling."""

from __future__ import annotations

from collections.abc import Sequence

from graphspec.catalogue.shape_rules.base import (
    Args,
    LayerShape,
    Rule,
    ShapeError,
    Unknown,
    join_channels,
    prod,
    rank_error,
    register,
    sizes,
    split_channels,
    tensor,
)
from graphspec.shape import Shape, is_int


def _flatten(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    a.data_format()
    if not shape:
        return LayerShape(((1,),))
    if any(d is None for d in shape):
        return LayerShape(((None,),))
    return LayerShape(((prod([d for d in shape if d is not None]),),))


register("Flatten", _flatten, {"data_format": None})


def _reshape(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    target = a.raw("target_shape")
    if not isinstance(target, list | tuple) or not all(d is None or is_int(d) for d in target):
        raise Unknown("target_shape")
    if any(d is not None and d < -1 for d in target) or sum(d == -1 for d in target) > 1:
        raise ShapeError(
            "target_shape sizes must be non-negative, with at most one -1, but received "
            f"{target!r}",
            argument="target_shape",
        )
    if None in shape or None in target:
        return LayerShape((tuple(None if d == -1 else d for d in target),))
    size = prod([d for d in shape if d is not None])
    known = prod([d for d in target if d is not None and d != -1])
    hint = "the target must hold exactly as many values as the input; -1 infers one size"
    if -1 not in target:
        if size != known:
            raise ShapeError(
                f"target_shape {sizes(target)} holds {known} values per sample but the input "
                f"{tensor(shape)} holds {size}",
                hint,
            )
        return LayerShape((tuple(target),))
    if known == 0 or size % known:
        raise ShapeError(
            f"target_shape {sizes(target)} cannot hold the {size} values per sample of the "
            f"input {tensor(shape)}: {size} is not a multiple of {known}",
            hint,
        )
    return LayerShape((tuple(size // known if d == -1 else d for d in target),))


register("Reshape", _reshape)


def _permute(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    dims = a.raw("dims")
    if not isinstance(dims, list | tuple) or not all(is_int(d) for d in dims):
        raise Unknown("dims")
    if sorted(dims) != list(range(1, len(dims) + 1)):
        raise ShapeError(
            f"dims must be a permutation of 1..{len(dims)}, but received {dims!r}",
            "dims count the batch dimension: 1 is the first dimension after it",
            argument="dims",
        )
    if len(shape) != len(dims):
        names = [f"dim{d}" for d in range(1, len(dims) + 1)]
        raise rank_error(a.layer, names, shape, f" for dims {list(dims)!r}")
    return LayerShape((tuple(shape[d - 1] for d in dims),))


register("Permute", _permute)


def _repeat_vector(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    n = a.integer("n")
    if len(shape) != 1:
        raise rank_error(a.layer, ["features"], shape)
    return LayerShape(((n, shape[0]),))


register("RepeatVector", _repeat_vector)


def _pairs(a: Args, name: str, rank: int, minimum: int = 0) -> tuple[tuple[int, ...], ...]:
    """ZeroPadding/Cropping amounts: an int, ``rank`` ints or ``rank`` pairs of ints."""
    value = a.raw(name)
    if is_int(value):
        if value < minimum:
            raise ShapeError(f"{name} must be non-negative, but received {value!r}", argument=name)
        return ((int(value), int(value)),) * rank
    if not isinstance(value, list | tuple):
        raise Unknown(name)
    if len(value) != rank:
        raise ShapeError(f"{name} must have {rank} entries, but received {value!r}", argument=name)
    return tuple(a.ints(name, 2, 0, value=item) for item in value)


def _padding_rule(rank: int, crop: bool) -> Rule:
    name = "cropping" if crop else "padding"

    def rule(a: Args, inputs: Sequence[Shape]) -> LayerShape:
        (shape,) = inputs
        amounts: tuple[tuple[int, ...], ...]
        if rank == 1:
            amounts = (a.ints(name, 2, 0),)
            data_format = "channels_last" if crop else a.data_format()
        else:
            amounts = _pairs(a, name, rank, minimum=0 if crop else -(2**62))
            data_format = a.data_format()
        spatial, channels = split_channels(a.layer, shape, rank, data_format)
        out: list[int | None] = []
        for n, (before, after) in zip(spatial, amounts, strict=True):
            if n is None:
                out.append(None)
            elif crop:
                if n - before - after <= 0:
                    raise ShapeError(
                        f"cropping {sizes([b + e for b, e in amounts])} in total leaves nothing "
                        f"of the spatial size {sizes(spatial)} of the input {tensor(shape)}",
                        "each cropping total must be smaller than its dimension",
                    )
                out.append(n - before - after)
            else:
                out.append(n + before + after)
        return LayerShape((join_channels(tuple(out), channels, data_format),))

    return rule


def _up_sampling(rank: int) -> Rule:
    def rule(a: Args, inputs: Sequence[Shape]) -> LayerShape:
        (shape,) = inputs
        size: tuple[int, ...]
        if rank == 1:
            size = (a.integer("size"),)
            data_format = "channels_last"
        else:
            size = a.ints("size", rank)
            data_format = a.data_format()
        spatial, channels = split_channels(a.layer, shape, rank, data_format)
        out = tuple(None if n is None else n * s for n, s in zip(spatial, size, strict=True))
        return LayerShape((join_channels(out, channels, data_format),))

    return rule


register("ZeroPadding1D", _padding_rule(1, False), {"padding": 1, "data_format": None})
register("ZeroPadding2D", _padding_rule(2, False), {"padding": [1, 1], "data_format": None})
register(
    "ZeroPadding3D",
    _padding_rule(3, False),
    {"padding": [[1, 1], [1, 1], [1, 1]], "data_format": None},
)
register("Cropping1D", _padding_rule(1, True), {"cropping": [1, 1]})
register("Cropping2D", _padding_rule(2, True), {"cropping": [[0, 0], [0, 0]], "data_format": None})
register(
    "Cropping3D",
    _padding_rule(3, True),
    {"cropping": [[1, 1], [1, 1], [1, 1]], "data_format": None},
)
register("UpSampling1D", _up_sampling(1), {"size": 2})
register(
    "UpSampling2D",
    _up_sampling(2),
    {"size": [2, 2], "data_format": None, "interpolation": "nearest"},
)
register("UpSampling3D", _up_sampling(3), {"size": [2, 2, 2], "data_format": None})
