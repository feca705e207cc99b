"""keras.io's "Bidirectional LSTM on IMDB" model, small and end to end on raw strings: a
TextVectorization layer with the spec's vocabulary in front of the example's functional code
(Embedding, two stacked Bidirectional LSTMs, a sigmoid Dense), each layer named as the spec
names it, so that weights copy by name."""

from __future__ import annotations

from typing import Any

import numpy as np

VOCABULARY = [
    *("the", "a", "movie", "film", "plot", "acting", "was", "is", "not", "very"),
    *("good", "great", "bad", "boring", "loved", "hated", "it", "and", "but", "story"),
]
WORDS = [*VOCABULARY, "unseen", "Great!", "PLOT,"]
MAXLEN = 16  # Only consider the first 16 words of each review


def keras_model(keras: Any) -> Any:
    layers = keras.layers
    vectorize_layer = layers.TextVectorization(
        vocabulary=VOCABULARY, output_sequence_length=MAXLEN, name="vectorize"
    )
    max_features = vectorize_layer.vocabulary_size()  # the words, padding and [UNK]
    # Input for raw strings
    inputs = keras.Input(shape=(), dtype="string", name="text")
    x = vectorize_layer(inputs)
    # Embed each integer in a 16-dimensional vector
    x = layers.Embedding(max_features, 16, name="embedded")(x)
    # Add 2 bidirectional LSTMs
    x = layers.Bidirectional(layers.LSTM(8, return_sequences=True), name="bilstm1")(x)
    x = layers.Bidirectional(layers.LSTM(8), name="bilstm2")(x)
    # Add a classifier
    outputs = layers.Dense(1, activation="sigmoid", name="score")(x)
    return keras.Model(inputs, outputs)


def sample_inputs(n: int, rng: np.random.Generator) -> dict[str, Any]:
    """Sentences of 3 to 25 words (cut or padded to 16); Keras' fit and predict take strings
    as tensors only."""
    import tensorflow as tf

    sentences = [" ".join(rng.choice(WORDS, rng.integers(3, 26))) for _ in range(n)]
    return {"text": tf.constant(sentences)}


def sample_targets(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"score": rng.integers(0, 2, (n, 1)).astype("float32")}
