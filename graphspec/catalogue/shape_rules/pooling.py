"""Max and average pooling, local and global, 1D to 3D."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from graphspec.catalogue.shape_rules.base import (
    Args,
    LayerShape,
    Rule,
    join_channels,
    register,
    split_channels,
    window_dims,
)
from graphspec.shape import Shape


def _pooling(rank: int) -> Rule:
    def rule(a: Args, inputs: Sequence[Shape]) -> LayerShape:
        (shape,) = inputs
        pool = a.ints("pool_size", rank)
        strides = pool if a.raw("strides") is None else a.ints("strides", rank)
        padding = a.padding(("valid", "same"), lower=False)
        data_format = a.data_format()
        spatial, channels = split_channels(a.layer, shape, rank, data_format)
        out = window_dims(shape, spatial, pool, strides, padding, (1,) * rank, "pool_size")
        return LayerShape((join_channels(out, channels, data_format),))

    return rule


def _global_pooling(rank: int) -> Rule:
    def rule(a: Args, inputs: Sequence[Shape]) -> LayerShape:
        (shape,) = inputs
        data_format = a.data_format()
        keepdims = a.flag("keepdims")
        _, channels = split_channels(a.layer, shape, rank, data_format)
        if keepdims:
            return LayerShape((join_channels((1,) * rank, channels, data_format),))
        return LayerShape(((channels,),))

    return rule


_POOL_DEFAULTS: Final = {1: 2, 2: [2, 2], 3: [2, 2, 2]}
for _r in (1, 2, 3):
    _pool_args = {"strides": None, "padding": "valid", "data_format": None}
    register(f"MaxPooling{_r}D", _pooling(_r), {"pool_size": _POOL_DEFAULTS[_r], **_pool_args})
    register(f"AveragePooling{_r}D", _pooling(_r), _pool_args)
    _global_args = {"data_format": None, "keepdims": False}
    register(f"GlobalMaxPooling{_r}D", _global_pooling(_r), _global_args)
    register(f"GlobalAveragePooling{_r}D", _global_pooling(_r), _global_args)
