"""The dtype rules, case by case: what each layer accepts and gives (Keras 3.15 on real
tensors; `test_dtype_rules_differential.py` runs the same cases through Keras)."""

from __future__ import annotations

from typing import Any

import pytest

from graphspec.catalogue.dtype_rules import (
    DtypeError,
    common_dtype,
    compute_dtype,
    infer_expression_dtype,
    infer_layer_dtype,
    infer_merge_dtype,
)

# (layer, arguments, input dtype, output dtype); the differential test builds each in Keras.
ACCEPTED: list[tuple[str, dict[str, Any], str, str]] = [
    ("StringLookup", {"vocabulary": ["a", "b"]}, "string", "int64"),
    ("StringLookup", {"vocabulary": ["a", "b"], "output_mode": "one_hot"}, "string", "int64"),
    (
        "StringLookup",
        {"vocabulary": ["a"], "output_mode": "tf_idf", "idf_weights": [1.0]},
        "string",
        "float32",
    ),
    ("TextVectorization", {"vocabulary": ["a"], "output_mode": "multi_hot"}, "string", "int64"),
    ("StringLookup", {"vocabulary": ["a", "b"], "invert": True}, "int64", "string"),
    ("IntegerLookup", {"vocabulary": [1, 2]}, "int32", "int64"),
    ("IntegerLookup", {"vocabulary": [1, 2]}, "float32", "int64"),
    ("IntegerLookup", {"vocabulary": [1, 2], "output_mode": "count"}, "int64", "int64"),
    ("IntegerLookup", {"vocabulary": [1, 2], "invert": True}, "int64", "int64"),
    ("Hashing", {"num_bins": 4}, "string", "int64"),
    ("Hashing", {"num_bins": 4}, "float32", "int64"),
    ("Hashing", {"num_bins": 4, "output_mode": "one_hot"}, "int32", "float32"),
    ("CategoryEncoding", {"num_tokens": 4, "output_mode": "multi_hot"}, "int64", "float32"),
    ("Discretization", {"bin_boundaries": [0.0, 1.0]}, "float32", "int32"),
    ("Discretization", {"bin_boundaries": [0.0, 1.0]}, "int64", "int32"),
    ("Embedding", {"input_dim": 10, "output_dim": 2}, "int32", "float32"),
    ("Embedding", {"input_dim": 10, "output_dim": 2}, "float32", "float32"),
    ("Dense", {"units": 2}, "int32", "float32"),
    ("Dense", {"units": 2}, "bool", "float32"),
    ("Dense", {"units": 2, "dtype": "float16"}, "float32", "float16"),
    ("Dense", {"units": 2, "dtype": "mixed_bfloat16"}, "float32", "bfloat16"),
    ("Flatten", {}, "string", "string"),
    ("Reshape", {"target_shape": [4, 1]}, "string", "string"),
    ("Dropout", {"rate": 0.5}, "string", "string"),
    ("Dropout", {"rate": 0.5}, "int64", "int64"),
    ("MaxPooling1D", {}, "int32", "int32"),
    ("GlobalAveragePooling1D", {}, "int32", "float32"),
    ("ReLU", {}, "int32", "int32"),
    ("Normalization", {"mean": 0.0, "variance": 1.0}, "int32", "float32"),
]

REFUSED: list[tuple[str, dict[str, Any], str, str]] = [
    ("Dense", {"units": 2}, "string", "cannot take strings"),
    ("Embedding", {"input_dim": 10, "output_dim": 2}, "string", "cannot take strings"),
    ("StringLookup", {"vocabulary": ["a"]}, "int32", "takes strings"),
    ("StringLookup", {"vocabulary": ["a"]}, "float32", "takes strings"),
    ("StringLookup", {"vocabulary": ["a"], "invert": True}, "string", "integer ids"),
    ("TextVectorization", {"vocabulary": ["a"]}, "int32", "takes strings"),
    ("IntegerLookup", {"vocabulary": [1]}, "string", "cannot take strings"),
    ("CategoryEncoding", {"num_tokens": 4}, "string", "cannot take strings"),
    ("Discretization", {"bin_boundaries": [0.0]}, "string", "cannot take strings"),
    ("Conv1D", {"filters": 2, "kernel_size": 1}, "int32", "computes in floats"),
    ("Conv2D", {"filters": 2, "kernel_size": 1}, "bool", "computes in floats"),
    ("AveragePooling1D", {"pool_size": 1}, "int64", "computes in floats"),
    ("Softmax", {}, "int32", "computes in floats"),
    ("MaxPooling1D", {}, "bool", "cannot take bool"),
]


@pytest.mark.parametrize(("layer", "args", "given", "gives"), ACCEPTED)
def test_accepted_dtypes(layer: str, args: dict[str, Any], given: str, gives: str) -> None:
    assert infer_layer_dtype(layer, args, [given]) == gives


@pytest.mark.parametrize(("layer", "args", "given", "why"), REFUSED)
def test_refused_dtypes(layer: str, args: dict[str, Any], given: str, why: str) -> None:
    with pytest.raises(DtypeError) as raised:
        infer_layer_dtype(layer, args, [given])
    assert why in raised.value.message and raised.value.message.startswith(layer)


def test_unknown_inputs_and_argument_forms() -> None:
    assert infer_layer_dtype("Dense", {"units": 2}, [None]) == "float32"  # whatever it takes
    assert infer_layer_dtype("Flatten", {}, [None]) is None
    assert infer_layer_dtype("Dense", {"units": 2, "dtype": {"name": "x"}}, ["float32"]) is None
    assert infer_layer_dtype("StringLookup", {"output_mode": 3}, ["string"]) is None


def test_aliases_and_time_distributed_use_the_layers_rule() -> None:
    assert infer_layer_dtype("MaxPool1D", {}, ["int32"]) == "int32"
    wraps = {"wraps": {"layer": "Dense", "units": 2}}
    with pytest.raises(DtypeError):
        infer_layer_dtype("TimeDistributed", wraps, ["string"])
    assert infer_layer_dtype("TimeDistributed", wraps, ["int32"]) == "float32"


def test_merges_meet_in_a_common_dtype_and_refuse_strings_with_numbers() -> None:
    assert infer_merge_dtype("add", ["int32", "float32"]) == "float32"
    assert infer_merge_dtype("add", ["int64", "int32"]) == "int64"
    assert infer_merge_dtype("concatenate", ["string", "string"]) == "string"
    assert infer_merge_dtype("concatenate", ["float32", None]) is None
    assert infer_layer_dtype("Concatenate", {}, ["int64", "int64"]) == "int64"
    with pytest.raises(DtypeError, match="mixes strings"):
        infer_merge_dtype("concatenate", ["string", "float32"])
    with pytest.raises(DtypeError, match="computes on numbers"):
        infer_merge_dtype("add", ["string", "string"])


def test_expressions_compute_on_numbers_only() -> None:
    assert infer_expression_dtype(["float16", "float32"]) == "float32"
    assert infer_expression_dtype(["int32", "float64"]) == "float64"
    assert infer_expression_dtype(["int32", "int32"]) is None  # `/` would give floats
    with pytest.raises(DtypeError):
        infer_expression_dtype(["string"])


def test_common_dtype_and_compute_dtype() -> None:
    assert common_dtype(["int8", "int64"]) == "int64"
    assert common_dtype(["uint8", "int32"]) is None
    assert common_dtype(["bool", "int32"]) is None
    assert compute_dtype({}) == "float32"
    assert compute_dtype({"dtype": "mixed_float16"}) == "float16"
    assert compute_dtype({"dtype": "not_a_policy"}) is None
