"""Convolutions: Conv, ConvTranspose, DepthwiseConv and SeparableConv, 1D to 3D."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphspec.catalogue.shape_rules.base import (
    Args,
    LayerShape,
    Rule,
    ShapeError,
    Unknown,
    join_channels,
    prod,
    register,
    sizes,
    split_channels,
    tensor,
    window_dims,
)
from graphspec.shape import Shape


def _conv_defaults(rank: int, **extra: Any) -> dict[str, Any]:
    ones: Any = 1 if rank == 1 else [1] * rank
    return {
        "strides": ones,
        "padding": "valid",
        "data_format": None,
        "dilation_rate": ones,
        "activation": None,
        "use_bias": True,
        **extra,
    }


def _channels(layer: str, shape: Shape, channels: int | None) -> int:
    if channels is None:
        raise ShapeError(
            f"{layer} needs a known number of input channels, but received {tensor(shape)}",
            "its kernel is sized by the channels; check data_format",
        )
    return channels


def _conv(rank: int) -> Rule:
    def rule(a: Args, inputs: Sequence[Shape]) -> LayerShape:
        (shape,) = inputs
        filters = a.integer("filters")
        groups = a.integer("groups")
        kernel = a.ints("kernel_size", rank)
        strides = a.ints("strides", rank)
        dilation = a.ints("dilation_rate", rank)
        allowed = ("valid", "same", "causal") if rank == 1 else ("valid", "same")
        padding = a.padding(allowed)
        data_format = a.data_format()
        use_bias = a.flag("use_bias")
        if a.raw("lora_rank") is not None:
            raise Unknown("lora_rank")
        if filters % groups:
            raise ShapeError(
                f"filters ({filters}) must be a multiple of groups ({groups})", argument="filters"
            )
        _no_strided_dilation(strides, dilation)
        spatial, channels = split_channels(a.layer, shape, rank, data_format)
        c = _channels(a.layer, shape, channels)
        if c % groups:
            raise ShapeError(
                f"{a.layer} with groups {groups} needs input channels divisible by {groups}, "
                f"but received {tensor(shape)} ({c} channels)"
            )
        out = window_dims(shape, spatial, kernel, strides, padding, dilation, "kernel_size")
        params = prod(kernel) * (c // groups) * filters + (filters if use_bias else 0)
        return LayerShape((join_channels(out, filters, data_format),), params)

    return rule


def _no_strided_dilation(strides: tuple[int, ...], dilation: tuple[int, ...]) -> None:
    if max(strides) > 1 and max(dilation) > 1:
        raise ShapeError(
            f"strides {sizes(strides)} and dilation_rate {sizes(dilation)} cannot both exceed 1",
            "Keras supports either strides > 1 or dilation_rate > 1, not both",
            argument="strides",
        )


def _conv_transpose(rank: int) -> Rule:
    def rule(a: Args, inputs: Sequence[Shape]) -> LayerShape:
        (shape,) = inputs
        filters = a.integer("filters")
        kernel = a.ints("kernel_size", rank)
        strides = a.ints("strides", rank)
        dilation = a.ints("dilation_rate", rank)
        padding = a.padding(("valid", "same"))
        output_padding = (
            None if a.raw("output_padding") is None else a.ints("output_padding", rank, 0)
        )
        data_format = a.data_format()
        use_bias = a.flag("use_bias")
        if output_padding is not None and any(
            p >= s for p, s in zip(output_padding, strides, strict=True)
        ):
            raise ShapeError(
                f"output_padding {sizes(output_padding)} must be smaller than strides "
                f"{sizes(strides)} in every dimension",
                argument="output_padding",
            )
        _no_strided_dilation(strides, dilation)
        spatial, channels = split_channels(a.layer, shape, rank, data_format)
        c = _channels(a.layer, shape, channels)
        out: list[int | None] = []
        for i, (n, k, s, d) in enumerate(zip(spatial, kernel, strides, dilation, strict=True)):
            if n is None:
                out.append(None)
                continue
            k = (k - 1) * d + 1
            extra = None if output_padding is None else output_padding[i]
            if padding == "valid":
                out.append((n - 1) * s + k + (max(k, s) - k if extra is None else extra))
            elif extra is None:
                out.append(n * s)
            else:
                out.append((n - 1) * s + k % 2 + extra)
        params = prod(kernel) * c * filters + (filters if use_bias else 0)
        return LayerShape((join_channels(tuple(out), filters, data_format),), params)

    return rule


def _depthwise(rank: int, separable: bool) -> Rule:
    def rule(a: Args, inputs: Sequence[Shape]) -> LayerShape:
        (shape,) = inputs
        multiplier = a.integer("depth_multiplier")
        filters = a.integer("filters") if separable else 0
        kernel = a.ints("kernel_size", rank)
        strides = a.ints("strides", rank)
        dilation = a.ints("dilation_rate", rank)
        padding = a.padding(("valid", "same"))
        data_format = a.data_format()
        use_bias = a.flag("use_bias")
        spatial, channels = split_channels(a.layer, shape, rank, data_format)
        c = _channels(a.layer, shape, channels)
        out = window_dims(shape, spatial, kernel, strides, padding, dilation, "kernel_size")
        depthwise = prod(kernel) * c * multiplier
        if separable:
            params = depthwise + c * multiplier * filters + (filters if use_bias else 0)
            return LayerShape((join_channels(out, filters, data_format),), params)
        params = depthwise + (c * multiplier if use_bias else 0)
        return LayerShape((join_channels(out, c * multiplier, data_format),), params)

    return rule


for _r in (1, 2, 3):
    register(f"Conv{_r}D", _conv(_r), _conv_defaults(_r, groups=1, lora_rank=None))
    register(f"Conv{_r}DTranspose", _conv_transpose(_r), _conv_defaults(_r, output_padding=None))
for _r in (1, 2):
    register(f"DepthwiseConv{_r}D", _depthwise(_r, False), _conv_defaults(_r, depth_multiplier=1))
    register(f"SeparableConv{_r}D", _depthwise(_r, True), _conv_defaults(_r, depth_multiplier=1))
