"""`ShapeError.argument` over the whole rule table: set for a value refused whatever the input,
None for an input that does not fit (see `tests.catalogue.shape_errors` for the property).

The analysis chooses the code and the position of a shape diagnostic from it (the argument's
value, or the node), so a rule that forgets to set it, or sets it for an input problem, moves
a diagnostic to another line.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphspec.catalogue.reader import load_catalogue
from graphspec.catalogue.shape_rules import (
    MERGE_OPS,
    Shape,
    ShapeError,
    infer_layer,
    infer_merge,
)
from graphspec.catalogue.shape_rules.base import RULES
from tests.catalogue.shape_errors import PANEL, check_layer_error, check_merge_error

# (layer, args, inputs, the argument the error blames)
ARGUMENT_ERRORS: list[tuple[str, dict[str, Any], list[Shape], str]] = [
    ("Dense", {"units": 0}, [(4,)], "units"),
    ("Conv2D", {"filters": 4, "kernel_size": 0}, [(8, 8, 3)], "kernel_size"),
    ("Conv2D", {"filters": 4, "kernel_size": [3, 3, 3]}, [(8, 8, 3)], "kernel_size"),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "padding": "causal"}, [(8, 8, 3)], "padding"),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "data_format": "nhwc"}, [(8,)], "data_format"),
    ("Conv2D", {"filters": 6, "kernel_size": 3, "groups": 4}, [(8, 8, 4)], "filters"),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, [(8, 8, 3)],
     "strides"),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "output_padding": 2},
     [(8, 8, 3)], "output_padding"),
    ("MaxPooling2D", {"padding": "SAME"}, [(4, 4, 1)], "padding"),
    ("Dropout", {"rate": 1.5}, [(4,)], "rate"),
    ("Dropout", {"rate": 0.5, "noise_shape": [None, 0]}, [(4,)], "noise_shape"),
    ("GaussianNoise", {"stddev": -1.0}, [(4,)], "stddev"),
    ("ReLU", {"max_value": -1.0}, [(4,)], "max_value"),
    ("LeakyReLU", {"negative_slope": -0.1}, [(4,)], "negative_slope"),
    ("Reshape", {"target_shape": [-1, -1]}, [(4, 6)], "target_shape"),
    ("Permute", {"dims": [0, 1]}, [(10, 64)], "dims"),
    ("RepeatVector", {"n": 0}, [(4,)], "n"),
    ("ZeroPadding2D", {"padding": [1, 1, 1]}, [(8, 8, 3)], "padding"),
    ("Cropping2D", {"cropping": -1}, [(8, 8, 3)], "cropping"),
    ("UpSampling2D", {"size": 0}, [(8, 8, 3)], "size"),
    ("Embedding", {"input_dim": 0, "output_dim": 3}, [(5,)], "input_dim"),
    ("LSTM", {"units": 4, "stateful": True}, [(10, 3)], "stateful"),
    ("Bidirectional", {"layer": {"layer": "LSTM", "units": 0}}, [(10, 3)], "layer"),
    ("Bidirectional", {"layer": {"layer": "GRU", "units": 2}, "merge_mode": "max"}, [(10, 3)],
     "merge_mode"),
    ("TimeDistributed", {"layer": {"layer": "Dense", "units": -2}}, [(10, 3)], "layer"),
    ("TimeDistributed", {"layer": {"layer": "Dense", "units": -2}}, [(3,)], "layer"),
    ("TimeDistributed", {"layer": {"layer": "MultiHeadAttention", "num_heads": 1,
                                   "key_dim": 2}}, [(10, 3)], "layer"),
    ("BatchNormalization", {"axis": 0}, [(8, 16)], "axis"),
    ("LayerNormalization", {"axis": [0, 1]}, [(8, 16)], "axis"),
    ("GroupNormalization", {"groups": 0}, [(8, 16)], "groups"),
    ("MultiHeadAttention", {"num_heads": 0, "key_dim": 2}, [(4, 8), (4, 8)], "num_heads"),
    ("Attention", {"score_mode": "sum"}, [(4, 8), (4, 8)], "score_mode"),
    ("Concatenate", {"axis": 0}, [(4, 8), (4, 8)], "axis"),
    ("Dot", {"axes": [0, 1]}, [(4, 8), (4, 8)], "axes"),
    ("EinsumDense", {"equation": "ab,bc->ac", "output_shape": [4, 2]}, [(3,)], "output_shape"),
    ("EinsumDense", {"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "b"}, [(3,)],
     "bias_axes"),
    ("StringLookup", {"vocabulary": ["a", "a"]}, [(3,)], "vocabulary"),
    ("TextVectorization", {"output_mode": "count", "output_sequence_length": 4}, [()],
     "output_sequence_length"),
    ("CategoryEncoding", {"num_tokens": 4, "output_mode": "int"}, [(3,)], "output_mode"),
    ("Discretization", {"num_bins": 3, "bin_boundaries": [0.0]}, [(3,)], "num_bins"),
    ("Resizing", {"height": 0, "width": 4}, [(8, 8, 3)], "height"),
    ("GroupQueryAttention", {"head_dim": 2, "num_query_heads": 3, "num_key_value_heads": 2},
     [(4, 8), (4, 8)], "num_query_heads"),
    ("STFTSpectrogram", {"frame_length": 8, "fft_length": 4}, [(64, 1)], "fft_length"),
]  # fmt: skip

# (layer, args, inputs): errors about the input, which another input would fix
INPUT_ERRORS: list[tuple[str, dict[str, Any], list[Shape]]] = [
    ("Dense", {"units": 2}, [(3,), (3,)]),
    ("Dense", {"units": 2}, [()]),
    ("Dense", {"units": 2}, [(None,)]),
    ("Conv2D", {"filters": 4, "kernel_size": 3}, [(32,)]),
    ("Conv2D", {"filters": 4, "kernel_size": 5}, [(3, 3, 1)]),
    ("Conv2D", {"filters": 4, "kernel_size": 3}, [(8, 8, None)]),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "groups": 4}, [(8, 8, 6)]),
    ("MaxPooling2D", {"pool_size": 3}, [(2, 2, 8)]),
    ("Cropping2D", {"cropping": 2}, [(4, 4, 3)]),
    ("Reshape", {"target_shape": [28, 27]}, [(784,)]),
    ("Reshape", {"target_shape": [-1, 5]}, [(4, 6)]),
    ("Permute", {"dims": [2, 1]}, [(10, 64, 3)]),
    ("Softmax", {"axis": 3}, [(3, 4)]),
    ("PReLU", {"shared_axes": [3]}, [(8, 3)]),
    ("PReLU", {}, [(None, 3)]),
    ("LSTM", {"units": 4}, [(128,)]),
    ("GRU", {"units": 4}, [(10, None)]),
    ("TimeDistributed", {"layer": {"layer": "Dense", "units": 2}}, [(3,)]),
    ("TimeDistributed", {"layer": {"layer": "Dense", "units": 2}}, [(10, None)]),
    ("BatchNormalization", {"axis": 3}, [(8, 16)]),
    ("BatchNormalization", {"axis": -3}, [(8, 16)]),
    ("GroupNormalization", {"groups": 3}, [(8, 8, 16)]),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 4}, [(10, 16), (12, 16), (11, 16)]),
    ("Attention", {}, [(4,), ()]),
    ("Add", {}, [(4, 5), (4, 6)]),
    ("Concatenate", {"axis": -3}, [(4, 8), (4, 8)]),
    ("Dot", {"axes": 3}, [(4, 8), (4, 8)]),
    ("EinsumDense", {"equation": "ab,bc->ac", "output_shape": 4}, [(3, 7)]),
    ("EinsumDense", {"equation": "abc,cd->abd", "output_shape": [96, 4]}, [(3, 8)]),
    ("Hashing", {"num_bins": 4, "output_mode": "count"}, [()]),
    ("HashedCrossing", {"num_bins": 4}, [(3,), (4,)]),
    ("CenterCrop", {"height": 4, "width": 4}, [(8, 8)]),
    ("RandomColorDegeneration", {"factor": 0.5}, [(8, 8, 1)]),
    ("RMSNormalization", {}, [(4, None)]),
    ("ConvLSTM2D", {"filters": 2, "kernel_size": 3}, [(4, None, 8, 3)]),
    ("MelSpectrogram", {}, [(16, 16)]),
]


@pytest.mark.parametrize(("layer", "args", "inputs", "argument"), ARGUMENT_ERRORS)
def test_a_refused_value_names_its_argument(
    layer: str, args: dict[str, Any], inputs: list[Shape], argument: str
) -> None:
    with pytest.raises(ShapeError) as caught:
        infer_layer(layer, args, inputs)
    assert caught.value.argument == argument
    check_layer_error(layer, args, caught.value)


@pytest.mark.parametrize(("layer", "args", "inputs"), INPUT_ERRORS)
def test_an_input_that_does_not_fit_names_no_argument(
    layer: str, args: dict[str, Any], inputs: list[Shape]
) -> None:
    with pytest.raises(ShapeError) as caught:
        infer_layer(layer, args, inputs)
    assert caught.value.argument is None
    check_layer_error(layer, args, caught.value)


def test_the_cases_cover_every_family() -> None:
    blamed = {layer for layer, *_ in ARGUMENT_ERRORS}
    assert {"Conv2D", "MaxPooling2D", "Dropout", "LSTM", "BatchNormalization"} <= blamed
    assert {"Dot", "Concatenate", "MultiHeadAttention", "TimeDistributed"} <= blamed


# --------------------------------------------------------------------------- the whole table

_VALUES = st.one_of(
    st.sampled_from([-1, 0, 1, 2, 3, 5]),
    st.sampled_from([-0.5, 0.5, 1.5]),
    st.lists(st.sampled_from([-1, 0, 1, 2, 3, None]), min_size=1, max_size=3),
    st.lists(st.lists(st.sampled_from([0, 1, 2]), min_size=2, max_size=2), min_size=1, max_size=3),
    st.sampled_from(
        [
            *("valid", "same", "causal", "SAME", "channels_first", "channels_last", "nhwc"),
            *("dot", "concat", "sum", "relu"),
        ]
    ),
    st.sampled_from([None, True, False]),
)
"""Argument values of every kind a rule reads, good and bad."""

_INNER = st.fixed_dictionaries(
    {"layer": st.sampled_from(["LSTM", "GRU", "Dense", "Conv1D", "MultiHeadAttention"])},
    optional={
        "units": _VALUES,
        "filters": _VALUES,
        "kernel_size": _VALUES,
        "stateful": st.booleans(),
        "return_sequences": st.booleans(),
        "num_heads": _VALUES,
        "key_dim": _VALUES,
    },
)
"""What a wrapper's ``layer`` argument holds."""


def _shapes() -> st.SearchStrategy[Shape]:
    small = st.lists(st.one_of(st.integers(1, 6), st.none()), max_size=5).map(tuple)
    return st.one_of(st.sampled_from(PANEL), small)


@st.composite
def _layer_case(draw: st.DrawFn) -> tuple[str, dict[str, Any], list[Shape]]:
    layer = draw(st.sampled_from(sorted(RULES)))
    info = load_catalogue().layer(layer)
    assert info is not None
    names = sorted(set(info.required) | set(RULES[layer].defaults) - {"mean", "variance"})
    args: dict[str, Any] = {}
    for name in names:
        if name in info.required or draw(st.booleans()):
            args[name] = draw(_INNER if name == "layer" else _VALUES)
    low, high = RULES[layer].arity
    count = draw(st.integers(max(low, 1), min(high, 3)))
    shapes = _shapes()
    inputs = draw(
        st.one_of(
            st.lists(shapes, min_size=count, max_size=count),
            shapes.map(lambda shape: [shape] * count),
        )
    )
    return layer, args, inputs


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_layer_case())
def test_every_rule_blames_the_argument_or_the_input(
    case: tuple[str, dict[str, Any], list[Shape]],
) -> None:
    layer, args, inputs = case
    try:
        infer_layer(layer, args, inputs)
    except ShapeError as error:
        check_layer_error(layer, args, error)


@settings(max_examples=100, deadline=None)
@given(
    op=st.sampled_from(MERGE_OPS),
    shapes=st.lists(_shapes(), min_size=1, max_size=3),
    axis=st.one_of(st.none(), st.integers(-4, 4)),
)
def test_every_merge_blames_the_axis_or_the_inputs(
    op: str, shapes: list[Shape], axis: int | None
) -> None:
    keyword = {"dot": "axes", "concatenate": "axis"}.get(op)
    kwargs = {} if keyword is None or axis is None else {keyword: axis}
    try:
        infer_merge(op, [(f"in{i}", s) for i, s in enumerate(shapes)], **kwargs)
    except ShapeError as error:
        check_merge_error(op, error, **kwargs)
