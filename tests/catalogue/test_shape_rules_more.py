"""The rules of ``einsum``, ``preprocessing``, ``image`` and ``misc`` without Keras: the errors
they raise, whose fault each is, the vocabulary hook, and a spec through `validate`."""

from __future__ import annotations

from typing import Any

import pytest

import graphspec
from graphspec.catalogue.shape_rules import ShapeError, infer_layer
from graphspec.catalogue.shape_rules.einsum import parse_equation
from graphspec.catalogue.shape_rules.preprocessing import vocabulary_size, vocabulary_tokens
from graphspec.shape import Shape
from tests.catalogue.shape_errors import check_layer_error


def _error(layer: str, shape: Shape, **args: Any) -> ShapeError:
    with pytest.raises(ShapeError) as caught:
        infer_layer(layer, args, [shape])
    check_layer_error(layer, args, caught.value)
    return caught.value


def test_equations_split_as_keras_splits_them() -> None:
    assert parse_equation("ab,bc->ac").ellipsis is None
    left = parse_equation("...b,bc->...c")
    assert (left.input, left.weight, left.output, left.ellipsis) == ("b", "bc", "c", "left")
    assert parse_equation("ab...,bc->ac...").ellipsis == "right"


@pytest.mark.parametrize(
    ("args", "argument", "words"),
    [
        ({"equation": "ab->ac", "output_shape": 4}, "equation", "invalid einsum equation"),
        ({"equation": "ab,bx->ac", "output_shape": 4}, "equation", "'c' of the output"),
        ({"equation": "ab,bcd->ac", "output_shape": 4}, "equation", "'d' of the weight"),
        ({"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "x"}, "bias_axes", "'x'"),
        ({"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": ""}, "bias_axes", "at least"),
        ({"equation": "ab,bc->ac", "output_shape": [4, 5]}, "output_shape", "1 size"),
        ({"equation": "ab,bc->ac", "output_shape": [None]}, "output_shape", "unknown"),
        ({"equation": "ab,bc->ac", "output_shape": None}, "output_shape", "received None"),
    ],
)
def test_einsum_argument_errors(args: dict[str, Any], argument: str, words: str) -> None:
    error = _error("EinsumDense", (3,), **args)
    assert error.argument == argument and words in error.message


def test_einsum_input_errors_blame_the_input() -> None:
    rank = _error("EinsumDense", (3, 7), equation="ab,bc->ac", output_shape=4)
    assert rank.argument is None and "rank 2" in rank.message
    unknown = _error("EinsumDense", (None,), equation="ab,bc->ac", output_shape=4)
    assert "known size" in unknown.message
    with pytest.raises(ShapeError) as caught:
        infer_layer("EinsumDense", {"equation": "abc,cd->abd", "output_shape": [5, 4]}, [(3, 8)])
    assert caught.value.argument is None and "shared dimension 'b'" in caught.value.message


@pytest.mark.parametrize(
    ("args", "argument", "words"),
    [
        ({"vocabulary": ["a", "b", "a"]}, "vocabulary", "repeats 'a'"),
        ({"vocabulary": ["a", ""], "mask_token": ""}, "vocabulary", "mask token"),
        ({"vocabulary": ["a", "b", "c"], "max_tokens": 3}, "vocabulary", "more than max_tokens"),
        ({"vocabulary": []}, "vocabulary", "empty"),
        ({"pad_to_max_tokens": True}, "pad_to_max_tokens", "needs max_tokens"),
        ({"max_tokens": 1}, "max_tokens", "greater than 1"),
        ({"output_mode": "one_hot", "invert": True}, "invert", "must be 'int'"),
        ({"output_mode": "tf_idf", "vocabulary": ["a"]}, "vocabulary", "needs idf_weights"),
        ({"output_mode": "hot"}, "output_mode", "must be one of"),
    ],
)
def test_lookup_argument_errors(args: dict[str, Any], argument: str, words: str) -> None:
    error = _error("StringLookup", (3,), **args)
    assert error.argument == argument and words in error.message


def test_lookup_depth_comes_from_the_vocabulary_or_padding() -> None:
    def output(layer: str, shape: Shape, **args: Any) -> Shape:
        result = infer_layer(layer, args, [shape])
        assert result is not None and result.params == 0
        return result.output

    assert output("StringLookup", (3,), vocabulary=["a", "b"]) == (3,)
    assert output("StringLookup", (3,), vocabulary=["a", "b"], output_mode="one_hot") == (3, 3)
    assert output("StringLookup", (1,), vocabulary=["a", "b"], output_mode="one_hot") == (3,)
    assert output("IntegerLookup", (4,), vocabulary=[7, 8], output_mode="count") == (3,)
    assert output("StringLookup", (4,), output_mode="multi_hot") == (None,)
    assert output("TextVectorization", (), output_sequence_length=12) == (12,)
    assert output("TextVectorization", (), vocabulary=["a"], output_mode="multi_hot") == (2,)
    assert output("CategoryEncoding", (5,), num_tokens=4) == (4,)
    assert output("Discretization", (5,), bin_boundaries=[0.0, 1.0]) == (5,)


def test_encoding_a_batch_of_scalars_is_refused() -> None:
    error = _error("Hashing", (), num_bins=4, output_mode="multi_hot")
    assert error.argument is None and "none besides the batch" in error.message


def test_the_vocabulary_hook_reads_inline_lists_only() -> None:
    assert vocabulary_tokens(["a", "b"]) == ["a", "b"]
    assert vocabulary_tokens("vocab.txt") is None
    assert vocabulary_size({"vocabulary": "vocab.txt", "num_oov_indices": 1}) is None
    masked = {"vocabulary": ["a"], "mask_token": "", "num_oov_indices": 1, "output_mode": "int"}
    assert vocabulary_size(masked) == 3


def test_image_layers_want_a_batch_of_images() -> None:
    error = _error("RandomFlip", (28, 28))
    assert "rank-4" in error.message and error.hint is not None and "Reshape" in error.hint
    result = infer_layer("Resizing", {"height": 4, "width": 5}, [(8, 8, 3)])
    assert result is not None and result.output == (4, 5, 3)
    grey = _error("RandomColorDegeneration", (8, 8, 1), factor=0.5)
    assert "3 channels" in grey.message


def test_a_spec_with_a_lookup_infers_the_dense_after_it() -> None:
    text = """\
graphspec: 1
name: lookup
inputs:
  ids: {shape: [3]}
nodes:
  hot: {layer: IntegerLookup, from: ids, vocabulary: [1, 2, 3], output_mode: multi_hot}
  out: {layer: Dense, from: hot, units: 2}
outputs:
  out: out
"""
    report = graphspec.check(graphspec.loads(text))
    assert report.ok and report.plan is not None
    assert report.plan.trainable == 4 * 2 + 2  # vocabulary 3 + the OOV index
    assert not [d for d in report.diagnostics if d.code == "GS601"]
