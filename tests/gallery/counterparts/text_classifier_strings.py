"""Text classification on raw strings as the Keras example "Text classification from scratch"
builds its end-to-end model: a TextVectorization layer in front of the trained model, here
reading the vocabulary file itself (Keras' own reading of the file is compared with
graphspec's)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.conftest import SPECS

VOCABULARY = SPECS / "gallery" / "vocab" / "movie_reviews.txt"
WORDS = [*VOCABULARY.read_text().split(), "unseen", "Great!", "PLOT,"]


def keras_model(keras: Any) -> Any:
    layers = keras.layers
    vectorize_layer = layers.TextVectorization(
        output_mode="int",
        output_sequence_length=20,
        vocabulary=str(VOCABULARY),
        name="vectorize",
    )
    inputs = keras.Input(shape=(1,), dtype="string", name="text")
    indices = vectorize_layer(inputs)
    x = layers.Embedding(vectorize_layer.vocabulary_size(), 16, name="embedded")(indices)
    x = layers.Dropout(0.2, name="pooled_1")(x)
    x = layers.GlobalAveragePooling1D(name="pooled_2")(x)
    x = layers.Dropout(0.2, name="pooled_3")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="score")(x)
    return keras.Model(inputs, outputs)


def sample_inputs(n: int, rng: np.random.Generator) -> dict[str, Any]:
    """Sentences of 3 to 25 words; Keras' fit and predict take strings as tensors only."""
    import tensorflow as tf

    sentences = [" ".join(rng.choice(WORDS, rng.integers(3, 26))) for _ in range(n)]
    return {"text": tf.constant([[s] for s in sentences])}


def sample_targets(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"score": rng.integers(0, 2, (n, 1)).astype("float32")}
