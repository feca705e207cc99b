"""The other layers with a rule: unit and RMS normalization, adaptive pooling,
ReversibleEmbedding, GroupQueryAttention (its projections are EinsumDense rules),
MelSpectrogram, STFTSpectrogram and ConvLSTM1D to 3D (which, as the recurrent layers, give
their two states as well with ``return_state``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphspec.catalogue.shape_rules.base import (
    Args,
    LayerShape,
    Rule,
    ShapeError,
    Unknown,
    axis_index,
    infer_layer,
    join_channels,
    layout,
    min_rank_error,
    prod,
    rank_error,
    register,
    split_channels,
    tensor,
    window_dims,
)
from graphspec.catalogue.shape_rules.convolution import _no_strided_dilation
from graphspec.catalogue.shape_rules.normalization import _axis_dims
from graphspec.shape import Shape, is_int


def _axes(a: Args) -> list[int]:
    axis = a.raw("axis")
    axes = list(axis) if isinstance(axis, list | tuple) else [axis]
    if not all(is_int(x) for x in axes):
        raise Unknown("axis")
    return sorted(axes)


def _unit_normalization(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    axis = a.raw("axis")
    for x in _axes(a):
        try:
            axis_index(x, len(shape))
        except IndexError:
            raise ShapeError(
                f"axis {axis!r} is out of range for the rank-{len(shape) + 1} input "
                f"{tensor(shape)}",
                "axis counts the batch dimension; -1 is the last dimension",
            ) from None
    return LayerShape((shape,))


register("UnitNormalization", _unit_normalization, {"axis": -1})


def _rms_normalization(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    """RMSNormalization: one trainable scale per position of the normalized axes."""
    (shape,) = inputs
    axes = _axes(a)
    return LayerShape((shape,), prod(_axis_dims(a.layer, shape, axes, a.raw("axis"))))


register("RMSNormalization", _rms_normalization, {"axis": -1})


def _adaptive_pooling(rank: int) -> Rule:
    """Adaptive pooling: the spatial dimensions become ``output_size``, the channels stay."""

    def rule(a: Args, inputs: Sequence[Shape]) -> LayerShape:
        (shape,) = inputs
        size = a.ints("output_size", rank)
        data_format = a.data_format()
        _, channels = split_channels(a.layer, shape, rank, data_format)
        return LayerShape((join_channels(size, channels, data_format),))

    return rule


for _rank in (1, 2, 3):
    for _kind in ("Average", "Max"):
        register(f"Adaptive{_kind}Pooling{_rank}D", _adaptive_pooling(_rank), {"data_format": None})


def _reversible_embedding(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    """ReversibleEmbedding called forwards: an Embedding, with a second (reverse) table
    unless ``tie_weights``."""
    (shape,) = inputs
    input_dim = a.integer("input_dim")
    output_dim = a.integer("output_dim")
    tied = a.flag("tie_weights")
    if a.given.get("lora_rank") is not None or a.given.get("quantization_config") is not None:
        raise Unknown("lora_rank")
    return LayerShape(((*shape, output_dim),), input_dim * output_dim * (1 if tied else 2))


register("ReversibleEmbedding", _reversible_embedding, {"tie_weights": True})


def _projection(a: Args, args: dict[str, Any], shape: Shape) -> LayerShape:
    """One of GroupQueryAttention's EinsumDense projections, its errors as the layer's."""
    result = infer_layer("EinsumDense", args, [shape])
    if result is None:  # pragma: no cover - the arguments are always readable
        raise Unknown(a.layer)
    return result


def _group_query_attention(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    head_dim = a.integer("head_dim")
    query_heads = a.integer("num_query_heads")
    kv_heads = a.integer("num_key_value_heads")
    use_bias = a.flag("use_bias")
    use_gate = a.flag("use_gate")
    if query_heads % kv_heads:
        raise ShapeError(
            f"num_query_heads ({query_heads}) must be divisible by num_key_value_heads "
            f"({kv_heads})",
            argument="num_query_heads",
        )
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    for name, shape in (("query", query), ("value", value), ("key", key)):
        if len(shape) != 2:
            if not shape:
                raise min_rank_error(a.layer, shape, f"a {name}")
            raise rank_error(a.layer, ["sequence", "features"], shape, f" for the {name}")
    if query[-1] != value[-1]:
        raise ShapeError(
            f"GroupQueryAttention needs query and value of the same last dimension, but "
            f"received {tensor(query)} and {tensor(value)}"
        )
    if value[:-1] != key[:-1]:
        raise ShapeError(
            f"GroupQueryAttention value {tensor(value)} and key {tensor(key)} must match in "
            "every dimension but the last"
        )

    def heads(letters: str, count: int, shape: Shape) -> int:
        bias = letters if use_bias else None
        args = {
            "equation": f"bqm,m{letters}->bq{letters}",
            "output_shape": [None, count, head_dim],
            "bias_axes": bias,
        }
        return _projection(a, args, shape).params

    params = heads("uh", query_heads, query) + heads("vh", kv_heads, key)
    params += heads("vh", kv_heads, value) + (heads("uh", query_heads, query) if use_gate else 0)
    features = query[-1]
    if features is None:
        raise ShapeError(
            f"GroupQueryAttention needs a known last dimension of the query, but received "
            f"{tensor(query)}",
            "the output projection is sized by it",
        )
    params += query_heads * head_dim * features + (features if use_bias else 0)
    return LayerShape((query,), params)


register(
    "GroupQueryAttention",
    _group_query_attention,
    {"use_bias": True, "use_gate": False},
    arity=(2, 3),
)


def _mel_spectrogram(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    """MelSpectrogram: ``(batch, samples)`` becomes ``(batch, num_mel_bins, frames)``."""
    (shape,) = inputs
    stride = a.integer("sequence_stride")
    bins = a.integer("num_mel_bins")
    if len(shape) != 1:
        raise rank_error(a.layer, ["samples"], shape)
    samples = shape[0]
    frames = None if samples is None else (samples + stride + 1) // stride
    return LayerShape(((bins, frames),))


register("MelSpectrogram", _mel_spectrogram, {"sequence_stride": 512, "num_mel_bins": 128})


def _stft_spectrogram(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    """STFTSpectrogram: a strided convolution over time whose kernels (the real and imaginary
    STFT filters, one of them for ``mode: real``/``imag``) are weights, trainable as Keras
    makes them by default."""
    (shape,) = inputs
    frame_length = a.integer("frame_length")
    step = a.optional_integer("frame_step")
    fft = a.optional_integer("fft_length")
    mode = a.text("mode")
    padding = a.padding(("valid", "same"), lower=False)
    data_format = a.data_format()
    expand = a.flag("expand_dims")
    if step is not None and step > frame_length:
        raise ShapeError(
            f"frame_step ({step}) must not be greater than frame_length ({frame_length})",
            argument="frame_step",
        )
    if fft is not None and fft < frame_length:
        raise ShapeError(
            f"fft_length ({fft}) must not be less than frame_length ({frame_length})",
            argument="fft_length",
        )
    modes = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")
    if mode not in modes:
        raise ShapeError(
            f"mode must be one of {', '.join(modes)}, but received {mode!r}", argument="mode"
        )
    fft = fft or 2 ** (frame_length - 1).bit_length()
    step = step or frame_length // 2
    (steps,), channels = split_channels(a.layer, shape, 1, data_format)
    if channels is None:
        raise ShapeError(
            f"STFTSpectrogram needs a known number of channels, but received {tensor(shape)}",
            "each channel gives its own frequency bins",
        )
    frequencies = (fft // 2 + 1) * (2 if mode == "stft" else 1)
    (frames,) = window_dims(
        shape, (steps,), (frame_length,), (step,), padding, (1,), "frame_length"
    )
    out: Shape
    if not expand:
        out = join_channels((frames,), frequencies * channels, data_format)
    elif data_format == "channels_last":
        out = (frames, frequencies, channels)
    else:
        out = (channels, frames, frequencies)
    kernels = 1 if mode in ("real", "imag") else 2
    return LayerShape((out,), kernels * frame_length * (fft // 2 + 1))


register(
    "STFTSpectrogram",
    _stft_spectrogram,
    {
        "mode": "log",
        "frame_length": 256,
        "frame_step": None,
        "fft_length": None,
        "padding": "valid",
        "expand_dims": False,
        "data_format": None,
    },
)


def _conv_lstm(rank: int) -> Rule:
    """ConvLSTM1D to 3D: a convolution per step, ``(batch, time, *spatial, channels)`` in;
    the last step (or every step) out, and the two states with ``return_state``."""

    def rule(a: Args, inputs: Sequence[Shape]) -> LayerShape:
        (shape,) = inputs
        filters = a.integer("filters")
        kernel = a.ints("kernel_size", rank)
        strides = a.ints("strides", rank)
        dilation = a.ints("dilation_rate", rank)
        padding = a.padding(("valid", "same"))
        data_format = a.data_format()
        use_bias = a.flag("use_bias")
        sequences = a.flag("return_sequences")
        states = a.flag("return_state")
        if a.flag("stateful"):
            raise ShapeError(
                f"{a.layer} with stateful=True needs a fixed batch size, which a spec does not "
                "give",
                "remove stateful",
                argument="stateful",
            )
        _no_strided_dilation(strides, dilation)
        dims, detail = layout(rank, data_format)
        if len(shape) != rank + 2:
            raise rank_error(a.layer, ("timesteps", *dims), shape, detail)
        step = shape[1:]
        spatial, channels = split_channels(a.layer, step, rank, data_format)
        if None in spatial or channels is None:
            raise ShapeError(
                f"{a.layer} needs known spatial sizes and channels, but received {tensor(shape)}",
                "its kernels and states are sized by them",
            )
        out = window_dims(step, spatial, kernel, strides, padding, dilation, "kernel_size")
        state = join_channels(out, filters, data_format)
        output = (shape[0], *state) if sequences else state
        window = prod(kernel)
        params = window * channels * 4 * filters + window * filters * 4 * filters
        params += 4 * filters if use_bias else 0
        return LayerShape((output, state, state) if states else (output,), params)

    return rule


for _rank in (1, 2, 3):
    register(
        f"ConvLSTM{_rank}D",
        _conv_lstm(_rank),
        {
            "strides": 1,
            "padding": "valid",
            "data_format": None,
            "dilation_rate": 1,
            "use_bias": True,
            "return_sequences": False,
            "return_state": False,
            "stateful": False,
        },
    )
