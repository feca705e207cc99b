"""A miniature GPT as Keras' "text generation with a miniature GPT" builds it, with the token
and position embedding and the transformer block written out as functional calls (so that
their layers have the spec's names: the feed-forward Sequential's two Dense layers are the
spec's sequence items ffn_1 and ffn_2), the positions given as an input, and a softmax on the
last Dense (the spec's loss by name takes probabilities; the example's takes logits)."""

from __future__ import annotations

from typing import Any

import numpy as np

VOCAB_SIZE = 1000
MAXLEN = 32
EMBED_DIM = 64
NUM_HEADS = 2
FEED_FORWARD_DIM = 64


def keras_model(keras: Any) -> Any:
    layers = keras.layers
    inputs = keras.Input(shape=(MAXLEN,), dtype="int32", name="tokens")
    positions = keras.Input(shape=(MAXLEN,), dtype="int32", name="positions")
    # TokenAndPositionEmbedding
    x = layers.Embedding(VOCAB_SIZE, EMBED_DIM, name="token_emb")(inputs)
    position_embedding = layers.Embedding(MAXLEN, EMBED_DIM, name="pos_emb")(positions)
    x = layers.Add(name="embedded")([x, position_embedding])
    # TransformerBlock
    attention_output = layers.MultiHeadAttention(NUM_HEADS, EMBED_DIM, name="att")(
        x, x, use_causal_mask=True
    )
    attention_output = layers.Dropout(0.1, name="dropout1")(attention_output)
    out1 = layers.LayerNormalization(epsilon=1e-6, name="layernorm1")(
        layers.Add(name="residual1")([x, attention_output])
    )
    ffn_output = layers.Dense(FEED_FORWARD_DIM, activation="relu", name="ffn_1")(out1)
    ffn_output = layers.Dense(EMBED_DIM, name="ffn_2")(ffn_output)
    ffn_output = layers.Dropout(0.1, name="dropout2")(ffn_output)
    x = layers.LayerNormalization(epsilon=1e-6, name="layernorm2")(
        layers.Add(name="residual2")([out1, ffn_output])
    )
    outputs = layers.Dense(VOCAB_SIZE, activation="softmax", name="next_token")(x)
    return keras.Model(inputs=[inputs, positions], outputs=outputs)


def sample_inputs(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "tokens": rng.integers(0, VOCAB_SIZE, (n, MAXLEN)).astype("int32"),
        "positions": np.tile(np.arange(MAXLEN, dtype="int32"), (n, 1)),
    }


def sample_targets(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"next_token": rng.integers(0, VOCAB_SIZE, (n, MAXLEN)).astype("int32")}
