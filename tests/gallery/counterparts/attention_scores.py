"""A self-attention text classifier that returns its attention scores, as the Keras
functional API writes it (``return_attention_scores=True`` at the call)."""

from __future__ import annotations

from typing import Any

import numpy as np


def keras_model(keras: Any) -> Any:
    layers = keras.layers
    tokens = keras.Input(shape=(24,), dtype="int32", name="tokens")
    embedded = layers.Embedding(2000, 32, name="embedded")(tokens)
    attended, scores = layers.MultiHeadAttention(num_heads=4, key_dim=8, name="att")(
        embedded, embedded, return_attention_scores=True
    )
    pooled = layers.GlobalAveragePooling1D(name="pooled")(attended)
    label = layers.Dense(3, activation="softmax", name="label")(pooled)
    attention = layers.Identity(name="attention")(scores)
    return keras.Model(tokens, [label, attention])


def sample_inputs(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"tokens": rng.integers(0, 2000, (n, 24)).astype("int32")}


def sample_targets(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "label": rng.integers(0, 3, (n,)).astype("int32"),
        "attention": np.zeros((n, 4, 24, 24), "float32"),
    }
