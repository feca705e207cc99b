"""Vocabularies in the built model: a file's tokens become the layer's list (the saved .keras
file holds them, not a path), IntegerLookup's as integers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graphspec

SPEC = """graphspec: 1
name: lookups
inputs:
  city: {shape: [1], dtype: string}
  shop: {shape: [1], dtype: int64}
nodes:
  city_ids: {layer: StringLookup, from: city, vocabulary: {file: vocab/cities.txt}}
  shop_ids: {layer: IntegerLookup, from: shop, vocabulary: {file: vocab/shops.txt}}
  ids: {op: concatenate, from: [city_ids, shop_ids]}
outputs:
  ids: ids
"""


@pytest.fixture(scope="module")
def saved(keras: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("spec")
    (folder / "vocab").mkdir()
    (folder / "vocab" / "cities.txt").write_text("paris\nlondon\nrome\n")
    (folder / "vocab" / "shops.txt").write_text("12\n7\n")
    (folder / "spec.yaml").write_text(SPEC)
    model = graphspec.build(folder / "spec.yaml")
    path = tmp_path_factory.mktemp("out") / "model.keras"
    model.save(path)
    # the vocabulary files are gone: the saved model must not need them
    for file in (folder / "vocab").iterdir():
        file.unlink()
    return path


def test_the_saved_model_holds_the_tokens(keras: Any, saved: Path) -> None:
    model = keras.saving.load_model(saved)
    assert list(model.get_layer("city_ids").get_vocabulary()) == [
        "[UNK]",
        "paris",
        "london",
        "rome",
    ]
    assert [int(v) for v in model.get_layer("shop_ids").get_vocabulary()] == [-1, 12, 7]
    import tensorflow as tf

    ids = model(
        {"city": tf.constant([["rome"], ["oslo"]]), "shop": tf.constant([[7], [3]], dtype="int64")}
    )
    assert np.asarray(ids).tolist() == [[3, 2], [0, 0]]
