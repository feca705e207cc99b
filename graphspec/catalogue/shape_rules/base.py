"""What every rule shares: the result and error types, the argument reader, the registry
with `infer_layer`, and the message helpers that print shapes in Keras' notation.

Internal to `graphspec.catalogue.shape_rules`: import the public names from the package.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, TypeAlias

from graphspec.catalogue.reader import load_catalogue
from graphspec.shape import Shape, format_shape, is_int


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


class Unknown(Exception):
    """No inference is possible: a required argument is missing or has an unusable type."""


def tensor(shape: Sequence[int | None]) -> str:
    """A (batch-less) tensor shape as a message prints it: ``(None, 16, 16, 3)``."""
    return format_shape(shape, batch=True)


def sizes(sizes: Sequence[int | None]) -> str:
    """An argument value or spatial sizes, printed as they are: ``(3, 3)``."""
    return format_shape(sizes)


def prod(values: Sequence[int]) -> int:
    result = 1
    for value in values:
        result *= value
    return result


def inputs_hint(layer: str, dims: Sequence[str]) -> str:
    """The hint for an input one dimension off: the spec may have written the batch dimension
    in (or forgotten a dimension of) a shape under ``inputs``."""
    return (
        "shapes under `inputs` leave out the batch dimension: a model input feeding "
        f"{layer} is written `shape: [{', '.join(dims)}]`"
    )


# --------------------------------------------------------------------------- arguments


_FROM_ARGS: Final = object()


class Args:
    """A layer's arguments as a spec gives them, with Keras' defaults behind them."""

    def __init__(
        self,
        layer: str,
        given: Mapping[str, Any],
        defaults: Mapping[str, Any],
        call: Mapping[str, Any] | None = None,
    ) -> None:
        self.layer = layer
        self.given = given
        self.defaults = defaults
        self.call: Mapping[str, Any] = call or {}
        """The plain values of the call's keyword arguments (`call: {return_attention_scores:
        true}`); references are left out."""

    def raw(self, name: str) -> Any:
        """The value written, else the default; a missing required argument is `Unknown`."""
        if name in self.given:
            return self.given[name]
        if name in self.defaults:
            return self.defaults[name]
        raise Unknown(name)

    def integer(self, name: str, minimum: int | None = 1) -> int:
        value = self.raw(name)
        if not is_int(value):
            raise Unknown(name)
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
            raise Unknown(name)
        if any(v < minimum for v in result):
            need = "positive" if minimum == 1 else "non-negative"
            raise ShapeError(f"{name} must be {need}, but received {value!r}", argument=name)
        return result

    def flag(self, name: str) -> bool:
        value = self.raw(name)
        if not isinstance(value, bool):
            raise Unknown(name)
        return value

    def number(self, name: str) -> float:
        value = self.raw(name)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise Unknown(name)
        return float(value)

    def text(self, name: str) -> str:
        value = self.raw(name)
        if not isinstance(value, str) or "${" in value:
            raise Unknown(name)
        return value

    def data_format(self) -> str:
        value = self.raw("data_format")
        if value is None:
            return "channels_last"
        if not isinstance(value, str) or "${" in value:
            raise Unknown("data_format")
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

Rule: TypeAlias = Callable[[Args, Sequence[Shape]], LayerShape]


@dataclass(frozen=True)
class Entry:
    rule: Rule
    defaults: Mapping[str, Any]
    arity: tuple[int, int] = (1, 1)


RULES: dict[str, Entry] = {}


def register(
    name: str,
    rule: Rule,
    defaults: Mapping[str, Any] | None = None,
    arity: tuple[int, int] = (1, 1),
) -> None:
    RULES[name] = Entry(rule, MappingProxyType(dict(defaults or {})), arity)


@functools.cache
def aliases() -> Mapping[str, str]:
    """Every name of a layer with a rule (``MaxPool2D`` as well as ``MaxPooling2D``), mapped to
    the name its rule is registered under; Keras' aliases come from the catalogue.

    Read on first use, not at import: the catalogue is JSON, and `validate` reads it anyway
    when it checks the arguments.
    """
    layers = load_catalogue().layers
    return MappingProxyType(
        {name: info.canonical for name, info in layers.items() if info.canonical in RULES}
        | {name: name for name in RULES}
    )


def canonical(layer: str) -> str:
    """The class name a rule is registered under: ``MaxPool2D`` -> ``MaxPooling2D``."""
    return aliases().get(layer, layer)


def known_layers() -> frozenset[str]:
    """Layer names (aliases included) that `infer_layer` has a rule for."""
    return frozenset(aliases())


def infer_layer(
    layer: str,
    args: Mapping[str, Any],
    inputs: Sequence[Shape],
    call: Mapping[str, Any] | None = None,
) -> LayerShape | None:
    """Output shape(s) and parameter counts of ``layer`` built with ``args`` and called on
    ``inputs`` with the keyword arguments ``call`` (plain values only).

    Returns None when there is no rule for ``layer``, or when an argument the rule needs is
    missing or of a type it cannot read (the argument checks report those). Raises
    `ShapeError` when the inputs or argument values cannot fit the layer.
    """
    entry = RULES.get(canonical(layer))
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
        return entry.rule(Args(layer, args, entry.defaults, call), [tuple(s) for s in inputs])
    except Unknown:
        return None


# --------------------------------------------------------------------------- helpers


def rank_error(
    layer: str, dims: Sequence[str], shape: Shape, detail: str = "", hint: str | None = None
) -> ShapeError:
    """``layer`` wants a rank-``len(dims) + 1`` input (the batch, then ``dims``)."""
    rank = len(dims) + 1
    written = ", ".join(("batch", *dims))
    hints = [inputs_hint(layer, dims)] if abs(len(shape) + 1 - rank) == 1 else []
    if hint is not None:
        hints.append(hint)
    return ShapeError(
        f"{layer} expects a rank-{rank} input ({written}){detail}, but received {tensor(shape)}",
        "; ".join(hints) or None,
    )


def min_rank_error(layer: str, shape: Shape, what: str = "an input") -> ShapeError:
    """``layer`` wants at least one dimension besides the batch, and got none."""
    return ShapeError(
        f"{layer} expects {what} of rank 2 or more (batch, …, features), but received "
        f"{tensor(shape)}",
        inputs_hint(layer, ["…", "features"]),
    )


def axis_index(axis: int, rank: int) -> int | None:
    """The position in a batch-less shape of rank ``rank`` of a Keras ``axis`` (which counts
    the batch); None for the batch axis itself. Raises IndexError when out of range."""
    full = rank + 1
    if not -full <= axis < full:
        raise IndexError(axis)
    position = axis % full
    return None if position == 0 else position - 1


def known_size(layer: str, shape: Shape, index: int, what: str) -> int:
    value = shape[index]
    if value is None:
        raise ShapeError(
            f"{layer} needs a known {what}, but received {tensor(shape)}",
            "its weights are sized by that dimension; give the input a fixed size",
        )
    return value


_SPATIAL: Final = {1: ("steps",), 2: ("height", "width"), 3: ("dim1", "dim2", "dim3")}


def layout(rank: int, data_format: str) -> tuple[tuple[str, ...], str]:
    """The dimensions after the batch of an image-like input, and the words that follow them."""
    spatial = _SPATIAL[rank]
    if data_format == "channels_last":
        return (*spatial, "channels"), " with data_format channels_last"
    return ("channels", *spatial), " with data_format channels_first"


def split_channels(
    layer: str, shape: Shape, rank: int, data_format: str
) -> tuple[Shape, int | None]:
    """Spatial dims and channels of an image-like input, after checking its rank."""
    if len(shape) != rank + 1:
        dims, detail = layout(rank, data_format)
        raise rank_error(layer, dims, shape, detail)
    if data_format == "channels_last":
        return shape[:-1], shape[-1]
    return shape[1:], shape[0]


def join_channels(spatial: Shape, channels: int | None, data_format: str) -> Shape:
    if data_format == "channels_last":
        return (*spatial, channels)
    return (channels, *spatial)


def window_dims(
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
            dilated = f" (dilated to {sizes(effective)})"
        raise ShapeError(
            f"{what} {sizes(window)}{dilated} with padding 'valid' is larger than the spatial "
            f"size {sizes(spatial)} of the input {tensor(shape)}",
            f"use padding 'same', a smaller {what}, or a larger input",
        )
    return tuple(out)
