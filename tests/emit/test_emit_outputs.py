"""Emitting a layer's other outputs (`enc.state_h`, `enc.1`) and `call:` arguments: each
reference picks the tensor Keras returns at that position, and call arguments reach the
layer's call as keywords (references as tensors)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graphspec
from graphspec.pipeline import check_text

SPEC = """\
graphspec: 1
name: outputs
inputs:
  source: {shape: [6, 4]}
  target: {shape: [5, 4]}
  keep: {shape: [5, 6], dtype: bool}
shared:
  recur: {layer: GRU, units: 3, return_state: true}
nodes:
  enc: {layer: LSTM, from: source, units: 3, return_state: true}
  dec:
    layer: LSTM
    from: target
    units: 3
    return_sequences: true
    call: {initial_state: [enc.state_h, enc.2]}
  att:
    layer: MultiHeadAttention
    from: [dec, source]
    num_heads: 2
    key_dim: 4
    call: {attention_mask: keep, return_attention_scores: true, training: false}
  first: {use: recur, from: source}
  second: {use: recur, from: source, call: {initial_state: first.state}}
  chain:
    from: target
    sequence:
      - {layer: Dense, units: 4}
      - {layer: LSTM, units: 2, return_state: true}
  split: {layer: Splitter, from: target}
outputs:
  last: enc
  h: enc.state_h
  c: enc.state_c
  attended: att
  scores: att.scores
  again: second.1
  chained: chain.state_c
  left: split.0
  right: split.1
"""

SPLITTER = """\
import keras


@keras.saving.register_keras_serializable("gs_test_outputs")
class Splitter(keras.layers.Layer):
    def call(self, inputs):
        return inputs[..., :1], inputs[..., 1:]
"""


@pytest.fixture(scope="module")
def model(keras: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("layers")
    (folder / "gs_outputs_layers.py").write_text(SPLITTER)
    sys.path.insert(0, str(folder))
    try:
        return graphspec.build(graphspec.loads(SPEC), custom_layers=["gs_outputs_layers.Splitter"])
    finally:
        sys.path.remove(str(folder))


@pytest.fixture(scope="module")
def predictions(model: Any) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    keep = np.ones((2, 5, 6), bool)
    keep[..., 0] = False  # no query attends to the first source step
    data = {
        "source": rng.normal(size=(2, 6, 4)).astype("float32"),
        "target": rng.normal(size=(2, 5, 4)).astype("float32"),
        "keep": keep,
    }
    out = model.predict(data, verbose=0)
    return {name: np.asarray(o) for name, o in zip(model.output_names, out, strict=True)}


def test_heads_have_the_shape_of_the_output_they_name(model: Any) -> None:
    shapes = {
        name: tuple(t.shape) for name, t in zip(model.output_names, model.outputs, strict=True)
    }
    assert shapes["last"] == shapes["h"] == shapes["c"] == (None, 3)
    assert shapes["attended"] == (None, 5, 3)
    assert shapes["left"] == (None, 5, 1) and shapes["right"] == (None, 5, 3)
    assert shapes["chained"] == (None, 2)


def test_a_bare_reference_is_the_first_output(predictions: dict[str, np.ndarray]) -> None:
    # an LSTM's output without return_sequences is its last h, so `enc` equals `enc.state_h`
    np.testing.assert_allclose(predictions["last"], predictions["h"], rtol=1e-6)
    assert not np.allclose(predictions["h"], predictions["c"])


def test_attention_mask_from_an_input_and_scores_as_a_head(
    predictions: dict[str, np.ndarray],
) -> None:
    scores = predictions["scores"]
    assert scores.shape == (2, 2, 5, 6)
    np.testing.assert_allclose(scores.sum(axis=-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(scores[..., 0], 0.0, atol=1e-6)


def test_initial_state_reaches_the_call(model: Any) -> None:
    config = json.dumps(model.get_config())
    layers = {layer["name"]: layer for layer in model.get_config()["layers"]}
    dec = json.dumps(layers["dec"]["inbound_nodes"])
    # the head `last` names the encoder's layer
    assert "initial_state" in dec and '"last", 0, 1' in dec and '"last", 0, 2' in dec
    assert "use_causal_mask" not in config


def test_a_shared_layer_with_states_is_one_layer(model: Any) -> None:
    recur = [layer for layer in model.layers if layer.name == "recur"]
    assert len(recur) == 1 and len(recur[0]._inbound_nodes) == 2


def test_the_model_saves_and_loads(model: Any, tmp_path: Path, keras: Any) -> None:
    path = tmp_path / "outputs.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.output_names == model.output_names


GQA = """\
graphspec: 1
name: gqa
inputs:
  q: {shape: [4, 8]}
  v: {shape: [6, 8]}
nodes:
  att:
    layer: GroupQueryAttention
    from: [q, v]
    head_dim: 4
    num_query_heads: 2
    num_key_value_heads: 1
outputs:
  y: att
"""


def test_group_query_attention_takes_query_and_value_as_positional_tensors(keras: Any) -> None:
    """As MultiHeadAttention: `from: [q, v]` is call(query, value), not call([q, v])."""
    model = graphspec.build(graphspec.loads(GQA))
    assert tuple(model.output.shape) == (None, 4, 8)
    plan = check_text(GQA).plan
    assert plan is not None
    assert model.count_params() == plan.static["att"].params == 216
