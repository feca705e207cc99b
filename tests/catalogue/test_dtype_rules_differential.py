"""The dtype rules against Keras: each case of `test_dtype_rules` built on a symbolic Input and
run on one real batch (TensorFlow: Keras' symbolic build accepts nearly every dtype, the
data is what fails), comparing the output's dtype, or that Keras fails where a rule refuses."""

from __future__ import annotations

from typing import Any

import pytest

from tests.catalogue.test_dtype_rules import ACCEPTED, REFUSED

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

_SHAPES = {"Conv2D": (4, 4, 2), "Conv1D": (3, 2), "AveragePooling1D": (3, 2)}
_SHAPES.update({"MaxPooling1D": (3, 2), "GlobalAveragePooling1D": (3, 2), "TextVectorization": ()})


_ACCEPTED_BY = {
    "cannot take strings": "float32",
    "takes strings": "string",
    "integer ids": "int64",
    "computes in floats": "float32",
    "cannot take bool": "float32",
}
"""For each reason a rule refuses, a dtype the same layer takes."""


def _run(layer: str, args: dict[str, Any], dtype: str) -> str:
    """The dtype of the layer's output on one batch of ``dtype``."""
    shape = _SHAPES.get(layer, (4,))
    values = dict(args)
    if "target_shape" in values:
        values["target_shape"] = tuple(values["target_shape"])
    built = getattr(keras.layers, layer)(**values)
    inputs = keras.Input(shape=shape, dtype=dtype)
    model = keras.Model(inputs, built(inputs))
    if dtype == "string":
        batch = tf.constant([["a"] * shape[0]] * 2 if shape else ["a b", "c"])
    else:
        batch = tf.ones((2, *shape), dtype=dtype)
    out = model(batch)
    return "string" if out.dtype == tf.string else str(out.dtype.name)


@pytest.mark.parametrize(("layer", "args", "given", "gives"), ACCEPTED)
def test_keras_gives_the_dtype_the_rule_says(
    layer: str, args: dict[str, Any], given: str, gives: str
) -> None:
    assert _run(layer, args, given) == gives


@pytest.mark.parametrize(("layer", "args", "given", "why"), REFUSED)
def test_keras_fails_where_a_rule_refuses(
    layer: str, args: dict[str, Any], given: str, why: str
) -> None:
    _run(layer, args, _ACCEPTED_BY[why])  # the case itself runs: the dtype is what fails
    with pytest.raises(Exception):  # noqa: B017 (TypeError, ValueError, UnimplementedError...)
        _run(layer, args, given)
