"""keras.io's "English-to-Spanish translation with a sequence-to-sequence Transformer" in
miniature, with the bodies of its PositionalEmbedding, TransformerEncoder and
TransformerDecoder written out as functional calls (so their layers have the names the spec's
inline blocks give them: ``<instance>_<attribute>``) and one model, as the example's
``transformer`` is end to end.

Two places differ from the example's text, as the spec's do: the padding masks are tensors
passed to the attention layers (the example's travel implicitly, from
PositionalEmbedding.compute_mask), without the query masks (Keras 3's MultiHeadAttention takes
those from the query tensor only; they change only the outputs at padded positions); and the
positions are a running count of the tokens (the example's ``ops.arange(0, length)`` needs
the length, unknown in a functional graph of sentences of any length). The causal mask is
``use_causal_mask=True``, which Keras computes as the example's ``get_causal_attention_mask``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

VOCAB_SIZE = 60
SEQUENCE_LENGTH = 10
EMBED_DIM = 16
LATENT_DIM = 32
NUM_HEADS = 2
LENGTHS = (7, 9)  # English and Spanish sentences in the sample batch, padded with 0


def keras_model(keras: Any) -> Any:
    layers, ops = keras.layers, keras.ops

    def positional_embedding(inputs: Any, name: str) -> Any:
        token_embeddings = layers.Embedding(
            input_dim=VOCAB_SIZE, output_dim=EMBED_DIM, name=f"{name}_token_embeddings"
        )
        position_embeddings = layers.Embedding(
            input_dim=SEQUENCE_LENGTH, output_dim=EMBED_DIM, name=f"{name}_position_embeddings"
        )
        positions = ops.cumsum(ops.ones_like(inputs, dtype="int32"), axis=1) - 1
        embedded_tokens = token_embeddings(inputs)
        embedded_positions = position_embeddings(positions)
        return layers.Add(name=f"{name}_add")([embedded_tokens, embedded_positions])

    def dense_proj(x: Any, units: int, name: str) -> Any:
        x = layers.Dense(units, activation="relu", name=f"{name}_dense_proj_1")(x)
        return layers.Dense(EMBED_DIM, name=f"{name}_dense_proj_2")(x)

    def transformer_encoder(inputs: Any, mask: Any, name: str = "encoder") -> Any:
        padding_mask = ops.cast(mask[:, None, :], dtype="int32")
        attention_output = layers.MultiHeadAttention(
            num_heads=NUM_HEADS, key_dim=EMBED_DIM, name=f"{name}_attention"
        )(query=inputs, value=inputs, key=inputs, attention_mask=padding_mask)
        proj_input = layers.LayerNormalization(name=f"{name}_layernorm_1")(
            layers.Add(name=f"{name}_add_1")([inputs, attention_output])
        )
        proj_output = dense_proj(proj_input, LATENT_DIM, name)
        return layers.LayerNormalization(name=f"{name}_layernorm_2")(
            layers.Add(name=f"{name}_add_2")([proj_input, proj_output])
        )

    def transformer_decoder(
        inputs: Any, encoder_outputs: Any, mask: Any, name: str = "decoder"
    ) -> Any:
        attention_output_1 = layers.MultiHeadAttention(
            num_heads=NUM_HEADS, key_dim=EMBED_DIM, name=f"{name}_attention_1"
        )(query=inputs, value=inputs, key=inputs, use_causal_mask=True)
        out_1 = layers.LayerNormalization(name=f"{name}_layernorm_1")(
            layers.Add(name=f"{name}_add_1")([inputs, attention_output_1])
        )
        attention_output_2 = layers.MultiHeadAttention(
            num_heads=NUM_HEADS, key_dim=EMBED_DIM, name=f"{name}_attention_2"
        )(query=out_1, value=encoder_outputs, key=encoder_outputs, key_mask=mask)
        out_2 = layers.LayerNormalization(name=f"{name}_layernorm_2")(
            layers.Add(name=f"{name}_add_2")([out_1, attention_output_2])
        )
        proj_output = dense_proj(out_2, LATENT_DIM, name)
        return layers.LayerNormalization(name=f"{name}_layernorm_3")(
            layers.Add(name=f"{name}_add_3")([out_2, proj_output])
        )

    encoder_inputs = keras.Input(shape=(None,), dtype="int64", name="encoder_inputs")
    encoder_mask = ops.not_equal(encoder_inputs, 0)  # PositionalEmbedding.compute_mask
    x = positional_embedding(encoder_inputs, "encoder_embedding")
    encoder_outputs = transformer_encoder(x, encoder_mask)

    decoder_inputs = keras.Input(shape=(None,), dtype="int64", name="decoder_inputs")
    x = positional_embedding(decoder_inputs, "decoder_embedding")
    x = transformer_decoder(x, encoder_outputs, encoder_mask)
    x = layers.Dropout(0.5, name="dropout")(x)
    decoder_outputs = layers.Dense(VOCAB_SIZE, activation="softmax", name="next_token")(x)
    return keras.Model([encoder_inputs, decoder_inputs], decoder_outputs, name="transformer")


def _padded(n: int, length: int, rng: np.random.Generator) -> np.ndarray:
    tokens = rng.integers(1, VOCAB_SIZE, (n, length))
    for row, used in zip(tokens, rng.integers(2, length + 1, n), strict=True):
        row[used:] = 0
    return tokens.astype("int64")


def sample_inputs(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "encoder_inputs": _padded(n, LENGTHS[0], rng),
        "decoder_inputs": _padded(n, LENGTHS[1], rng),
    }


def sample_targets(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"next_token": rng.integers(0, VOCAB_SIZE, (n, LENGTHS[1])).astype("int64")}
