"""The tables of layer outputs and call arguments (`graphspec.catalogue.layer_calls`) against
the installed Keras: every call argument is a parameter of the layer's `call`, and a layer's
named outputs are as many as its call returns, with the shapes the static rules give."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from graphspec.catalogue.layer_calls import (
    ANY_ARGUMENTS,
    CALL_ARGUMENTS,
    SINGLE,
    CallKind,
    call_arguments,
    layer_outputs,
)
from graphspec.catalogue.shape_rules import infer_layer


@pytest.mark.parametrize("layer", sorted(CALL_ARGUMENTS))
def test_every_call_argument_is_a_parameter_of_the_call(layer: str, keras: Any) -> None:
    parameters = inspect.signature(getattr(keras.layers, layer).call).parameters
    assert set(CALL_ARGUMENTS[layer]) <= set(parameters)


def test_every_layer_whose_call_takes_more_than_its_input_is_listed(keras: Any) -> None:
    """A catalogue layer's call beyond its inputs and `training` is in the table (or takes
    **kwargs), so GS318 never refuses an argument Keras takes."""
    from graphspec.catalogue.reader import load_catalogue

    inputs = {"inputs", "data", "sequences", "sequence", "x", "query", "value", "key", "states"}
    missing = {}
    for name, info in load_catalogue().layers.items():
        cls = getattr(keras.layers, info.canonical, None)
        if cls is None or name != info.canonical or "Cell" in name or name in _FORBIDDEN:
            continue
        parameters = set(list(inspect.signature(cls.call).parameters)[1:]) - inputs
        allowed = call_arguments(name)
        if allowed is not None and not parameters <= set(allowed):
            missing[name] = sorted(parameters - set(allowed))
    assert not missing


def test_call_arguments_of_kinds() -> None:
    lstm = call_arguments("LSTM")
    assert lstm is not None
    assert lstm["initial_state"] is CallKind.TENSOR and lstm["training"] is CallKind.FLAG
    mha = call_arguments("MultiHeadAttention")
    assert mha is not None and mha["use_causal_mask"] is CallKind.FLAG
    assert call_arguments("Dense") == {"training": CallKind.FLAG}
    assert call_arguments("MaxPool2D") == {"training": CallKind.FLAG}  # an alias
    assert call_arguments("NotAKerasLayer") is None
    assert all(call_arguments(layer) is None for layer in ANY_ARGUMENTS)


def test_outputs_named_by_the_switch() -> None:
    assert layer_outputs("Dense", {"units": 3}) == SINGLE
    off = layer_outputs("LSTM", {"units": 3})
    on = layer_outputs("LSTM", {"units": 3, "return_state": True})
    assert off is not None and on is not None
    assert off.names == ("output",) and off.switched == ("output", "state_h", "state_c")
    assert on.names == ("output", "state_h", "state_c")
    assert off.switch is not None and off.switch.written == "return_state: true"
    gru = layer_outputs("GRU", {"units": 3, "return_state": "${states}"})
    assert gru is not None and gru.names == ("output", "state")  # a placeholder counts as on
    scores = layer_outputs("MultiHeadAttention", {}, {"return_attention_scores": True})
    assert scores is not None and scores.names == ("output", "scores")
    assert scores.switch is not None and scores.switch.in_call
    assert layer_outputs("RNN", {}) is None and layer_outputs("MyLayer", {}) is None


def test_bidirectional_outputs() -> None:
    concat = layer_outputs("Bidirectional", {"wraps": {"layer": "LSTM", "return_state": True}})
    assert concat is not None
    assert concat.names == (
        "output",
        "forward_state_h",
        "forward_state_c",
        "backward_state_h",
        "backward_state_c",
    )
    apart = layer_outputs(
        "Bidirectional", {"wraps": {"layer": "GRU", "return_state": True}, "merge_mode": None}
    )
    assert apart is not None
    assert apart.names == ("forward_output", "backward_output", "forward_state", "backward_state")


_FORBIDDEN = {"InputLayer", "Lambda"}
"""Layers a spec may not use (GS307)."""

CASES = [
    ("LSTM", {"units": 3, "return_state": True}, {}, [(5, 4)]),
    ("LSTM", {"units": 3, "return_state": True, "return_sequences": True}, {}, [(5, 4)]),
    ("GRU", {"units": 3, "return_state": True}, {}, [(5, 4)]),
    ("SimpleRNN", {"units": 2, "return_state": True, "return_sequences": True}, {}, [(5, 4)]),
    (
        "Bidirectional",
        {"layer": {"layer": "LSTM", "units": 3, "return_state": True}, "merge_mode": None},
        {},
        [(5, 4)],
    ),
    (
        "MultiHeadAttention",
        {"num_heads": 2, "key_dim": 4},
        {"return_attention_scores": True},
        [(5, 8), (5, 8)],
    ),
    ("Attention", {}, {"return_attention_scores": True}, [(5, 8), (5, 8)]),
    ("AdditiveAttention", {}, {"return_attention_scores": True}, [(5, 8), (7, 8)]),
]


@pytest.mark.parametrize(("layer", "args", "call", "inputs"), CASES, ids=lambda v: str(v))
def test_outputs_are_what_keras_returns(
    layer: str,
    args: dict[str, Any],
    call: dict[str, Any],
    inputs: list[tuple[int, ...]],
    keras: Any,
) -> None:
    """As many names as tensors returned, and each static shape is the returned one (on data:
    Keras' symbolic MultiHeadAttention scores take the query length twice)."""
    import numpy as np

    spec_args = {"wraps" if k == "layer" else k: v for k, v in args.items()}
    outputs = layer_outputs(layer, spec_args, call)
    assert outputs is not None
    built_args = dict(args)
    if "layer" in built_args:
        inner = dict(built_args["layer"])
        built_args["layer"] = getattr(keras.layers, inner.pop("layer"))(**inner)
    instance = getattr(keras.layers, layer)(**built_args)
    data = [np.zeros((1, *shape), "float32") for shape in inputs]
    if layer == "MultiHeadAttention":
        returned = instance(*data, **call)
    else:
        returned = instance(data if len(data) > 1 else data[0], **call)
    returned = list(returned) if isinstance(returned, list | tuple) else [returned]
    assert len(returned) == len(outputs.names)
    static = infer_layer(layer, args, inputs, call)
    assert static is not None
    assert [tuple(t.shape[1:]) for t in returned] == list(static.outputs)
