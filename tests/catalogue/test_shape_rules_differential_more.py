"""Differential tests for EinsumDense, the lookup and preprocessing layers, the image layers
and the other rules of ``einsum``, ``preprocessing``, ``image`` and ``misc``: hypothesis draws
arguments and input shapes (unknown sizes and wrong ranks among them), and the rule must
agree with the layer Keras builds on symbolic inputs (`compare` in
``test_shape_rules_differential``): output shapes, trainable and non-trainable counts.
"""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphspec.catalogue.shape_rules import Shape, infer_layer
from graphspec.catalogue.shape_rules.image import (
    CHANNELS_LAST_IMAGE_LAYERS,
    SAME_SHAPE_IMAGE_LAYERS,
)
from graphspec.catalogue.shape_rules.preprocessing import vocabulary_size
from tests.catalogue.test_shape_rules_differential import (
    DATA_FORMATS,
    SETTINGS,
    any_shape,
    compare,
    dims,
    image_shape,
    keras_outcome,
    tuple_or_int,
)

keras = pytest.importorskip("keras")

# --------------------------------------------------------------------------- EinsumDense

EQUATIONS = [
    "ab,bc->ac",
    "abc,cd->abd",
    "abc,cde->abde",
    "abcd,cde->abe",
    "abc,bcd->ad",
    "abc,cd->acd",
    "...b,bc->...c",
    "...ab,bc->...ac",
    "...bc,cd->...bd",
    "ab...,bc->ac...",
    "abc...,cd->abd...",
    # refused whatever the input: a letter without a source, or not an equation
    "ab,bx->ac",
    "ab,bc->acx",
    "ab->ac",
]


def _letters(equation: str) -> tuple[str, str, str]:
    left, output = equation.replace("...", "").split("->")
    parts = left.split(",")
    return parts[0], parts[1] if len(parts) > 1 else "", output


def _fitting(inp: str, out: str, own: list[int], partial: list[int | None], left: bool) -> Shape:
    """The input ``output_shape`` asks for: of the rank it implies (with a left ellipsis, the
    batch is a letter when output_shape leaves out the first output letter), its shared
    dimensions at output_shape's sizes."""
    lettered = not left or len(partial) == len(out) - 1
    full: list[int | None] = [None, *own[1:]] if lettered else [None, *own]
    named = dict(zip(out[1:] if lettered else out, partial, strict=False))
    at = len(full) - len(inp)
    for i, c in enumerate(inp):
        if named.get(c) is not None:
            full[at + i] = named[c]
    return tuple(full[1:])


@st.composite
def einsum_case(data: st.DrawFn) -> tuple[dict[str, Any], Shape, Shape]:
    """(arguments, input, an input that fits the arguments' sizes)."""
    equation = data(st.sampled_from(EQUATIONS))
    inp, _, out = _letters(equation)
    size = {c: data(st.integers(1, 6)) for c in string.ascii_lowercase}
    left, right = equation.startswith("..."), equation.endswith("...")
    extra = data(st.sampled_from([0, 1, 1, 2])) if left or right else 0
    if not (left or right) and data(st.integers(0, 7)) == 0:
        extra = data(st.sampled_from([-1, 1]))
    spread = [data(dims(1, 5)) for _ in range(max(extra, 0))]
    own = [size[c] for c in inp]
    if left:
        full: list[int | None] = [None, *spread[1:], *own] if extra else [None, *own[1:]]
        partial_letters = out if extra else out[1:]  # without extra, the batch is a letter
    else:
        full = [None, *own[1:], *spread]
        partial_letters = out[1:]
    partial: list[int | None] = [
        size[c] if data(st.integers(0, 5)) else data(st.sampled_from([None, 7]))
        for c in partial_letters
    ]
    if extra < 0:
        full = full[:extra]
    shape = tuple(d if data(st.integers(0, 6)) else None for d in full[1:])
    if data(st.integers(0, 9)) == 0:
        partial = partial[:-1] if partial and data(st.booleans()) else [*partial, 3]
    fitting = _fitting(inp, out, own, partial, left)
    output_shape: Any = partial[0] if len(partial) == 1 and data(st.booleans()) else partial
    bias = data(st.one_of(st.none(), st.sets(st.sampled_from(out + "z"), max_size=2)))
    args: dict[str, Any] = {"equation": equation, "output_shape": output_shape}
    if bias is not None:
        args["bias_axes"] = "".join(sorted(bias))  # "" is refused, as by Keras
    return args, shape, fitting


@SETTINGS
@given(case=einsum_case())
def test_einsum_dense(case: tuple[dict[str, Any], Shape, Shape]) -> None:
    args, shape, fitting = case
    # Keras computes a shape for an input of the wrong rank or an output_shape of the
    # wrong length (the model then fails when run); graphspec refuses both.
    compare("EinsumDense", args, [shape], stricter=True, fitting=[[fitting]])


@pytest.mark.parametrize(
    ("args", "shape", "output", "params"),
    [
        ({"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c"}, (3,), (4,), 16),
        (
            {"equation": "abc,cd->abd", "output_shape": [None, 64], "bias_axes": "d"},
            (32, 128),
            (None, 64),  # Keras keeps output_shape's None even where the input is known
            128 * 64 + 64,
        ),
        # Keras lists the dimensions of a left ellipsis in reverse order
        ({"equation": "...b,bc->...c", "output_shape": 4}, (5, 6, 7), (6, 5, 4), 28),
        (
            {"equation": "ab...,bc->ac...", "output_shape": [4], "bias_axes": "c"},
            (7, 3, 2),
            (4, 3, 2),
            32,
        ),
    ],
)
def test_einsum_dense_examples(
    args: dict[str, Any], shape: Shape, output: Shape, params: int
) -> None:
    result = infer_layer("EinsumDense", args, [shape])
    assert result is not None
    assert (result.output, result.params) == (output, params)
    assert keras_outcome("EinsumDense", args, [shape]) == ((output,), params, 0)


# --------------------------------------------------------------------------- lookups

LOOKUP_MODES = st.sampled_from(["int", "one_hot", "multi_hot", "count", "tf_idf", "binary"])


@st.composite
def lookup_args(data: st.DrawFn, integer: bool) -> dict[str, Any]:
    tokens = list(range(1, 9)) if integer else list("abcdefgh")
    mode = data(LOOKUP_MODES)
    args: dict[str, Any] = {"output_mode": mode}
    mask = data(st.sampled_from([None, None, 0 if integer else ""]))
    if mask is not None:
        args["mask_token"] = mask
    args["num_oov_indices"] = data(st.integers(0, 2))
    if data(st.booleans()):
        vocabulary = data(st.lists(st.sampled_from(tokens), min_size=1, max_size=5, unique=True))
        if data(st.integers(0, 4)) == 0:
            vocabulary = [*vocabulary, vocabulary[0]]  # repeated: refused
        if data(st.integers(0, 3)) == 0:  # the special tokens written first
            oov = -1 if integer else "[UNK]"
            special = [mask] if mask is not None and mode == "int" else []
            vocabulary = special + [oov] * args["num_oov_indices"] + vocabulary
        args["vocabulary"] = vocabulary
        if mode == "tf_idf" or data(st.integers(0, 9)) == 0:
            args["idf_weights"] = [1.0] * len(vocabulary)
    if data(st.booleans()):
        args["max_tokens"] = data(st.integers(1, 9))
        args["pad_to_max_tokens"] = data(st.booleans())
    if mode == "int" and data(st.integers(0, 3)) == 0:
        args["invert"] = True
    return args


@pytest.mark.parametrize(
    ("layer", "dtype"), [("StringLookup", "string"), ("IntegerLookup", "int64")]
)
@SETTINGS
@given(data=st.data())
def test_lookups(layer: str, dtype: str, data: st.DataObject) -> None:
    args = data.draw(lookup_args(layer == "IntegerLookup"))
    if args.get("invert"):
        dtype = "int64"
    shape = data.draw(any_shape(0, 3))
    # Keras encodes a batch of single tokens (multi_hot, count, tf_idf) into one row, the
    # batch dimension dropped; with an unknown vocabulary that reads as (batch, depth).
    compare(layer, args, [shape], dtype=dtype, stricter=not shape)


@pytest.mark.parametrize(
    ("args", "size"),
    [
        ({"vocabulary": ["a", "b"]}, 3),
        ({"vocabulary": ["a", "b"], "mask_token": "", "num_oov_indices": 2}, 5),
        ({"vocabulary": ["a", "b"], "mask_token": "", "output_mode": "count"}, 3),
        ({"vocabulary": ["[UNK]", "a", "b"]}, 3),
        ({"vocabulary": None}, None),
        ({"vocabulary": "vocab.txt"}, None),
    ],
)
def test_vocabulary_size_counts_mask_and_oov_as_keras_does(
    args: dict[str, Any], size: int | None
) -> None:
    full = {"num_oov_indices": 1, "oov_token": "[UNK]", "mask_token": None, **args}
    assert vocabulary_size(full) == size
    if isinstance(args["vocabulary"], list):
        assert keras.layers.StringLookup(**args).vocabulary_size() == size


def test_lookups_have_no_weights_keras_counts() -> None:
    """A TF-IDF lookup keeps idf_weights in a TensorFlow variable that count_params skips."""
    args = {"vocabulary": ["a", "b"], "idf_weights": [1.0, 2.0], "output_mode": "tf_idf"}
    assert keras_outcome("StringLookup", args, [(4,)], dtype="string") == (((3,),), 0, 0)
    result = infer_layer("StringLookup", args, [(4,)])
    assert result is not None and (result.output, result.params) == ((3,), 0)


def test_an_adapted_lookup_has_an_unknown_depth() -> None:
    result = infer_layer("StringLookup", {"output_mode": "multi_hot", "max_tokens": 9}, [(4,)])
    assert result is not None and result.output == (None,)
    padded = {"output_mode": "count", "max_tokens": 9, "pad_to_max_tokens": True}
    result = infer_layer("StringLookup", padded, [(4,)])
    assert result is not None and result.output == (9,)


@SETTINGS
@given(data=st.data())
def test_text_vectorization(data: st.DataObject) -> None:
    mode = data.draw(LOOKUP_MODES)
    args: dict[str, Any] = {
        "output_mode": mode,
        "split": data.draw(st.sampled_from([None, "whitespace"])),
    }
    if mode == "int" or data.draw(st.integers(0, 5)) == 0:
        args["output_sequence_length"] = data.draw(st.one_of(st.none(), st.integers(1, 9)))
    if data.draw(st.booleans()):
        vocabulary = data.draw(
            st.lists(st.sampled_from("abcdefg"), min_size=1, max_size=5, unique=True)
        )
        args["vocabulary"] = vocabulary
        if mode in ("tf_idf", "tf-idf"):
            args["idf_weights"] = [1.0] * len(vocabulary)
    if data.draw(st.booleans()):
        args["max_tokens"] = data.draw(st.integers(2, 12))
        args["pad_to_max_tokens"] = data.draw(st.booleans())
    compare("TextVectorization", args, [data.draw(any_shape(0, 2))], dtype="string")


ENCODING_MODES = st.sampled_from(["int", "one_hot", "multi_hot", "count"])


@SETTINGS
@given(data=st.data())
def test_hashing(data: st.DataObject) -> None:
    args = {"num_bins": data.draw(st.integers(1, 8)), "output_mode": data.draw(ENCODING_MODES)}
    compare("Hashing", args, [data.draw(any_shape(0, 3))], dtype="string")


@SETTINGS
@given(data=st.data())
def test_hashed_crossing(data: st.DataObject) -> None:
    args = {
        "num_bins": data.draw(st.integers(1, 8)),
        "output_mode": data.draw(st.sampled_from(["int", "one_hot"])),
    }
    first = data.draw(any_shape(0, 2, high=3))
    second = first if data.draw(st.integers(0, 3)) else data.draw(any_shape(0, 2, high=3))
    compare("HashedCrossing", args, [first, second], call="list", dtype="int64")


@SETTINGS
@given(data=st.data())
def test_category_encoding(data: st.DataObject) -> None:
    mode = data.draw(st.sampled_from(["one_hot", "multi_hot", "count", "binary"]))
    args = {"num_tokens": data.draw(st.integers(1, 8)), "output_mode": mode}
    compare("CategoryEncoding", args, [data.draw(any_shape(0, 3, high=3))], dtype="int32")


@SETTINGS
@given(data=st.data())
def test_discretization(data: st.DataObject) -> None:
    args: dict[str, Any] = {"output_mode": data.draw(ENCODING_MODES)}
    if data.draw(st.booleans()):
        bounds = data.draw(st.lists(st.floats(-5, 5), max_size=4, unique=True))
        args["bin_boundaries"] = sorted(bounds)
    else:
        args["num_bins"] = data.draw(st.integers(1, 6))
    compare("Discretization", args, [data.draw(any_shape(0, 3, high=3))])


# --------------------------------------------------------------------------- image layers

REQUIRED_IMAGE_ARGS: dict[str, dict[str, Any]] = {
    "RandomBrightness": {"factor": 0.2},
    "RandomColorDegeneration": {"factor": 0.5},
    "RandomContrast": {"factor": 0.2},
    "RandomHue": {"factor": 0.2},
    "RandomPosterization": {"factor": [1, 8]},
    "RandomRotation": {"factor": 0.1},
    "RandomSaturation": {"factor": 0.5},
    "RandomSharpness": {"factor": 0.5},
    "RandomTranslation": {"height_factor": 0.1, "width_factor": 0.1},
    "RandomZoom": {"height_factor": 0.1},
    "MaxNumBoundingBoxes": {"max_number": 3},
}


@pytest.mark.parametrize("layer", ["Resizing", "CenterCrop", "RandomCrop"])
@SETTINGS
@given(data=st.data())
def test_resizing_and_cropping(layer: str, data: st.DataObject) -> None:
    data_format = data.draw(DATA_FORMATS)
    args = {
        "height": data.draw(st.integers(1, 10)),
        "width": data.draw(st.integers(1, 10)),
        "data_format": data_format,
    }
    # Keras reads a rank-3 input as one image without a batch; graphspec wants a batch.
    compare(layer, args, [data.draw(image_shape(2, data_format))], stricter=True)


@pytest.mark.parametrize("layer", SAME_SHAPE_IMAGE_LAYERS + CHANNELS_LAST_IMAGE_LAYERS)
@SETTINGS
@given(data=st.data())
def test_shape_preserving_image_layers(layer: str, data: st.DataObject) -> None:
    args = dict(REQUIRED_IMAGE_ARGS.get(layer, {}))
    data_format = "channels_last"
    if layer in SAME_SHAPE_IMAGE_LAYERS:
        data_format = args["data_format"] = data.draw(DATA_FORMATS)
    shape = data.draw(image_shape(2, data_format))
    # Keras computes any rank symbolically; graphspec wants a batch of images.
    compare(layer, args, [shape], stricter=True)


# --------------------------------------------------------------------------- the others


@SETTINGS
@given(data=st.data())
def test_unit_and_rms_normalization(data: st.DataObject) -> None:
    shape = data.draw(any_shape(0, 3))
    axes = list(range(-len(shape) - 2, len(shape) + 2))
    axis = data.draw(
        st.one_of(
            st.just(-1),
            st.sampled_from(axes),
            st.lists(
                st.sampled_from([a for a in axes if a > 0] or [1]),
                min_size=1,
                max_size=2,
                unique=True,
            ),
        )
    )
    compare("UnitNormalization", {"axis": axis}, [shape])
    compare("RMSNormalization", {"axis": axis}, [shape])


ADAPTIVE = [f"Adaptive{k}Pooling{r}D" for k in ("Average", "Max") for r in (1, 2, 3)]


@pytest.mark.parametrize("layer", ADAPTIVE)
@SETTINGS
@given(data=st.data())
def test_adaptive_pooling(layer: str, data: st.DataObject) -> None:
    rank = int(layer[-2])
    data_format = data.draw(DATA_FORMATS)
    args = {"output_size": data.draw(tuple_or_int(1, 4, rank)), "data_format": data_format}
    # Keras does not check the rank of the input.
    compare(layer, args, [data.draw(image_shape(rank, data_format))], stricter=True)


@SETTINGS
@given(
    shape=any_shape(0, 3),
    input_dim=st.integers(1, 9),
    output_dim=st.integers(1, 9),
    tied=st.booleans(),
)
def test_reversible_embedding(shape: Shape, input_dim: int, output_dim: int, tied: bool) -> None:
    args = {"input_dim": input_dim, "output_dim": output_dim, "tie_weights": tied}
    compare("ReversibleEmbedding", args, [shape])


@SETTINGS
@given(data=st.data())
def test_group_query_attention(data: st.DataObject) -> None:
    kv_heads = data.draw(st.integers(1, 3))
    args = {
        "head_dim": data.draw(st.integers(1, 4)),
        "num_query_heads": kv_heads * data.draw(st.integers(1, 3))
        + data.draw(st.sampled_from([0, 0, 0, 1])),
        "num_key_value_heads": kv_heads,
        "use_bias": data.draw(st.booleans()),
        "use_gate": data.draw(st.booleans()),
    }
    features = data.draw(st.integers(1, 8))
    query = (data.draw(dims(1, 6)), features)
    value = (data.draw(dims(1, 6)), data.draw(st.sampled_from([features, features, features + 1])))
    shapes = [query, value]
    if data.draw(st.booleans()):
        shapes.append((value[0], data.draw(st.integers(1, 8))))
    if data.draw(st.integers(0, 5)) == 0:
        shapes[0] = data.draw(any_shape(0, 3))
    # Keras' projections compute a shape for a query of the wrong rank; graphspec refuses it.
    compare("GroupQueryAttention", args, shapes, call="args", stricter=True)


@SETTINGS
@given(data=st.data())
def test_mel_spectrogram(data: st.DataObject) -> None:
    args = {
        "sequence_stride": data.draw(st.integers(8, 64)),
        "fft_length": 64,
        "num_mel_bins": data.draw(st.integers(1, 16)),
    }
    shape = data.draw(st.one_of(st.tuples(dims(64, 400)), any_shape(0, 2, high=400)))
    compare("MelSpectrogram", args, [shape], stricter=True)


@SETTINGS
@given(data=st.data())
def test_stft_spectrogram(data: st.DataObject) -> None:
    frame_length = data.draw(st.integers(2, 16))
    data_format = data.draw(DATA_FORMATS)
    args: dict[str, Any] = {
        "frame_length": frame_length,
        "frame_step": data.draw(st.one_of(st.none(), st.integers(1, frame_length + 1))),
        "fft_length": data.draw(st.one_of(st.none(), st.sampled_from([8, 16, 32]))),
        "mode": data.draw(st.sampled_from(["log", "magnitude", "real", "imag", "stft"])),
        "padding": data.draw(st.sampled_from(["valid", "same"])),
        "expand_dims": data.draw(st.booleans()),
        "data_format": data_format,
    }
    shape = data.draw(image_shape(1, data_format))
    compare("STFTSpectrogram", args, [shape])


CONV_LSTM = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]


@pytest.mark.parametrize("layer", CONV_LSTM)
@SETTINGS
@given(data=st.data())
def test_conv_lstm(layer: str, data: st.DataObject) -> None:
    rank = int(layer[-2])
    data_format = data.draw(DATA_FORMATS)
    args: dict[str, Any] = {
        "filters": data.draw(st.integers(1, 4)),
        "kernel_size": data.draw(tuple_or_int(1, 3, rank)),
        "padding": data.draw(st.sampled_from(["valid", "same"])),
        "data_format": data_format,
        "use_bias": data.draw(st.booleans()),
        "return_sequences": data.draw(st.booleans()),
        "return_state": data.draw(st.booleans()),
    }
    if data.draw(st.booleans()):
        args["strides"] = data.draw(tuple_or_int(1, 2, rank))
    else:
        args["dilation_rate"] = data.draw(tuple_or_int(1, 2, rank))
    step = data.draw(image_shape(rank, data_format))
    shape = (data.draw(dims(1, 4)), *step)
    # Keras does not check the rank before it builds the convolution.
    compare(layer, args, [shape], stricter=True)


MORE_FAMILIES: dict[str, list[str]] = {
    "einsum": ["EinsumDense"],
    "preprocessing": [
        "StringLookup",
        "IntegerLookup",
        "TextVectorization",
        "Hashing",
        "HashedCrossing",
        "CategoryEncoding",
        "Discretization",
    ],
    "image": [
        "Resizing",
        "CenterCrop",
        "RandomCrop",
        *SAME_SHAPE_IMAGE_LAYERS,
        *CHANNELS_LAST_IMAGE_LAYERS,
    ],
    "misc": [
        "UnitNormalization",
        "RMSNormalization",
        *ADAPTIVE,
        "ReversibleEmbedding",
        "GroupQueryAttention",
        "MelSpectrogram",
        "STFTSpectrogram",
        *CONV_LSTM,
    ],
}
"""The layers this module compares, by rule module (`test_every_rule_has_a_differential_test`)."""
