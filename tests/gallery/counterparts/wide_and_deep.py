"""Wide & Deep as the Keras functional API writes it (the harness's first counterpart)."""

from __future__ import annotations

from typing import Any

import numpy as np


def keras_model(keras: Any) -> Any:
    layers = keras.layers
    wide = keras.Input((100,), name="wide_features")
    ids = keras.Input((8,), dtype="int32", name="category_ids")
    deep = layers.Embedding(1000, 16, name="embedded")(ids)
    deep = layers.Flatten(name="deep_1")(deep)
    deep = layers.Dense(64, activation="relu", name="deep_2")(deep)
    deep = layers.Dense(32, activation="relu", name="deep_3")(deep)
    joint = layers.Concatenate(name="joint")([wide, deep])
    click = layers.Dense(1, activation="sigmoid", name="click")(joint)
    rating = layers.Dense(1, name="rating")(joint)
    return keras.Model([wide, ids], {"click": click, "rating": rating})


def sample_inputs(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "wide_features": rng.random((n, 100)).astype("float32"),
        "category_ids": rng.integers(0, 1000, (n, 8)).astype("int32"),
    }
