"""The training model of Keras' character-level sequence-to-sequence example (lstm_seq2seq)."""

from __future__ import annotations

from typing import Any

import numpy as np

NUM_ENCODER_TOKENS = 71
NUM_DECODER_TOKENS = 93
LATENT_DIM = 256


def keras_model(keras: Any) -> Any:
    encoder_inputs = keras.Input(shape=(None, NUM_ENCODER_TOKENS), name="encoder_inputs")
    encoder = keras.layers.LSTM(LATENT_DIM, return_state=True, name="encoder")
    encoder_outputs, state_h, state_c = encoder(encoder_inputs)  # noqa: RUF059 (as published)
    encoder_states = [state_h, state_c]

    decoder_inputs = keras.Input(shape=(None, NUM_DECODER_TOKENS), name="decoder_inputs")
    decoder_lstm = keras.layers.LSTM(
        LATENT_DIM, return_sequences=True, return_state=True, name="decoder_lstm"
    )
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
    decoder_dense = keras.layers.Dense(
        NUM_DECODER_TOKENS, activation="softmax", name="decoder_dense"
    )
    decoder_outputs = decoder_dense(decoder_outputs)
    return keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)


def sample_targets(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One-hot next characters for the 3 decoder steps of the harness's default inputs."""
    steps = rng.integers(0, NUM_DECODER_TOKENS, (n, 3))
    return {"decoder_dense": np.eye(NUM_DECODER_TOKENS, dtype="float32")[steps]}
