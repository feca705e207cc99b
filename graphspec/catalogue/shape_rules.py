"""Static shape and parameter inference for Keras layers, in pure Python.

`graphspec validate` uses this module to find shape errors (a Conv2D fed a rank-2 tensor, a
residual ``add`` of two different shapes, pooling larger than its input) without importing
Keras, TensorFlow or numpy. Each rule mirrors what Keras 3.15 computes when a layer is called
on a symbolic ``keras.Input``: ``compute_output_shape`` (``keras/src/ops/operation_utils.py``
for convolutions and pooling), the weights ``build`` creates (``count_params()``, trainable
and non-trainable apart), and the errors both raise.
``tests/catalogue/test_shape_rules_differential.py`` checks every rule against the installed Keras.

The shapes the rules take and give leave out the batch dimension, as a spec's ``inputs`` do;
``None`` is a dimension of unknown size. Layer and merge ``axis`` arguments count the batch
dimension, as in Keras (``axis=1`` is the first dimension of a `Shape`).

Messages follow Keras' own notation, as ``graphspec summary`` does: a tensor's shape is
printed with the batch dimension first (``(None, 32, 32, 3)``) and its rank counts it
(``Conv2D expects a rank-4 input``). Argument values and the spatial sizes they are compared
with are printed as they are (``pool_size (3, 3) with padding 'valid' is larger than the
spatial size (2, 2) of the input (None, 2, 2, 8)``).

A `ShapeError` says whose fault it is: ``argument`` names the layer argument whose value is
refused whatever the input (``padding must be 'valid' or 'same'``), and is None when the input
shapes are the problem, that is when some other input would fit (``pool_size ... is larger
than ... the input``). Each rule reads and checks its arguments before it looks at its inputs,
so an argument error comes first whatever the input.

Where Keras' symbolic build accepts something that can never run, graphspec is stricter and
raises `ShapeError`: a concatenation or dot product over the batch axis (``axis=0``), a dot
``axes`` out of range (Keras wraps a negative int), element-wise merges whose known sizes
differ after an unknown one (Keras stops comparing at the first ``None``), a `Softmax` axis
out of range, and Attention inputs of rank 1 (the batch dimension alone).
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, TypeAlias

from graphspec.catalogue.reader import load_catalogue
from graphspec.shape import Shape, format_shape, is_int
from graphspec.spec.base import MERGE_LAYERS, MergeOp

__all__ = [
    "MERGE_OPS",
    "LayerShape",
    "Shape",
    "ShapeError",
    "format_shape",
    "infer_layer",
    "infer_merge",
    "known_layers",
]

MERGE_OPS: Final[tuple[MergeOp, ...]] = typing.get_args(MergeOp)
"""The ``op:`` merges a spec may use, in the order the schema lists them."""


@dataclass(frozen=True)
class LayerShape:
    """What a layer gives: its output shape(s) and its parameter counts."""

    outputs: tuple[Shape, ...]
    """One shape for most layers; several for ``return_state=True`` (LSTM: out, h, c)."""
    trainable: int = 0
    non_trainable: int = 0

    @property
    def output(self) -> Shape:
        """The first (usually only) output shape."""
        return self.outputs[0]

    @property
    def params(self) -> int:
        """All parameters, as Keras' ``count_params()`` counts them."""
        return self.trainable + self.non_trainable


class ShapeError(Exception):
    """The inputs (or the arguments) do not fit the layer; `message` names what and where.

    ``argument`` is the layer argument (a key of the arguments given to `infer_layer`, or the
    ``axis``/``axes`` of `infer_merge`) whose value is refused whatever the input; it is None
    when the input shapes are at fault and another input would fit.
    """

    def __init__(self, message: str, hint: str | None = None, argument: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.argument = argument


class _Unknown(Exception):
    """No inference is possible: a required argument is missing or has an unusable type."""


def _tensor(shape: Sequence[int | None]) -> str:
    """A (batch-less) tensor shape as a message prints it: ``(None, 16, 16, 3)``."""
    return format_shape(shape, batch=True)


def _sizes(sizes: Sequence[int | None]) -> str:
    """An argument value or spatial sizes, printed as they are: ``(3, 3)``."""
    return format_shape(sizes)


def _prod(values: Sequence[int]) -> int:
    result = 1
    for value in values:
        result *= value
    return result


def _inputs_hint(layer: str, dims: Sequence[str]) -> str:
    """The hint for an input one dimension off: the spec may have written the batch dimension
    in (or forgotten a dimension of) a shape under ``inputs``."""
    return (
        "shapes under `inputs` leave out the batch dimension: a model input feeding "
        f"{layer} is written `shape: [{', '.join(dims)}]`"
    )


# --------------------------------------------------------------------------- arguments


_FROM_ARGS: Final = object()


class _Args:
    """A layer's arguments as a spec gives them, with Keras' defaults behind them."""

    def __init__(self, layer: str, given: Mapping[str, Any], defaults: Mapping[str, Any]) -> None:
        self.layer = layer
        self.given = given
        self.defaults = defaults

    def raw(self, name: str) -> Any:
        """The value written, else the default; a missing required argument is `_Unknown`."""
        if name in self.given:
            return self.given[name]
        if name in self.defaults:
            return self.defaults[name]
        raise _Unknown(name)

    def integer(self, name: str, minimum: int | None = 1) -> int:
        value = self.raw(name)
        if not is_int(value):
            raise _Unknown(name)
        if minimum is not None and value < minimum:
            need = "positive" if minimum == 1 else f"at least {minimum}"
            raise ShapeError(f"{name} must be {need}, but received {value!r}", argument=name)
        return int(value)

    def optional_integer(self, name: str, minimum: int = 1) -> int | None:
        return None if self.raw(name) is None else self.integer(name, minimum)

    def ints(self, name: str, n: int, minimum: int = 1, value: Any = _FROM_ARGS) -> tuple[int, ...]:
        """Keras' ``standardize_tuple``: an int, or a list of ``n`` ints, each >= ``minimum``."""
        value = self.raw(name) if value is _FROM_ARGS else value
        if is_int(value):
            result: tuple[int, ...] = (int(value),) * n
        elif isinstance(value, list | tuple) and all(is_int(v) for v in value):
            if len(value) != n:
                raise ShapeError(
                    f"{name} must be an int or a list of {n} ints, but received {value!r}",
                    argument=name,
                )
            result = tuple(int(v) for v in value)
        else:
            raise _Unknown(name)
        if any(v < minimum for v in result):
            need = "positive" if minimum == 1 else "non-negative"
            raise ShapeError(f"{name} must be {need}, but received {value!r}", argument=name)
        return result

    def flag(self, name: str) -> bool:
        value = self.raw(name)
        if not isinstance(value, bool):
            raise _Unknown(name)
        return value

    def number(self, name: str) -> float:
        value = self.raw(name)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise _Unknown(name)
        return float(value)

    def text(self, name: str) -> str:
        value = self.raw(name)
        if not isinstance(value, str) or "${" in value:
            raise _Unknown(name)
        return value

    def data_format(self) -> str:
        value = self.raw("data_format")
        if value is None:
            return "channels_last"
        if not isinstance(value, str) or "${" in value:
            raise _Unknown("data_format")
        lowered = value.lower()
        if lowered not in ("channels_last", "channels_first"):
            raise ShapeError(
                f"data_format must be 'channels_last' or 'channels_first', but received {value!r}",
                argument="data_format",
            )
        return lowered

    def padding(self, allowed: tuple[str, ...], lower: bool = True) -> str:
        value = self.text("padding")
        padding = value.lower() if lower else value
        if padding not in allowed:
            options = " or ".join(repr(a) for a in allowed)
            raise ShapeError(
                f"padding must be {options}, but received {value!r}",
                None if lower else "pooling layers take the padding in lower case",
                argument="padding",
            )
        return padding


# --------------------------------------------------------------------------- rule registry

_Rule: TypeAlias = Callable[[_Args, Sequence[Shape]], LayerShape]


@dataclass(frozen=True)
class _Entry:
    rule: _Rule
    defaults: Mapping[str, Any]
    arity: tuple[int, int] = (1, 1)


_RULES: dict[str, _Entry] = {}


def _add(
    name: str,
    rule: _Rule,
    defaults: Mapping[str, Any] | None = None,
    arity: tuple[int, int] = (1, 1),
) -> None:
    _RULES[name] = _Entry(rule, MappingProxyType(dict(defaults or {})), arity)


@functools.cache
def _aliases() -> Mapping[str, str]:
    """Every name of a layer with a rule (``MaxPool2D`` as well as ``MaxPooling2D``), mapped to
    the name its rule is registered under; Keras' aliases come from the catalogue.

    Read on first use, not at import: the catalogue is JSON, and `validate` reads it anyway
    when it checks the arguments.
    """
    layers = load_catalogue().layers
    return MappingProxyType(
        {name: info.canonical for name, info in layers.items() if info.canonical in _RULES}
        | {name: name for name in _RULES}
    )


def _canonical(layer: str) -> str:
    """The class name a rule is registered under: ``MaxPool2D`` -> ``MaxPooling2D``."""
    return _aliases().get(layer, layer)


def known_layers() -> frozenset[str]:
    """Layer names (aliases included) that `infer_layer` has a rule for."""
    return frozenset(_aliases())


def infer_layer(layer: str, args: Mapping[str, Any], inputs: Sequence[Shape]) -> LayerShape | None:
    """Output shape(s) and parameter counts of ``layer`` built with ``args`` on ``inputs``.

    Returns None when there is no rule for ``layer``, or when an argument the rule needs is
    missing or of a type it cannot read (the argument checks report those). Raises
    `ShapeError` when the inputs or argument values cannot fit the layer.
    """
    entry = _RULES.get(_canonical(layer))
    if entry is None:
        return None
    low, high = entry.arity
    if not low <= len(inputs) <= high:
        if low == high == 1:
            want = "one input"
        elif high >= 1000:
            want = f"at least {low} inputs"
        else:
            want = f"{low} to {high} inputs" if low != high else f"{low} inputs"
        raise ShapeError(f"{layer} takes {want}, but received {len(inputs)}")
    try:
        return entry.rule(_Args(layer, args, entry.defaults), [tuple(s) for s in inputs])
    except _Unknown:
        return None


# --------------------------------------------------------------------------- helpers


def _rank_error(
    layer: str, dims: Sequence[str], shape: Shape, detail: str = "", hint: str | None = None
) -> ShapeError:
    """``layer`` wants a rank-``len(dims) + 1`` input (the batch, then ``dims``)."""
    rank = len(dims) + 1
    layout = ", ".join(("batch", *dims))
    hints = [_inputs_hint(layer, dims)] if abs(len(shape) + 1 - rank) == 1 else []
    if hint is not None:
        hints.append(hint)
    return ShapeError(
        f"{layer} expects a rank-{rank} input ({layout}){detail}, but received {_tensor(shape)}",
        "; ".join(hints) or None,
    )


def _min_rank_error(layer: str, shape: Shape, what: str = "an input") -> ShapeError:
    """``layer`` wants at least one dimension besides the batch, and got none."""
    return ShapeError(
        f"{layer} expects {what} of rank 2 or more (batch, …, features), but received "
        f"{_tensor(shape)}",
        _inputs_hint(layer, ["…", "features"]),
    )


def _axis_index(axis: int, rank: int) -> int | None:
    """The position in a batch-less shape of rank ``rank`` of a Keras ``axis`` (which counts
    the batch); None for the batch axis itself. Raises IndexError when out of range."""
    full = rank + 1
    if not -full <= axis < full:
        raise IndexError(axis)
    position = axis % full
    return None if position == 0 else position - 1


def _known(layer: str, shape: Shape, index: int, what: str) -> int:
    value = shape[index]
    if value is None:
        raise ShapeError(
            f"{layer} needs a known {what}, but received {_tensor(shape)}",
            "its weights are sized by that dimension; give the input a fixed size",
        )
    return value


_SPATIAL: Final = {1: ("steps",), 2: ("height", "width"), 3: ("dim1", "dim2", "dim3")}


def _layout(rank: int, data_format: str) -> tuple[tuple[str, ...], str]:
    """The dimensions after the batch of an image-like input, and the words that follow them."""
    spatial = _SPATIAL[rank]
    if data_format == "channels_last":
        return (*spatial, "channels"), " with data_format channels_last"
    return ("channels", *spatial), " with data_format channels_first"


def _split(layer: str, shape: Shape, rank: int, data_format: str) -> tuple[Shape, int | None]:
    """Spatial dims and channels of an image-like input, after checking its rank."""
    if len(shape) != rank + 1:
        dims, detail = _layout(rank, data_format)
        raise _rank_error(layer, dims, shape, detail)
    if data_format == "channels_last":
        return shape[:-1], shape[-1]
    return shape[1:], shape[0]


def _join(spatial: Shape, channels: int | None, data_format: str) -> Shape:
    if data_format == "channels_last":
        return (*spatial, channels)
    return (channels, *spatial)


def _window_dims(
    shape: Shape,
    spatial: Shape,
    window: tuple[int, ...],
    strides: tuple[int, ...],
    padding: str,
    dilation: tuple[int, ...],
    what: str,
) -> Shape:
    """Keras' ``compute_conv_output_shape``/``compute_pooling_output_shape`` per dimension."""
    out: list[int | None] = []
    too_small = False
    for n, k, s, d in zip(spatial, window, strides, dilation, strict=True):
        if n is None:
            out.append(None)
        elif padding == "valid":
            size = (n - d * (k - 1) - 1) // s + 1
            too_small = too_small or size <= 0
            out.append(size)
        else:  # same, causal
            out.append((n - 1) // s + 1)
    if too_small:
        dilated = ""
        if any(d > 1 for d in dilation):
            effective = tuple(d * (k - 1) + 1 for k, d in zip(window, dilation, strict=True))
            dilated = f" (dilated to {_sizes(effective)})"
        raise ShapeError(
            f"{what} {_sizes(window)}{dilated} with padding 'valid' is larger than the spatial "
            f"size {_sizes(spatial)} of the input {_tensor(shape)}",
            f"use padding 'same', a smaller {what}, or a larger input",
        )
    return tuple(out)


# --------------------------------------------------------------------------- core layers


def _dense(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    units = a.integer("units")
    use_bias = a.flag("use_bias")
    if a.raw("lora_rank") is not None or a.raw("quantization_config") is not None:
        raise _Unknown("lora_rank")
    if not shape:
        raise _min_rank_error(a.layer, shape)
    features = shape[-1]
    if features is None:
        raise ShapeError(
            f"Dense needs a known last input dimension, but received {_tensor(shape)}",
            "its kernel is sized by the last dimension; a Flatten of an unknown size or a "
            "variable-length input gives None there",
        )
    return LayerShape(((*shape[:-1], units),), features * units + (units if use_bias else 0))


_add(
    "Dense",
    _dense,
    {"activation": None, "use_bias": True, "lora_rank": None, "quantization_config": None},
)


def _same_shape(check: Callable[[_Args], None] | None = None) -> _Rule:
    def rule(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
        if check is not None:
            check(a)
        return LayerShape((inputs[0],))

    return rule


def _rate(name: str) -> Callable[[_Args], None]:
    def check(a: _Args) -> None:
        value = a.number(name)
        if not 0 <= value <= 1:
            raise ShapeError(
                f"{name} must be between 0 and 1, but received {a.raw(name)!r}", argument=name
            )

    return check


def _dropout_check(a: _Args) -> None:
    _rate("rate")(a)
    noise = a.raw("noise_shape")
    if noise is None:
        return
    if not isinstance(noise, list | tuple) or not all(d is None or is_int(d) for d in noise):
        raise _Unknown("noise_shape")
    if any(d is not None and d <= 0 for d in noise):
        raise ShapeError(
            f"noise_shape sizes must be positive or null, but received {noise!r}",
            argument="noise_shape",
        )


_add("Activation", _same_shape())
_add("Identity", _same_shape())
_add("Masking", _same_shape(), {"mask_value": 0.0})
_add("ActivityRegularization", _same_shape(), {"l1": 0.0, "l2": 0.0})
_add("Dropout", _same_shape(_dropout_check), {"noise_shape": None})
_add("AlphaDropout", _same_shape(_dropout_check), {"noise_shape": None})
_add("GaussianDropout", _same_shape(_rate("rate")))
_add("GaussianNoise", _same_shape(_rate("stddev")))
_add("Rescaling", _same_shape(), {"offset": 0.0})
_add("ELU", _same_shape(), {"alpha": 1.0})


def _spatial_dropout(rank: int) -> _Rule:
    def rule(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
        (shape,) = inputs
        _rate("rate")(a)
        dims: tuple[str, ...]
        if rank == 1:
            dims, detail = ("steps", "channels"), ""
        else:
            dims, detail = _layout(rank, a.data_format())
        if len(shape) != rank + 1:
            raise _rank_error(a.layer, dims, shape, detail)
        return LayerShape((shape,))

    return rule


_add("SpatialDropout1D", _spatial_dropout(1))
_add("SpatialDropout2D", _spatial_dropout(2), {"data_format": None})
_add("SpatialDropout3D", _spatial_dropout(3), {"data_format": None})


def _relu_check(a: _Args) -> None:
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


def _leaky_check(a: _Args) -> None:
    if a.raw("negative_slope") is None or a.number("negative_slope") < 0:
        raise ShapeError(
            f"negative_slope must be non-negative, but received {a.raw('negative_slope')!r}",
            argument="negative_slope",
        )


_add("ReLU", _same_shape(_relu_check), {"max_value": None, "negative_slope": 0.0, "threshold": 0.0})
_add("LeakyReLU", _same_shape(_leaky_check), {"negative_slope": 0.3})


def _softmax(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    axis = a.raw("axis")
    axes = axis if isinstance(axis, list | tuple) else [axis]
    if not all(is_int(x) for x in axes):
        raise _Unknown("axis")
    full = len(shape) + 1
    for x in axes:
        if not -full <= x < full:
            raise ShapeError(
                f"Softmax axis {axis!r} is out of range for the rank-{full} input {_tensor(shape)}",
                "axis counts the batch dimension; -1 is the last dimension",
            )
    return LayerShape((shape,))


_add("Softmax", _softmax, {"axis": -1})


def _prelu(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    shared = a.raw("shared_axes")
    if shared is None:
        axes: list[Any] = []
    elif isinstance(shared, list | tuple):
        axes = list(shared)
    else:
        axes = [shared]
    if not all(is_int(x) for x in axes):
        raise _Unknown("shared_axes")
    alpha: list[int | None] = list(shape)
    for axis in axes:
        if not -len(alpha) <= axis - 1 < len(alpha):
            raise ShapeError(
                f"shared_axes {shared!r} is out of range for the rank-{len(shape) + 1} input "
                f"{_tensor(shape)}",
                "shared_axes count the batch dimension: 1 is the first dimension after it",
            )
        alpha[axis - 1] = 1
    if any(d is None for d in alpha):
        raise ShapeError(
            f"PReLU needs known sizes for every dimension it does not share, but received "
            f"{_tensor(shape)} with shared_axes {shared!r}",
            "share the unknown axes (shared_axes counts the batch dimension) or fix the size",
        )
    return LayerShape((shape,), _prod([d for d in alpha if d is not None]))


_add("PReLU", _prelu, {"shared_axes": None})

# --------------------------------------------------------------------------- reshaping


def _flatten(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    a.data_format()
    if not shape:
        return LayerShape(((1,),))
    if any(d is None for d in shape):
        return LayerShape(((None,),))
    return LayerShape(((_prod([d for d in shape if d is not None]),),))


_add("Flatten", _flatten, {"data_format": None})


def _reshape(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    target = a.raw("target_shape")
    if not isinstance(target, list | tuple) or not all(d is None or is_int(d) for d in target):
        raise _Unknown("target_shape")
    if any(d is not None and d < -1 for d in target) or sum(d == -1 for d in target) > 1:
        raise ShapeError(
            "target_shape sizes must be non-negative, with at most one -1, but received "
            f"{target!r}",
            argument="target_shape",
        )
    if None in shape or None in target:
        return LayerShape((tuple(None if d == -1 else d for d in target),))
    size = _prod([d for d in shape if d is not None])
    known = _prod([d for d in target if d is not None and d != -1])
    hint = "the target must hold exactly as many values as the input; -1 infers one size"
    if -1 not in target:
        if size != known:
            raise ShapeError(
                f"target_shape {_sizes(target)} holds {known} values per sample but the input "
                f"{_tensor(shape)} holds {size}",
                hint,
            )
        return LayerShape((tuple(target),))
    if known == 0 or size % known:
        raise ShapeError(
            f"target_shape {_sizes(target)} cannot hold the {size} values per sample of the "
            f"input {_tensor(shape)}: {size} is not a multiple of {known}",
            hint,
        )
    return LayerShape((tuple(size // known if d == -1 else d for d in target),))


_add("Reshape", _reshape)


def _permute(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    dims = a.raw("dims")
    if not isinstance(dims, list | tuple) or not all(is_int(d) for d in dims):
        raise _Unknown("dims")
    if sorted(dims) != list(range(1, len(dims) + 1)):
        raise ShapeError(
            f"dims must be a permutation of 1..{len(dims)}, but received {dims!r}",
            "dims count the batch dimension: 1 is the first dimension after it",
            argument="dims",
        )
    if len(shape) != len(dims):
        names = [f"dim{d}" for d in range(1, len(dims) + 1)]
        raise _rank_error(a.layer, names, shape, f" for dims {list(dims)!r}")
    return LayerShape((tuple(shape[d - 1] for d in dims),))


_add("Permute", _permute)


def _repeat_vector(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    n = a.integer("n")
    if len(shape) != 1:
        raise _rank_error(a.layer, ["features"], shape)
    return LayerShape(((n, shape[0]),))


_add("RepeatVector", _repeat_vector)


def _pairs(a: _Args, name: str, rank: int, minimum: int = 0) -> tuple[tuple[int, ...], ...]:
    """ZeroPadding/Cropping amounts: an int, ``rank`` ints or ``rank`` pairs of ints."""
    value = a.raw(name)
    if is_int(value):
        if value < minimum:
            raise ShapeError(f"{name} must be non-negative, but received {value!r}", argument=name)
        return ((int(value), int(value)),) * rank
    if not isinstance(value, list | tuple):
        raise _Unknown(name)
    if len(value) != rank:
        raise ShapeError(f"{name} must have {rank} entries, but received {value!r}", argument=name)
    return tuple(a.ints(name, 2, 0, value=item) for item in value)


def _padding_rule(rank: int, crop: bool) -> _Rule:
    name = "cropping" if crop else "padding"

    def rule(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
        (shape,) = inputs
        amounts: tuple[tuple[int, ...], ...]
        if rank == 1:
            amounts = (a.ints(name, 2, 0),)
            data_format = "channels_last" if crop else a.data_format()
        else:
            amounts = _pairs(a, name, rank, minimum=0 if crop else -(2**62))
            data_format = a.data_format()
        spatial, channels = _split(a.layer, shape, rank, data_format)
        out: list[int | None] = []
        for n, (before, after) in zip(spatial, amounts, strict=True):
            if n is None:
                out.append(None)
            elif crop:
                if n - before - after <= 0:
                    raise ShapeError(
                        f"cropping {_sizes([b + e for b, e in amounts])} in total leaves nothing "
                        f"of the spatial size {_sizes(spatial)} of the input {_tensor(shape)}",
                        "each cropping total must be smaller than its dimension",
                    )
                out.append(n - before - after)
            else:
                out.append(n + before + after)
        return LayerShape((_join(tuple(out), channels, data_format),))

    return rule


def _up_sampling(rank: int) -> _Rule:
    def rule(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
        (shape,) = inputs
        size: tuple[int, ...]
        if rank == 1:
            size = (a.integer("size"),)
            data_format = "channels_last"
        else:
            size = a.ints("size", rank)
            data_format = a.data_format()
        spatial, channels = _split(a.layer, shape, rank, data_format)
        out = tuple(None if n is None else n * s for n, s in zip(spatial, size, strict=True))
        return LayerShape((_join(out, channels, data_format),))

    return rule


_add("ZeroPadding1D", _padding_rule(1, False), {"padding": 1, "data_format": None})
_add("ZeroPadding2D", _padding_rule(2, False), {"padding": [1, 1], "data_format": None})
_add(
    "ZeroPadding3D",
    _padding_rule(3, False),
    {"padding": [[1, 1], [1, 1], [1, 1]], "data_format": None},
)
_add("Cropping1D", _padding_rule(1, True), {"cropping": [1, 1]})
_add("Cropping2D", _padding_rule(2, True), {"cropping": [[0, 0], [0, 0]], "data_format": None})
_add(
    "Cropping3D",
    _padding_rule(3, True),
    {"cropping": [[1, 1], [1, 1], [1, 1]], "data_format": None},
)
_add("UpSampling1D", _up_sampling(1), {"size": 2})
_add(
    "UpSampling2D",
    _up_sampling(2),
    {"size": [2, 2], "data_format": None, "interpolation": "nearest"},
)
_add("UpSampling3D", _up_sampling(3), {"size": [2, 2, 2], "data_format": None})

# --------------------------------------------------------------------------- convolutions


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
            f"{layer} needs a known number of input channels, but received {_tensor(shape)}",
            "its kernel is sized by the channels; check data_format",
        )
    return channels


def _conv(rank: int) -> _Rule:
    def rule(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
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
            raise _Unknown("lora_rank")
        if filters % groups:
            raise ShapeError(
                f"filters ({filters}) must be a multiple of groups ({groups})", argument="filters"
            )
        _no_strided_dilation(strides, dilation)
        spatial, channels = _split(a.layer, shape, rank, data_format)
        c = _channels(a.layer, shape, channels)
        if c % groups:
            raise ShapeError(
                f"{a.layer} with groups {groups} needs input channels divisible by {groups}, "
                f"but received {_tensor(shape)} ({c} channels)"
            )
        out = _window_dims(shape, spatial, kernel, strides, padding, dilation, "kernel_size")
        params = _prod(kernel) * (c // groups) * filters + (filters if use_bias else 0)
        return LayerShape((_join(out, filters, data_format),), params)

    return rule


def _no_strided_dilation(strides: tuple[int, ...], dilation: tuple[int, ...]) -> None:
    if max(strides) > 1 and max(dilation) > 1:
        raise ShapeError(
            f"strides {_sizes(strides)} and dilation_rate {_sizes(dilation)} cannot both exceed 1",
            "Keras supports either strides > 1 or dilation_rate > 1, not both",
            argument="strides",
        )


def _conv_transpose(rank: int) -> _Rule:
    def rule(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
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
                f"output_padding {_sizes(output_padding)} must be smaller than strides "
                f"{_sizes(strides)} in every dimension",
                argument="output_padding",
            )
        _no_strided_dilation(strides, dilation)
        spatial, channels = _split(a.layer, shape, rank, data_format)
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
        params = _prod(kernel) * c * filters + (filters if use_bias else 0)
        return LayerShape((_join(tuple(out), filters, data_format),), params)

    return rule


def _depthwise(rank: int, separable: bool) -> _Rule:
    def rule(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
        (shape,) = inputs
        multiplier = a.integer("depth_multiplier")
        filters = a.integer("filters") if separable else 0
        kernel = a.ints("kernel_size", rank)
        strides = a.ints("strides", rank)
        dilation = a.ints("dilation_rate", rank)
        padding = a.padding(("valid", "same"))
        data_format = a.data_format()
        use_bias = a.flag("use_bias")
        spatial, channels = _split(a.layer, shape, rank, data_format)
        c = _channels(a.layer, shape, channels)
        out = _window_dims(shape, spatial, kernel, strides, padding, dilation, "kernel_size")
        depthwise = _prod(kernel) * c * multiplier
        if separable:
            params = depthwise + c * multiplier * filters + (filters if use_bias else 0)
            return LayerShape((_join(out, filters, data_format),), params)
        params = depthwise + (c * multiplier if use_bias else 0)
        return LayerShape((_join(out, c * multiplier, data_format),), params)

    return rule


for _r in (1, 2, 3):
    _add(f"Conv{_r}D", _conv(_r), _conv_defaults(_r, groups=1, lora_rank=None))
    _add(f"Conv{_r}DTranspose", _conv_transpose(_r), _conv_defaults(_r, output_padding=None))
for _r in (1, 2):
    _add(f"DepthwiseConv{_r}D", _depthwise(_r, False), _conv_defaults(_r, depth_multiplier=1))
    _add(f"SeparableConv{_r}D", _depthwise(_r, True), _conv_defaults(_r, depth_multiplier=1))

# --------------------------------------------------------------------------- pooling


def _pooling(rank: int) -> _Rule:
    def rule(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
        (shape,) = inputs
        pool = a.ints("pool_size", rank)
        strides = pool if a.raw("strides") is None else a.ints("strides", rank)
        padding = a.padding(("valid", "same"), lower=False)
        data_format = a.data_format()
        spatial, channels = _split(a.layer, shape, rank, data_format)
        out = _window_dims(shape, spatial, pool, strides, padding, (1,) * rank, "pool_size")
        return LayerShape((_join(out, channels, data_format),))

    return rule


def _global_pooling(rank: int) -> _Rule:
    def rule(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
        (shape,) = inputs
        data_format = a.data_format()
        keepdims = a.flag("keepdims")
        _, channels = _split(a.layer, shape, rank, data_format)
        if keepdims:
            return LayerShape((_join((1,) * rank, channels, data_format),))
        return LayerShape(((channels,),))

    return rule


_POOL_DEFAULTS: Final = {1: 2, 2: [2, 2], 3: [2, 2, 2]}
for _r in (1, 2, 3):
    _pool_args = {"strides": None, "padding": "valid", "data_format": None}
    _add(f"MaxPooling{_r}D", _pooling(_r), {"pool_size": _POOL_DEFAULTS[_r], **_pool_args})
    _add(f"AveragePooling{_r}D", _pooling(_r), _pool_args)
    _global_args = {"data_format": None, "keepdims": False}
    _add(f"GlobalMaxPooling{_r}D", _global_pooling(_r), _global_args)
    _add(f"GlobalAveragePooling{_r}D", _global_pooling(_r), _global_args)

# --------------------------------------------------------------------------- embeddings, RNNs


def _embedding(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    input_dim = a.integer("input_dim")
    output_dim = a.integer("output_dim")
    if a.raw("lora_rank") is not None or a.raw("quantization_config") is not None:
        raise _Unknown("lora_rank")
    return LayerShape(((*shape, output_dim),), input_dim * output_dim)


_add(
    "Embedding",
    _embedding,
    {"mask_zero": False, "lora_rank": None, "quantization_config": None},
)

_GATES: Final = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}
_STATES: Final = {"SimpleRNN": 1, "GRU": 1, "LSTM": 2}
_RNN_DEFAULTS: Final = {
    "use_bias": True,
    "return_sequences": False,
    "return_state": False,
    "go_backwards": False,
    "stateful": False,
}


def _rnn_parts(a: _Args, shape: Shape) -> tuple[Shape, tuple[Shape, ...], int]:
    """An RNN's output shape, its state shapes and its (trainable) parameter count."""
    kind = _canonical(a.layer)
    units = a.integer("units")
    use_bias = a.flag("use_bias")
    sequences = a.flag("return_sequences")
    a.flag("return_state")
    if a.flag("stateful"):
        raise ShapeError(
            f"{kind} with stateful=True needs a fixed batch size, which a spec does not give",
            "remove stateful, or keep state across batches in the training loop",
            argument="stateful",
        )
    if len(shape) != 2:
        raise _rank_error(
            a.layer,
            ["timesteps", "features"],
            shape,
            hint="an RNN reads sequences: add a Reshape or an Embedding before it",
        )
    features = shape[1]
    if features is None:
        raise ShapeError(
            f"{kind} needs a known last input dimension (features), but received {_tensor(shape)}",
            "its kernel is sized by the features",
        )
    gates = _GATES[kind]
    params = gates * (features * units + units * units)
    if use_bias:
        reset_after = kind == "GRU" and a.flag("reset_after")
        params += gates * units * (2 if reset_after else 1)
    output: Shape = (shape[0], units) if sequences else (units,)
    return output, ((units,),) * _STATES[kind], params


def _rnn(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
    output, states, params = _rnn_parts(a, inputs[0])
    outputs = (output, *states) if a.flag("return_state") else (output,)
    return LayerShape(outputs, params)


_add("SimpleRNN", _rnn, _RNN_DEFAULTS)
_add("GRU", _rnn, {**_RNN_DEFAULTS, "reset_after": True})
_add("LSTM", _rnn, _RNN_DEFAULTS)


def _bidirectional(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
    inner = a.raw("layer")
    if a.raw("backward_layer") is not None or not isinstance(inner, Mapping):
        raise _Unknown("layer")
    kind = inner.get("layer")
    if not isinstance(kind, str) or kind not in _GATES:
        raise _Unknown("layer")
    merge_mode = a.raw("merge_mode")
    if merge_mode not in ("sum", "mul", "ave", "concat", None):
        raise ShapeError(
            "merge_mode must be 'sum', 'mul', 'ave', 'concat' or null, but received "
            f"{merge_mode!r}",
            argument="merge_mode",
        )
    inner_args = {k: v for k, v in inner.items() if k != "layer"}
    wrapped = _Args(kind, inner_args, _RULES[kind].defaults)
    try:
        output, states, params = _rnn_parts(wrapped, inputs[0])
    except ShapeError as error:
        raise _wrapped(error) from None
    if merge_mode == "concat":
        last = output[-1]
        outputs: tuple[Shape, ...] = ((*output[:-1], None if last is None else 2 * last),)
    elif merge_mode is None:
        outputs = (output, output)
    else:
        outputs = (output,)
    if wrapped.flag("return_state"):
        outputs = outputs + states + states
    return LayerShape(outputs, 2 * params)


_add("Bidirectional", _bidirectional, {"merge_mode": "concat", "backward_layer": None})


def _wrapped(error: ShapeError) -> ShapeError:
    """An error of a wrapped layer, as the wrapper's: a value the wrapped layer refuses is the
    wrapper's ``layer`` argument refused; an input it refuses is the wrapper's input."""
    if error.argument is None:
        return error
    return ShapeError(error.message, error.hint, argument="layer")


def _time_distributed(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
    inner = a.raw("layer")
    if not isinstance(inner, Mapping) or not isinstance(inner.get("layer"), str):
        raise _Unknown("layer")
    kind = inner["layer"]
    entry = _RULES.get(_canonical(kind))
    if entry is not None and entry.arity[0] > 1:
        raise ShapeError(
            f"TimeDistributed calls the layer it wraps on one input, but {kind} takes "
            f"{entry.arity[0]} or more",
            argument="layer",
        )
    shape = inputs[0]
    inner_args = {k: v for k, v in inner.items() if k != "layer"}
    # Keras builds the wrapped layer before it sees the input: a value the wrapped layer
    # refuses is reported even when the input is too small to be time-distributed.
    try:
        result = infer_layer(kind, inner_args, [shape[1:]])
    except ShapeError as error:
        if error.argument is not None or len(shape) >= 2:
            raise _wrapped(error) from None
        result = None
    if len(shape) < 2:
        hint = _inputs_hint(a.layer, ["timesteps", "…"]) if len(shape) == 1 else None
        raise ShapeError(
            "TimeDistributed expects an input of rank 3 or more (batch, timesteps, …), but "
            f"received {_tensor(shape)}",
            hint,
        )
    if result is None:
        raise _Unknown("layer")
    outputs = tuple((shape[0], *out) for out in result.outputs)
    return LayerShape(outputs, result.trainable, result.non_trainable)


_add("TimeDistributed", _time_distributed)

# --------------------------------------------------------------------------- normalization


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
            position = _axis_index(axis, len(shape))
        except IndexError:
            raise ShapeError(
                f"axis {written!r} is out of range for the rank-{rank} input {_tensor(shape)}",
                "axis counts the batch dimension; -1 is the last dimension",
            ) from None
        size = None if position is None else shape[position]
        if size is None and known:
            if position is None:
                raise ShapeError(
                    f"axis {written!r} names the batch axis of the rank-{rank} input "
                    f"{_tensor(shape)}, {unknown}",
                    sized,
                )
            raise ShapeError(
                f"{layer} needs a known size on axis {axis}, but received {_tensor(shape)}", sized
            )
        dims.append(1 if size is None else size)
    return dims


def _batch_norm(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    axis = a.raw("axis")
    if not is_int(axis):
        raise _Unknown("axis")
    center, scale, renorm = a.flag("center"), a.flag("scale"), a.flag("renorm")
    (size,) = _axis_dims(a.layer, shape, [axis], axis)
    return LayerShape((shape,), size * (center + scale), size * (2 + 3 * renorm))


_add(
    "BatchNormalization",
    _batch_norm,
    {"axis": -1, "center": True, "scale": True, "renorm": False},
)


def _layer_norm(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    axis = a.raw("axis")
    axes = list(axis) if isinstance(axis, list | tuple) else [axis]
    if not all(is_int(x) for x in axes):
        raise _Unknown("axis")
    axes.sort()
    center, scale = a.flag("center"), a.flag("scale")
    size = _prod(_axis_dims(a.layer, shape, axes, axis, known=center or scale))
    return LayerShape((shape,), size * (center + scale))


_add("LayerNormalization", _layer_norm, {"axis": -1, "center": True, "scale": True})


def _normalization(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
    """Normalization: the statistics are weights (not trainable) unless mean and variance are
    given, which makes them constants."""
    (shape,) = inputs
    if a.raw("mean") is not None and a.raw("variance") is not None:
        return LayerShape((shape,), 0)
    axis = a.raw("axis")
    axes = [] if axis is None else list(axis) if isinstance(axis, list | tuple) else [axis]
    if not all(is_int(x) for x in axes):
        raise _Unknown("axis")
    axes.sort()
    size = _prod(_axis_dims(a.layer, shape, axes, axis))
    return LayerShape((shape,), 0, 2 * size + 1)


_add("Normalization", _normalization, {"axis": -1, "mean": None, "variance": None})


def _group_norm(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    groups = a.raw("groups")
    if not is_int(groups):
        raise _Unknown("groups")
    if groups <= 0 and groups != -1:
        raise ShapeError(
            f"groups must be positive (or -1), but received {groups!r}", argument="groups"
        )
    axis = a.raw("axis")
    if not is_int(axis):
        raise _Unknown("axis")
    center, scale = a.flag("center"), a.flag("scale")
    (size,) = _axis_dims(a.layer, shape, [axis], axis)
    groups = size if groups == -1 else groups
    if size < groups or size % groups:
        raise ShapeError(
            f"GroupNormalization with groups {groups} needs a channel count that is a "
            f"multiple of {groups}, but received {_tensor(shape)} ({size} channels on axis "
            f"{axis})"
        )
    return LayerShape((shape,), size * (center + scale))


_add(
    "GroupNormalization",
    _group_norm,
    {"groups": 32, "axis": -1, "center": True, "scale": True},
)

# --------------------------------------------------------------------------- attention


def _multi_head_attention(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
    heads = a.integer("num_heads")
    key_dim = a.integer("key_dim")
    value_dim = a.optional_integer("value_dim") or key_dim
    use_bias = a.flag("use_bias")
    use_gate = a.flag("use_gate")
    out_arg = a.raw("output_shape")
    if not out_arg:
        projection: tuple[int, ...] | None = None
    elif is_int(out_arg):
        projection = (int(out_arg),)
    elif isinstance(out_arg, list | tuple) and all(is_int(d) for d in out_arg):
        projection = tuple(out_arg)
    else:
        raise _Unknown("output_shape")
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    names = ("query", "value", "key")
    for name, shape in zip(names, (query, value, key), strict=True):
        if not shape:
            raise _min_rank_error(a.layer, shape, f"a {name}")
    if value[:-1] != key[:-1]:
        raise ShapeError(
            f"MultiHeadAttention value {_tensor(value)} and key {_tensor(key)} must match in "
            "every dimension but the last",
        )
    dims = []
    for name, shape in zip(names, (query, value, key), strict=True):
        if shape[-1] is None:
            raise ShapeError(
                f"MultiHeadAttention needs a known last dimension of the {name}, but received "
                f"{_tensor(shape)}",
                "the projections are sized by the last dimension",
            )
        dims.append(shape[-1])
    q, v, k = dims
    projection_out = projection or (q,)
    kernels = heads * (key_dim * (q + k) + value_dim * v)
    kernels += heads * value_dim * _prod(projection_out)
    biases = heads * (2 * key_dim + value_dim) + _prod(projection_out)
    if use_gate:
        kernels += q * heads * value_dim
        biases += heads * value_dim
    params = kernels + (biases if use_bias else 0)
    return LayerShape((query[:-1] + projection_out,), params)


_add(
    "MultiHeadAttention",
    _multi_head_attention,
    {"value_dim": None, "use_bias": True, "output_shape": None, "use_gate": False},
    arity=(2, 3),
)


def _attention(additive: bool) -> _Rule:
    def rule(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
        use_scale = a.flag("use_scale")
        score_mode = a.text("score_mode")
        if score_mode not in ("dot", "concat"):
            raise ShapeError(
                f"score_mode must be 'dot' or 'concat', but received {score_mode!r}",
                argument="score_mode",
            )
        query, value = inputs[0], inputs[1]
        for name, shape in (("query", query), ("value", value)):
            if not shape:
                raise _min_rank_error(a.layer, shape, f"a {name}")
        if additive:
            params = _known(a.layer, query, -1, "last query dimension") if use_scale else 0
        else:
            params = int(use_scale) + int(score_mode == "concat")
        return LayerShape(((*query[:-1], value[-1]),), params)

    return rule


_add("Attention", _attention(False), {"use_scale": False, "score_mode": "dot"}, arity=(2, 3))
_add(
    "AdditiveAttention",
    _attention(True),
    {"use_scale": True, "score_mode": "dot"},
    arity=(2, 3),
)

# --------------------------------------------------------------------------- merges

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
                    f"{op}: '{seen[1]}' gives {_tensor(seen[2])} but '{name_j}' gives "
                    f"{_tensor(shape_j)}",
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
        position = _axis_index(axis, rank)
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
                f"concatenate on axis {axis}: '{first_name}' gives {_tensor(first)} but "
                f"'{name}' gives {_tensor(shape)}; all inputs must have the same rank"
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
                    f"concatenate on axis {axis}: '{seen[1]}' gives {_tensor(seen[2])} but "
                    f"'{name_j}' gives {_tensor(shape_j)}; all dimensions but the "
                    "concatenation axis must match",
                    "the axis counts the batch dimension: -1 joins along the last one",
                )
    sizes = [shape[position] for _, shape in inputs]
    total = None if None in sizes else sum(s for s in sizes if s is not None)
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
            f"dot over axes {axes!r}: '{name1}' gives {_tensor(shape1)} with size {d1} there "
            f"but '{name2}' gives {_tensor(shape2)} with size {d2}",
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


def _merge_layer(op: str) -> _Rule:
    def rule(a: _Args, inputs: Sequence[Shape]) -> LayerShape:
        named = [(f"input {i}", shape) for i, shape in enumerate(inputs, start=1)]
        if op == "concatenate":
            axis = a.raw("axis")
            if not is_int(axis):
                raise _Unknown("axis")
            return infer_merge(op, named, axis=axis)
        if op == "dot":
            axes = a.raw("axes")
            if not (is_int(axes) or isinstance(axes, list | tuple)):
                raise _Unknown("axes")
            return infer_merge(op, named, axes=list(axes) if isinstance(axes, tuple) else axes)
        return infer_merge(op, named)

    return rule


for _op in MERGE_OPS:
    _add(
        MERGE_LAYERS[_op],
        _merge_layer(_op),
        {"axis": -1} if _op == "concatenate" else {"normalize": False} if _op == "dot" else {},
        arity=(1, 1_000_000),
    )
