"""Core layers: Dense, Embedding, activations, dropout and noise (shape-preserving)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from graphspec.catalogue.shape_rules.base import (
    Args,
    LayerShape,
    Rule,
    ShapeError,
    Unknown,
    layout,
    min_rank_error,
    prod,
    rank_error,
    register,
    tensor,
)
from graphspec.shape import Shape, is_int


def _dense(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    units = a.integer("units")
    use_bias = a.flag("use_bias")
    if a.raw("lora_rank") is not None or a.raw("quantization_config") is not None:
        raise Unknown("lora_rank")
    if not shape:
        raise min_rank_error(a.layer, shape)
    features = shape[-1]
    if features is None:
        raise ShapeError(
            f"Dense needs a known last input dimension, but received {tensor(shape)}",
            "its kernel is sized by the last dimension; a Flatten of an unknown size or a "
            "variable-length input gives None there",
        )
    return LayerShape(((*shape[:-1], units),), features * units + (units if use_bias else 0))


register(
    "Dense",
    _dense,
    {"activation": None, "use_bias": True, "lora_rank": None, "quantization_config": None},
)


def _same_shape(check: Callable[[Args], None] | None = None) -> Rule:
    def rule(a: Args, inputs: Sequence[Shape]) -> LayerShape:
        if check is not None:
            check(a)
        return LayerShape((inputs[0],))

    return rule


def _rate(name: str) -> Callable[[Args], None]:
    def check(a: Args) -> None:
        value = a.number(name)
        if not 0 <= value <= 1:
            raise ShapeError(
                f"{name} must be between 0 and 1, but received {a.raw(name)!r}", argument=name
            )

    return check


def _dropout_check(a: Args) -> None:
    _rate("rate")(a)
    noise = a.raw("noise_shape")
    if noise is None:
        return
    if not isinstance(noise, list | tuple) or not all(d is None or is_int(d) for d in noise):
        raise Unknown("noise_shape")
    if any(d is not None and d <= 0 for d in noise):
        raise ShapeError(
            f"noise_shape sizes must be positive or null, but received {noise!r}",
            argument="noise_shape",
        )


register("Activation", _same_shape())
register("Identity", _same_shape())
register("Masking", _same_shape(), {"mask_value": 0.0})
register("ActivityRegularization", _same_shape(), {"l1": 0.0, "l2": 0.0})
register("Dropout", _same_shape(_dropout_check), {"noise_shape": None})
register("AlphaDropout", _same_shape(_dropout_check), {"noise_shape": None})
register("GaussianDropout", _same_shape(_rate("rate")))
register("GaussianNoise", _same_shape(_rate("stddev")))
register("Rescaling", _same_shape(), {"offset": 0.0})
register("ELU", _same_shape(), {"alpha": 1.0})


def _spatial_dropout(rank: int) -> Rule:
    def rule(a: Args, inputs: Sequence[Shape]) -> LayerShape:
        (shape,) = inputs
        _rate("rate")(a)
        dims: tuple[str, ...]
        if rank == 1:
            dims, detail = ("steps", "channels"), ""
        else:
            dims, detail = layout(rank, a.data_format())
        if len(shape) != rank + 1:
            raise rank_error(a.layer, dims, shape, detail)
        return LayerShape((shape,))

    return rule


register("SpatialDropout1D", _spatial_dropout(1))
register("SpatialDropout2D", _spatial_dropout(2), {"data_format": None})
register("SpatialDropout3D", _spatial_dropout(3), {"data_format": None})


def _relu_check(a: Args) -> None:
    max_value = a.raw("max_value")
    if max_value is not None and a.number("max_value") < 0:
        raise ShapeError(
            f"max_value must be non-negative, but received {max_value!r}", argument="max_value"
        )
    for name in ("negative_slope", "threshold"):
        if a.raw(name) is None or a.number(name) < 0:
            raise ShapeError(
                f"{name} must be non-negative, but received {a.raw(name)!r}", argument=name
            )


def _leaky_check(a: Args) -> None:
    if a.raw("negative_slope") is None or a.number("negative_slope") < 0:
        raise ShapeError(
            f"negative_slope must be non-negative, but received {a.raw('negative_slope')!r}",
            argument="negative_slope",
        )


register(
    "ReLU", _same_shape(_relu_check), {"max_value": None, "negative_slope": 0.0, "threshold": 0.0}
)
register("LeakyReLU", _same_shape(_leaky_check), {"negative_slope": 0.3})


def _softmax(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    axis = a.raw("axis")
    axes = axis if isinstance(axis, list | tuple) else [axis]
    if not all(is_int(x) for x in axes):
        raise Unknown("axis")
    full = len(shape) + 1
    for x in axes:
        if not -full <= x < full:
            raise ShapeError(
                f"Softmax axis {axis!r} is out of range for the rank-{full} input {tensor(shape)}",
                "axis counts the batch dimension; -1 is the last dimension",
            )
    return LayerShape((shape,))


register("Softmax", _softmax, {"axis": -1})


def _prelu(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    shared = a.raw("shared_axes")
    if shared is None:
        axes: list[Any] = []
    elif isinstance(shared, list | tuple):
        axes = list(shared)
    else:
        axes = [shared]
    if not all(is_int(x) for x in axes):
        raise Unknown("shared_axes")
    alpha: list[int | None] = list(shape)
    for axis in axes:
        if not -len(alpha) <= axis - 1 < len(alpha):
            raise ShapeError(
                f"shared_axes {shared!r} is out of range for the rank-{len(shape) + 1} input "
                f"{tensor(shape)}",
                "shared_axes count the batch dimension: 1 is the first dimension after it",
            )
        alpha[axis - 1] = 1
    if any(d is None for d in alpha):
        raise ShapeError(
            f"PReLU needs known sizes for every dimension it does not share, but received "
            f"{tensor(shape)} with shared_axes {shared!r}",
            "share the unknown axes (shared_axes counts the batch dimension) or fix the size",
        )
    return LayerShape((shape,), prod([d for d in alpha if d is not None]))


register("PReLU", _prelu, {"shared_axes": None})


def _embedding(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    input_dim = a.integer("input_dim")
    output_dim = a.integer("output_dim")
    if a.raw("lora_rank") is not None or a.raw("quantization_config") is not None:
        raise Unknown("lora_rank")
    return LayerShape(((*shape, output_dim),), input_dim * output_dim)


register(
    "Embedding",
    _embedding,
    {"mask_zero": False, "lora_rank": None, "quantization_config": None},
)
