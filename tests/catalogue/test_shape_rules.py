"""Unit tests of the static shape rules (no Keras needed; the figures were read off Keras 3.15)."""

from __future__ import annotations

import subprocess
import sys
import typing
from typing import Any

import pytest

import graphspec.shape
from graphspec.catalogue.reader import load_catalogue
from graphspec.catalogue.shape_rules import (
    MERGE_OPS,
    LayerShape,
    Shape,
    ShapeError,
    format_shape,
    infer_layer,
    infer_merge,
    known_layers,
)
from graphspec.catalogue.shape_rules.base import RULES
from graphspec.spec.base import MERGE_LAYERS, MergeOp
from tests.catalogue.shape_errors import check_layer_error, check_merge_error


def infer(name: str, inputs: Shape | list[Shape], /, **args: Any) -> LayerShape:
    shapes = inputs if isinstance(inputs, list) else [inputs]
    result = infer_layer(name, args, shapes)
    assert result is not None, f"no rule for {name}"
    return result


def error(name: str, inputs: Shape | list[Shape], /, **args: Any) -> ShapeError:
    """The error ``name`` raises, after checking that it blames the right one (argument or
    input: see `tests.catalogue.shape_errors`)."""
    with pytest.raises(ShapeError) as caught:
        infer(name, inputs, **args)
    check_layer_error(name, args, caught.value)
    return caught.value


def merge_error(op: str, inputs: list[tuple[str, Shape]], **kwargs: Any) -> ShapeError:
    """The error a merge raises, after the same check."""
    with pytest.raises(ShapeError) as caught:
        infer_merge(op, inputs, **kwargs)
    check_merge_error(op, caught.value, **kwargs)
    return caught.value


# --------------------------------------------------------------------------- the module


def test_importing_shapes_never_imports_keras_tensorflow_or_numpy() -> None:
    code = (
        "import sys, graphspec.catalogue.shape_rules\n"
        "heavy = {'keras', 'tensorflow', 'numpy', 'jax', 'torch'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_layer_shape_output_and_params() -> None:
    result = LayerShape(((4,), (8,), (8,)), trainable=10, non_trainable=2)
    assert result.output == (4,)
    assert result.params == 12


def test_format_shape_is_the_shared_one() -> None:
    assert format_shape is graphspec.shape.format_shape
    assert Shape is graphspec.shape.Shape


def test_shape_error_carries_message_hint_and_argument() -> None:
    caught = ShapeError("padding must be 'valid' or 'same'", "fix it", argument="padding")
    assert str(caught) == caught.message == "padding must be 'valid' or 'same'"
    assert (caught.hint, caught.argument) == ("fix it", "padding")
    assert ShapeError("no hint").hint is None
    assert ShapeError("about the input").argument is None


def test_known_layers_cover_the_required_families_and_aliases() -> None:
    required = {
        "Dense", "Activation", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
        "SpatialDropout3D", "GaussianDropout", "GaussianNoise", "AlphaDropout", "Identity",
        "Flatten", "Reshape", "Permute", "RepeatVector", "Conv1D", "Conv2D", "Conv3D",
        "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling1D",
        "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
        "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
        "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
        "ZeroPadding2D", "Cropping2D", "UpSampling2D", "Embedding", "SimpleRNN", "GRU", "LSTM",
        "Bidirectional", "BatchNormalization", "LayerNormalization", "MultiHeadAttention",
        "Rescaling", "Softmax", "ReLU", "LeakyReLU", "PReLU", "ELU",
        "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "Convolution2D",
    }  # fmt: skip
    assert required <= known_layers()


def test_every_known_layer_is_a_keras_layer() -> None:
    catalogue = load_catalogue()
    assert {n for n in known_layers() if catalogue.layer(n) is None} == set()


def _json(value: Any) -> Any:
    return [_json(v) for v in value] if isinstance(value, list | tuple) else value


def test_defaults_match_the_keras_catalogue() -> None:
    """Every default a rule falls back on is Keras' own, and no required argument has one."""
    catalogue = load_catalogue()
    for name, entry in RULES.items():
        info = catalogue.layer(name)
        assert info is not None, name
        assert info.canonical == name, f"the rule for {name} is registered under an alias"
        for arg, default in entry.defaults.items():
            assert arg in info.args, f"{name} has no argument {arg}"
            known = info.args[arg]
            assert not known.required, f"{name}.{arg} is required in Keras"
            assert _json(default) == known.default, f"{name}.{arg}: {default!r}"


def test_aliases_come_from_the_catalogue() -> None:
    """Every Keras alias of a layer with a rule is known, and infers as its class does."""
    catalogue = load_catalogue()
    aliases = {n: i.canonical for n, i in catalogue.layers.items() if i.alias}
    expected = {alias for alias, target in aliases.items() if target in RULES}
    assert {"MaxPool2D", "GlobalAvgPool1D", "Convolution2D", "SeparableConvolution1D"} <= expected
    assert known_layers() == frozenset(RULES) | expected
    assert infer("MaxPool2D", (8, 8, 3)) == infer("MaxPooling2D", (8, 8, 3))
    conv = {"filters": 4, "kernel_size": 3}
    assert infer("Convolution2D", (8, 8, 3), **conv) == infer("Conv2D", (8, 8, 3), **conv)
    assert error("AvgPool2D", (8, 3), pool_size=2).message.startswith("AvgPool2D expects")


def test_unknown_layer_or_unreadable_arguments_give_none() -> None:
    assert infer_layer("NoSuchLayer", {}, [(3,)]) is None
    assert infer_layer("Conv2D", {"filters": 8}, [(8, 8, 3)]) is None  # kernel_size missing
    assert infer_layer("Dense", {"units": "${units}"}, [(3,)]) is None  # a block placeholder
    assert infer_layer("Dense", {"units": True}, [(3,)]) is None
    assert infer_layer("AveragePooling2D", {}, [(8, 8, 3)]) is None  # pool_size is required


def test_a_layer_given_the_wrong_number_of_inputs() -> None:
    assert error("Dense", [(3,), (3,)], units=2).message == (
        "Dense takes one input, but received 2"
    )
    assert "2 to 3 inputs" in error("MultiHeadAttention", [(3, 4)], num_heads=1, key_dim=2).message


# --------------------------------------------------------------------------- core layers


def test_dense_acts_on_the_last_dimension() -> None:
    assert infer("Dense", (128,), units=10) == LayerShape(((10,),), 1290)
    assert infer("Dense", (None, 5, 8), units=4, use_bias=False) == LayerShape(((None, 5, 4),), 32)


def test_dense_fed_an_unknown_last_dimension() -> None:
    caught = error("Dense", (None, None), units=10)
    assert caught.message == (
        "Dense needs a known last input dimension, but received (None, None, None)"
    )
    assert caught.hint is not None and "Flatten" in caught.hint


def test_dense_after_a_flatten_of_an_unknown_size() -> None:
    flat = infer("Flatten", (None, 8, 3)).output
    assert flat == (None,)
    assert "received (None, None)" in error("Dense", flat, units=4).message


def test_dense_needs_more_than_the_batch_dimension() -> None:
    caught = error("Dense", (), units=4)
    assert caught.message == (
        "Dense expects an input of rank 2 or more (batch, …, features), but received (None,)"
    )
    assert caught.hint == (
        "shapes under `inputs` leave out the batch dimension: a model input feeding Dense is "
        "written `shape: […, features]`"
    )


@pytest.mark.parametrize(
    ("layer", "args"),
    [
        ("Activation", {"activation": "relu"}),
        ("Identity", {}),
        ("Dropout", {"rate": 0.5}),
        ("GaussianDropout", {"rate": 0.1}),
        ("GaussianNoise", {"stddev": 0.1}),
        ("AlphaDropout", {"rate": 0.1}),
        ("Rescaling", {"scale": 1 / 255}),
        ("Softmax", {}),
        ("ReLU", {"max_value": 6.0}),
        ("LeakyReLU", {}),
        ("ELU", {}),
        ("Masking", {}),
    ],
)
def test_shape_preserving_layers(layer: str, args: dict[str, Any]) -> None:
    assert infer_layer(layer, args, [(None, 7, 3)]) == LayerShape(((None, 7, 3),))


def test_spatial_dropout_checks_the_rank() -> None:
    assert infer("SpatialDropout2D", (8, 8, 3), rate=0.2).output == (8, 8, 3)
    assert infer("SpatialDropout1D", (10, 3), rate=0.2).output == (10, 3)
    assert "rank-5 input (batch, dim1, dim2, dim3, channels)" in (
        error("SpatialDropout3D", (8, 8, 3), rate=0.2).message
    )
    assert error("SpatialDropout1D", (10,), rate=0.2).message == (
        "SpatialDropout1D expects a rank-3 input (batch, steps, channels), but received (None, 10)"
    )


@pytest.mark.parametrize(
    ("layer", "args", "message"),
    [
        ("Dropout", {"rate": 1.5}, "rate must be between 0 and 1, but received 1.5"),
        ("GaussianNoise", {"stddev": -1.0}, "stddev must be between 0 and 1, but received -1.0"),
        ("ReLU", {"negative_slope": -0.1}, "negative_slope must be non-negative"),
        ("LeakyReLU", {"negative_slope": -0.1}, "negative_slope must be non-negative"),
    ],
)
def test_invalid_argument_values(layer: str, args: dict[str, Any], message: str) -> None:
    assert message in error(layer, (4,), **args).message


def test_softmax_axis_is_checked() -> None:
    assert infer("Softmax", (3, 4), axis=[1, 2]).output == (3, 4)
    assert error("Softmax", (3, 4), axis=3).message == (
        "Softmax axis 3 is out of range for the rank-3 input (None, 3, 4)"
    )


def test_prelu_alpha_has_one_parameter_per_unshared_position() -> None:
    assert infer("PReLU", (8, 8, 3)).trainable == 192
    assert infer("PReLU", (8, 8, 3), shared_axes=[1, 2]).trainable == 3
    assert infer("PReLU", (None, None, 3), shared_axes=[1, 2]).trainable == 3
    assert "shares" not in error("PReLU", (None, 3)).message
    assert error("PReLU", (8, 3), shared_axes=[3]).message == (
        "shared_axes [3] is out of range for the rank-3 input (None, 8, 3)"
    )


def test_embedding_appends_output_dim() -> None:
    assert infer("Embedding", (None,), input_dim=1000, output_dim=64) == LayerShape(
        ((None, 64),), 64000
    )
    assert infer("Embedding", (), input_dim=10, output_dim=3).output == (3,)
    assert "positive" in error("Embedding", (5,), input_dim=0, output_dim=3).message


# --------------------------------------------------------------------------- reshaping


def test_flatten() -> None:
    assert infer("Flatten", (7, 7, 64)).output == (3136,)
    assert infer("Flatten", ()).output == (1,)


def test_reshape_infers_minus_one() -> None:
    assert infer("Reshape", (784,), target_shape=[28, 28, 1]).output == (28, 28, 1)
    assert infer("Reshape", (4, 6), target_shape=[-1, 3]).output == (8, 3)
    assert infer("Reshape", (None, 6), target_shape=[-1, 3]).output == (None, 3)


def test_reshape_errors() -> None:
    assert error("Reshape", (784,), target_shape=[28, 27]).message == (
        "target_shape (28, 27) holds 756 values per sample but the input (None, 784) holds 784"
    )
    assert "not a multiple of 5" in error("Reshape", (4, 6), target_shape=[-1, 5]).message
    assert "at most one -1" in error("Reshape", (4, 6), target_shape=[-1, -1]).message


def test_permute_and_repeat_vector() -> None:
    assert infer("Permute", (10, 64), dims=[2, 1]).output == (64, 10)
    assert "permutation of 1..2" in error("Permute", (10, 64), dims=[0, 1]).message
    assert error("Permute", (10, 64, 3), dims=[2, 1]).message == (
        "Permute expects a rank-3 input (batch, dim1, dim2) for dims [2, 1], but received "
        "(None, 10, 64, 3)"
    )
    assert infer("RepeatVector", (32,), n=5).output == (5, 32)
    assert error("RepeatVector", (4, 32), n=5).message == (
        "RepeatVector expects a rank-2 input (batch, features), but received (None, 4, 32)"
    )


@pytest.mark.parametrize(
    ("data_format", "shape", "padded", "cropped", "upsampled"),
    [
        ("channels_last", (8, 10, 3), (10, 14, 3), (6, 7, 3), (16, 20, 3)),
        ("channels_first", (3, 8, 10), (3, 10, 14), (3, 6, 7), (3, 16, 20)),
    ],
)
def test_padding_cropping_up_sampling_2d(
    data_format: str, shape: Shape, padded: Shape, cropped: Shape, upsampled: Shape
) -> None:
    fmt = {"data_format": data_format}
    assert infer("ZeroPadding2D", shape, padding=[1, 2], **fmt).output == padded
    assert infer("Cropping2D", shape, cropping=[[1, 1], [2, 1]], **fmt).output == cropped
    assert infer("UpSampling2D", shape, **fmt).output == upsampled


def test_cropping_everything_is_an_error() -> None:
    caught = error("Cropping2D", (4, 4, 3), cropping=2)
    assert caught.message == (
        "cropping (4, 4) in total leaves nothing of the spatial size (4, 4) of the input "
        "(None, 4, 4, 3)"
    )


def test_padding_1d_and_3d() -> None:
    assert infer("ZeroPadding1D", (10, 3), padding=[1, 2]).output == (13, 3)
    assert infer("Cropping1D", (10, 3)).output == (8, 3)
    assert infer("UpSampling1D", (None, 3), size=3).output == (None, 3)
    assert infer("ZeroPadding3D", (2, 3, 4, 1)).output == (4, 5, 6, 1)
    assert infer("Cropping3D", (4, 5, 6, 1)).output == (2, 3, 4, 1)
    assert infer("UpSampling3D", (2, 3, 4, 1), size=[1, 2, 3]).output == (2, 6, 12, 1)


# --------------------------------------------------------------------------- convolutions


def test_conv2d_valid_and_same() -> None:
    assert infer("Conv2D", (32, 32, 3), filters=8, kernel_size=3) == LayerShape(((30, 30, 8),), 224)
    same = infer("Conv2D", (32, 32, 3), filters=8, kernel_size=[3, 3], padding="same")
    assert same.output == (32, 32, 8)
    assert infer("Conv2D", (None, 32, 3), filters=8, kernel_size=3).output == (None, 30, 8)


def test_conv2d_channels_first() -> None:
    result = infer(
        "Conv2D", (3, 32, 32), filters=8, kernel_size=3, strides=2, data_format="channels_first"
    )
    assert result == LayerShape(((8, 15, 15),), 224)


def test_conv_strides_dilation_groups_bias() -> None:
    assert infer("Conv2D", (28, 28, 1), filters=4, kernel_size=5, strides=2).output == (12, 12, 4)
    assert infer("Conv2D", (28, 28, 1), filters=4, kernel_size=3, dilation_rate=2).output == (
        24,
        24,
        4,
    )
    grouped = infer("Conv2D", (16, 16, 4), filters=8, kernel_size=3, groups=2, use_bias=False)
    assert grouped == LayerShape(((14, 14, 8),), 144)
    assert infer("Conv3D", (8, 8, 8, 2), filters=4, kernel_size=3).output == (6, 6, 6, 4)


def test_conv1d_causal_padding() -> None:
    causal = infer("Conv1D", (10, 2), filters=4, kernel_size=3, padding="causal", dilation_rate=2)
    assert causal == LayerShape(((10, 4),), 28)
    assert (
        "'valid' or 'same'"
        in error("Conv2D", (8, 8, 3), filters=2, kernel_size=3, padding="causal").message
    )


def test_conv2d_fed_a_rank_2_shape() -> None:
    caught = error("Conv2D", (32,), filters=8, kernel_size=3)
    assert caught.message == (
        "Conv2D expects a rank-4 input (batch, height, width, channels) with data_format "
        "channels_last, but received (None, 32)"
    )
    assert caught.hint is None  # two dimensions short: not a batch dimension written in
    first = error("Conv2D", (64,), filters=8, kernel_size=3, data_format="channels_first")
    assert "(batch, channels, height, width) with data_format channels_first" in first.message


@pytest.mark.parametrize("shape", [(32, 32), (1, 32, 32, 3)])
def test_an_input_one_dimension_off_hints_at_the_batch_dimension(shape: Shape) -> None:
    """[32, 32] (channels forgotten) or [1, 32, 32, 3] (the batch written in) under inputs."""
    caught = error("Conv2D", shape, filters=8, kernel_size=3)
    assert caught.hint == (
        "shapes under `inputs` leave out the batch dimension: a model input feeding Conv2D is "
        "written `shape: [height, width, channels]`"
    )
    first = error("MaxPooling1D", (4, 4, 2), data_format="channels_first")
    assert first.hint is not None and "`shape: [channels, steps]`" in first.hint


def test_conv_kernel_larger_than_the_input() -> None:
    caught = error("Conv2D", (3, 3, 1), filters=8, kernel_size=5)
    assert caught.message == (
        "kernel_size (5, 5) with padding 'valid' is larger than the spatial size (3, 3) of the "
        "input (None, 3, 3, 1)"
    )
    dilated = error("Conv1D", (6, 1), filters=2, kernel_size=3, dilation_rate=3)
    assert dilated.message == (
        "kernel_size (3,) (dilated to (7,)) with padding 'valid' is larger than the spatial "
        "size (6,) of the input (None, 6, 1)"
    )


@pytest.mark.parametrize(
    ("args", "shape", "message"),
    [
        ({"filters": 8, "kernel_size": 3}, (8, 8, None), "needs a known number of input channels"),
        ({"filters": 6, "kernel_size": 3, "groups": 4}, (8, 8, 4), "must be a multiple"),
        ({"filters": 4, "kernel_size": 3, "groups": 4}, (8, 8, 6), "input channels divisible by 4"),
        ({"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, (8, 8, 3), "exceed"),
        ({"filters": 4, "kernel_size": [3, 3, 3]}, (8, 8, 3), "a list of 2 ints"),
        ({"filters": 4, "kernel_size": 0}, (8, 8, 3), "kernel_size must be positive"),
        ({"filters": 4, "kernel_size": 3, "data_format": "nhwc"}, (8, 8, 3), "data_format must be"),
    ],
)  # fmt: skip
def test_conv2d_argument_errors(args: dict[str, Any], shape: Shape, message: str) -> None:
    assert message in error("Conv2D", shape, **args).message


def test_conv_transpose() -> None:
    same = infer("Conv2DTranspose", (8, 8, 3), filters=4, kernel_size=3, strides=2, padding="same")
    assert same == LayerShape(((16, 16, 4),), 112)
    padded = infer(
        "Conv2DTranspose", (8, 8, 3), filters=4, kernel_size=3, strides=2, output_padding=1
    )
    assert padded.output == (18, 18, 4)
    first = infer(
        "Conv2DTranspose",
        (3, 8, 8),
        filters=4,
        kernel_size=2,
        strides=2,
        data_format="channels_first",
    )
    assert first.output == (4, 16, 16)
    caught = error(
        "Conv2DTranspose", (8, 8, 3), filters=4, kernel_size=3, strides=2, output_padding=2
    )
    assert "output_padding (2, 2) must be smaller than strides (2, 2)" in caught.message


def test_depthwise_and_separable() -> None:
    depthwise = infer("DepthwiseConv2D", (8, 8, 3), kernel_size=3, depth_multiplier=2)
    assert depthwise == LayerShape(((6, 6, 6),), 60)
    separable = infer("SeparableConv2D", (8, 8, 3), filters=16, kernel_size=3, padding="same")
    assert separable == LayerShape(((8, 8, 16),), 91)


# --------------------------------------------------------------------------- pooling


def test_pooling_defaults_and_padding() -> None:
    assert infer("MaxPooling2D", (32, 32, 16)).output == (16, 16, 16)
    assert infer("MaxPool2D", (7, 7, 16)).output == (3, 3, 16)
    same = infer("AveragePooling2D", (7, 7, 3), pool_size=3, strides=2, padding="same")
    assert same.output == (4, 4, 3)
    first = infer("MaxPooling2D", (16, 7, 7), data_format="channels_first")
    assert first.output == (16, 3, 3)
    assert infer("MaxPooling1D", (None, 4)).output == (None, 4)
    assert infer("AveragePooling3D", (4, 4, 4, 1), pool_size=2).output == (2, 2, 2, 1)


def test_pooling_larger_than_its_input() -> None:
    caught = error("MaxPooling2D", (2, 2, 8), pool_size=3)
    assert caught.message == (
        "pool_size (3, 3) with padding 'valid' is larger than the spatial size (2, 2) of the "
        "input (None, 2, 2, 8)"
    )
    assert caught.hint is not None and "'same'" in caught.hint
    assert infer("MaxPooling2D", (2, 2, 8), pool_size=3, padding="same").output == (1, 1, 8)


def test_pooling_padding_is_case_sensitive_as_in_keras() -> None:
    assert "received 'SAME'" in error("MaxPooling2D", (4, 4, 1), padding="SAME").message


def test_global_pooling() -> None:
    assert infer("GlobalAveragePooling2D", (7, 7, 512)).output == (512,)
    assert infer("GlobalMaxPooling2D", (7, 7, 512), keepdims=True).output == (1, 1, 512)
    first = infer("GlobalAvgPool1D", (64, None), data_format="channels_first", keepdims=True)
    assert first.output == (64, 1)
    assert "rank-5 input" in error("GlobalMaxPooling3D", (7, 7, 3)).message


# --------------------------------------------------------------------------- recurrent


def test_recurrent_layers() -> None:
    assert infer("SimpleRNN", (None, 3), units=8) == LayerShape(((8,),), 96)
    assert infer("LSTM", (None, 3), units=8) == LayerShape(((8,),), 384)
    assert infer("GRU", (None, 3), units=8) == LayerShape(((8,),), 312)
    no_reset = infer("GRU", (5, 3), units=8, reset_after=False, return_sequences=True)
    assert no_reset == LayerShape(((5, 8),), 288)


def test_return_state() -> None:
    assert infer("LSTM", (10, 3), units=8, return_state=True).outputs == ((8,), (8,), (8,))
    both = infer("GRU", (10, 3), units=4, return_state=True, return_sequences=True)
    assert both.outputs == ((10, 4), (4,))


def test_lstm_fed_a_rank_2_shape() -> None:
    caught = error("LSTM", (128,), units=32)
    assert caught.message == (
        "LSTM expects a rank-3 input (batch, timesteps, features), but received (None, 128)"
    )
    assert caught.hint == (
        "shapes under `inputs` leave out the batch dimension: a model input feeding LSTM is "
        "written `shape: [timesteps, features]`; an RNN reads sequences: add a Reshape or an "
        "Embedding before it"
    )
    far = error("GRU", (4, 8, 8, 3), units=2)
    assert far.hint == "an RNN reads sequences: add a Reshape or an Embedding before it"


def test_recurrent_errors() -> None:
    assert "known last input dimension" in error("GRU", (10, None), units=4).message
    assert "stateful=True" in error("LSTM", (10, 3), units=4, stateful=True).message


def test_bidirectional_with_a_nested_layer() -> None:
    inner = {"layer": "LSTM", "units": 8, "return_sequences": True}
    assert infer("Bidirectional", (None, 3), layer=inner) == LayerShape(((None, 16),), 768)
    summed = infer("Bidirectional", (None, 3), layer=inner, merge_mode="sum")
    assert summed.output == (None, 8)
    states = infer(
        "Bidirectional", (None, 3), layer={"layer": "GRU", "units": 4, "return_state": True}
    )
    assert states == LayerShape(((8,), (4,), (4,)), 216)
    assert infer_layer("Bidirectional", {"layer": "LSTM"}, [(None, 3)]) is None


# --------------------------------------------------------------------------- normalization


def test_batch_normalization_parameters() -> None:
    assert infer("BatchNormalization", (8, 8, 16)) == LayerShape(((8, 8, 16),), 32, 32)
    first = infer("BatchNormalization", (16, 8, 8), axis=1)
    assert first == LayerShape(((16, 8, 8),), 32, 32)
    assert infer("BatchNormalization", (16,), center=False).trainable == 16
    assert infer("BatchNormalization", (16,), renorm=True).non_trainable == 80


def test_batch_normalization_errors() -> None:
    assert error("BatchNormalization", (8, 16), axis=3).message == (
        "axis 3 is out of range for the rank-3 input (None, 8, 16)"
    )
    assert error("BatchNormalization", (8, 16), axis=0).message == (
        "axis 0 names the batch axis, whose size is not known when BatchNormalization builds "
        "its weights"
    )
    assert error("BatchNormalization", (8, 16), axis=-3).message == (
        "axis -3 names the batch axis of the rank-3 input (None, 8, 16), whose size is not "
        "known when BatchNormalization builds its weights"
    )
    assert error("BatchNormalization", (8, None)).message == (
        "BatchNormalization needs a known size on axis -1, but received (None, 8, None)"
    )


def test_layer_and_group_normalization() -> None:
    assert infer("LayerNormalization", (10, 16)) == LayerShape(((10, 16),), 32)
    assert infer("LayerNormalization", (10, 16), axis=[1, 2]).trainable == 320
    assert infer("GroupNormalization", (8, 8, 16), groups=4) == LayerShape(((8, 8, 16),), 32)
    assert "multiple of 3" in error("GroupNormalization", (8, 8, 16), groups=3).message


# --------------------------------------------------------------------------- attention


def test_multi_head_attention() -> None:
    result = infer("MultiHeadAttention", [(10, 16), (12, 16)], num_heads=2, key_dim=4)
    assert result == LayerShape(((10, 16),), 552)
    shaped = infer(
        "MultiHeadAttention",
        [(10, 16), (12, 8), (12, 6)],
        num_heads=2,
        key_dim=4,
        value_dim=3,
        output_shape=[5],
    )
    assert shaped == LayerShape(((10, 5),), 281)


def test_multi_head_attention_errors() -> None:
    mismatch = error("MultiHeadAttention", [(10, 16), (12, 16), (11, 16)], num_heads=2, key_dim=4)
    assert "value (None, 12, 16) and key (None, 11, 16)" in mismatch.message
    unknown = error("MultiHeadAttention", [(10, None), (12, 16)], num_heads=2, key_dim=4)
    assert unknown.message == (
        "MultiHeadAttention needs a known last dimension of the query, but received "
        "(None, 10, None)"
    )
    scalar = error("MultiHeadAttention", [(10, 4), ()], num_heads=2, key_dim=4)
    assert scalar.message == (
        "MultiHeadAttention expects a value of rank 2 or more (batch, …, features), but "
        "received (None,)"
    )


def test_attention_layers() -> None:
    assert infer("Attention", [(5, 4), (6, 4)], score_mode="concat", use_scale=True) == LayerShape(
        ((5, 4),), 2
    )
    assert infer("AdditiveAttention", [(5, 4), (6, 4)]) == LayerShape(((5, 4),), 4)


# --------------------------------------------------------------------------- merges


def test_merge_ops_are_the_spec_language_ops() -> None:
    assert MERGE_OPS == (
        "concatenate", "add", "subtract", "multiply", "average", "maximum", "minimum", "dot"
    )  # fmt: skip
    assert typing.get_args(MergeOp) == MERGE_OPS


def test_every_merge_op_has_a_keras_merge_layer_with_a_rule() -> None:
    catalogue = load_catalogue()
    assert tuple(MERGE_LAYERS) == MERGE_OPS
    for op, layer in MERGE_LAYERS.items():
        info = catalogue.layer(layer)
        assert info is not None and info.merge and info.canonical == layer, op
        assert layer in known_layers()


def test_residual_add_of_different_shapes_names_both_sides() -> None:
    caught = merge_error("add", [("conv2", (16, 16, 128)), ("shortcut", (32, 32, 128))])
    assert caught.message == (
        "add: 'conv2' gives (None, 16, 16, 128) but 'shortcut' gives (None, 32, 32, 128)"
    )
    assert caught.hint is not None
    assert caught.argument is None


def test_elementwise_merges_broadcast_like_keras() -> None:
    assert infer_merge("add", [("a", (4, 5)), ("b", (4, 5))]).output == (4, 5)
    assert infer_merge("multiply", [("a", (4, 5)), ("b", (5,))]).output == (4, 5)
    assert infer_merge("maximum", [("a", (1, 5)), ("b", (3, 1))]).output == (3, 5)
    # Keras lets an unknown size win over a known one.
    assert infer_merge("average", [("a", (None, 5)), ("b", (3, 5))]).output == (None, 5)
    # ... but graphspec still reports two known sizes that can never broadcast.
    caught = merge_error("add", [("a", (None,)), ("b", (3,)), ("c", (4,))])
    assert caught.message == "add: 'b' gives (None, 3) but 'c' gives (None, 4)"


def test_subtract_and_dot_take_two_inputs() -> None:
    caught = merge_error("subtract", [("a", (3,)), ("b", (3,)), ("c", (3,))])
    assert caught.message == "subtract takes exactly two inputs, but received 3"
    caught = merge_error("dot", [("a", (3,))])
    assert caught.message == "dot takes exactly two inputs, but received 1"


def test_concatenate() -> None:
    both = [("a", (16, 16, 64)), ("b", (16, 16, 32))]
    assert infer_merge("concatenate", both).output == (16, 16, 96)
    assert infer_merge("concatenate", [("a", (4, 8)), ("b", (6, 8))], axis=1).output == (10, 8)
    assert infer_merge("concatenate", [("a", (None, 8)), ("b", (6, 8))], axis=-1).output == (
        None,
        16,
    )
    assert infer_merge("concatenate", [("a", (None,)), ("b", (6,))]).output == (None,)


def test_concatenate_mismatch_names_both_sides() -> None:
    caught = merge_error("concatenate", [("a", (16, 16, 64)), ("b", (8, 8, 64))], axis=-1)
    assert caught.message == (
        "concatenate on axis -1: 'a' gives (None, 16, 16, 64) but 'b' gives (None, 8, 8, 64); "
        "all dimensions but the concatenation axis must match"
    )


@pytest.mark.parametrize(
    ("axis", "message", "argument"),
    [
        (0, "concatenate axis 0 is the batch dimension", "axis"),
        (-3, "concatenate axis -3 is the batch dimension of rank-3 inputs", None),
        (3, "concatenate axis 3 is out of range for rank-3 inputs", None),
        (-5, "concatenate axis -5 is out of range for rank-3 inputs", None),
    ],
)
def test_bad_concatenate_axis(axis: int, message: str, argument: str | None) -> None:
    caught = merge_error("concatenate", [("a", (4, 8)), ("b", (4, 8))], axis=axis)
    assert caught.message == message
    assert caught.argument == argument
    assert caught.hint is not None and "batch" in caught.hint


def test_concatenate_of_different_ranks() -> None:
    caught = merge_error("concatenate", [("a", (4, 8)), ("b", (8,))])
    assert caught.message == (
        "concatenate on axis -1: 'a' gives (None, 4, 8) but 'b' gives (None, 8); all inputs "
        "must have the same rank"
    )


def test_dot() -> None:
    assert infer_merge("dot", [("a", (5,)), ("b", (5,))], axes=1).output == (1,)
    assert infer_merge("dot", [("a", (3, 5)), ("b", (4, 3))], axes=[1, 2]).output == (5, 4)
    assert infer_merge("dot", [("a", (3, 5)), ("b", (4, 5))]).output == (3, 4)
    caught = merge_error("dot", [("a", (3, 5)), ("b", (4, 6))], axes=-1)
    assert caught.message == (
        "dot over axes -1: 'a' gives (None, 3, 5) with size 5 there but 'b' gives (None, 4, 6) "
        "with size 6"
    )
    batch = merge_error("dot", [("a", (3, 5)), ("b", (3, 5))], axes=[1, 0])
    assert (batch.message, batch.argument) == ("dot axes 0 is the batch dimension", "axes")
    assert merge_error("dot", [("a", (3,)), ("b", (3,))], axes="x").argument == "axes"
    assert merge_error("dot", [("a", (3,)), ("b", (3,))], axes=3).argument is None


def test_unknown_merge_op() -> None:
    with pytest.raises(ShapeError, match="unknown merge op 'stack'"):
        infer_merge("stack", [("a", (3,))])


def test_merge_layers_by_name_use_the_same_rules() -> None:
    assert infer("Add", [(4, 5), (4, 5)]).output == (4, 5)
    assert infer("Concatenate", [(4, 5), (4, 3)]).output == (4, 8)
    assert infer("Dot", [(3, 5), (4, 5)], axes=-1).output == (3, 4)
    caught = error("Add", [(4, 5), (4, 6)])
    assert caught.message == "add: 'input 1' gives (None, 4, 5) but 'input 2' gives (None, 4, 6)"
