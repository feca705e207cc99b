"""The Keras "Text classification with Transformer" example, with its two layer classes as the
example writes them (they take ``**kwargs`` for a name). The spec writes their inner layers as
nodes, so ``SPEC_LAYERS`` says which spec layers hold each class's weights.
"""

from __future__ import annotations

from typing import Any

import numpy as np

VOCAB_SIZE = 20000
MAXLEN = 200
EMBED_DIM = 32
NUM_HEADS = 2
FF_DIM = 32

SPEC_LAYERS = {
    "token_and_position_embedding": ("token_emb", "pos_emb"),
    "transformer_block": ("att", "ffn_1", "ffn_2", "layernorm1", "layernorm2"),
}


def _classes(keras: Any) -> tuple[Any, Any]:
    layers, ops = keras.layers, keras.ops

    class TransformerBlock(layers.Layer):  # type: ignore[misc]
        def __init__(
            self, embed_dim: int, num_heads: int, ff_dim: int, rate: float = 0.1, **kwargs: Any
        ) -> None:
            super().__init__(**kwargs)
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = keras.Sequential(
                [layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)]
            )
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(rate)
            self.dropout2 = layers.Dropout(rate)

        def call(self, inputs: Any) -> Any:
            attn_output = self.att(inputs, inputs)
            attn_output = self.dropout1(attn_output)
            out1 = self.layernorm1(inputs + attn_output)
            ffn_output = self.ffn(out1)
            ffn_output = self.dropout2(ffn_output)
            return self.layernorm2(out1 + ffn_output)

    class TokenAndPositionEmbedding(layers.Layer):  # type: ignore[misc]
        def __init__(self, maxlen: int, vocab_size: int, embed_dim: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

        def call(self, x: Any) -> Any:
            maxlen = ops.shape(x)[-1]
            positions = ops.arange(start=0, stop=maxlen, step=1)
            positions = self.pos_emb(positions)
            x = self.token_emb(x)
            return x + positions

    return TokenAndPositionEmbedding, TransformerBlock


def keras_model(keras: Any) -> Any:
    layers = keras.layers
    token_and_position, transformer = _classes(keras)
    inputs = layers.Input(shape=(MAXLEN,), name="tokens")
    embedding_layer = token_and_position(
        MAXLEN, VOCAB_SIZE, EMBED_DIM, name="token_and_position_embedding"
    )
    x = embedding_layer(inputs)
    transformer_block = transformer(EMBED_DIM, NUM_HEADS, FF_DIM, name="transformer_block")
    x = transformer_block(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu", name="hidden")(x)
    x = layers.Dropout(0.1)(x)
    outputs = layers.Dense(2, activation="softmax", name="sentiment")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def sample_inputs(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"tokens": rng.integers(0, VOCAB_SIZE, (n, MAXLEN)).astype("int32")}


def sample_targets(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"sentiment": rng.integers(0, 2, (n,)).astype("int32")}
