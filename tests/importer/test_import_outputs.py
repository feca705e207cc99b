"""Importing Keras models that read a layer's other outputs and pass call keyword arguments:
they come back as `enc.1` references and `call:`, and build the same model."""

from __future__ import annotations

from typing import Any

import pytest

from graphspec.importer.to_spec import import_config, model_config
from graphspec.testing.roundtrip import compare


@pytest.fixture(scope="module")
def seq2seq(keras: Any) -> Any:
    layers = keras.layers
    source = keras.Input((None, 5), name="source")
    target = keras.Input((None, 6), name="target")
    _, h, c = layers.LSTM(8, return_state=True, name="enc")(source)
    steps = layers.LSTM(8, return_sequences=True, name="dec")(target, initial_state=[h, c])
    queries = layers.Dense(3, name="queries")(layers.Dense(3, name="pre")(steps))
    values = layers.Dense(3, name="values")(source)
    attended, scores = layers.MultiHeadAttention(2, 4, name="att")(
        queries, values, return_attention_scores=True
    )
    return keras.Model([source, target], [attended, scores, c], name="states")


def test_states_and_scores_come_back_as_references_and_call(seq2seq: Any) -> None:
    imported = import_config(model_config(seq2seq))
    spec = imported.spec
    assert spec.nodes["dec"].call == {"initial_state": ["enc.1", "enc.2"]}  # type: ignore[union-attr]
    assert spec.nodes["att"].call == {"return_attention_scores": True}  # type: ignore[union-attr]
    heads = [head.from_ for head in spec.outputs.values()]
    assert heads[1:] == ["att.1", "enc.2"]
    assert list(spec.outputs)[1:] == ["att_1", "enc_2"]
    # `pre` feeds `queries` alone and is folded; `dec`, with its call, is not
    assert "dec" in spec.nodes and "pre" not in spec.nodes


def test_the_imported_spec_builds_the_same_model(seq2seq: Any) -> None:
    imported = import_config(model_config(seq2seq))
    result = compare(seq2seq, imported.text, imported.layer_names)
    assert result.mismatches == ()
    assert result.built_params == seq2seq.count_params()
