"""Import writes what a person would: one form per merge, no derived or default arguments."""

from __future__ import annotations

from typing import Any

import pytest

from graphspec.importer.to_spec import from_keras
from graphspec.pipeline import check_text


@pytest.fixture(scope="module")
def imported(keras: Any) -> str:
    layers = keras.layers
    x = keras.Input((10, 8), name="x")
    z = keras.Input((10, 8), name="z")
    ids = keras.Input((10,), dtype="int32", name="ids")
    bi = layers.Bidirectional(layers.LSTM(4, return_sequences=True), name="bi")(x)
    uniform = keras.initializers.RandomUniform()
    proj = layers.Dense(8, name="proj", kernel_initializer=uniform)(z)
    total = layers.add([bi, proj], name="total")
    emb = layers.Embedding(100, 8, name="emb")(ids)
    joined = layers.concatenate([total, emb], name="joined")
    out = layers.Dense(1, name="out")(layers.Flatten(name="flat")(joined))
    return from_keras(keras.Model([x, z, ids], out))


def test_a_merge_layer_is_an_op_node_as_an_operator_is(imported: str) -> None:
    assert "total: {op: add, from: [bi, proj]}" in imported
    assert "joined: {op: concatenate, from: [total, emb]}" in imported


def test_a_bidirectional_leaves_out_what_keras_derives(imported: str) -> None:
    line = next(line for line in imported.splitlines() if line.strip().startswith("bi:"))
    assert "backward_layer" not in line
    assert "zero_output_for_mask" not in line
    assert "wraps: {layer: LSTM, return_sequences: true, units: 4}" in line


def test_another_name_of_the_default_object_is_left_out(imported: str) -> None:
    assert "embeddings_initializer" not in imported  # RandomUniform() is `uniform`, the default
    assert "kernel_initializer: random_uniform" in imported  # Dense's default is glorot_uniform


def test_the_import_has_static_figures_everywhere(imported: str) -> None:
    report = check_text(imported)
    assert report.ok, [d.format() for d in report.diagnostics]
    assert report.plan is not None
    assert not [d for d in report.diagnostics if str(d.code) == "GS601"]  # every shape known
